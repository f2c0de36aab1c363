//! A project: the rule files named on the command line (files, or directories searched for
//! `.ind` files), read, parsed and checked.

use crate::check::{self, Checked};
use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, SourceMap, Span};
use crate::syntax::{self, ast::ItemKind, ast::Module};
use std::path::{Path, PathBuf};

/// The extension of rule files.
pub const EXTENSION: &str = "ind";

/// A failure of the tool itself (as opposed to problems in the rules): exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("no `.{EXTENSION}` rule files in {0}")]
    NoFiles(String),
}

/// Every rule file under the paths, directories searched recursively, in path order.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| LoadError::Io { path: p.clone(), source: e })?;
        if meta.is_dir() {
            walk(p, &mut files)?;
        } else {
            files.push(p.clone());
        }
    }
    files.sort();
    files.dedup();
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(LoadError::NoFiles(shown.join(", ")));
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| LoadError::Io { path: dir.to_path_buf(), source: e })?;
    for entry in entries {
        let entry = entry.map_err(|e| LoadError::Io { path: dir.to_path_buf(), source: e })?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == EXTENSION) {
            out.push(path);
        }
    }
    Ok(())
}

/// Files read and parsed; those that did not parse have diagnostics instead of a module.
pub struct Parsed {
    pub files: SourceMap,
    pub modules: Vec<(FileId, Module)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads one file as UTF-8; anything else is a diagnostic at the first bad byte.
fn read_text(files: &mut SourceMap, path: &Path) -> Result<(FileId, Option<Diagnostic>), LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError::Io { path: path.to_path_buf(), source: e })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok((files.add(path, text), None)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let bad = e.as_bytes()[at];
            let id = files.add(path, text);
            // In the lossy text the bad byte became U+FFFD, three bytes long.
            let d = Diagnostic::new(
                Code::NotUtf8,
                Span::new(id, at, at + 3),
                format!("byte 0x{bad:02X} is not valid UTF-8"),
            )
            .label("not UTF-8")
            .help("save the file as UTF-8 (Save As, encoding UTF-8)");
            Ok((id, Some(d)))
        }
    }
}

/// Reads and parses every file.
pub fn parse_files(paths: &[PathBuf]) -> Result<Parsed, LoadError> {
    parse_inputs(discover(paths)?.into_iter().map(|p| (p, None)).collect())
}

/// Parses files given as text (an editor's unsaved buffers) or, where no text is given,
/// read from disk.
pub fn parse_inputs(inputs: Vec<(PathBuf, Option<String>)>) -> Result<Parsed, LoadError> {
    let mut files = SourceMap::new();
    let mut modules = Vec::new();
    let mut diagnostics = Vec::new();
    for (path, text) in inputs {
        let id = match text {
            Some(text) => files.add(path, text),
            None => match read_text(&mut files, &path)? {
                (_, Some(d)) => {
                    diagnostics.push(d);
                    continue;
                }
                (id, None) => id,
            },
        };
        match syntax::parse(id, &files.get(id).text) {
            Ok(m) => modules.push((id, m)),
            Err(ds) => diagnostics.extend(ds),
        }
    }
    Ok(Parsed { files, modules, diagnostics })
}

/// Reads, parses and checks a project. Syntax errors stop before checking.
pub fn check_paths(paths: &[PathBuf]) -> Result<(SourceMap, Checked), LoadError> {
    check_with_profile(paths, None)
}

/// Reads a project with a profile: the profile's source declarations (a directory or file of
/// `.ind` files holding `source` items) replace the project's declarations of the same names,
/// so the same measures read another layout of the data (a raw Annex A export, say).
pub fn check_with_profile(paths: &[PathBuf], profile: Option<&Path>) -> Result<(SourceMap, Checked), LoadError> {
    let mut all = paths.to_vec();
    let profile_files = match profile {
        Some(p) => discover(&[p.to_path_buf()])?,
        None => Vec::new(),
    };
    all.extend(profile_files.iter().cloned());
    let mut parsed = parse_files(&all)?;
    if !parsed.diagnostics.is_empty() {
        return Ok((
            parsed.files,
            Checked { project: None, diagnostics: parsed.diagnostics, resolutions: Default::default() },
        ));
    }
    let is_profile = |files: &SourceMap, id: FileId| profile_files.iter().any(|p| *p == files.get(id).path);
    let replaced: Vec<String> = parsed
        .modules
        .iter()
        .filter(|(id, _)| is_profile(&parsed.files, *id))
        .flat_map(|(_, m)| m.items.iter())
        .filter_map(|i| match &i.kind {
            ItemKind::Source(s) => Some(s.name.node.clone()),
            _ => None,
        })
        .collect();
    for (id, module) in parsed.modules.iter_mut() {
        if !is_profile(&parsed.files, *id) {
            module.items.retain(|i| !matches!(&i.kind, ItemKind::Source(s) if replaced.contains(&s.name.node)));
        }
    }
    let checked = check::check(&parsed.files, &parsed.modules);
    Ok((parsed.files, checked))
}

/// Checks a project held in memory: `(path, text)` pairs. For tests and tools.
pub fn check_texts(texts: &[(&str, &str)]) -> (SourceMap, Checked) {
    let mut files = SourceMap::new();
    let mut modules = Vec::new();
    let mut diagnostics = Vec::new();
    for (path, text) in texts {
        let id = files.add(*path, text.to_string());
        match syntax::parse(id, text) {
            Ok(m) => modules.push((id, m)),
            Err(ds) => diagnostics.extend(ds),
        }
    }
    if !diagnostics.is_empty() {
        return (files, Checked { project: None, diagnostics, resolutions: Default::default() });
    }
    let checked = check::check(&files, &modules);
    (files, checked)
}
