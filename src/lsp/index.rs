//! Every name a project's files write, resolved to what it names: the definitions and
//! references behind hover, go to definition, find references and completion.

use crate::span::{FileId, Span};
use crate::syntax::ast::{self, ClauseKind, ExprKind, ItemKind, Module, SourceEntryKind, TestEntryKind};
use std::collections::HashMap;

/// What a name refers to. Columns are named by the table holding them (a subset's are its
/// parent's).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Source(String),
    Column {
        table: String,
        name: String,
    },
    Population(String),
    Measure(String),
    /// An alias of `exists` or an aggregate over related rows: known only inside it.
    Alias {
        file: FileId,
        at: usize,
        name: String,
        source: String,
    },
    Function(String),
    /// A named value (`let name = ...`) of the source declaring it.
    Named {
        source: String,
        name: String,
    },
    /// An adjacent row (`previous name by ...`) of a table's rows.
    Adjacent {
        table: String,
        name: String,
    },
}

/// One place a name is written.
#[derive(Clone, Debug)]
pub struct Occurrence {
    pub span: Span,
    pub target: Target,
    pub definition: bool,
}

#[derive(Debug, Default)]
pub struct Index {
    pub occurrences: Vec<Occurrence>,
    /// Subset -> the source its rows are taken from.
    parents: HashMap<String, String>,
    /// Source -> the named values it declares.
    named: HashMap<String, Vec<String>>,
    /// Table -> the adjacent rows it declares.
    adjacent: HashMap<String, Vec<String>>,
}

impl Index {
    pub fn build(modules: &[(FileId, Module)]) -> Index {
        let mut index = Index::default();
        for (_, m) in modules {
            for item in &m.items {
                if let ItemKind::Source(s) = &item.kind {
                    if let Some(subset) = &s.subset {
                        index.parents.insert(s.name.node.clone(), subset.parent.node.clone());
                    }
                    for e in &s.entries {
                        let (map, name) = match &e.kind {
                            SourceEntryKind::Let { name, .. } => (&mut index.named, &name.node),
                            SourceEntryKind::Adjacent { name, .. } => (&mut index.adjacent, &name.node),
                            _ => continue,
                        };
                        map.entry(s.name.node.clone()).or_default().push(name.clone());
                    }
                }
            }
        }
        for (file, m) in modules {
            for item in &m.items {
                index.item(*file, item);
            }
        }
        index
    }

    /// The table holding a source's rows: itself, or for a subset its first ancestor that is
    /// not one.
    pub fn table_of(&self, source: &str) -> String {
        let mut current = source;
        for _ in 0..32 {
            match self.parents.get(current) {
                Some(p) => current = p,
                None => break,
            }
        }
        current.to_string()
    }

