//! `scorebook lsp`: a language server over stdio (the `lsp-server` crate's synchronous
//! design). It runs the same stages as the command line — parse, check, format, the test
//! runner — over the editor's buffers; see docs/editors.md.

mod complete;
mod hover;
mod workspace;

use crate::check::resolution::Target;
use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, Span};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use workspace::{folder_of, Analysis, Workspace};

/// How long edits may keep arriving before the project is checked again.
const SETTLE: Duration = Duration::from_millis(30);

pub const RUN_TEST: &str = "scorebook.runTest";
pub const RUN_FILE_TESTS: &str = "scorebook.runFileTests";

fn capabilities() -> Value {
    json!({
        "positionEncoding": "utf-16",
        "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
        "hoverProvider": true,
        "definitionProvider": true,
        "referencesProvider": true,
        "documentFormattingProvider": true,
        "documentSymbolProvider": true,
        "workspaceSymbolProvider": true,
        "completionProvider": { "triggerCharacters": ["."] },
        "codeLensProvider": { "resolveProvider": false },
        "executeCommandProvider": { "commands": [RUN_TEST, RUN_FILE_TESTS] },
    })
}

/// Serves one editor session on standard input and output until it exits.
pub fn serve() -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    let init = connection.initialize(capabilities()).map_err(|e| format!("the editor did not initialise: {e}"))?;
    let mut server = Server { connection, workspace: Workspace::default(), runtime: None };
    server.roots(&init);
    let result = server.main_loop();
    drop(server);
    io_threads.join().map_err(|e| format!("closing standard input and output: {e}"))?;
    result
}

struct Server {
    connection: Connection,
    workspace: Workspace,
    /// For running tests: made on first use.
    runtime: Option<tokio::runtime::Runtime>,
}

fn path_of(uri: &lsp::Url) -> Option<PathBuf> {
    uri.to_file_path().ok()
}

fn uri_of(path: &Path) -> Option<lsp::Url> {
    let absolute = std::path::absolute(path).ok()?;
    lsp::Url::from_file_path(absolute).ok()
}

impl Server {
    /// Projects under the workspace folders are checked at the start, so workspace symbols
    /// find them before any file is opened.
    fn roots(&mut self, init: &Value) {
        let folders = init.get("workspaceFolders").and_then(Value::as_array).cloned().unwrap_or_default();
        for f in folders {
            let Some(path) =
                f.get("uri").and_then(Value::as_str).and_then(|u| lsp::Url::parse(u).ok()).and_then(|u| path_of(&u))
            else {
                continue;
            };
            for file in crate::project::discover(&[path]).unwrap_or_default() {
                self.workspace.changed(&file);
            }
        }
    }

