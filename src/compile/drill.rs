//! The rows behind one measure's figure for one period, with every value its definition read:
//! what `scorebook drill` writes for a case audit.

use super::exprs::{column, compile, Needs, ROW};
use super::source_plan::{base_rows, key_columns, period_conditions, period_cx, LatestSnapshots, SourceCx};
use super::{CompileError, PlanInputs};
use crate::ir::{self, BinaryOp, Definition, ExprKind};
use crate::refusal::Refusal;
use crate::span::Span;
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{cast, lit, Expr};

/// The longest heading a computed value gets; a longer expression is cut, `...` ending it.
const HEADING_WIDTH: usize = 60;

/// The rows behind one measure's figure for one period: the source's keys, `child_id`, the
/// entity counted and the date columns; then every value the definition reads (see
/// [`values_read`]), each breakdown's value (`by_NAME`), whether each row is in the numerator
/// (every row is in the denominator), a value's or ratio's parts and a standardised rate's band.
/// `written` gives the text of the rules at a span on one line, which heads the values
/// computed there.
pub fn drill(
    inputs: &PlanInputs<'_>,
    measure: usize,
    period: usize,
    written: &dyn Fn(Span) -> String,
) -> Result<LogicalPlan, CompileError> {
    // The version of the definition in force at the period's end.
    let m = inputs.project.measures[measure].in_force(inputs.periods[period].range.end);
    let rows = m.definition.rows().ok_or_else(|| {
        let from = match &m.definition {
            Definition::Derived { expr } => expr.measure_refs().join(", "),
            _ => String::new(),
        };
        Refusal::new("it is calculated from other measures and has no rows of its own")
            .help(format!("drill into the measures it is calculated from: {from}"))
    })?;
    let source = inputs
        .project
        .source(&rows.source)
        .ok_or_else(|| CompileError::internal(format!("source `{}` without a declaration", rows.source)))?;
    let scx = SourceCx { source, keys: key_columns(source) };
    let keys = &scx.keys;
    let mut needs = Needs::default();
    let mut latest = LatestSnapshots { column: String::new(), windows: Vec::new() };
    let Some(c) = period_conditions(inputs, m, &inputs.periods[period], &scx, &mut needs, &mut latest)? else {
        return Err(Refusal::new(format!(
            "it counts no rows in {}: the period ends before the measure's window starts",
            inputs.periods[period].label
        ))
        .help("choose a later period")
        .into());
    };
    let entity = m.definition.entity();
    let mut shown: Vec<Expr> = source
        .columns
        .iter()
        .filter(|col| {
            let id = col.key || col.name == "child_id" || (keys.is_empty() && col.name.ends_with("_id"));
            id || Some(col.name.as_str()) == entity || col.ty.has_format()
        })
        .map(|col| column(ROW, &col.name).alias(col.name.as_str()))
        .collect();
    let p = &inputs.periods[period];
    let cx = period_cx(inputs, &scx, p.range.start, p.range.end);
    let mut names: Vec<String> = shown.iter().map(|e| e.schema_name().to_string()).collect();
    for (name, x) in values_read(inputs.project, m, source, written) {
        if !names.contains(&name) {
            shown.push(compile(&x, &cx, &mut needs)?.alias(name.as_str()));
            names.push(name);
        }
    }
    // Each breakdown's value at the period, under the breakdown's name.
    for b in &m.breakdowns {
        let value = cast(compile(&b.expr, &cx, &mut needs)?, DataType::Utf8);
        shown.push(value.alias(format!("by_{}", b.name)));
    }
    if let Some(meets) = c.meets {
        shown.push(datafusion::logical_expr::is_true(meets).alias("in_numerator"));
    }
    if let Some(v) = c.value {
        shown.push(v.alias(if c.denominator.is_some() { "numerator_value" } else { "value" }));
    }
    if let Some(d) = c.denominator {
        shown.push(d.alias("denominator_value"));
    }
    // A standardised rate counts only the rows in a band of its standard: those rows, with
    // their band.
    let mut rows_counted = c.rows;
    if let (Some(band), Some(st)) = (c.band, m.definition.standardisation()) {
        let labels = st.bands.iter().map(|b| lit(b.label.as_str())).collect();
        rows_counted = rows_counted.and(band.clone().in_list(labels, false));
        shown.push(band.alias("standard_band"));
    }
    // In the order of the entity counted, else of the source's key.
    let order = entity
        .map(str::to_string)
        .or_else(|| source.columns.iter().find(|col| col.key || col.name == "child_id").map(|col| col.name.clone()));
    let base = base_rows(inputs, &rows.source, &scx, &needs, &latest)?.filter(rows_counted)?.project(shown)?;
    let base = match order {
        Some(col) => base.sort(vec![datafusion::prelude::ident(col).sort(true, true)])?,
        None => base,
    };
    Ok(base.build()?)
}

