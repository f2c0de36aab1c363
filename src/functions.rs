//! The functions of the rules language: their names, how each is called and what it gives.
//! One list, read by the checker, the language server, `explain SB204` and the docs.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    AddDays,
    AddMonths,
    WorkingDays,
    Abs,
    Coalesce,
    /// Calendar days from the first date to the second.
    DaysBetween,
    /// Whole years from a date of birth to a date (29 February birthdays as `add_months`).
    Age,
    /// `if(condition, value, otherwise)`.
    If,
    /// `switch(value, match, result, ..., default)`.
    Switch,
    /// `band(value, label, bound, label, ..., label)`: ordered bands with labels.
    Band,
    /// Does text begin with a prefix?
    StartsWith,
    /// The date of a date-time.
    Date,
    /// Seconds from one date-time to another, on the clock times as written.
    SecondsBetween,
    /// Minutes (seconds ÷ 60, unrounded) from one date-time to another.
    MinutesBetween,
    /// Hours (seconds ÷ 3600, unrounded) from one date-time to another.
    HoursBetween,
    /// The largest of its arguments; missing when any is.
    Greatest,
    /// The smallest of its arguments; missing when any is.
    Least,
    /// The days of the measure's window on which a span is open.
    DaysInWindow,
}

impl Function {
    pub const NAMES: &'static [&'static str] = &[
        "add_days",
        "add_months",
        "working_days",
        "days_between",
        "age",
        "abs",
        "coalesce",
        "if",
        "switch",
        "band",
        "starts_with",
        "date",
        "seconds_between",
        "minutes_between",
        "hours_between",
        "greatest",
        "least",
        "days_in_window",
    ];

    pub fn parse(text: &str) -> Option<Function> {
        Some(match text {
            "add_days" => Function::AddDays,
            "add_months" => Function::AddMonths,
            "working_days" => Function::WorkingDays,
            "abs" => Function::Abs,
            "coalesce" => Function::Coalesce,
            "days_between" => Function::DaysBetween,
            "age" => Function::Age,
            "if" => Function::If,
            "switch" => Function::Switch,
            "band" => Function::Band,
            "starts_with" => Function::StartsWith,
            "date" => Function::Date,
            "seconds_between" => Function::SecondsBetween,
            "minutes_between" => Function::MinutesBetween,
            "hours_between" => Function::HoursBetween,
            "greatest" => Function::Greatest,
            "least" => Function::Least,
            "days_in_window" => Function::DaysInWindow,
            _ => return None,
        })
    }

    /// How the function is called, for messages and hovers.
    pub fn usage(self) -> &'static str {
        match self {
            Function::AddDays => "add_days(date, days)",
            Function::AddMonths => "add_months(date, months)",
            Function::WorkingDays => "working_days(from, to)",
            Function::Abs => "abs(number)",
            Function::Coalesce => "coalesce(value, fallback, ...)",
            Function::DaysBetween => "days_between(from, to)",
            Function::Age => "age(date_of_birth, at)",
            Function::If => "if(condition, value, otherwise)",
            Function::Switch => "switch(value, match, result, ..., default)",
            Function::Band => "band(value, label, bound, label, ..., label)",
            Function::StartsWith => "starts_with(text, \"prefix\")",
            Function::Date => "date(date_time)",
            Function::SecondsBetween => "seconds_between(from, to)",
            Function::MinutesBetween => "minutes_between(from, to)",
            Function::HoursBetween => "hours_between(from, to)",
            Function::Greatest => "greatest(value, value, ...)",
            Function::Least => "least(value, value, ...)",
            Function::DaysInWindow => "days_in_window(start, end)",
        }
    }

    /// What the function gives, in a line (for `explain`, hovers and the docs).
    pub fn summary(self) -> &'static str {
        match self {
            Function::AddDays => "the date n days later (earlier when n is negative)",
            Function::AddMonths => "the date n calendar months later, clamped to the month's last day",
            Function::WorkingDays => "working days d with from < d <= to, by the project's calendar",
            Function::DaysBetween => "calendar days from one date to another (of date-times, their dates)",
            Function::Age => "whole years from a date of birth to a date",
            Function::Abs => "the number without its sign",
            Function::Coalesce => "the first value that is not missing",
            Function::If => "the value when the condition is true, else the other (or missing)",
            Function::Switch => "the result paired with the first match, else the default (or missing)",
            Function::Band => "the label of the band the value falls in",
            Function::StartsWith => "whether the text begins with the prefix",
            Function::Date => "the date of a date-time",
            Function::SecondsBetween => "seconds from one date-time to another, on the clock times as written",
            Function::MinutesBetween => "minutes (seconds / 60, unrounded) from one date-time to another",
            Function::HoursBetween => "hours (seconds / 3600, unrounded) from one date-time to another",
            Function::Greatest => "the largest of the values; missing when any is missing",
            Function::Least => "the smallest of the values; missing when any is missing",
            Function::DaysInWindow => "the days d of the window with start <= d and end missing or after d: a span's days open, clipped to the window",
        }
    }
}

/// Every function as a Markdown list: how it is called and what it gives.
pub fn reference() -> String {
    Function::NAMES
        .iter()
        .filter_map(|n| Function::parse(n))
        .map(|f| format!("- `{}`: {}", f.usage(), f.summary()))
        .collect::<Vec<_>>()
        .join("\n")
}
