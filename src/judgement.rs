//! What judging a measure's value for a period starts from (docs/language.md, "Judgement"): its
//! target (pro-rated for `N per year`), the project's default RAG banding, the names of ratings,
//! directions and judgements, and a RAG rule's value for given figures, with which `check`
//! analyses a measure's rules. A run's ratings themselves are DataFusion expressions, defined
//! once in compile/judge.rs.

use crate::calendar::DateRange;
use crate::ir::{self, BinaryOp, ExprKind, RagColour, RagOperand, Value};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// The figures a RAG rule may compare with; any may be missing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RagInputs {
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub benchmark: Option<f64>,
    pub england: Option<f64>,
    pub previous: Option<f64>,
    /// A funnel unit's label; missing on rows that are no unit.
    pub funnel: Option<crate::funnel::Significance>,
}

/// A value while evaluating a rule: a number, a truth, a text (a funnel label), or missing
/// (SQL's NULL).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Eval<'a> {
    Num(f64),
    Bool(bool),
    Text(&'a str),
    Missing,
}

fn eval<'a>(e: &'a ir::Expr, x: &RagInputs) -> Eval<'a> {
    use Eval::*;
    let num = |v: Option<f64>| v.map_or(Missing, Num);
    match &e.kind {
        ExprKind::Literal(Value::Int(i)) => Num(*i as f64),
        ExprKind::Literal(Value::Decimal(d)) => Num(*d),
        ExprKind::Literal(Value::Bool(b)) => Bool(*b),
        ExprKind::Literal(Value::Text(t)) => Text(t),
        ExprKind::RagOperand(RagOperand::Funnel) => x.funnel.map_or(Missing, |f| Text(f.label())),
        ExprKind::RagOperand(op) => num(match op {
            RagOperand::Value => x.value,
            RagOperand::Target => x.target,
            RagOperand::Benchmark => x.benchmark,
            RagOperand::England => x.england,
            RagOperand::Previous => x.previous,
            RagOperand::Funnel => unreachable!("a text, above"),
        }),
        ExprKind::Not(inner) => match eval(inner, x) {
            Bool(b) => Bool(!b),
            _ => Missing,
        },
        ExprKind::Neg(inner) => match eval(inner, x) {
            Num(n) => Num(-n),
            _ => Missing,
        },
        ExprKind::Call { func: ir::Function::Abs, args } => match eval(&args[0], x) {
            Num(n) => Num(n.abs()),
            _ => Missing,
        },
        ExprKind::Call { func: ir::Function::Coalesce, args } => {
            args.iter().map(|a| eval(a, x)).find(|v| *v != Missing).unwrap_or(Missing)
        }
        ExprKind::IsMissing { expr, negated } => Bool((eval(expr, x) == Missing) != *negated),
        ExprKind::InList { expr, list, negated } => match eval(expr, x) {
            v @ (Num(_) | Text(_)) => {
                let items: Vec<Eval> = list.iter().map(|i| eval(i, x)).collect();
                if items.contains(&v) {
                    Bool(!negated)
                } else if items.contains(&Missing) {
                    Missing
                } else {
                    Bool(*negated)
                }
            }
            _ => Missing,
        },
        ExprKind::Binary { op: BinaryOp::And, left, right } => match (eval(left, x), eval(right, x)) {
            (Bool(false), _) | (_, Bool(false)) => Bool(false),
            (Bool(true), Bool(true)) => Bool(true),
            _ => Missing,
        },
        ExprKind::Binary { op: BinaryOp::Or, left, right } => match (eval(left, x), eval(right, x)) {
            (Bool(true), _) | (_, Bool(true)) => Bool(true),
            (Bool(false), Bool(false)) => Bool(false),
            _ => Missing,
        },
        ExprKind::Binary { op, left, right } => {
            let (a, b) = match (eval(left, x), eval(right, x)) {
                (Num(a), Num(b)) => (a, b),
                (Text(a), Text(b)) => {
                    return match op {
                        BinaryOp::Eq => Bool(a == b),
                        BinaryOp::NotEq => Bool(a != b),
                        _ => Missing,
                    }
                }
                _ => return Missing,
            };
            match op {
                BinaryOp::Eq => Bool(a == b),
                BinaryOp::NotEq => Bool(a != b),
                BinaryOp::Lt => Bool(a < b),
                BinaryOp::LtEq => Bool(a <= b),
                BinaryOp::Gt => Bool(a > b),
                BinaryOp::GtEq => Bool(a >= b),
                BinaryOp::Add => Num(a + b),
                BinaryOp::Sub => Num(a - b),
                BinaryOp::Mul => Num(a * b),
                BinaryOp::Div if b == 0.0 => Missing,
                BinaryOp::Div => Num(a / b),
                BinaryOp::And | BinaryOp::Or => unreachable!("handled above"),
            }
        }
        _ => Missing,
    }
}