/// Every value a measure's definition reads, each once, in the order it is read, under the
/// name an analyst knows it by:
/// - the row's own columns (`exception`);
/// - each lookup's key before the columns it finds (`request_id`, `requests.request_date`;
///   `requests.child_id` before `requests.children.date_of_birth`);
/// - named values (`days_to_issue`), and an adjacent row's columns after the columns that
///   find it (`child_id`, `request_date`, `earlier.request_date`);
/// - what the definition computes from them, headed as written: a function's value
///   (`add_months(earlier.request_date, 12)`, `working_days(start_date, completed_date)`), sums
///   and differences (`handover_minutes - 15`), an aggregate over related rows or an `exists`
///   (the text before its `where`).
///
/// A value that is the whole of a named value or of a breakdown is shown once, under that name.
fn values_read(
    project: &ir::Project,
    m: &ir::Measure,
    source: &ir::Source,
    written: &dyn Fn(Span) -> String,
) -> Vec<(String, ir::Expr)> {
    let mut read = Reader { project, source, written, out: Vec::new() };
    let exprs = m.definition.exprs();
    for e in exprs {
        read.visit(e, Place::Computed);
    }
    // A breakdown's whole value is its `by_` column; what it is computed from is shown.
    for b in &m.breakdowns {
        read.visit(&b.expr, Place::Whole);
    }
    read.out
}

/// Where an expression stands: whether its own value is worth a column of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Inside the definition: a computed value is shown.
    Computed,
    /// The whole of a named value or a breakdown, shown under that name already.
    Whole,
    /// Inside an aggregate over related rows or an `exists`: only the measure's row's own
    /// values are shown (the rest are the related row's).
    Related,
}

struct Reader<'a> {
    project: &'a ir::Project,
    source: &'a ir::Source,
    written: &'a dyn Fn(Span) -> String,
    out: Vec<(String, ir::Expr)>,
}