    /// The innermost name written at a byte offset (its end included, where a cursor sits
    /// after typing it).
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.span.file == file && o.span.start <= offset && offset <= o.span.end)
            .min_by_key(|o| o.span.len())
    }

    pub fn definition(&self, target: &Target) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| o.definition && o.target == *target)
    }

    pub fn references<'a>(&'a self, target: &'a Target) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences.iter().filter(move |o| o.target == *target)
    }

    fn add(&mut self, span: Span, target: Target, definition: bool) {
        self.occurrences.push(Occurrence { span, target, definition });
    }

    /// The source (`source` or one of its ancestors) among `map`'s that declares `name`.
    fn declaring(&self, map: &HashMap<String, Vec<String>>, source: &str, name: &str) -> Option<String> {
        let mut current = source;
        for _ in 0..32 {
            if map.get(current).is_some_and(|names| names.iter().any(|n| n == name)) {
                return Some(current.to_string());
            }
            current = self.parents.get(current)?;
        }
        None
    }

    /// A name of `source`'s rows: a named value, else a column.
    fn column(&mut self, span: Span, source: &str, name: &str) {
        let target = match self.declaring(&self.named, source, name) {
            Some(declaring) => Target::Named { source: declaring, name: name.to_string() },
            None => Target::Column { table: self.table_of(source), name: name.to_string() },
        };
        self.add(span, target, false);
    }

    fn item(&mut self, file: FileId, item: &ast::Item) {
        match &item.kind {
            ItemKind::Source(s) => {
                let name = &s.name.node;
                self.add(s.name.span, Target::Source(name.clone()), true);
                if let Some(subset) = &s.subset {
                    self.add(subset.parent.span, Target::Source(subset.parent.node.clone()), false);
                    let scope = Scope::row(&subset.parent.node);
                    for f in &subset.filters {
                        self.expr(file, &f.condition, &scope);
                    }
                }
                for e in &s.entries {
                    match &e.kind {
                        SourceEntryKind::Column(c) => {
                            let target = Target::Column { table: self.table_of(name), name: c.name.node.clone() };
                            self.add(c.name.span, target, true);
                        }
                        SourceEntryKind::Spans { start, end } => {
                            self.column(start.span, name, &start.node);
                            self.column(end.span, name, &end.node);
                        }
                        SourceEntryKind::Snapshot(c) => self.column(c.span, name, &c.node),
                        SourceEntryKind::Lookup { source, by } => {
                            self.add(source.span, Target::Source(source.node.clone()), false);
                            self.column(by.span, name, &by.node);
                        }
                        SourceEntryKind::Let { name: value, expr } => {
                            let target = Target::Named { source: name.clone(), name: value.node.clone() };
                            self.add(value.span, target, true);
                            self.expr(file, expr, &Scope::row(name));
                        }
                        SourceEntryKind::Adjacent { name: relation, by, order, .. } => {
                            let target = Target::Adjacent { table: self.table_of(name), name: relation.node.clone() };
                            self.add(relation.span, target, true);
                            self.column(by.span, name, &by.node);
                            self.column(order.span, name, &order.node);
                        }
                    }
                }
            }
            ItemKind::Population(p) => {
                self.add(p.name.span, Target::Population(p.name.node.clone()), true);
                self.add(p.source.span, Target::Source(p.source.node.clone()), false);
                if let Some(f) = &p.filter {
                    self.expr(file, f, &Scope::row(&p.source.node));
                }
            }
            ItemKind::Reference(r) => {
                self.add(r.source.span, Target::Source(r.source.node.clone()), false);
                if let Some(f) = &r.filter {
                    self.expr(file, f, &Scope::row(&r.source.node));
                }
            }
            ItemKind::Calendar(_) | ItemKind::Standard(_) => {}
            ItemKind::Theme(t) => {
                for m in &t.measures {
                    self.measure(file, m);
                }
            }
            ItemKind::Measure(m) => self.measure(file, m),
            ItemKind::Test(t) => {
                for e in &t.entries {
                    match &e.kind {
                        TestEntryKind::GivenTable { source, table } => {
                            self.add(source.span, Target::Source(source.node.clone()), false);
                            for h in &table.header {
                                self.column(h.span, &source.node, &h.node);
                            }
                        }
                        TestEntryKind::GivenFile { source, .. } => {
                            self.add(source.span, Target::Source(source.node.clone()), false)
                        }
                        TestEntryKind::AsOf(_) => {}
                        TestEntryKind::Expect(x) => {
                            self.add(x.measure.span, Target::Measure(x.measure.node.clone()), false)
                        }
                    }
                }
            }
        }
    }

    fn measure(&mut self, file: FileId, m: &ast::Measure) {
        self.add(m.name.span, Target::Measure(m.name.node.clone()), true);
        let row = row_source(m);
        let scope = row.as_deref().map_or_else(Scope::default, Scope::row);
        for c in m.clauses.iter().chain(m.versions.iter().flat_map(|v| &v.clauses)) {
            match &c.kind {
                ClauseKind::Ratio { source } => self.add(source.span, Target::Source(source.node.clone()), false),
                ClauseKind::SumPart { expr, .. } => self.expr(file, expr, &scope),
                ClauseKind::Count { distinct, source } | ClauseKind::Percent { distinct, source } => {
                    self.add(source.span, Target::Source(source.node.clone()), false);
                    if let Some(d) = distinct {
                        self.column(d.span, &source.node, &d.node);
                    }
                }
                ClauseKind::Aggregate { expr, distinct, source, .. } => {
                    self.add(source.span, Target::Source(source.node.clone()), false);
                    self.expr(file, expr, &scope);
                    if let Some(d) = distinct {
                        self.column(d.span, &source.node, &d.node);
                    }
                }
                ClauseKind::RateOf { measure, per } => {
                    self.add(measure.span, Target::Measure(measure.node.clone()), false);
                    self.add(per.population.span, Target::Population(per.population.node.clone()), false);
                }
                ClauseKind::Per(per) => {
                    self.add(per.population.span, Target::Population(per.population.node.clone()), false);
                    if let (Some(st), Some(r)) = (&per.standardised, &row) {
                        self.column(st.by.span, r, &st.by.node);
                    }
                }
                ClauseKind::Expected { population, .. } => {
                    self.add(population.span, Target::Population(population.node.clone()), false)
                }
                ClauseKind::Calculate(e) => self.expr(file, e, &Scope { measures: true, ..Scope::default() }),
                ClauseKind::InPeriod(col) => {
                    if let Some(r) = &row {
                        self.column(col.span, r, &col.node);
                    }
                }
                ClauseKind::Where(e) | ClauseKind::Excluding(e) | ClauseKind::Meeting(e) => self.expr(file, e, &scope),
                ClauseKind::By(items) => {
                    for b in items {
                        self.expr(file, &b.expr, &scope);
                    }
                }
                ClauseKind::Benchmark(items) => {
                    for b in items {
                        if let ast::BenchmarkKind::Published { source, column, filter, per } = &b.kind {
                            self.add(source.span, Target::Source(source.node.clone()), false);
                            self.column(column.span, &source.node, &column.node);
                            if let Some(f) = filter {
                                self.expr(file, f, &Scope::row(&source.node));
                            }
                            if let Some(p) = per {
                                self.add(p.population.span, Target::Population(p.population.node.clone()), false);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn expr(&mut self, file: FileId, e: &ast::Expr, scope: &Scope) {
        match &e.kind {
            ExprKind::Literal(_) => {}
            ExprKind::Path { qualifiers, name } if qualifiers.is_empty() => {
                if scope.measures {
                    self.add(name.span, Target::Measure(name.node.clone()), false);
                } else if let Some(row) = &scope.row {
                    self.column(name.span, row, &name.node);
                }
            }
            ExprKind::Path { qualifiers, name } => {
                let q = &qualifiers[0];
                let adjacent = scope.row.as_deref().and_then(|row| {
                    let table = self.table_of(row);
                    self.declaring(&self.adjacent, &table, &q.node).map(|t| (row.to_string(), t))
                });
                // Where the name's row comes from: an alias, an adjacent row, or lookups.
                let mut at = match (scope.aliases.iter().find(|a| a.0 == q.node), adjacent) {
                    (Some((_, source, target)), _) => {
                        let (source, target) = (source.clone(), target.clone());
                        self.add(q.span, target.unwrap_or_else(|| Target::Source(source.clone())), false);
                        source
                    }
                    (None, Some((row, table))) => {
                        self.add(q.span, Target::Adjacent { table, name: q.node.clone() }, false);
                        row
                    }
                    (None, None) => {
                        self.add(q.span, Target::Source(q.node.clone()), false);
                        q.node.clone()
                    }
                };
                for step in &qualifiers[1..] {
                    self.add(step.span, Target::Source(step.node.clone()), false);
                    at = step.node.clone();
                }
                self.column(name.span, &at, &name.node);
            }
            ExprKind::Call { func, args } => {
                self.add(func.span, Target::Function(func.node.clone()), false);
                for a in args {
                    self.expr(file, a, scope);
                }
            }
            ExprKind::Unary { expr, .. } | ExprKind::IsMissing { expr, .. } | ExprKind::Paren(expr) => {
                self.expr(file, expr, scope)
            }
            ExprKind::Binary { left, right, .. } => {
                self.expr(file, left, scope);
                self.expr(file, right, scope);
            }
            ExprKind::InList { expr, list, .. } => {
                self.expr(file, expr, scope);
                for x in list {
                    self.expr(file, x, scope);
                }
            }
            ExprKind::Exists { source, alias, condition } => {
                let inner = self.related_scope(file, scope, source, alias.as_ref());
                if let Some(c) = condition {
                    self.expr(file, c, &inner);
                }
            }
            ExprKind::Related(r) => {
                let inner = self.related_scope(file, scope, &r.source, r.alias.as_ref());
                if let Some(v) = &r.value {
                    self.expr(file, v, &inner);
                }
                if let Some(c) = &r.condition {
                    self.expr(file, c, &inner);
                }
            }
        }
    }

    /// The scope inside `exists` or an aggregate over related rows: the measure's row, and
    /// the other source's rows under their alias (or the source's own name).
    fn related_scope(&mut self, file: FileId, outer: &Scope, source: &ast::Ident, alias: Option<&ast::Ident>) -> Scope {
        self.add(source.span, Target::Source(source.node.clone()), false);
        let mut inner = outer.clone();
        match alias {
            Some(a) => {
                let target =
                    Target::Alias { file, at: a.span.start, name: a.node.clone(), source: source.node.clone() };
                self.add(a.span, target.clone(), true);
                inner.aliases.push((a.node.clone(), source.node.clone(), Some(target)));
            }
            None => inner.aliases.push((source.node.clone(), source.node.clone(), None)),
        }
        inner
    }
}

/// The source a measure counts or aggregates rows of, if it does.
pub fn row_source(m: &ast::Measure) -> Option<String> {
    m.clauses.iter().find_map(|c| match &c.kind {
        ClauseKind::Count { source, .. }
        | ClauseKind::Percent { source, .. }
        | ClauseKind::Ratio { source }
        | ClauseKind::Aggregate { source, .. } => Some(source.node.clone()),
        _ => None,
    })
}

/// What names mean where an expression is written.
#[derive(Clone, Debug, Default)]
struct Scope {
    /// The source whose columns unqualified names are.
    row: Option<String>,
    /// Alias -> its source, and the alias's own definition (none when it is the source's name).
    aliases: Vec<(String, String, Option<Target>)>,
    /// Names are measures (`calculate`).
    measures: bool,
}

impl Scope {
    fn row(source: &str) -> Scope {
        Scope { row: Some(source.to_string()), ..Scope::default() }
    }
}
