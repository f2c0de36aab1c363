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
#[derive(Clone, Debug)]
pub struct ExistsFlag {
    pub alias: String,
    pub source: String,
    pub condition: Expr,
}

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

    fn flag_for(&mut self, source: &str, condition: Expr) -> String {
        let key = (source.to_string(), condition.to_string());
        if let Some(f) = self.flags.iter().find(|f| (f.source.clone(), f.condition.to_string()) == key) {
            return f.alias.clone();
        }
        let alias = format!("ex{}", self.flags.len());
        self.flags.push(ExistsFlag { alias: alias.clone(), source: source.to_string(), condition });
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
            let cond = match condition {
                Some(c) => compile(c, &inner_cx, needs)?,
                None => lit(true),
            };
            let flag = needs.flag_for(source, cond);
            let key = cx
                .keys
                .first()
                .ok_or_else(|| CompileError::unsupported("`exists` over a source without a key".into()))?;
            column(&flag, key).is_not_null()
        }
    })
}
