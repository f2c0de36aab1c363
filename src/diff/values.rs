//! What a change did to the numbers: both revisions run over the same data, each measure's
//! own rows (not its breakdowns) compared period by period.

use super::MeasureDiff;
use crate::results::ResultRow;

/// One period whose value, RAG rating or direction of travel differs between the revisions.
#[derive(Clone, Debug, PartialEq)]
pub struct PeriodChange {
    pub period: String,
    pub old: Option<f64>,
    pub new: Option<f64>,
    /// The new value lies outside the old value's own confidence interval.
    pub outside_old_interval: bool,
    pub old_rag: Option<String>,
    pub new_rag: Option<String>,
    pub old_direction: Option<String>,
    pub new_direction: Option<String>,
}

impl PeriodChange {
    pub fn value_changed(&self) -> bool {
        self.old != self.new
    }

    pub fn rag_flipped(&self) -> bool {
        self.old_rag != self.new_rag
    }

    pub fn direction_flipped(&self) -> bool {
        self.old_direction != self.new_direction
    }
}

/// A measure's values in both revisions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueChanges {
    /// How many periods either revision has.
    pub periods: usize,
    /// How the head's book shows the measure's values: places, and `%` for a percentage.
    pub precision: u8,
    pub percent: bool,
    /// The periods where anything differs, in the head's order.
    pub changed: Vec<PeriodChange>,
}

impl ValueChanges {
    /// A value as the book shows it (`66.7%`), or `missing`.
    pub fn shown(&self, v: Option<f64>) -> String {
        match v {
            None => "missing".into(),
            Some(_) => {
                let text = crate::results::display_value(v, self.precision);
                if self.percent {
                    format!("{text}%")
                } else {
                    text
                }
            }
        }
    }

    /// How many periods' values differ.
    pub fn periods_changed(&self) -> usize {
        self.changed.iter().filter(|p| p.value_changed()).count()
    }

    pub fn rag_flips(&self) -> usize {
        self.changed.iter().filter(|p| p.rag_flipped()).count()
    }

    pub fn direction_flips(&self) -> usize {
        self.changed.iter().filter(|p| p.direction_flipped()).count()
    }
}

/// Adds to each measure what its values did, from the two runs' rows (a measure only one
/// revision has: its periods all count as changed).
pub fn compare_values(diffs: &mut [MeasureDiff], old: &[ResultRow], new: &[ResultRow]) {
    for d in diffs.iter_mut() {
        let of = |rows: &[ResultRow]| -> Vec<ResultRow> {
            rows.iter().filter(|r| r.reference == d.reference && r.breakdown.is_none()).cloned().collect()
        };
        let (was, now) = (of(old), of(new));
        let mut labels: Vec<&str> = now.iter().map(|r| r.period_label.as_str()).collect();
        for r in &was {
            if !labels.contains(&r.period_label.as_str()) {
                labels.push(&r.period_label);
            }
        }
        let shown = now.first().or(was.first());
        let mut changes = ValueChanges {
            periods: labels.len(),
            precision: shown.map_or(1, |r| r.precision),
            percent: shown.is_some_and(|r| r.unit == crate::ir::Unit::Percent),
            changed: Vec::new(),
        };
        for label in &labels {
            let a = was.iter().find(|r| r.period_label == *label);
            let b = now.iter().find(|r| r.period_label == *label);
            let value = |r: Option<&ResultRow>| r.and_then(|r| if r.suppressed { None } else { r.value });
            let rag = |r: Option<&ResultRow>| r.and_then(|r| r.rag).map(|x| x.name().to_string());
            let direction = |r: Option<&ResultRow>| r.and_then(|r| r.direction).map(|x| x.name().to_string());
            let (old, new) = (value(a), value(b));
            let outside = match (a, new) {
                (Some(a), Some(n)) => match (a.ci_low, a.ci_high) {
                    (Some(lo), Some(hi)) => n < lo || n > hi,
                    _ => false,
                },
                _ => false,
            };
            let change = PeriodChange {
                period: label.to_string(),
                old,
                new,
                outside_old_interval: outside,
                old_rag: rag(a),
                new_rag: rag(b),
                old_direction: direction(a),
                new_direction: direction(b),
            };
            let present_in_one = a.is_some() != b.is_some();
            if present_in_one || change.value_changed() || change.rag_flipped() || change.direction_flipped() {
                changes.changed.push(change);
            }
        }
        d.values = Some(changes);
    }
}
