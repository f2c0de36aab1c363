//! `scorebook lsp` driven over stdio as an editor drives it: the JSON it answers is asserted.

#[path = "common/lsp_client.rs"]
mod lsp_client;

use lsp_client::{uri, Client};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const SOURCES: &str = r#"source referrals "Referrals to children's social care" {
  referral_id    text   key
  child_id       text
  referral_date  date?
}
"#;

const MEASURES: &str = r#"measure repeat_referrals {
  ref      "3.2"
  title    "% of referrals which are repeat referrals"
  percent of referrals
  in period by referal_date
  meeting  exists referrals as earlier
             where earlier.child_id = child_id
               and earlier.referral_date >= add_months(referral_date, -12)
               and earlier.referral_date < referral_date
  polarity low
}

test "passes" {
  given referrals {
    referral_id | child_id | referral_date
    r1          | c1       | 2012-10-15
    r2          | c1       | 2013-09-14
    r3          | c2       | 2013-09-20
  }
  as of 2013-09-30
  expect repeat_referrals for month 2013-09 = 50%
}

test "fails" {
  given referrals {
    referral_id | child_id | referral_date
    r1          | c1       | 2013-09-14
  }
  as of 2013-09-30
  expect repeat_referrals for month 2013-09 = 25%
}
"#;

/// The 0-based line and column of the nth occurrence of `needle`.
fn position(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let offset = text.match_indices(needle).nth(nth).expect("needle").0;
    let line = text[..offset].matches('\n').count();
    let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    (line, column)
}

fn at(path: &Path, (line, character): (usize, usize)) -> Value {
    json!({"textDocument": {"uri": uri(path)}, "position": {"line": line, "character": character}})
}

fn project() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("sources.ind"), SOURCES).unwrap();
    std::fs::write(root.join("measures.ind"), MEASURES).unwrap();
    (dir, root.join("sources.ind"), root.join("measures.ind"))
}