/// Is a rule's condition true for these figures? A comparison with a missing figure is not.
pub fn holds(condition: &ir::Expr, inputs: &RagInputs) -> bool {
    eval(condition, inputs) == Eval::Bool(true)
}

/// The number a rule's operand or arithmetic gives, if any (for the checker's analysis).
pub fn number(e: &ir::Expr, inputs: &RagInputs) -> Option<f64> {
    match eval(e, inputs) {
        Eval::Num(n) => Some(n),
        _ => None,
    }
}

/// The first rule that matches wins; `otherwise` matches anything.
pub fn first_match(rules: &[ir::RagRule], inputs: &RagInputs) -> Option<RagColour> {
    rules.iter().find_map(|r| match &r.condition {
        None => Some(r.colour),
        Some(c) => holds(c, inputs).then_some(r.colour),
    })
}

/// The RAG rating used when a measure has a target and no rules of its own:
/// green when the target is met, amber within `amber_within_percent` of it, red beyond.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DefaultRag {
    pub amber_within_percent: f64,
}

impl Default for DefaultRag {
    fn default() -> Self {
        DefaultRag { amber_within_percent: 10.0 }
    }
}

/// Calendar months a range covers, a part month counting as the share of its days covered:
/// April–June is 3; 2013-10-01..2013-10-07 is 7/31.
pub fn months_covered(range: DateRange) -> f64 {
    let mut months = 0.0;
    let mut start = range.start;
    while start <= range.end {
        let month_start = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).expect("a month's first day");
        let next = crate::calendar::add_months(month_start, 1);
        let days_in_month = (next - month_start).num_days() as f64;
        let end = range.end.min(next.pred_opt().expect("a day before"));
        months += ((end - start).num_days() + 1) as f64 / days_in_month;
        start = next;
    }
    months
}

/// The target for a period, as the version in force at its end sets it: the figure, or `N per
/// year` pro-rated over the period's months.
pub fn target_for(measure: &ir::Measure, range: DateRange) -> Option<f64> {
    let t = measure.in_force(range.end).target?;
    if t.per_year {
        Some(t.value * months_covered(range) / 12.0)
    } else {
        Some(t.value)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    Same,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Same => "same",
        }
    }

    pub fn parse(text: &str) -> Option<Direction> {
        [Direction::Up, Direction::Down, Direction::Same].into_iter().find(|d| d.name() == text)
    }

    /// The arrow the book and the terminal table show for it.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::Up => "↑",
            Direction::Down => "↓",
            Direction::Same => "→",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    Improving,
    Worsening,
    NoChange,
    NotComparable,
    /// The previous period was computed with another version of the definition.
    DefinitionChanged,
}

