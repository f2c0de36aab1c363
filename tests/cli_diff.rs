//! `scorebook diff` over two commits of a rules repository, as a pull request's CI runs it.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn scorebook() -> Command {
    let mut cmd = Command::cargo_bin("scorebook").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Analyst", "-c", "user.email=analyst@example.org", "-c", "commit.gpgsign=false"])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository holding a copy of `from` as `rules/`, committed, and the head of the change.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn of(from: &str) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        std::fs::create_dir(&rules).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "ind") {
                std::fs::copy(&p, rules.join(p.file_name().unwrap())).unwrap();
            }
        }
        git(dir.path(), &["init", "-q", "-b", "main"]);
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-q", "-m", "base"]);
        Repo { dir }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join("rules").join(file)
    }

    /// Replaces `old` by `new` in a rule file (exactly once).
    fn edit(&self, file: &str, old: &str, new: &str) {
        let text = std::fs::read_to_string(self.path(file)).unwrap();
        assert_eq!(text.matches(old).count(), 1, "`{old}` in {file}");
        std::fs::write(self.path(file), text.replace(old, new)).unwrap();
    }

    fn commit(&self, message: &str) {
        git(self.dir.path(), &["commit", "-q", "-a", "-m", message]);
    }

    fn diff(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        scorebook().current_dir(self.dir.path()).arg("diff").args(args).assert()
    }
}

fn json_of(out: &assert_cmd::assert::Assert) -> serde_json::Value {
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn measure<'a>(doc: &'a serde_json::Value, reference: &str) -> &'a serde_json::Value {
    doc["measures"].as_array().unwrap().iter().find(|m| m["ref"] == reference).unwrap()
}

/// The council book with four edits: each measure classed from the checked rules.
fn edited_council() -> Repo {
    let repo = Repo::of("rules");
    // A title: metadata.
    repo.edit(
        "1-setting-the-scene.ind",
        "\"Number of children subject of CP plans at point in time\"",
        "\"Children subject of a child protection plan at the period end\"",
    );
    // The timescale: the definition (and 2.1a's value in every period it has assessments).
    repo.edit(
        "2-quality-of-practice.ind",
        "meeting   working_days(start_date, completed_date) <= 10\n    polarity  high\n    benchmark sn 79%",
        "meeting   working_days(start_date, completed_date) <= 15\n    polarity  high\n    benchmark sn 79%",
    );
    // RAG bands: a judgement.
    repo.edit("2-quality-of-practice.ind", "    target     90%\n", "    target     85%\n");
    // A reformat and a comment: no change.
    repo.edit(
        "1-setting-the-scene.ind",
        "    count distinct child_id from cin_episodes\n    open at period end\n    polarity  in_line_with_benchmark\n    benchmark sn 2711",
        "    # Every child once, however many episodes.\n    count   distinct   child_id   from   cin_episodes\n    open at period end\n    polarity  in_line_with_benchmark\n    benchmark sn 2711",
    );
    repo.commit("head");
    repo
}

