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

/// The year a book reports in: April–March (financial, the default), January–December
/// (calendar) or September–August (academic). Months, quarters, the year to date, the
/// population year and `cumulative from year start` all follow it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportingYear {
    #[default]
    Financial,
    Calendar,
    Academic,
}

impl ReportingYear {
    pub const ALL: [ReportingYear; 3] = [ReportingYear::Financial, ReportingYear::Calendar, ReportingYear::Academic];

    /// As scorebook.toml and `--calendar` write it.
    pub fn name(self) -> &'static str {
        match self {
            ReportingYear::Financial => "financial",
            ReportingYear::Calendar => "calendar",
            ReportingYear::Academic => "academic",
        }
    }

    pub fn parse(name: &str) -> Result<ReportingYear, String> {
        ReportingYear::ALL.into_iter().find(|y| y.name() == name).ok_or_else(|| {
            format!("`{name}` is not a reporting year; write \"financial\" (April to March), \"calendar\" (January to December) or \"academic\" (September to August)")
        })
    }

    /// The month the year starts in: April, January or September.
    pub fn first_month(self) -> u32 {
        match self {
            ReportingYear::Financial => 4,
            ReportingYear::Calendar => 1,
            ReportingYear::Academic => 9,
        }
    }

    /// The calendar year in which the reporting year holding `d` starts.
    pub fn start_year(self, d: NaiveDate) -> i32 {
        if d.month() >= self.first_month() {
            d.year()
        } else {
            d.year() - 1
        }
    }

    /// The first day of the reporting year holding `d`.
    pub fn start(self, d: NaiveDate) -> NaiveDate {
        ymd(self.start_year(d), self.first_month(), 1)
    }

    /// The year starting in `start_year`: financial `2013-14`, calendar `2013`, academic `2013/14`.
    pub fn label(self, start_year: i32) -> String {
        let next = (start_year + 1).rem_euclid(100);
        match self {
            ReportingYear::Financial => format!("{start_year}-{next:02}"),
            ReportingYear::Calendar => start_year.to_string(),
            ReportingYear::Academic => format!("{start_year}/{next:02}"),
        }
    }

    /// The reporting year starting in `start_year`, as a range of days.
    pub fn range(self, start_year: i32) -> DateRange {
        let start = ymd(start_year, self.first_month(), 1);
        DateRange { start, end: add_months(start, 12).pred_opt().expect("a year has a last day") }
    }

    /// The calendar year in which the reporting year ending in `end_year` starts (`--years`
    /// names years by the year they end in: 2025 is 2024-25, 2025, or 2024/25).
    pub fn start_of_year_ending(self, end_year: i32) -> i32 {
        match self {
            ReportingYear::Calendar => end_year,
            ReportingYear::Financial | ReportingYear::Academic => end_year - 1,
        }
    }

    /// The reporting year a label names, by its form: `2013-14`, `2013` or `2013/14`, with
    /// the calendar year it starts in; `None` when the label is none of them, or its two
    /// years do not follow each other.
    pub fn of_label(label: &str) -> Option<(ReportingYear, i32)> {
        let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
        let start = |t: &str| t.parse::<i32>().ok().filter(|_| t.len() == 4 && digits(t));
        if let Some(y) = start(label) {
            return Some((ReportingYear::Calendar, y));
        }
        let (year, a, b) = if let Some((a, b)) = label.split_once('-') {
            (ReportingYear::Financial, a, b)
        } else {
            let (a, b) = label.split_once('/')?;
            (ReportingYear::Academic, a, b)
        };
        let y = start(a)?;
        (b.len() == 2 && digits(b) && b.parse::<i32>().ok()? == (y + 1).rem_euclid(100)).then_some((year, y))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportingPeriod {
    pub kind: PeriodKind,
    pub label: String,
    pub range: DateRange,
    /// The period this one is compared with for direction of travel.
    pub previous: DateRange,
    /// The reporting year the period belongs to: where `cumulative from year start` starts,
    /// and which mid-year population a rate divides by.
    pub year: ReportingYear,
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

fn last_day_of_month(y: i32, m: u32) -> NaiveDate {
    add_months(ymd(y, m, 1), 1).pred_opt().expect("a month has a last day")
}

/// Every period of a run as of `as_of` in reporting year `year`, in the order of the result
/// table: the last complete year, the months of the as-of date's year in order, its quarters
/// in order, then the year to date.
pub fn periods_as_of(as_of: NaiveDate, year: ReportingYear) -> Vec<ReportingPeriod> {
    let this = year.start_year(as_of);
    let first_day = ymd(this, year.first_month(), 1);
    let mut out = vec![ReportingPeriod {
        kind: PeriodKind::Year,
        label: year.label(this - 1),
        range: year.range(this - 1),
        previous: year.range(this - 2),
        year,
    }];
    let mut month_start = first_day;
    while month_start <= as_of {
        let full_end = last_day_of_month(month_start.year(), month_start.month());
        let prev_start = add_months(month_start, -1);
        out.push(ReportingPeriod {
            kind: PeriodKind::Month,
            label: format!("{}-{:02}", month_start.year(), month_start.month()),
            range: DateRange { start: month_start, end: full_end.min(as_of) },
            previous: DateRange { start: prev_start, end: month_start.pred_opt().expect("day before") },
            year,
        });
        month_start = add_months(month_start, 1);
    }
    for q in 0..4u32 {
        let start = add_months(first_day, 3 * q as i32);
        if start > as_of {
            break;
        }
        let full_end = add_months(start, 3).pred_opt().expect("day before");
        out.push(ReportingPeriod {
            kind: PeriodKind::Quarter,
            label: format!("{} Q{}", year.label(this), q + 1),
            range: DateRange { start, end: full_end.min(as_of) },
            previous: DateRange { start: add_months(start, -3), end: start.pred_opt().expect("day before") },
            year,
        });
    }
    out.push(ReportingPeriod {
        kind: PeriodKind::Ytd,
        label: format!("{} YTD", year.label(this)),
        range: DateRange { start: first_day, end: as_of },
        previous: DateRange { start: add_months(first_day, -12), end: add_months(as_of, -12) },
        year,
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

pub fn book_periods(as_of: NaiveDate, year: ReportingYear) -> BookPeriods {
    with_previous(periods_as_of(as_of, year))
}

/// Whole reporting years, one period each, for a run over many years (published LA-year
/// tables, trends): `first` and `last` are the years they end in (`2025` is 2024-25 in the
/// financial calendar, 2025 in the calendar year, 2024/25 in the academic year).
pub fn year_periods(first: i32, last: i32, year: ReportingYear) -> BookPeriods {
    let years = (first.min(last)..=first.max(last))
        .map(|end_year| {
            let start = year.start_of_year_ending(end_year);
            ReportingPeriod {
                kind: PeriodKind::Year,
                label: year.label(start),
                range: year.range(start),
                previous: year.range(start - 1),
                year,
            }
        })
        .collect();
    with_previous(years)
}

/// The last `n` months ending with the as-of date's month (that one cut at the as-of date),
/// one period each, for SPC charts.
pub fn month_periods(as_of: NaiveDate, n: u32, year: ReportingYear) -> BookPeriods {
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
                year,
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
                    year: all[i].year,
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

    const FY: ReportingYear = ReportingYear::Financial;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn month_periods_end_with_the_as_of_month_cut_at_the_as_of_date() {
        let b = month_periods(d("2014-03-15"), 24, FY);
        assert_eq!(b.reported, 24);
        assert_eq!(b.all[0].label, "2012-04");
        assert_eq!(b.all[0].range, DateRange { start: d("2012-04-01"), end: d("2012-04-30") });
        assert_eq!(b.all[23].range, DateRange { start: d("2014-03-01"), end: d("2014-03-15") });
        assert_eq!(b.all[24].label, "before 2012-04", "March 2012, for April's direction of travel");
        assert_eq!(b.previous[1], 0);
    }

    #[test]
    fn year_periods_end_in_march_and_compare_with_the_year_before() {
        let b = year_periods(2025, 2023, FY);
        let labels: Vec<&str> = b.all.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2022-23", "2023-24", "2024-25", "before 2022-23"]);
        assert_eq!(b.reported, 3);
        assert_eq!(b.previous, [3, 0, 1]);
        assert_eq!(b.all[2].range, DateRange { start: d("2024-04-01"), end: d("2025-03-31") });
        assert_eq!(b.all[3].range, DateRange { start: d("2021-04-01"), end: d("2022-03-31") });
    }

    #[test]
    fn periods_as_of_end_of_september() {
        let p = periods_as_of(d("2013-09-30"), FY);
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
        let p = periods_as_of(d("2013-10-07"), FY);
        let oct = p.iter().find(|p| p.label == "2013-10").unwrap();
        assert_eq!(oct.range.end, d("2013-10-07"));
        assert_eq!(oct.previous, DateRange { start: d("2013-09-01"), end: d("2013-09-30") });
        let q3 = p.iter().find(|p| p.label == "2013-14 Q3").unwrap();
        assert_eq!(q3.range, DateRange { start: d("2013-10-01"), end: d("2013-10-07") });
    }

    #[test]
    fn as_of_in_january_belongs_to_the_previous_calendar_years_fy() {
        let p = periods_as_of(d("2014-01-15"), FY);
        assert_eq!(p[0].label, "2012-13");
        assert_eq!(p.iter().filter(|p| p.kind == PeriodKind::Month).count(), 10);
        assert_eq!(p.last().unwrap().label, "2013-14 YTD");
    }

    #[test]
    fn previous_periods_are_computed_alongside() {
        let b = book_periods(d("2013-09-30"), FY);
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
        let p = periods_as_of(d("2016-02-29"), FY);
        assert_eq!(p.last().unwrap().previous.end, d("2015-02-28"));
    }

    fn shape(p: &[ReportingPeriod]) -> Vec<(PeriodKind, String, String, String)> {
        p.iter().map(|p| (p.kind, p.label.clone(), p.range.start.to_string(), p.range.end.to_string())).collect()
    }

    fn row(kind: PeriodKind, label: &str, start: &str, end: &str) -> (PeriodKind, String, String, String) {
        (kind, label.to_string(), start.to_string(), end.to_string())
    }

    #[test]
    fn calendar_year_book_as_of_mid_august() {
        use PeriodKind::*;
        let p = periods_as_of(d("2013-08-14"), ReportingYear::Calendar);
        let mut want = vec![row(Year, "2012", "2012-01-01", "2012-12-31")];
        let ends = ["31", "28", "31", "30", "31", "30", "31", "14"];
        for (m, end) in ends.iter().enumerate() {
            let m = m + 1;
            want.push(row(Month, &format!("2013-{m:02}"), &format!("2013-{m:02}-01"), &format!("2013-{m:02}-{end}")));
        }
        want.push(row(Quarter, "2013 Q1", "2013-01-01", "2013-03-31"));
        want.push(row(Quarter, "2013 Q2", "2013-04-01", "2013-06-30"));
        want.push(row(Quarter, "2013 Q3", "2013-07-01", "2013-08-14"));
        want.push(row(Ytd, "2013 YTD", "2013-01-01", "2013-08-14"));
        assert_eq!(shape(&p), want);
        assert_eq!(p[0].previous, DateRange { start: d("2011-01-01"), end: d("2011-12-31") });
        // January's previous month is December of the year before.
        assert_eq!(p[1].previous, DateRange { start: d("2012-12-01"), end: d("2012-12-31") });
        assert_eq!(p.last().unwrap().previous, DateRange { start: d("2012-01-01"), end: d("2012-08-14") });
    }

    #[test]
    fn academic_year_book_as_of_the_new_year() {
        use PeriodKind::*;
        let p = periods_as_of(d("2014-01-10"), ReportingYear::Academic);
        assert_eq!(
            shape(&p),
            [
                row(Year, "2012/13", "2012-09-01", "2013-08-31"),
                row(Month, "2013-09", "2013-09-01", "2013-09-30"),
                row(Month, "2013-10", "2013-10-01", "2013-10-31"),
                row(Month, "2013-11", "2013-11-01", "2013-11-30"),
                row(Month, "2013-12", "2013-12-01", "2013-12-31"),
                row(Month, "2014-01", "2014-01-01", "2014-01-10"),
                row(Quarter, "2013/14 Q1", "2013-09-01", "2013-11-30"),
                row(Quarter, "2013/14 Q2", "2013-12-01", "2014-01-10"),
                row(Ytd, "2013/14 YTD", "2013-09-01", "2014-01-10"),
            ]
        );
        assert_eq!(p[6].previous, DateRange { start: d("2013-06-01"), end: d("2013-08-31") });
    }

    #[test]
    fn the_first_day_of_a_year_starts_its_book() {
        for year in ReportingYear::ALL {
            let first = ymd(2013, year.first_month(), 1);
            let p = periods_as_of(first, year);
            assert_eq!(p.len(), 4, "{year:?}: the last year, one month, one quarter and the year to date");
            assert_eq!(p[0].range.end, first.pred_opt().unwrap());
            assert_eq!(p[3].range, DateRange { start: first, end: first });
        }
    }

    #[test]
    fn year_periods_follow_the_calendar() {
        let cal = year_periods(2013, 2014, ReportingYear::Calendar);
        assert_eq!(cal.all[1].label, "2014");
        assert_eq!(cal.all[1].range, DateRange { start: d("2014-01-01"), end: d("2014-12-31") });
        let acad = year_periods(2014, 2014, ReportingYear::Academic);
        assert_eq!(acad.all[0].label, "2013/14");
        assert_eq!(acad.all[0].range, DateRange { start: d("2013-09-01"), end: d("2014-08-31") });
    }

    #[test]
    fn labels_name_their_calendar() {
        assert_eq!(ReportingYear::of_label("2013-14"), Some((ReportingYear::Financial, 2013)));
        assert_eq!(ReportingYear::of_label("2013"), Some((ReportingYear::Calendar, 2013)));
        assert_eq!(ReportingYear::of_label("1999/00"), Some((ReportingYear::Academic, 1999)));
        assert_eq!(ReportingYear::of_label("2013-15"), None);
        assert_eq!(ReportingYear::of_label("2013/4"), None);
        for year in ReportingYear::ALL {
            assert_eq!(ReportingYear::of_label(&year.label(2019)), Some((year, 2019)));
            assert_eq!(ReportingYear::parse(year.name()), Ok(year));
        }
        assert!(ReportingYear::parse("fiscal").unwrap_err().contains("\"academic\""));
    }

    #[test]
    fn the_population_year_is_the_year_the_reporting_year_starts_in() {
        assert_eq!(ReportingYear::Financial.start_year(d("2014-02-01")), 2013);
        assert_eq!(ReportingYear::Calendar.start_year(d("2014-02-01")), 2014);
        assert_eq!(ReportingYear::Academic.start_year(d("2014-08-31")), 2013);
        assert_eq!(ReportingYear::Academic.start(d("2014-09-01")), d("2014-09-01"));
    }
}
