//! Where an IR expression is compiled and what it needs: the context of names and dates
//! (`ExprCx`), and the joins its source's plan must build for it (`Needs`: working-day
//! calendars, `exists` flags, lookups, aggregates over related rows, adjacent rows). The
//! expression compiler (`exprs`) and the compiler of related aggregates (`related`) both
//! fill it; `source_plan` builds what it lists.

use super::CompileError;
use crate::calendar::working_days::HolidayList;
use crate::ir::{self, ExprKind};
use chrono::NaiveDate;
use datafusion::common::Column;
use datafusion::logical_expr::Expr;

/// The alias of the measure's own row in every plan.
pub const ROW: &str = "row";
/// The alias of the other source's row inside an `exists` semi join.
pub const INNER: &str = "x";

pub fn column(qualifier: &str, name: &str) -> Expr {
    Expr::Column(Column::new(Some(qualifier), name))
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
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    pub expr: Expr,
    pub least: bool,
}

/// The column of an `exists` flag that holds its bound.
pub const BOUND: &str = "bound";

/// A lookup the source's plan needs: `alias` holds the row of `source` found by the `by`
/// column of the row under `from` (the measure's row, or the row an earlier lookup found).
#[derive(Clone, Debug)]
pub struct LookupJoin {
    pub alias: String,
    /// The lookups from the measure's row to this one, by source (`["requests", "children"]`).
    pub path: Vec<String>,
    pub source: String,
    pub from: String,
    pub by: String,
    pub key: String,
}

/// What a source's expressions need joined in.
#[derive(Default)]
pub struct Needs {
    pub calendars: Vec<CalendarJoin>,
    pub flags: Vec<ExistsFlag>,
    /// In the order they are joined: a lookup after the one it looks up from.
    pub lookups: Vec<LookupJoin>,
    pub related: Vec<RelatedJoin>,
    /// Columns of adjacent rows, `(relation, column)`, each once: read on the measure's row
    /// as [`adjacent_column`].
    pub adjacent: Vec<(String, String)>,
}

/// The name, on the measure's row, of a column of its adjacent row.
pub fn adjacent_column(relation: &str, column: &str) -> String {
    format!("{relation}__{column}")
}

impl Needs {
    pub(super) fn calendar_for(&mut self, date: Expr) -> String {
        if let Some(c) = self.calendars.iter().find(|c| c.date == date) {
            return c.alias.clone();
        }
        let alias = format!("wd{}", self.calendars.len());
        self.calendars.push(CalendarJoin { alias: alias.clone(), date });
        alias
    }

    /// The alias of the row found through `path`, each step a lookup of the one before (the
    /// first of the measure's row's `lookups`), joining in each step not yet joined.
    pub(super) fn lookup_for<'s>(
        &mut self,
        path: &[String],
        lookups: &'s [ir::Lookup],
        sources: &dyn Fn(&str) -> Option<&'s ir::Source>,
    ) -> Result<String, CompileError> {
        let mut from = None::<String>;
        let mut declared: &[ir::Lookup] = lookups;
        for (i, step) in path.iter().enumerate() {
            let wanted = &path[..=i];
            if let Some(l) = self.lookups.iter().find(|l| l.path == wanted) {
                from = Some(l.alias.clone());
                declared = sources(step).map_or(&[], |s| s.lookups.as_slice());
                continue;
            }
            let lookup = declared.iter().find(|l| &l.source == step).ok_or_else(|| {
                CompileError::internal(format!("a lookup of `{step}` from a source that declares none"))
            })?;
            let alias = format!("lk_{}", wanted.join("__"));
            self.lookups.push(LookupJoin {
                alias: alias.clone(),
                path: wanted.to_vec(),
                source: lookup.source.clone(),
                from: from.clone().unwrap_or_default(),
                by: lookup.by.clone(),
                key: lookup.key.clone(),
            });
            from = Some(alias);
            declared = sources(step).map_or(&[], |s| s.lookups.as_slice());
        }
        from.ok_or_else(|| CompileError::internal("a lookup through no source"))
    }

    pub(super) fn adjacent_for(&mut self, relation: &str, column: &str) -> String {
        let wanted = (relation.to_string(), column.to_string());
        if !self.adjacent.contains(&wanted) {
            self.adjacent.push(wanted);
        }
        adjacent_column(relation, column)
    }

    pub(super) fn flag_for(&mut self, source: &str, condition: Expr, bound: Option<Bound>) -> String {
        if let Some(f) = self.flags.iter().find(|f| f.source == source && f.condition == condition && f.bound == bound)
        {
            return f.alias.clone();
        }
        let alias = format!("ex{}", self.flags.len());
        self.flags.push(ExistsFlag { alias: alias.clone(), source: source.to_string(), condition, bound });
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
    /// The lookups of the measure's source.
    pub lookups: &'a [ir::Lookup],
    /// The project's sources, for lookups through lookups.
    pub sources: &'a [ir::Source],
    /// What the figures an expression over figures names are: other measures' values in a
    /// derived measure, the row's value, target and benchmarks in a RAG rule.
    pub figures: Option<&'a Figures<'a>>,
}

