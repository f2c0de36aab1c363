//! IR expressions as DataFusion expressions, for one period. Working days become calendar
//! table joins and `exists` becomes a semi-join flag: both are registered here and built into
//! the source's plan by `source_plan`.

use super::CompileError;
use crate::calendar::{add_months, working_days::HolidayList};
use crate::ir::{self, BinaryOp, ExprKind, Function, Value};
use chrono::NaiveDate;
use datafusion::common::{Column, ScalarValue};
use datafusion::functions::expr_fn::{abs, coalesce};
use datafusion::logical_expr::{lit, when, Expr, Operator};
use datafusion::prelude::is_null;

/// The alias of the measure's own row in every plan.
pub const ROW: &str = "row";
/// The alias of the other source's row inside an `exists` semi join.
pub const INNER: &str = "x";

pub fn column(qualifier: &str, name: &str) -> Expr {
    Expr::Column(Column::new(Some(qualifier), name))
}

/// A missing number, typed, so that it stays a DOUBLE when unparsed to SQL.
pub fn null_f64() -> Expr {
    datafusion::prelude::cast(lit(ScalarValue::Null), datafusion::arrow::datatypes::DataType::Float64)
}

pub fn date_lit(d: NaiveDate) -> Expr {
    lit(ScalarValue::Date32(Some(crate::data::columns::date32(d))))
}

pub fn value_lit(v: &Value) -> Expr {
    match v {
        Value::Text(s) => lit(s.clone()),
        Value::Int(i) => lit(*i),
        Value::Decimal(d) => lit(*d),
        Value::Bool(b) => lit(*b),
        Value::Date(d) => date_lit(*d),
    }
}

/// `l / r` as a float, missing when `r` is 0: the same on every engine.
pub fn guarded_div(l: Expr, r: Expr) -> Expr {
    let l = datafusion::prelude::cast(l, datafusion::arrow::datatypes::DataType::Float64);
    let r = datafusion::prelude::cast(r, datafusion::arrow::datatypes::DataType::Float64);
    when(r.clone().eq(lit(0.0)), null_f64()).otherwise(l / r).expect("a CASE with one branch and an ELSE builds")
}

/// `l op r` with the language's meaning: SQL's truth for `and`/`or` and comparisons, and a
/// division by zero that is a missing value.
pub fn binary(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    match op {
        BinaryOp::Or => l.or(r),
        BinaryOp::And => l.and(r),
        BinaryOp::Eq => l.eq(r),
        BinaryOp::NotEq => l.not_eq(r),
        BinaryOp::Lt => l.lt(r),
        BinaryOp::LtEq => l.lt_eq(r),
        BinaryOp::Gt => l.gt(r),
        BinaryOp::GtEq => l.gt_eq(r),
        BinaryOp::Add => l + r,
        BinaryOp::Sub => l - r,
        BinaryOp::Mul => l * r,
        BinaryOp::Div => guarded_div(l, r),
    }
}

/// A calendar join the source's plan needs: `alias.idx` is the working-day index of `date`.
#[derive(Clone, Debug)]
pub struct CalendarJoin {
    pub alias: String,
    pub date: Expr,
}

/// A semi join the source's plan needs: `alias` holds the keys of rows for which a row of
/// `source` (aliased [`INNER`]) meets `condition`.
///
/// With a `bound`, the join is made once for every period: `alias.bound` holds the least (or
/// greatest) value of the bound's expression over the inner rows that meet `condition`, and
/// each period compares it with its own date (see [`compile`] for `exists`).
#[derive(Clone, Debug)]
pub struct ExistsFlag {
    pub alias: String,
    pub source: String,
    pub condition: Expr,
    pub bound: Option<Bound>,
}

/// The period-dependent part of an `exists` condition, `inner_expr op date`, taken out of
/// the join: `exists (c and x <= d)` is `min(x over c) <= d`, and with `>=` it is the `max`.
#[derive(Clone, Debug)]
pub struct Bound {
    pub expr: Expr,
    pub least: bool,
}

/// The column of an `exists` flag that holds its bound.
pub const BOUND: &str = "bound";

/// What a source's expressions need joined in.
#[derive(Default)]
pub struct Needs {
    pub calendars: Vec<CalendarJoin>,
    pub flags: Vec<ExistsFlag>,
}

