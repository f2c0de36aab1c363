//! Stage 2: AST → checked IR. Names resolve across all files of a project; columns, types,
//! units and judgement rules are checked; every problem is a diagnostic with a span.

mod exprs;
mod measures;
mod paths;
mod rag;
pub mod resolution;
mod sources;
mod test_blocks;

use crate::diagnostics::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::ir::{self, Project};
use crate::span::{FileId, SourceMap, Span};
use crate::syntax::ast::{self, ItemKind, Module};
use resolution::{Resolutions, Target};
use std::collections::HashMap;

/// The result of checking: the IR when there were no errors, every diagnostic, and every
/// name resolved (with errors too: each name that did resolve).
pub struct Checked {
    pub project: Option<Project>,
    pub diagnostics: Vec<Diagnostic>,
    pub resolutions: Resolutions,
}

/// A measure as declared, with the theme of the block around it.
struct MeasureDecl<'a> {
    ast: &'a ast::Measure,
    theme: Option<&'a ast::Str>,
}

pub(crate) struct Checker<'a> {
    files: &'a SourceMap,
    diags: Diagnostics,
    sources: Vec<ir::Source>,
    source_index: HashMap<String, usize>,
    /// Populations by name: where declared and their source.
    populations: HashMap<String, (Span, String)>,
    /// Standard populations by name: the built-in `esp2013` and the project's own.
    standards: HashMap<String, Vec<ir::StandardBand>>,
    /// The references declared without errors.
    references: std::collections::HashSet<String>,
    /// Every reference declared, for the measures' messages.
    reference_names: HashMap<String, Span>,
    measure_names: HashMap<String, Span>,
    /// Subsets by name (and their parent), known before they are checked.
    subset_names: HashMap<String, String>,
    /// Every name resolved so far.
    resolved: Resolutions,
    /// The source declaring each named value, by where the value is written.
    named_owners: HashMap<(FileId, usize), String>,
}