#[test]
fn each_measure_is_classed_from_the_checked_rules() {
    let repo = edited_council();
    let out = repo.diff(&["HEAD~1", "HEAD", "rules", "--format", "json"]).code(0);
    let doc = json_of(&out);
    assert_eq!(doc["base"]["revision"], "HEAD~1");
    assert_eq!(doc["head"]["revision"], "HEAD");
    assert_eq!(doc["head"]["commit"].as_str().unwrap().len(), 40);
    let change = |r: &str| measure(&doc, r)["change"].as_str().unwrap().to_string();
    assert_eq!(change("1.2a"), "metadata");
    assert_eq!(change("2.1a"), "definition");
    assert_eq!(change("1.1a"), "unchanged", "a reformat and a comment");
    assert_eq!(change("1.1b"), "unchanged", "the rate of an unchanged count");
    let judged: Vec<&str> = doc["measures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["change"] == "judgement")
        .map(|m| m["ref"].as_str().unwrap())
        .collect();
    assert_eq!(judged.len(), 1, "{judged:?}");
    assert_eq!(measure(&doc, "2.1a")["what"], serde_json::json!(["meeting: <= 10 → <= 15"]));
    assert_eq!(
        measure(&doc, "1.2a")["what"],
        serde_json::json!([
            "title: \"Number of children subject of CP plans at point in time\" → \"Children subject of a child \
             protection plan at the period end\""
        ])
    );
    assert_eq!(measure(&doc, judged[0])["what"], serde_json::json!(["target: 90% → 85%"]));
    // Without data, nothing is said of the numbers.
    assert!(measure(&doc, "2.1a")["periods_changed"].is_null());
    let unchanged = doc["measures"].as_array().unwrap().iter().filter(|m| m["change"] == "unchanged").count();
    assert_eq!(unchanged, doc["measures"].as_array().unwrap().len() - 3);

    // The working tree is HEAD when left out; --fail-on makes a definition change fail CI.
    let text = repo.diff(&["HEAD~1", "--fail-on", "definition"]).code(1);
    let printed = String::from_utf8(text.get_output().stdout.clone()).unwrap();
    assert!(printed.starts_with("HEAD~1 ("), "{printed}");
    assert!(printed.contains("→ working tree: "), "{printed}");
    assert!(printed.contains("1 definition, 1 judgement, 1 metadata"), "{printed}");
    assert!(printed.contains("meeting: <= 10 → <= 15"), "{printed}");
    repo.diff(&["HEAD~1", "--fail-on", "removed,added"]).code(0);
}

/// A measure calculated from a redefined one is redefined; a measure added or removed is
/// named as such.
#[test]
fn what_a_measure_reads_can_change_it() {
    let repo = Repo::of("rules");
    repo.edit(
        "1-setting-the-scene.ind",
        "    count distinct child_id from cin_episodes\n    open at period end\n    polarity  in_line_with_benchmark\n    benchmark sn 2711",
        "    count distinct child_id from cin_episodes\n    open during period\n    polarity  in_line_with_benchmark\n    benchmark sn 2711",
    );
    // A column's missing codes in a source: every measure over referrals is redefined.
    repo.edit("sources.ind", "  referral_date    date?\n", "  referral_date    date?  missing \"unknown\"\n");
    repo.commit("head");
    let doc = json_of(&repo.diff(&["HEAD~1", "HEAD", "--format", "json"]).code(0));
    assert_eq!(measure(&doc, "1.1a")["what"], serde_json::json!(["rows: open at period end → open during period"]));
    assert_eq!(measure(&doc, "1.1b")["change"], "definition");
    assert_eq!(measure(&doc, "1.1b")["what"], serde_json::json!(["reads cin_at_point, whose definition changed"]));
    assert_eq!(measure(&doc, "3.2")["change"], "definition");
    assert_eq!(
        measure(&doc, "3.2")["what"],
        serde_json::json!(["source referrals: referral_date: date? → date? missing \"unknown\""])
    );
    assert_eq!(measure(&doc, "2.1a")["change"], "unchanged");
}

/// With data, the periods a change moves are exactly those where the two runs differ.
#[test]
fn with_data_the_periods_changed_are_those_the_runs_differ_on() {
    let repo = edited_council();
    let edge = std::fs::canonicalize("tests/fixtures/edge").unwrap();
    let edge = edge.to_str().unwrap();
    let doc =
        json_of(&repo.diff(&["HEAD~1", "HEAD", "--data", edge, "--as-of", "2013-09-30", "--format", "json"]).code(0));
    let run = |rules: &Path| -> Vec<(String, String, String)> {
        let out = scorebook()
            .args(["run", rules.to_str().unwrap(), "--data", edge, "--as-of", "2013-09-30", "--format", "csv"])
            .assert()
            .code(0);
        let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        reader
            .records()
            .map(Result::unwrap)
            .filter(|r| r[17].is_empty())
            .map(|r| (r[0].to_string(), r[5].to_string(), r[10].to_string()))
            .collect()
    };
    let old = run(Path::new("rules"));
    let new = run(&repo.dir.path().join("rules"));
    for m in doc["measures"].as_array().unwrap() {
        let reference = m["ref"].as_str().unwrap();
        let values = |rows: &[(String, String, String)]| -> Vec<(String, String)> {
            rows.iter().filter(|r| r.0 == reference).map(|r| (r.1.clone(), r.2.clone())).collect()
        };
        let (a, b) = (values(&old), values(&new));
        let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        assert_eq!(m["periods_changed"].as_u64().unwrap() as usize, differing, "{reference}");
    }
    let changed = measure(&doc, "2.1a")["periods_changed"].as_u64().unwrap();
    assert!(changed > 0);
    // Each changed period says old and new; the title edit moves nothing.
    let first = &measure(&doc, "2.1a")["periods"][0];
    assert!(first["old"].is_number() && first["new"].is_number() && first["old"] != first["new"], "{first}");
    assert_eq!(measure(&doc, "1.2a")["periods_changed"], 0);

    // Both runs keep to the project's memory limit, as `run` does.
    let config = repo.dir.path().join("scorebook.toml");
    std::fs::write(&config, "[run]\nmemory_limit = \"64KB\"\n").unwrap();
    let starved = repo
        .diff(&["HEAD~1", "HEAD", "--data", edge, "--as-of", "2013-09-30", "--config", config.to_str().unwrap()])
        .code(2);
    let message = String::from_utf8_lossy(&starved.get_output().stderr).into_owned();
    assert!(message.contains("the run needed more memory than its limit of 64KB"), "{message}");
}

/// A change to every measure of the council book and the SSDA903 book: the comment stays under
/// GitHub's limit, the whole report goes to `--out`.
#[test]
fn the_markdown_comment_fits_under_the_limit() {
    for (from, data, as_of) in
        [("rules", "tests/fixtures/edge", "2013-09-30"), ("examples/ssda903", "tests/fixtures/ssda903", "2014-03-31")]
    {
        let repo = Repo::of(from);
        for e in std::fs::read_dir(repo.dir.path().join("rules")).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap();
            // Every title, and every `polarity` line: each measure changes.
            let text =
                text.replace("    title ", "    title \"Revised: \" ").replace("polarity  high", "polarity  low");
            std::fs::write(&p, text).unwrap();
        }
        repo.commit("head");
        let data = std::fs::canonicalize(data).unwrap();
        let out_file = repo.dir.path().join("diff.md");
        let out = repo
            .diff(&[
                "HEAD~1",
                "HEAD",
                "--data",
                data.to_str().unwrap(),
                "--as-of",
                as_of,
                "--format",
                "markdown",
                "--out",
                out_file.to_str().unwrap(),
            ])
            .code(0);
        let comment = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        assert!(comment.chars().count() <= 60_000, "{from}: {} characters", comment.chars().count());
        assert!(comment.starts_with("### scorebook diff: HEAD~1"), "{comment}");
        assert!(comment.contains("| change | measures |"));
        let whole = std::fs::read_to_string(&out_file).unwrap();
        assert!(whole.len() >= comment.len());
        assert!(whole.matches("<details>").count() >= comment.matches("<details>").count());
    }
}

