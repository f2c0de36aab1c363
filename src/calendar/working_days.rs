//! The working-day calendar: Monday to Friday less a list of holidays. Plans read it as a
//! table (date → working-day index), never through a Rust function, so they stay portable.
//!
//! `index(d)` counts the working days on or before `d` (from the table's first day), so
//! `working_days(a, b) = index(b) - index(a)`: the working days d with a < d <= b, and
//! negative when b < a.

use chrono::{Datelike, NaiveDate, Weekday};
use std::collections::BTreeSet;
use std::path::Path;

/// The England & Wales bank holidays shipped with scorebook (2010–2027).
pub const ENGLAND_AND_WALES: &str = include_str!("bank-holidays-england-and-wales.csv");

/// First and last day of the calendar table. Dates outside it have no index, so a
/// `working_days` comparison with them is not true.
pub const FIRST_DAY: (i32, u32, u32) = (1950, 1, 1);
pub const LAST_DAY: (i32, u32, u32) = (2100, 12, 31);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolidayList {
    pub name: String,
    pub days: BTreeSet<NaiveDate>,
}

#[derive(Debug, thiserror::Error)]
pub enum HolidayError {
    #[error("{file}: line {line}: `{value}` is not a date (expected YYYY-MM-DD in the first column)")]
    BadDate { file: String, line: usize, value: String },
    #[error("{file}: {source}")]
    Io { file: String, source: std::io::Error },
}

impl HolidayList {
    /// Parses a CSV whose first column is a date (`date,title` with a header row).
    pub fn parse(name: &str, text: &str) -> Result<HolidayList, HolidayError> {
        let mut days = BTreeSet::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_start_matches('\u{feff}').trim();
            let first = line.split(',').next().unwrap_or("").trim().trim_matches('"');
            if line.is_empty() || (i == 0 && NaiveDate::parse_from_str(first, "%Y-%m-%d").is_err()) {
                continue; // blank lines and the header
            }
            let day = NaiveDate::parse_from_str(first, "%Y-%m-%d").map_err(|_| HolidayError::BadDate {
                file: name.to_string(),
                line: i + 1,
                value: first.to_string(),
            })?;
            days.insert(day);
        }
        Ok(HolidayList { name: name.to_string(), days })
    }

    pub fn england_and_wales() -> HolidayList {
        HolidayList::parse("england_and_wales", ENGLAND_AND_WALES).expect("the shipped holiday list parses")
    }

    pub fn from_file(path: &Path) -> Result<HolidayList, HolidayError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| HolidayError::Io { file: path.display().to_string(), source: e })?;
        HolidayList::parse(&path.display().to_string(), &text)
    }

    pub fn none() -> HolidayList {
        HolidayList { name: "none".into(), days: BTreeSet::new() }
    }

    /// The calendar years the list covers (from its first to its last holiday's year).
    pub fn covered_years(&self) -> Option<(i32, i32)> {
        Some((self.days.first()?.year(), self.days.last()?.year()))
    }
}

pub fn is_working_day(d: NaiveDate, holidays: &HolidayList) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.days.contains(&d)
}

/// Every day of the calendar table with its working-day index.
pub fn calendar_days(holidays: &HolidayList) -> (Vec<NaiveDate>, Vec<i64>) {
    let first = NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).expect("first day");
    let last = NaiveDate::from_ymd_opt(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2).expect("last day");
    let mut dates = Vec::new();
    let mut index = Vec::new();
    let mut count = 0i64;
    let mut d = first;
    while d <= last {
        if is_working_day(d, holidays) {
            count += 1;
        }
        dates.push(d);
        index.push(count);
        d = d.succ_opt().expect("within chrono's range");
    }
    (dates, index)
}

/// The working-day index of a day, as the calendar table gives it: the working days from the
/// table's first day up to and including it. Plans use it for dates known when compiling.
pub fn working_day_index(d: NaiveDate, holidays: &HolidayList) -> i64 {
    let first = NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).expect("first day");
    if d < first {
        return 0;
    }
    working_days_between(first, d, holidays) + i64::from(is_working_day(first, holidays))
}

/// `working_days(a, b)` computed directly, for tests and independent checks.
pub fn working_days_between(a: NaiveDate, b: NaiveDate, holidays: &HolidayList) -> i64 {
    let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
    let mut n = 0;
    let mut d = lo;
    while d < hi {
        d = d.succ_opt().expect("within chrono's range");
        if is_working_day(d, holidays) {
            n += 1;
        }
    }
    sign * n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn shipped_list_covers_2010_to_2027() {
        let h = HolidayList::england_and_wales();
        assert_eq!(h.covered_years(), Some((2010, 2027)));
        assert!(h.days.contains(&d("2013-08-26")));
        assert!(h.days.contains(&d("2022-09-19")), "the State Funeral");
    }

    #[test]
    fn working_days_follow_the_definition() {
        let h = HolidayList::england_and_wales();
        assert_eq!(working_days_between(d("2013-09-02"), d("2013-09-02"), &h), 0);
        // Friday to Monday is one working day.
        assert_eq!(working_days_between(d("2013-09-06"), d("2013-09-09"), &h), 1);
        // Friday before the bank-holiday Monday 2013-08-26: Tuesday is the first working day.
        assert_eq!(working_days_between(d("2013-08-23"), d("2013-08-27"), &h), 1);
        assert_eq!(working_days_between(d("2013-08-23"), d("2013-09-06"), &h), 9);
        assert_eq!(working_days_between(d("2013-09-06"), d("2013-08-23"), &h), -9);
    }

    #[test]
    fn index_differences_equal_working_days() {
        let h = HolidayList::england_and_wales();
        let (dates, index) = calendar_days(&h);
        let pos = |x: NaiveDate| (x - dates[0]).num_days() as usize;
        for (a, b) in [("2013-08-23", "2013-09-10"), ("2012-12-21", "2013-01-07"), ("2013-03-28", "2013-03-27")] {
            let (a, b) = (d(a), d(b));
            assert_eq!(index[pos(b)] - index[pos(a)], working_days_between(a, b, &h), "{a} {b}");
            assert_eq!(working_day_index(b, &h), index[pos(b)], "{b}");
        }
    }

    #[test]
    fn bad_holiday_file_names_the_line() {
        let err = HolidayList::parse("h.csv", "date,title\n2013-01-01,x\n2013-13-01,y\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "h.csv: line 3: `2013-13-01` is not a date (expected YYYY-MM-DD in the first column)"
        );
    }
}