    fn main_loop(&mut self) -> Result<(), String> {
        loop {
            let message = if self.workspace.unpublished.is_empty() {
                match self.connection.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()),
                }
            } else {
                match self.connection.receiver.recv_timeout(SETTLE) {
                    Ok(m) => m,
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                        self.publish();
                        continue;
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return Ok(()),
                }
            };
            match message {
                Message::Request(request) => {
                    if self.connection.handle_shutdown(&request).map_err(|e| e.to_string())? {
                        return Ok(());
                    }
                    let id = request.id.clone();
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.request(request)));
                    let response = match outcome {
                        Ok(Ok(value)) => Response::new_ok(id, value),
                        Ok(Err((code, text))) => Response::new_err(id, code as i32, text),
                        Err(_) => Response::new_err(
                            id,
                            ErrorCode::InternalError as i32,
                            "scorebook failed on this request; the session goes on".into(),
                        ),
                    };
                    self.send(Message::Response(response));
                }
                Message::Notification(n) => {
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.notification(n)));
                }
                Message::Response(_) => {}
            }
        }
    }

    fn send(&self, message: Message) {
        let _ = self.connection.sender.send(message);
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params) {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        self.workspace.open.insert(path.clone(), p.text_document.text);
                        self.workspace.versions.insert(path.clone(), p.text_document.version);
                        self.workspace.changed(&path);
                        self.publish();
                    }
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params) {
                    if let (Some(path), Some(change)) = (path_of(&p.text_document.uri), p.content_changes.last()) {
                        self.workspace.open.insert(path.clone(), change.text.clone());
                        self.workspace.versions.insert(path.clone(), p.text_document.version);
                        self.workspace.changed(&path);
                    }
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params) {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        self.workspace.open.remove(&path);
                        self.workspace.versions.remove(&path);
                        self.workspace.changed(&path);
                    }
                }
            }
            "textDocument/didSave" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidSaveTextDocumentParams>(n.params) {
                    if let Some(path) = path_of(&p.text_document.uri) {
                        self.workspace.changed(&path);
                    }
                }
            }
            "workspace/didChangeWatchedFiles" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidChangeWatchedFilesParams>(n.params) {
                    for change in p.changes {
                        if let Some(path) = path_of(&change.uri) {
                            if change.typ == lsp::FileChangeType::DELETED {
                                self.workspace.open.remove(&path);
                                self.workspace.versions.remove(&path);
                            }
                            self.workspace.changed(&path);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Checks the changed projects and publishes every file's diagnostics (an empty list
    /// clears a file's, such as one deleted since).
    fn publish(&mut self) {
        let folders: Vec<PathBuf> = std::mem::take(&mut self.workspace.unpublished).into_iter().collect();
        for folder in folders {
            self.workspace.refresh(&folder);
            let analysis = &self.workspace.analyses[&folder];
            let mut by_file: std::collections::BTreeMap<PathBuf, Vec<lsp::Diagnostic>> =
                analysis.files.files().map(|(_, f)| (f.path.clone(), Vec::new())).collect();
            for d in &analysis.diagnostics {
                let path = analysis.files.get(d.primary.span.file).path.clone();
                by_file.entry(path).or_default().push(diagnostic(analysis, d));
            }
            for (path, failures) in self.workspace.test_failures.iter().filter(|(p, _)| folder_of(p) == folder) {
                by_file.entry(path.clone()).or_default().extend(failures.iter().map(|d| diagnostic(analysis, d)));
            }
            let now: std::collections::BTreeSet<PathBuf> = by_file.keys().cloned().collect();
            let before = self.workspace.published.get(&folder).cloned().unwrap_or_default();
            let cleared = before.difference(&now).map(|p| (p.clone(), Vec::new()));
            for (path, diagnostics) in by_file.into_iter().chain(cleared) {
                let Some(uri) = uri_of(&path) else { continue };
                let version = self.workspace.versions.get(&path).copied();
                let params = lsp::PublishDiagnosticsParams { uri, diagnostics, version };
                self.send(Message::Notification(Notification::new("textDocument/publishDiagnostics".into(), params)));
            }
            self.workspace.published.insert(folder, now);
        }
    }

    fn request(&mut self, r: Request) -> Result<Value, (ErrorCode, String)> {
        let invalid = |e: serde_json::Error| (ErrorCode::InvalidParams, e.to_string());
        let value = |v: Result<Value, serde_json::Error>| v.map_err(|e| (ErrorCode::InternalError, e.to_string()));
        match r.method.as_str() {
            "textDocument/hover" => {
                let p: lsp::HoverParams = serde_json::from_value(r.params).map_err(invalid)?;
                value(serde_json::to_value(self.hover(&p.text_document_position_params)))
            }
            "textDocument/definition" => {
                let p: lsp::GotoDefinitionParams = serde_json::from_value(r.params).map_err(invalid)?;
                value(serde_json::to_value(self.definition(&p.text_document_position_params)))
            }
            "textDocument/references" => {
                let p: lsp::ReferenceParams = serde_json::from_value(r.params).map_err(invalid)?;
                value(serde_json::to_value(self.references(&p.text_document_position, p.context.include_declaration)))
            }
            "textDocument/completion" => {
                let p: lsp::CompletionParams = serde_json::from_value(r.params).map_err(invalid)?;
                value(serde_json::to_value(self.completion(&p.text_document_position)))
            }
            "textDocument/formatting" => {
                let p: lsp::DocumentFormattingParams = serde_json::from_value(r.params).map_err(invalid)?;
                value(serde_json::to_value(self.format(&p.text_document.uri)))
            }
            "textDocument/documentSymbol" => {
                let p: lsp::DocumentSymbolParams = serde_json::from_value(r.params).map_err(invalid)?;
                value(serde_json::to_value(self.document_symbols(&p.text_document.uri)))
            }
            "workspace/symbol" => {
                let p: lsp::WorkspaceSymbolParams = serde_json::from_value(r.params).map_err(invalid)?;
                value(serde_json::to_value(self.workspace_symbols(&p.query)))
            }
            "textDocument/codeLens" => {
                let p: lsp::CodeLensParams = serde_json::from_value(r.params).map_err(invalid)?;
                value(serde_json::to_value(self.code_lenses(&p.text_document.uri)))
            }
            "workspace/executeCommand" => {
                let p: lsp::ExecuteCommandParams = serde_json::from_value(r.params).map_err(invalid)?;
                self.execute(&p)
            }
            other => Err((ErrorCode::MethodNotFound, format!("scorebook does not answer {other}"))),
        }
    }

    /// The analysis of a document's project, the file's id in it and a position's offset.
    fn locate(&mut self, at: &lsp::TextDocumentPositionParams) -> Option<(&Analysis, FileId, usize)> {
        let path = path_of(&at.text_document.uri)?;
        let analysis = self.workspace.analysis(&path);
        let file = analysis.file_id(&path)?;
        let offset = analysis.files.get(file).utf16_offset(at.position.line, at.position.character);
        Some((analysis, file, offset))
    }

    fn hover(&mut self, at: &lsp::TextDocumentPositionParams) -> Option<lsp::Hover> {
        let (a, file, offset) = self.locate(at)?;
        let mut parts = Vec::new();
        let found = a.index.at(file, offset);
        if let Some(o) = found {
            parts.extend(hover::of_target(a, &o.target));
        }
        // A diagnostic under the cursor: its code's explanation.
        for d in a.diagnostics.iter().filter(|d| {
            let s = d.primary.span;
            s.file == file && s.start <= offset && offset <= s.end.max(s.start + 1)
        }) {
            parts.push(format!("**{}** {}\n\n{}", d.code.as_str(), d.message, d.code.render_explanation()));
        }
        if parts.is_empty() {
            return None;
        }
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: parts.join("\n\n---\n\n"),
            }),
            range: found.map(|o| range(a, o.span)),
        })
    }

    fn definition(&mut self, at: &lsp::TextDocumentPositionParams) -> Option<lsp::Location> {
        let (a, file, offset) = self.locate(at)?;
        let target = &a.index.at(file, offset)?.target;
        let def = a.index.definition(target)?;
        location(a, def.span)
    }

    fn references(&mut self, at: &lsp::TextDocumentPositionParams, declaration: bool) -> Option<Vec<lsp::Location>> {
        let (a, file, offset) = self.locate(at)?;
        let target = a.index.at(file, offset)?.target.clone();
        let found = a.index.references(&target).filter(|o| declaration || !o.definition);
        Some(found.filter_map(|o| location(a, o.span)).collect())
    }

    fn completion(&mut self, at: &lsp::TextDocumentPositionParams) -> Option<lsp::CompletionResponse> {
        let (a, file, offset) = self.locate(at)?;
        let items = complete::at(a, file, offset)
            .into_iter()
            .map(|i| lsp::CompletionItem {
                label: i.label,
                kind: Some(match i.kind {
                    complete::Kind::Keyword => lsp::CompletionItemKind::KEYWORD,
                    complete::Kind::Source => lsp::CompletionItemKind::STRUCT,
                    complete::Kind::Column => lsp::CompletionItemKind::FIELD,
                    complete::Kind::Measure => lsp::CompletionItemKind::FUNCTION,
                    complete::Kind::Population => lsp::CompletionItemKind::CONSTANT,
                    complete::Kind::Function => lsp::CompletionItemKind::METHOD,
                    complete::Kind::Value => lsp::CompletionItemKind::ENUM_MEMBER,
                }),
                detail: i.detail,
                insert_text: i.insert,
                ..Default::default()
            })
            .collect();
        Some(lsp::CompletionResponse::Array(items))
    }

    /// The whole document in the canonical layout; nothing while it has syntax errors.
    fn format(&mut self, uri: &lsp::Url) -> Option<Vec<lsp::TextEdit>> {
        let path = path_of(uri)?;
        let text = match self.workspace.open.get(&path) {
            Some(t) => t.clone(),
            None => std::fs::read_to_string(&path).ok()?,
        };
        let module = crate::syntax::parse(FileId(0), &text).ok()?;
        let formatted = crate::format::format_module(&module, &text);
        if formatted == text {
            return Some(Vec::new());
        }
        let end = crate::span::SourceFile::new(&path, text.clone()).utf16_position(text.len());
        Some(vec![lsp::TextEdit {
            range: lsp::Range::new(lsp::Position::new(0, 0), lsp::Position::new(end.0, end.1)),
            new_text: formatted,
        }])
    }

    fn document_symbols(&mut self, uri: &lsp::Url) -> Option<Vec<lsp::DocumentSymbol>> {
        let path = path_of(uri)?;
        let a = self.workspace.analysis(&path);
        let file = a.file_id(&path)?;
        let module = a.module(file)?;
        Some(module.items.iter().filter_map(|i| item_symbol(a, i)).collect())
    }

    /// Measures (by name, ref or title), sources, populations and tests of every project seen.
    fn workspace_symbols(&mut self, query: &str) -> Vec<lsp::SymbolInformation> {
        let folders: Vec<PathBuf> =
            self.workspace.analyses.keys().chain(self.workspace.dirty.iter()).cloned().collect();
        let query = query.to_lowercase();
        let mut out = Vec::new();
        for folder in folders {
            self.workspace.refresh(&folder);
            let a = &self.workspace.analyses[&folder];
            let mut found: Vec<(String, lsp::SymbolKind, Option<String>, Span)> = Vec::new();
            for o in a.index.occurrences.iter().filter(|o| o.definition) {
                match &o.target {
                    Target::Measure(n) => found.push((n.clone(), lsp::SymbolKind::FUNCTION, a.headline(n), o.span)),
                    Target::Source(n) => found.push((n.clone(), lsp::SymbolKind::STRUCT, None, o.span)),
                    Target::Population(n) => found.push((n.clone(), lsp::SymbolKind::CONSTANT, None, o.span)),
                    _ => {}
                }
            }
            for (_, m) in &a.modules {
                for i in &m.items {
                    if let crate::syntax::ast::ItemKind::Test(t) = &i.kind {
                        found.push((t.name.node.clone(), lsp::SymbolKind::EVENT, Some("test".into()), t.name.span));
                    }
                }
            }
            for (name, kind, detail, span) in found {
                let matches = name.to_lowercase().contains(&query)
                    || detail.as_deref().is_some_and(|d| d.to_lowercase().contains(&query));
                let Some(location) = location(a, span).filter(|_| matches) else { continue };
                #[allow(deprecated)]
                out.push(lsp::SymbolInformation {
                    name,
                    kind,
                    tags: None,
                    deprecated: None,
                    location,
                    container_name: detail,
                });
            }
        }
        out
    }

    fn code_lenses(&mut self, uri: &lsp::Url) -> Option<Vec<lsp::CodeLens>> {
        let path = path_of(uri)?;
        let a = self.workspace.analysis(&path);
        let file = a.file_id(&path)?;
        let module = a.module(file)?;
        let tests: Vec<&crate::syntax::ast::TestBlock> = module
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                crate::syntax::ast::ItemKind::Test(t) => Some(t),
                _ => None,
            })
            .collect();
        let mut lenses = Vec::new();
        if !tests.is_empty() {
            lenses.push(lsp::CodeLens {
                range: lsp::Range::default(),
                command: Some(lsp::Command {
                    title: format!(
                        "▶ run the {} test{} of this file",
                        tests.len(),
                        if tests.len() == 1 { "" } else { "s" }
                    ),
                    command: RUN_FILE_TESTS.into(),
                    arguments: Some(vec![json!(uri)]),
                }),
                data: None,
            });
        }
        for t in tests {
            lenses.push(lsp::CodeLens {
                range: range(a, t.name.span),
                command: Some(lsp::Command {
                    title: "▶ run test".into(),
                    command: RUN_TEST.into(),
                    arguments: Some(vec![json!(uri), json!(t.name.node)]),
                }),
                data: None,
            });
        }
        Some(lenses)
    }

    /// Runs a file's tests (or one of them) with the test runner; failures become
    /// diagnostics on their `expect` lines until the project changes.
    fn execute(&mut self, p: &lsp::ExecuteCommandParams) -> Result<Value, (ErrorCode, String)> {
        let bad = |m: &str| (ErrorCode::InvalidParams, m.to_string());
        let uri = p.arguments.first().and_then(Value::as_str).and_then(|u| lsp::Url::parse(u).ok());
        let path = uri.as_ref().and_then(path_of).ok_or_else(|| bad("the first argument is the file's URI"))?;
        let name = match p.command.as_str() {
            RUN_TEST => Some(
                p.arguments
                    .get(1)
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("the second argument is the test's name"))?
                    .to_string(),
            ),
            RUN_FILE_TESTS => None,
            other => return Err((ErrorCode::InvalidRequest, format!("no command {other}"))),
        };
        if self.runtime.is_none() {
            self.runtime = Some(crate::engine::runtime().map_err(|e| (ErrorCode::InternalError, e.to_string()))?);
        }
        let a = self.workspace.analysis(&path);
        let Some(project) = a.project.as_ref() else {
            return Ok(
                json!({ "passed": 0, "failed": 0, "error": "the rules have errors; correct them to run the tests" }),
            );
        };
        let file = a.file_id(&path).ok_or_else(|| bad("the file is not part of a project"))?;
        let mut chosen = project.clone();
        chosen.tests.retain(|t| t.span.file == file && name.as_ref().is_none_or(|n| *n == t.name));
        // The tests run with the project's settings, as `scorebook test` in its folder does.
        let settings = crate::config::Config::nearest(&folder_of(&path))
            .map_err(crate::engine::RunError::from)
            .and_then(|config| crate::engine::Settings::resolve(&chosen, config.as_ref()));
        let settings = match settings {
            Ok(s) => s,
            Err(e) => return Ok(json!({ "passed": 0, "failed": 0, "error": e.to_string() })),
        };
        let runtime = self.runtime.as_ref().expect("made above");
        let outcomes = runtime.block_on(crate::testing::run_all(&chosen, &settings, None));
        let mut failures = Vec::new();
        let mut results = Vec::new();
        for o in &outcomes {
            // An editor shows the message, not the label: a missing row says there what the
            // run has instead.
            failures.extend(o.failures.iter().map(|f| {
                let mut d = f.diagnostic();
                if f.missing_row {
                    d.message = format!("{}: {}", d.message, f.actual);
                }
                d
            }));
            if let Some(e) = &o.error {
                failures.push(Diagnostic::new(Code::TestFailed, o.span, format!("the test could not run: {e}")));
            }
            results.push(json!({ "name": o.name, "passed": o.passed() }));
        }
        let passed = outcomes.iter().filter(|o| o.passed()).count();
        self.workspace.test_failures.insert(path.clone(), failures);
        self.workspace.unpublished.insert(folder_of(&path));
        self.publish();
        Ok(json!({ "passed": passed, "failed": outcomes.len() - passed, "tests": results }))
    }
}

