//! `scorebook lsp`

use super::{exit, failed};

#[derive(clap::Args)]
pub struct Args {
    /// Accepted for editors that pass it; standard input and output are the only transport.
    #[arg(long)]
    stdio: bool,
}

pub fn run(args: Args) -> u8 {
    let _ = args.stdio;
    match crate::lsp::serve() {
        Ok(()) => exit::CLEAN,
        Err(e) => failed(e),
    }
}
