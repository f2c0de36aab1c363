//! A project's settings, resolved once from its rules and scorebook.toml: the working-day
//! calendar, the project's own area, how figures are judged (default RAG banding, published
//! benchmarks, confidence level) and the memory its plans may use. A run, a test block, a
//! drill and a warehouse script of the project all read the same `Settings`, so none of them
//! computes a figure another would compute differently.

use super::{memory::Memory, RunError};
use crate::benchmarks::BenchmarkSettings;
use crate::calendar::{working_days::HolidayList, ReportingYear};
use crate::config::{Config, ConfigError};
use crate::ir::Project;
use crate::judgement::DefaultRag;
use crate::statistics;

/// How a run judges figures: the default RAG banding, where published benchmarks come from,
/// and the confidence level of intervals.
#[derive(Clone, Debug)]
pub struct Judging {
    pub default_rag: DefaultRag,
    pub benchmarks: BenchmarkSettings,
    /// The project's confidence level in percent (`[statistics] confidence`, else 95).
    pub confidence: f64,
}

impl Default for Judging {
    /// A project without scorebook.toml: the default banding, no published benchmarks, 95%.
    fn default() -> Judging {
        Judging {
            default_rag: DefaultRag::default(),
            benchmarks: BenchmarkSettings::default(),
            confidence: statistics::DEFAULT_CONFIDENCE,
        }
    }
}

/// What scorebook.toml (or its absence) settles for every run of a project.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The working-day calendar: scorebook.toml's `holidays` file, else the rules' calendar.
    pub holidays: HolidayList,
    /// The project's own area among a population's (`area_code` under `[project]`).
    pub area_code: Option<String>,
    pub judging: Judging,
    /// The memory the plans may use and where they spill (`[run]`).
    pub memory: Memory,
    /// The reporting year of the book's periods (`[calendar] year`, or `run --calendar`).
    pub year: ReportingYear,
}

impl Settings {
    /// The settings of `project` under `config` (scorebook.toml), read and checked once.
    pub fn resolve(project: &Project, config: Option<&Config>) -> Result<Settings, RunError> {
        Ok(Settings {
            holidays: holidays_for(project, config)?,
            area_code: config.and_then(|c| c.project.area_code.clone()),
            judging: Judging {
                default_rag: config.map_or_else(DefaultRag::default, Config::default_rag),
                benchmarks: config.map(Config::benchmark_settings).transpose()?.unwrap_or_default(),
                confidence: config.map(Config::confidence).transpose()?.unwrap_or(statistics::DEFAULT_CONFIDENCE),
            },
            memory: project_memory(config)?,
            year: config.map(Config::reporting_year).transpose()?.unwrap_or_default(),
        })
    }

    /// These settings in the reporting year asked for (`run --calendar`), else their own.
    pub fn in_year(mut self, asked: Option<ReportingYear>) -> Settings {
        if let Some(year) = asked {
            self.year = year;
        }
        self
    }

    /// The area code as the compiler takes it.
    pub fn area(&self) -> Option<&str> {
        self.area_code.as_deref()
    }
}

/// The `[run]` memory limit and spill directory, checked: what a caller that only sets the
/// run's memory reads (without the holiday and neighbour files `resolve` reads).
pub fn project_memory(config: Option<&Config>) -> Result<Memory, RunError> {
    Ok(config.map(memory_of).transpose()?.unwrap_or_default())
}

fn memory_of(config: &Config) -> Result<Memory, ConfigError> {
    let limit = config
        .run
        .memory_limit
        .as_deref()
        .map(super::memory::parse_size)
        .transpose()
        .map_err(|message| config.invalid(format!("[run] memory_limit: {message}")))?;
    Ok(Memory { limit, spill_dir: config.run.spill_dir.as_ref().map(|d| config.resolve(d)) })
}

/// The holiday list a project's calendar uses, or the one scorebook.toml names instead.
fn holidays_for(project: &Project, config: Option<&Config>) -> Result<HolidayList, RunError> {
    if let Some(path) = config.and_then(|c| c.project.holidays.as_ref().map(|h| c.resolve(h))) {
        return Ok(HolidayList::from_file(&path)?);
    }
    Ok(match project.calendar.holidays.as_deref() {
        Some(_) => HolidayList::england_and_wales(),
        None => HolidayList::none(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALENDAR: &str = "calendar working_days = weekdays except holidays(\"england_and_wales\")\n";

    fn project(rules: &str) -> Project {
        let (_, checked) = crate::project::check_texts(&[("rules.ind", rules)]);
        checked.project.unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
    }

    fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn config(dir: &std::path::Path, text: &str) -> Config {
        let path = dir.join("scorebook.toml");
        std::fs::write(&path, text).unwrap();
        Config::read(&path).unwrap()
    }

    #[test]
    fn without_a_project_file_intervals_are_at_95_percent_and_the_rules_calendar_holds() {
        let p = project(CALENDAR);
        let s = Settings::resolve(&p, None).unwrap();
        assert_eq!(s.judging.confidence, 95.0);
        assert_eq!(Judging::default().confidence, 95.0);
        assert!(s.holidays.days.contains(&day(2013, 12, 25)));
        assert_eq!((s.area(), s.memory.limit), (None, None));
        let weekdays = Settings::resolve(&project("calendar working_days = weekdays\n"), None).unwrap();
        assert!(weekdays.holidays.days.is_empty());
    }

    #[test]
    fn the_project_file_settles_holidays_area_banding_confidence_and_memory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("closures.csv"), "date\n2013-06-03\n").unwrap();
        let c = config(
            dir.path(),
            "[project]\narea_code = \"E09000001\"\nholidays = \"closures.csv\"\n\
             [statistics]\nconfidence = 99.8\n[run]\nmemory_limit = \"1GB\"\n",
        );
        let s = Settings::resolve(&project(CALENDAR), Some(&c)).unwrap();
        assert!(s.holidays.days.contains(&day(2013, 6, 3)));
        assert!(!s.holidays.days.contains(&day(2013, 12, 25)));
        assert_eq!((s.area(), s.judging.confidence, s.memory.limit), (Some("E09000001"), 99.8, Some(1 << 30)));
    }

    #[test]
    fn the_run_section_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "[run]\nmemory_limit = \"2GB\"\nspill_dir = \"spill\"\n");
        let memory = Settings::resolve(&project(""), Some(&c)).unwrap().memory;
        assert_eq!(memory.limit, Some(2 << 30));
        assert_eq!(memory.spill_dir, Some(dir.path().join("spill")));
        let c = config(dir.path(), "[run]\nmemory_limit = \"plenty\"\n");
        let err = Settings::resolve(&project(""), Some(&c)).unwrap_err().to_string();
        assert!(err.contains("[run] memory_limit: `plenty` is not a size"), "{err}");
    }

    #[test]
    fn a_holiday_file_that_cannot_be_read_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "[project]\nholidays = \"nowhere.csv\"\n");
        let e = Settings::resolve(&project(""), Some(&c)).unwrap_err().to_string();
        assert!(e.contains("nowhere.csv"), "{e}");
    }
}
