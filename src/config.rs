//! `scorebook.toml`: where each source's data lives, the authority's area code, the
//! working-day calendar and the default as-of date.
//!
//! ```toml
//! [project]
//! area_code = "E06000049"
//! as_of = "2013-09-30"
//! holidays = "my-holidays.csv"   # replaces the shipped England & Wales list
//!
//! [calendar]
//! year = "financial"             # or "calendar" (January to December), "academic" (September to August)
//!
//! [judgement]
//! amber_within_percent = 10      # targets without RAG rules: amber within 10% of the target
//!
//! [book]
//! title = "Improvement Board Performance Book"
//! subtitle = "Cheshire East children's services"
//!
//! [statistics]
//! confidence = 99.8              # the level of every measure's interval (95 when not given)
//!
//! [run]
//! memory_limit = "4GB"           # the plans' memory (half of the machine's when not given)
//! spill_dir = "/scratch"         # where sorts and aggregates spill beyond it
//!
//! [spc]
//! months = 24                    # SPC charts over the last 24 months (the default)
//! baseline = 12                  # limits fixed on the first 12 points
//! screen_outliers = true         # moving ranges of 3.267 × their mean left out
//! run_length = 7                 # points in a shift or trend (6, 7 or 8)
//!
//! [data]
//! dir = "exports"                # each source from exports/<source>.csv or .parquet
//!
//! [sources.referrals]
//! path = "exports/annex-a.xlsx"  # a file, a directory or a glob
//! sheet = "List 3"               # for Excel workbooks
//! ```

use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "scorebook.toml";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub project: ProjectSection,
    #[serde(default)]
    pub data: DataSection,
    #[serde(default)]
    pub sources: BTreeMap<String, SourceBinding>,
    #[serde(default)]
    pub calendar: CalendarSection,
    #[serde(default)]
    pub judgement: JudgementSection,
    #[serde(default)]
    pub benchmarks: BenchmarksSection,
    #[serde(default)]
    pub book: BookSection,
    #[serde(default)]
    pub statistics: StatisticsSection,
    #[serde(default)]
    pub spc: SpcSection,
    #[serde(default)]
    pub run: RunSection,
    /// The directory paths in the file are relative to.
    #[serde(skip)]
    pub base: PathBuf,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSection {
    /// The authority's area code, to pick its rows from a population file of many areas.
    pub area_code: Option<String>,
    /// The as-of date (YYYY-MM-DD) used when `run` is not given `--as-of`.
    pub as_of: Option<String>,
    /// A CSV of holidays (first column YYYY-MM-DD) replacing the shipped list.
    pub holidays: Option<PathBuf>,
}

/// The book's reporting calendar.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSection {
    /// The reporting year: `financial` (April to March, when not given), `calendar` or `academic`.
    pub year: Option<String>,
}

/// How the book judges measures that say less than everything.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JudgementSection {
    /// For a measure with a target and no RAG rules: amber within this percentage of the
    /// target (green when met, red beyond). 10 when not given.
    pub amber_within_percent: Option<f64>,
}

/// Confidence intervals.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsSection {
    /// The project's confidence level in percent (95 when not given); a measure's
    /// `interval at LEVEL` overrides it.
    pub confidence: Option<f64>,
}

/// How a local run uses the machine.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    /// The memory the plans may use (`4GB`, `512MB`); half of the machine's when not given.
    pub memory_limit: Option<String>,
    /// Where sorts and aggregates spill beyond it; the system's temporary directory when not given.
    pub spill_dir: Option<PathBuf>,
}

/// Statistical process control charts (`scorebook spc`, and the charts in the HTML book).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpcSection {
    /// Months ending with the as-of date's month (24 when not given).
    pub months: Option<u32>,
    /// Fix the mean and limits on the first N points (12 or more).
    pub baseline: Option<usize>,
    /// Leave out moving ranges of at least 3.267 × their mean before setting the limits.
    pub screen_outliers: Option<bool>,
    /// Points in a run on one side of the mean, or a trend, that make a special cause: 6, 7 or 8.
    pub run_length: Option<usize>,
}

/// How the book (HTML, Excel, Markdown) is headed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookSection {
    /// The book's title; by default "<project> Performance Book", after the project's folder.
    pub title: Option<String>,
    /// A line under the title: the authority, the meeting, the audience.
    pub subtitle: Option<String>,
}

