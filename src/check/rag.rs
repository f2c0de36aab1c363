//! RAG rules against the measure's polarity: do they give every value a band, and do they
//! never rate a worse value better? Answered by evaluating the rules over the values where
//! their comparisons change (every threshold, just above and below it) and a wide grid.

use crate::diagnostics::{Code, Diagnostic};
use crate::funnel::Significance;
use crate::ir::{self, ExprKind, Polarity, RagColour, RagOperand};
use crate::judgement::{first_match, number, RagInputs};
use crate::span::Span;

/// The figures of one trial: every operand present.
#[derive(Clone, Copy)]
struct Env {
    value: f64,
    target: f64,
    benchmark: f64,
    england: f64,
    previous: f64,
    funnel: Option<Significance>,
}

impl Env {
    fn inputs(&self) -> RagInputs {
        RagInputs {
            value: Some(self.value),
            target: Some(self.target),
            benchmark: Some(self.benchmark),
            england: Some(self.england),
            previous: Some(self.previous),
            funnel: self.funnel,
        }
    }
}

fn mentions_funnel(e: &ir::Expr) -> bool {
    e.any(&|x| matches!(x.kind, ExprKind::RagOperand(RagOperand::Funnel)))
}

/// Texts that a rule compares the funnel label with and that are no label: the first, if any.
fn unknown_label(e: &ir::Expr) -> Option<(&str, Span)> {
    fn text(x: &ir::Expr) -> Option<(&str, Span)> {
        match &x.kind {
            ExprKind::Literal(ir::Value::Text(t)) if Significance::parse(t).is_none() => Some((t.as_str(), x.span)),
            _ => None,
        }
    }
    let found = match &e.kind {
        ExprKind::Binary { left, right, .. } if mentions_funnel(left) || mentions_funnel(right) => {
            text(left).or_else(|| text(right))
        }
        ExprKind::InList { expr, list, .. } if mentions_funnel(expr) => list.iter().find_map(text),
        _ => None,
    };
    found.or_else(|| match &e.kind {
        ExprKind::Binary { left, right, .. } => unknown_label(left).or_else(|| unknown_label(right)),
        ExprKind::Not(x) => unknown_label(x),
        _ => None,
    })
}

fn eval_number(e: &ir::Expr, env: &Env) -> Option<f64> {
    number(e, &env.inputs())
}

fn mentions_value(e: &ir::Expr) -> bool {
    e.any(&|x| matches!(x.kind, ExprKind::RagOperand(RagOperand::Value)))
}

/// Sides of comparisons that do not involve `value`: where the rules can change colour.
fn thresholds(e: &ir::Expr, env: &Env, out: &mut Vec<f64>) {
    match &e.kind {
        ExprKind::Binary { op, left, right } => {
            if op.is_comparison() {
                for (side, other) in [(left, right), (right, left)] {
                    if mentions_value(other) && !mentions_value(side) {
                        if let Some(t) = eval_number(side, env) {
                            out.push(t);
                        }
                    }
                }
                // `abs(value - target) <= 5`: the thresholds sit either side of target.
                if let (Some(t), true) = (eval_number(right, env), mentions_value(left)) {
                    out.extend([env.target - t, env.target + t, env.benchmark - t, env.benchmark + t]);
                }
            }
            thresholds(left, env, out);
            thresholds(right, env, out);
        }
        ExprKind::Not(x) | ExprKind::Neg(x) => thresholds(x, env, out),
        ExprKind::InList { list, .. } => {
            for item in list {
                if let Some(t) = eval_number(item, env) {
                    out.push(t);
                }
            }
        }
        _ => {}
    }
}

fn colour_of(rules: &[ir::RagRule], env: &Env) -> Option<RagColour> {
    first_match(rules, &env.inputs())
}

fn rank(c: RagColour) -> u8 {
    match c {
        RagColour::Red => 0,
        RagColour::Amber => 1,
        RagColour::Green => 2,
    }
}

