//! What several test files share: headless Chromium for the tests that render HTML (the book,
//! the SPC charts; Debian's `chromium` package, which scripts/test.sh installs), the
//! declared column types the warehouse harness loads tables with, and `run`'s CSV read back as
//! rows for the tests that recompute a book independently.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A page rendered in headless Chromium, with its own profile directory.
pub struct Browser {
    path: PathBuf,
    profile: tempfile::TempDir,
}

impl Browser {
    pub fn new() -> Browser {
        let path = ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|name| {
                std::env::var_os("PATH")
                    .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file()))
            })
            .expect("Chromium is not installed: run `bash scripts/test.sh`, which installs Debian's chromium package");
        Browser { path, profile: tempfile::tempdir().unwrap() }
    }

    fn headless(&self, width: u32, height: u32) -> Command {
        let mut cmd = Command::new(&self.path);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--user-data-dir={}", self.profile.path().display()));
        cmd
    }

    /// The page's DOM after Chromium has parsed and laid it out.
    pub fn dom(&self, page: &Path) -> String {
        let out =
            self.headless(1800, 1400).arg("--dump-dom").arg(format!("file://{}", page.display())).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// The DOM at a URL (a `file://` page with a `#fragment`, say), and what the page wrote to
    /// its console (errors included) as Chromium logs it.
    pub fn dom_and_console(&self, url: &str) -> (String, String) {
        let out = self
            .headless(1800, 1400)
            .args(["--enable-logging=stderr", "--v=0", "--dump-dom"])
            .arg(url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let console: Vec<&str> = std::str::from_utf8(&out.stderr)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
            .collect();
        (String::from_utf8(out.stdout).unwrap(), console.join("\n"))
    }

    /// A screenshot of the page's first `width` × `height` pixels, kept at `shot`.
    pub fn screenshot(&self, page: &Path, shot: &Path, width: u32, height: u32) {
        let out = self
            .headless(width, height)
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", page.display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(std::fs::metadata(shot).unwrap().len() > 10_000, "the screenshot is empty");
        eprintln!("screenshot: {}", shot.display());
    }
}

/// The project's declared columns, for the harness to create typed tables.
pub fn types_json(rules: &str, dir: &Path) -> std::path::PathBuf {
    let project = scorebook::project::check_paths(&[rules.into()]).unwrap().1.project.unwrap();
    let types: serde_json::Map<String, serde_json::Value> = project
        .sources
        .iter()
        .filter(|s| s.subset.is_none())
        .map(|s| {
            let columns = s.columns.iter().map(|c| serde_json::json!([c.name, c.ty.name(), c.date_format, c.header]));
            (s.name.clone(), columns.collect())
        })
        .collect();
    let path = dir.join("types.json");
    std::fs::write(&path, serde_json::to_string(&types).unwrap()).unwrap();
    path
}

/// `scorebook run RULES --format csv --data DATA ARGS`, which must succeed: its rows, each by
/// column name, and what it wrote to standard error.
pub fn run_csv(rules: &str, data: &Path, args: &[&str]) -> (Vec<HashMap<String, String>>, String) {
    let out = assert_cmd::Command::cargo_bin("scorebook")
        .unwrap()
        .args(["run", rules, "--format", "csv", "--data"])
        .arg(data)
        .args(args)
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    let stdout = out.get_output().stdout.clone();
    let mut reader = csv::Reader::from_reader(stdout.as_slice());
    let headers = reader.headers().unwrap().clone();
    let rows =
        reader.records().map(|r| headers.iter().map(String::from).zip(r.unwrap().iter().map(String::from)).collect());
    (rows.collect(), stderr)
}

/// A row's cell as a number; `None` when empty.
pub fn number(r: &HashMap<String, String>, column: &str) -> Option<f64> {
    r[column].parse().ok()
}