/// Rules new since the base: every measure is added; a revision git does not know is an error
/// that says what to name.
#[test]
fn rules_new_since_the_base_are_all_added() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README"), "rules to come\n").unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    for e in std::fs::read_dir("examples/send").unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, rules.join(p.file_name().unwrap())).unwrap();
    }
    let out = scorebook().current_dir(dir.path()).args(["diff", "main", "--format", "json"]).assert().code(0);
    let doc = json_of(&out);
    let changes: Vec<&str> =
        doc["measures"].as_array().unwrap().iter().map(|m| m["change"].as_str().unwrap()).collect();
    assert_eq!(changes, ["added"; 4]);
    scorebook()
        .current_dir(dir.path())
        .args(["diff", "no-such-branch"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no revision `no-such-branch` in the git repository holding rules"));
}

/// A version added from a date is a change of definition (its periods from then on), named by
/// its date, note and clauses; a version that changes only the target is a judgement; one
/// that moves only its note is words.
#[test]
fn versions_are_classed_by_what_they_change() {
    let repo = Repo::of("rules");
    let timescale = "meeting   working_days(start_date, completed_date) <= 10\n    polarity  high\n    benchmark sn 79%, england 77%\n";
    repo.edit(
        "2-quality-of-practice.ind",
        timescale,
        &format!("{timescale}    version 2 from 2013-07-01 \"Timescale 10 to 15 working days\" {{\n      meeting working_days(start_date, completed_date) <= 15\n    }}\n"),
    );
    repo.edit(
        "2-quality-of-practice.ind",
        "    target     90%\n",
        "    target     90%\n    version 2 from 2013-07-01 \"A lower target\" {\n      target 85%\n    }\n",
    );
    repo.commit("versions");
    let doc = json_of(&repo.diff(&["HEAD~1", "HEAD", "rules", "--format", "json"]).code(0));
    assert_eq!(measure(&doc, "2.1a")["change"], "definition");
    assert_eq!(
        measure(&doc, "2.1a")["what"],
        serde_json::json!([
            "version 2: + from 2013-07-01 \"Timescale 10 to 15 working days\"",
            "version 2 meeting: + working_days(start_date, completed_date) <= 15"
        ])
    );
    let judged: Vec<&serde_json::Value> =
        doc["measures"].as_array().unwrap().iter().filter(|m| m["change"] == "judgement").collect();
    assert_eq!(judged.len(), 1, "{judged:?}");
    assert_eq!(judged[0]["what"][1], "version 2 target: + 85%");

    // Only the release note: words.
    repo.edit("2-quality-of-practice.ind", "\"A lower target\"", "\"A lower target (board, March 2013)\"");
    repo.commit("note");
    let doc = json_of(&repo.diff(&["HEAD~1", "HEAD", "rules", "--format", "json"]).code(0));
    let changed: Vec<(&str, &str)> = doc["measures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["change"] != "unchanged")
        .map(|m| (m["ref"].as_str().unwrap(), m["change"].as_str().unwrap()))
        .collect();
    assert_eq!(changed, [(judged[0]["ref"].as_str().unwrap(), "metadata")]);
}
