//! What the rates of a book divide by: a population's total, its figures in a standard's bands
//! (a directly standardised rate), or the events expected in it at a reference's rates (an
//! indirectly standardised figure); each read once however many measures read it.

use super::{expected, population, CompileError, PlanInputs};
use datafusion::logical_expr::LogicalPlan;

/// A population a book reads: its total, its figures in a standard's bands, or the events
/// expected in it at a reference's rates.
pub struct Wanted<'a> {
    pub name: &'a str,
    pub reading: Reading<'a>,
}

/// How a rate reads its population.
#[derive(Clone, Copy)]
pub enum Reading<'a> {
    Total,
    Banded(&'a crate::ir::Standardisation),
    /// At the rates of this reference ([`super::expected`]).
    Expected(&'a str),
}

impl Wanted<'_> {
    /// Its plan: one row, or one per area when `by_area`.
    pub fn plan(&self, inputs: &PlanInputs<'_>, by_area: bool) -> Result<LogicalPlan, CompileError> {
        match self.reading {
            Reading::Total => population::build(inputs, self.name, by_area, None),
            Reading::Banded(st) => population::build(inputs, self.name, by_area, Some(st)),
            Reading::Expected(reference) if by_area => expected::plan_by_area(inputs, self.name, reference),
            Reading::Expected(reference) => expected::plan(inputs, self.name, reference),
        }
    }

    /// The alias of [`Wanted::plan`].
    pub fn alias(&self, by_area: bool) -> String {
        match (self.reading, by_area) {
            (Reading::Banded(st), _) => population::banded_alias(self.name, &st.standard, by_area),
            (Reading::Expected(reference), true) => expected::area_alias(self.name, reference),
            (Reading::Expected(reference), false) => expected::alias(self.name, reference),
            (Reading::Total, true) => population::area_alias(self.name),
            (Reading::Total, false) => population::alias(self.name),
        }
    }

    /// Can it be read per area, for a breakdown by area?
    pub fn by_area(&self, inputs: &PlanInputs<'_>) -> bool {
        population::has_areas(inputs, self.name)
    }

    fn key(&self) -> (&str, u8, &str) {
        match self.reading {
            Reading::Total => (self.name, 0, ""),
            Reading::Banded(st) => (self.name, 1, st.standard.as_str()),
            Reading::Expected(reference) => (self.name, 2, reference),
        }
    }
}

impl<'a> Wanted<'a> {
    /// What measure `m` divides by, if it is a rate.
    fn of(m: &'a crate::ir::Measure) -> Option<Wanted<'a>> {
        let crate::ir::Definition::Rate { population, standardised, .. } = &m.definition else { return None };
        let reading = match standardised {
            None => Reading::Total,
            Some(crate::ir::Standardised::Direct(st)) => Reading::Banded(st),
            Some(crate::ir::Standardised::Indirect(x)) => Reading::Expected(x.reference.as_str()),
        };
        Some(Wanted { name: population.as_str(), reading })
    }

    /// The measures of `measures` that divide by it.
    pub fn readers(&self, project: &crate::ir::Project, measures: &[usize]) -> Vec<usize> {
        let key = self.key();
        measures
            .iter()
            .copied()
            .filter(|&i| project.measures[i].every_version().any(|m| Wanted::of(m).is_some_and(|w| w.key() == key)))
            .collect()
    }
}

/// The populations the rates of `measures` read (in any version), each (and each reading)
/// once, in name order.
pub fn wanted<'a>(project: &'a crate::ir::Project, measures: &[usize]) -> Vec<Wanted<'a>> {
    let mut out: Vec<Wanted<'a>> = Vec::new();
    let versions = measures.iter().flat_map(|&i| project.measures[i].every_version());
    for new in versions.filter_map(Wanted::of) {
        if !out.iter().any(|w| w.key() == new.key()) {
            out.push(new);
        }
    }
    out.sort_by(|a, b| a.key().cmp(&b.key()));
    out
}
