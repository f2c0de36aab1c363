//! What a run did, so that a published figure can be traced: the tool's version, a hash of
//! the rules, every input file (path, size, rows, hash), the as-of date and the options.

use crate::data::{Binding, LoadReport};
use crate::span::SourceMap;
use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

#[derive(Clone, Debug, Serialize)]
pub struct InputFile {
    pub source: String,
    pub path: String,
    pub bytes: u64,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    /// SHA-256 over every rule file, in project order (path, then contents).
    pub rules_sha256: String,
    pub rule_files: Vec<String>,
    pub as_of: NaiveDate,
    pub inputs: Vec<InputFile>,
    pub options: serde_json::Value,
}

pub fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((total, hex::encode(hasher.finalize())))
}

pub fn rules_hash(files: &SourceMap) -> String {
    let mut hasher = Sha256::new();
    for (_, f) in files.files() {
        hasher.update(f.display_path().as_bytes());
        hasher.update([0]);
        hasher.update(f.text.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

pub fn build(
    files: &SourceMap,
    bindings: &[Binding],
    load: &LoadReport,
    as_of: NaiveDate,
    mut options: serde_json::Value,
) -> std::io::Result<Manifest> {
    // The options' keys in one order whatever the build (see `output::render`).
    options.sort_all_objects();
    let mut inputs = Vec::new();
    for b in bindings {
        for path in &b.files {
            let (bytes, sha256) = sha256_file(path)?;
            let shown = path.display().to_string();
            let rows = load
                .files
                .iter()
                .find(|r| r.path == shown || r.path.starts_with(&shown) || r.path.contains(&shown))
                .map_or(0, |r| r.rows);
            inputs.push(InputFile { source: b.source.clone(), path: shown, bytes, rows, sha256 });
        }
    }
    Ok(Manifest {
        tool: "scorebook".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        rules_sha256: rules_hash(files),
        rule_files: files.files().map(|(_, f)| f.display_path()).collect(),
        as_of,
        inputs,
        options,
    })
}
