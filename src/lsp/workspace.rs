//! The editor's view of the projects: open documents over the files on disk, each project
//! (the folder holding a file's `.ind` files) parsed, checked and indexed when it changed.

use crate::check::resolution::Resolutions;
use crate::diagnostics::Diagnostic;
use crate::ir::Project;
use crate::span::{FileId, SourceMap};
use crate::syntax::ast::Module;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One project as last checked.
pub struct Analysis {
    pub files: SourceMap,
    pub modules: Vec<(FileId, Module)>,
    pub diagnostics: Vec<Diagnostic>,
    /// The checked project, when the rules have no errors.
    pub project: Option<Project>,
    /// Every name the checker resolved (what parsed, when a file does not).
    pub index: Resolutions,
}

impl Analysis {
    pub fn file_id(&self, path: &Path) -> Option<FileId> {
        self.files.files().find(|(_, f)| f.path == path).map(|(id, _)| id)
    }

    pub fn module(&self, id: FileId) -> Option<&Module> {
        self.modules.iter().find(|(f, _)| *f == id).map(|(_, m)| m)
    }

    /// Every measure of the project's files that parsed.
    pub fn measures(&self) -> impl Iterator<Item = &crate::syntax::ast::Measure> {
        self.modules.iter().flat_map(|(_, m)| m.measures())
    }

    /// A checked measure's ref and title ("3.2 % of referrals which are repeat referrals").
    pub fn headline(&self, name: &str) -> Option<String> {
        let m = self.project.as_ref()?.measures.iter().find(|m| m.name == name)?;
        Some(format!("{} {}", m.reference, m.title))
    }
}

#[derive(Default)]
pub struct Workspace {
    /// Open documents' text, by path.
    pub open: BTreeMap<PathBuf, String>,
    /// Open documents' versions, which their diagnostics are published with.
    pub versions: BTreeMap<PathBuf, i32>,
    /// Projects by folder, as last checked.
    pub analyses: BTreeMap<PathBuf, Analysis>,
    /// Folders changed since their last check.
    pub dirty: BTreeSet<PathBuf>,
    /// Folders changed since their diagnostics were last published.
    pub unpublished: BTreeSet<PathBuf>,
    /// Files given diagnostics at the last publication, by folder (to clear them).
    pub published: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
    /// Test failures from the last "run tests", by file, until the folder changes.
    pub test_failures: BTreeMap<PathBuf, Vec<Diagnostic>>,
}

/// The project a file belongs to: the folder holding it.
pub fn folder_of(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

impl Workspace {
    pub fn changed(&mut self, path: &Path) {
        let folder = folder_of(path);
        self.test_failures.retain(|f, _| folder_of(f) != folder);
        self.dirty.insert(folder.clone());
        self.unpublished.insert(folder);
    }

    /// The project holding `path`, checked again if it changed.
    pub fn analysis(&mut self, path: &Path) -> &Analysis {
        let folder = folder_of(path);
        self.refresh(&folder);
        &self.analyses[&folder]
    }

    /// Checks a folder's project again if it changed (or was never checked).
    pub fn refresh(&mut self, folder: &Path) {
        if self.dirty.remove(folder) || !self.analyses.contains_key(folder) {
            let analysis = self.analyse(folder);
            self.analyses.insert(folder.to_path_buf(), analysis);
        }
    }

    /// Parses, checks and indexes a folder's rule files, the open ones as the editor holds
    /// them. A folder that cannot be read (deleted, say) is a project of its open files.
    fn analyse(&self, folder: &Path) -> Analysis {
        let mut paths: BTreeSet<PathBuf> =
            crate::project::discover(&[folder.to_path_buf()]).unwrap_or_default().into_iter().collect();
        paths.extend(
            self.open
                .keys()
                .filter(|p| folder_of(p) == folder && p.extension().is_some_and(|e| e == crate::project::EXTENSION))
                .cloned(),
        );
        let inputs = paths.into_iter().map(|p| (p.clone(), self.open.get(&p).cloned())).collect();
        let mut parsed = match crate::project::parse_inputs(inputs) {
            Ok(p) => p,
            // A file listed a moment ago and gone now: read the folder again without it.
            Err(_) => {
                let inputs: Vec<(PathBuf, Option<String>)> = crate::project::discover(&[folder.to_path_buf()])
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| (p.clone(), self.open.get(&p).cloned()))
                    .collect();
                crate::project::parse_inputs(inputs).unwrap_or(crate::project::Parsed {
                    files: SourceMap::new(),
                    modules: Vec::new(),
                    diagnostics: Vec::new(),
                })
            }
        };
        // Checked whatever parsed, for the names: a file that does not parse shows its syntax
        // errors alone.
        let checked = crate::check::check(&parsed.files, &parsed.modules);
        let index = checked.resolutions;
        let (diagnostics, project) = if parsed.diagnostics.is_empty() {
            (checked.diagnostics, checked.project)
        } else {
            (std::mem::take(&mut parsed.diagnostics), None)
        };
        Analysis { files: parsed.files, modules: parsed.modules, diagnostics, project, index }
    }
}
