//! Headless Chromium for the tests that render HTML (the book, the SPC charts). Chromium comes
//! from Debian's `chromium` package (scripts/test.sh installs it).

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
