//! What a hover shows: a measure's definition in plain words, a column's declaration, a
//! function's signature, a source's columns, a diagnostic code's explanation.

use super::workspace::Analysis;
use crate::check::resolution::Target;
use crate::ir::{self, Function};
use crate::syntax::ast::{self, ClauseKind, ItemKind};

/// Markdown for what `target` names.
pub fn of_target(a: &Analysis, target: &Target) -> Option<String> {
    match target {
        Target::Measure(name) => measure(a, name),
        Target::Column { table, name } => column(a, table, name),
        Target::Source(name) => source(a, name),
        Target::Population(name) => population(a, name),
        Target::Alias { name, source, .. } => {
            Some(format!("`{name}`: the rows of `{source}` this condition looks at\n\n{}", source_summary(a, source)?))
        }
        Target::Function(name) => function(name),
        Target::Named { source, name } => named_value(a, source, name),
        Target::Adjacent { table, name } => adjacent(a, table, name),
    }
}

/// `let name = ...` as written, with its type when the project checks.
fn named_value(a: &Analysis, source: &str, name: &str) -> Option<String> {
    let s = ast_source(a, source)?;
    let expr = s.entries.iter().find_map(|e| match &e.kind {
        ast::SourceEntryKind::Let { name: n, expr } if n.node == name => Some(expr),
        _ => None,
    })?;
    let ty = a
        .project
        .as_ref()
        .and_then(|p| p.source(source))
        .and_then(|s| s.named_value(name))
        .map(|n| format!(" ({})", n.expr.ty.describe()))
        .unwrap_or_default();
    Some(format!("named value `{name}` of `{source}`{ty}\n\n```\nlet {name} = {}\n```", text_of(a, expr.span)))
}

/// `previous name by ...` in words.
fn adjacent(a: &Analysis, table: &str, name: &str) -> Option<String> {
    let s = ast_source(a, table)?;
    s.entries.iter().find_map(|e| match &e.kind {
        ast::SourceEntryKind::Adjacent { next, name: n, by, order } if n.node == name => Some(format!(
            "`{name}`: the row of `{table}` with the same `{}` just {} this one in `{}` order (of rows on one day, the {} in key order); missing when there is none\n\n{}",
            by.node,
            if *next { "after" } else { "before" },
            order.node,
            if *next { "first" } else { "last" },
            source_summary(a, table)?
        )),
        _ => None,
    })
}

fn text_of(a: &Analysis, span: crate::span::Span) -> String {
    a.files.text_on_one_line(span)
}

