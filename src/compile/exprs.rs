//! IR expressions as DataFusion expressions, for one period. Working days become calendar
//! table joins, `exists` a semi-join flag, lookups a join to the looked-up source, and
//! aggregates over related rows a grouped aggregate joined back (`related`): all are
//! registered here and built into the source's plan by `source_plan`.

pub use super::scope::{
    adjacent_column, column, Bound, CalendarJoin, ExistsFlag, ExprCx, Figures, LookupJoin, Needs, BOUND, INNER, ROW,
};
use super::{related, CompileError};
use crate::calendar::add_months;
use crate::ir::{self, BinaryOp, ExprKind, Function, Value};
use chrono::NaiveDate;
use datafusion::common::ScalarValue;
use datafusion::functions::expr_fn::{abs, coalesce};
use datafusion::logical_expr::{lit, when, Expr, Operator};
use datafusion::prelude::is_null;

/// A missing text value, typed, so that it stays text when unparsed to SQL.
pub fn null_text() -> Expr {
    datafusion::prelude::cast(lit(ScalarValue::Null), datafusion::arrow::datatypes::DataType::Utf8)
}

/// A missing number, typed, so that it stays a DOUBLE when unparsed to SQL.
pub fn null_f64() -> Expr {
    datafusion::prelude::cast(lit(ScalarValue::Null), datafusion::arrow::datatypes::DataType::Float64)
}

pub fn date_lit(d: NaiveDate) -> Expr {
    lit(ScalarValue::Date32(Some(crate::data::columns::date32(d))))
}

/// A date-time as the plans hold it: microseconds from 1970-01-01 00:00, no time zone.
pub fn datetime_lit(t: chrono::NaiveDateTime) -> Expr {
    lit(ScalarValue::TimestampMicrosecond(Some(crate::data::columns::timestamp_micros(t)), None))
}

pub fn value_lit(v: &Value) -> Expr {
    match v {
        Value::Text(s) => lit(s.clone()),
        Value::Int(i) => lit(*i),
        Value::Decimal(d) => lit(*d),
        Value::Bool(b) => lit(*b),
        Value::Date(d) => date_lit(*d),
        Value::DateTime(t) => datetime_lit(*t),
    }
}

/// `e` as a float: cast, unless it is one already (a float cast or literal, or arithmetic of
/// those), so that no plan carries `CAST(CAST(x AS DOUBLE) AS DOUBLE)`.
pub fn as_f64(e: Expr) -> Expr {
    if is_f64(&e) {
        e
    } else {
        datafusion::prelude::cast(e, datafusion::arrow::datatypes::DataType::Float64)
    }
}

fn is_f64(e: &Expr) -> bool {
    use datafusion::arrow::datatypes::DataType;
    match e {
        Expr::Cast(c) => c.field.data_type() == &DataType::Float64,
        Expr::Literal(ScalarValue::Float64(_), _) => true,
        Expr::BinaryExpr(b) => {
            matches!(b.op, Operator::Plus | Operator::Minus | Operator::Multiply | Operator::Divide)
                && is_f64(&b.left)
                && is_f64(&b.right)
        }
        Expr::Alias(a) => is_f64(&a.expr),
        _ => false,
    }
}

