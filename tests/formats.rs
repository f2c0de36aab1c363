//! The same data read from every supported format, and bound in every supported way, gives
//! the same book; raw exports read through their declared headers, formats and value maps.

use scorebook::config::Config;
use scorebook::engine::{self, RunOptions};
use scorebook::ir::Project;
use scorebook::project;
use scorebook::results::ResultRow;
use std::path::{Path, PathBuf};

fn council_project() -> Project {
    project::check_paths(&[PathBuf::from("rules")]).unwrap().1.project.unwrap()
}

fn run(
    project: &Project,
    config: Option<&Config>,
    data: Option<&Path>,
    measures: &[&str],
) -> (Vec<ResultRow>, Vec<String>) {
    let options = RunOptions {
        as_of: Some("2013-09-30".parse().unwrap()),
        data_dir: data.map(Path::to_path_buf),
        measures: measures.iter().map(|m| m.to_string()).collect(),
        ..RunOptions::default()
    };
    let out = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(engine::run(project, config, &options))
        .unwrap_or_else(|e| panic!("{e}"));
    (out.rows, out.warnings)
}

/// (ref, period, numerator, denominator, value)
type Cell = (String, String, Option<f64>, Option<f64>, Option<f64>);

fn values(rows: &[ResultRow]) -> Vec<Cell> {
    rows.iter().map(|r| (r.reference.clone(), r.period_label.clone(), r.numerator, r.denominator, r.value)).collect()
}

/// Writes a CSV fixture in another format with DataFusion's writers.
async fn convert(csv: &Path, out: &Path, kind: &str) {
    let ctx = datafusion::prelude::SessionContext::new();
    let df = ctx.read_csv(csv.to_str().unwrap(), datafusion::prelude::CsvReadOptions::new()).await.unwrap();
    // Dates as dates, so that columnar files carry real types.
    let schema = df.schema().clone();
    let cols: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| {
            let c = datafusion::prelude::ident(f.name());
            if f.name().ends_with("date") {
                datafusion::prelude::cast(c, datafusion::arrow::datatypes::DataType::Date32).alias(f.name())
            } else if f.name() == "previous_plans" {
                datafusion::prelude::cast(c, datafusion::arrow::datatypes::DataType::Int64).alias(f.name())
            } else {
                datafusion::prelude::cast(c, datafusion::arrow::datatypes::DataType::Utf8).alias(f.name())
            }
        })
        .collect();
    let df = df.select(cols).unwrap();
    let batches = df.collect().await.unwrap();
    match kind {
        "parquet" => {
            let file = std::fs::File::create(out).unwrap();
            let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(file, batches[0].schema(), None).unwrap();
            for b in &batches {
                w.write(b).unwrap();
            }
            w.close().unwrap();
        }
        "arrow" => {
            let file = std::fs::File::create(out).unwrap();
            let mut w = datafusion::arrow::ipc::writer::FileWriter::try_new(file, &batches[0].schema()).unwrap();
            for b in &batches {
                w.write(b).unwrap();
            }
            w.finish().unwrap();
        }
        _ => unreachable!(),
    }
}

fn csv_to_ndjson(csv: &Path, out: &Path) {
    let mut reader = csv::Reader::from_path(csv).unwrap();
    let headers = reader.headers().unwrap().clone();
    let mut text = String::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let obj: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| {
                let v = match v {
                    "" => serde_json::Value::Null,
                    "true" => serde_json::Value::Bool(true),
                    "false" => serde_json::Value::Bool(false),
                    v => serde_json::Value::String(v.to_string()),
                };
                (h.to_string(), v)
            })
            .collect();
        text.push_str(&serde_json::Value::Object(obj).to_string());
        text.push('\n');
    }
    std::fs::write(out, text).unwrap();
}

fn csv_to_xlsx(csv: &Path, out: &Path, sheet: &str) {
    let mut reader = csv::Reader::from_path(csv).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (c, h) in reader.headers().unwrap().iter().enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    for (r, rec) in reader.records().enumerate() {
        for (c, v) in rec.unwrap().iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, v).unwrap();
            }
        }
    }
    book.save(out).unwrap();
}

