//! The cells of a compiled book: which output column of a plan holds each measure's
//! numerator, denominator and value for each period. Compile names the columns; the engine
//! and the warehouse script find them here by (measure, period, part), never by rebuilding
//! their names.

use std::collections::BTreeMap;

/// One of the figures of a measure's cell: the three every measure has, and the scale a
/// standardised figure's interval is computed with (`compile/intervals.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Numerator,
    Denominator,
    Value,
    Scale,
    /// Beside a funnel's unit, the numerator and denominator of the measure's whole.
    WholeNumerator,
    WholeDenominator,
    /// Beside a rate's funnel unit, the events it would have at the units' average rate
    /// (`compile/intervals.rs`).
    FunnelExpected,
    /// Beside an over-dispersed funnel's unit, its adjusted z-score where the period's units
    /// are over-dispersed (`crate::funnel::overdispersion`).
    FunnelZ,
}

impl Part {
    pub const ALL: [Part; 8] = [
        Part::Numerator,
        Part::Denominator,
        Part::Value,
        Part::Scale,
        Part::WholeNumerator,
        Part::WholeDenominator,
        Part::FunnelExpected,
        Part::FunnelZ,
    ];

    fn suffix(self) -> &'static str {
        match self {
            Part::Numerator => "num",
            Part::Denominator => "den",
            Part::Value => "val",
            Part::Scale => "scale",
            Part::WholeNumerator => "whole_num",
            Part::WholeDenominator => "whole_den",
            Part::FunnelExpected => "funnel_expected",
            Part::FunnelZ => "funnel_z",
        }
    }
}

/// A measure's figure for one period: `measure` indexes the project's measures, `period`
/// the book's periods (`BookPeriods::all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    pub measure: usize,
    pub period: usize,
    pub part: Part,
}

impl Cell {
    pub fn new(measure: usize, period: usize, part: Part) -> Cell {
        Cell { measure, period, part }
    }
}

/// The columns of one plan's cells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cells(BTreeMap<Cell, String>);

impl Cells {
    /// Adds `cell` and returns the name of the column that will hold it.
    pub fn add(&mut self, cell: Cell) -> String {
        let name = format!("m{}_p{}_{}", cell.measure, cell.period, cell.part.suffix());
        self.0.insert(cell, name.clone());
        name
    }

    /// The column holding `cell`, if the plan computes it.
    pub fn column(&self, cell: Cell) -> Option<&str> {
        self.0.get(&cell).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::{Cell, Cells, Part};

    #[test]
    fn each_cell_has_its_own_column_and_only_added_cells_have_one() {
        let mut cells = Cells::default();
        let mut names = Vec::new();
        for measure in [0, 12] {
            for period in [0, 1, 13] {
                for part in Part::ALL {
                    names.push(cells.add(Cell::new(measure, period, part)));
                }
            }
        }
        assert_eq!(cells.len(), 2 * 3 * Part::ALL.len());
        let mut distinct = names.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), names.len(), "{names:?}");
        assert_eq!(cells.column(Cell::new(12, 1, Part::Value)), Some("m12_p1_val"));
        assert_eq!(cells.column(Cell::new(1, 2, Part::Value)), None);
        assert_eq!(cells.column(Cell::new(0, 2, Part::Numerator)), None);
    }
}