/// `l / r` as a float, missing when `r` is 0: the same on every engine.
pub fn guarded_div(l: Expr, r: Expr) -> Expr {
    let (l, r) = (as_f64(l), as_f64(r));
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

/// `CASE WHEN c1 THEN e1 ... ELSE otherwise END`, or `otherwise` without a branch.
pub fn first_of(branches: Vec<(Expr, Expr)>, otherwise: Expr) -> Result<Expr, CompileError> {
    let mut case: Option<datafusion::logical_expr::conditional_expressions::CaseBuilder> = None;
    for (condition, e) in branches {
        case = Some(match case {
            None => when(condition, e),
            Some(mut c) => c.when(condition, e),
        });
    }
    Ok(match case {
        Some(mut c) => c.otherwise(otherwise)?,
        None => otherwise,
    })
}

/// An expression over figures (see [`ExprCx::over_figures`]): compiled as every expression
/// is, its names read through `figures`.
pub fn over_figures(e: &ir::Expr, figures: &Figures<'_>) -> Result<Expr, CompileError> {
    let mut needs = Needs::default();
    let x = compile(e, &ExprCx::over_figures(figures), &mut needs)?;
    if !(needs.calendars.is_empty() && needs.flags.is_empty() && needs.lookups.is_empty() && needs.related.is_empty()) {
        return Err(CompileError::internal("an expression over figures needs rows joined in"));
    }
    Ok(x)
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

fn reads_period(e: &ir::Expr) -> bool {
    e.reads_period()
}

/// A missing value of an expression's type.
pub fn null_of(ty: ir::Type) -> Expr {
    use datafusion::arrow::datatypes::DataType;
    let t = match ty {
        ir::Type::Text => DataType::Utf8,
        ir::Type::Number(_) => DataType::Float64,
        ir::Type::Bool => DataType::Boolean,
        ir::Type::Date => DataType::Date32,
        ir::Type::DateTime => crate::data::columns::arrow_type(ir::ColumnType::DateTime),
    };
    datafusion::prelude::cast(lit(ScalarValue::Null), t)
}

/// A date part as a whole number (`year`, `month`, `day`).
fn date_part(part: &str, d: Expr) -> Expr {
    datafusion::prelude::cast(
        datafusion::functions::expr_fn::date_part(lit(part), d),
        datafusion::arrow::datatypes::DataType::Int64,
    )
}

/// The calendar days from `a` to `b`: a difference of dates, which DataFusion, PostgreSQL
/// and DuckDB give in days (and which `sql` rewrites for SQLite, whose dates are text).
pub fn days_between(a: Expr, b: Expr) -> Expr {
    use datafusion::arrow::datatypes::DataType;
    Expr::BinaryExpr(datafusion::logical_expr::BinaryExpr::new(
        Box::new(datafusion::prelude::cast(b, DataType::Date32)),
        Operator::Minus,
        Box::new(datafusion::prelude::cast(a, DataType::Date32)),
    ))
}

/// The date of a date-time: truncated to its day (which SQLite writes as the date's text),
/// then a date.
pub fn date_of(t: Expr) -> Expr {
    let day = datafusion::functions::expr_fn::date_trunc(lit("day"), t);
    datafusion::prelude::cast(day, datafusion::arrow::datatypes::DataType::Date32)
}

/// Seconds from `a` to `b`, two date-times, on the clock times as written: the difference of
/// their seconds from 1970-01-01 00:00 (with no time zone, no clock change). `sql` writes it
/// for the dialects that lack `date_part('epoch', ...)`.
pub fn seconds_between(a: Expr, b: Expr) -> Expr {
    let epoch = |t: Expr| datafusion::functions::expr_fn::date_part(lit("epoch"), t);
    epoch(b) - epoch(a)
}

/// The largest (or smallest) of `values`, missing when any is: a CASE every engine runs
/// (SQL's GREATEST skips missing values on some engines and not on others).
fn extreme(values: Vec<Expr>, largest: bool, ty: ir::Type) -> Result<Expr, CompileError> {
    let mut values = values.into_iter();
    let mut out = values.next().ok_or_else(|| CompileError::internal("greatest of no values"))?;
    for v in values {
        let wins = if largest { v.clone().gt(out.clone()) } else { v.clone().lt(out.clone()) };
        out = first_of(vec![(out.clone().is_null().or(v.clone().is_null()), null_of(ty)), (wins, v)], out)?;
    }
    Ok(out)
}

/// Age in whole years at `at` of someone born on `birth`: the largest n with
/// add_months(birth, 12n) <= at, so a 29 February birthday comes on 28 February in other
/// years; missing when `birth` is after `at`. `at_const` is `at` when it is a known day.
fn age(birth: Expr, at: Expr, at_const: Option<NaiveDate>) -> Expr {
    use chrono::Datelike;
    // The birthday has come when (month, day) of the birth is no later than of `at`, where the
    // last day of February counts as the 29th.
    let (at_year, at_month_day) = match at_const {
        Some(d) => {
            let last_of_feb = d.month() == 2 && d.succ_opt().is_some_and(|n| n.month() == 3);
            let md = if last_of_feb { 229 } else { i64::from(d.month() * 100 + d.day()) };
            (lit(i64::from(d.year())), lit(md))
        }
        None => {
            let next_day = Expr::BinaryExpr(datafusion::logical_expr::BinaryExpr::new(
                Box::new(at.clone()),
                Operator::Plus,
                Box::new(lit(ScalarValue::new_interval_dt(1, 0))),
            ));
            let last_of_feb =
                date_part("month", at.clone()).eq(lit(2i64)).and(date_part("month", next_day).eq(lit(3i64)));
            let md = date_part("month", at.clone()) * lit(100i64) + date_part("day", at.clone());
            (
                date_part("year", at.clone()),
                when(last_of_feb, lit(229i64)).otherwise(md).expect("a CASE with an ELSE builds"),
            )
        }
    };
    let birth_md = date_part("month", birth.clone()) * lit(100i64) + date_part("day", birth.clone());
    let not_yet = when(birth_md.gt(at_month_day), lit(1i64)).otherwise(lit(0i64)).expect("a CASE with an ELSE builds");
    let years = at_year - date_part("year", birth.clone()) - not_yet;
    when(birth.lt_eq(at), years).end().expect("a CASE builds")
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

/// The parts of a condition over the related rows aliased `alias`, compiled: over the
/// related row alone, or relating it to the measure's row by equal keys or otherwise.
/// `None`, with nothing compiled, when `keyed_only` and the condition relates the rows in
/// another way than by keys.
fn related_parts(
    alias: &str,
    condition: Option<&ir::Expr>,
    cx: &ExprCx<'_>,
    needs: &mut Needs,
    keyed_only: bool,
) -> Result<Option<related::Parts>, CompileError> {
    let split = condition.map(|c| ir::RelatedCondition::split(c, alias)).unwrap_or_default();
    let mut parts = related::Parts { by_row: !split.outer.is_empty(), ..Default::default() };
    if parts.by_row && keyed_only {
        return Ok(None);
    }
    if parts.by_row && cx.keys.is_empty() {
        return Err(CompileError::internal(
            "an aggregate over related rows compared with the rows of a source without a key",
        ));
    }
    let inner_cx = ExprCx { inner: Some((alias, INNER)), ..*cx };
    for p in &split.inner {
        let e = compile(p, &inner_cx, needs)?;
        if p.reads_period() { &mut parts.per_period } else { &mut parts.fixed }.push(e);
    }
    for (inner, outer) in &split.keys {
        let (i, o) = (compile(inner, &inner_cx, needs)?, compile(outer, cx, needs)?);
        if parts.by_row {
            parts.on.push(i.eq(o));
        } else {
            parts.keys.push((i, o));
        }
    }
    for p in &split.outer {
        let e = compile(p, &inner_cx, needs)?;
        if p.reads_period() { &mut parts.per_period } else { &mut parts.on }.push(e);
    }
    Ok(Some(parts))
}

pub fn compile(e: &ir::Expr, cx: &ExprCx<'_>, needs: &mut Needs) -> Result<Expr, CompileError> {
    Ok(match &e.kind {
        ExprKind::Literal(v) => value_lit(v),
        ExprKind::Column { scope: None, name } => column(cx.row, name),
        ExprKind::Column { scope: Some(alias), name } => match cx.inner {
            Some((user, plan_alias)) if user == alias => column(plan_alias, name),
            _ => return Err(CompileError::internal(format!("the alias `{alias}` is read outside its `exists`"))),
        },
        ExprKind::LookupColumn { path, name } => {
            let all = cx.sources;
            let sources = move |name: &str| all.iter().find(|s| s.name == name);
            column(&needs.lookup_for(path, cx.lookups, &sources)?, name)
        }
        ExprKind::Named { expr, .. } => compile(expr, cx, needs)?,
        ExprKind::AdjacentColumn { relation, name } => {
            if cx.inner.is_some() {
                return Err(CompileError::internal("an adjacent row read inside `exists`"));
            }
            column(cx.row, &needs.adjacent_for(relation, name))
        }
        ExprKind::Related { func, value, source, alias, condition } => {
            let parts = related_parts(alias, condition.as_deref(), cx, needs, false)?
                .ok_or_else(|| CompileError::internal("an aggregate over related rows with no join"))?;
            let join = related::register(source, parts, needs);
            let inner_cx = ExprCx { inner: Some((alias, INNER)), ..*cx };
            let value = value.as_ref().map(|v| compile(v, &inner_cx, needs)).transpose()?;
            return related::aggregate(*func, value, join, needs);
        }
        ExprKind::PeriodEnd => date_lit(cx.period_end),
        ExprKind::WindowStart => date_lit(cx.window_start),
        ExprKind::Measure(_) | ExprKind::RagOperand(_) => match cx.figures {
            Some(read) => read(&e.kind)?,
            None => return Err(CompileError::internal(format!("the figure {:?} inside a row condition", e.kind))),
        },
        ExprKind::Call { func, args } => match func {
            Function::AddMonths | Function::AddDays => {
                let n = args[1]
                    .whole_number()
                    .ok_or_else(|| CompileError::internal("a month or day count that is not a whole number"))?;
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
                        return Err(CompileError::internal("working_days over the dates of related rows"));
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
            Function::DaysBetween => {
                let day = |a: &ir::Expr, needs: &mut Needs| -> Result<Expr, CompileError> {
                    let x = compile(a, cx, needs)?;
                    Ok(if a.ty == ir::Type::DateTime { date_of(x) } else { x })
                };
                days_between(day(&args[0], needs)?, day(&args[1], needs)?)
            }
            Function::Date => match args[0].ty {
                ir::Type::DateTime => date_of(compile(&args[0], cx, needs)?),
                _ => compile(&args[0], cx, needs)?,
            },
            Function::SecondsBetween | Function::MinutesBetween | Function::HoursBetween => {
                let seconds = seconds_between(compile(&args[0], cx, needs)?, compile(&args[1], cx, needs)?);
                match func {
                    Function::MinutesBetween => seconds / lit(60.0),
                    Function::HoursBetween => seconds / lit(3600.0),
                    _ => seconds,
                }
            }
            Function::DaysInWindow => {
                return Err(CompileError::internal("days_in_window is spelled out when the rules are checked"))
            }
            Function::Greatest | Function::Least => {
                let values = args.iter().map(|a| compile(a, cx, needs)).collect::<Result<Vec<_>, _>>()?;
                extreme(values, *func == Function::Greatest, e.ty)?
            }
            Function::Age => {
                age(compile(&args[0], cx, needs)?, compile(&args[1], cx, needs)?, const_date(&args[1], cx))
            }
            Function::If => {
                let otherwise = match args.get(2) {
                    Some(x) => compile(x, cx, needs)?,
                    None => null_of(e.ty),
                };
                when(compile(&args[0], cx, needs)?, compile(&args[1], cx, needs)?).otherwise(otherwise)?
            }
            Function::Switch => {
                let value = compile(&args[0], cx, needs)?;
                let mut arms = args[1..].chunks_exact(2);
                let mut branches = Vec::new();
                for arm in arms.by_ref() {
                    branches.push((value.clone().eq(compile(&arm[0], cx, needs)?), compile(&arm[1], cx, needs)?));
                }
                let otherwise = match arms.remainder() {
                    [default] => compile(default, cx, needs)?,
                    _ => null_of(e.ty),
                };
                first_of(branches, otherwise)?
            }
            Function::Band => {
                let value = compile(&args[0], cx, needs)?;
                let mut case = when(value.clone().is_null(), null_of(ir::Type::Text));
                for pair in args[1..].chunks_exact(2) {
                    case.when(value.clone().lt(compile(&pair[1], cx, needs)?), compile(&pair[0], cx, needs)?);
                }
                case.otherwise(compile(args.last().expect("a band has labels"), cx, needs)?)?
            }
            Function::StartsWith => {
                let ExprKind::Literal(Value::Text(prefix)) = &args[1].kind else {
                    return Err(CompileError::internal("starts_with with a prefix that is not written in the rule"));
                };
                let length = prefix.chars().count() as i64;
                let text = compile(&args[0], cx, needs)?;
                datafusion::functions::unicode::expr_fn::substring(text, lit(1i64), lit(length)).eq(lit(prefix.clone()))
            }
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
                return Err(CompileError::internal("`exists` inside `exists`"));
            }
            let inner_cx = ExprCx { inner: Some((alias.as_str(), INNER)), ..*cx };
            let parts = condition.as_deref().map(ir::Expr::conjuncts).unwrap_or_default();
            let (by_period, fixed): (Vec<&ir::Expr>, Vec<&ir::Expr>) = parts.into_iter().partition(|c| reads_period(c));
            // One comparison with the period's date: one join serves every period.
            if let (Some(_), [dependent]) = (cx.keys.first(), &by_period[..]) {
                if let Some((x, op, date)) = period_bound(dependent, cx) {
                    let cond = fixed.iter().map(|c| compile(c, &inner_cx, needs)).reduce(|a, b| Ok(a?.and(b?)));
                    let cond = cond.transpose()?.unwrap_or_else(|| lit(true));
                    let least = matches!(op, BinaryOp::Lt | BinaryOp::LtEq);
                    let bound = Bound { expr: compile(x, &inner_cx, needs)?, least };
                    let flag = needs.flag_for(source, cond, Some(bound));
                    return Ok(datafusion::logical_expr::is_true(binary(op, column(&flag, BOUND), date_lit(date))));
                }
            }
            // Compared with the period in other ways (or over a source without a key) but
            // related only by keys: counted per period in one grouped aggregate of the other
            // source.
            let key = cx.keys.first();
            if key.is_none() || condition.as_deref().is_some_and(reads_period) {
                if let Some(parts) = related_parts(alias, condition.as_deref(), cx, needs, true)? {
                    let join = related::register(source, parts, needs);
                    let count = related::aggregate(ir::RelatedFn::Count, None, join, needs)?;
                    return Ok(count.gt(lit(0i64)));
                }
            }
            let key =
                key.ok_or_else(|| CompileError::internal("`exists` compared with the rows of a source without a key"))?;
            let cond = match condition {
                Some(c) => compile(c, &inner_cx, needs)?,
                None => lit(true),
            };
            let flag = needs.flag_for(source, cond, None);
            column(&flag, key).is_not_null()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::working_days::HolidayList;
    use crate::project::check_texts;

    const SOURCES: &str = r#"
source referrals {
  referral_id    text      key
  child_id       text
  referral_date  date
  closed         date?
  age            int?
  score          decimal?
  lookup children by child_id
  let next_year = add_months(referral_date, 12)
}

source children {
  child_id       text  key
  birth_date     date?
}
"#;

    /// A measure's `where` condition over referrals, compiled for September 2013: the
    /// expression as DataFusion shows it, and the joins it asks for (lookups, working-day
    /// calendars, `exists` flags).
    fn compiled(condition: &str) -> (String, usize, usize, usize) {
        let text = format!(
            "{SOURCES}\nmeasure m {{\n  ref \"1\"\n  count referrals\n  in period by referral_date\n  where {condition}\n}}\n"
        );
        let (_, checked) = check_texts(&[("rules.ind", &text)]);
        let project = checked.project.unwrap_or_else(|| panic!("{condition}: {:?}", checked.diagnostics));
        let rows = project.measures[0].definition.rows().unwrap();
        let source = project.source("referrals").unwrap();
        let holidays = HolidayList::england_and_wales();
        let keys = source.keys();
        let cx = ExprCx {
            period_end: NaiveDate::from_ymd_opt(2013, 9, 30).unwrap(),
            window_start: NaiveDate::from_ymd_opt(2013, 9, 1).unwrap(),
            holidays: &holidays,
            row: ROW,
            inner: None,
            keys: &keys,
            lookups: &source.lookups,
            sources: &project.sources,
            figures: None,
        };
        let mut needs = Needs::default();
        let e = compile(&rows.filters[0], &cx, &mut needs).unwrap();
        (e.to_string(), needs.lookups.len(), needs.calendars.len(), needs.flags.len())
    }

    /// Each form of the language as the expression every engine runs.
    #[test]
    fn conditions_compile_to_the_languages_meaning() {
        let cases: &[(&str, &str, usize, usize, usize)] = &[
            // A missing value is not true: comparisons stay SQL's.
            ("age >= 10 and score < 2.5", "row.age >= Int64(10) AND row.score < Float64(2.5)", 0, 0, 0),
            // A division by zero is a missing value on every engine.
            ("score / age > 1", "CASE WHEN CAST(row.age AS Float64) = Float64(0) THEN CAST(NULL AS Float64) ELSE CAST(row.score AS Float64) / CAST(row.age AS Float64) END > Int64(1)", 0, 0, 0),
            // The period's end is a date literal of the period computed.
            ("closed is missing or closed > period_end", "row.closed IS NULL OR row.closed > Date32(\"2013-09-30\")", 0, 0, 0),
            // A lookup's column is read from the joined row.
            ("children.birth_date is not missing", "", 1, 0, 0),
            // Working days: the calendar table joined once for each date, its working-day
            // numbers subtracted; a date read twice is joined once.
            ("working_days(referral_date, closed) <= 10", "wd1.idx - wd0.idx <= Int64(10)", 0, 2, 0),
            (
                "working_days(referral_date, closed) > 2 and working_days(referral_date, closed) <= 10",
                "wd1.idx - wd0.idx > Int64(2) AND wd1.idx - wd0.idx <= Int64(10)",
                0,
                2,
                0,
            ),
            ("exists referrals as r where r.child_id = child_id and r.referral_date < referral_date", "", 0, 0, 1),
        ];
        for (condition, shown, lookups, calendars, flags) in cases {
            let (e, l, c, f) = compiled(condition);
            if !shown.is_empty() {
                assert_eq!(e, *shown, "{condition}");
            }
            assert_eq!((l, c, f), (*lookups, *calendars, *flags), "{condition}: {e}");
        }
    }

    /// A named value is compiled where it is read; `add_months` keeps the month's last day.
    #[test]
    fn named_values_and_month_arithmetic() {
        let (e, ..) = compiled("next_year > 2014-02-28");
        assert!(e.contains("row.referral_date"), "{e}");
        assert!(e.ends_with("> Date32(\"2014-02-28\")"), "{e}");
    }
}