#[test]
fn every_format_gives_the_same_book() {
    let project = council_project();
    let measures = ["1.1a", "1.2a", "3.2", "3.3", "4.5", "3.7"];
    let edge = Path::new("tests/fixtures/edge");
    let (expected, _) = run(&project, None, Some(edge), &measures);

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for f in std::fs::read_dir(edge).unwrap() {
        let p = f.unwrap().path();
        std::fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(convert(&edge.join("cp_plans.csv"), &d.join("cp_plans.parquet"), "parquet"));
    rt.block_on(convert(&edge.join("cin_episodes.csv"), &d.join("cin_episodes.arrow"), "arrow"));
    csv_to_ndjson(&edge.join("referrals.csv"), &d.join("referrals.ndjson"));
    csv_to_xlsx(&edge.join("contacts.csv"), &d.join("annex.xlsx"), "Contacts");
    // Members in two files of one directory.
    let members = std::fs::read_to_string(edge.join("member_training.csv")).unwrap();
    let mut lines = members.lines();
    let header = lines.next().unwrap();
    let rest: Vec<&str> = lines.collect();
    std::fs::create_dir(d.join("members")).unwrap();
    std::fs::write(d.join("members/a.csv"), format!("{header}\n{}\n{}\n", rest[0], rest[1])).unwrap();
    std::fs::write(d.join("members/b.csv"), format!("{header}\n{}\n{}\n", rest[2], rest[3])).unwrap();
    for name in ["cp_plans.csv", "cin_episodes.csv", "referrals.csv", "contacts.csv", "member_training.csv"] {
        std::fs::remove_file(d.join(name)).unwrap();
    }
    let config_path = d.join("scorebook.toml");
    std::fs::write(
        &config_path,
        "[data]\ndir = \".\"\n\n[sources.contacts]\npath = \"annex.xlsx\"\nsheet = \"Contacts\"\n\n[sources.member_training]\npath = \"members\"\n",
    )
    .unwrap();
    let config = Config::read(&config_path).unwrap();
    let (got, _) = run(&project, Some(&config), None, &measures);
    assert_eq!(values(&got), values(&expected));
}

#[test]
fn raw_exports_read_through_headers_formats_and_value_maps() {
    let rules = r#"
source referrals {
  referral_id    text   key  from "Referral ID"
  child_id       text        from "Child ID"
  referral_date  date        from "Date of referral"  format "dd/mm/yyyy"
  nfa            bool?       from "NFA?"  map "a) Yes" -> true, "b) No" -> false
  priority       int?        from "Priority"  missing "c", "x"
}

measure nfa_share {
  ref "R1"
  percent of referrals
  in period by referral_date
  meeting nfa
}

measure mean_priority {
  ref "R2"
  mean priority of referrals
  in period by referral_date
}
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("raw.ind"), rules).unwrap();
    std::fs::write(
        dir.path().join("referrals.csv"),
        "\u{feff}Referral ID,Child ID,Date of referral,NFA?,Priority\r\n0001,0007,02/09/2013,a) Yes,1\r\n0002,0008,30/09/2013,b) No,x\r\n0003,0009,01/10/2013,b) No,3\r\n0004,0010,15/09/2013,,5\r\n",
    )
    .unwrap();
    let project = project::check_paths(&[dir.path().join("raw.ind")]).unwrap().1.project.unwrap();
    let (rows, _) = run(&project, None, Some(dir.path()), &[]);
    let sept = rows.iter().find(|r| r.reference == "R1" && r.period_label == "2013-09").unwrap();
    // Three referrals in September; one is NFA; the missing NFA is not true.
    assert_eq!((sept.numerator, sept.denominator), (Some(1.0), Some(3.0)));
    // Priority `x` is missing with a reason: the mean is over 1 and 5.
    let mean = rows.iter().find(|r| r.reference == "R2" && r.period_label == "2013-09").unwrap();
    assert_eq!(mean.value, Some(3.0));
}

