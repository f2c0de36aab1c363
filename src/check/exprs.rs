//! Expressions: name resolution in their scope, and types.

use super::resolution::Target;
use super::Checker;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, ColumnType, ExprKind, Function, NumberKind, RagOperand, RelatedFn, Type, Unit, Value};
use crate::syntax::ast::{self, BinaryOp, Literal, UnaryOp};
use std::collections::HashMap;

/// Where a row's expression stands, which decides what it may read besides the row's own
/// columns and named values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// A measure's row (or a named value's definition, read in measures): lookups, the
    /// period's dates, `exists`, aggregates over related rows and adjacent rows.
    Measure,
    /// A subset's filter: lookups too.
    Subset,
    /// A population's or a published benchmark's filter: the row's own values only.
    Plain,
}

/// A name for the related rows of an `exists` or an aggregate: the alias (or the source's own
/// name), their source, and what the name resolves to.
pub(crate) type Alias = (String, ir::Source, Target);

/// What names mean where an expression stands.
#[derive(Clone)]
pub(crate) enum Scope {
    /// A row of `source`; `exists` and aggregates over related rows add aliases; what else
    /// it may read depends on the place.
    Row { source: Box<ir::Source>, aliases: Vec<Alias>, place: Place },
    /// `calculate`: names are other measures.
    Derived { units: HashMap<String, Unit> },
    /// A RAG rule: `value`, `target`, `benchmark`, `england`, `previous`, `funnel`.
    Rag { unit: Unit, has_target: bool, has_benchmark: bool, has_england: bool, has_funnel: bool },
}

impl Scope {
    /// A row of a source outside a measure (a population's or a subset's filter): its own
    /// columns and values only.
    pub fn plain_row(source: ir::Source) -> Scope {
        Scope::Row { source: Box::new(source), aliases: Vec::new(), place: Place::Plain }
    }

    /// A row of a subset's parent, in the subset's filter: its columns, named values and lookups.
    pub fn subset_row(source: ir::Source) -> Scope {
        Scope::Row { source: Box::new(source), aliases: Vec::new(), place: Place::Subset }
    }

    /// A row of a measure's source: its columns, its lookups, the period's dates, `exists`
    /// and aggregates over related rows.
    pub fn measure_row(source: ir::Source) -> Scope {
        Scope::Row { source: Box::new(source), aliases: Vec::new(), place: Place::Measure }
    }
}

fn number_kind_of(unit: Unit) -> NumberKind {
    if unit == Unit::Percent {
        NumberKind::Percent
    } else {
        NumberKind::Figure
    }
}

pub(crate) fn column_type(ty: ColumnType) -> Type {
    ty.value_type()
}

pub(crate) fn literal_value(lit: &Literal) -> (Value, Type) {
    match lit {
        Literal::Number(q) if q.percent => (Value::Decimal(q.value), Type::Number(NumberKind::Percent)),
        Literal::Number(q) if !q.text.contains('.') && q.value.abs() < 9.0e15 => {
            (Value::Int(q.value as i64), Type::Number(NumberKind::Plain))
        }
        Literal::Number(q) => (Value::Decimal(q.value), Type::Number(NumberKind::Plain)),
        Literal::String(s) => (Value::Text(s.clone()), Type::Text),
        Literal::Date(d) => (Value::Date(*d), Type::Date),
        Literal::Bool(b) => (Value::Bool(*b), Type::Bool),
    }
}

/// Do two numbers measure compatible things? A percentage is not a count.
fn numbers_agree(a: NumberKind, b: NumberKind) -> bool {
    a == b || a == NumberKind::Plain || b == NumberKind::Plain
}

fn merge_kinds(a: NumberKind, b: NumberKind) -> NumberKind {
    if a == NumberKind::Plain {
        b
    } else {
        a
    }
}

