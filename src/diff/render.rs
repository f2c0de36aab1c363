//! A diff written out: for a terminal, as a pull-request comment (Markdown, under GitHub's
//! limit), and as JSON for tools.

use super::{counts, Change, MeasureDiff, Revision};

/// The longest Markdown comment written: GitHub refuses comments over 65,536 characters.
pub const COMMENT_LIMIT: usize = 60_000;

/// `main → working tree`, with the commits.
fn heading(base: &Revision, head: &Revision) -> String {
    let named = |r: &Revision| match &r.commit {
        Some(c) if !r.name.starts_with(&c[..7.min(c.len())]) => format!("{} ({})", r.name, &c[..7.min(c.len())]),
        _ => r.name.clone(),
    };
    format!("{} → {}", named(base), named(head))
}

fn summary(diffs: &[MeasureDiff]) -> String {
    let parts: Vec<String> = counts(diffs).iter().map(|(c, n)| format!("{n} {}", c.name())).collect();
    format!("{} measure{}: {}", diffs.len(), if diffs.len() == 1 { "" } else { "s" }, parts.join(", "))
}

/// What the numbers did, in a few words: `3 of 18 periods change; RAG flips in 1 (2013-09)`.
fn effect(d: &MeasureDiff) -> Option<String> {
    let v = d.values.as_ref()?;
    let mut s = format!("{} of {} periods change", v.periods_changed(), v.periods);
    let flips = |what: &str, n: usize, f: &dyn Fn(&super::PeriodChange) -> bool| {
        let which: Vec<&str> = v.changed.iter().filter(|p| f(p)).map(|p| p.period.as_str()).collect();
        (n > 0).then(|| format!("; {what} flips in {n} ({})", which.join(", ")))
    };
    s.push_str(&flips("RAG", v.rag_flips(), &|p| p.rag_flipped()).unwrap_or_default());
    s.push_str(&flips("direction", v.direction_flips(), &|p| p.direction_flipped()).unwrap_or_default());
    Some(s)
}

/// For a terminal: a line of counts, then each changed measure with what changed.
pub fn to_text(base: &Revision, head: &Revision, diffs: &[MeasureDiff]) -> String {
    let mut out = format!("{}: {}\n", heading(base, head), summary(diffs));
    let width = diffs.iter().map(|d| d.reference.chars().count()).max().unwrap_or(0);
    for d in diffs.iter().filter(|d| d.change != Change::Unchanged) {
        out.push_str(&format!("\n{:width$}  {:10}  {}\n", d.reference, d.change.name(), d.title));
        for w in &d.what {
            out.push_str(&format!("{:width$}  {:10}  {w}\n", "", ""));
        }
        if let Some(e) = effect(d) {
            out.push_str(&format!("{:width$}  {:10}  values: {e}\n", "", ""));
        }
    }
    out
}

