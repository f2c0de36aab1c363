//! Dates: the reporting calendar (periods of a run) and, later, the working-day calendar.

pub mod periods;
pub mod working_days;

pub use periods::{
    add_months, book_periods, month_periods, periods_as_of, year_periods, BookPeriods, DateRange, PeriodKind,
    ReportingPeriod, ReportingYear,
};

/// The months' names, January first, as the rules and date formats write them.
pub const MONTH_NAMES: [&str; 12] = [
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

/// A date as the command line and the Python package take it: `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a date; write it as YYYY-MM-DD"))
}

/// `2013..2025` (or a single year, `2025`): the first and last year the reporting years end in.
pub fn parse_years(s: &str) -> Result<(i32, i32), String> {
    let year = |t: &str| {
        t.trim().parse::<i32>().ok().filter(|y| (1900..=2200).contains(y)).ok_or_else(|| {
            format!("`{s}` is not a range of years; write FIRST..LAST, such as 2013..2025 (the years they end in: 2025 is 2024-25)")
        })
    };
    let (first, last) = match s.split_once("..") {
        Some((a, b)) => (year(a)?, year(b)?),
        None => (year(s)?, year(s)?),
    };
    if first > last {
        return Err(format!("`{s}` runs backwards; write the earlier year first ({last}..{first})"));
    }
    Ok((first, last))
}
