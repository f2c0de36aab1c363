//! Dates: the reporting calendar (periods of a run) and, later, the working-day calendar.

pub mod periods;
pub mod working_days;

pub use periods::{
    add_months, book_periods, fy_label, fy_start, fy_start_year, month_periods, periods_as_of, year_periods,
    BookPeriods, DateRange, PeriodKind, ReportingPeriod,
};