impl Needs {
    fn calendar_for(&mut self, date: Expr) -> String {
        let key = date.to_string();
        if let Some(c) = self.calendars.iter().find(|c| c.date.to_string() == key) {
            return c.alias.clone();
        }
        let alias = format!("wd{}", self.calendars.len());
        self.calendars.push(CalendarJoin { alias: alias.clone(), date });
        alias
    }

    fn flag_for(&mut self, source: &str, condition: Expr, bound: Option<Bound>) -> String {
        let key = |f: &ExistsFlag| {
            let bound = f.bound.as_ref().map(|b| (b.expr.to_string(), b.least));
            (f.source.clone(), f.condition.to_string(), bound)
        };
        let wanted =
            ExistsFlag { alias: format!("ex{}", self.flags.len()), source: source.to_string(), condition, bound };
        if let Some(f) = self.flags.iter().find(|f| key(f) == key(&wanted)) {
            return f.alias.clone();
        }
        let alias = wanted.alias.clone();
        self.flags.push(wanted);
        alias
    }
}

/// Where an expression is compiled: which period, and what names mean.
pub struct ExprCx<'a> {
    pub period_end: NaiveDate,
    pub window_start: NaiveDate,
    pub holidays: &'a HolidayList,
    /// The qualifier of the measure's own row (`row`, or `pop` for populations).
    pub row: &'a str,
    /// Inside `exists`: the user's alias and the plan's alias for the inner row.
    pub inner: Option<(&'a str, &'a str)>,
    /// The key columns of the measure's source, for `exists` flags.
    pub keys: &'a [String],
}

/// The value of an expression that reads no column, if it is a date.
fn const_date(e: &ir::Expr, cx: &ExprCx<'_>) -> Option<NaiveDate> {
    match &e.kind {
        ExprKind::Literal(Value::Date(d)) => Some(*d),
        ExprKind::PeriodEnd => Some(cx.period_end),
        ExprKind::WindowStart => Some(cx.window_start),
        ExprKind::Call { func: Function::AddMonths, args } => {
            Some(add_months(const_date(&args[0], cx)?, args[1].whole_number()? as i32))
        }
        ExprKind::Call { func: Function::AddDays, args } => {
            const_date(&args[0], cx)?.checked_add_signed(chrono::Duration::days(args[1].whole_number()?))
        }
        _ => None,
    }
}

/// Does the expression read a column of an `exists` source?
fn reads_inner(e: &ir::Expr) -> bool {
    e.any(&|x| matches!(x.kind, ExprKind::Column { scope: Some(_), .. }))
}

/// Does the expression read the period (its end or its window's start)?
fn reads_period(e: &ir::Expr) -> bool {
    e.any(&|x| matches!(x.kind, ExprKind::PeriodEnd | ExprKind::WindowStart))
}

/// The parts of a condition joined by `and`.
fn conjuncts(e: &ir::Expr) -> Vec<&ir::Expr> {
    match &e.kind {
        ExprKind::Binary { op: BinaryOp::And, left, right } => {
            let mut out = conjuncts(left);
            out.extend(conjuncts(right));
            out
        }
        _ => vec![e],
    }
}

/// `inner_expr op date`, with `date` a period's date and `inner_expr` reading only the
/// `exists` row, as (inner_expr, op with inner_expr on the left, date).
fn period_bound<'e>(e: &'e ir::Expr, cx: &ExprCx<'_>) -> Option<(&'e ir::Expr, BinaryOp, NaiveDate)> {
    let ExprKind::Binary { op, left, right } = &e.kind else { return None };
    let flipped = match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        _ => return None,
    };
    let inner_only = |x: &ir::Expr| {
        reads_inner(x) && !x.any(&|y| matches!(y.kind, ExprKind::Column { scope: None, .. })) && !reads_period(x)
    };
    match (const_date(left, cx), const_date(right, cx)) {
        (None, Some(d)) if inner_only(left) => Some((left, *op, d)),
        (Some(d), None) if inner_only(right) => Some((right, flipped, d)),
        _ => None,
    }
}