fn show(v: f64) -> String {
    let rounded = (v * 1e4).round() / 1e4;
    if rounded == rounded.trunc() {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

/// The first problem with a measure's RAG rules, if any.
pub(super) fn analyse(
    rules: &[ir::RagRule],
    polarity: Polarity,
    target: Option<&ir::Target>,
    b: &ir::Benchmarks,
    span: Span,
) -> Option<Diagnostic> {
    if rules.is_empty() {
        return None;
    }
    let conditions = || rules.iter().filter_map(|r| r.condition.as_ref());
    if let Some((text, at)) = conditions().find_map(unknown_label) {
        let labels: Vec<String> = Significance::ALL.iter().map(|s| format!("\"{}\"", s.label())).collect();
        return Some(
            Diagnostic::new(Code::FunnelLabel, at, format!("\"{text}\" is no funnel label"))
                .label("not a label")
                .help(format!("a funnel unit's label is one of {}", labels.join(", "))),
        );
    }
    // Rules that read the funnel label are tried with each label; others without one.
    let funnels: Vec<Option<Significance>> =
        if conditions().any(mentions_funnel) { Significance::ALL.map(Some).to_vec() } else { vec![None] };
    let t = target.map_or(10.0, |t| t.value);
    let bench = b.sn.unwrap_or(t);
    let mut envs = Vec::new();
    for funnel in funnels {
        envs.extend([
            Env { value: 0.0, target: t, benchmark: bench, england: b.england.unwrap_or(bench), previous: t, funnel },
            Env {
                value: 0.0,
                target: t,
                benchmark: bench * 1.5 + 1.0,
                england: bench * 0.5,
                previous: t * 0.5 + 1.0,
                funnel,
            },
        ]);
    }
    for base in envs {
        let mut points = Vec::new();
        for r in rules {
            if let Some(c) = &r.condition {
                thresholds(c, &base, &mut points);
            }
        }
        points.extend([t, bench, base.previous]);
        let lo = points.iter().copied().fold(0.0f64, f64::min) - 10.0;
        let hi = points.iter().copied().fold(100.0f64, f64::max) + 10.0;
        let mut values: Vec<f64> = Vec::new();
        for p in &points {
            values.extend([*p - 1e-6, *p, *p + 1e-6, *p - 0.5, *p + 0.5]);
        }
        let steps = 400;
        values.extend((0..=steps).map(|i| lo + (hi - lo) * i as f64 / steps as f64));
        values.extend([lo * 10.0 - 1e6, hi * 10.0 + 1e6]);
        values.retain(|v| v.is_finite());
        values.sort_by(f64::total_cmp);
        values.dedup();

        let coloured: Vec<(f64, Option<RagColour>)> =
            values.iter().map(|&v| (v, colour_of(rules, &Env { value: v, ..base }))).collect();
        if let Some((v, _)) = coloured.iter().find(|(_, c)| c.is_none()) {
            let mut with_target = target.map(|_| format!(" (with target {})", show(t))).unwrap_or_default();
            if let Some(f) = base.funnel {
                with_target.push_str(&format!(" and funnel \"{}\"", f.label()));
            }
            return Some(
                Diagnostic::new(
                    Code::RagGap,
                    span,
                    format!("no RAG rule matches a value of {}{with_target}", show(*v)),
                )
                .label("rules leave a gap")
                .help("end the rules with `otherwise COLOUR`, or make the comparisons meet (`>=` beside `<`)"),
            );
        }
        let direction = match polarity {
            Polarity::High => 1,
            Polarity::Low => -1,
            _ => continue,
        };
        // With polarity high, colour must never get worse as the value rises.
        let mut best: Option<(f64, RagColour)> = None;
        let ordered: Vec<_> = if direction == 1 { coloured.clone() } else { coloured.iter().rev().cloned().collect() };
        for (j, &(v, c)) in ordered.iter().enumerate() {
            let c = c.expect("gaps are reported above");
            if let Some((bv, bc)) = best {
                if rank(c) < rank(bc) {
                    // Show a worse value a little away from the better one, so the two differ
                    // when rounded for the message.
                    let shown = ordered[j..]
                        .iter()
                        .take_while(|(_, k)| *k == Some(c))
                        .map(|(w, _)| *w)
                        .find(|w| (w - bv).abs() >= 0.5)
                        .unwrap_or(v);
                    let word = if direction == 1 { "higher" } else { "lower" };
                    return Some(
                        Diagnostic::new(
                            Code::RagContradictsPolarity,
                            span,
                            format!(
                                "with polarity {}, a value of {} is {} but a {word} value of {} is {}",
                                if direction == 1 { "high" } else { "low" },
                                show(bv),
                                bc.name(),
                                show(shown),
                                c.name()
                            ),
                        )
                        .label("rules contradict the polarity")
                        .help(if direction == 1 {
                            "for polarity high, better colours go to higher values (`green when value >= target`)"
                        } else {
                            "for polarity low, better colours go to lower values (`green when value <= target`)"
                        }),
                    );
                }
                if rank(c) == rank(bc) {
                    best = Some((v, c));
                }
            }
            if best.is_none_or(|(_, bc)| rank(c) > rank(bc)) {
                best = Some((v, c));
            }
        }
    }
    None
}