/// Where published benchmarks come from.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchmarksSection {
    /// The authority's old LA code in DfE's published files.
    pub la_code: Option<String>,
    /// Its statistical neighbours: DfE's groupings file, or a list with `la_old_code` and
    /// `neighbour_old_code` columns.
    pub neighbours: Option<PathBuf>,
    /// `mean` (the default, as LAIT) or `median` (as DfE's dashboard).
    pub sn_average: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSection {
    /// A directory holding `<source>.csv` (or .parquet, .arrow, .ndjson) for each source.
    pub dir: Option<PathBuf>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceBinding {
    /// A file, a directory of files, or a glob.
    pub path: PathBuf,
    /// The sheet of an Excel workbook.
    pub sheet: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl Config {
    /// Reads a config file; paths in it are taken relative to its directory.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Io { path: path.display().to_string(), source: e })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.display().to_string(),
            message: e.to_string().trim_end().replace('\n', "\n  "),
        })?;
        config.base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(config)
    }

    /// `scorebook.toml` in the current directory, if there is one.
    pub fn discover() -> Result<Option<Config>, ConfigError> {
        let path = Path::new(FILE_NAME);
        if path.is_file() {
            Config::read(path).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The project file of the rules in `folder`: `scorebook.toml` there or in the nearest
    /// folder above it (the editor's view of "the current directory" of a command).
    pub fn nearest(folder: &Path) -> Result<Option<Config>, ConfigError> {
        let absolute = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
        match absolute.ancestors().map(|d| d.join(FILE_NAME)).find(|p| p.is_file()) {
            Some(path) => Config::read(&path).map(Some),
            None => Ok(None),
        }
    }

    /// A setting of this file that cannot be used, and why.
    pub fn invalid(&self, message: String) -> ConfigError {
        ConfigError::Invalid { path: self.base.join(FILE_NAME).display().to_string(), message }
    }

    /// The settings of published benchmarks, with the neighbour list read.
    pub fn benchmark_settings(&self) -> Result<crate::benchmarks::BenchmarkSettings, ConfigError> {
        let b = &self.benchmarks;
        let sn_average = match b.sn_average.as_deref() {
            None | Some("mean") => crate::ir::SnMethod::Mean,
            Some("median") => crate::ir::SnMethod::Median,
            Some(other) => return Err(self.invalid(format!("sn_average = \"{other}\": use \"mean\" or \"median\""))),
        };
        let neighbours = match (&b.neighbours, &b.la_code) {
            (Some(path), Some(code)) => {
                crate::benchmarks::read_neighbours(&self.resolve(path), code).map_err(|e| self.invalid(e))?
            }
            (Some(_), None) => {
                return Err(self.invalid("[benchmarks] neighbours needs la_code, the authority's old LA code".into()))
            }
            (None, _) => Vec::new(),
        };
        Ok(crate::benchmarks::BenchmarkSettings { la_code: b.la_code.clone(), neighbours, sn_average })
    }

    /// The RAG rating of measures with a target and no rules of their own.
    pub fn default_rag(&self) -> crate::judgement::DefaultRag {
        let mut rag = crate::judgement::DefaultRag::default();
        if let Some(p) = self.judgement.amber_within_percent {
            rag.amber_within_percent = p;
        }
        rag
    }

    /// The project's confidence level in percent: `[statistics] confidence`, else 95.
    pub fn confidence(&self) -> Result<f64, ConfigError> {
        match self.statistics.confidence {
            None => Ok(crate::statistics::DEFAULT_CONFIDENCE),
            Some(c) if c > 0.0 && c < 100.0 => Ok(c),
            Some(c) => Err(self.invalid(format!(
                "[statistics] confidence = {c} is not a confidence level; write a percentage between 0 and 100, such as 95 or 99.8"
            ))),
        }
    }

    /// The book's reporting year: `[calendar] year`, else financial.
    pub fn reporting_year(&self) -> Result<crate::calendar::ReportingYear, ConfigError> {
        match self.calendar.year.as_deref() {
            None => Ok(crate::calendar::ReportingYear::default()),
            Some(name) => crate::calendar::ReportingYear::parse(name)
                .map_err(|message| self.invalid(format!("[calendar] year: {message}"))),
        }
    }

    /// The default as-of date, if the file gives one.
    pub fn as_of(&self) -> Result<Option<NaiveDate>, ConfigError> {
        self.project
            .as_of
            .as_deref()
            .map(|s| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| self.invalid(format!("as_of = \"{s}\" is not a date; write it as \"YYYY-MM-DD\"")))
            })
            .transpose()
    }

    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_section() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            "[project]\narea_code = \"E06000049\"\nas_of = \"2013-09-30\"\n\n[data]\ndir = \"exports\"\n\n[sources.referrals]\npath = \"a/*.csv\"\n",
        )
        .unwrap();
        let c = Config::read(&path).unwrap();
        assert_eq!(c.project.area_code.as_deref(), Some("E06000049"));
        assert_eq!(c.as_of().unwrap(), NaiveDate::from_ymd_opt(2013, 9, 30));
        assert_eq!(c.resolve(c.data.dir.as_ref().unwrap()), dir.path().join("exports"));
        assert_eq!(c.sources["referrals"].path, PathBuf::from("a/*.csv"));
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "[project]\narea = \"x\"\n").unwrap();
        let err = Config::read(&path).unwrap_err().to_string();
        assert!(err.contains("scorebook.toml") && err.contains("unknown field `area`"), "{err}");
    }
}
