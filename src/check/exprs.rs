//! Expressions: name resolution in their scope, and types.

use super::Checker;
use crate::diagnostics::{did_you_mean, Code, Diagnostic};
use crate::ir::{self, ColumnType, ExprKind, Function, NumberKind, RagOperand, Type, Unit, Value};
use crate::syntax::ast::{self, BinaryOp, Literal, UnaryOp};
use std::collections::HashMap;

/// What names mean where an expression stands.
#[derive(Clone)]
pub(crate) enum Scope {
    /// A row of `source`; `exists` adds aliases; `period_end` and `window_start` when allowed.
    Row { source: ir::Source, aliases: Vec<(String, ir::Source)>, period_names: bool },
    /// `calculate`: names are other measures.
    Derived { units: HashMap<String, Unit> },
    /// A RAG rule: `value`, `target`, `benchmark`, `england`, `previous`.
    Rag { unit: Unit, has_target: bool, has_benchmark: bool, has_england: bool },
}

impl Scope {
    pub fn row(source: ir::Source, period_names: bool) -> Scope {
        Scope::Row { source, aliases: Vec::new(), period_names }
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
    match ty {
        ColumnType::Text => Type::Text,
        ColumnType::Int | ColumnType::Decimal => Type::Number(NumberKind::Plain),
        ColumnType::Bool => Type::Bool,
        ColumnType::Date => Type::Date,
    }
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
            ast::ExprKind::Path { qualifier, name } => return self.path(qualifier.as_ref(), name, e, scope),
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
                let Scope::Row { source: row, aliases, period_names } = scope else {
                    self.error(not_here(e.span, "`exists` looks at rows, and there are no rows here"));
                    return None;
                };
                if !aliases.is_empty() {
                    self.error(not_here(
                        e.span,
                        "an `exists` inside another `exists` is not supported; join their conditions with `and` in one",
                    ));
                    return None;
                }
                if !row.columns.iter().any(|c| c.key) {
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
                let inner_source = self.lookup_source(source)?;
                let alias_name = alias.as_ref().map_or_else(|| source.node.clone(), |a| a.node.clone());
                let mut inner_aliases = aliases.clone();
                inner_aliases.push((alias_name.clone(), inner_source.clone()));
                let inner_scope =
                    Scope::Row { source: row.clone(), aliases: inner_aliases, period_names: *period_names };
                let cond = match condition {
                    Some(c) => Some(Box::new(self.condition(c, &inner_scope)?)),
                    None => None,
                };
                (ExprKind::Exists { source: inner_source.name.clone(), alias: alias_name, condition: cond }, Type::Bool)
            }
        };
        Some(ir::Expr { kind, ty, span: e.span })
    }

    fn path(
        &mut self,
        qualifier: Option<&ast::Ident>,
        name: &ast::Ident,
        e: &ast::Expr,
        scope: &Scope,
    ) -> Option<ir::Expr> {
        let (kind, ty) = match scope {
            Scope::Row { source, aliases, period_names } => {
                if let Some(q) = qualifier {
                    let found = aliases.iter().rev().find(|(a, _)| *a == q.node);
                    let (scope_name, src) = match found {
                        Some((a, s)) => (Some(a.clone()), s),
                        None if q.node == source.name => (None, source),
                        None => {
                            let mut known: Vec<&str> = aliases.iter().map(|(a, _)| a.as_str()).collect();
                            known.push(&source.name);
                            let help = match did_you_mean(&q.node, known.iter().copied()) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!(
                                    "qualify with {}",
                                    known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" or ")
                                ),
                            };
                            self.error(
                                Diagnostic::new(
                                    Code::UnknownAlias,
                                    q.span,
                                    format!("`{}` is not a source or alias in scope", q.node),
                                )
                                .label("unknown qualifier")
                                .help(help),
                            );
                            return None;
                        }
                    };
                    let Some(col) = src.column(&name.node) else {
                        let src = src.clone();
                        self.unknown_column(name, &src);
                        return None;
                    };
                    (ExprKind::Column { scope: scope_name, name: name.node.clone() }, column_type(col.ty))
                } else if let Some(col) = source.column(&name.node) {
                    (ExprKind::Column { scope: None, name: name.node.clone() }, column_type(col.ty))
                } else if *period_names && name.node == "period_end" {
                    (ExprKind::PeriodEnd, Type::Date)
                } else if *period_names && name.node == "window_start" {
                    (ExprKind::WindowStart, Type::Date)
                } else {
                    let source = source.clone();
                    self.unknown_column(name, &source);
                    return None;
                }
            }
            Scope::Derived { units } => {
                if let Some(q) = qualifier {
                    self.error(not_here(q.span, "a derived measure refers to other measures by name, not to columns"));
                    return None;
                }
                match units.get(&name.node) {
                    Some(unit) => (ExprKind::Measure(name.node.clone()), Type::Number(number_kind_of(*unit))),
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
            Scope::Rag { unit, has_target, has_benchmark, has_england } => {
                let operand = qualifier.is_none().then(|| RagOperand::parse(&name.node)).flatten();
                let Some(operand) = operand else {
                    let help = match did_you_mean(&name.node, RagOperand::NAMES.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => {
                            "RAG rules compare `value` with `target`, `benchmark`, `england`, `previous` or a number"
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
                    _ => None,
                };
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
                (ExprKind::RagOperand(operand), Type::Number(number_kind_of(*unit)))
            }
        };
        Some(ir::Expr { kind, ty, span: e.span })
    }

    fn call(&mut self, func: &ast::Ident, args: &[ast::Expr], e: &ast::Expr, scope: &Scope) -> Option<ir::Expr> {
        let Some(f) = Function::parse(&func.node) else {
            let suggestion = did_you_mean(&func.node, Function::NAMES.iter().copied());
            self.error(super::unknown(
                Code::UnknownFunction,
                func,
                "function",
                suggestion,
                "the functions are add_days, add_months, working_days, abs and coalesce",
            ));
            return None;
        };
        let checked: Vec<ir::Expr> = args.iter().map(|a| self.expr(a, scope)).collect::<Option<_>>()?;
        let signature: &[Type] = match f {
            Function::AddDays | Function::AddMonths => &[Type::Date, Type::Number(NumberKind::Plain)],
            Function::WorkingDays => &[Type::Date, Type::Date],
            Function::Abs => &[Type::Number(NumberKind::Plain)],
            Function::Coalesce => &[],
        };
        let usage = match f {
            Function::AddDays => "add_days(date, days)",
            Function::AddMonths => "add_months(date, months)",
            Function::WorkingDays => "working_days(from, to)",
            Function::Abs => "abs(number)",
            Function::Coalesce => "coalesce(value, fallback, ...)",
        };
        let arity_ok = if f == Function::Coalesce { checked.len() >= 2 } else { checked.len() == signature.len() };
        if !arity_ok {
            self.error(
                Diagnostic::new(
                    Code::WrongArity,
                    e.span,
                    format!(
                        "`{}` takes {} arguments, and {} are given",
                        func.node,
                        if f == Function::Coalesce { "two or more".to_string() } else { signature.len().to_string() },
                        checked.len()
                    ),
                )
                .label("wrong number of arguments")
                .help(format!("call it as `{usage}`")),
            );
            return None;
        }
        let same_kind = |want: Type, got: Type| match (want, got) {
            (Type::Number(_), Type::Number(_)) => true,
            (a, b) => a == b,
        };
        for (i, (want, got)) in signature.iter().zip(&checked).enumerate() {
            if !same_kind(*want, got.ty) {
                self.error(
                    Diagnostic::new(
                        Code::WrongArgumentType,
                        args[i].span,
                        format!(
                            "argument {} of `{}` must be {}, and this is {}",
                            i + 1,
                            func.node,
                            want.describe(),
                            got.ty.describe()
                        ),
                    )
                    .label(format!("expected {}", want.describe()))
                    .help(format!("call it as `{usage}`")),
                );
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
        let ty = match f {
            Function::AddDays | Function::AddMonths => Type::Date,
            Function::WorkingDays => Type::Number(NumberKind::Plain),
            Function::Abs => checked[0].ty,
            Function::Coalesce => {
                let first = checked[0].clone();
                for (i, other) in checked.iter().enumerate().skip(1) {
                    if !self.comparable(&first, other, &args[0], &args[i]) {
                        return None;
                    }
                }
                first.ty
            }
        };
        Some(ir::Expr { kind: ExprKind::Call { func: f, args: checked }, ty, span: e.span })
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
                    None => mismatch(
                        l_ast.span.to(r_ast.span),
                        format!("{} is compared with {}", a.describe(), b.describe()),
                    ),
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
