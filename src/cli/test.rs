//! `scorebook test`

use super::{exit, use_colour};
use crate::diagnostics::render::human;
use crate::session::{Overrides, Session};
use crate::testing::{self, Outcome};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    /// One line per test, failures with the expectation's snippet.
    Human,
    /// One JSON document with every test.
    Json,
    /// JUnit XML, for CI systems.
    Junit,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: super::ProjectArgs,
    /// The project file whose holidays, RAG banding and confidence level the tests run with
    /// (default: scorebook.toml in the current directory, if any), as `run` uses them.
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Run only the tests whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
    #[arg(long, value_enum, default_value = "human")]
    format: TestFormat,
    /// Also show, per measure, how many tests expect something of it and the RAG bands hit.
    #[arg(long)]
    coverage: bool,
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn run(args: Args) -> u8 {
    let (files, project, config) = match args.project.checked_with_config(args.config.as_ref(), "no test was run") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let session = match Session::open(args.project.paths.clone(), files, project, config, Overrides::default()) {
        Ok(s) => s,
        Err(e) => return super::failed(e),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let outcomes: Vec<Outcome> = match runtime.block_on(session.test(args.filter.as_deref())) {
        Ok(o) => o,
        Err(e) => return super::failed(e),
    };
    let (files, project) = (&session.files, &session.project);
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let failed_count = outcomes.len() - passed;
    let place = |o: &Outcome| {
        let f = files.get(o.span.file);
        let (line, col) = f.line_col(o.span.start);
        (f.display_path(), line, col)
    };
    let colour = use_colour(&std::io::stdout());
    match args.format {
        TestFormat::Human => {
            for o in &outcomes {
                let (file, line, _) = place(o);
                println!("{} {file}:{line} {}", if o.passed() { "PASS" } else { "FAIL" }, o.name);
                if let Some(e) = &o.error {
                    println!("  error: {}", e.replace('\n', "\n  "));
                }
                for f in &o.failures {
                    print!("{}", human(&f.diagnostic(), files, colour));
                }
            }
            if args.coverage {
                println!();
                let coverage = testing::coverage(project, &outcomes);
                // Columns as wide as their longest entry (at least the council book's widths).
                let refs = coverage.iter().map(|c| c.reference.chars().count()).max().unwrap_or(0).max(6);
                let names = coverage.iter().map(|c| c.measure.chars().count()).max().unwrap_or(0).max(40);
                println!("{:<refs$} {:<names$} {:>5}  rag bands hit", "ref", "measure", "tests");
                for c in &coverage {
                    let bands = if c.rag_bands.is_empty() { "-".to_string() } else { c.rag_bands.join(", ") };
                    println!("{:<refs$} {:<names$} {:>5}  {bands}", c.reference, c.measure, c.tests);
                }
                let covered = coverage.iter().filter(|c| c.tests > 0).count();
                println!("{covered} of {} measures tested", project.measures.len());
            }
            println!("\n{passed} passed, {failed_count} failed");
        }
        TestFormat::Json => {
            let tests: Vec<serde_json::Value> = outcomes
                .iter()
                .map(|o| {
                    let (file, line, column) = place(o);
                    let failures: Vec<serde_json::Value> = o
                        .failures
                        .iter()
                        .map(|f| {
                            let (l, c) = files.get(f.span.file).line_col(f.span.start);
                            serde_json::json!({"expectation": f.what, "expected": f.expected, "actual": f.actual, "line": l, "column": c})
                        })
                        .collect();
                    serde_json::json!({"name": o.name, "file": file, "line": line, "column": column, "passed": o.passed(), "error": o.error, "failures": failures})
                })
                .collect();
            let mut doc = serde_json::json!({"passed": passed, "failed": failed_count, "tests": tests});
            if args.coverage {
                doc["coverage"] =
                    serde_json::to_value(testing::coverage(project, &outcomes)).expect("coverage serialises");
            }
            println!("{}", serde_json::to_string_pretty(&doc).expect("results serialise"));
        }
        TestFormat::Junit => {
            let mut out = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"{}\" failures=\"{failed_count}\">\n  <testsuite name=\"scorebook\" tests=\"{}\" failures=\"{failed_count}\">\n",
                outcomes.len(),
                outcomes.len()
            );
            for o in &outcomes {
                let (file, line, _) = place(o);
                out.push_str(&format!(
                    "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{line}\"",
                    xml(&o.name),
                    xml(&file),
                    xml(&file)
                ));
                if o.passed() {
                    out.push_str("/>\n");
                    continue;
                }
                out.push_str(">\n");
                if let Some(e) = &o.error {
                    out.push_str(&format!("      <error message=\"{}\"/>\n", xml(e)));
                }
                for f in &o.failures {
                    let (l, _) = files.get(f.span.file).line_col(f.span.start);
                    let message = format!("expected {} = {}, got {}", f.what, f.expected, f.actual);
                    out.push_str(&format!(
                        "      <failure message=\"{}\">{}:{l}</failure>\n",
                        xml(&message),
                        xml(&file)
                    ));
                }
                out.push_str("    </testcase>\n");
            }
            out.push_str("  </testsuite>\n</testsuites>\n");
            print!("{out}");
        }
    }
    if failed_count > 0 {
        exit::PROBLEMS
    } else {
        exit::CLEAN
    }
}
