//! Sources, populations and the calendar.

use super::exprs::Scope;
use super::resolution::Target;
use super::{unknown_word, Checker};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{self, ColumnType, Value};
use crate::syntax::ast::{self, ColumnOptionKind, Literal, SourceEntryKind};

/// The types of a count or population column.
const NUMBER: &[ColumnType] = &[ColumnType::Int, ColumnType::Decimal];

/// A literal read as a value of the column type, if it fits.
pub(crate) fn literal_as(lit: &Literal, ty: ColumnType) -> Option<Value> {
    Some(match (lit, ty) {
        (Literal::String(s), ColumnType::Text) => Value::Text(s.clone()),
        (Literal::Bool(b), ColumnType::Bool) => Value::Bool(*b),
        (Literal::Date(d), ColumnType::Date) => Value::Date(*d),
        (Literal::Date(d), ColumnType::DateTime) => Value::DateTime(d.and_time(chrono::NaiveTime::MIN)),
        (Literal::Number(q), ColumnType::Int) if q.value.fract() == 0.0 && !q.percent => Value::Int(q.value as i64),
        (Literal::Number(q), ColumnType::Decimal) => Value::Decimal(q.value),
        _ => return None,
    })
}

impl Checker<'_> {
    pub(super) fn source(&mut self, s: &ast::SourceDecl) -> ir::Source {
        let mut columns: Vec<ir::Column> = Vec::new();
        let mut spans_decl = None;
        let mut snapshot_decl = None;
        for entry in &s.entries {
            match &entry.kind {
                SourceEntryKind::Column(c) => {
                    if let Some(first) = columns.iter().find(|x| x.name == c.name.node) {
                        let first_span = first.span;
                        self.error(
                            Diagnostic::new(
                                Code::DuplicateColumn,
                                c.name.span,
                                format!("column `{}` is declared twice in source `{}`", c.name.node, s.name.node),
                            )
                            .label("second declaration")
                            .with_secondary(first_span, "first declared here")
                            .help("remove one of the declarations"),
                        );
                        continue;
                    }
                    columns.push(self.column(c));
                    let target = Target::Column { table: s.name.node.clone(), name: c.name.node.clone() };
                    self.defines(c.name.span, target);
                }
                SourceEntryKind::Spans { start, end } => {
                    if spans_decl.is_some() {
                        self.error(duplicate_entry(entry.span, "spans"));
                    }
                    spans_decl = Some((start, end));
                }
                SourceEntryKind::Snapshot(col) => {
                    if snapshot_decl.is_some() {
                        self.error(duplicate_entry(entry.span, "snapshot at"));
                    }
                    snapshot_decl = Some(col);
                }
                // Resolved once every source is known (`lookups`, `adjacent_rows`, `named_values`).
                SourceEntryKind::Lookup { .. } | SourceEntryKind::Let { .. } | SourceEntryKind::Adjacent { .. } => {}
            }
        }
        let mut source = ir::Source {
            name: s.name.node.clone(),
            description: s.description.as_ref().map(|d| d.node.clone()),
            columns,
            spans: None,
            snapshot: None,
            lookups: Vec::new(),
            named: Vec::new(),
            adjacent: Vec::new(),
            subset: None,
            span: s.name.span,
        };
        if let Some((start, end)) = spans_decl {
            let ok_start = self.date_column(&source, start, "spans", false);
            let ok_end = self.date_column(&source, end, "spans", false);
            if ok_start && ok_end {
                source.spans = Some((start.node.clone(), end.node.clone()));
            }
        }
        if let Some(col) = snapshot_decl {
            if self.date_column(&source, col, "snapshot at", false) {
                source.snapshot = Some(col.node.clone());
            }
        }
        source
    }

    /// The `lookup` entries of the sources declared with columns: each names a source with one
    /// key, found through a column of the same type. (A subset finds what its parent finds.)
    pub(super) fn lookups(&mut self, decls: &[&ast::SourceDecl]) {
        for s in decls {
            let Some(&index) = self.source_index.get(&s.name.node) else { continue };
            for entry in &s.entries {
                let SourceEntryKind::Lookup { source: target_name, by } = &entry.kind else { continue };
                if let Some(lookup) = self.lookup(index, target_name, by, entry.span) {
                    self.sources[index].lookups.push(lookup);
                }
            }
        }
    }

    /// The `previous` and `next` entries of the sources declared with columns: an entity
    /// column, a date or date-time to order by, and a key to order rows of one day.
    pub(super) fn adjacent_rows(&mut self, decls: &[&ast::SourceDecl]) {
        for s in decls {
            let Some(&index) = self.source_index.get(&s.name.node) else { continue };
            for entry in &s.entries {
                let SourceEntryKind::Adjacent { next, name, by, order } = &entry.kind else { continue };
                let source = self.sources[index].clone();
                let clash = source
                    .adjacent(&name.node)
                    .map(|a| a.span)
                    .or_else(|| source.lookup(&name.node).and_then(|l| self.source_named(&l.source)).map(|t| t.span));
                if let Some(first) = clash {
                    self.error(
                        Diagnostic::new(
                            Code::DuplicateName,
                            name.span,
                            format!("`{}` already names rows that `{}` reads", name.node, source.name),
                        )
                        .label("second use of the name")
                        .with_secondary(first, "first here")
                        .help("give the adjacent rows a name of their own, such as `earlier`"),
                    );
                    continue;
                }
                let by_ok = match source.column(&by.node) {
                    Some(_) => {
                        self.resolves_value(by, &source);
                        true
                    }
                    None => {
                        self.unknown_column(by, &source);
                        false
                    }
                };
                let clause = if *next { "next ... order by" } else { "previous ... order by" };
                let order_ok = self.date_column(&source, order, clause, true);
                if source.keys().is_empty() {
                    self.error(
                        Diagnostic::new(
                            Code::AdjacentNeedsKey,
                            entry.span,
                            format!(
                                "`{}` rows are told apart by a key, and `{}` declares none",
                                if *next { "next" } else { "previous" },
                                source.name
                            ),
                        )
                        .label("needs a key on the source")
                        .with_secondary(source.span, "declared here")
                        .help(format!(
                            "mark the column that identifies a row of `{}` with `key`: rows of one day are taken in its order",
                            source.name
                        )),
                    );
                    continue;
                }
                if by_ok && order_ok {
                    let table = self.table_of(&source);
                    self.defines(name.span, Target::Adjacent { table, name: name.node.clone() });
                    self.sources[index].adjacent.push(ir::Adjacent {
                        name: name.node.clone(),
                        next: *next,
                        by: by.node.clone(),
                        order: order.node.clone(),
                        span: name.span,
                    });
                }
            }
        }
    }

    /// The `let` entries of a source (or a subset), in order: each checked over the row with
    /// the named values before it.
    pub(super) fn named_values(&mut self, decl: &ast::SourceDecl) {
        let Some(&index) = self.source_index.get(&decl.name.node) else { return };
        for entry in &decl.entries {
            let SourceEntryKind::Let { name, expr } = &entry.kind else { continue };
            let source = self.sources[index].clone();
            let first =
                source.column(&name.node).map(|c| c.span).or_else(|| source.named_value(&name.node).map(|n| n.span));
            if let Some(first) = first {
                self.error(
                    Diagnostic::new(
                        Code::DuplicateColumn,
                        name.span,
                        format!("`{}` is already a column or named value of `{}`", name.node, source.name),
                    )
                    .label("second declaration")
                    .with_secondary(first, "first declared here")
                    .help("give the named value a name of its own"),
                );
                continue;
            }
            let target = Target::Named { source: decl.name.node.clone(), name: name.node.clone() };
            self.defines(name.span, target);
            self.named_owners.insert((name.span.file, name.span.start), decl.name.node.clone());
            if let Some(checked) = self.expr(expr, &Scope::measure_row(source)) {
                self.sources[index].named.push(ir::NamedValue {
                    name: name.node.clone(),
                    expr: checked,
                    span: name.span,
                });
            }
        }
    }

    fn lookup(
        &mut self,
        index: usize,
        target_name: &ast::Ident,
        by: &ast::Ident,
        span: crate::span::Span,
    ) -> Option<ir::Lookup> {
        let source = self.sources[index].clone();
        if source.lookup(&target_name.node).is_some() {
            self.error(duplicate_entry(span, &format!("lookup {}", target_name.node)));
            return None;
        }
        if let Some(parent) = self.subset_names.get(&target_name.node) {
            self.error(
                Diagnostic::new(
                    Code::NotATable,
                    target_name.span,
                    format!(
                        "`{}` is a subset of `{parent}`, and a lookup reads a source with data of its own",
                        target_name.node
                    ),
                )
                .label("a subset")
                .help(format!("name `{parent}` here")),
            );
            return None;
        }
        let target = self.lookup_source(target_name)?;
        let Some(column) = source.column(&by.node).cloned() else {
            self.unknown_column(by, &source);
            return None;
        };
        self.resolves_value(by, &source);
        let keys: Vec<&ir::Column> = target.columns.iter().filter(|c| c.key).collect();
        let [key] = keys[..] else {
            self.error(
                Diagnostic::new(
                    Code::LookupNeedsKey,
                    target_name.span,
                    format!(
                        "`{}` declares {} key columns, and a lookup finds a row by one",
                        target.name,
                        if keys.is_empty() { "no".to_string() } else { keys.len().to_string() }
                    ),
                )
                .label("cannot find one row by one value")
                .with_secondary(target.span, "declared here")
                .help(format!("mark the column of `{}` that identifies a row with `key`", target.name)),
            );
            return None;
        };
        if key.ty != column.ty {
            self.error(
                Diagnostic::new(
                    Code::TypeMismatch,
                    by.span,
                    format!(
                        "`{}` is {} and the key `{}` of `{}` is {}",
                        by.node,
                        column.ty.name(),
                        key.name,
                        target.name,
                        key.ty.name()
                    ),
                )
                .label("types do not match")
                .help("look up by a column of the key's type"),
            );
            return None;
        }
        Some(ir::Lookup { source: target.name.clone(), by: by.node.clone(), key: key.name.clone() })
    }

    /// Sources declared as subsets of another (`source NAME from OTHER where ...`), in an
    /// order where each parent comes first; a loop of subsets is reported.
    pub(super) fn subsets(&mut self, decls: &[&ast::SourceDecl]) {
        let mut pending: Vec<&ast::SourceDecl> = decls.to_vec();
        while !pending.is_empty() {
            let before = pending.len();
            let mut waiting = Vec::new();
            for s in pending {
                let subset = s.subset.as_ref().expect("only subsets are pending");
                if self.source_index.contains_key(&subset.parent.node) {
                    if let Some(checked) = self.subset(s, subset) {
                        self.source_index.insert(checked.name.clone(), self.sources.len());
                        self.sources.push(checked);
                        self.named_values(s);
                    }
                } else if decls.iter().any(|d| d.name.node == subset.parent.node) {
                    waiting.push(s);
                } else {
                    self.lookup_source(&subset.parent);
                }
            }
            if waiting.len() == before {
                for s in &waiting {
                    self.error(
                        Diagnostic::new(
                            Code::Cycle,
                            s.name.span,
                            format!("subset `{}` is taken, through others, from itself", s.name.node),
                        )
                        .label("part of the loop")
                        .help("take one of these subsets from a source declared with its columns"),
                    );
                }
                return;
            }
            pending = waiting;
        }
    }

    fn subset(&mut self, s: &ast::SourceDecl, subset: &ast::SubsetOf) -> Option<ir::Source> {
        let parent = self.source_named(&subset.parent.node).expect("the parent is checked").clone();
        self.resolves(subset.parent.span, Target::Source(parent.name.clone()));
        let scope = Scope::subset_row(parent.clone());
        let mut filters = Vec::new();
        let mut exclusions = Vec::new();
        let mut ok = true;
        for f in &subset.filters {
            match self.condition(&f.condition, &scope) {
                Some(c) if f.excluding => exclusions.push(c),
                Some(c) => filters.push(c),
                None => ok = false,
            }
        }
        let merged = match &subset.merge {
            Some(m) => Some(self.merged_columns(&parent, m)?),
            None => None,
        };
        if !ok {
            return None;
        }
        let merge = subset.merge.as_ref().map(|m| m.by.node.clone());
        let mut source = ir::Source {
            name: s.name.node.clone(),
            description: s.description.as_ref().map(|d| d.node.clone()).or(parent.description.clone()),
            subset: Some(ir::Subset { parent: parent.name.clone(), filters, exclusions, merge: merge.clone() }),
            span: s.name.span,
            ..parent
        };
        if let (Some(columns), Some(by)) = (merged, merge) {
            // One row per merged span: the entity, its first start and last end; the parent's
            // lookups through the entity still apply, its other columns and rows do not.
            source.columns = columns;
            source.lookups.retain(|l| l.by == by);
            source.named.clear();
            source.adjacent.clear();
            source.snapshot = None;
        }
        Some(source)
    }

    /// The columns of `merge spans by ENTITY` over `parent`: the entity and the span's start
    /// (together the key) and its end; `None` (reported) when the parent has no date spans or
    /// no such column.
    fn merged_columns(&mut self, parent: &ir::Source, m: &ast::MergeSpans) -> Option<Vec<ir::Column>> {
        let Some((start, end)) = parent.spans.clone() else {
            self.error(
                Diagnostic::new(
                    Code::NoSpans,
                    m.span,
                    format!("source `{}` does not say which columns its spans are", parent.name),
                )
                .label("no spans to merge")
                .with_secondary(parent.span, "declared here")
                .help(format!("declare `spans START .. END` in source `{}`", parent.name)),
            );
            return None;
        };
        let Some(by) = parent.column(&m.by.node) else {
            self.unknown_column(&m.by, parent);
            return None;
        };
        let dated = |c: &str| parent.column(c).is_some_and(|c| c.ty == ir::ColumnType::Date);
        if !dated(&start) || !dated(&end) {
            self.error(
                Diagnostic::new(
                    Code::TypeMismatch,
                    m.span,
                    "spans are merged by their days, and these spans are date-times",
                )
                .label("date-time spans")
                .help(format!("merge spans of `date` columns: declare `{start}` and `{end}` as dates")),
            );
            return None;
        }
        let column = |name: &str, key: bool, optional: bool| {
            let c = parent.column(name).expect("checked above");
            ir::Column { key, optional, header: None, missing_codes: Vec::new(), value_map: Vec::new(), ..c.clone() }
        };
        Some(vec![column(&by.name, true, false), column(&start, true, false), column(&end, false, true)])
    }

    /// Checks that `name` is a date column of `source` (or a date-time, where `datetime_ok`),
    /// reporting it otherwise.
    pub(super) fn date_column(
        &mut self,
        source: &ir::Source,
        name: &ast::Ident,
        clause: &str,
        datetime_ok: bool,
    ) -> bool {
        match source.column(&name.node) {
            None => {
                self.unknown_column(name, source);
                false
            }
            Some(c) if c.ty == ColumnType::Date || (datetime_ok && c.ty == ColumnType::DateTime) => {
                self.resolves_value(name, source);
                true
            }
            Some(c) => {
                let ty = c.ty.name();
                let (wanted, help) = if datetime_ok {
                    ("a date or date-time column", "name a column declared as `date` or `datetime`")
                } else {
                    ("a date column", "name a column declared as `date`")
                };
                self.error(
                    Diagnostic::new(
                        Code::NotADateColumn,
                        name.span,
                        format!("`{clause}` needs {wanted}, and `{}` is {ty}", name.node),
                    )
                    .label(format!("{ty} column"))
                    .help(help),
                );
                false
            }
        }
    }

    fn column(&mut self, c: &ast::ColumnDecl) -> ir::Column {
        let ty = match ColumnType::parse(&c.ty.node) {
            Some(t) => t,
            None => {
                let d = unknown_word(&c.ty, "column type", ColumnType::NAMES);
                self.error(Diagnostic {
                    code: Code::UnknownType,
                    message: format!("unknown column type `{}`", c.ty.node),
                    ..d
                });
                ColumnType::Text
            }
        };
        let mut col = ir::Column {
            name: c.name.node.clone(),
            ty,
            optional: c.optional,
            key: false,
            header: None,
            date_format: None,
            missing_codes: Vec::new(),
            value_map: Vec::new(),
            span: c.name.span,
        };
        for opt in &c.options {
            match &opt.kind {
                ColumnOptionKind::Key => {
                    if c.optional {
                        self.error(
                            Diagnostic::new(
                                Code::OptionalKey,
                                opt.span,
                                format!("key column `{}` is declared optional", c.name.node),
                            )
                            .label("a key is never missing")
                            .help(format!("remove the `?` after `{}`", c.ty.node)),
                        );
                    }
                    col.key = true;
                }
                ColumnOptionKind::Header(h) => col.header = Some(h.node.clone()),
                ColumnOptionKind::Format(f) => {
                    use crate::data::date_format::{DateFormat, PATTERN_HELP};
                    let parsed = DateFormat::parse(&f.node);
                    if !ty.has_format() {
                        let timed = parsed.as_ref().is_some_and(DateFormat::has_time);
                        self.error(
                            Diagnostic::new(
                                Code::BadDateFormat,
                                opt.span,
                                format!(
                                    "`format` applies to date and date-time columns, and `{}` is {}",
                                    c.name.node,
                                    ty.name()
                                ),
                            )
                            .label("not a date or date-time column")
                            .help(if timed {
                                format!("declare the column `datetime` to read its dates and times: `{} datetime format \"{}\"`", c.name.node, f.node)
                            } else {
                                "remove the format, or declare the column as `date` (or `datetime`, for dates with a time of day)".to_string()
                            }),
                        );
                    } else if let Some(problem) = DateFormat::problem(&f.node) {
                        let trimmed = f.node.trim();
                        let help = if trimmed != f.node && DateFormat::parse(trimmed).is_some() {
                            format!("write it without the spaces around it: `format \"{trimmed}\"`")
                        } else {
                            format!("write {PATTERN_HELP}")
                        };
                        self.error(
                            Diagnostic::new(
                                Code::BadDateFormat,
                                f.span,
                                format!("`{}` is not a date format: {problem}", f.node),
                            )
                            .label("cannot read dates this way")
                            .help(help),
                        );
                    } else if ty == ColumnType::Date && parsed.as_ref().is_some_and(DateFormat::has_time) {
                        self.error(
                            Diagnostic::new(
                                Code::BadDateFormat,
                                f.span,
                                format!("`{}` has a time of day, and `{}` is a date column", f.node, c.name.node),
                            )
                            .label("a date-time format")
                            .help(format!(
                                "declare the column `datetime` (its date is `date({})`), or write the format of the date alone",
                                c.name.node
                            )),
                        );
                    } else {
                        col.date_format = Some(f.node.clone());
                    }
                }
                ColumnOptionKind::Missing(codes) => col.missing_codes.extend(codes.iter().map(|s| s.node.clone())),
                ColumnOptionKind::Map(entries) => {
                    for e in entries {
                        match literal_as(&e.to, ty) {
                            Some(v) => col.value_map.push((e.from.node.clone(), v)),
                            None => self.error(
                                Diagnostic::new(
                                    Code::MapValueType,
                                    e.span,
                                    format!(
                                        "`{}` is {} and cannot map to a value of this column",
                                        e.from.node,
                                        describe_literal(&e.to)
                                    ),
                                )
                                .label(format!("column `{}` is {}", c.name.node, ty.name()))
                                .help(format!(
                                    "map to a {} value, for example {}",
                                    ty.name(),
                                    example_of(ty)
                                )),
                            ),
                        }
                    }
                }
            }
        }
        col
    }

    pub(super) fn population(&mut self, p: &ast::PopulationDecl) -> Option<ir::Population> {
        let source = self.lookup_source(&p.source)?;
        if source.subset.is_some() {
            self.error(not_a_table(&p.source, &source, "a population"));
            return None;
        }
        let shape = [("year", &[ColumnType::Int][..]), ("population", NUMBER)];
        let help = "declare `year int` (the mid-year) and `population int` (use `from \"Header\"` to map raw headers)";
        let ok = self.shaped(&p.source, &source, &shape, "a population", help);
        let filter = p.filter.as_ref().and_then(|f| self.condition(f, &exprs_row_scope(&source)));
        ok.then(|| ir::Population { name: p.name.node.clone(), source: source.name.clone(), filter, span: p.name.span })
    }

    /// Reference rates: a source of `year`, `age_group`, `events` and `population`.
    pub(super) fn reference(&mut self, r: &ast::ReferenceDecl) -> Option<ir::Reference> {
        self.reference_names.insert(r.name.node.clone(), r.name.span);
        let source = self.lookup_source(&r.source)?;
        if source.subset.is_some() {
            self.error(not_a_table(&r.source, &source, "a reference"));
            return None;
        }
        let shape = [
            ("year", &[ColumnType::Int][..]),
            ("age_group", &[ColumnType::Text][..]),
            ("events", NUMBER),
            ("population", NUMBER),
        ];
        let help = "declare `year int` (the mid-year), `age_group text`, `events int` and `population int` (use `from \"Header\"` to map raw headers)";
        let ok = self.shaped(&r.source, &source, &shape, "reference rates", help);
        let filter = r.filter.as_ref().and_then(|f| self.condition(f, &exprs_row_scope(&source)));
        (ok && (r.filter.is_none() || filter.is_some())).then(|| ir::Reference {
            name: r.name.node.clone(),
            source: source.name.clone(),
            filter,
            span: r.name.span,
        })
    }

    /// Does `source` (named at `named`) have each column of `shape` with one of its types?
    /// Reports each that has not, as unable to give `what`.
    fn shaped(
        &mut self,
        named: &ast::Ident,
        source: &ir::Source,
        shape: &[(&str, &[ColumnType])],
        what: &str,
        help: &str,
    ) -> bool {
        let mut ok = true;
        for (col, types) in shape {
            let found = source.column(col);
            if found.is_some_and(|c| types.contains(&c.ty)) {
                continue;
            }
            ok = false;
            let why = match found {
                Some(c) => format!("its `{col}` column is {}", c.ty.name()),
                None => format!("it has no `{col}` column"),
            };
            self.error(
                Diagnostic::new(
                    Code::PopulationShape,
                    named.span,
                    format!("source `{}` cannot give {what}: {why}", source.name),
                )
                .label(format!("{what} source"))
                .help(help),
            );
        }
        ok
    }

    /// A project's standard population: each band once, with a positive weight.
    pub(super) fn standard(&mut self, s: &ast::StandardDecl) {
        if self.standards.contains_key(&s.name.node) {
            self.error(
                Diagnostic::new(Code::StandardShape, s.name.span, format!("`{}` is a built-in standard", s.name.node))
                    .label("built in")
                    .help("use it as it is (`using esp2013`), or give your own standard another name"),
            );
            return;
        }
        let mut bands: Vec<ir::StandardBand> = Vec::new();
        for band in &s.bands {
            if bands.iter().any(|b| b.label == band.label.node) {
                self.error(
                    Diagnostic::new(
                        Code::StandardShape,
                        band.label.span,
                        format!("band \"{}\" is listed twice", band.label.node),
                    )
                    .label("second one")
                    .help("list each band of the standard once"),
                );
            } else if band.weight.node <= 0.0 {
                self.error(
                    Diagnostic::new(Code::StandardShape, band.weight.span, "a band's weight is above 0")
                        .label("no weight")
                        .help("leave the band out of the standard instead"),
                );
            }
            bands.push(ir::StandardBand { label: band.label.node.clone(), weight: band.weight.node });
        }
        if bands.is_empty() {
            self.error(
                Diagnostic::new(Code::StandardShape, s.name.span, format!("standard `{}` has no bands", s.name.node))
                    .label("empty")
                    .help("list its bands and weights: `standard u75 { \"0-4\" 5000, \"5-9\" 5500 }`"),
            );
        }
        // Kept even with errors, so that the measures using it are not also reported.
        self.standards.insert(s.name.node.clone(), bands);
    }

    pub(super) fn calendar(&mut self, decls: &[&ast::CalendarDecl]) -> ir::Calendar {
        for extra in decls.iter().skip(1) {
            self.error(
                Diagnostic::new(Code::TwoCalendars, extra.name.span, "a project has one working-day calendar")
                    .label("second calendar")
                    .with_secondary(decls[0].name.span, "first calendar")
                    .help("keep one `calendar` declaration"),
            );
        }
        let Some(decl) = decls.first() else {
            return ir::Calendar::default();
        };
        let holidays = decl.holidays.as_ref().and_then(|h| {
            if ir::HOLIDAY_LISTS.contains(&h.node.as_str()) {
                Some(h.node.clone())
            } else {
                let ident = ast::Ident::new(h.node.clone(), h.span);
                self.error(unknown_word(&ident, "holiday list", ir::HOLIDAY_LISTS));
                None
            }
        });
        ir::Calendar { name: decl.name.node.clone(), holidays }
    }
}