#[test]
fn a_breakdown_by_area_uses_each_areas_population() {
    let rules = r#"
source cases {
  case_id    text  key
  child_id   text
  area_code  text?
  opened     date?
}

source population {
  area_code   text?
  year        int
  age_group   text?
  population  int?
}

population children from population where age_group = "0-17"

measure case_rate {
  ref "A1"
  count cases
  in period by opened
  per 10000 children
  by area_code
}
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("areas.ind"), rules).unwrap();
    std::fs::write(
        dir.path().join("cases.csv"),
        "case_id,child_id,area_code,opened\nk1,c1,X,2013-09-01\nk2,c2,X,2013-09-02\nk3,c3,Y,2013-09-03\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("population.csv"),
        "area_code,year,age_group,population\nX,2012,0-17,10000\nY,2012,0-17,20000\nY,2013,0-17,25000\n",
    )
    .unwrap();
    let project = project::check_paths(&[dir.path().join("areas.ind")]).unwrap().1.project.unwrap();
    let (rows, warnings) = run(&project, None, Some(dir.path()), &[]);
    let sept: Vec<(Option<&str>, Option<f64>, Option<f64>)> = rows
        .iter()
        .filter(|r| r.period_label == "2013-09")
        .map(|r| (r.breakdown_value.as_deref(), r.denominator, r.value))
        .collect();
    // X has only mid-2012; Y has mid-2013. The total divides by the sum of the areas' mid-2013.
    assert_eq!(
        sept,
        [
            (None, Some(25000.0), Some(1.2)),
            (Some("X"), Some(10000.0), Some(2.0)),
            (Some("Y"), Some(25000.0), Some(0.4))
        ]
    );
    assert!(warnings.iter().any(|w| w.contains("holds 2 areas")), "{warnings:?}");
}

#[test]
fn working_days_outside_the_holiday_list_warn_and_count_weekdays() {
    let rules = r#"
source assessments {
  assessment_id   text  key
  child_id        text
  start_date      date?
  completed_date  date?
}

measure quick {
  ref "W1"
  percent of assessments
  in period by completed_date
  meeting working_days(start_date, completed_date) = 6
}
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.ind"), rules).unwrap();
    // 2008-12-24 (Wed) to 2009-01-01 (Thu): six weekdays, three of them bank holidays the list does not know.
    std::fs::write(
        dir.path().join("assessments.csv"),
        "assessment_id,child_id,start_date,completed_date\na1,c1,2008-12-24,2009-01-01\n",
    )
    .unwrap();
    let project = project::check_paths(&[dir.path().join("w.ind")]).unwrap().1.project.unwrap();
    let options = RunOptions {
        as_of: Some("2009-01-31".parse().unwrap()),
        data_dir: Some(dir.path().to_path_buf()),
        ..RunOptions::default()
    };
    let out = tokio::runtime::Runtime::new().unwrap().block_on(engine::run(&project, None, &options)).unwrap();
    let jan = out.rows.iter().find(|r| r.period_label == "2009-01").unwrap();
    assert_eq!(jan.value, Some(100.0));
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("working days in 2008, 2009 count weekdays only") && w.contains("2010 to 2027")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn an_annex_a_export_read_with_its_profile_gives_the_same_book() {
    use scorebook::synth::{self, Layout, OutputFormat, SynthOptions};
    let opts = SynthOptions {
        children: 6_000,
        seed: 11,
        from: "2012-04-01".parse().unwrap(),
        to: "2013-09-30".parse().unwrap(),
        histories: Default::default(),
    };
    let tables = synth::generate(&opts);
    let (contract, raw) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    synth::write_tables(&tables, contract.path(), OutputFormat::Csv, Layout::Contract).unwrap();
    synth::write_tables(&tables, raw.path(), OutputFormat::Csv, Layout::AnnexA).unwrap();
    let header = std::fs::read_to_string(raw.path().join("referrals.csv")).unwrap();
    assert!(header.starts_with("Referral ID,Child Unique ID,Date of referral,"), "{header}");
    assert!(header.lines().nth(1).unwrap().contains("/20"), "dates are dd/mm/yyyy");

    let plain = council_project();
    let profiled = project::check_with_profile(&[PathBuf::from("rules")], Some(Path::new("profiles/annex-a")))
        .unwrap()
        .1
        .project
        .unwrap();
    let (a, _) = run(&plain, None, Some(contract.path()), &[]);
    let (b, _) = run(&profiled, None, Some(raw.path()), &[]);
    assert_eq!(values(&a), values(&b));
    assert!(a.iter().any(|r| r.reference == "3.2" && r.value.is_some_and(|v| v > 0.0)));
}