impl Checker<'_> {
    /// The text of a span, as written.
    pub(super) fn text_of(&self, span: crate::span::Span) -> String {
        self.files.text(span).to_string()
    }

    /// A condition: an expression that must be true/false.
    pub(super) fn condition(&mut self, e: &ast::Expr, scope: &Scope) -> Option<ir::Expr> {
        let checked = self.expr(e, scope)?;
        if checked.ty != Type::Bool {
            self.error(
                Diagnostic::new(
                    Code::NotACondition,
                    e.span,
                    format!("this is {}, not a true/false condition", checked.ty.describe()),
                )
                .label("not a condition")
                .help("write a comparison, such as `team = \"cat\"` or `end_date is missing`"),
            );
            return None;
        }
        Some(checked)
    }

    pub(super) fn expr(&mut self, e: &ast::Expr, scope: &Scope) -> Option<ir::Expr> {
        let (kind, ty) = match &e.kind {
            ast::ExprKind::Paren(inner) => return self.expr(inner, scope),
            ast::ExprKind::Literal(lit) => {
                let (v, ty) = literal_value(lit);
                (ExprKind::Literal(v), ty)
            }
            ast::ExprKind::Path { qualifiers, name } => return self.path(qualifiers, name, e, scope),
            ast::ExprKind::Call { func, args } => return self.call(func, args, e, scope),
            ast::ExprKind::Unary { op: UnaryOp::Not, expr } => {
                let inner = self.condition(expr, scope)?;
                (ExprKind::Not(Box::new(inner)), Type::Bool)
            }
            ast::ExprKind::Unary { op: UnaryOp::Neg, expr } => {
                let inner = self.expr(expr, scope)?;
                let Type::Number(k) = inner.ty else {
                    self.error(mismatch(expr.span, format!("`-` needs a number, and this is {}", inner.ty.describe())));
                    return None;
                };
                (ExprKind::Neg(Box::new(inner)), Type::Number(k))
            }
            ast::ExprKind::Binary { op, left, right } => return self.binary(*op, left, right, e, scope),
            ast::ExprKind::IsMissing { expr, negated } => {
                let inner = self.expr(expr, scope)?;
                (ExprKind::IsMissing { expr: Box::new(inner), negated: *negated }, Type::Bool)
            }
            ast::ExprKind::InList { expr, list, negated } => {
                let inner = self.expr(expr, scope)?;
                let mut items = Vec::new();
                for item in list {
                    let checked = self.expr(item, scope)?;
                    if !self.comparable(&inner, &checked, expr, item) {
                        return None;
                    }
                    items.push(checked);
                }
                (ExprKind::InList { expr: Box::new(inner), list: items, negated: *negated }, Type::Bool)
            }
            ast::ExprKind::Exists { source, alias, condition } => {
                let (row, aliases) = self.related_scope(scope, e, "`exists`")?;
                let inner_source = self.lookup_source(source)?;
                let alias_name = alias.as_ref().map_or_else(|| source.node.clone(), |a| a.node.clone());
                let mut inner_aliases = aliases.clone();
                inner_aliases.push((alias_name.clone(), inner_source.clone(), self.alias(source, alias.as_ref())));
                let inner_scope =
                    Scope::Row { source: Box::new(row.clone()), aliases: inner_aliases, place: Place::Measure };
                let cond = match condition {
                    Some(c) => Some(Box::new(self.condition(c, &inner_scope)?)),
                    None => None,
                };
                // Rows related by keys alone need no key of their own; compared in another way,
                // each row is told apart by its key.
                let compares_rows =
                    cond.as_deref().is_some_and(|c| !ir::RelatedCondition::split(c, &alias_name).outer.is_empty());
                if compares_rows && row.keys().is_empty() {
                    self.error(
                        Diagnostic::new(
                            Code::ExistsNeedsKey,
                            e.span,
                            format!("`exists` needs each row of `{}` to be identified by a key, and the source declares none", row.name),
                        )
                        .label("needs a key on the measure's source")
                        .with_secondary(row.span, "declared here")
                        .help(format!("mark the column that identifies a row of `{}` with `key`", row.name)),
                    );
                    return None;
                }
                (ExprKind::Exists { source: inner_source.name.clone(), alias: alias_name, condition: cond }, Type::Bool)
            }
            ast::ExprKind::Related(r) => return self.related(r, e, scope),
        };
        Some(ir::Expr { kind, ty, span: e.span })
    }

    /// What the related rows of `source` are called inside an `exists` or aggregate: its
    /// alias, defined here, or the source's own name.
    fn alias(&mut self, source: &ast::Ident, alias: Option<&ast::Ident>) -> Target {
        match alias {
            Some(a) => {
                let target = Target::Alias {
                    file: a.span.file,
                    at: a.span.start,
                    name: a.node.clone(),
                    source: source.node.clone(),
                };
                self.defines(a.span, target.clone());
                target
            }
            None => Target::Source(source.node.clone()),
        }
    }

    /// The measure's row and the aliases around an `exists` or an aggregate over related
    /// rows, which stand only in a measure's conditions and not inside another of them.
    fn related_scope<'s>(
        &mut self,
        scope: &'s Scope,
        e: &ast::Expr,
        what: &str,
    ) -> Option<(&'s ir::Source, &'s Vec<Alias>)> {
        let Scope::Row { source, aliases, place: Place::Measure } = scope else {
            self.error(not_here(
                e.span,
                &format!("{what} looks at the rows of a measure's source, and there are none here"),
            ));
            return None;
        };
        if !aliases.is_empty() {
            self.error(
                Diagnostic::new(
                    Code::NestedAggregate,
                    e.span,
                    format!("{what} inside the condition of another `exists` or aggregate over related rows is not supported"),
                )
                .label("nested")
                .help("join the conditions with `and` in one, or compare the outer row's own columns; an aggregate of an aggregate can be two conditions of the measure"),
            );
            return None;
        }
        Some((source, aliases))
    }

    /// `count SOURCE as A where ...`, `latest A.DATE of SOURCE as A where ...`, and the rest.
    fn related(&mut self, r: &ast::Related, e: &ast::Expr, scope: &Scope) -> Option<ir::Expr> {
        let (func, value, source, alias, condition) =
            (&r.func, r.value.as_ref(), &r.source, r.alias.as_ref(), r.condition.as_ref());
        let f = RelatedFn::parse(&func.node).expect("the grammar only admits aggregate names here");
        let (row, aliases) = self.related_scope(scope, e, &format!("`{}` over related rows", func.node))?;
        let inner_source = self.lookup_source(source)?;
        let alias_name = alias.map_or_else(|| source.node.clone(), |a| a.node.clone());
        let mut inner_aliases = aliases.clone();
        inner_aliases.push((alias_name.clone(), inner_source.clone(), self.alias(source, alias)));
        let inner_scope = Scope::Row { source: Box::new(row.clone()), aliases: inner_aliases, place: Place::Measure };
        let example = format!("latest {alias_name}.DATE_COLUMN of {} as {alias_name} where ...", source.node);
        let value = match (f, value) {
            (RelatedFn::Count, Some(v)) => {
                self.error(
                    Diagnostic::new(Code::RelatedValue, v.span, "`count` counts the related rows and takes no value")
                        .label("not needed")
                        .help(format!("write `count {} as {alias_name} where ...`", source.node)),
                );
                return None;
            }
            (RelatedFn::Count, None) => None,
            (_, None) => {
                self.error(
                    Diagnostic::new(
                        Code::RelatedValue,
                        func.span,
                        format!("`{}` needs the value it is taken of", func.node),
                    )
                    .label("which value?")
                    .help(format!("name a column of the related rows: `{example}`")),
                );
                return None;
            }
            (_, Some(v)) => Some(self.expr(v, &inner_scope)?),
        };
        let ty = match (f, &value) {
            (RelatedFn::Count, _) => Type::Number(NumberKind::Plain),
            (RelatedFn::Latest | RelatedFn::Earliest, Some(v)) if matches!(v.ty, Type::Date | Type::DateTime) => v.ty,
            (RelatedFn::Sum | RelatedFn::Mean | RelatedFn::Max | RelatedFn::Min, Some(v))
                if matches!(v.ty, Type::Number(_)) =>
            {
                Type::Number(NumberKind::Plain)
            }
            (_, Some(v)) => {
                let (wanted, help) = match f {
                    RelatedFn::Latest | RelatedFn::Earliest if !matches!(v.ty, Type::Number(_)) => (
                        "a date",
                        "`latest` and `earliest` give a date; to ask whether the latest related row has a value, compare the latest date of the rows with that value with the latest date of all: `(latest r.DATE of SOURCE as r where r.KEY = KEY and r.DATE <= period_end and r.STATUS = \"VALUE\") = (latest x.DATE of SOURCE as x where x.KEY = KEY and x.DATE <= period_end)`".to_string(),
                    ),
                    RelatedFn::Latest | RelatedFn::Earliest => {
                        ("a date", "take `max` or `min` of numbers; `latest` and `earliest` are for dates".to_string())
                    }
                    _ => ("a number", "take `latest` or `earliest` of dates".to_string()),
                };
                self.error(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        v.span,
                        format!("`{}` needs {wanted}, and this is {}", func.node, v.ty.describe()),
                    )
                    .label(format!("not {wanted}"))
                    .help(help),
                );
                return None;
            }
            (_, None) => unreachable!("every aggregate but count has a value"),
        };
        let condition = match condition {
            Some(c) => Some(Box::new(self.condition(c, &inner_scope)?)),
            None => None,
        };
        if let Some(c) = &condition {
            let parts = ir::RelatedCondition::split(c, &alias_name);
            if !parts.outer.is_empty() && row.keys().is_empty() {
                self.error(
                    Diagnostic::new(
                        Code::ExistsNeedsKey,
                        parts.outer[0].span,
                        format!(
                            "this compares the related rows with each row of `{}`, and the source declares no key to tell its rows apart",
                            row.name
                        ),
                    )
                    .label("compares with this row")
                    .with_secondary(row.span, "declared here")
                    .help(format!(
                        "mark the column that identifies a row of `{}` with `key`, or relate the rows only by `{alias_name}.COLUMN = COLUMN`",
                        row.name
                    )),
                );
                return None;
            }
        }
        let kind = ExprKind::Related {
            func: f,
            value: value.map(Box::new),
            source: inner_source.name.clone(),
            alias: alias_name,
            condition,
        };
        Some(ir::Expr { kind, ty, span: e.span })
    }

    fn path(&mut self, qualifiers: &[ast::Ident], name: &ast::Ident, e: &ast::Expr, scope: &Scope) -> Option<ir::Expr> {
        let qualifier = qualifiers.first();
        let (kind, ty) = match scope {
            Scope::Row { source, aliases, place } => {
                return self.row_path(qualifiers, name, e, source, aliases, *place)
            }
            Scope::Derived { units } => {
                if let Some(q) = qualifier {
                    self.error(not_here(q.span, "a derived measure refers to other measures by name, not to columns"));
                    return None;
                }
                match units.get(&name.node) {
                    Some(unit) => {
                        let found = (ExprKind::Measure(name.node.clone()), Type::Number(number_kind_of(*unit)));
                        self.resolves(name.span, Target::Measure(name.node.clone()));
                        found
                    }
                    None => {
                        let suggestion = did_you_mean(&name.node, units.keys().map(String::as_str));
                        self.error(super::unknown(
                            Code::UnknownMeasure,
                            name,
                            "measure",
                            suggestion,
                            "use the name after `measure`",
                        ));
                        return None;
                    }
                }
            }
            Scope::Rag { unit, has_target, has_benchmark, has_england, has_funnel } => {
                let operand = qualifier.is_none().then(|| RagOperand::parse(&name.node)).flatten();
                let Some(operand) = operand else {
                    let help = match did_you_mean(&name.node, RagOperand::NAMES.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => {
                            "RAG rules compare `value` with `target`, `benchmark`, `england`, `previous` or a number, or `funnel` with a funnel label"
                                .to_string()
                        }
                    };
                    self.error(
                        Diagnostic::new(
                            Code::NotAllowedHere,
                            e.span,
                            format!("`{}` has no meaning in a RAG rule", name.node),
                        )
                        .label("not a RAG operand")
                        .help(help),
                    );
                    return None;
                };
                let lacking = match operand {
                    RagOperand::Target if !has_target => Some("target"),
                    RagOperand::Benchmark if !has_benchmark => Some("benchmark"),
                    RagOperand::England if !has_england => Some("england benchmark"),
                    RagOperand::Funnel if !has_funnel => Some("funnel"),
                    _ => None,
                };
                if lacking == Some("funnel") {
                    self.error(
                        Diagnostic::new(
                            Code::RagMissingOperand,
                            e.span,
                            "this RAG rule uses the funnel label, and the measure has no funnel",
                        )
                        .label("no funnel")
                        .help("add `funnel by BREAKDOWN` to the measure, or compare `value` with a number"),
                    );
                    return None;
                }
                if let Some(what) = lacking {
                    self.error(
                        Diagnostic::new(
                            Code::RagMissingOperand,
                            e.span,
                            format!("this RAG rule uses the {what}, and the measure has none"),
                        )
                        .label(format!("no {what}"))
                        .help(format!(
                            "add a `{}` clause to the measure, or compare with a number",
                            what.split(' ').next_back().unwrap_or(what).replace("england", "benchmark")
                        )),
                    );
                    return None;
                }
                let ty = if operand == RagOperand::Funnel { Type::Text } else { Type::Number(number_kind_of(*unit)) };
                (ExprKind::RagOperand(operand), ty)
            }
        };
        Some(ir::Expr { kind, ty, span: e.span })
    }

    fn call(&mut self, func: &ast::Ident, args: &[ast::Expr], e: &ast::Expr, scope: &Scope) -> Option<ir::Expr> {
        let Some(f) = Function::parse(&func.node) else {
            // `max(a, b)` as Excel writes it: the aggregates' names are not functions here.
            let (larger, smaller) = (func.node == "max", func.node == "min");
            if larger || smaller {
                let (instead, what) = if larger { ("greatest", "largest") } else { ("least", "smallest") };
                self.error(
                    Diagnostic::new(Code::UnknownFunction, func.span, format!("`{}` is an aggregate, not a function of values", func.node))
                        .label(format!("did you mean `{instead}`?"))
                        .help(format!("`{instead}(a, b, ...)` is the {what} of its values (as Excel's {}(a, b)); `{} EXPR of SOURCE` and `{} ALIAS.X of SOURCE as ALIAS where ...` aggregate rows", func.node.to_uppercase(), func.node, func.node)),
                );
                return None;
            }
            let suggestion = did_you_mean(&func.node, Function::NAMES.iter().copied());
            self.error(super::unknown(
                Code::UnknownFunction,
                func,
                "function",
                suggestion,
                &format!("the functions are {}", Function::NAMES.join(", ")),
            ));
            return None;
        };
        self.resolves(func.span, Target::Function(func.node.clone()));
        if f == Function::DaysInWindow && !matches!(scope, Scope::Row { place: Place::Measure, .. }) {
            self.error(
                Diagnostic::new(Code::NotAllowedHere, e.span, "days in the window are counted only in a measure")
                    .label("no window here")
                    .help("count them in the measures that read these rows, where each period has its window"),
            );
            return None;
        }
        if f == Function::WorkingDays && matches!(scope, Scope::Row { place: Place::Subset | Place::Plain, .. }) {
            self.error(
                Diagnostic::new(
                    Code::NotAllowedHere,
                    e.span,
                    "working days are counted only in a measure's conditions",
                )
                .label("not here")
                .help("compare dates here, or count the working days in the measures that read these rows"),
            );
            return None;
        }
        let usage = f.usage();
        // Every argument checked (each reports its own mistakes, and its names resolve) before
        // a call with one that does not check is given up.
        let checked: Vec<Option<ir::Expr>> = args
            .iter()
            .enumerate()
            .map(|(i, a)| if f == Function::If && i == 0 { self.condition(a, scope) } else { self.expr(a, scope) })
            .collect();
        let checked: Vec<ir::Expr> = checked.into_iter().collect::<Option<_>>()?;
        let n = checked.len();
        let (arity_ok, wanted) = match f {
            Function::Coalesce => (n >= 2, "two or more"),
            Function::If => (n == 2 || n == 3, "two or three"),
            Function::Switch => (n >= 3, "three or more"),
            Function::Band => (n >= 4 && n.is_multiple_of(2), "an even number, four or more,"),
            Function::Greatest | Function::Least => (n >= 2, "two or more"),
            Function::Abs | Function::Date => (n == 1, "1"),
            _ => (n == 2, "2"),
        };
        if !arity_ok {
            self.error(
                Diagnostic::new(
                    Code::WrongArity,
                    e.span,
                    format!("`{}` takes {wanted} arguments, and {n} are given", func.node),
                )
                .label("wrong number of arguments")
                .help(format!("call it as `{usage}`")),
            );
            return None;
        }
        // Arguments of a fixed type.
        let signature: &[Type] = match f {
            Function::AddDays | Function::AddMonths => &[Type::Date, Type::Number(NumberKind::Plain)],
            Function::WorkingDays | Function::DaysBetween | Function::Age | Function::DaysInWindow => {
                &[Type::Date, Type::Date]
            }
            Function::Abs => &[Type::Number(NumberKind::Plain)],
            Function::StartsWith => &[Type::Text, Type::Text],
            Function::Date => &[Type::DateTime],
            Function::SecondsBetween | Function::MinutesBetween | Function::HoursBetween => {
                &[Type::DateTime, Type::DateTime]
            }
            Function::Coalesce
            | Function::If
            | Function::Switch
            | Function::Band
            | Function::Greatest
            | Function::Least => &[],
        };
        let same_kind = |want: Type, got: Type| match (want, got) {
            (Type::Number(_), Type::Number(_)) => true,
            // The calendar days between two date-times are those between their dates.
            (Type::Date, Type::DateTime) => f == Function::DaysBetween,
            // The date of a date is itself.
            (Type::DateTime, Type::Date) => f == Function::Date,
            (a, b) => a == b,
        };
        for (i, (want, got)) in signature.iter().zip(&checked).enumerate() {
            if !same_kind(*want, got.ty) {
                let d = wrong_argument(&args[i], i, func, want.describe(), got.ty.describe(), usage);
                let d = match (*want, got.ty) {
                    (Type::Date, Type::DateTime) => {
                        let arg = self.text_of(args[i].span);
                        d.help(format!("take the date of a date-time with `date`: `date({arg})`"))
                    }
                    (Type::DateTime, Type::Date) => d.help(
                        "seconds, minutes and hours are taken between date-times; between dates, count `days_between(from, to)`",
                    ),
                    _ => d,
                };
                self.error(d);
                return None;
            }
        }
        if matches!(f, Function::AddDays | Function::AddMonths) && checked[1].whole_number().is_none() {
            let unit = if f == Function::AddDays { "days" } else { "months" };
            self.error(
                Diagnostic::new(
                    Code::WrongArgumentType,
                    args[1].span,
                    format!("the number of {unit} must be a whole number written in the rule"),
                )
                .label("not a whole number")
                .help(format!(
                    "write it as a number, for example `{}`",
                    if f == Function::AddDays { "add_days(start_date, 10)" } else { "add_months(referral_date, -12)" }
                )),
            );
            return None;
        }
        let reads_related = |x: &ir::Expr| x.any(&|c| matches!(c.kind, ExprKind::Column { scope: Some(_), .. }));
        if f == Function::WorkingDays && checked.iter().any(reads_related) {
            self.error(
                Diagnostic::new(
                    Code::NotAllowedHere,
                    e.span,
                    "working days are counted between the dates of a measure's own rows, not of the rows an `exists` or aggregate looks at",
                )
                .label("reads a related row's date")
                .help("compare the related row's dates with `days_between` or `add_days`, or count the working days in a measure over that source"),
            );
            return None;
        }
        if f == Function::StartsWith && !matches!(checked[1].kind, ExprKind::Literal(Value::Text(_))) {
            self.error(wrong_argument(&args[1], 1, func, "text written in quotes", "not", usage));
            return None;
        }
        let ty = match f {
            Function::AddDays | Function::AddMonths | Function::Date => Type::Date,
            Function::WorkingDays
            | Function::DaysBetween
            | Function::Age
            | Function::SecondsBetween
            | Function::MinutesBetween
            | Function::HoursBetween => Type::Number(NumberKind::Plain),
            Function::DaysInWindow => return Some(days_in_window(checked, e.span)),
            Function::Greatest | Function::Least => {
                if !matches!(checked[0].ty, Type::Number(_) | Type::Date | Type::DateTime) {
                    self.error(wrong_argument(
                        &args[0],
                        0,
                        func,
                        "a number, a date or a date-time",
                        checked[0].ty.describe(),
                        usage,
                    ));
                    return None;
                }
                for i in 1..n {
                    if !self.comparable(&checked[0], &checked[i], &args[0], &args[i]) {
                        return None;
                    }
                }
                checked[0].ty
            }
            Function::StartsWith => Type::Bool,
            Function::Abs => checked[0].ty,
            Function::Coalesce => {
                for i in 1..n {
                    if !self.comparable(&checked[0], &checked[i], &args[0], &args[i]) {
                        return None;
                    }
                }
                checked[0].ty
            }
            Function::If => {
                if n == 3 && !self.comparable(&checked[1], &checked[2], &args[1], &args[2]) {
                    return None;
                }
                checked[1].ty
            }
            Function::Switch => {
                // switch(value, match, result, match, result, ..., [default])
                let results: Vec<usize> = (2..n).step_by(2).chain(n.is_multiple_of(2).then_some(n - 1)).collect();
                for i in (1..n).step_by(2).filter(|i| i + 1 < n) {
                    if !self.comparable(&checked[0], &checked[i], &args[0], &args[i]) {
                        return None;
                    }
                }
                for &i in &results[1..] {
                    if !self.comparable(&checked[results[0]], &checked[i], &args[results[0]], &args[i]) {
                        return None;
                    }
                }
                checked[results[0]].ty
            }
            Function::Band => {
                self.band(&checked, args, func)?;
                Type::Text
            }
        };
        Some(ir::Expr { kind: ExprKind::Call { func: f, args: checked }, ty, span: e.span })
    }

    /// `band(value, label, bound, label, ..., label)`: text labels between bounds written in
    /// the rule, of the value's type, each above the one before.
    fn band(&mut self, checked: &[ir::Expr], args: &[ast::Expr], func: &ast::Ident) -> Option<()> {
        let subject = checked[0].ty;
        if !matches!(subject, Type::Number(_) | Type::Date) {
            self.error(wrong_argument(
                &args[0],
                0,
                func,
                "a number or a date",
                subject.describe(),
                Function::Band.usage(),
            ));
            return None;
        }
        let mut previous: Option<(Value, usize)> = None;
        for (i, x) in checked.iter().enumerate().skip(1) {
            let bound = i % 2 == 0;
            let problem = match (&x.kind, bound) {
                (ExprKind::Literal(Value::Text(_)), false) => None,
                (_, false) => Some("a label is text written in quotes".to_string()),
                _ => match literal_value_of(x) {
                    Some(v) if same_kind_value(&v, subject) => match &previous {
                        Some((p, at)) if !ascending(p, &v) => {
                            Some(format!("this bound is not above the one before it (argument {})", at + 1))
                        }
                        _ => {
                            previous = Some((v, i));
                            None
                        }
                    },
                    _ => Some(format!("a bound is {} written in the rule", subject.describe())),
                },
            };
            if let Some(message) = problem {
                self.error(
                    Diagnostic::new(Code::BandBounds, args[i].span, message)
                        .label(if bound { "bound" } else { "label" })
                        .help("write labels and increasing bounds in turn: `band(age(DOB, period_end), \"under 1\", 1, \"1 to 4\", 5, \"5 and over\")`"),
                );
                return None;
            }
        }
        Some(())
    }

    /// Can these two be compared? Reports why not.
    fn comparable(&mut self, l: &ir::Expr, r: &ir::Expr, l_ast: &ast::Expr, r_ast: &ast::Expr) -> bool {
        match (l.ty, r.ty) {
            (Type::Number(a), Type::Number(b)) => {
                if numbers_agree(a, b) {
                    true
                } else {
                    self.error(
                        Diagnostic::new(
                            Code::UnitMismatch,
                            l_ast.span.to(r_ast.span),
                            format!("{} is compared with {}", describe_number(a), describe_number(b)),
                        )
                        .label("different units")
                        .help(
                            "compare a percentage with a percentage (`10%`), and a count or rate with a plain number",
                        ),
                    );
                    false
                }
            }
            (a, b) if a == b => true,
            (a, b) => {
                let literal_side =
                    [(r, r_ast, a), (l, l_ast, b)].into_iter().find(|(e, _, _)| matches!(e.kind, ExprKind::Literal(_)));
                let d = match literal_side {
                    Some((lit, lit_ast, other_ty)) => Diagnostic::new(
                        Code::LiteralType,
                        lit_ast.span,
                        format!("{} is compared with {}", lit.ty.describe(), other_ty.describe()),
                    )
                    .label(format!("expected {}", other_ty.describe()))
                    .help(literal_help(other_ty)),
                    None => {
                        let d = mismatch(
                            l_ast.span.to(r_ast.span),
                            format!("{} is compared with {}", a.describe(), b.describe()),
                        );
                        let d = if matches!((a, b), (Type::Date, Type::DateTime) | (Type::DateTime, Type::Date)) {
                            d.help("compare the date-time's date with the date: `date(x)`")
                        } else {
                            d
                        };
                        // `count x as y where ... >= 3` reads the comparison as part of the condition.
                        if a == Type::Bool && matches!(b, Type::Number(_)) {
                            d.help("an aggregate over related rows takes everything after `where` as its condition: put it in brackets, `(count episodes as e where ...) >= 3`")
                        } else {
                            d
                        }
                    }
                };
                self.error(d);
                false
            }
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &ast::Expr,
        right: &ast::Expr,
        e: &ast::Expr,
        scope: &Scope,
    ) -> Option<ir::Expr> {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let l = self.condition(left, scope);
            let r = self.condition(right, scope);
            let (l, r) = (l?, r?);
            return Some(ir::Expr {
                kind: ExprKind::Binary { op, left: Box::new(l), right: Box::new(r) },
                ty: Type::Bool,
                span: e.span,
            });
        }
        let l = self.expr(left, scope);
        let r = self.expr(right, scope);
        let (l, r) = (l?, r?);
        let ty = if op.is_comparison() {
            if !self.comparable(&l, &r, left, right) {
                return None;
            }
            Type::Bool
        } else {
            match (l.ty, r.ty) {
                (Type::Number(a), Type::Number(b)) => {
                    let additive = matches!(op, BinaryOp::Add | BinaryOp::Sub);
                    if additive && !numbers_agree(a, b) {
                        self.error(
                            Diagnostic::new(
                                Code::UnitMismatch,
                                e.span,
                                format!(
                                    "{} and {} cannot be added or subtracted",
                                    describe_number(a),
                                    describe_number(b)
                                ),
                            )
                            .label("different units")
                            .help("add like to like; multiply or divide to change units"),
                        );
                        return None;
                    }
                    Type::Number(if additive || a == NumberKind::Plain || b == NumberKind::Plain {
                        merge_kinds(a, b)
                    } else {
                        NumberKind::Figure
                    })
                }
                (Type::DateTime, _) | (_, Type::DateTime) => {
                    self.error(
                        mismatch(e.span, format!("`{}` does not apply to date-times", op.symbol()))
                            .help("take the time between two date-times with `seconds_between`, `minutes_between` or `hours_between`, or work with its date, `date(x)`"),
                    );
                    return None;
                }
                (Type::Date, Type::Number(_)) if matches!(op, BinaryOp::Add | BinaryOp::Sub) => {
                    self.error(
                        mismatch(e.span, "a number cannot be added to a date".to_string())
                            .help("use add_days(date, n) or add_months(date, n)"),
                    );
                    return None;
                }
                (a, b) => {
                    self.error(mismatch(
                        e.span,
                        format!(
                            "`{}` needs numbers, and this is {} {} {}",
                            op.symbol(),
                            a.describe(),
                            op.symbol(),
                            b.describe()
                        ),
                    ));
                    return None;
                }
            }
        };
        Some(ir::Expr { kind: ExprKind::Binary { op, left: Box::new(l), right: Box::new(r) }, ty, span: e.span })
    }
}