/// Checks a project: every parsed file, in project order.
pub fn check(files: &SourceMap, modules: &[(FileId, Module)]) -> Checked {
    let mut c = Checker {
        files,
        diags: Diagnostics::default(),
        sources: Vec::new(),
        source_index: HashMap::new(),
        populations: HashMap::new(),
        standards: HashMap::from([(
            "esp2013".to_string(),
            ir::ESP2013
                .iter()
                .map(|(label, weight)| ir::StandardBand { label: label.to_string(), weight: *weight })
                .collect(),
        )]),
        references: std::collections::HashSet::new(),
        reference_names: HashMap::new(),
        measure_names: HashMap::new(),
        subset_names: HashMap::new(),
        resolved: Resolutions::default(),
        named_owners: HashMap::new(),
    };

    let mut global_names: HashMap<String, (Span, &'static str)> = HashMap::new();
    let mut declare = |c: &mut Checker, name: &ast::Ident, what: &'static str| -> bool {
        if let Some((first, first_what)) = global_names.get(&name.node) {
            c.diags.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    name.span,
                    format!("`{}` is already the name of a {first_what}", name.node),
                )
                .label(format!("second {what} named `{}`", name.node))
                .with_secondary(*first, "first declared here")
                .help("names are shared by all files of a project; rename one of them"),
            );
            false
        } else {
            global_names.insert(name.node.clone(), (name.span, what));
            true
        }
    };

    // Declarations first, so that names resolve whatever the order of files.
    let mut source_decls = Vec::new();
    let mut population_decls = Vec::new();
    let mut calendar_decls = Vec::new();
    let mut standard_decls = Vec::new();
    let mut reference_decls = Vec::new();
    let mut measure_decls = Vec::new();
    let mut test_decls = Vec::new();
    for (file, module) in modules {
        for item in &module.items {
            match &item.kind {
                ItemKind::Source(s) => {
                    if declare(&mut c, &s.name, "source") {
                        c.defines(s.name.span, Target::Source(s.name.node.clone()));
                        source_decls.push(s);
                    }
                }
                ItemKind::Population(p) => {
                    if declare(&mut c, &p.name, "population") {
                        c.defines(p.name.span, Target::Population(p.name.node.clone()));
                        population_decls.push(p);
                    }
                }
                ItemKind::Reference(r) => {
                    if declare(&mut c, &r.name, "reference") {
                        reference_decls.push(r);
                    }
                }
                ItemKind::Standard(s) => {
                    if declare(&mut c, &s.name, "standard population") {
                        standard_decls.push(s);
                    }
                }
                ItemKind::Calendar(cal) => {
                    if declare(&mut c, &cal.name, "calendar") {
                        calendar_decls.push(cal);
                    }
                }
                ItemKind::Theme(t) => {
                    for m in &t.measures {
                        if declare(&mut c, &m.name, "measure") {
                            c.defines(m.name.span, Target::Measure(m.name.node.clone()));
                            measure_decls.push(MeasureDecl { ast: m, theme: Some(&t.name) });
                        }
                    }
                }
                ItemKind::Measure(m) => {
                    if declare(&mut c, &m.name, "measure") {
                        c.defines(m.name.span, Target::Measure(m.name.node.clone()));
                        measure_decls.push(MeasureDecl { ast: m, theme: None });
                    }
                }
                ItemKind::Test(t) => test_decls.push((t, *file)),
            }
        }
    }

    let (tables, subsets): (Vec<&ast::SourceDecl>, Vec<&ast::SourceDecl>) =
        source_decls.into_iter().partition(|s| s.subset.is_none());
    for s in &tables {
        let checked = c.source(s);
        c.source_index.insert(checked.name.clone(), c.sources.len());
        c.sources.push(checked);
    }
    c.subset_names = subsets
        .iter()
        .filter_map(|s| s.subset.as_ref().map(|sub| (s.name.node.clone(), sub.parent.node.clone())))
        .collect();
    // What a row finds besides its columns, before the subsets that inherit it.
    c.lookups(&tables);
    c.adjacent_rows(&tables);
    for s in &tables {
        c.named_values(s);
    }
    c.subsets(&subsets);
    for s in c.sources.iter().filter(|s| s.subset.is_some()) {
        c.resolved.add_table(&s.name, &c.table_of(s));
    }
    let populations: Vec<ir::Population> = population_decls.iter().filter_map(|p| c.population(p)).collect();
    for p in &populations {
        c.populations.insert(p.name.clone(), (p.span, p.source.clone()));
    }
    for s in &standard_decls {
        c.standard(s);
    }
    let references: Vec<ir::Reference> = reference_decls.iter().filter_map(|r| c.reference(r)).collect();
    for r in &references {
        c.references.insert(r.name.clone());
    }
    let calendar = c.calendar(&calendar_decls);
    for m in &measure_decls {
        c.measure_names.insert(m.ast.name.node.clone(), m.ast.name.span);
    }
    let measures = c.measures(&measure_decls);
    let tests: Vec<ir::Test> = test_decls.iter().filter_map(|(t, file)| c.test_block(t, *file, &measures)).collect();

    let diagnostics = c.diags.sorted();
    let resolutions = std::mem::take(&mut c.resolved).finish();
    let project = (!diagnostics.iter().any(Diagnostic::is_error)).then_some(Project {
        sources: c.sources,
        populations,
        references,
        calendar,
        measures,
        tests,
    });
    Checked { project, diagnostics, resolutions }
}

