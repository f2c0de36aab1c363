//! The reporting calendar: from an as-of date to the periods of the
//! book (last year, months, quarters, year to date), each with its previous period.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    Year,
    Month,
    Quarter,
    Ytd,
}

impl PeriodKind {
    pub fn name(self) -> &'static str {
        match self {
            PeriodKind::Year => "year",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Ytd => "ytd",
        }
    }

    /// The short heading of a period of this kind labelled `label`, as the seed's book heads
    /// its columns: `yr end 2012-13`, `Sep 13`, `Q2`, `YTD`.
    pub fn column_label(self, label: &str) -> String {
        match self {
            PeriodKind::Year => format!("yr end {}", label),
            PeriodKind::Month => {
                let month = label.get(5..7).and_then(|m| m.parse::<u32>().ok()).unwrap_or(1);
                let name = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                    [(month as usize).saturating_sub(1) % 12];
                format!("{name} {}", label.get(2..4).unwrap_or(""))
            }
            PeriodKind::Quarter => label.rsplit(' ').next().unwrap_or(label).to_string(),
            PeriodKind::Ytd => "YTD".into(),
        }
    }
}

/// A closed range of days `[start, end]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportingPeriod {
    pub kind: PeriodKind,
    pub label: String,
    pub range: DateRange,
    /// The period this one is compared with for direction of travel.
    pub previous: DateRange,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("calendar arithmetic stays on real days")
}

/// `add_months(d, n)`: calendar months, clamped to the last day of the month
/// (2012-02-29 + 12 months = 2013-02-28).
pub fn add_months(d: NaiveDate, n: i32) -> NaiveDate {
    let moved = if n >= 0 {
        d.checked_add_months(Months::new(n as u32))
    } else {
        d.checked_sub_months(Months::new(n.unsigned_abs()))
    };
    moved.unwrap_or(d)
}

/// The calendar year in which the financial year holding `d` starts.
pub fn fy_start_year(d: NaiveDate) -> i32 {
    if d.month() >= 4 {
        d.year()
    } else {
        d.year() - 1
    }
}

pub fn fy_start(d: NaiveDate) -> NaiveDate {
    ymd(fy_start_year(d), 4, 1)
}

/// `2013-14` for the financial year starting in April 2013.
pub fn fy_label(start_year: i32) -> String {
    format!("{}-{:02}", start_year, (start_year + 1).rem_euclid(100))
}

fn last_day_of_month(y: i32, m: u32) -> NaiveDate {
    add_months(ymd(y, m, 1), 1).pred_opt().expect("a month has a last day")
}

fn fy_range(start_year: i32) -> DateRange {
    DateRange { start: ymd(start_year, 4, 1), end: ymd(start_year + 1, 3, 31) }
}

/// Every period of a run as of `as_of`, in the order of the result table: the year, the
/// months in order, the quarters in order, then the year to date.
pub fn periods_as_of(as_of: NaiveDate) -> Vec<ReportingPeriod> {
    let fy = fy_start_year(as_of);
    let mut out = vec![ReportingPeriod {
        kind: PeriodKind::Year,
        label: fy_label(fy - 1),
        range: fy_range(fy - 1),
        previous: fy_range(fy - 2),
    }];
    let mut month_start = ymd(fy, 4, 1);
    while month_start <= as_of {
        let full_end = last_day_of_month(month_start.year(), month_start.month());
        let prev_start = add_months(month_start, -1);
        out.push(ReportingPeriod {
            kind: PeriodKind::Month,
            label: format!("{}-{:02}", month_start.year(), month_start.month()),
            range: DateRange { start: month_start, end: full_end.min(as_of) },
            previous: DateRange { start: prev_start, end: month_start.pred_opt().expect("day before") },
        });
        month_start = add_months(month_start, 1);
    }
    for q in 0..4u32 {
        let start = add_months(ymd(fy, 4, 1), 3 * q as i32);
        if start > as_of {
            break;
        }
        let full_end = add_months(start, 3).pred_opt().expect("day before");
        out.push(ReportingPeriod {
            kind: PeriodKind::Quarter,
            label: format!("{} Q{}", fy_label(fy), q + 1),
            range: DateRange { start, end: full_end.min(as_of) },
            previous: DateRange { start: add_months(start, -3), end: start.pred_opt().expect("day before") },
        });
    }
    out.push(ReportingPeriod {
        kind: PeriodKind::Ytd,
        label: format!("{} YTD", fy_label(fy)),
        range: DateRange { start: ymd(fy, 4, 1), end: as_of },
        previous: DateRange { start: ymd(fy - 1, 4, 1), end: add_months(as_of, -12) },
    });
    out
}