/// A measure's definition in plain words, from its clauses in order: "cin_episodes rows open
/// at the period end, per 10000 of children_0_17".
pub fn plain_definition(a: &Analysis, m: &ast::Measure) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in &m.clauses {
        let part = match &c.kind {
            ClauseKind::Count { distinct: None, source } => format!("`{}` rows", source.node),
            ClauseKind::Count { distinct: Some(d), source } => format!("distinct `{}` of `{}`", d.node, source.node),
            ClauseKind::Percent { distinct: None, source } => format!("% of `{}` rows", source.node),
            ClauseKind::Percent { distinct: Some(d), source } => {
                format!("% of distinct `{}` of `{}`", d.node, source.node)
            }
            ClauseKind::Aggregate { func, percentile: Some(p), expr, source, .. } => {
                format!("{} {} of {} over `{}` rows", func.node, p.node, text_of(a, expr.span), source.node)
            }
            ClauseKind::Aggregate { func, expr, source, .. } => {
                format!("{} of {} over `{}` rows", func.node, text_of(a, expr.span), source.node)
            }
            ClauseKind::Ratio { source } => format!("ratio over `{}` rows", source.node),
            ClauseKind::SumPart { part: ast::SumPart::Numerator, expr } => {
                format!("of the sum of {}", text_of(a, expr.span))
            }
            ClauseKind::SumPart { part: ast::SumPart::Denominator, expr } => {
                format!("to the sum of {}", text_of(a, expr.span))
            }
            ClauseKind::Hidden => "(hidden from the book)".into(),
            ClauseKind::RateOf { measure, per } => {
                format!("`{}` per {} of `{}`", measure.node, per.per.node, per.population.node)
            }
            ClauseKind::Calculate(e) => format!("calculated as {}", text_of(a, e.span)),
            ClauseKind::InPeriod(col) => format!("with `{}` in the period", col.node),
            ClauseKind::OpenAtPeriodEnd => "open at the period end".into(),
            ClauseKind::OpenDuringPeriod => "open during the period".into(),
            ClauseKind::LatestSnapshot { .. } => format!("in the {}", text_of(a, c.span)),
            ClauseKind::FirstPer(e) => format!("the first row of each `{}` in the window", e.node),
            ClauseKind::ReportedBy(y) => format!("(reported by {} year)", y.node),
            ClauseKind::FollowUp { .. } => format!("({})", text_of(a, c.span)),
            ClauseKind::Where(e) => format!("where {}", text_of(a, e.span)),
            ClauseKind::Excluding(e) => format!("excluding those where {}", text_of(a, e.span)),
            ClauseKind::Meeting(e) => format!("meeting {}", text_of(a, e.span)),
            ClauseKind::Per(p) => match &p.standardised {
                Some(st) => format!(
                    "per {} of `{}`, standardised by `{}` to `{}`",
                    p.per.node, p.population.node, st.by.node, st.standard.node
                ),
                None => format!("per {} of `{}`", p.per.node, p.population.node),
            },
            ClauseKind::Expected { population, reference, .. } => {
                format!("over those expected in `{}` at `{}` rates", population.node, reference.node)
            }
            ClauseKind::Cumulative(_) => text_of(a, c.span),
            ClauseKind::By(_) => format!("broken down {}", text_of(a, c.span)),
            _ => continue,
        };
        parts.push(part);
    }
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(if p.starts_with("per ") { ", " } else { " " });
        }
        out.push_str(p);
    }
    out
}

fn measure(a: &Analysis, name: &str) -> Option<String> {
    let m = a.measures().find(|m| m.name.node == name)?;
    let mut out = String::new();
    let checked = a.project.as_ref().and_then(|p| p.measures.iter().find(|x| x.name == name));
    // While the project does not check (an error anywhere, the usual state while typing), what
    // the measure's own clauses say.
    let written = Written::of(m);
    match (checked, &written.reference) {
        (Some(x), _) => out.push_str(&format!("**{}** {} — `{}`\n\n", x.reference, x.title, x.name)),
        (None, Some(r)) => {
            let title = written.title.map(|t| format!(" {t}")).unwrap_or_default();
            out.push_str(&format!("**{r}**{title} — `{name}`\n\n"))
        }
        (None, None) => out.push_str(&format!("measure `{name}`\n\n")),
    }
    out.push_str(&plain_definition(a, m));
    out.push_str("\n\n");
    if let Some(x) = checked {
        out.push_str(&format!("- unit: {}\n", x.unit.name()));
        out.push_str(&format!("- polarity: {}\n", polarity(x.polarity)));
        if let Some(t) = x.target {
            out.push_str(&format!("- target: {}{}\n", t.value, if t.per_year { " per year" } else { "" }));
        }
    } else {
        if let Some(unit) = &written.unit {
            out.push_str(&format!("- unit: {unit}\n"));
        }
        if let Some(p) = written.polarity {
            out.push_str(&format!("- polarity: {}\n", polarity(p)));
        }
        if let Some(t) = &written.target {
            out.push_str(&format!("- target: {t}\n"));
        }
    }
    for c in &m.clauses {
        if matches!(c.kind, ClauseKind::Rag(_)) {
            out.push_str(&format!("- {}\n", text_of(a, c.span)));
        }
    }
    for v in &m.versions {
        let changes: Vec<String> = v.clauses.iter().map(|c| format!("`{}`", text_of(a, c.span))).collect();
        out.push_str(&format!(
            "- version {} from {}: {} ({})\n",
            v.number.node,
            v.from.node,
            v.note.node,
            changes.join(", ")
        ));
    }
    if let Some(d) = checked.and_then(|x| x.description.as_ref()) {
        out.push_str(&format!("\n{d}\n"));
    }
    Some(out.trim_end().to_string())
}