pub(super) fn exprs_row_scope(source: &ir::Source) -> Scope {
    Scope::plain_row(source.clone())
}

/// A subset named where a source with data of its own is needed.
pub(super) fn not_a_table(name: &ast::Ident, subset: &ir::Source, what: &str) -> Diagnostic {
    let parent = subset.subset.as_ref().map_or("", |s| s.parent.as_str());
    Diagnostic::new(
        Code::NotATable,
        name.span,
        format!("`{}` is a subset of `{parent}`, and {what} reads a source with data of its own", name.node),
    )
    .label("a subset")
    .with_secondary(subset.span, "declared here")
    .help(format!("name `{parent}` here"))
}

fn duplicate_entry(span: crate::span::Span, what: &str) -> Diagnostic {
    Diagnostic::new(Code::DuplicateClause, span, format!("`{what}` is given twice in this source"))
        .label("second declaration")
        .help("keep one")
}

fn describe_literal(l: &Literal) -> &'static str {
    match l {
        Literal::Number(q) if q.percent => "a percentage",
        Literal::Number(_) => "a number",
        Literal::String(_) => "text",
        Literal::Date(_) => "a date",
        Literal::Bool(_) => "true/false",
    }
}

pub(super) fn example_of(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Text => "\"M\"",
        ColumnType::Int => "3",
        ColumnType::Decimal => "2.5",
        ColumnType::Bool => "true",
        ColumnType::Date => "2013-04-01",
        ColumnType::DateTime => "2013-04-01 09:30:00",
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostics::Code;
    use crate::ir::{ColumnType, Value};
    use crate::project::check_texts;

    /// The codes a project's declarations get, in order.
    fn codes(text: &str) -> Vec<Code> {
        let (_, checked) = check_texts(&[("sources.ind", text)]);
        checked.diagnostics.iter().map(|d| d.code).collect()
    }

    /// Each mistake in a declaration, and the one code it gets.
    #[test]
    fn declaration_mistakes_and_their_codes() {
        let cases: &[(&str, &[Code])] = &[
            ("source s {\n  id text key\n  id int\n}\n", &[Code::DuplicateColumn]),
            ("source s {\n  id text key\n  n integer\n}\n", &[Code::UnknownType]),
            ("source s {\n  id text? key\n}\n", &[Code::OptionalKey]),
            ("source s {\n  id text key\n  d date format \"yyyy/qq\"\n}\n", &[Code::BadDateFormat]),
            ("source s {\n  id text key\n  n int format \"dd/mm/yyyy\"\n}\n", &[Code::BadDateFormat]),
            ("source s {\n  id text key\n  flag bool map \"Y\" -> 3\n}\n", &[Code::MapValueType]),
            (
                "source s {\n  id text key\n  c text\n  lookup t by c\n}\nsource t {\n  c text\n}\n",
                &[Code::LookupNeedsKey],
            ),
            ("source s {\n  c text\n  d date\n  previous e by c order by d\n}\n", &[Code::AdjacentNeedsKey]),
            ("source s {\n  id text key\n  d date\n  n int\n  spans d .. n\n}\n", &[Code::NotADateColumn]),
            ("source s {\n  id text key\n}\nsource s {\n  id text key\n}\n", &[Code::DuplicateName]),
        ];
        for (text, expected) in cases {
            assert_eq!(codes(text), *expected, "{text}");
        }
    }

    /// What a column's options become in the checked source: its header, date format, missing
    /// codes and value map typed as the column.
    #[test]
    fn column_options_become_the_columns_reading() {
        let text = "source s \"Stays\" {\n  id text key from \"Stay ID\"\n  d date? format \"dd/mm/yyyy\" missing \"unknown\", \"n/a\"\n  \
                    flag bool? map \"Y\" -> true, \"N\" -> false\n  n decimal?\n}\n";
        let (_, checked) = check_texts(&[("sources.ind", text)]);
        assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
        let project = checked.project.unwrap();
        let s = project.source("s").unwrap();
        assert_eq!(s.description.as_deref(), Some("Stays"));
        assert_eq!(s.keys(), ["id"]);
        let id = s.column("id").unwrap();
        assert_eq!(
            (id.ty, id.key, id.optional, id.header.as_deref()),
            (ColumnType::Text, true, false, Some("Stay ID"))
        );
        let d = s.column("d").unwrap();
        assert_eq!((d.ty, d.optional, d.date_format.as_deref()), (ColumnType::Date, true, Some("dd/mm/yyyy")));
        assert_eq!(d.missing_codes, ["unknown", "n/a"]);
        let flag = s.column("flag").unwrap();
        assert_eq!(flag.value_map, [("Y".to_string(), Value::Bool(true)), ("N".to_string(), Value::Bool(false))]);
        assert_eq!(s.column("n").unwrap().ty, ColumnType::Decimal);
    }
}
