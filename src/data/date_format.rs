//! How a date or date-time column's cells are written: a pattern of `dd`, `mm` and
//! `yy`/`yyyy`, with a time of `hh`, `mm` and `ss` for a date-time (`dd/mm/yyyy` is common in
//! council exports, `yyyy-mm-dd hh:mm:ss` in dispatch systems), or a reporting year that stands
//! for the day it ends (`year ending 31 March`: DfE's `time_period` of `2025` or `202425` is
//! 31 March 2025). Date-times are local clock times: no time zone is read or kept.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};

use crate::calendar::MONTH_NAMES as MONTHS;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateFormat {
    /// A chrono format built from a declared pattern (`%d/%m/%Y`, `%Y-%m-%d %H:%M:%S`);
    /// `time` when it has a time of day.
    Pattern { chrono: String, time: bool },
    /// A year (`2025`) or a financial year (`202425`, `2024-25`) read as the day it ends.
    YearEnding { month: u32, day: u32 },
}

/// What the patterns are made of, for messages.
pub const PATTERN_HELP: &str = "a pattern of `dd`, `mm` and `yyyy` (or `yy`) with `/`, `-`, `.` or spaces between, and for a `datetime` column a time of `hh`, `mm` and optionally `ss` with `:` between, such as \"dd/mm/yyyy\", \"yyyy-mm-dd hh:mm:ss\" or \"dd/mm/yyyy hh:mm\"; or \"year ending 31 March\" for a column of reporting years";

impl DateFormat {
    /// Reads a declared format; `None` when it is neither a pattern nor `year ending D Month`
    /// (`DateFormat::problem` says why).
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
        let tokens = tokens(declared).ok()?;
        let chrono = tokens.iter().map(|t| t.chrono()).collect();
        Some(DateFormat::Pattern { chrono, time: tokens.iter().any(|t| t.is_time()) })
    }

    /// Why `declared` is not a format, in a phrase (`None` when it is one).
    pub fn problem(declared: &str) -> Option<String> {
        if declared.trim().to_ascii_lowercase().starts_with("year ending") {
            return DateFormat::parse(declared)
                .is_none()
                .then(|| "write `year ending DAY MONTH`, such as `year ending 31 March`".to_string());
        }
        tokens(declared).err()
    }

    /// Does the pattern have a time of day (a format for `datetime` columns only)?
    pub fn has_time(&self) -> bool {
        matches!(self, DateFormat::Pattern { time: true, .. })
    }

    /// The date a cell holds, if it is written in this format.
    pub fn read(&self, text: &str) -> Option<NaiveDate> {
        match self {
            DateFormat::Pattern { chrono, time: false } => NaiveDate::parse_from_str(text, chrono).ok(),
            DateFormat::Pattern { chrono, time: true } => {
                NaiveDateTime::parse_from_str(text, chrono).ok().map(|t| t.date())
            }
            DateFormat::YearEnding { month, day } => NaiveDate::from_ymd_opt(ending_year(text)?, *month, *day),
        }
    }

    /// The date-time a cell holds, if it is written in this format (a pattern without a time
    /// reads as midnight).
    pub fn read_datetime(&self, text: &str) -> Option<NaiveDateTime> {
        match self {
            DateFormat::Pattern { chrono, time: true } => NaiveDateTime::parse_from_str(text, chrono).ok(),
            _ => self.read(text).map(|d| d.and_time(NaiveTime::MIN)),
        }
    }

    /// The date as a cell in this format (for writing exports in a declared layout).
    pub fn write(&self, date: NaiveDate) -> String {
        match self {
            DateFormat::Pattern { chrono, .. } => date.and_time(NaiveTime::MIN).format(chrono).to_string(),
            DateFormat::YearEnding { .. } => date.year().to_string(),
        }
    }

    /// The date-time as a cell in this format.
    pub fn write_datetime(&self, at: NaiveDateTime) -> String {
        match self {
            DateFormat::Pattern { chrono, .. } => at.format(chrono).to_string(),
            DateFormat::YearEnding { .. } => self.write(at.date()),
        }
    }
}

/// A date-time written the ISO way, as a `datetime` column without a format reads it:
/// `yyyy-mm-dd hh:mm:ss` (or with `T` between, without the seconds, or with a fraction of a
/// second). A time zone (`Z`, `+01:00`) is not read.
pub fn parse_iso_datetime(text: &str) -> Option<NaiveDateTime> {
    let (date, time) = text.split_once([' ', 'T'])?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let time = ["%H:%M:%S%.f", "%H:%M"].iter().find_map(|f| NaiveTime::parse_from_str(time, f).ok())?;
    Some(date.and_time(time))
}

/// One piece of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Year4,
    Year2,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Separator(char),
}

impl Token {
    fn chrono(self) -> String {
        match self {
            Token::Year4 => "%Y".into(),
            Token::Year2 => "%y".into(),
            Token::Month => "%m".into(),
            Token::Day => "%d".into(),
            Token::Hour => "%H".into(),
            Token::Minute => "%M".into(),
            Token::Second => "%S".into(),
            Token::Separator(c) => c.to_string(),
        }
    }

    fn is_time(self) -> bool {
        matches!(self, Token::Hour | Token::Minute | Token::Second)
    }
}