/// The periods a run computes: the reported ones, then any previous period that is not
/// itself reported (March for April, last year's span for the year to date).
#[derive(Clone, Debug)]
pub struct BookPeriods {
    pub all: Vec<ReportingPeriod>,
    /// How many of `all`, from the start, are reported.
    pub reported: usize,
    /// For each reported period, the index in `all` of its previous period.
    pub previous: Vec<usize>,
}

pub fn book_periods(as_of: NaiveDate) -> BookPeriods {
    with_previous(periods_as_of(as_of))
}

/// Whole financial years, one period each, for a run over many years (published LA-year
/// tables, trends): `first` and `last` are the years they end in (`2025` is 2024-25).
pub fn year_periods(first: i32, last: i32) -> BookPeriods {
    let years = (first.min(last)..=first.max(last))
        .map(|end_year| ReportingPeriod {
            kind: PeriodKind::Year,
            label: fy_label(end_year - 1),
            range: fy_range(end_year - 1),
            previous: fy_range(end_year - 2),
        })
        .collect();
    with_previous(years)
}

/// The last `n` months ending with the as-of date's month (that one cut at the as-of date),
/// one period each, for SPC charts.
pub fn month_periods(as_of: NaiveDate, n: u32) -> BookPeriods {
    let this_month = ymd(as_of.year(), as_of.month(), 1);
    let months = (0..n.max(1) as i32)
        .rev()
        .map(|back| {
            let start = add_months(this_month, -back);
            let end = last_day_of_month(start.year(), start.month()).min(as_of);
            ReportingPeriod {
                kind: PeriodKind::Month,
                label: format!("{}-{:02}", start.year(), start.month()),
                range: DateRange { start, end },
                previous: DateRange { start: add_months(start, -1), end: start.pred_opt().expect("day before") },
            }
        })
        .collect();
    with_previous(months)
}

