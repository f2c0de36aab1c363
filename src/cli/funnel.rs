//! `scorebook funnel`: the funnel plots of the measures with `funnel by`, as the HTML book
//! draws them, on a page of their own, or as a long table of their units and limit lines for
//! other charting tools.

use super::{exit, failed};
use crate::book::funnel_chart::FunnelChart;
use crate::fsutil;
use crate::session::{Overrides, Session};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FunnelFormat {
    /// One row per unit and per point of each limit line.
    Csv,
    Json,
    /// Every funnel plot, with its units' table, as one self-contained page.
    Html,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: super::ProjectArgs,
    #[command(flatten)]
    inputs: super::DataArgs,
    /// Disclosure control: units whose count is from 1 to N (or whose percentage or rate is
    /// built on one) are withheld, and not plotted.
    #[arg(long, value_name = "N")]
    suppress: Option<u32>,
    #[arg(long, value_enum, default_value = "csv")]
    format: FunnelFormat,
    /// Write the plots here (atomically) instead of to standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The columns of the long table.
const COLUMNS: [&str; 9] =
    ["ref", "period_label", "kind", "name", "x_name", "denominator", "value", "funnel", "average"];

/// One line of the long table: a unit, or a point of a limit line.
fn lines(chart: &FunnelChart) -> Vec<[String; 9]> {
    let number = |v: f64| crate::results::plain_number(v);
    let line = |kind: &str, name: &str, x: f64, y: f64, funnel: &str| {
        [
            chart.reference.clone(),
            chart.period_label.clone(),
            kind.to_string(),
            name.to_string(),
            chart.x_name.to_string(),
            number(x),
            number(y),
            funnel.to_string(),
            number(chart.average),
        ]
    };
    let mut out: Vec<[String; 9]> =
        chart.units.iter().map(|u| line("unit", &u.label, u.x, u.value, u.significance.label())).collect();
    for (name, points) in ["lower_95", "upper_95", "lower_998", "upper_998"].iter().zip(&chart.limits) {
        out.extend(points.iter().map(|(x, y)| line("limit", name, *x, *y, "")));
    }
    out
}

fn to_csv(charts: &[FunnelChart]) -> String {
    let mut out = COLUMNS.join(",") + "\n";
    for chart in charts {
        for l in lines(chart) {
            let cells: Vec<String> = l.iter().map(|c| crate::results::csv_field(c)).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
    }
    out
}

fn to_json(charts: &[FunnelChart]) -> String {
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = charts
        .iter()
        .flat_map(lines)
        .map(|l| {
            COLUMNS
                .iter()
                .zip(l)
                .map(|(k, v)| {
                    let value = match *k {
                        "denominator" | "value" | "average" => {
                            v.parse::<f64>().ok().map_or(serde_json::Value::Null, serde_json::Value::from)
                        }
                        _ if v.is_empty() => serde_json::Value::Null,
                        _ => serde_json::Value::from(v),
                    };
                    (k.to_string(), value)
                })
                .collect()
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n"
}

pub fn run(args: Args) -> u8 {
    let (files, project, config) =
        match args.project.checked_with_config(args.inputs.config.as_ref(), "no funnel was drawn") {
            Ok(p) => p,
            Err(code) => return code,
        };
    let overrides = Overrides { suppress: args.suppress, ..Overrides::default() };
    let session = match Session::open(args.project.paths.clone(), files, project, config, overrides) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let spinner = super::progress::Spinner::after_a_second("computing the funnels");
    let result = runtime.block_on(session.run(args.inputs.request()));
    spinner.finish();
    let output = match result {
        Ok(book) => book.output,
        Err(e) => return failed(e),
    };
    for w in &output.warnings {
        eprintln!("warning: {w}");
    }
    let heading = crate::output::heading(session.config.as_ref(), &session.paths);
    let title = format!("{} — funnel plots", heading.title);
    let charts = crate::output::book_of(&session.project, &output.rows, heading).funnels();
    if charts.is_empty() {
        return failed(
            "no measure has a funnel with judged units: give a measure `funnel by BREAKDOWN` (docs/language.md, \"Funnel plots\")",
        );
    }
    let bytes = match args.format {
        FunnelFormat::Csv => to_csv(&charts),
        FunnelFormat::Json => to_json(&charts),
        FunnelFormat::Html => crate::book::funnel_page(&charts, &title, output.as_of),
    };
    match &args.out {
        Some(path) => {
            if let Err(e) = fsutil::write_atomically(path, bytes.as_bytes()) {
                return failed(fsutil::write_failed(path, &e));
            }
            let units: usize = charts.iter().map(|c| c.units.len()).sum();
            eprintln!(
                "wrote {} funnel plot{} ({units} units) to {}",
                charts.len(),
                if charts.len() == 1 { "" } else { "s" },
                path.display()
            );
        }
        None => print!("{bytes}"),
    }
    exit::CLEAN
}