impl Judgement {
    pub fn name(self) -> &'static str {
        match self {
            Judgement::Improving => "improving",
            Judgement::Worsening => "worsening",
            Judgement::NoChange => "no_change",
            Judgement::NotComparable => "not_comparable",
            Judgement::DefinitionChanged => "definition_changed",
        }
    }

    pub fn parse(text: &str) -> Option<Judgement> {
        [
            Judgement::Improving,
            Judgement::Worsening,
            Judgement::NoChange,
            Judgement::NotComparable,
            Judgement::DefinitionChanged,
        ]
        .into_iter()
        .find(|j| j.name() == text)
    }
}

/// A value rounded to its display precision.
pub fn rounded(v: f64, precision: u8) -> f64 {
    let f = 10f64.powi(i32::from(precision));
    (v * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::check_texts;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn range(a: &str, b: &str) -> DateRange {
        DateRange { start: d(a), end: d(b) }
    }

    #[test]
    fn months_covered_counts_part_months_by_days() {
        assert_eq!(months_covered(range("2013-04-01", "2013-04-30")), 1.0);
        assert_eq!(months_covered(range("2013-07-01", "2013-09-30")), 3.0);
        assert_eq!(months_covered(range("2013-04-01", "2013-09-30")), 6.0);
        assert_eq!(months_covered(range("2012-04-01", "2013-03-31")), 12.0);
        assert!((months_covered(range("2013-10-01", "2013-10-07")) - 7.0 / 31.0).abs() < 1e-12);
    }

    fn measure(rules: &str) -> ir::Measure {
        let text = format!(
            "source s {{\n id text key\n d date\n}}\nmeasure m {{\n ref \"1\"\n count s\n in period by d\n{rules}\n}}\n"
        );
        let (_, checked) = check_texts(&[("m.ind", &text)]);
        checked.project.unwrap_or_else(|| panic!("{:?}", checked.diagnostics)).measures.remove(0)
    }

    #[test]
    fn annual_targets_are_pro_rated() {
        let m = measure(" polarity high\n target 700 per year");
        let t = |a, b| target_for(&m, range(a, b)).unwrap();
        assert!((t("2013-09-01", "2013-09-30") - 58.333333333333336).abs() < 1e-9);
        assert_eq!(t("2013-07-01", "2013-09-30"), 175.0);
        assert_eq!(t("2013-04-01", "2013-09-30"), 350.0);
        assert_eq!(t("2012-04-01", "2013-03-31"), 700.0);
        let fixed = measure(" polarity high\n target 90");
        assert_eq!(target_for(&fixed, range("2013-09-01", "2013-09-30")), Some(90.0));
    }

    #[test]
    fn rules_first_match_wins_and_missing_figures_match_nothing() {
        let m = measure(
            " polarity low\n target 10\n rag green when value <= target, amber when value <= target + 5, otherwise red",
        );
        let r =
            |v: Option<f64>| first_match(&m.rag, &RagInputs { value: v, target: Some(10.0), ..RagInputs::default() });
        assert_eq!(r(Some(10.0)), Some(RagColour::Green));
        assert_eq!(r(Some(15.0)), Some(RagColour::Amber));
        assert_eq!(r(Some(15.1)), Some(RagColour::Red));
        // A missing value makes every comparison untrue: `otherwise` catches it.
        assert_eq!(r(None), Some(RagColour::Red));
    }

    #[test]
    fn rules_on_previous_and_benchmarks() {
        let m = measure(" polarity in_line_with_benchmark\n benchmark sn 20, england 30\n rag green when value >= benchmark and value >= previous, amber when abs(value - england) <= 2, otherwise red");
        let r = |v, p| {
            first_match(
                &m.rag,
                &RagInputs {
                    value: Some(v),
                    previous: p,
                    benchmark: Some(20.0),
                    england: Some(30.0),
                    ..RagInputs::default()
                },
            )
        };
        assert_eq!(r(25.0, Some(24.0)), Some(RagColour::Green));
        assert_eq!(r(25.0, Some(26.0)), Some(RagColour::Red));
        assert_eq!(r(28.0, None), Some(RagColour::Amber));
    }
}
