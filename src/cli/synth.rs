//! `scorebook synth`

use super::{exit, failed};
use crate::synth::{self, OutputFormat, SynthOptions};
use chrono::NaiveDate;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Children in the authority's population (80,000 gives the 2013 book's magnitudes).
    #[arg(long, default_value_t = 80_000)]
    children: u64,
    /// The random seed: the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First day of the data (two years of history before it are included).
    #[arg(long, value_parser = crate::calendar::parse_date, default_value = "2012-04-01")]
    from: NaiveDate,
    /// Last day of the data: nothing is dated after it, and cases open then stay open.
    #[arg(long, value_parser = crate::calendar::parse_date, default_value = "2013-09-30")]
    to: NaiveDate,
    /// The directory to write one file per table into.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value = "csv")]
    format: OutputFormat,
    /// `annex-a` writes referrals, assessments, section 47 enquiries and CP plans as raw Annex A
    /// lists, read with `--profile profiles/annex-a`.
    #[arg(long, value_enum, default_value = "contract")]
    layout: synth::Layout,
    /// What to generate: the council book's tables, or an SSDA903 return (the looked-after
    /// children files `examples/ssda903` reads; `--children` children looked after at some
    /// time in the six years before `--from` and up to `--to`).
    #[arg(long, value_enum, default_value = "council")]
    dataset: Dataset,
    /// How full the children's histories are (the council book's tables): `sparse`, the 2013
    /// book's authority; `dense`, 4.35 times the contacts, most about children already known,
    /// so each child has many referrals and assessments (what the scale benchmark runs on).
    #[arg(long, value_enum, default_value = "sparse")]
    histories: synth::Histories,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Dataset {
    Council,
    Ssda903,
}

pub fn run(args: Args) -> u8 {
    if args.layout == synth::Layout::AnnexA && args.format != OutputFormat::Csv {
        return failed("the Annex A layout is a CSV export: use --format csv");
    }
    if args.layout == synth::Layout::AnnexA && args.dataset == Dataset::Ssda903 {
        return failed("the Annex A layout is of the council book's tables: leave out --layout with --dataset ssda903");
    }
    if args.to < args.from {
        return failed(format!("--to {} is before --from {}", args.to, args.from));
    }
    let started = std::time::Instant::now();
    if args.histories != synth::Histories::Sparse && args.dataset == Dataset::Ssda903 {
        return failed("--histories is of the council book's tables: leave it out with --dataset ssda903");
    }
    let opts = SynthOptions {
        children: args.children,
        seed: args.seed,
        from: args.from,
        to: args.to,
        histories: args.histories,
    };
    let (tables, written) = match args.dataset {
        Dataset::Council => {
            let tables = synth::generate(&opts);
            let written = synth::write_tables(&tables, &args.out, args.format, args.layout);
            (tables, written)
        }
        Dataset::Ssda903 => {
            let tables = synth::generate_ssda903(&opts);
            let written = synth::write_ssda903(&tables, &args.out, args.format);
            (tables, written)
        }
    };
    match written {
        Ok(files) => {
            let rows: usize = tables.iter().map(|t| t.rows.len()).sum();
            eprintln!(
                "wrote {} tables, {rows} rows, to {} in {:.1}s",
                files.len(),
                args.out.display(),
                started.elapsed().as_secs_f64()
            );
            exit::CLEAN
        }
        Err(e) => failed(format!("{}: {e}", args.out.display())),
    }
}
