//! The checked IR: a project whose names are resolved, types known and rules consistent.
//! Later stages (compiling to DataFusion plans, running tests, the book) read only this.
//! Spans are kept for messages but take no part in equality.

use crate::span::Span;
pub use crate::syntax::ast::BinaryOp;
use chrono::NaiveDate;

#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    pub sources: Vec<Source>,
    pub populations: Vec<Population>,
    pub calendar: Calendar,
    /// In project order: files in path order, then position in the file.
    pub measures: Vec<Measure>,
    pub tests: Vec<Test>,
}

impl Project {
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// The source whose data a source's rows are read from: itself, or for a subset the
    /// source at the top of its chain of parents.
    pub fn table_of<'a>(&'a self, name: &'a str) -> &'a str {
        let mut current = name;
        for _ in 0..self.sources.len() {
            match self.source(current).and_then(|s| s.subset.as_ref()) {
                Some(sub) => current = &sub.parent,
                None => break,
            }
        }
        current
    }

    pub fn measure(&self, name: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.name == name)
    }

    pub fn population(&self, name: &str) -> Option<&Population> {
        self.populations.iter().find(|p| p.name == name)
    }
}

// ------------------------------------------------------------------------------ sources

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Text,
    Int,
    Decimal,
    Bool,
    Date,
}

impl ColumnType {
    pub fn parse(name: &str) -> Option<ColumnType> {
        Some(match name {
            "text" => ColumnType::Text,
            "int" => ColumnType::Int,
            "decimal" => ColumnType::Decimal,
            "bool" => ColumnType::Bool,
            "date" => ColumnType::Date,
            _ => return None,
        })
    }

    pub const NAMES: &'static [&'static str] = &["text", "int", "decimal", "bool", "date"];

    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Int => "int",
            ColumnType::Decimal => "decimal",
            ColumnType::Bool => "bool",
            ColumnType::Date => "date",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Decimal(f64),
    Bool(bool),
    Date(NaiveDate),
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Decimal(d) => Some(*d),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub optional: bool,
    pub key: bool,
    /// The header in a raw export, when it differs from the name.
    pub header: Option<String>,
    /// A date pattern such as `dd/mm/yyyy`; ISO dates when absent.
    pub date_format: Option<String>,
    /// Values that mean "missing, for this reason" (`c`, `x`, ...).
    pub missing_codes: Vec<String>,
    /// Raw values and what they mean (`"a) Yes" -> true`).
    pub value_map: Vec<(String, Value)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    pub name: String,
    pub description: Option<String>,
    pub columns: Vec<Column>,
    /// Start and end columns of a row's span, for "open at period end".
    pub spans: Option<(String, String)>,
    /// The snapshot date column, for "latest snapshot".
    pub snapshot: Option<String>,
    /// Other sources each row finds one row of, through their key.
    pub lookups: Vec<Lookup>,
    /// A subset of another source's rows; its columns, spans, snapshot and lookups are the
    /// parent's.
    pub subset: Option<Subset>,
    pub span: Span,
}

impl Source {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The lookup that finds a row of `source`.
    pub fn lookup(&self, source: &str) -> Option<&Lookup> {
        self.lookups.iter().find(|l| l.source == source)
    }

    /// The columns that identify a row.
    pub fn keys(&self) -> Vec<String> {
        self.columns.iter().filter(|c| c.key).map(|c| c.name.clone()).collect()
    }
}

/// `lookup header by CHILD`: the row of `source` whose key equals this row's `by`.
#[derive(Clone, Debug, PartialEq)]
pub struct Lookup {
    pub source: String,
    /// This source's column holding the other's key.
    pub by: String,
    /// The other source's key column.
    pub key: String,
}

/// `source care_episodes from episodes excluding ...`: the rows of `parent` that pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Subset {
    pub parent: String,
    /// Rows whose conditions are all true are kept...
    pub filters: Vec<Expr>,
    /// ...and then rows whose condition is true are dropped (a missing value survives).
    pub exclusions: Vec<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    pub name: String,
    pub source: String,
    pub filter: Option<Expr>,
    pub span: Span,
}

