//! Rule files: whatever the bytes, parsing, checking, rendering and formatting never panic;
//! a file that parses formats to text that parses to the same AST, formats the same again,
//! and checks to the same IR.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scorebook::diagnostics::render;
use scorebook::{format, project, span::FileId, syntax};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (sources, checked) = project::check_texts(&[("fuzz.ind", text)]);
    let _ = render::render_all(&checked.diagnostics, &sources, render::Format::Human, false);
    let _ = render::render_all(&checked.diagnostics, &sources, render::Format::Json, false);
    let Ok(module) = syntax::parse(FileId(0), text) else {
        return;
    };
    let once = format::format_module(&module, text);
    let again = syntax::parse(FileId(0), &once).unwrap_or_else(|e| panic!("formatted text does not parse: {e:?}\n{once}"));
    assert_eq!(module.items, again.items, "formatting changed the AST:\n{once}");
    assert_eq!(format::format_module(&again, &once), once, "formatting is not idempotent");
    let (_, after) = project::check_texts(&[("fuzz.ind", once.as_str())]);
    assert_eq!(checked.project, after.project, "formatting changed the checked IR");
});