fn range(a: &Analysis, span: Span) -> lsp::Range {
    let f = a.files.get(span.file);
    let (l0, c0) = f.utf16_position(span.start);
    let (l1, c1) = f.utf16_position(span.end);
    lsp::Range::new(lsp::Position::new(l0, c0), lsp::Position::new(l1, c1))
}

fn location(a: &Analysis, span: Span) -> Option<lsp::Location> {
    Some(lsp::Location { uri: uri_of(&a.files.get(span.file).path)?, range: range(a, span) })
}

fn diagnostic(a: &Analysis, d: &Diagnostic) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|l| {
            Some(lsp::DiagnosticRelatedInformation { location: location(a, l.span)?, message: l.text.clone() })
        })
        .collect();
    lsp::Diagnostic {
        range: range(a, d.primary.span),
        severity: Some(if d.is_error() { lsp::DiagnosticSeverity::ERROR } else { lsp::DiagnosticSeverity::WARNING }),
        code: Some(lsp::NumberOrString::String(d.code.as_str().into())),
        code_description: None,
        source: Some("scorebook".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

#[allow(deprecated)]
fn symbol(
    a: &Analysis,
    name: String,
    detail: Option<String>,
    kind: lsp::SymbolKind,
    whole: Span,
    at: Span,
    children: Vec<lsp::DocumentSymbol>,
) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: range(a, whole),
        selection_range: range(a, at),
        children: Some(children),
    }
}

