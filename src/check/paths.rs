//! Names in a row's expressions: the row's columns and named values, the period's dates,
//! aliases of related rows, lookups (one after another), and adjacent rows.

use super::exprs::{column_type, Alias, Place};
use super::resolution::Target;
use super::Checker;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, ExprKind, Type};
use crate::span::Span;
use crate::syntax::ast;

/// What a named value reads that not every place has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Needs {
    Period,
    Lookups,
    RelatedRows,
    AdjacentRows,
    WorkingDays,
}

impl Needs {
    fn describe(self) -> &'static str {
        match self {
            Needs::Period => "the period's dates",
            Needs::Lookups => "a lookup",
            Needs::RelatedRows => "related rows (`exists` or an aggregate)",
            Needs::AdjacentRows => "an adjacent row (`previous` or `next`)",
            Needs::WorkingDays => "working days",
        }
    }
}

/// The first thing in `e` that a place without lookups, period or related rows lacks.
fn first_need(e: &ir::Expr, place: Place) -> Option<Needs> {
    let mut found = None;
    e.walk(&mut |x| {
        if found.is_some() {
            return;
        }
        found = match &x.kind {
            ExprKind::PeriodEnd | ExprKind::WindowStart => Some(Needs::Period),
            ExprKind::Exists { .. } | ExprKind::Related { .. } => Some(Needs::RelatedRows),
            ExprKind::AdjacentColumn { .. } => Some(Needs::AdjacentRows),
            ExprKind::Call { func: ir::Function::WorkingDays, .. } => Some(Needs::WorkingDays),
            ExprKind::LookupColumn { .. } if place == Place::Plain => Some(Needs::Lookups),
            _ => None,
        };
    });
    found
}

/// A named value's expression read of another row: its own columns become `outer`'s
/// (the alias's columns, or the looked-up row's), or `None` when it reads what cannot be
/// read there (the reason).
fn rescoped(e: &ir::Expr, to: &Rescope<'_>) -> Result<ir::Expr, Needs> {
    let kind = match &e.kind {
        ExprKind::Column { scope: None, name } => match to {
            Rescope::Alias(a) => ExprKind::Column { scope: Some(a.to_string()), name: name.clone() },
            Rescope::Lookup(path) => ExprKind::LookupColumn { path: path.to_vec(), name: name.clone() },
        },
        ExprKind::LookupColumn { path, name } => match to {
            Rescope::Alias(_) => return Err(Needs::Lookups),
            Rescope::Lookup(prefix) => {
                ExprKind::LookupColumn { path: prefix.iter().chain(path).cloned().collect(), name: name.clone() }
            }
        },
        ExprKind::Named { name, expr } => ExprKind::Named { name: name.clone(), expr: Box::new(rescoped(expr, to)?) },
        ExprKind::Exists { .. } | ExprKind::Related { .. } => return Err(Needs::RelatedRows),
        ExprKind::AdjacentColumn { .. } => return Err(Needs::AdjacentRows),
        ExprKind::Call { func: ir::Function::WorkingDays, .. } => return Err(Needs::WorkingDays),
        ExprKind::Call { func, args } => {
            ExprKind::Call { func: *func, args: args.iter().map(|a| rescoped(a, to)).collect::<Result<_, _>>()? }
        }
        ExprKind::Not(x) => ExprKind::Not(Box::new(rescoped(x, to)?)),
        ExprKind::Neg(x) => ExprKind::Neg(Box::new(rescoped(x, to)?)),
        ExprKind::Binary { op, left, right } => {
            ExprKind::Binary { op: *op, left: Box::new(rescoped(left, to)?), right: Box::new(rescoped(right, to)?) }
        }
        ExprKind::IsMissing { expr, negated } => {
            ExprKind::IsMissing { expr: Box::new(rescoped(expr, to)?), negated: *negated }
        }
        ExprKind::InList { expr, list, negated } => ExprKind::InList {
            expr: Box::new(rescoped(expr, to)?),
            list: list.iter().map(|x| rescoped(x, to)).collect::<Result<_, _>>()?,
            negated: *negated,
        },
        other => other.clone(),
    };
    Ok(ir::Expr { kind, ty: e.ty, span: e.span })
}