fn wrong_argument(arg: &ast::Expr, i: usize, func: &ast::Ident, want: &str, got: &str, usage: &str) -> Diagnostic {
    let message = if got == "not" {
        format!("argument {} of `{}` must be {want}", i + 1, func.node)
    } else {
        format!("argument {} of `{}` must be {want}, and this is {got}", i + 1, func.node)
    };
    Diagnostic::new(Code::WrongArgumentType, arg.span, message)
        .label(format!("expected {want}"))
        .help(format!("call it as `{usage}`"))
}

/// The value of a literal, possibly negated (`-1`).
fn literal_value_of(e: &ir::Expr) -> Option<Value> {
    match &e.kind {
        ExprKind::Literal(v) => Some(v.clone()),
        ExprKind::Neg(inner) => match literal_value_of(inner)? {
            Value::Int(i) => Some(Value::Int(-i)),
            Value::Decimal(d) => Some(Value::Decimal(-d)),
            _ => None,
        },
        _ => None,
    }
}

fn same_kind_value(v: &Value, ty: Type) -> bool {
    matches!((v, ty), (Value::Int(_) | Value::Decimal(_), Type::Number(_)) | (Value::Date(_), Type::Date))
}

/// Is `b` strictly above `a`?
fn ascending(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Date(x), Value::Date(y)) => x < y,
        _ => a.as_f64().zip(b.as_f64()).is_some_and(|(x, y)| x < y),
    }
}