fn measure_symbol(a: &Analysis, m: &crate::syntax::ast::Measure) -> lsp::DocumentSymbol {
    let detail = a.headline(&m.name.node);
    symbol(a, m.name.node.clone(), detail, lsp::SymbolKind::FUNCTION, m.span.to(m.close), m.name.span, Vec::new())
}

fn item_symbol(a: &Analysis, i: &crate::syntax::ast::Item) -> Option<lsp::DocumentSymbol> {
    use crate::syntax::ast::{ItemKind, SourceEntryKind};
    Some(match &i.kind {
        ItemKind::Source(s) => {
            let columns = s
                .entries
                .iter()
                .filter_map(|e| match &e.kind {
                    SourceEntryKind::Column(c) => Some(symbol(
                        a,
                        c.name.node.clone(),
                        Some(c.ty.node.clone()),
                        lsp::SymbolKind::FIELD,
                        e.span,
                        c.name.span,
                        Vec::new(),
                    )),
                    _ => None,
                })
                .collect();
            symbol(
                a,
                s.name.node.clone(),
                s.description.as_ref().map(|d| d.node.clone()),
                lsp::SymbolKind::STRUCT,
                i.span,
                s.name.span,
                columns,
            )
        }
        ItemKind::Population(p) => symbol(
            a,
            p.name.node.clone(),
            Some(format!("from {}", p.source.node)),
            lsp::SymbolKind::CONSTANT,
            i.span,
            p.name.span,
            Vec::new(),
        ),
        ItemKind::Reference(r) => symbol(
            a,
            r.name.node.clone(),
            Some(format!("reference rates from {}", r.source.node)),
            lsp::SymbolKind::CONSTANT,
            i.span,
            r.name.span,
            Vec::new(),
        ),
        ItemKind::Standard(s) => symbol(
            a,
            s.name.node.clone(),
            Some(format!("standard population, {} bands", s.bands.len())),
            lsp::SymbolKind::CONSTANT,
            i.span,
            s.name.span,
            Vec::new(),
        ),
        ItemKind::Calendar(c) => symbol(
            a,
            c.name.node.clone(),
            Some("calendar".into()),
            lsp::SymbolKind::ENUM,
            i.span,
            c.name.span,
            Vec::new(),
        ),
        ItemKind::Theme(t) => {
            let measures = t.measures.iter().map(|m| measure_symbol(a, m)).collect();
            symbol(
                a,
                t.name.node.clone(),
                Some("theme".into()),
                lsp::SymbolKind::NAMESPACE,
                i.span,
                t.name.span,
                measures,
            )
        }
        ItemKind::Measure(m) => measure_symbol(a, m),
        ItemKind::Test(t) => {
            symbol(a, t.name.node.clone(), Some("test".into()), lsp::SymbolKind::EVENT, i.span, t.name.span, Vec::new())
        }
    })
}

#[cfg(test)]
mod tests;