impl<'a> Checker<'a> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn source_named(&self, name: &str) -> Option<&ir::Source> {
        self.source_index.get(name).map(|&i| &self.sources[i])
    }

    /// Records that `span` names `target`.
    fn resolves(&mut self, span: Span, target: Target) {
        self.resolved.add(span, target, false);
    }

    /// Records the definition of `target` at `span`.
    fn defines(&mut self, span: Span, target: Target) {
        self.resolved.add(span, target, true);
    }

    /// The table holding `source`'s rows: itself, or for a subset the table it is taken from.
    fn table_of(&self, source: &ir::Source) -> String {
        ir::table_among(&source.name, self.sources.len(), |n| self.source_named(n)).to_string()
    }

    /// Records `name` as the named value or column of `source`'s rows it is, if it is one.
    fn resolves_value(&mut self, name: &ast::Ident, source: &ir::Source) {
        let target = if let Some(n) = source.named_value(&name.node) {
            let owner = self.named_owners.get(&(n.span.file, n.span.start)).cloned();
            Target::Named { source: owner.unwrap_or_else(|| source.name.clone()), name: name.node.clone() }
        } else if source.column(&name.node).is_some() {
            Target::Column { table: self.table_of(source), name: name.node.clone() }
        } else {
            return;
        };
        self.resolves(name.span, target);
    }

    /// Resolves a source name or reports it (with a suggestion).
    fn lookup_source(&mut self, name: &ast::Ident) -> Option<ir::Source> {
        if let Some(s) = self.source_named(&name.node) {
            let s = s.clone();
            self.resolves(name.span, Target::Source(name.node.clone()));
            return Some(s);
        }
        let suggestion = did_you_mean(&name.node, self.source_index.keys().map(String::as_str));
        self.error(unknown(Code::UnknownSource, name, "source", suggestion, "declare it with `source NAME { ... }`"));
        None
    }

    /// The source a population reads.
    fn population_source(&self, population: &str) -> Option<&ir::Source> {
        self.populations.get(population).and_then(|(_, source)| self.source_named(source))
    }

    /// Resolves a reference's name, or reports it; `None` also for a declared reference
    /// with errors of its own (already reported).
    fn lookup_reference(&mut self, name: &ast::Ident) -> Option<String> {
        if self.references.contains(&name.node) {
            return Some(name.node.clone());
        }
        if self.reference_names.contains_key(&name.node) {
            return None;
        }
        let suggestion = did_you_mean(&name.node, self.reference_names.keys().map(String::as_str));
        self.error(unknown(
            Code::UnknownReference,
            name,
            "reference",
            suggestion,
            "declare it with `reference NAME from SOURCE where ...`",
        ));
        None
    }

    fn lookup_population(&mut self, name: &ast::Ident) -> bool {
        if self.populations.contains_key(&name.node) {
            self.resolves(name.span, Target::Population(name.node.clone()));
            return true;
        }
        let suggestion = did_you_mean(&name.node, self.populations.keys().map(String::as_str));
        self.error(unknown(
            Code::UnknownPopulation,
            name,
            "population",
            suggestion,
            "declare it with `population NAME from SOURCE where ...`",
        ));
        false
    }

    /// Reports an unknown column of `source`, with a suggestion among its columns and named
    /// values.
    fn unknown_column(&mut self, name: &ast::Ident, source: &ir::Source) {
        let names: Vec<&str> = source
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .chain(source.named.iter().map(|n| n.name.as_str()))
            .collect();
        let help = match did_you_mean(&name.node, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "`{}` has {} {}",
                source.name,
                if source.named.is_empty() { "columns" } else { "columns and named values" },
                names.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            ),
        };
        self.error(
            Diagnostic::new(
                Code::UnknownColumn,
                name.span,
                format!("unknown column `{}` in source `{}`", name.node, source.name),
            )
            .label("no such column")
            .help(help),
        );
    }
}

/// "unknown source `x`" with "did you mean `y`?" when one is close.
fn unknown(code: Code, name: &ast::Ident, what: &str, suggestion: Option<String>, otherwise: &str) -> Diagnostic {
    let d =
        Diagnostic::new(code, name.span, format!("unknown {what} `{}`", name.node)).label(format!("no such {what}"));
    match suggestion {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(otherwise.to_string()),
    }
}

/// "unknown value" for a word outside a fixed set.
fn unknown_word(name: &ast::Ident, what: &str, allowed: &[&str]) -> Diagnostic {
    let help = match did_you_mean(&name.node, allowed.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("use one of {}", allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")),
    };
    Diagnostic::new(Code::UnknownValue, name.span, format!("`{}` is not a {what}", name.node))
        .label(format!("unknown {what}"))
        .help(help)
}