/// A measure's ref, title, unit, polarity and target as its clauses write them.
#[derive(Default)]
struct Written<'m> {
    reference: Option<&'m str>,
    title: Option<&'m str>,
    unit: Option<String>,
    polarity: Option<ir::Polarity>,
    target: Option<String>,
}

impl<'m> Written<'m> {
    fn of(m: &'m ast::Measure) -> Written<'m> {
        let mut w = Written::default();
        // The unit a measure's kind gives, unless a `unit` clause names one.
        let mut kind = None;
        for c in &m.clauses {
            match &c.kind {
                ClauseKind::Ref(r) => w.reference = Some(&r.node),
                ClauseKind::Title(t) => w.title = Some(&t.node),
                ClauseKind::Unit(u) => w.unit = Some(u.node.clone()),
                ClauseKind::Polarity(p) => w.polarity = ir::Polarity::parse(&p.node),
                ClauseKind::Target { figure, per_year } => {
                    let percent = if figure.percent { "%" } else { "" };
                    w.target = Some(format!("{}{percent}{}", figure.text, if *per_year { " per year" } else { "" }))
                }
                ClauseKind::Percent { .. } | ClauseKind::SumPart { .. } => kind = Some("percent".to_string()),
                ClauseKind::Count { .. } if kind.is_none() => kind = Some("count".to_string()),
                ClauseKind::Per(p) => kind = Some(format!("rate_per_{}", p.per.node)),
                _ => {}
            }
        }
        w.unit = w.unit.or(kind);
        w
    }
}

fn polarity(p: ir::Polarity) -> &'static str {
    match p {
        ir::Polarity::High => "high is good",
        ir::Polarity::Low => "low is good",
        ir::Polarity::InLineWithBenchmark => "in line with the benchmark is good",
        ir::Polarity::None => "none",
    }
}

fn ast_source<'a>(a: &'a Analysis, name: &str) -> Option<&'a ast::SourceDecl> {
    a.modules.iter().flat_map(|(_, m)| &m.items).find_map(|i| match &i.kind {
        ItemKind::Source(s) if s.name.node == name => Some(s),
        _ => None,
    })
}

