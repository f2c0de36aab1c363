//! `scorebook catalogue`: a page for every measure of rules/ and examples/, each naming its
//! sources and tests, rendered in Chromium without console errors.

mod common;

use assert_cmd::Command;
use std::path::Path;

fn scorebook() -> Command {
    let mut cmd = Command::cargo_bin("scorebook").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn catalogue(rules: &str, extra: &[&str], out: &Path) {
    scorebook().args(["catalogue", rules, "--out"]).arg(out).args(extra).assert().code(0);
}

#[test]
fn every_measure_has_a_page_naming_its_sources_and_tests() {
    let dir = tempfile::tempdir().unwrap();
    for rules in ["rules", "examples/ssda903", "examples/ambulance", "examples/send", "examples/public-health"] {
        let out = dir.path().join(rules.replace('/', "-"));
        catalogue(rules, &[], &out);
        let (_, checked) = scorebook::project::check_paths(&[rules.into()]).unwrap();
        let project = checked.project.unwrap();
        let index = std::fs::read_to_string(out.join("index.html")).unwrap();
        assert!(
            !index.contains("http://") && !index.contains("https://"),
            "{rules}: the site must not reach the network"
        );
        for m in &project.measures {
            let page = out.join("measures").join(scorebook::catalogue::page_name(&m.reference));
            let html =
                std::fs::read_to_string(&page).unwrap_or_else(|_| panic!("{rules}: no page for {}", m.reference));
            assert!(
                index.contains(&format!("<tr data-ref=\"{}\">", m.reference)),
                "{rules}: {} not listed",
                m.reference
            );
            assert!(html.contains("<h2>Definition</h2>") && html.contains("<h2>Tests</h2>"), "{rules} {}", m.reference);
            // Every measure over rows names the source it reads, with file and line.
            if let Some(rows) = m.definition.rows() {
                assert!(
                    html.contains(&format!("<code>{}.", rows.source)),
                    "{rules} {}: no column of its source",
                    m.reference
                );
                assert!(html.contains(".ind:"), "{rules} {}: no file and line", m.reference);
            }
        }
    }

    // The council book: 2.1a's words, columns and the test that covers it.
    let out = dir.path().join("rules");
    let page = std::fs::read_to_string(out.join("measures/2.1a.html")).unwrap();
    assert!(page.contains("<dt>Numerator</dt><dd>those of them meeting <code>working_days(start_date, completed_date) &lt;= 10</code></dd>"), "{page}");
    assert!(
        page.contains("<dt>Only</dt><dd>rows where <code>assessment_type = \"initial\"</code></dd>")
            || page.contains("<dt>Only</dt><dd>rows where <code>assessment_type = &quot;initial&quot;</code></dd>"),
        "{page}"
    );
    assert!(
        page.contains("<tr><td><code>assessments.completed_date</code></td><td><code>rules/sources.ind:"),
        "{page}"
    );
    assert!(page.contains("Wilson score interval at 95% (the project's level)"), "{page}");
    assert!(page.contains("<ul id=\"tests\">"), "2.1a is tested in rules/: {page}");
    // A rate reads its count: each links to the other.
    let rate = std::fs::read_to_string(out.join("measures/1.1b.html")).unwrap();
    assert!(rate.contains("<h2>Calculated from</h2>\n<ul>\n<li><a href=\"1.1a.html\">1.1a</a>"), "{rate}");
    assert!(rate.contains("<h2>Population</h2>"), "{rate}");
    let count = std::fs::read_to_string(out.join("measures/1.1a.html")).unwrap();
    assert!(count.contains("<h2>Used by</h2>\n<ul>\n<li><a href=\"1.1b.html\">1.1b</a>"), "{count}");
    let coverage = std::fs::read_to_string(out.join("coverage.html")).unwrap();
    assert!(coverage.contains("<tr data-ref=\"2.1a\">"), "{coverage}");
}

#[test]
fn the_site_renders_in_chromium_and_searches() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    catalogue("rules", &["--data", "tests/fixtures/edge", "--as-of", "2013-09-30"], &out);
    let browser = common::Browser::new();
    let index = out.join("index.html");
    let (dom, console) = browser.dom_and_console(&format!("file://{}", index.display()));
    assert!(console.is_empty(), "console: {console}");
    // With data, the latest value and RAG of each measure: 3.2 is red in September.
    let row = dom.lines().find(|l| l.starts_with("<tr data-ref=\"3.2\">")).unwrap();
    assert!(row.contains("<td>2013-09</td>") && row.contains("<span class=\"rag red\">red</span>"), "{row}");
    // A search from the address: only matching rows are shown.
    let (dom, console) = browser.dom_and_console(&format!("file://{}#q=repeat%20referrals", index.display()));
    assert!(console.is_empty(), "console: {console}");
    let shown: Vec<&str> = dom.lines().filter(|l| l.starts_with("<tr data-ref=") && !l.contains(" hidden")).collect();
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert!(shown[0].starts_with("<tr data-ref=\"3.2\">"));
    for page in ["coverage.html", "measures/2.1a.html", "measures/1.1b.html"] {
        let (dom, console) = browser.dom_and_console(&format!("file://{}", out.join(page).display()));
        assert!(console.is_empty(), "{page}: {console}");
        assert!(dom.contains("<h1>"), "{page}");
    }
}