pub fn compile(e: &ir::Expr, cx: &ExprCx<'_>, needs: &mut Needs) -> Result<Expr, CompileError> {
    Ok(match &e.kind {
        ExprKind::Literal(v) => value_lit(v),
        ExprKind::Column { scope: None, name } => column(cx.row, name),
        ExprKind::Column { scope: Some(alias), name } => match cx.inner {
            Some((user, plan_alias)) if user == alias => column(plan_alias, name),
            _ => return Err(CompileError::unsupported(format!("the alias `{alias}` is used outside its `exists`"))),
        },
        ExprKind::PeriodEnd => date_lit(cx.period_end),
        ExprKind::WindowStart => date_lit(cx.window_start),
        ExprKind::Measure(name) => {
            return Err(CompileError::unsupported(format!("measure `{name}` inside a row condition")))
        }
        ExprKind::RagOperand(_) => return Err(CompileError::unsupported("a RAG operand inside a plan".into())),
        ExprKind::Call { func, args } => match func {
            Function::AddMonths | Function::AddDays => {
                let n = args[1].whole_number().ok_or_else(|| {
                    CompileError::unsupported("a month or day count that is not a whole number".into())
                })?;
                let interval = if *func == Function::AddMonths {
                    ScalarValue::IntervalYearMonth(Some(n as i32))
                } else {
                    ScalarValue::new_interval_dt(n as i32, 0)
                };
                Expr::BinaryExpr(datafusion::logical_expr::BinaryExpr::new(
                    Box::new(compile(&args[0], cx, needs)?),
                    Operator::Plus,
                    Box::new(lit(interval)),
                ))
            }
            Function::WorkingDays => {
                let index = |arg: &ir::Expr, needs: &mut Needs| -> Result<Expr, CompileError> {
                    if let Some(d) = const_date(arg, cx) {
                        return Ok(lit(crate::calendar::working_days::working_day_index(d, cx.holidays)));
                    }
                    if reads_inner(arg) {
                        return Err(CompileError::unsupported(
                            "working_days over the columns of an `exists` source".into(),
                        ));
                    }
                    let date = compile(arg, cx, needs)?;
                    let alias = needs.calendar_for(date);
                    Ok(column(&alias, "idx"))
                };
                let a = index(&args[0], needs)?;
                let b = index(&args[1], needs)?;
                b - a
            }
            Function::Abs => abs(compile(&args[0], cx, needs)?),
            Function::Coalesce => coalesce(args.iter().map(|a| compile(a, cx, needs)).collect::<Result<_, _>>()?),
        },
        ExprKind::Not(x) => !compile(x, cx, needs)?,
        ExprKind::Neg(x) => -compile(x, cx, needs)?,
        ExprKind::Binary { op, left, right } => binary(*op, compile(left, cx, needs)?, compile(right, cx, needs)?),
        ExprKind::IsMissing { expr, negated } => {
            let x = compile(expr, cx, needs)?;
            if *negated {
                x.is_not_null()
            } else {
                is_null(x)
            }
        }
        ExprKind::InList { expr, list, negated } => {
            let x = compile(expr, cx, needs)?;
            let items = list.iter().map(|i| compile(i, cx, needs)).collect::<Result<Vec<_>, _>>()?;
            x.in_list(items, *negated)
        }
        ExprKind::Exists { source, alias, condition } => {
            if cx.inner.is_some() {
                return Err(CompileError::unsupported("`exists` inside `exists`".into()));
            }
            let inner_cx = ExprCx { inner: Some((alias.as_str(), INNER)), ..*cx };
            let key = cx
                .keys
                .first()
                .ok_or_else(|| CompileError::unsupported("`exists` over a source without a key".into()))?;
            let parts = condition.as_deref().map(conjuncts).unwrap_or_default();
            let (by_period, fixed): (Vec<&ir::Expr>, Vec<&ir::Expr>) = parts.into_iter().partition(|c| reads_period(c));
            // One comparison with the period's date: one join serves every period.
            if let [dependent] = by_period[..] {
                if let Some((x, op, date)) = period_bound(dependent, cx) {
                    let cond = fixed.iter().map(|c| compile(c, &inner_cx, needs)).reduce(|a, b| Ok(a?.and(b?)));
                    let cond = cond.transpose()?.unwrap_or_else(|| lit(true));
                    let least = matches!(op, BinaryOp::Lt | BinaryOp::LtEq);
                    let bound = Bound { expr: compile(x, &inner_cx, needs)?, least };
                    let flag = needs.flag_for(source, cond, Some(bound));
                    return Ok(datafusion::logical_expr::is_true(binary(op, column(&flag, BOUND), date_lit(date))));
                }
            }
            let cond = match condition {
                Some(c) => compile(c, &inner_cx, needs)?,
                None => lit(true),
            };
            let flag = needs.flag_for(source, cond, None);
            column(&flag, key).is_not_null()
        }
    })
}