#[test]
fn an_editor_session() {
    let (dir, sources, measures) = project();
    let root = sources.parent().unwrap().to_path_buf();
    let mut c = Client::start(&root);
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": uri(&root), "capabilities": {},
               "workspaceFolders": [{"uri": uri(&root), "name": "rules"}]}),
    );
    assert_eq!(init["capabilities"]["hoverProvider"], true);
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 1);
    c.notify("initialized", json!({}));

    // A misspelt column: SB201 at its range, with the help line.
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(&measures), "languageId": "scorebook", "version": 1, "text": MEASURES}}),
    );
    let diags = c.diagnostics_of_version(&uri(&measures), 1);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let (line, col) = position(MEASURES, "referal_date", 0);
    assert_eq!(diags[0]["code"], "SB201");
    assert_eq!(diags[0]["severity"], 1);
    assert_eq!(diags[0]["source"], "scorebook");
    assert_eq!(
        diags[0]["range"],
        json!({"start": {"line": line, "character": col}, "end": {"line": line, "character": col + "referal_date".len()}})
    );
    let message = diags[0]["message"].as_str().unwrap();
    assert!(
        message.contains("referal_date") && message.contains("help: ") && message.contains("referral_date"),
        "{message}"
    );
    // Hovering the diagnostic shows its code's explanation.
    let hover = c.request("textDocument/hover", at(&measures, (line, col + 2)));
    assert!(hover["contents"]["value"].as_str().unwrap().contains("**SB201**"), "{hover}");

    // Fixing it clears the diagnostics.
    let fixed = MEASURES.replace("referal_date", "referral_date");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&measures), "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(c.diagnostics_of_version(&uri(&measures), 2), Vec::<Value>::new());

    // Hover on the measure's name: its ref, title and definition in plain words.
    let hover = c.request("textDocument/hover", at(&measures, position(&fixed, "repeat_referrals", 0)));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert!(text.starts_with("**3.2** % of referrals which are repeat referrals — `repeat_referrals`"), "{text}");
    assert!(
        text.contains("% of `referrals` rows with `referral_date` in the period meeting exists referrals as earlier"),
        "{text}"
    );
    assert!(text.contains("- polarity: low is good"), "{text}");
    let hover = c.request("textDocument/hover", at(&measures, position(&fixed, "add_months", 0)));
    assert!(hover["contents"]["value"].as_str().unwrap().starts_with("```\nadd_months(date, months)\n```"));

    // Definition of a column used in the measure: its declaration in sources.ind.
    let (l, ch) = position(&fixed, "earlier.child_id", 0);
    let def = c.request("textDocument/definition", at(&measures, (l, ch + "earlier.".len() + 1)));
    let (dl, dc) = position(SOURCES, "child_id", 0);
    assert_eq!(
        def,
        json!({"uri": uri(&sources), "range": {"start": {"line": dl, "character": dc}, "end": {"line": dl, "character": dc + 8}}})
    );
    // References of referral_date: declaration, `in period by`, three in the condition, and
    // the two test tables' headers.
    let refs = c.request(
        "textDocument/references",
        json!({"textDocument": {"uri": uri(&sources)}, "position": {"line": position(SOURCES, "referral_date", 0).0, "character": 4},
               "context": {"includeDeclaration": true}}),
    );
    let refs = refs.as_array().unwrap();
    assert_eq!(refs.len(), 8, "{refs:?}");
    assert_eq!(refs.iter().filter(|r| r["uri"] == uri(&sources)).count(), 1);
    // The measure is referenced by the tests' `expect` lines.
    let refs = c.request(
        "textDocument/references",
        json!({"textDocument": {"uri": uri(&measures)}, "position": {"line": 0, "character": 10}, "context": {"includeDeclaration": false}}),
    );
    assert_eq!(refs.as_array().unwrap().len(), 2);

    // Completion after `in period by `: the columns of the measure's source.
    let typing = fixed.replace("in period by referral_date", "in period by ");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&measures), "version": 3}, "contentChanges": [{"text": typing}]}),
    );
    let (l, ch) = position(&typing, "in period by ", 0);
    let items = c.request("textDocument/completion", at(&measures, (l, ch + "in period by ".len())));
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["referral_id", "child_id", "referral_date"]);
    assert_eq!(items[2]["kind"], 5);
    assert_eq!(items[2]["detail"], "date? — referrals");

    // Formatting: one edit giving the canonical layout.
    let messy = fixed.replace("  polarity low", "      polarity    low");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&measures), "version": 4}, "contentChanges": [{"text": messy}]}),
    );
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri(&measures)}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits.as_array().unwrap().len(), 1);
    let canonical = scorebook::format::format_module(
        &scorebook::syntax::parse(scorebook::span::FileId(0), &messy).unwrap(),
        &messy,
    );
    assert_eq!(edits[0]["newText"], canonical);
    assert!(canonical.contains("\n  polarity low\n"), "{canonical}");
    assert_eq!(edits[0]["range"]["start"], json!({"line": 0, "character": 0}));
    // A file with a syntax error is left alone.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&measures), "version": 5}, "contentChanges": [{"text": "measure broken {\n  count\n"}]}),
    );
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri(&measures)}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits, Value::Null);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&measures), "version": 6}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(c.diagnostics_of_version(&uri(&measures), 6), Vec::<Value>::new());

    // Symbols: the measure, the tests, the source with its columns.
    let symbols = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri(&measures)}}));
    let names: Vec<(&str, i64)> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["kind"].as_i64().unwrap()))
        .collect();
    assert_eq!(names, [("repeat_referrals", 12), ("passes", 24), ("fails", 24)]);
    assert_eq!(symbols[0]["detail"], "3.2 % of referrals which are repeat referrals");
    let found = c.request("workspace/symbol", json!({"query": "repeat"}));
    let found: Vec<&str> = found.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(found, ["repeat_referrals"]);
    let found = c.request("workspace/symbol", json!({"query": "3.2"}));
    assert_eq!(found[0]["location"]["uri"], uri(&measures));

    // Code lenses over the file and each test; running the failing one puts its failure on
    // the `expect` line.
    let lenses = c.request("textDocument/codeLens", json!({"textDocument": {"uri": uri(&measures)}}));
    let lenses = lenses.as_array().unwrap();
    assert_eq!(lenses.len(), 3);
    assert_eq!(lenses[0]["command"]["title"], "▶ run the 2 tests of this file");
    assert_eq!(lenses[2]["command"]["command"], "scorebook.runTest");
    assert_eq!(lenses[2]["command"]["arguments"], json!([uri(&measures), "fails"]));
    assert_eq!(lenses[2]["range"]["start"]["line"], position(&fixed, "\"fails\"", 0).0);
    let ran = c.request(
        "workspace/executeCommand",
        json!({"command": "scorebook.runTest", "arguments": [uri(&measures), "fails"]}),
    );
    assert_eq!(ran, json!({"passed": 0, "failed": 1, "tests": [{"name": "fails", "passed": false}]}));
    let diags = c.diagnostics(&uri(&measures));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "SB708");
    assert_eq!(diags[0]["range"]["start"]["line"], position(&fixed, "= 25%", 0).0);
    let message = diags[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("expected repeat_referrals for month 2013-09") && message.contains("= 25%, got 0"),
        "{message}"
    );
    let ran = c.request(
        "workspace/executeCommand",
        json!({"command": "scorebook.runFileTests", "arguments": [uri(&measures)]}),
    );
    assert_eq!((ran["passed"].as_i64(), ran["failed"].as_i64()), (Some(1), Some(1)));
    assert_eq!(c.diagnostics(&uri(&measures)).len(), 1);

    // sources.ind deleted while the session runs: the measure's source is gone, and the
    // deleted file's diagnostics are cleared.
    std::fs::remove_file(&sources).unwrap();
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri(&sources), "type": 3}]}));
    let diags = c.diagnostics(&uri(&measures));
    assert!(
        diags.iter().any(|d| d["severity"] == 1 && d["message"].as_str().unwrap().contains("referrals")),
        "{diags:?}"
    );
    assert_eq!(c.diagnostics(&uri(&sources)), Vec::<Value>::new());
    // A request for a file that is not there is answered, not fatal.
    let hover = c.request("textDocument/hover", at(&sources, (0, 0)));
    assert_eq!(hover, Value::Null);

    assert_eq!(c.request("shutdown", Value::Null), Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    drop(dir);
}

