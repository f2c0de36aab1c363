//! `scorebook check`

use super::{exit, failed, use_colour};
use crate::diagnostics::render::{render_all, Format};
use crate::diagnostics::Severity;
use crate::project;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: super::ProjectArgs,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    deny_warnings: bool,
}

pub fn run(args: Args) -> u8 {
    let (files, checked) = match project::check_with_profile(&args.project.paths, args.project.profile.as_deref()) {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let diags = &checked.diagnostics;
    print!("{}", render_all(diags, &files, args.format, use_colour(&std::io::stdout())));
    let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diags.len() - errors;
    if args.format == Format::Human {
        let measures = checked.project.as_ref().map(|p| p.measures.len());
        let checked = format!("checked {} file{}", files.len(), plural(files.len()));
        match (errors, warnings, measures) {
            (0, 0, Some(m)) => eprintln!("{checked}, {m} measure{}: no problems", plural(m)),
            _ => eprintln!("{checked}: {errors} error{}, {warnings} warning{}", plural(errors), plural(warnings)),
        }
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        exit::PROBLEMS
    } else {
        exit::CLEAN
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
