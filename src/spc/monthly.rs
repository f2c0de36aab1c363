//! The monthly values an SPC chart plots, computed by one engine run over the last N months.

use super::{series, SpcOptions, SpcRow};
use crate::config::Config;
use crate::engine::{self, RunOptions};
use crate::ir::Project;
use chrono::NaiveDate;

/// The chart options of the project: `[spc]` in scorebook.toml over the defaults.
pub fn project_options(config: Option<&Config>) -> Result<SpcOptions, crate::config::ConfigError> {
    let Some(config) = config else { return Ok(SpcOptions::default()) };
    let (given, defaults) = (&config.spc, SpcOptions::default());
    let options = SpcOptions {
        months: given.months.unwrap_or(defaults.months),
        baseline: given.baseline,
        screen_outliers: given.screen_outliers.unwrap_or(defaults.screen_outliers),
        run_length: given.run_length.unwrap_or(defaults.run_length),
    };
    options.check().map_err(|message| config.invalid(format!("[spc] {message}")))?;
    Ok(options)
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_spc_section_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scorebook.toml");
        std::fs::write(&path, "[spc]\nmonths = 36\nbaseline = 12\n").unwrap();
        let c = crate::config::Config::read(&path).unwrap();
        let spc = super::project_options(Some(&c)).unwrap();
        assert_eq!((spc.months, spc.baseline, spc.run_length), (36, Some(12), 7));
        std::fs::write(&path, "[spc]\nmonths = 0\n").unwrap();
        let c = crate::config::Config::read(&path).unwrap();
        assert!(super::project_options(Some(&c)).unwrap_err().to_string().contains("[spc] "));
    }
}