/// The expression for a figure a derived measure or a RAG rule names (`ExprKind::Measure`,
/// `ExprKind::RagOperand`).
pub type Figures<'a> = dyn Fn(&ExprKind) -> Result<Expr, CompileError> + 'a;

/// No holidays: expressions over figures count no working days.
static NO_HOLIDAYS: HolidayList = HolidayList { name: String::new(), days: std::collections::BTreeSet::new() };

impl<'a> ExprCx<'a> {
    /// A row outside a measure (a population's, a subset's or a published benchmark's filter):
    /// its own columns and values only, on `day`.
    pub fn plain(row: &'a str, day: NaiveDate, holidays: &'a HolidayList) -> ExprCx<'a> {
        ExprCx {
            period_end: day,
            window_start: day,
            holidays,
            row,
            inner: None,
            keys: &[],
            lookups: &[],
            sources: &[],
            figures: None,
        }
    }

    /// An expression over figures, not rows: a derived measure's `calculate`, a RAG rule.
    pub fn over_figures(figures: &'a Figures<'a>) -> ExprCx<'a> {
        ExprCx { figures: Some(figures), ..ExprCx::plain(ROW, NaiveDate::MIN, &NO_HOLIDAYS) }
    }
}

/// One join the source's plan needs: a grouped aggregate of `source`'s rows.
#[derive(Clone, Debug)]
pub struct RelatedJoin {
    pub alias: String,
    pub source: String,
    /// Joined to each row of the measure's source on `on`, and grouped by its key; otherwise
    /// grouped by `keys` and joined by them.
    pub by_row: bool,
    /// (related row's expression, measure row's expression) pairs that relate the rows.
    pub keys: Vec<(Expr, Expr)>,
    /// By row: the join condition.
    pub on: Option<Expr>,
    /// What every counted related row meets, whatever the period.
    pub fixed: Option<Expr>,
    /// Named aggregates, one for each function, value and period asked for.
    pub outputs: Vec<(String, Expr)>,
}

impl RelatedJoin {
    /// Whether `other` joins the same rows the same way (its outputs aside), so that one join
    /// can serve both.
    pub(super) fn joins_as(&self, other: &RelatedJoin) -> bool {
        self.source == other.source
            && self.by_row == other.by_row
            && self.keys == other.keys
            && self.on == other.on
            && self.fixed == other.fixed
    }

    /// The column holding `aggregate`, added if it is new.
    pub(super) fn output(&mut self, aggregate: Expr) -> String {
        if let Some((name, _)) = self.outputs.iter().find(|(_, a)| *a == aggregate) {
            return name.clone();
        }
        let name = format!("v{}", self.outputs.len());
        self.outputs.push((name.clone(), aggregate));
        name
    }
}