/// The working-day calendar: Monday to Friday, less a list of holidays.
#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    pub name: String,
    /// The holiday list (`england_and_wales`), or none for weekdays only.
    pub holidays: Option<String>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar { name: "working_days".into(), holidays: Some(HOLIDAY_LISTS[0].into()) }
    }
}

/// Holiday lists the project ships.
pub const HOLIDAY_LISTS: &[&str] = &["england_and_wales"];

// ------------------------------------------------------------------------------ measures

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Count,
    Percent,
    /// A rate per N (10,000 in the council book).
    RatePer(u32),
    Number,
}

/// Written as its name (`count`, `rate_per_10000`), as the result table holds it.
impl serde::Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl Unit {
    /// Is a rate per N?
    pub fn is_rate(self) -> bool {
        matches!(self, Unit::RatePer(_))
    }

    pub fn name(self) -> String {
        match self {
            Unit::Count => "count".into(),
            Unit::Percent => "percent".into(),
            Unit::RatePer(n) => format!("rate_per_{n}"),
            Unit::Number => "number".into(),
        }
    }

    pub fn parse(text: &str) -> Option<Unit> {
        Some(match text {
            "count" => Unit::Count,
            "percent" => Unit::Percent,
            "number" => Unit::Number,
            _ => Unit::RatePer(text.strip_prefix("rate_per_")?.parse().ok()?),
        })
    }