enum Rescope<'a> {
    /// The related row of an `exists` or aggregate (`p.x`).
    Alias(&'a str),
    /// The row found through these lookups (`requests.x`).
    Lookup(&'a [String]),
}

impl Checker<'_> {
    /// A name in a row's expression: `name`, `alias.name`, `lookup.name`, `lookup.lookup.name`,
    /// `adjacent.name`.
    pub(super) fn row_path(
        &mut self,
        qualifiers: &[ast::Ident],
        name: &ast::Ident,
        e: &ast::Expr,
        source: &ir::Source,
        aliases: &[Alias],
        place: Place,
    ) -> Option<ir::Expr> {
        let Some((q, rest)) = qualifiers.split_first() else {
            return self.own_value(name, e, source, aliases, place);
        };
        if let Some((alias, related, target)) = aliases.iter().rev().find(|(a, _, _)| *a == q.node) {
            self.resolves(q.span, target.clone());
            self.resolves_value(name, related);
            if let Some(extra) = rest.first() {
                self.error(
                    Diagnostic::new(
                        Code::NotAllowedHere,
                        extra.span.to(name.span),
                        format!(
                            "the rows `{alias}` stands for are read by their own columns, not through their lookups"
                        ),
                    )
                    .label("through a lookup of a related row")
                    .help(format!(
                        "compare `{alias}`'s own columns, or look the value up from the measure's rows instead"
                    )),
                );
                return None;
            }
            if let Some(col) = related.column(&name.node) {
                let kind = ExprKind::Column { scope: Some(alias.clone()), name: name.node.clone() };
                return Some(ir::Expr { kind, ty: column_type(col.ty), span: e.span });
            }
            if let Some(n) = related.named_value(&name.node) {
                let n = n.clone();
                return match rescoped(&n.expr, &Rescope::Alias(alias)) {
                    Ok(expr) => Some(named(&n.name, expr, e.span)),
                    Err(needs) => {
                        self.error(cannot_read_named(e.span, &n, needs, &format!("of the rows `{alias}` stands for")));
                        None
                    }
                };
            }
            let related = related.clone();
            self.unknown_column(name, &related);
            return None;
        }
        if q.node == source.name && rest.is_empty() {
            self.resolves(q.span, Target::Source(source.name.clone()));
            return self.own_value(name, e, source, aliases, place);
        }
        if let (Some(adj), true) = (source.adjacent(&q.node), rest.is_empty()) {
            let table = self.table_of(source);
            self.resolves(q.span, Target::Adjacent { table, name: q.node.clone() });
            self.resolves_value(name, source);
            if place != Place::Measure || !aliases.is_empty() {
                self.error(
                    Diagnostic::new(
                        Code::NotAllowedHere,
                        q.span,
                        format!("`{}` is read only in a measure's own conditions and values", q.node),
                    )
                    .label("adjacent row not read here")
                    .with_secondary(adj.span, "declared here")
                    .help("compare the adjacent row's columns in the measure's `where`, `meeting` or value"),
                );
                return None;
            }
            let Some(col) = source.column(&name.node) else {
                if source.named_value(&name.node).is_some() {
                    self.error(
                        Diagnostic::new(
                            Code::NotAllowedHere,
                            name.span,
                            format!("`{}` is a named value, and an adjacent row is read by its columns", name.node),
                        )
                        .label("named value of an adjacent row")
                        .help(format!("read the columns it is made of: `{}.COLUMN`", q.node)),
                    );
                } else {
                    let source = source.clone();
                    self.unknown_column(name, &source);
                }
                return None;
            };
            let kind = ExprKind::AdjacentColumn { relation: adj.name.clone(), name: name.node.clone() };
            return Some(ir::Expr { kind, ty: column_type(col.ty), span: e.span });
        }
        // A chain of lookups: each qualifier a source the one before it looks up.
        let mut path: Vec<String> = Vec::new();
        let mut at = source.clone();
        for (i, step) in qualifiers.iter().enumerate() {
            let target = at.lookup(&step.node).and_then(|l| self.source_named(&l.source)).cloned();
            let Some(target) = target else {
                self.unknown_qualifier(step, &at, if i == 0 { aliases } else { &[] }, i == 0);
                return None;
            };
            self.resolves(step.span, Target::Source(target.name.clone()));
            path.push(target.name.clone());
            at = target;
        }
        if place == Place::Plain {
            self.error(
                Diagnostic::new(
                    Code::NotAllowedHere,
                    qualifiers[0].span.to(name.span),
                    "a lookup is read in a measure's or a subset's conditions, and not here",
                )
                .label("lookup not read here")
                .help("filter on the source's own columns here"),
            );
            return None;
        }
        self.resolves_value(name, &at);
        if let Some(col) = at.column(&name.node) {
            let kind = ExprKind::LookupColumn { path, name: name.node.clone() };
            return Some(ir::Expr { kind, ty: column_type(col.ty), span: e.span });
        }
        if let Some(n) = at.named_value(&name.node) {
            let n = n.clone();
            return match rescoped(&n.expr, &Rescope::Lookup(&path)) {
                Ok(expr) => Some(named(&n.name, expr, e.span)),
                Err(needs) => {
                    self.error(cannot_read_named(e.span, &n, needs, &format!("through the lookup of `{}`", at.name)));
                    None
                }
            };
        }
        self.unknown_column(name, &at);
        None
    }

    /// An unqualified name: a column or named value of the row, or the period's dates.
    fn own_value(
        &mut self,
        name: &ast::Ident,
        e: &ast::Expr,
        source: &ir::Source,
        aliases: &[Alias],
        place: Place,
    ) -> Option<ir::Expr> {
        self.resolves_value(name, source);
        if let Some(col) = source.column(&name.node) {
            let kind = ExprKind::Column { scope: None, name: name.node.clone() };
            return Some(ir::Expr { kind, ty: column_type(col.ty), span: e.span });
        }
        if let Some(n) = source.named_value(&name.node) {
            let needs = match place {
                Place::Measure => None,
                Place::Subset | Place::Plain => first_need(&n.expr, place),
            };
            // Inside an `exists` or aggregate's condition, the outer row's named value may not
            // itself look at related rows.
            let nested = !aliases.is_empty()
                && n.expr.any(&|x| matches!(x.kind, ExprKind::Exists { .. } | ExprKind::Related { .. }));
            if let Some(needs) = needs {
                let n = n.clone();
                self.error(cannot_read_named(e.span, &n, needs, "here"));
                return None;
            }
            if nested {
                self.error(
                    Diagnostic::new(
                        Code::NestedAggregate,
                        e.span,
                        format!("`{}` looks at related rows, and stands inside the condition of another `exists` or aggregate", name.node),
                    )
                    .label("nested")
                    .with_secondary(n.span, "defined here")
                    .help("compare it in the measure's own conditions instead"),
                );
                return None;
            }
            return Some(named(&n.name, n.expr.clone(), e.span));
        }
        if place == Place::Measure && name.node == "period_end" {
            return Some(ir::Expr { kind: ExprKind::PeriodEnd, ty: Type::Date, span: e.span });
        }
        if place == Place::Measure && name.node == "window_start" {
            return Some(ir::Expr { kind: ExprKind::WindowStart, ty: Type::Date, span: e.span });
        }
        let source = source.clone();
        self.unknown_column(name, &source);
        None
    }

    /// A qualifier that is no alias, lookup or adjacent row of `at`: says what it could be.
    fn unknown_qualifier(&mut self, q: &ast::Ident, at: &ir::Source, aliases: &[Alias], first: bool) {
        let mut known: Vec<&str> = aliases.iter().map(|(a, _, _)| a.as_str()).collect();
        known.extend(at.lookups.iter().map(|l| l.source.as_str()));
        if first {
            known.extend(at.adjacent.iter().map(|a| a.name.as_str()));
        }
        let is_source = self.source_named(&q.node).is_some();
        let message = if is_source {
            format!("`{}` is a source that the rows of `{}` do not look up", q.node, at.name)
        } else {
            format!("`{}` is not a lookup, alias or adjacent row of `{}`", q.node, at.name)
        };
        let help = if is_source {
            let key = self.source_named(&q.node).and_then(|s| s.columns.iter().find(|c| c.key)).map(|c| c.name.clone());
            match key {
                // The row holds a column named as the other source's key: look it up by that.
                Some(k) if at.column(&k).is_some() => {
                    format!("declare `lookup {} by {k}` in source `{}`", q.node, table_of_row(at))
                }
                Some(k) => format!(
                    "declare `lookup {} by COLUMN` in source `{}`, naming its column that holds `{}`'s key `{k}`",
                    q.node,
                    table_of_row(at),
                    q.node
                ),
                None => format!("declare `lookup {} by COLUMN` in source `{}`", q.node, table_of_row(at)),
            }
        } else {
            match did_you_mean(&q.node, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if known.is_empty() => {
                    format!("`{}` looks nothing up; name its own columns without a qualifier", at.name)
                }
                None => {
                    format!("qualify with {}", known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" or "))
                }
            }
        };
        self.error(Diagnostic::new(Code::UnknownAlias, q.span, message).label("unknown qualifier").help(help));
    }
}

/// Where a row's lookups are declared: its own source, or for a subset the source it is taken
/// from (a subset finds what its parent finds).
fn table_of_row(at: &ir::Source) -> &str {
    at.subset.as_ref().map_or(at.name.as_str(), |s| s.parent.as_str())
}

/// A named value read where it stands.
fn named(name: &str, expr: ir::Expr, span: Span) -> ir::Expr {
    ir::Expr { ty: expr.ty, kind: ExprKind::Named { name: name.to_string(), expr: Box::new(expr) }, span }
}

fn cannot_read_named(span: Span, n: &ir::NamedValue, needs: Needs, where_: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NotAllowedHere,
        span,
        format!("`{}` reads {}, which cannot be read {where_}", n.name, needs.describe()),
    )
    .label("named value not read here")
    .with_secondary(n.span, "defined here")
    .help("read it in a measure's own conditions and values, or write what is needed here from the row's columns")
}
