//! The rules as a git revision holds them (or the working tree), read and checked.

use super::Revision;
use crate::diagnostics::Diagnostic;
use crate::project::{self, EXTENSION};
use crate::refusal::Refusal;
use crate::span::SourceMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a revision could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// git failed, or the revision or paths are not there: what to put right.
    Refused(Refusal),
    /// The revision's rules do not check.
    Rules { revision: String, files: SourceMap, diagnostics: Vec<Diagnostic> },
}

impl From<Refusal> for ReadError {
    fn from(r: Refusal) -> Self {
        ReadError::Refused(r)
    }
}

/// `git -C dir ARGS`, its output; a refusal quoting git's own message when it fails.
fn git(dir: &Path, args: &[&str]) -> Result<String, Refusal> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().map_err(|e| {
        Refusal::new(format!("could not run git: {e}")).help("install git, or run scorebook where git is on the PATH")
    })?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(Refusal::new(format!("git {} in {}: {said}", args.join(" "), dir.display())));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The commit a revision names, in the repository holding `dir`.
pub fn commit_of(dir: &Path, revision: &str) -> Result<String, Refusal> {
    git(dir, &["rev-parse", "--verify", "--quiet", &format!("{revision}^{{commit}}")])
        .map(|s| s.trim().to_string())
        .map_err(|_| {
            Refusal::new(format!("no revision `{revision}` in the git repository holding {}", dir.display()))
                .help("name a commit, branch or tag: `main`, `HEAD~1`, `v2.0`")
        })
}

/// The directory a rules path is read from in a revision, and what is asked for in it.
fn place(path: &Path) -> (PathBuf, String) {
    if path.is_dir() {
        (path.to_path_buf(), ".".to_string())
    } else {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        (dir.to_path_buf(), name)
    }
}

/// The rule files under `paths` as `revision` holds them, or as the working tree does when
/// it is `None`; read, parsed and checked.
pub fn read(paths: &[PathBuf], revision: Option<&str>) -> Result<Revision, ReadError> {
    let (inputs, commit) = match revision {
        None => {
            let files = project::discover(paths).map_err(|e| Refusal::new(e.to_string()))?;
            (files.into_iter().map(|p| (p, None)).collect::<Vec<_>>(), None)
        }
        Some(rev) => {
            let mut inputs = Vec::new();
            let mut commit = None;
            for path in paths {
                let (dir, asked) = place(path);
                if !dir.is_dir() {
                    return Err(Refusal::new(format!("{} is not a directory in the working tree", dir.display()))
                        .help("name the rules as the working tree holds them (a directory, or a file in one)")
                        .into());
                }
                let c = commit_of(&dir, rev)?;
                let listed = git(&dir, &["ls-tree", "-r", "--name-only", &c, "--", &asked])?;
                for name in listed.lines().filter(|n| n.ends_with(&format!(".{EXTENSION}"))) {
                    let text = git(&dir, &["show", &format!("{c}:./{name}")])?;
                    let shown = if asked == "." { path.join(name) } else { dir.join(name) };
                    inputs.push((shown, Some(text)));
                }
                commit = Some(c);
            }
            // No rule files there (the rules are new since): a project of no measures, so
            // that every measure of the other revision is added.
            (inputs, commit)
        }
    };
    let name = revision.unwrap_or("working tree").to_string();
    let parsed = project::parse_inputs(inputs).map_err(|e| Refusal::new(e.to_string()))?;
    if !parsed.diagnostics.is_empty() {
        return Err(ReadError::Rules { revision: name, files: parsed.files, diagnostics: parsed.diagnostics });
    }
    let checked = crate::check::check(&parsed.files, &parsed.modules);
    match checked.project {
        Some(project) => Ok(Revision { name, commit, files: parsed.files, modules: parsed.modules, project }),
        None => Err(ReadError::Rules { revision: name, files: parsed.files, diagnostics: checked.diagnostics }),
    }
}