    /// Decimal places shown in reports when the measure does not say.
    pub fn default_precision(self) -> u8 {
        match self {
            Unit::Count => 0,
            _ => 1,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polarity {
    High,
    Low,
    InLineWithBenchmark,
    None,
}

impl Polarity {
    pub const NAMES: &'static [&'static str] = &["high", "low", "in_line_with_benchmark", "none"];

    pub fn parse(text: &str) -> Option<Polarity> {
        Some(match text {
            "high" => Polarity::High,
            "low" => Polarity::Low,
            "in_line_with_benchmark" => Polarity::InLineWithBenchmark,
            "none" => Polarity::None,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Polarity::High => "high",
            Polarity::Low => "low",
            Polarity::InLineWithBenchmark => "in_line_with_benchmark",
            Polarity::None => "none",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Target {
    pub value: f64,
    /// `N per year`: pro-rated over the months of a period.
    pub per_year: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RagColour {
    Red,
    Amber,
    Green,
}

impl RagColour {
    pub const NAMES: &'static [&'static str] = &["red", "amber", "green"];

    pub fn parse(text: &str) -> Option<RagColour> {
        Some(match text {
            "red" => RagColour::Red,
            "amber" => RagColour::Amber,
            "green" => RagColour::Green,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            RagColour::Red => "red",
            RagColour::Amber => "amber",
            RagColour::Green => "green",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RagRule {
    pub colour: RagColour,
    /// `None` for `otherwise`.
    pub condition: Option<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SnMethod {
    #[default]
    Mean,
    Median,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PublishedBenchmark {
    pub source: String,
    pub column: String,
    pub filter: Option<Expr>,
    /// `per N POPULATION`: the published count is turned into a rate.
    pub per: Option<(u32, String)>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Benchmarks {
    pub sn: Option<f64>,
    pub england: Option<f64>,
    pub la: Option<f64>,
    /// How neighbours' published values are averaged; the project default when absent.
    pub sn_method: Option<SnMethod>,
    pub published: Option<PublishedBenchmark>,
}

impl Benchmarks {
    pub fn is_empty(&self) -> bool {
        self.sn.is_none() && self.england.is_none() && self.la.is_none() && self.published.is_none()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    pub name: String,
    pub reference: String,
    pub title: String,
    pub description: Option<String>,
    pub theme: Option<String>,
    pub unit: Unit,
    pub precision: u8,
    pub definition: Definition,
    pub window: Window,
    pub breakdowns: Vec<Breakdown>,
    pub polarity: Polarity,
    pub target: Option<Target>,
    pub rag: Vec<RagRule>,
    pub benchmarks: Benchmarks,
    pub interval: IntervalSpec,
    pub span: Span,
}

/// How a measure's confidence interval is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntervalMethod {
    /// The Wilson score interval of a percentage.
    Wilson,
    /// The Poisson interval of a count (exact below 10 events, Byar's from 10), scaled like
    /// the value for a rate.
    Poisson,
}

impl IntervalMethod {
    pub const NAMES: &'static [&'static str] = &["wilson", "poisson", "none"];

    pub fn name(self) -> &'static str {
        match self {
            IntervalMethod::Wilson => "wilson",
            IntervalMethod::Poisson => "poisson",
        }
    }
}

/// A measure's confidence interval: the method (none for a measure without one) and its own
/// level in percent (the project's when absent).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct IntervalSpec {
    pub method: Option<IntervalMethod>,
    pub confidence: Option<f64>,
}

impl IntervalSpec {
    /// The level in percent: the measure's own, else the project's.
    pub fn level(&self, project: f64) -> f64 {
        self.confidence.unwrap_or(project)
    }
}

/// One breakdown of a measure: a result row per value of `expr`, under `name`.
#[derive(Clone, Debug, PartialEq)]
pub struct Breakdown {
    pub name: String,
    /// A column of the measure's row, or any expression over it (bands, lookups, ages).
    pub expr: Expr,
    /// The values in the order they are shown, when the expression gives a known list
    /// (`band` and `switch` labels); otherwise rows are shown in text order.
    pub order: Vec<String>,
}

impl Breakdown {
    /// The column, when the breakdown is a plain column of the measure's row.
    pub fn column(&self) -> Option<&str> {
        match &self.expr.kind {
            ExprKind::Column { scope: None, name } => Some(name),
            _ => None,
        }
    }
}

/// Which dates a period's value looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// The period itself.
    Period,
    /// From the start of the financial year holding the period's end.
    FromFyStart,
    /// From a fixed date; missing for periods ending before it.
    Since(NaiveDate),
}

/// The rows a measure looks at.
#[derive(Clone, Debug, PartialEq)]
pub struct RowSet {
    pub source: String,
    pub selection: Selection,
    /// `where`: rows whose condition is true are kept.
    pub filters: Vec<Expr>,
    /// `excluding`: rows whose condition is true are dropped (a missing value survives).
    pub exclusions: Vec<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    /// Every row, whatever its dates.
    All,
    /// Rows whose date column falls in the window.
    EventIn(String),
    /// Rows open at the period's end: start <= end of period, and end missing or after it.
    OpenAtEnd { start: String, end: String },
    /// Rows open during the window: start <= end of period, and end missing or after the
    /// window's start.
    OpenDuring { start: String, end: String },
    /// Rows of the latest snapshot within the window.
    LatestSnapshot(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateFn {
    Max,
    Min,
    Sum,
    Mean,
    Median,
}

impl AggregateFn {
    pub fn parse(text: &str) -> Option<AggregateFn> {
        Some(match text {
            "max" => AggregateFn::Max,
            "min" => AggregateFn::Min,
            "sum" => AggregateFn::Sum,
            "mean" => AggregateFn::Mean,
            "median" => AggregateFn::Median,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Definition {
    /// Rows (or distinct values of a column) of a row set.
    Count { rows: RowSet, distinct: Option<String> },
    /// 100 × rows meeting a condition / rows.
    Proportion { rows: RowSet, distinct: Option<String>, numerator: Expr },
    /// per × count / population, or per × the sum of `summed` / population (a rate of a
    /// `sum` measure, such as a published count per LA). `of_measure` names the measure it
    /// was taken from.
    Rate {
        rows: RowSet,
        distinct: Option<String>,
        summed: Option<Expr>,
        per: u32,
        population: String,
        of_measure: Option<String>,
    },
    /// max/min/sum/mean/median of an expression over a row set, or with `distinct`, over
    /// the distinct values of that column (each entity once, its value read from its rows).
    Aggregate { func: AggregateFn, expr: Expr, rows: RowSet, distinct: Option<String> },
    /// Arithmetic over other measures' values.
    Derived { expr: Expr },
}

impl Definition {
    pub fn rows(&self) -> Option<&RowSet> {
        match self {
            Definition::Count { rows, .. }
            | Definition::Proportion { rows, .. }
            | Definition::Rate { rows, .. }
            | Definition::Aggregate { rows, .. } => Some(rows),
            Definition::Derived { .. } => None,
        }
    }

    /// The column whose distinct values the measure counts or aggregates
    /// (`count distinct CHILD from ...`).
    pub fn entity(&self) -> Option<&str> {
        match self {
            Definition::Count { distinct, .. }
            | Definition::Proportion { distinct, .. }
            | Definition::Rate { distinct, .. }
            | Definition::Aggregate { distinct, .. } => distinct.as_deref(),
            Definition::Derived { .. } => None,
        }
    }
}

// ------------------------------------------------------------------------------ expressions

/// The type of an expression's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Text,
    Number(NumberKind),
    Bool,
    Date,
}

/// What a number measures, so that a percentage is not compared with a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberKind {
    /// A plain number: a literal, a column, a count of working days.
    Plain,
    /// A percentage (`10%`, or the value of a percent measure).
    Percent,
    /// A count, rate or other figure of a measure.
    Figure,
}

impl Type {
    pub fn describe(self) -> &'static str {
        match self {
            Type::Text => "text",
            Type::Number(NumberKind::Percent) => "a percentage",
            Type::Number(_) => "a number",
            Type::Bool => "true/false",
            Type::Date => "a date",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

impl Expr {
    /// The expressions directly inside this one, an `exists` condition included.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Call { args, .. } => args.iter().collect(),
            ExprKind::Not(x) | ExprKind::Neg(x) => vec![x],
            ExprKind::Binary { left, right, .. } => vec![left, right],
            ExprKind::IsMissing { expr, .. } => vec![expr],
            ExprKind::InList { expr, list, .. } => std::iter::once(&**expr).chain(list).collect(),
            ExprKind::Exists { condition, .. } => condition.iter().map(|c| &**c).collect(),
            ExprKind::Related { value, condition, .. } => value.iter().chain(condition).map(|c| &**c).collect(),
            _ => Vec::new(),
        }
    }

    /// Visits this expression and every one inside it, parents first.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Expr)) {
        visit(self);
        for c in self.children() {
            c.walk(visit);
        }
    }

    /// Does this expression, or one inside it, satisfy `test`?
    pub fn any(&self, test: &impl Fn(&Expr) -> bool) -> bool {
        test(self) || self.children().into_iter().any(|c| c.any(test))
    }

    /// The other measures a derived measure's expression names.
    pub fn measure_refs(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.walk(&mut |x| {
            if let ExprKind::Measure(name) = &x.kind {
                out.push(name.clone());
            }
        });
        out
    }

    /// The parts of a condition joined by `and`.
    pub fn conjuncts(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Binary { op: BinaryOp::And, left, right } => {
                let mut out = left.conjuncts();
                out.extend(right.conjuncts());
                out
            }
            _ => vec![self],
        }
    }

    /// Does the expression read the period (its end or its window's start)?
    pub fn reads_period(&self) -> bool {
        self.any(&|x| matches!(x.kind, ExprKind::PeriodEnd | ExprKind::WindowStart))
    }

    /// The value of a whole-number literal, possibly negated (`12`, `-12`).
    pub fn whole_number(&self) -> Option<i64> {
        match &self.kind {
            ExprKind::Literal(Value::Int(i)) => Some(*i),
            ExprKind::Neg(inner) => inner.whole_number().map(|i| -i),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Value),
    /// A column of the measure's row (`scope` None) or of an `exists` alias.
    Column {
        scope: Option<String>,
        name: String,
    },
    /// The last day of the period being computed.
    PeriodEnd,
    /// The first day of the window (the period's start, or earlier for cumulative measures).
    WindowStart,
    /// Another measure's value, in `calculate`.
    Measure(String),
    /// `value`, `target`, `benchmark`, `england`, `previous` in RAG rules.
    RagOperand(RagOperand),
    Call {
        func: Function,
        args: Vec<Expr>,
    },
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    IsMissing {
        expr: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// A row of `source` (named `alias` inside) meets the condition.
    Exists {
        source: String,
        alias: String,
        condition: Option<Box<Expr>>,
    },
    /// A column of the row the measure's row looks up in `source` (`header.DOB`); missing
    /// when there is no such row.
    LookupColumn {
        source: String,
        name: String,
    },
    /// An aggregate over the rows of `source` (named `alias` inside) that meet the condition:
    /// their number, or the latest, earliest, largest, smallest, sum or mean of `value`.
    Related {
        func: RelatedFn,
        value: Option<Box<Expr>>,
        source: String,
        alias: String,
        condition: Option<Box<Expr>>,
    },
}

/// The condition of an `exists` or an aggregate over related rows, taken apart at its `and`s.
#[derive(Debug, Default)]
pub struct RelatedCondition<'e> {
    /// `alias.x = y` (either way round): an expression of the related row equal to one of the
    /// outer row, neither reading the period. These relate the rows.
    pub keys: Vec<(&'e Expr, &'e Expr)>,
    /// Parts reading the related row and the period only.
    pub inner: Vec<&'e Expr>,
    /// Parts comparing the related row with the outer row in another way.
    pub outer: Vec<&'e Expr>,
}

impl<'e> RelatedCondition<'e> {
    pub fn split(condition: &'e Expr, alias: &str) -> RelatedCondition<'e> {
        let reads_inner =
            |e: &Expr| e.any(&|x| matches!(&x.kind, ExprKind::Column { scope: Some(a), .. } if a == alias));
        let reads_outer = |e: &Expr| {
            e.any(&|x| matches!(x.kind, ExprKind::Column { scope: None, .. } | ExprKind::LookupColumn { .. }))
        };
        let mut out = RelatedCondition::default();
        for part in condition.conjuncts() {
            if let ExprKind::Binary { op: BinaryOp::Eq, left, right } = &part.kind {
                let inner_side = |x: &Expr| reads_inner(x) && !reads_outer(x) && !x.reads_period();
                let outer_side = |x: &Expr| reads_outer(x) && !reads_inner(x) && !x.reads_period();
                if inner_side(left) && outer_side(right) {
                    out.keys.push((left, right));
                    continue;
                }
                if inner_side(right) && outer_side(left) {
                    out.keys.push((right, left));
                    continue;
                }
            }
            if reads_outer(part) {
                out.outer.push(part);
            } else {
                out.inner.push(part);
            }
        }
        out
    }
}

/// What an aggregate over related rows gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelatedFn {
    Count,
    Sum,
    Mean,
    Max,
    Min,
    /// The greatest date.
    Latest,
    /// The least date.
    Earliest,
}

impl RelatedFn {
    pub const NAMES: &'static [&'static str] = &["count", "sum", "mean", "max", "min", "latest", "earliest"];

    pub fn parse(text: &str) -> Option<RelatedFn> {
        Some(match text {
            "count" => RelatedFn::Count,
            "sum" => RelatedFn::Sum,
            "mean" => RelatedFn::Mean,
            "max" => RelatedFn::Max,
            "min" => RelatedFn::Min,
            "latest" => RelatedFn::Latest,
            "earliest" => RelatedFn::Earliest,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            RelatedFn::Count => "count",
            RelatedFn::Sum => "sum",
            RelatedFn::Mean => "mean",
            RelatedFn::Max => "max",
            RelatedFn::Min => "min",
            RelatedFn::Latest => "latest",
            RelatedFn::Earliest => "earliest",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RagOperand {
    Value,
    Target,
    Benchmark,
    England,
    Previous,
}

impl RagOperand {
    pub const NAMES: &'static [&'static str] = &["value", "target", "benchmark", "england", "previous"];

    pub fn parse(text: &str) -> Option<RagOperand> {
        Some(match text {
            "value" => RagOperand::Value,
            "target" => RagOperand::Target,
            "benchmark" => RagOperand::Benchmark,
            "england" => RagOperand::England,
            "previous" => RagOperand::Previous,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    AddDays,
    AddMonths,
    WorkingDays,
    Abs,
    Coalesce,
    /// Calendar days from the first date to the second.
    DaysBetween,
    /// Whole years from a date of birth to a date (29 February birthdays as `add_months`).
    Age,
    /// `if(condition, value, otherwise)`.
    If,
    /// `switch(value, match, result, ..., default)`.
    Switch,
    /// `band(value, label, bound, label, ..., label)`: ordered bands with labels.
    Band,
    /// Does text begin with a prefix?
    StartsWith,
}

impl Function {
    pub const NAMES: &'static [&'static str] = &[
        "add_days",
        "add_months",
        "working_days",
        "days_between",
        "age",
        "abs",
        "coalesce",
        "if",
        "switch",
        "band",
        "starts_with",
    ];

    pub fn parse(text: &str) -> Option<Function> {
        Some(match text {
            "add_days" => Function::AddDays,
            "add_months" => Function::AddMonths,
            "working_days" => Function::WorkingDays,
            "abs" => Function::Abs,
            "coalesce" => Function::Coalesce,
            "days_between" => Function::DaysBetween,
            "age" => Function::Age,
            "if" => Function::If,
            "switch" => Function::Switch,
            "band" => Function::Band,
            "starts_with" => Function::StartsWith,
            _ => return None,
        })
    }

    /// How the function is called, for messages and hovers.
    pub fn usage(self) -> &'static str {
        match self {
            Function::AddDays => "add_days(date, days)",
            Function::AddMonths => "add_months(date, months)",
            Function::WorkingDays => "working_days(from, to)",
            Function::Abs => "abs(number)",
            Function::Coalesce => "coalesce(value, fallback, ...)",
            Function::DaysBetween => "days_between(from, to)",
            Function::Age => "age(date_of_birth, at)",
            Function::If => "if(condition, value, otherwise)",
            Function::Switch => "switch(value, match, result, ..., default)",
            Function::Band => "band(value, label, bound, label, ..., label)",
            Function::StartsWith => "starts_with(text, \"prefix\")",
        }
    }
}

// ------------------------------------------------------------------------------ tests

#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    pub name: String,
    pub givens: Vec<Given>,
    pub as_of: NaiveDate,
    pub expectations: Vec<Expectation>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Given {
    pub source: String,
    pub data: GivenData,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum GivenData {
    /// Inline rows; a column the table does not give is missing in every row.
    Rows { columns: Vec<String>, rows: Vec<Vec<Option<Value>>> },
    /// A CSV file, resolved against the rule file's directory.
    File(std::path::PathBuf),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub measure: String,
    pub period: PeriodRef,
    /// The breakdown and its value (`None` for the row of rows without one).
    pub breakdown: Option<(String, Option<String>)>,
    pub field: Field,
    pub expected: Expected,
    pub span: Span,
}

/// A period named in a test, checked against the test's as-of date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeriodRef {
    /// The financial year starting in April of this year.
    Year(i32),
    Quarter {
        fy: i32,
        quarter: u8,
    },
    Month {
        year: i32,
        month: u32,
    },
    Ytd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Value,
    Numerator,
    Denominator,
    Target,
    Rag,
    Direction,
    Judgement,
}

impl Field {
    pub const NAMES: &'static [&'static str] =
        &["value", "numerator", "denominator", "target", "rag", "direction", "judgement"];

    pub fn parse(text: &str) -> Option<Field> {
        Some(match text {
            "value" => Field::Value,
            "numerator" => Field::Numerator,
            "denominator" => Field::Denominator,
            "target" => Field::Target,
            "rag" => Field::Rag,
            "direction" => Field::Direction,
            "judgement" => Field::Judgement,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expected {
    Missing,
    /// A figure as written: it matches a value that rounds to it at `decimals` places.
    Number {
        value: f64,
        decimals: u8,
        text: String,
    },
    Word(String),
}
