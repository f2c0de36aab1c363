//! The monthly values an SPC chart plots, computed by one engine run over the last N months.

use super::{series, SpcOptions, SpcRow};
use crate::config::Config;
use crate::engine::{self, RunOptions};
use crate::ir::Project;
use chrono::NaiveDate;

/// The chart options of the project: `[spc]` in scorebook.toml over the defaults.
pub fn project_options(config: Option<&Config>) -> Result<SpcOptions, crate::config::ConfigError> {
    Ok(config.map(Config::spc).transpose()?.unwrap_or_default())
}

/// Computes the monthly values of the chosen measures in one run and analyses them; with
/// `suppress`, withheld months are gaps.
pub async fn charts(
    project: &Project,
    config: Option<&Config>,
    run: RunOptions,
    options: &SpcOptions,
    suppress: Option<u32>,
) -> Result<(Vec<SpcRow>, Vec<String>, NaiveDate), engine::RunError> {
    let run = RunOptions { months: Some(options.months), ..run };
    let mut output = engine::run(project, config, &run).await?;
    if let Some(n) = suppress {
        crate::results::suppress(&mut output.rows, f64::from(n));
    }
    let (rows, mut warnings) = series(project, &output.rows, options);
    warnings.splice(0..0, output.warnings);
    Ok((rows, warnings, output.as_of))
}

/// The charts the HTML book draws under its tables, with `[spc]`'s options; when they cannot
/// be drawn, none and a warning saying why (the book is written all the same).
pub async fn for_the_book(
    project: &Project,
    config: Option<&Config>,
    run: RunOptions,
    suppress: Option<u32>,
) -> (Vec<SpcRow>, Option<String>) {
    let drawn = match project_options(config) {
        Ok(options) => charts(project, config, run, &options, suppress).await,
        Err(e) => Err(e.into()),
    };
    match drawn {
        Ok((rows, _, _)) => (rows, None),
        Err(e) => {
            (Vec::new(), Some(format!("the SPC charts could not be drawn ({e}); the book is written without them")))
        }
    }
}
