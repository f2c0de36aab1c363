//! How a date column's cells are written: a pattern of `dd`, `mm` and `yy`/`yyyy`
//! (`dd/mm/yyyy` is common in council exports), or a reporting year that stands for the day
//! it ends (`year ending 31 March`: DfE's `time_period` of `2025` or `202425` is 31 March 2025).

use chrono::{Datelike, NaiveDate};

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateFormat {
    /// A chrono format built from a declared pattern (`%d/%m/%Y`).
    Pattern(String),
    /// A year (`2025`) or a financial year (`202425`, `2024-25`) read as the day it ends.
    YearEnding { month: u32, day: u32 },
}

impl DateFormat {
    /// Reads a declared format; `None` when it is neither a pattern nor `year ending D Month`.
    pub fn parse(declared: &str) -> Option<DateFormat> {
        let lower = declared.trim().to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("year ending ") {
            let (day, month) = rest.trim().split_once(' ')?;
            let day: u32 = day.parse().ok()?;
            let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month.trim()))? as u32 + 1;
            // Every year has the day (29 February would not).
            NaiveDate::from_ymd_opt(2001, month, day)?;
            return Some(DateFormat::YearEnding { month, day });
        }
        valid_pattern(declared).then(|| DateFormat::Pattern(chrono_pattern(declared)))
    }

    /// The date a cell holds, if it is written in this format.
    pub fn read(&self, text: &str) -> Option<NaiveDate> {
        match self {
            DateFormat::Pattern(p) => NaiveDate::parse_from_str(text, p).ok(),
            DateFormat::YearEnding { month, day } => NaiveDate::from_ymd_opt(ending_year(text)?, *month, *day),
        }
    }

    /// The date as a cell in this format (for writing exports in a declared layout).
    pub fn write(&self, date: NaiveDate) -> String {
        match self {
            DateFormat::Pattern(p) => date.format(p).to_string(),
            DateFormat::YearEnding { .. } => date.year().to_string(),
        }
    }
}

/// The year a reporting year ends in: `2025`, or a financial year `202425` / `2024-25` /
/// `2024/25` (whose second year must follow the first).
fn ending_year(text: &str) -> Option<i32> {
    let digits: String = text.chars().filter(|c| !matches!(c, '-' | '/')).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits.len() {
        4 if digits.len() == text.len() => digits.parse().ok(),
        6 => {
            let first: i32 = digits[..4].parse().ok()?;
            let second: i32 = digits[4..].parse().ok()?;
            ((first + 1) % 100 == second).then_some(first + 1)
        }
        _ => None,
    }
}

/// Is `pattern` made of exactly one day, one month and one year (`dd/mm/yyyy`, `yyyy-mm-dd`)?
fn valid_pattern(pattern: &str) -> bool {
    let mut rest = pattern;
    let (mut day, mut month, mut year) = (0, 0, 0);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("yyyy").or_else(|| rest.strip_prefix("yy")) {
            year += 1;
            rest = r;
        } else if let Some(r) = rest.strip_prefix("dd") {
            day += 1;
            rest = r;
        } else if let Some(r) = rest.strip_prefix("mm") {
            month += 1;
            rest = r;
        } else if let Some(r) = rest.strip_prefix(['/', '-', '.', ' ']) {
            rest = r;
        } else {
            return false;
        }
    }
    day == 1 && month == 1 && year == 1
}

/// A declared pattern (`dd/mm/yyyy`) as a chrono format (`%d/%m/%Y`).
fn chrono_pattern(pattern: &str) -> String {
    pattern.replace("yyyy", "%Y").replace("yy", "%y").replace("dd", "%d").replace("mm", "%m")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn patterns() {
        for ok in ["dd/mm/yyyy", "yyyy-mm-dd", "dd.mm.yy", "mm/dd/yyyy"] {
            assert!(DateFormat::parse(ok).is_some(), "{ok}");
        }
        for bad in ["dd/mm/yyy", "dd/mm", "yyyy-mm-dd-dd", "d/m/y", "", "year ending 30 February", "year ending March"]
        {
            assert!(DateFormat::parse(bad).is_none(), "{bad}");
        }
        let f = DateFormat::parse("dd/mm/yyyy").unwrap();
        assert_eq!(f.read("29/02/2012"), Some(d(2012, 2, 29)));
        assert_eq!(f.read("30/02/2012"), None);
        assert_eq!(f.write(d(2013, 4, 1)), "01/04/2013");
    }

    #[test]
    fn reporting_years_are_the_day_they_end() {
        let f = DateFormat::parse("year ending 31 March").unwrap();
        assert_eq!(f, DateFormat::YearEnding { month: 3, day: 31 });
        assert_eq!(f.read("2025"), Some(d(2025, 3, 31)));
        assert_eq!(f.read("202425"), Some(d(2025, 3, 31)));
        assert_eq!(f.read("2024-25"), Some(d(2025, 3, 31)));
        assert_eq!(f.read("2099/00"), Some(d(2100, 3, 31)));
        for bad in ["202426", "25", "2025-03-31", "20x5", "-2025", "2024-2025"] {
            assert_eq!(f.read(bad), None, "{bad}");
        }
        assert_eq!(f.write(d(2025, 3, 31)), "2025");
        assert_eq!(DateFormat::parse("Year Ending 31 august").map(|f| f.read("2020")), Some(Some(d(2020, 8, 31))));
    }
}