#[test]
fn invalid_utf8_and_unknown_requests_do_not_stop_the_server() {
    let (dir, _, measures) = project();
    let root = measures.parent().unwrap().to_path_buf();
    let mut bytes = MEASURES.as_bytes().to_vec();
    bytes.extend_from_slice(b"# caf\xE9\n");
    std::fs::write(root.join("latin1.ind"), &bytes).unwrap();
    let mut c = Client::start(&root);
    c.request("initialize", json!({"processId": null, "rootUri": uri(&root), "capabilities": {}}));
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(&measures), "languageId": "scorebook", "version": 1, "text": MEASURES}}),
    );
    let latin1 = c.diagnostics(&uri(&root.join("latin1.ind")));
    assert_eq!(latin1[0]["code"], "SB105", "{latin1:?}");
    c.send(json!({"jsonrpc": "2.0", "id": 99, "method": "textDocument/unknownThing", "params": {}}));
    let answer = loop {
        let m = c.next();
        if m["id"] == 99 {
            break m;
        }
    };
    assert_eq!(answer["error"]["code"], -32601);
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri(&measures)}, "position": {"line": 999, "character": 999}}),
    );
    assert_eq!(hover, Value::Null);
    assert_eq!(c.request("shutdown", Value::Null), Value::Null);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().unwrap().success());
    drop(dir);
}