/// Text inside a Markdown table cell or list: pipes escaped, code in backticks kept whole.
fn md(text: &str) -> String {
    text.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

/// The pull-request comment, and the whole report when the comment had to leave details out
/// (`None` when it holds everything): a summary table, a table of the changed measures, then
/// each measure's details folded, as many as fit under [`COMMENT_LIMIT`].
pub fn to_markdown(base: &Revision, head: &Revision, diffs: &[MeasureDiff]) -> (String, Option<String>) {
    let with_values = diffs.iter().any(|d| d.values.is_some());
    let mut top = format!("### scorebook diff: {}\n\n{}\n\n", md(&heading(base, head)), summary(diffs));
    top.push_str("| change | measures |\n|---|---:|\n");
    for (c, n) in counts(diffs) {
        top.push_str(&format!("| {} | {n} |\n", c.name()));
    }
    let changed: Vec<&MeasureDiff> = diffs.iter().filter(|d| d.change != Change::Unchanged).collect();
    if !changed.is_empty() {
        top.push_str(if with_values {
            "\n| ref | measure | change | periods changed | RAG flips | direction flips |\n|---|---|---|---:|---:|---:|\n"
        } else {
            "\n| ref | measure | change |\n|---|---|---|\n"
        });
        for d in &changed {
            let mut row = format!("| {} | {} | {} |", md(&d.reference), md(&d.title), d.change.name());
            if with_values {
                let v = d.values.clone().unwrap_or_default();
                row.push_str(&format!(" {} | {} | {} |", v.periods_changed(), v.rag_flips(), v.direction_flips()));
            }
            top.push_str(&row);
            top.push('\n');
        }
    }
    let details: Vec<String> = changed.iter().filter_map(|d| details(d)).collect();
    let whole = format!("{top}{}", details.concat());
    if whole.chars().count() <= COMMENT_LIMIT {
        return (whole, None);
    }
    // As many details as fit, leaving room for the note that says where the rest is.
    let note_room = 200;
    let mut comment = top.clone();
    let mut shown = 0;
    for d in &details {
        if comment.chars().count() + d.chars().count() + note_room > COMMENT_LIMIT {
            break;
        }
        comment.push_str(d);
        shown += 1;
    }
    if comment.chars().count() + note_room > COMMENT_LIMIT {
        // Even the tables are too long: cut at a line.
        let mut cut = String::new();
        for line in comment.lines() {
            if cut.chars().count() + line.chars().count() + note_room > COMMENT_LIMIT {
                break;
            }
            cut.push_str(line);
            cut.push('\n');
        }
        comment = cut;
    }
    comment.push_str(&format!(
        "\n_The details of {} more measure{} did not fit in a comment: the whole report is in the file `--out` named._\n",
        details.len() - shown,
        if details.len() - shown == 1 { "" } else { "s" }
    ));
    (comment, Some(whole))
}

/// One measure's details, folded: what changed, and the periods whose numbers changed.
fn details(d: &MeasureDiff) -> Option<String> {
    let periods = d.values.as_ref().map_or(&[][..], |v| v.changed.as_slice());
    if d.what.is_empty() && periods.is_empty() {
        return None;
    }
    let mut s =
        format!("\n<details><summary>{} {} ({})</summary>\n\n", md(&d.reference), md(&d.title), d.change.name());
    for w in &d.what {
        s.push_str(&format!("- {}\n", md(w)));
    }
    if let Some(e) = effect(d) {
        s.push_str(&format!("\n{e}\n"));
    }
    if !periods.is_empty() {
        s.push_str(
            "\n| period | old | new | outside the old interval | RAG | direction |\n|---|---:|---:|---|---|---|\n",
        );
        let pair = |a: &Option<String>, b: &Option<String>| {
            let show = |x: &Option<String>| x.clone().unwrap_or_else(|| "none".into());
            if a == b {
                a.clone().unwrap_or_default()
            } else {
                format!("{} → {}", show(a), show(b))
            }
        };
        let v = d.values.clone().unwrap_or_default();
        for p in periods {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                p.period,
                v.shown(p.old),
                v.shown(p.new),
                if p.outside_old_interval { "yes" } else { "" },
                pair(&p.old_rag, &p.new_rag),
                pair(&p.old_direction, &p.new_direction)
            ));
        }
    }
    s.push_str("\n</details>\n");
    Some(s)
}

/// For tools: `{"base", "head", "measures": [{"ref", "title", "change", "what",
/// "periods_changed", "rag_flips", "direction_flips", "periods"}]}`; the value counts are null
/// without data.
pub fn to_json(base: &Revision, head: &Revision, diffs: &[MeasureDiff]) -> String {
    use serde_json::{json, Value};
    let revision = |r: &Revision| json!({ "revision": r.name, "commit": r.commit });
    let measures: Vec<Value> = diffs
        .iter()
        .map(|d| {
            let v = d.values.as_ref();
            let periods: Option<Vec<Value>> = v.map(|v| {
                v.changed
                    .iter()
                    .map(|p| {
                        json!({
                            "period": p.period,
                            "old": p.old,
                            "new": p.new,
                            "outside_old_interval": p.outside_old_interval,
                            "old_rag": p.old_rag,
                            "new_rag": p.new_rag,
                            "old_direction": p.old_direction,
                            "new_direction": p.new_direction,
                        })
                    })
                    .collect()
            });
            json!({
                "ref": d.reference,
                "title": d.title,
                "change": d.change.name(),
                "what": d.what,
                "periods_changed": v.map(|v| v.periods_changed()),
                "rag_flips": v.map(|v| v.rag_flips()),
                "direction_flips": v.map(|v| v.direction_flips()),
                "periods": periods,
            })
        })
        .collect();
    let mut doc = json!({ "base": revision(base), "head": revision(head), "measures": measures });
    // Keys in one order whatever the build (a Ballista build keeps insertion order).
    doc.sort_all_objects();
    let mut text = serde_json::to_string_pretty(&doc).expect("a diff serialises");
    text.push('\n');
    text
}
