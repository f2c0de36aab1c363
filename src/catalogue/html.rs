//! The catalogue's pages: `index.html` (every measure, with a search box), `coverage.html`
//! (tests and descriptions) and `measures/<ref>.html`, one per measure, with `style.css`.

use super::{page_name, words, Catalogue, Page};
use crate::ir::{Measure, RagColour};
use crate::results::plain_number;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1100px;\
padding:0 16px;color:#1b1f24;line-height:1.45}a{color:#0b5cad}h1{font-size:24px;margin-bottom:4px}\
h2{font-size:17px;margin-top:28px;border-bottom:1px solid #d8dee4;padding-bottom:4px}\
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:5px 8px;\
border-bottom:1px solid #eaeef2;vertical-align:top}th{background:#f6f8fa}dl{display:grid;\
grid-template-columns:max-content auto;gap:6px 16px;font-size:14px}dt{font-weight:600}dd{margin:0}\
code{background:#f6f8fa;padding:1px 4px;border-radius:4px;font-size:13px}.muted{color:#57606a}\
nav{font-size:14px;margin-bottom:16px}#search{width:100%;font-size:15px;padding:8px;margin:12px 0;\
box-sizing:border-box}.rag{font-weight:600}.rag.red{color:#b42318}.rag.amber{color:#8a5a00}\
.rag.green{color:#1a7f37}";

/// Text escaped for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Text with `code` spans (backticks) as `<code>`, the rest escaped.
fn with_code(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { format!("<code>{}</code>", esc(part)) } else { esc(part) })
        .collect()
}

fn document(title: &str, css: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"{css}\">\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    )
}

/// Every page of the site.
pub fn pages(cat: &Catalogue<'_>) -> Vec<Page> {
    let mut out = vec![
        Page { path: "style.css".into(), html: format!("{STYLE}\n") },
        Page { path: "index.html".into(), html: index(cat) },
        Page { path: "coverage.html".into(), html: coverage(cat) },
    ];
    for m in &cat.project.measures {
        out.push(Page { path: format!("measures/{}", page_name(&m.reference)), html: measure_page(cat, m) });
    }
    out
}

fn rag_cell(rag: Option<RagColour>) -> String {
    match rag {
        Some(c) => format!("<span class=\"rag {}\">{}</span>", c.name(), c.name()),
        None => String::new(),
    }
}

fn target_text(m: &Measure) -> String {
    match &m.target {
        Some(t) => {
            let v = plain_number(t.value);
            let v = if m.unit == crate::ir::Unit::Percent { format!("{v}%") } else { v };
            if t.per_year {
                format!("{v} per year")
            } else {
                v
            }
        }
        None => String::new(),
    }
}

fn index(cat: &Catalogue<'_>) -> String {
    let with_data = !cat.rows.is_empty();
    let mut body = String::from("<h1>Measures</h1>\n");
    body.push_str(&format!(
        "<p class=\"muted\">{} measures. <a href=\"coverage.html\">Tests and descriptions</a>.</p>\n",
        cat.project.measures.len()
    ));
    body.push_str(
        "<input id=\"search\" type=\"search\" placeholder=\"Search by ref, title, theme, unit…\" aria-label=\"Search measures\">\n",
    );
    body.push_str("<table id=\"measures\">\n<thead><tr><th>Ref</th><th>Measure</th><th>Theme</th><th>Unit</th><th>Polarity</th><th>Target</th>");
    if with_data {
        body.push_str("<th>Latest</th><th>Value</th><th>RAG</th><th>Direction</th>");
    }
    body.push_str("</tr></thead>\n<tbody>\n");
    for m in &cat.project.measures {
        body.push_str(&format!(
            "<tr data-ref=\"{}\"><td><a href=\"measures/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&m.reference),
            esc(&page_name(&m.reference)),
            esc(&m.reference),
            esc(&m.title),
            esc(m.theme.as_deref().unwrap_or("")),
            esc(&m.unit.name()),
            m.polarity.name(),
            esc(&target_text(m))
        ));
        if with_data {
            match cat.latest(m) {
                Some(r) => body.push_str(&format!(
                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                    esc(&r.period_label),
                    esc(&r.shown()),
                    rag_cell(r.rag),
                    r.direction.map_or("", crate::judgement::Direction::name)
                )),
                None => body.push_str("<td></td><td></td><td></td><td></td>"),
            }
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody>\n</table>\n");
    body.push_str(
        "<script>\n// Rows holding the words searched for; `index.html#q=WORDS` opens with a search.\n\
         var search = document.getElementById('search');\n\
         function filter() {\n\
         \x20 var q = search.value.toLowerCase();\n\
         \x20 document.querySelectorAll('#measures tbody tr').forEach(function (tr) {\n\
         \x20   tr.hidden = tr.textContent.toLowerCase().indexOf(q) < 0;\n\
         \x20 });\n\
         }\n\
         search.addEventListener('input', filter);\n\
         if (location.hash.indexOf('#q=') === 0) {\n\
         \x20 search.value = decodeURIComponent(location.hash.slice(3));\n\
         \x20 filter();\n\
         }\n</script>\n",
    );
    document("Measures", "style.css", &body)
}

fn coverage(cat: &Catalogue<'_>) -> String {
    let mut body =
        String::from("<nav><a href=\"index.html\">All measures</a></nav>\n<h1>Tests and descriptions</h1>\n");
    let tested = cat.project.measures.iter().filter(|m| !cat.tests_of(m).0.is_empty()).count();
    let described = cat.project.measures.iter().filter(|m| m.description.is_some()).count();
    let total = cat.project.measures.len();
    body.push_str(&format!(
        "<p><span id=\"tested\">{tested} of {total}</span> measures tested; <span id=\"described\">{described} of {total}</span> described.</p>\n"
    ));
    body.push_str("<table>\n<thead><tr><th>Ref</th><th>Measure</th><th>Tests</th><th>RAG bands reached</th><th>Description</th></tr></thead>\n<tbody>\n");
    for m in &cat.project.measures {
        let (tests, bands) = cat.tests_of(m);
        body.push_str(&format!(
            "<tr data-ref=\"{}\"><td><a href=\"measures/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&m.reference),
            esc(&page_name(&m.reference)),
            esc(&m.reference),
            esc(&m.title),
            tests.len(),
            esc(&bands.join(", ")),
            if m.description.is_some() { "yes" } else { "no" }
        ));
    }
    body.push_str("</tbody>\n</table>\n");
    document("Tests and descriptions", "style.css", &body)
}

/// A list of links to measures' pages, or `none`.
fn links(ms: &[&Measure]) -> String {
    if ms.is_empty() {
        return "<p class=\"muted\">None.</p>\n".into();
    }
    let items: Vec<String> = ms
        .iter()
        .map(|m| {
            format!(
                "<li><a href=\"{}\">{}</a> {}</li>",
                esc(&page_name(&m.reference)),
                esc(&m.reference),
                esc(&m.title)
            )
        })
        .collect();
    format!("<ul>\n{}\n</ul>\n", items.join("\n"))
}

fn section(body: &mut String, title: &str, content: &str) {
    body.push_str(&format!("<h2>{}</h2>\n{content}", esc(title)));
}

/// A measure's versions: the first until the second takes effect, then each later one with
/// its date, release note, the clauses it changes and its definition in words.
fn versions(cat: &Catalogue<'_>, m: &Measure) -> String {
    let mut out = String::from("<ol id=\"versions\">\n");
    out.push_str(&format!(
        "<li>Version 1: the definition above, for periods ending before {}.</li>\n",
        m.versions[0].from
    ));
    for (k, v) in m.versions.iter().enumerate() {
        let until = m.versions.get(k + 1).map(|n| format!(", until {}", n.from)).unwrap_or_default();
        let dl: String = words::definition(cat, &v.measure)
            .iter()
            .map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", esc(k), with_code(v)))
            .collect::<Vec<_>>()
            .join("\n");
        out.push_str(&format!(
            "<li>Version {} from {}{until}: {}. Changes {}, at <code>{}</code>.<dl>\n{dl}\n</dl></li>\n",
            v.number,
            v.from,
            esc(&v.note),
            v.changes.iter().map(|c| format!("<code>{}</code>", esc(c))).collect::<Vec<_>>().join(", "),
            esc(&cat.place(v.span))
        ));
    }
    out.push_str("</ol>\n<p class=\"muted\">Each period is computed with the version in force at its end; the direction of travel is not judged across a change.</p>\n");
    out
}

fn measure_page(cat: &Catalogue<'_>, m: &Measure) -> String {
    let mut body = String::from("<nav><a href=\"../index.html\">All measures</a> · <a href=\"../coverage.html\">Tests and descriptions</a></nav>\n");
    body.push_str(&format!("<h1>{} {}</h1>\n", esc(&m.reference), esc(&m.title)));
    let mut facts =
        vec![format!("Defined at <code>{}</code> as <code>{}</code>", esc(&cat.place(m.span)), esc(&m.name))];
    if let Some(t) = &m.theme {
        facts.push(format!("theme {}", esc(t)));
    }
    if m.hidden {
        facts.push("hidden from the book (read by other measures and tests)".into());
    }
    body.push_str(&format!("<p class=\"muted\">{}.</p>\n", facts.join("; ")));
    if let Some(d) = &m.description {
        body.push_str(&format!("<p>{}</p>\n", esc(d)));
    }
    if let Some(r) = cat.latest(m) {
        body.push_str(&format!(
            "<p id=\"latest\">Latest: <strong>{}</strong> in {}{}{}.</p>\n",
            esc(&r.shown()),
            esc(&r.period_label),
            r.rag.map_or_else(String::new, |c| format!(", RAG {}", rag_cell(Some(c)))),
            r.direction.map_or_else(String::new, |d| format!(", {}", d.name()))
        ));
    }

    let dl: String = words::definition(cat, m)
        .iter()
        .map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", esc(k), with_code(v)))
        .collect::<Vec<_>>()
        .join("\n");
    section(&mut body, "Definition", &format!("<dl id=\"definition\">\n{dl}\n</dl>\n"));
    if !m.versions.is_empty() {
        section(&mut body, "Versions", &versions(cat, m));
    }

    let breakdowns = if m.breakdowns.is_empty() {
        "<p class=\"muted\">None: the measure's whole only.</p>\n".to_string()
    } else {
        let items: Vec<String> = m
            .breakdowns
            .iter()
            .map(|b| {
                let label = b.label.as_ref().map(|l| format!(" “{}”", esc(l))).unwrap_or_default();
                let funnel = if m.funnel_by(&b.name) { " (the units of its funnel plot)" } else { "" };
                format!(
                    "<li><code>{}</code>{label}: <code>{}</code>{funnel}</li>",
                    esc(&b.name),
                    esc(&cat.written(b.expr.span))
                )
            })
            .collect();
        format!("<ul>\n{}\n</ul>\n", items.join("\n"))
    };
    section(&mut body, "Breakdowns", &breakdowns);

    let columns = cat.columns_read(m);
    let columns = if columns.is_empty() {
        "<p class=\"muted\">None: calculated from other measures.</p>\n".to_string()
    } else {
        let rows: Vec<String> = columns
            .iter()
            .map(|(c, at)| format!("<tr><td><code>{}</code></td><td><code>{}</code></td></tr>", esc(c), esc(at)))
            .collect();
        format!("<table id=\"columns\">\n<thead><tr><th>Column</th><th>Declared at</th></tr></thead>\n<tbody>\n{}\n</tbody>\n</table>\n", rows.join("\n"))
    };
    section(&mut body, "Sources and columns read", &columns);

    if let crate::ir::Definition::Rate { population, .. } = &m.definition {
        let text = match cat.project.populations.iter().find(|p| p.name == *population) {
            Some(p) => format!(
                "<p><code>{}</code>, from the source <code>{}</code>{}, declared at <code>{}</code>.</p>\n",
                esc(&p.name),
                esc(&p.source),
                p.filter
                    .as_ref()
                    .map(|f| format!(" where <code>{}</code>", esc(&cat.written(f.span))))
                    .unwrap_or_default(),
                esc(&cat.place(p.span))
            ),
            None => format!("<p><code>{}</code></p>\n", esc(population)),
        };
        section(&mut body, "Population", &text);
    }

    let precision = match m.precision {
        1 => "1 decimal place".to_string(),
        p => format!("{p} decimal places"),
    };
    section(
        &mut body,
        "Unit and precision",
        &format!("<p><code>{}</code>, shown to {precision}.</p>\n", esc(&m.unit.name())),
    );

    let interval = match m.interval.method {
        Some(method) => format!(
            "<p>{} interval at {}%{}.</p>\n",
            match method {
                crate::ir::IntervalMethod::Wilson => "Wilson score",
                crate::ir::IntervalMethod::Poisson => "Poisson (exact below 10 events, Byar's from 10)",
                crate::ir::IntervalMethod::Dobson => "Dobson's",
            },
            plain_number(m.interval.level(cat.confidence)),
            if m.interval.confidence.is_none() { " (the project's level)" } else { "" }
        ),
        None => "<p class=\"muted\">None.</p>\n".to_string(),
    };
    section(&mut body, "Confidence interval", &interval);

    let b = &m.benchmarks;
    let mut marks: Vec<String> = Vec::new();
    let figure = |v: f64| {
        let v = plain_number(v);
        if m.unit == crate::ir::Unit::Percent {
            format!("{v}%")
        } else {
            v
        }
    };
    if let Some(v) = b.sn {
        marks.push(format!("statistical neighbours {}", figure(v)));
    }
    if let Some(v) = b.england {
        marks.push(format!("England {}", figure(v)));
    }
    if let Some(v) = b.la {
        marks.push(format!("the authority's published {}", figure(v)));
    }
    if b.published.is_some() {
        marks.push("DfE's published figures for each year".into());
    }
    let benchmarks = if marks.is_empty() {
        "<p class=\"muted\">None.</p>\n".to_string()
    } else {
        format!("<p>{}.</p>\n", esc(&marks.join("; ")))
    };
    section(&mut body, "Benchmarks", &benchmarks);

    let suppression = match cat.suppress {
        Some(n) => format!("<p>Counts from 1 to {n}, and figures built on them, are withheld (shown as <code>c</code>).</p>\n"),
        None => "<p class=\"muted\">None in this catalogue's run; <code>run --suppress N</code> withholds counts from 1 to N.</p>\n".to_string(),
    };
    section(&mut body, "Disclosure control", &suppression);

    let mut judgement = format!("<p>Polarity: <code>{}</code>", m.polarity.name());
    let target = target_text(m);
    if !target.is_empty() {
        judgement.push_str(&format!("; target {}", esc(&target)));
    }
    judgement.push_str(".</p>\n");
    if m.rag.is_empty() {
        if m.target.is_some() {
            judgement.push_str(&format!(
                "<p id=\"rag\">RAG by the project's banding: green when the target is met, amber within {}% of it, red beyond.</p>\n",
                plain_number(cat.amber_within_percent)
            ));
        } else {
            judgement.push_str("<p id=\"rag\" class=\"muted\">No RAG rating: no target and no RAG rules.</p>\n");
        }
    } else {
        let rules: Vec<String> = m
            .rag
            .iter()
            .map(|r| match &r.condition {
                Some(c) => format!("<li>{} when <code>{}</code></li>", r.colour.name(), esc(&cat.written(c.span))),
                None => format!("<li>{} otherwise</li>", r.colour.name()),
            })
            .collect();
        judgement.push_str(&format!("<ul id=\"rag\">\n{}\n</ul>\n", rules.join("\n")));
    }
    section(&mut body, "Judgement", &judgement);

    section(&mut body, "Versions", "<p>One version: the definition above applies to every period.</p>\n");

    let (tests, bands) = cat.tests_of(m);
    let tests_html = if tests.is_empty() {
        "<p id=\"tests\" class=\"muted\">No test expects anything of this measure.</p>\n".to_string()
    } else {
        let items: Vec<String> =
            tests.iter().map(|(name, at)| format!("<li>{} <code>{}</code></li>", esc(name), esc(at))).collect();
        let reached = if bands.is_empty() { "none".to_string() } else { bands.join(", ") };
        format!(
            "<ul id=\"tests\">\n{}\n</ul>\n<p>RAG bands the tests reach: {}.</p>\n",
            items.join("\n"),
            esc(&reached)
        )
    };
    section(&mut body, "Tests", &tests_html);

    section(&mut body, "Calculated from", &links(&cat.reads(m)));
    section(&mut body, "Used by", &links(&cat.read_by(m)));
    document(&format!("{} {}", m.reference, m.title), "../style.css", &body)
}