fn describe_number(k: NumberKind) -> &'static str {
    match k {
        NumberKind::Percent => "a percentage",
        NumberKind::Figure => "a count or rate",
        NumberKind::Plain => "a number",
    }
}

fn literal_help(ty: Type) -> String {
    match ty {
        Type::Text => "write text in quotes, for example \"cat\"".into(),
        Type::Bool => "write `true` or `false` (without quotes)".into(),
        Type::Date => "write a date as YYYY-MM-DD, without quotes".into(),
        Type::DateTime => "compare a date-time with another, or its date (`date(x)`) with a date".into(),
        Type::Number(_) => "write a number without quotes".into(),
    }
}

fn mismatch(span: crate::span::Span, message: String) -> Diagnostic {
    Diagnostic::new(Code::TypeMismatch, span, message)
        .label("types do not match")
        .help("compare like with like: dates with dates, numbers with numbers, text with text")
}

fn not_here(span: crate::span::Span, message: &str) -> Diagnostic {
    Diagnostic::new(Code::NotAllowedHere, span, message.to_string())
        .label("not allowed here")
        .help("see `scorebook explain SB306`")
}

/// `days_in_window(start, end)` in the terms the compiler knows: the days d of the window
/// `[window_start, period_end]` with `start <= d` and `end` missing or after `d` (a span's days
/// open, as `open at period end` reads a span), that is
/// `greatest(0, days_between(greatest(start, window_start), least(coalesce(end, e1), e1)))`
/// where `e1` is the day after the period's end. Missing when `start` is.
fn days_in_window(args: Vec<ir::Expr>, span: crate::span::Span) -> ir::Expr {
    let date = |kind: ExprKind| ir::Expr { kind, ty: Type::Date, span };
    let number = |kind: ExprKind| ir::Expr { kind, ty: Type::Number(NumberKind::Plain), span };
    let call =
        |func: Function, args: Vec<ir::Expr>, ty: Type| ir::Expr { kind: ExprKind::Call { func, args }, ty, span };
    let [start, end]: [ir::Expr; 2] = args.try_into().expect("days_in_window takes two arguments");
    let day_after =
        call(Function::AddDays, vec![date(ExprKind::PeriodEnd), number(ExprKind::Literal(Value::Int(1)))], Type::Date);
    let from = call(Function::Greatest, vec![start, date(ExprKind::WindowStart)], Type::Date);
    let until = call(
        Function::Least,
        vec![call(Function::Coalesce, vec![end, day_after.clone()], Type::Date), day_after],
        Type::Date,
    );
    let days = call(Function::DaysBetween, vec![from, until], Type::Number(NumberKind::Plain));
    call(Function::Greatest, vec![number(ExprKind::Literal(Value::Int(0))), days], Type::Number(NumberKind::Plain))
}