/// The reported periods, then each previous period that is not itself reported.
fn with_previous(mut all: Vec<ReportingPeriod>) -> BookPeriods {
    let reported = all.len();
    let mut previous = Vec::with_capacity(reported);
    for i in 0..reported {
        let wanted = all[i].previous;
        let j = match all.iter().position(|p| p.range == wanted) {
            Some(j) => j,
            None => {
                let hidden = ReportingPeriod {
                    kind: all[i].kind,
                    label: format!("before {}", all[i].label),
                    range: wanted,
                    previous: wanted,
                };
                all.push(hidden);
                all.len() - 1
            }
        };
        previous.push(j);
    }
    BookPeriods { all, reported, previous }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn month_periods_end_with_the_as_of_month_cut_at_the_as_of_date() {
        let b = month_periods(d("2014-03-15"), 24);
        assert_eq!(b.reported, 24);
        assert_eq!(b.all[0].label, "2012-04");
        assert_eq!(b.all[0].range, DateRange { start: d("2012-04-01"), end: d("2012-04-30") });
        assert_eq!(b.all[23].range, DateRange { start: d("2014-03-01"), end: d("2014-03-15") });
        assert_eq!(b.all[24].label, "before 2012-04", "March 2012, for April's direction of travel");
        assert_eq!(b.previous[1], 0);
    }

    #[test]
    fn year_periods_end_in_march_and_compare_with_the_year_before() {
        let b = year_periods(2025, 2023);
        let labels: Vec<&str> = b.all.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2022-23", "2023-24", "2024-25", "before 2022-23"]);
        assert_eq!(b.reported, 3);
        assert_eq!(b.previous, [3, 0, 1]);
        assert_eq!(b.all[2].range, DateRange { start: d("2024-04-01"), end: d("2025-03-31") });
        assert_eq!(b.all[3].range, DateRange { start: d("2021-04-01"), end: d("2022-03-31") });
    }

    #[test]
    fn periods_as_of_end_of_september() {
        let p = periods_as_of(d("2013-09-30"));
        let labels: Vec<_> = p.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "2012-13",
                "2013-04",
                "2013-05",
                "2013-06",
                "2013-07",
                "2013-08",
                "2013-09",
                "2013-14 Q1",
                "2013-14 Q2",
                "2013-14 YTD"
            ]
        );
        assert_eq!(p[0].range, DateRange { start: d("2012-04-01"), end: d("2013-03-31") });
        assert_eq!(p[0].previous.start, d("2011-04-01"));
        // April's previous period is March of the previous financial year.
        assert_eq!(p[1].previous, DateRange { start: d("2013-03-01"), end: d("2013-03-31") });
        assert_eq!(p[7].previous, DateRange { start: d("2013-01-01"), end: d("2013-03-31") });
        assert_eq!(p[9].previous, DateRange { start: d("2012-04-01"), end: d("2012-09-30") });
    }

    #[test]
    fn last_month_and_quarter_end_at_as_of() {
        let p = periods_as_of(d("2013-10-07"));
        let oct = p.iter().find(|p| p.label == "2013-10").unwrap();
        assert_eq!(oct.range.end, d("2013-10-07"));
        assert_eq!(oct.previous, DateRange { start: d("2013-09-01"), end: d("2013-09-30") });
        let q3 = p.iter().find(|p| p.label == "2013-14 Q3").unwrap();
        assert_eq!(q3.range, DateRange { start: d("2013-10-01"), end: d("2013-10-07") });
    }

    #[test]
    fn as_of_in_january_belongs_to_the_previous_calendar_years_fy() {
        let p = periods_as_of(d("2014-01-15"));
        assert_eq!(p[0].label, "2012-13");
        assert_eq!(p.iter().filter(|p| p.kind == PeriodKind::Month).count(), 10);
        assert_eq!(p.last().unwrap().label, "2013-14 YTD");
    }

    #[test]
    fn previous_periods_are_computed_alongside() {
        let b = book_periods(d("2013-09-30"));
        assert_eq!(b.reported, 10);
        let prev = |label: &str| {
            let i = b.all.iter().position(|p| p.label == label).unwrap();
            b.all[b.previous[i]].range
        };
        assert_eq!(prev("2013-05"), DateRange { start: d("2013-04-01"), end: d("2013-04-30") });
        assert_eq!(prev("2013-04"), DateRange { start: d("2013-03-01"), end: d("2013-03-31") });
        assert_eq!(prev("2012-13"), DateRange { start: d("2011-04-01"), end: d("2012-03-31") });
        assert_eq!(prev("2013-14 Q2"), DateRange { start: d("2013-04-01"), end: d("2013-06-30") });
        // March, Q4 of 2012-13, 2011-12 and last year's April to September are computed too.
        assert_eq!(b.all.len(), 14);
    }

    #[test]
    fn add_months_clamps_to_month_end() {
        assert_eq!(add_months(d("2012-02-29"), 12), d("2013-02-28"));
        assert_eq!(add_months(d("2013-03-31"), -1), d("2013-02-28"));
        assert_eq!(add_months(d("2013-01-31"), 15), d("2014-04-30"));
    }

    #[test]
    fn ytd_previous_of_leap_day_clamps() {
        let p = periods_as_of(d("2016-02-29"));
        assert_eq!(p.last().unwrap().previous.end, d("2015-02-28"));
    }
}
