//! `scorebook explain`

use super::{exit, failed};
use crate::diagnostics::Code;

#[derive(clap::Args)]
pub struct Args {
    /// A diagnostic code such as SB201. Without one, every code is listed.
    code: Option<String>,
}

pub fn run(args: Args) -> u8 {
    match args.code {
        None => {
            for c in Code::ALL {
                println!(
                    "{}  {:<8} {}",
                    c.as_str(),
                    format!("{:?}", c.severity()).to_lowercase(),
                    c.explanation().title
                );
            }
            exit::CLEAN
        }
        Some(text) => match Code::parse(&text) {
            Some(code) => {
                print!("{}", code.render_explanation());
                exit::CLEAN
            }
            None => failed(format!("`{text}` is not a diagnostic code; `scorebook explain` lists them")),
        },
    }
}