#[test]
fn a_ten_thousand_line_file_is_checked_and_navigated() {
    let (dir, _, measures) = project();
    let root = measures.parent().unwrap().to_path_buf();
    let block = MEASURES.split("\ntest ").next().unwrap().replace("referal_date", "referral_date");
    let mut text = String::new();
    let mut n = 0;
    while text.lines().count() < 10_000 {
        text.push_str(
            &block
                .replace("repeat_referrals", &format!("repeat_referrals_{n}"))
                .replace("\"3.2\"", &format!("\"3.2.{n}\"")),
        );
        text.push('\n');
        n += 1;
    }
    let mut c = Client::start(&root);
    c.request("initialize", json!({"processId": null, "rootUri": uri(&root), "capabilities": {}}));
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(&measures), "languageId": "scorebook", "version": 1, "text": text}}),
    );
    assert_eq!(c.diagnostics_of_version(&uri(&measures), 1), Vec::<Value>::new());
    let last = format!("repeat_referrals_{}", n - 1);
    let hover = c.request("textDocument/hover", at(&measures, position(&text, &last, 0)));
    assert!(hover["contents"]["value"].as_str().unwrap().starts_with(&format!("**3.2.{}**", n - 1)), "{hover}");
    let symbols = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri(&measures)}}));
    assert_eq!(symbols.as_array().unwrap().len(), n);
    assert_eq!(c.request("shutdown", Value::Null), Value::Null);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().unwrap().success());
    drop(dir);
}

#[test]
fn test_lenses_run_with_the_project_files_settings() {
    // tests/fixtures/settings/scorebook.toml closes 4 June 2013 and bands amber within 60%:
    // both tests pass only with them, as `scorebook test` run in that folder.
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/settings");
    let rules = folder.join("rules.ind");
    let (mut c, ran) = run_file_tests(&folder, &rules);
    assert_eq!((ran["passed"].as_i64(), ran["failed"].as_i64()), (Some(2), Some(0)), "{ran}");
    assert_eq!(c.request("shutdown", Value::Null), Value::Null);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().unwrap().success());
}

#[test]
fn a_missing_row_is_explained_as_the_command_line_explains_it() {
    // tests/fixtures/missing-row.ind expects a row for a referral source the run never sees.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("missing-row.ind");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/missing-row.ind"), &rules).unwrap();
    let (mut c, ran) = run_file_tests(dir.path(), &rules);
    assert_eq!((ran["passed"].as_i64(), ran["failed"].as_i64()), (Some(0), Some(1)), "{ran}");
    // The file's check (no problems) is published first, then the test's failure.
    let mut diags = c.diagnostics(&uri(&rules));
    if diags.is_empty() {
        diags = c.diagnostics(&uri(&rules));
    }
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        diags[0]["message"],
        "expected referred for month 2013-09 by referral_source health = 0, but the run has no such row: \
         no referral_source health row: in that period the run has referral_source police, school\n\
         help: check the period and the breakdown value; a value the source never holds has no row"
    );
    assert_eq!(c.request("shutdown", Value::Null), Value::Null);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().unwrap().success());
}

/// A session in `folder` with `rules` open, whose tests have been run from the file's lens.
fn run_file_tests(folder: &Path, rules: &Path) -> (Client, Value) {
    let mut c = Client::start(folder);
    c.request("initialize", json!({"processId": null, "rootUri": uri(folder), "capabilities": {}}));
    c.notify("initialized", json!({}));
    let text = std::fs::read_to_string(rules).unwrap();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(rules), "languageId": "scorebook", "version": 1, "text": text}}),
    );
    let ran =
        c.request("workspace/executeCommand", json!({"command": "scorebook.runFileTests", "arguments": [uri(rules)]}));
    (c, ran)
}