/// A pattern's pieces: one day, month and year, and optionally an hour and minute (and
/// second) after them; `mm` after `hh` is the minute. `Err` says what is wrong.
fn tokens(pattern: &str) -> Result<Vec<Token>, String> {
    if pattern.ends_with(char::is_whitespace) {
        return Err("it ends with a space, and cells are read without the spaces around them".into());
    }
    if pattern.starts_with(char::is_whitespace) {
        return Err("it begins with a space, and cells are read without the spaces around them".into());
    }
    let mut rest = pattern;
    let mut out: Vec<Token> = Vec::new();
    while !rest.is_empty() {
        let after_hour = out.contains(&Token::Hour);
        let (token, r) = if let Some(r) = rest.strip_prefix("yyyy") {
            (Token::Year4, r)
        } else if let Some(r) = rest.strip_prefix("yy") {
            (Token::Year2, r)
        } else if let Some(r) = rest.strip_prefix("dd") {
            (Token::Day, r)
        } else if let Some(r) = rest.strip_prefix("hh") {
            (Token::Hour, r)
        } else if let Some(r) = rest.strip_prefix("mm") {
            (if after_hour { Token::Minute } else { Token::Month }, r)
        } else if let Some(r) = rest.strip_prefix("ss") {
            (Token::Second, r)
        } else if let Some(c) = rest.chars().next().filter(|c| matches!(c, '/' | '-' | '.' | ' ' | ':' | 'T')) {
            (Token::Separator(c), &rest[c.len_utf8()..])
        } else {
            let word: String = rest.chars().take_while(|c| !matches!(c, '/' | '-' | '.' | ' ' | ':')).collect();
            return Err(format!("`{word}` is not part of a pattern"));
        };
        out.push(token);
        rest = r;
    }
    let count = |t: &[Token]| out.iter().filter(|x| t.contains(x)).count();
    for (tokens, what) in [
        (&[Token::Day][..], "day (`dd`)"),
        (&[Token::Month], "month (`mm`)"),
        (&[Token::Year4, Token::Year2], "year (`yyyy` or `yy`)"),
    ] {
        match count(tokens) {
            1 => {}
            0 => return Err(format!("it has no {what}")),
            _ => return Err(format!("it has more than one {what}")),
        }
    }
    let (hours, minutes, seconds) = (count(&[Token::Hour]), count(&[Token::Minute]), count(&[Token::Second]));
    if hours > 1 || minutes > 1 || seconds > 1 {
        return Err("its time has a part twice".into());
    }
    if hours != minutes || (seconds == 1 && hours == 0) {
        return Err("a time is written `hh:mm` or `hh:mm:ss`".into());
    }
    Ok(out)
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
            assert!(DateFormat::problem(bad).is_some(), "{bad}");
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

    #[test]
    fn patterns_with_a_time_of_day() {
        let at = |y, m, day, h, min, sec| d(y, m, day).and_hms_opt(h, min, sec).unwrap();
        let f = DateFormat::parse("yyyy-mm-dd hh:mm:ss").unwrap();
        assert!(f.has_time());
        assert_eq!(f.read_datetime("2024-02-29 23:40:00"), Some(at(2024, 2, 29, 23, 40, 0)));
        assert_eq!(f.read("2024-02-29 23:40:00"), Some(d(2024, 2, 29)));
        assert_eq!(f.read_datetime("2024-02-29 24:40:00"), None);
        assert_eq!(f.read_datetime("2024-02-29"), None);
        assert_eq!(f.write_datetime(at(2023, 10, 1, 0, 0, 5)), "2023-10-01 00:00:05");
        let f = DateFormat::parse("dd/mm/yyyy hh:mm").unwrap();
        assert_eq!(f.read_datetime("01/03/2024 07:05"), Some(at(2024, 3, 1, 7, 5, 0)));
        // A date pattern read for a date-time column: midnight.
        let f = DateFormat::parse("dd/mm/yyyy").unwrap();
        assert!(!f.has_time());
        assert_eq!(f.read_datetime("01/03/2024"), Some(at(2024, 3, 1, 0, 0, 0)));

        for (bad, why) in [
            ("yyyy-mm-dd ", "ends with a space"),
            (" dd/mm/yyyy", "begins with a space"),
            ("yyyy-mm-dd hh", "`hh:mm` or `hh:mm:ss`"),
            ("yyyy-mm-dd hh:mm:ss:ss", "a part twice"),
            ("yyyy-mm-dd hh:nn", "`nn` is not part of a pattern"),
            ("hh:mm", "no day"),
        ] {
            assert!(DateFormat::parse(bad).is_none(), "{bad}");
            let problem = DateFormat::problem(bad).unwrap();
            assert!(problem.contains(why), "{bad}: {problem}");
        }
    }

    #[test]
    fn iso_date_times() {
        let at = |h, min, sec| d(2024, 3, 31).and_hms_opt(h, min, sec).unwrap();
        assert_eq!(parse_iso_datetime("2024-03-31 01:30:00"), Some(at(1, 30, 0)));
        assert_eq!(parse_iso_datetime("2024-03-31T01:30:00"), Some(at(1, 30, 0)));
        assert_eq!(parse_iso_datetime("2024-03-31 01:30"), Some(at(1, 30, 0)));
        assert_eq!(
            parse_iso_datetime("2024-03-31 01:30:00.5").map(|t| t.and_utc().timestamp_millis() % 1000),
            Some(500)
        );
        for bad in
            ["2024-03-31", "2024-03-31 01:30:00Z", "2024-03-31 01:30:00+01:00", "31/03/2024 01:30", "2024-02-30 00:00"]
        {
            assert_eq!(parse_iso_datetime(bad), None, "{bad}");
        }
    }
}
