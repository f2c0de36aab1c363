//! How long an editor waits on `scorebook lsp` over the shipped rules: from a keystroke that
//! misspells a column to its diagnostic, from the fix to the cleared diagnostics, and for a
//! hover, a completion and a definition. Target: each under 100 ms. Run with
//! `cargo bench --bench lsp`.

#[path = "../tests/common/lsp_client.rs"]
mod lsp_client;

use lsp_client::{uri, Client};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

const ROUNDS: usize = 20;

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<34} median {:>6.1} ms   max {:>6.1} ms   ({} runs)",
        ms(times[times.len() / 2]),
        ms(*times.last().unwrap()),
        times.len()
    );
}

fn main() {
    let rules = std::fs::canonicalize("rules").expect("run from the repository");
    let file = rules.join("2-quality-of-practice.ind");
    let text = std::fs::read_to_string(&file).unwrap();
    let typo = text.replacen("completed_date", "completed_dtae", 1);
    let mut c = Client::start_binary(Path::new(env!("CARGO_BIN_EXE_scorebook")), &rules);
    c.request("initialize", json!({"processId": null, "rootUri": uri(&rules), "capabilities": {}}));
    c.notify("initialized", json!({}));
    let open = Instant::now();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(&file), "languageId": "scorebook", "version": 1, "text": text}}),
    );
    c.diagnostics(&uri(&file));
    println!("opening the council book's rules        {:>6.1} ms", open.elapsed().as_secs_f64() * 1000.0);

    let (mut broken, mut cleared, mut hovers, mut completions, mut definitions) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let change = |c: &mut Client, version: usize, text: &str| {
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(&file), "version": version}, "contentChanges": [{"text": text}]}),
        )
    };
    let offset = typo.find("completed_dtae").unwrap();
    let line = typo[..offset].matches('\n').count();
    let at = json!({"textDocument": {"uri": uri(&file)}, "position": {"line": line, "character": 10}});
    for round in 0..ROUNDS {
        let started = Instant::now();
        change(&mut c, 2 * round + 2, &typo);
        let diags = c.diagnostics(&uri(&file));
        broken.push(started.elapsed());
        assert!(diags.iter().any(|d| d["code"] == "SB201"), "{diags:?}");
        let started = Instant::now();
        change(&mut c, 2 * round + 3, &text);
        let diags = c.diagnostics(&uri(&file));
        cleared.push(started.elapsed());
        assert_eq!(diags, Vec::<Value>::new());
        let started = Instant::now();
        let hover = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&file)}, "position": {"line": 5, "character": 12}}),
        );
        hovers.push(started.elapsed());
        assert!(hover.is_object(), "{hover}");
        let started = Instant::now();
        c.request("textDocument/completion", at.clone());
        completions.push(started.elapsed());
        let started = Instant::now();
        c.request("textDocument/definition", at.clone());
        definitions.push(started.elapsed());
    }
    summary("keystroke to the typo's diagnostic", broken);
    summary("fix to cleared diagnostics", cleared);
    summary("hover on a measure", hovers);
    summary("completion", completions);
    summary("go to definition", definitions);
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    let _ = c.child.wait();
}