fn declared_columns<'a>(a: &'a Analysis, table: &str) -> Vec<&'a ast::ColumnDecl> {
    ast_source(a, table)
        .map(|s| {
            s.entries
                .iter()
                .filter_map(|e| match &e.kind {
                    ast::SourceEntryKind::Column(c) => Some(c),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The columns a source's rows have (a subset's are its parent's), and its named values
/// (a subset's and its parents'), for completion.
pub fn columns_of(a: &Analysis, source: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = declared_columns(a, &a.index.table_of(source))
        .into_iter()
        .map(|c| (c.name.node.clone(), format!("{}{}", c.ty.node, if c.optional { "?" } else { "" })))
        .collect();
    let mut current = Some(source.to_string());
    while let Some(name) = current {
        let Some(s) = ast_source(a, &name) else { break };
        for e in &s.entries {
            if let ast::SourceEntryKind::Let { name, expr } = &e.kind {
                out.push((name.node.clone(), format!("= {}", text_of(a, expr.span))));
            }
        }
        current = s.subset.as_ref().map(|sub| sub.parent.node.clone());
    }
    out
}

fn column(a: &Analysis, table: &str, name: &str) -> Option<String> {
    let c = declared_columns(a, table).into_iter().find(|c| c.name.node == name)?;
    let mut out = format!("column `{name}` of `{table}`: {}", c.ty.node);
    out.push_str(if c.optional { ", may be missing" } else { ", always present" });
    for o in &c.options {
        match &o.kind {
            ast::ColumnOptionKind::Key => out.push_str(", key"),
            ast::ColumnOptionKind::Header(h) => out.push_str(&format!("\n\nheader in the raw file: \"{}\"", h.node)),
            ast::ColumnOptionKind::Format(f) => {
                let what = if c.ty.node == "datetime" { "date-times (local clock times)" } else { "dates" };
                out.push_str(&format!("\n\n{what} written as {}", f.node));
            }
            ast::ColumnOptionKind::Missing(codes) => {
                let codes: Vec<String> = codes.iter().map(|c| format!("\"{}\"", c.node)).collect();
                out.push_str(&format!("\n\nmissing when {}", codes.join(", ")));
            }
            ast::ColumnOptionKind::Map(_) => out.push_str(&format!("\n\n{}", text_of(a, o.span))),
        }
    }
    Some(out)
}

fn source_summary(a: &Analysis, name: &str) -> Option<String> {
    let columns = columns_of(a, name);
    let shown: Vec<String> = columns.iter().map(|(n, t)| format!("`{n}` {t}")).collect();
    Some(format!("columns: {}", shown.join(", ")))
}

fn source(a: &Analysis, name: &str) -> Option<String> {
    let s = ast_source(a, name)?;
    let mut out = format!("source `{name}`");
    if let Some(d) = &s.description {
        out.push_str(&format!(": {}", d.node));
    }
    if let Some(subset) = &s.subset {
        out.push_str(&format!(
            "\n\nthe rows of `{}` {}",
            subset.parent.node,
            text_of(a, s.name.span.to(subset.parent.span))
        ));
    }
    out.push_str(&format!("\n\n{}", source_summary(a, name)?));
    Some(out)
}

fn population(a: &Analysis, name: &str) -> Option<String> {
    let p = a.modules.iter().flat_map(|(_, m)| &m.items).find_map(|i| match &i.kind {
        ItemKind::Population(p) if p.name.node == name => Some(p),
        _ => None,
    })?;
    let mut out = format!("population `{name}`: from `{}`", p.source.node);
    if let Some(f) = &p.filter {
        out.push_str(&format!(" where {}", text_of(a, f.span)));
    }
    Some(out)
}

fn function(name: &str) -> Option<String> {
    let f = Function::parse(name)?;
    Some(format!("```\n{}\n```\n{}", f.usage(), meaning(f)))
}

/// One line on what a function gives.
pub fn meaning(f: Function) -> &'static str {
    match f {
        Function::AddDays => "The date so many calendar days later (earlier when negative).",
        Function::AddMonths => "The date so many months later; the 31st becomes the month's last day.",
        Function::WorkingDays => {
            "Working days from the first date to the second (weekends and the project's holidays left out)."
        }
        Function::Abs => "The number without its sign.",
        Function::Coalesce => "The first value that is not missing.",
        Function::DaysBetween => "Calendar days from the first date to the second (of date-times, their dates).",
        Function::Age => "Whole years from a date of birth to a date.",
        Function::If => "The value when the condition holds, else the other.",
        Function::Switch => "The result paired with the first match of the value, else the default.",
        Function::Band => "The label of the band the value falls in, bands given by their upper bounds.",
        Function::StartsWith => "Does the text begin with the prefix?",
        Function::Date => "The date of a date-time (its day, the time left off).",
        Function::SecondsBetween => "Seconds from the first date-time to the second, on the clock times as written.",
        Function::MinutesBetween => "Minutes from the first date-time to the second (seconds / 60, unrounded).",
        Function::HoursBetween => "Hours from the first date-time to the second (seconds / 3600, unrounded).",
        Function::Greatest => "The largest of the values; missing when any is.",
        Function::Least => "The smallest of the values; missing when any is.",
        Function::DaysInWindow => {
            "The days of the period's window on which a span from start to end is open: from the later of start and the window's first day, up to the end (not counting the end day) or the period's end."
        }
    }
}

/// The measure a byte offset sits in, and the source its rows come from.
pub fn measure_at(a: &Analysis, file: crate::span::FileId, offset: usize) -> Option<(&ast::Measure, Option<String>)> {
    let m = a.module(file)?.measures().find(|m| m.span.start <= offset && offset <= m.close.end)?;
    Some((m, row_source(m)))
}

/// The source a measure counts or aggregates rows of, if it does.
pub fn row_source(m: &ast::Measure) -> Option<String> {
    m.clauses.iter().find_map(|c| match &c.kind {
        ClauseKind::Count { source, .. }
        | ClauseKind::Percent { source, .. }
        | ClauseKind::Ratio { source }
        | ClauseKind::Aggregate { source, .. } => Some(source.node.clone()),
        _ => None,
    })
}