impl Reader<'_> {
    fn push(&mut self, name: String, e: ir::Expr) {
        if !self.out.iter().any(|(n, _)| *n == name) {
            self.out.push((name, e));
        }
    }

    /// A column of the measure's row, as an expression.
    fn row_column(&self, name: &str, span: Span) -> Option<ir::Expr> {
        let col = self.source.column(name)?;
        Some(ir::Expr { kind: ExprKind::Column { scope: None, name: name.to_string() }, ty: col.ty.value_type(), span })
    }

    /// The text written at `e`, on one line, cut to [`HEADING_WIDTH`]; an aggregate over
    /// related rows up to its `where`.
    fn heading(&self, e: &ir::Expr) -> String {
        let text = (self.written)(e.span);
        let text = match &e.kind {
            ExprKind::Related { .. } | ExprKind::Exists { .. } => match text.find(" where ") {
                Some(at) => text[..at].to_string(),
                None => text,
            },
            _ => text,
        };
        if text.chars().count() <= HEADING_WIDTH {
            text
        } else {
            text.chars().take(HEADING_WIDTH - 3).collect::<String>() + "..."
        }
    }

    /// Visits what `e` reads, then `e` itself: the values a value is computed from come
    /// before it.
    fn visit(&mut self, e: &ir::Expr, place: Place) {
        // Inside an aggregate over related rows, a value of the related row has no column.
        let shown = match place {
            Place::Computed => !self.constant(e),
            Place::Whole => false,
            Place::Related => !self.constant(e) && !reads_related_row(e),
        };
        let inner = |part: &ir::Expr| match place {
            Place::Related => Place::Related,
            _ if is_arithmetic(e) && is_arithmetic(part) => Place::Whole,
            _ => Place::Computed,
        };
        match &e.kind {
            // A breakdown by a column (`by legal_status = LS`) shows it once, as `by_NAME`.
            ExprKind::Column { scope: None, name } => {
                if place != Place::Whole && self.source.column(name).is_some() {
                    self.push(name.clone(), e.clone());
                }
            }
            ExprKind::LookupColumn { path, name } => {
                self.lookup_keys(path, e.span);
                self.push(format!("{}.{name}", path.join(".")), e.clone());
            }
            ExprKind::AdjacentColumn { relation, name } => {
                if let Some(adjacent) = self.source.adjacent.iter().find(|a| a.name == *relation) {
                    for col in [&adjacent.by, &adjacent.order] {
                        if let Some(x) = self.row_column(col, e.span) {
                            self.push(col.clone(), x);
                        }
                    }
                }
                self.push(format!("{relation}.{name}"), e.clone());
            }
            // Read through a lookup (`requests.age_band`), a named value is headed as written.
            ExprKind::Named { expr, .. } => {
                self.visit(expr, if place == Place::Related { place } else { Place::Whole });
                if place != Place::Related || !reads_related_row(e) {
                    self.push(self.heading(e), e.clone());
                }
            }
            ExprKind::Related { value, condition, .. } => {
                for part in value.iter().chain(condition) {
                    self.visit(part, Place::Related);
                }
                if place != Place::Related {
                    self.push(self.heading(e), e.clone());
                }
            }
            ExprKind::Exists { condition, .. } => {
                if let Some(part) = condition {
                    self.visit(part, Place::Related);
                }
                if place != Place::Related {
                    self.push(self.heading(e), e.clone());
                }
            }
            ExprKind::Call { args, .. } => {
                for a in args {
                    self.visit(a, inner(a));
                }
                if shown {
                    self.push(self.heading(e), e.clone());
                }
            }
            _ if is_arithmetic(e) => {
                for part in e.children() {
                    self.visit(part, inner(part));
                }
                if shown {
                    self.push(self.heading(e), e.clone());
                }
            }
            _ => {
                for part in e.children() {
                    self.visit(part, inner(part));
                }
            }
        }
    }

    /// A value the same on every row and written as a number or date (`-65 * 12`).
    fn constant(&self, e: &ir::Expr) -> bool {
        !e.any(&|x| {
            matches!(
                x.kind,
                ExprKind::Column { .. }
                    | ExprKind::LookupColumn { .. }
                    | ExprKind::AdjacentColumn { .. }
                    | ExprKind::Named { .. }
                    | ExprKind::Related { .. }
                    | ExprKind::Exists { .. }
                    | ExprKind::PeriodEnd
                    | ExprKind::WindowStart
            )
        })
    }

    /// The key each step of a lookup path finds its row by: the row's own column for the
    /// first step, the previous step's column after that.
    fn lookup_keys(&mut self, path: &[String], span: Span) {
        let mut from = self.source;
        for (k, step) in path.iter().enumerate() {
            let Some(lookup) = from.lookup(step) else { return };
            if k == 0 {
                if let Some(x) = self.row_column(&lookup.by, span) {
                    self.push(lookup.by.clone(), x);
                }
            } else {
                let ty = from.column(&lookup.by).map_or(ir::Type::Text, |c| c.ty.value_type());
                let x = ir::Expr {
                    kind: ExprKind::LookupColumn { path: path[..k].to_vec(), name: lookup.by.clone() },
                    ty,
                    span,
                };
                self.push(format!("{}.{}", path[..k].join("."), lookup.by), x);
            }
            let Some(next) = self.project.source(&lookup.source) else { return };
            from = next;
        }
    }
}

/// A sum, difference, product or quotient.
fn is_arithmetic(e: &ir::Expr) -> bool {
    matches!(e.kind, ExprKind::Binary { op: BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div, .. })
}

/// Does `e` read a related row (`p.DECOM`), which only its aggregate sees?
fn reads_related_row(e: &ir::Expr) -> bool {
    e.any(&|x| matches!(x.kind, ExprKind::Column { scope: Some(_), .. }))
}