#[cfg(test)]
mod tests {
    use crate::diagnostics::Code;
    use crate::project::check_texts;

    const SOURCES: &str = r#"
source referrals {
  referral_id    text      key
  child_id       text
  referral_date  date
  received       datetime?
  age            int?
  score          decimal?
  urgent         bool?
  lookup children by child_id
  let next_year = add_months(referral_date, 12)
  previous earlier by child_id order by referral_date
}

source children {
  child_id       text  key
  birth_date     date?
}
"#;

    /// The codes of the diagnostics a measure over referrals with `where EXPR` gets.
    fn codes(condition: &str) -> Vec<String> {
        let text = format!(
            "{SOURCES}\nmeasure m {{\n  ref \"1\"\n  count referrals\n  in period by referral_date\n  where {condition}\n}}\n"
        );
        let (_, checked) = check_texts(&[("rules.ind", &text)]);
        checked.diagnostics.iter().map(|d| d.code.as_str().to_string()).collect()
    }

    #[test]
    fn conditions_that_check() {
        for condition in [
            "age >= 10 and score < 2.5",
            "urgent",
            "urgent = true or child_id in (\"a\", \"b\")",
            "referral_date >= 2013-04-01",
            "date(received) = referral_date",
            "seconds_between(received, received) <= 1080",
            "next_year > referral_date",
            "children.birth_date is not missing and age(children.birth_date, referral_date) < 18",
            "earlier.referral_date >= add_months(referral_date, -12)",
            "working_days(referral_date, next_year) <= 10",
            "exists referrals as r where r.child_id = child_id and r.referral_date < referral_date",
            "(count referrals as r where r.child_id = child_id) > 1",
        ] {
            assert_eq!(codes(condition), Vec::<String>::new(), "{condition}");
        }
    }

    #[test]
    fn conditions_that_do_not_check_name_their_code() {
        let cases = [
            ("age", Code::NotACondition),
            ("add_months(child_id, 12) > referral_date", Code::WrongArgumentType),
            ("age + child_id > 1", Code::TypeMismatch),
            ("referral_date > age", Code::TypeMismatch),
            ("referral_date > 10", Code::LiteralType),
            ("urgent = \"yes\"", Code::LiteralType),
            ("agee > 1", Code::UnknownColumn),
            ("nosuch.birth_date is missing", Code::UnknownAlias),
            ("add_months(referral_date) > referral_date", Code::WrongArity),
            ("frobnicate(age) > 1", Code::UnknownFunction),
        ];
        for (condition, code) in cases {
            let got = codes(condition);
            assert!(got.contains(&code.as_str().to_string()), "{condition}: expected {}, got {got:?}", code.as_str());
        }
    }
}
