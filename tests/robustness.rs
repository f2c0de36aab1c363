//! Random and mutated input thrown at the parser, checker and formatter: never a panic, and
//! whatever parses formats to text that parses to the same AST, idempotently.

use proptest::prelude::*;
use scorebook::span::FileId;
use scorebook::{format, project, syntax};

const SEEDS: &[&str] = &[
    include_str!("corpus/valid/everything.ind"),
    include_str!("../rules/3-front-door-and-partnership.ind"),
    include_str!("../rules/2-quality-of-practice.ind"),
];

/// Words and symbols of the language, so mutations make near-misses rather than noise.
const TOKENS: &[&str] = &[
    "measure",
    "source",
    "theme",
    "test",
    "count",
    "percent of",
    "rate of",
    "per",
    "where",
    "excluding",
    "meeting",
    "in period by",
    "open at period end",
    "latest snapshot",
    "cumulative since 2013-07-01",
    "polarity high",
    "target 10%",
    "rag green when value >= target, otherwise red",
    "benchmark sn 5",
    "exists referrals as e where",
    "and",
    "or",
    "not",
    "is missing",
    "in (\"a\")",
    "(",
    ")",
    "{",
    "}",
    "\"",
    "#",
    "|",
    "\n",
    "=",
    "<=",
    "-",
    "%",
    "2013-02-30",
    "1e999",
    "99999999999999999999999",
    "given referrals {",
    "as of",
    "expect",
    "\u{FEFF}",
    "\r\n",
    "\t",
    "é",
    "𝔘",
];

fn run_all_stages(text: &str) {
    let (_, checked) = project::check_texts(&[("fuzz.ind", text)]);
    let _ = checked.diagnostics.len();
    if let Ok(module) = syntax::parse(FileId(0), text) {
        let once = format::format_module(&module, text);
        let reparsed = syntax::parse(FileId(0), &once).unwrap_or_else(|d| {
            panic!("formatted text does not parse: {d:?}\n--- input\n{text}\n--- formatted\n{once}")
        });
        assert_eq!(
            module.items, reparsed.items,
            "formatting changed the AST\n--- input\n{text}\n--- formatted\n{once}"
        );
        let twice = format::format_module(&reparsed, &once);
        assert_eq!(once, twice, "formatting is not idempotent\n--- input\n{text}");
        let (_, after) = project::check_texts(&[("fuzz.ind", &once)]);
        assert_eq!(checked.project, after.project, "formatting changed the checked IR\n--- input\n{text}");
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Edit::Insert { at, token }),
        any::<usize>().prop_map(|line| Edit::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines { a, b }),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let boundary = |at: usize| {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match edit {
        Edit::Delete { at, len } => {
            let start = boundary(*at);
            let end = boundary((start + len).min(text.len()));
            format!("{}{}", &text[..start], &text[end.max(start)..])
        }
        Edit::Insert { at, token } => {
            let at = boundary(*at);
            format!("{} {} {}", &text[..at], TOKENS[*token], &text[at..])
        }
        Edit::DuplicateLine { line } => {
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let i = line % lines.len();
                lines.insert(i, lines[i]);
            }
            lines.join("\n")
        }
        Edit::SwapLines { a, b } => {
            let mut lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let n = lines.len();
                lines.swap(a % n, b % n);
            }
            lines.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        run_all_stages(&text);
    }

    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(0..TOKENS.len(), 0..60)) {
        let text: Vec<&str> = tokens.iter().map(|&t| TOKENS[t]).collect();
        run_all_stages(&text.join(" "));
    }

    #[test]
    fn mutated_rule_files_never_panic(seed in 0..SEEDS.len(), edits in proptest::collection::vec(edit(), 1..6)) {
        let mut text = SEEDS[seed].to_string();
        for e in &edits {
            text = apply(&text, e);
        }
        run_all_stages(&text);
    }
}

/// Inputs the fuzzers (fuzz/) once crashed on, kept so the fixes stay fixed.
#[test]
fn fuzz_regressions_stay_fixed() {
    let mut seen = 0;
    for entry in std::fs::read_dir("tests/fuzz_regressions/rules").unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if let Ok(text) = std::str::from_utf8(&bytes) {
            run_all_stages(text);
        }
        seen += 1;
    }
    assert!(seen > 0);
}
