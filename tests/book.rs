//! The performance book's reports: HTML rendered in headless Chromium, Excel read back,
//! Markdown. Chromium comes from Debian's `chromium` package (scripts/test.sh installs it).

use scorebook::engine::{self, RunOptions};
use scorebook::{book, project};
use std::path::{Path, PathBuf};
use std::process::Command;

fn the_book() -> (scorebook::ir::Project, Vec<scorebook::results::ResultRow>) {
    let project = project::check_paths(&[PathBuf::from("rules")]).unwrap().1.project.unwrap();
    let options = RunOptions {
        as_of: Some("2013-09-30".parse().unwrap()),
        data_dir: Some(PathBuf::from("tests/fixtures/edge")),
        ..RunOptions::default()
    };
    let out = tokio::runtime::Runtime::new().unwrap().block_on(engine::run(&project, None, &options)).unwrap();
    (project, out.rows)
}

fn layout(project: &scorebook::ir::Project, rows: &[scorebook::results::ResultRow]) -> book::Book {
    book::layout(rows, &|r: &str| {
        project.measures.iter().find(|m| m.reference == r).map(|m| format!("{:?}", m.polarity)).unwrap_or_default()
    })
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        std::env::var_os("PATH")
            .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file()))
    })
}

fn headless(browser: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1800,1400",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
fn html_renders_every_measure_and_its_rag_in_chromium() {
    let (project, rows) = the_book();
    let html = book::to_html(&layout(&project, &rows), "Performance Book");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let page = out_dir.join("book.html");
    std::fs::write(&page, &html).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "the page must not reach the network");

    let Some(browser) = chromium() else {
        panic!("Chromium is not installed: run `bash scripts/test.sh`, which installs Debian's chromium package");
    };
    let profile = tempfile::tempdir().unwrap();
    let dom = headless(&browser, profile.path())
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8(dom.stdout).unwrap();
    for m in &project.measures {
        assert!(dom.contains(&format!("<tr data-ref=\"{}\">", m.reference)), "{} is not on the page", m.reference);
    }
    // RAG as text as well as colour: 3.2 (repeat referrals) is red in September.
    assert!(dom.contains("<td class=\"rag red\">Red</td>"), "no red RAG cell rendered");
    assert!(dom.contains("id=\"tracker\""));
    assert!(dom.contains("<svg class=\"trend\""));

    let shot = out_dir.join("book.png");
    let status = headless(&browser, profile.path())
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(status.status.success());
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000, "the screenshot is empty");
    eprintln!("screenshot of the book: {}", shot.display());
}

#[test]
fn xlsx_has_both_sheets_with_values_and_rag_text() {
    use calamine::{Data, Reader, Xlsx};
    let (project, rows) = the_book();
    let bytes = book::to_xlsx(&layout(&project, &rows)).unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), ["Performance Book", "Target Tracker"]);
    let book = wb.worksheet_range("Performance Book").unwrap();
    let header: Vec<String> = book.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(&header[..6], ["Theme", "Ref", "Measure", "Polarity", "RAG", "yr end 2012-13"]);
    let row_of = |r: &str| book.rows().find(|row| row[1] == r).unwrap().to_vec();
    let repeat = row_of("3.2");
    assert_eq!(repeat[4], Data::String("Red".into()));
    let sep = header.iter().position(|h| h == "Sep 13").unwrap();
    assert_eq!(repeat[sep], Data::Float(33.3));
    let cin = row_of("1.1a");
    assert_eq!(cin[5], Data::Float(1.0));
    let tracker = wb.worksheet_range("Target Tracker").unwrap();
    let refs: Vec<String> = tracker.rows().skip(1).map(|r| r[1].to_string()).collect();
    assert_eq!(refs, ["2.3", "2.4a", "2.5", "2.9", "2.11", "2.12", "3.2", "3.3", "3.7", "4.1", "4.2", "4.5"]);
}

#[test]
fn markdown_is_a_table_of_every_measure() {
    let (project, rows) = the_book();
    let md = book::to_markdown(&layout(&project, &rows));
    let lines: Vec<&str> = md.lines().collect();
    assert!(lines[0].starts_with("| Ref | Measure | RAG | yr end 2012-13 | Apr 13 |"));
    assert_eq!(lines.len(), 2 + project.measures.len());
    assert!(lines.iter().any(|l| l.starts_with("| 3.2 | % of referrals which are repeat referrals | red |")));
}
