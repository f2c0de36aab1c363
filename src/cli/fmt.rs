//! `scorebook fmt`

use super::{exit, failed, use_colour};
use crate::diagnostics::render::{render_all, Format};
use crate::{format, fsutil, project};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Rule files, or directories searched for `.ind` files.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted and exit 1 if there are any.
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> u8 {
    let parsed = match project::parse_files(&args.paths) {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    if !parsed.diagnostics.is_empty() {
        eprint!("{}", render_all(&parsed.diagnostics, &parsed.files, Format::Human, use_colour(&std::io::stderr())));
        eprintln!("nothing was formatted: fix the syntax errors first");
        return exit::PROBLEMS;
    }
    let mut unformatted = 0;
    for (id, module) in &parsed.modules {
        let file = parsed.files.get(*id);
        let formatted = format::format_module(module, &file.text);
        if formatted == file.text {
            continue;
        }
        unformatted += 1;
        if args.check {
            println!("{}", file.display_path());
        } else if let Err(e) = fsutil::write_atomically(&file.path, formatted.as_bytes()) {
            return failed(format!("{}: {e}", file.display_path()));
        } else {
            eprintln!("formatted {}", file.display_path());
        }
    }
    if args.check && unformatted > 0 {
        eprintln!(
            "{unformatted} file{} not formatted; run `scorebook fmt`",
            if unformatted == 1 { " is" } else { "s are" }
        );
        return exit::PROBLEMS;
    }
    exit::CLEAN
}
