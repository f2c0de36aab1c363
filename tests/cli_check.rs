//! `scorebook check`, `fmt` and `explain` as a user runs them: output and exit codes.

use assert_cmd::Command;
use predicates::prelude::*;
use scorebook::diagnostics::Code;

fn scorebook() -> Command {
    let mut cmd = Command::cargo_bin("scorebook").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

#[test]
fn check_clean_project_exits_zero() {
    scorebook()
        .args(["check", "rules"])
        .assert()
        .code(0)
        .stdout("")
        .stderr(predicate::str::contains("checked 5 files, 32 measures: no problems"));
}

#[test]
fn check_without_paths_checks_rules_as_every_command_does() {
    scorebook()
        .arg("check")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("checked 5 files, 32 measures: no problems"));
}

#[test]
fn check_errors_exit_one_with_rendered_snippet() {
    scorebook()
        .args(["check", "tests/corpus/invalid/SB201-unknown-column.ind"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("unknown column `referal_date` in source `referrals`"))
        .stdout(predicate::str::contains("help: did you mean `referral_date`?"))
        .stderr(predicate::str::contains("1 error, 0 warnings"));
}

#[test]
fn check_json_gives_one_object_per_diagnostic() {
    let out = scorebook()
        .args(["check", "--format", "json", "tests/corpus/invalid/SB201-unknown-column.ind"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1);
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "code": "SB201",
            "severity": "error",
            "file": "tests/corpus/invalid/SB201-unknown-column.ind",
            "line": 13,
            "column": 16,
            "end_line": 13,
            "end_column": 28,
            "message": "unknown column `referal_date` in source `referrals`",
            "help": "did you mean `referral_date`?"
        })
    );
}

#[test]
fn check_json_on_a_clean_project_prints_nothing() {
    scorebook().args(["check", "--format", "json", "rules"]).assert().code(0).stdout("");
}

#[test]
fn check_github_annotations() {
    scorebook()
        .args(["check", "--format", "github", "tests/corpus/invalid/SB210-unknown-polarity.ind"])
        .assert()
        .code(1)
        .stdout(
            "::error file=tests/corpus/invalid/SB210-unknown-polarity.ind,line=14,col=12,endLine=14,endColumn=18,\
             title=SB210 unknown value::`higher` is not a polarity%0Adid you mean `high`?\n",
        );
}

#[test]
fn warnings_fail_only_when_denied() {
    let file = "tests/corpus/invalid/SB409-no-ref.ind";
    scorebook().args(["check", file]).assert().code(0).stderr(predicate::str::contains("0 errors, 1 warning"));
    scorebook().args(["check", "--deny-warnings", file]).assert().code(1);
}

#[test]
fn missing_path_is_a_tool_failure() {
    scorebook().args(["check", "no/such/rules"]).assert().code(2).stderr(predicate::str::contains("no/such/rules"));
}

#[test]
fn directory_without_rules_is_a_tool_failure() {
    let dir = tempfile::tempdir().unwrap();
    scorebook()
        .args(["check", dir.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no `.ind` rule files"));
}

#[test]
fn fmt_check_lists_unformatted_files_and_fmt_fixes_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("messy.ind");
    std::fs::copy("tests/corpus/valid/messy.ind", &file).unwrap();
    let path = file.to_str().unwrap();
    scorebook().args(["fmt", "--check", path]).assert().code(1).stdout(format!("{path}\n"));
    let before = std::fs::read_to_string(&file).unwrap();
    scorebook().args(["fmt", path]).assert().code(0);
    let after = std::fs::read_to_string(&file).unwrap();
    assert_ne!(before, after);
    assert!(after.contains("  in period by referral_date  # trailing\n"));
    scorebook().args(["fmt", "--check", path]).assert().code(0).stdout("");
}

#[test]
fn fmt_leaves_a_file_with_syntax_errors_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.ind");
    std::fs::copy("tests/corpus/invalid/SB100-missing-by.ind", &file).unwrap();
    let before = std::fs::read(&file).unwrap();
    scorebook()
        .args(["fmt", file.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing was formatted"));
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn explain_every_code() {
    for code in Code::ALL {
        let out = scorebook().args(["explain", code.as_str()]).assert().code(0).get_output().stdout.clone();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(&format!("{}: {}", code.as_str(), code.explanation().title)), "{text}");
        for heading in ["## What it means", "## Example", "## How to fix it"] {
            assert!(text.contains(heading), "{code}: no {heading}");
        }
    }
}

#[test]
fn explain_is_case_insensitive_and_lists_codes() {
    scorebook()
        .args(["explain", "sb201"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("SB201: unknown column"));
    let out = scorebook().arg("explain").assert().code(0).get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), Code::ALL.len());
    assert!(text.contains("SB409  warning  measure has no ref"));
}

#[test]
fn explain_unknown_code_fails() {
    scorebook().args(["explain", "SB999"]).assert().code(2).stderr(predicate::str::contains("not a diagnostic code"));
}
