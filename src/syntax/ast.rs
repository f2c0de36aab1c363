//! The abstract syntax tree: what a rule file says, with a span on every node.
//! It owns its data and knows nothing of pest or DataFusion.

use crate::span::{Span, Spanned};
use chrono::NaiveDate;

pub type Ident = Spanned<String>;
pub type Str = Spanned<String>;

/// One parsed file.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    pub items: Vec<Item>,
    /// Every comment of the file, in order; the formatter puts them back.
    pub comments: Vec<Comment>,
}

impl Module {
    /// Every measure of the file, inside a theme or not, in order.
    pub fn measures(&self) -> impl Iterator<Item = &Measure> {
        self.items.iter().flat_map(|i| match &i.kind {
            ItemKind::Measure(m) => std::slice::from_ref(m),
            ItemKind::Theme(t) => t.measures.as_slice(),
            _ => &[],
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    /// The text after `#`, without the line ending.
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    Source(SourceDecl),
    Population(PopulationDecl),
    Reference(ReferenceDecl),
    Standard(StandardDecl),
    Calendar(CalendarDecl),
    Theme(ThemeBlock),
    Measure(Measure),
    Test(TestBlock),
}

// ------------------------------------------------------------------------------ sources

#[derive(Clone, Debug, PartialEq)]
pub struct SourceDecl {
    pub name: Ident,
    pub description: Option<Str>,
    pub entries: Vec<SourceEntry>,
    /// `from SOURCE where ...`: the source is a subset of another's rows (its entries are
    /// only named values, `let`).
    pub subset: Option<SubsetOf>,
}

/// `source care_episodes from episodes excluding LS in ("V3", "V4")`.
#[derive(Clone, Debug, PartialEq)]
pub struct SubsetOf {
    pub parent: Ident,
    /// `where` (keep rows whose condition is true) and `excluding` (drop them), in order.
    pub filters: Vec<SubsetFilter>,
    /// `merge spans by ENTITY`: the kept rows' spans of each entity merged where they overlap
    /// or touch, one row per merged span.
    pub merge: Option<MergeSpans>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MergeSpans {
    /// The entity column whose spans are merged.
    pub by: Ident,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SubsetFilter {
    pub excluding: bool,
    pub condition: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SourceEntry {
    pub kind: SourceEntryKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SourceEntryKind {
    Column(ColumnDecl),
    /// `spans start_date .. end_date`: what "open at period end" uses.
    Spans {
        start: Ident,
        end: Ident,
    },
    /// `snapshot at snapshot_date`: what "latest snapshot" uses.
    Snapshot(Ident),
    /// `lookup header by CHILD`: each row's `header` row is the one whose key is its `CHILD`.
    Lookup {
        source: Ident,
        by: Ident,
    },
    /// `let days = days_between(a, b)`: a value named once, read wherever a column can be.
    Let {
        name: Ident,
        expr: Expr,
    },
    /// `previous earlier by child_id order by request_date` (or `next`): the row of the same
    /// entity just before (after) this one in date order, read as `earlier.column`.
    Adjacent {
        next: bool,
        name: Ident,
        by: Ident,
        order: Ident,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDecl {
    pub name: Ident,
    /// The type as written (`date`); the checker resolves it.
    pub ty: Ident,
    pub optional: bool,
    pub options: Vec<ColumnOption>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnOption {
    pub kind: ColumnOptionKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ColumnOptionKind {
    Key,
    /// `from "Date of referral"`: the header in a raw export.
    Header(Str),
    /// `format "dd/mm/yyyy"`.
    Format(Str),
    /// `missing "c", "x"`: values that mean "missing, for this reason".
    Missing(Vec<Str>),
    /// `map "a) Yes" -> true, "b) No" -> false`.
    Map(Vec<MapEntry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct MapEntry {
    pub from: Str,
    pub to: Literal,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PopulationDecl {
    pub name: Ident,
    pub source: Ident,
    pub filter: Option<Expr>,
}

/// `reference NAME from SOURCE [where ...]`: reference rates by year and age group.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceDecl {
    pub name: Ident,
    pub source: Ident,
    pub filter: Option<Expr>,
}

/// `standard NAME { "0-4" 5000, ... }`: a standard population's bands and weights.
#[derive(Clone, Debug, PartialEq)]
pub struct StandardDecl {
    pub name: Ident,
    pub bands: Vec<StandardBand>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StandardBand {
    pub label: Str,
    pub weight: Spanned<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CalendarDecl {
    pub name: Ident,
    /// `holidays("england_and_wales")`, if any.
    pub holidays: Option<Str>,
}

// ------------------------------------------------------------------------------ measures

#[derive(Clone, Debug, PartialEq)]
pub struct ThemeBlock {
    pub name: Str,
    pub measures: Vec<Measure>,
    /// The span of the closing brace, where comments after the last measure attach.
    pub close: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    pub name: Ident,
    pub clauses: Vec<Clause>,
    /// Later definitions, each from a date (`version 2 from 2013-07-01 "..." { ... }`).
    pub versions: Vec<Version>,
    pub span: Span,
    pub close: Span,
}

/// `version N from DATE "release note" { CLAUSES }`: the measure as from `from`, written as
/// the clauses that change; each kind of clause written replaces that kind's clauses of the
/// version before.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    pub number: Spanned<f64>,
    pub from: Spanned<NaiveDate>,
    pub note: Str,
    pub clauses: Vec<Clause>,
    /// From `version` to the closing brace.
    pub span: Span,
    pub close: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    pub kind: ClauseKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ClauseKind {
    Ref(Str),
    Title(Str),
    Description(Str),
    Theme(Str),
    Unit(Ident),
    Precision(Spanned<f64>),
    /// `count [distinct COL from] SOURCE`
    Count {
        distinct: Option<Ident>,
        source: Ident,
    },
    /// `percent of [distinct COL from] SOURCE`
    Percent {
        distinct: Option<Ident>,
        source: Ident,
    },
    /// `rate of MEASURE per N POPULATION`
    RateOf {
        measure: Ident,
        per: PerSpec,
    },
    /// `ratio of SOURCE`: a ratio of the sums given by `numerator sum` and `denominator sum`.
    Ratio {
        source: Ident,
    },
    /// `max EXPR of [distinct COL from] SOURCE` (and min, sum, mean, median, and
    /// `percentile P`, whose `func` is `percentile` and `percentile` the P written)
    Aggregate {
        func: Ident,
        percentile: Option<Spanned<f64>>,
        expr: Expr,
        distinct: Option<Ident>,
        source: Ident,
    },
    /// `numerator sum EXPR` or `denominator sum EXPR`: a percent (or ratio) of two sums.
    SumPart {
        part: SumPart,
        expr: Expr,
    },
    /// `hidden`: the measure is kept out of the book; other measures and tests still read it.
    Hidden,
    /// `calculate EXPR` over other measures.
    Calculate(Expr),
    /// `in period by DATE_COLUMN`
    InPeriod(Ident),
    OpenAtPeriodEnd,
    /// `open during period`: rows open at some time in the window.
    OpenDuringPeriod,
    /// `latest snapshot`, or `latest snapshot of december, january, february`: the latest
    /// snapshot of each month named that falls in the window.
    LatestSnapshot {
        months: Vec<Ident>,
    },
    Where(Expr),
    Excluding(Expr),
    Meeting(Expr),
    /// `per N POPULATION` under a count: a rate.
    Per(PerSpec),
    /// `expected of POPULATION at REFERENCE rates [times N | per N]`: an indirectly
    /// standardised ratio (× N), or rate per N.
    Expected {
        population: Ident,
        reference: Ident,
        scale: ExpectedScale,
    },
    Cumulative(WindowSpec),
    /// `reported by academic year`: the measure's reporting year, where not the book's.
    ReportedBy(Ident),
    /// `first per ENTITY`: each entity's first row in the window (in date, then key, order).
    FirstPer(Ident),
    /// `follow up N months [then M months]`: a cohort's follow-up after each member's date,
    /// then a waiting period; its figures are final once both have passed.
    FollowUp {
        months: Spanned<f64>,
        then: Option<Spanned<f64>>,
    },
    By(Vec<ByItem>),
    /// `funnel by BREAKDOWN [overdispersed]`: each value of the breakdown a unit of a funnel
    /// plot; `overdispersed` (its span) widens the limits for over-dispersion between the units.
    Funnel {
        by: Ident,
        overdispersed: Option<Span>,
    },
    Polarity(Ident),
    Target {
        figure: Quantity,
        per_year: bool,
    },
    Rag(Vec<RagRule>),
    Benchmark(Vec<BenchmarkItem>),
    /// `interval [METHOD] [at LEVEL]`: the measure's confidence interval.
    Interval {
        method: Option<Ident>,
        level: Option<Quantity>,
    },
}

impl ClauseKind {
    /// What the clause says of a measure: its keyword, except that the clauses choosing the
    /// rows (`in period by`, `open at period end`, ...) are one slot, `rows`, and those saying
    /// what is computed (`count`, `percent of`, `calculate`, ...) another, `computes`: one
    /// replacing another is a change of that slot (in `diff`, and in a version).
    pub fn slot(&self) -> &'static str {
        match self {
            ClauseKind::InPeriod(_)
            | ClauseKind::OpenAtPeriodEnd
            | ClauseKind::OpenDuringPeriod
            | ClauseKind::LatestSnapshot { .. } => "rows",
            ClauseKind::Count { .. }
            | ClauseKind::Percent { .. }
            | ClauseKind::RateOf { .. }
            | ClauseKind::Ratio { .. }
            | ClauseKind::Aggregate { .. }
            | ClauseKind::Calculate(_) => "computes",
            other => other.keyword(),
        }
    }

    /// The clause's keyword, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            ClauseKind::Ref(_) => "ref",
            ClauseKind::Title(_) => "title",
            ClauseKind::Description(_) => "description",
            ClauseKind::Theme(_) => "theme",
            ClauseKind::Unit(_) => "unit",
            ClauseKind::Precision(_) => "precision",
            ClauseKind::Count { .. } => "count",
            ClauseKind::Percent { .. } => "percent of",
            ClauseKind::RateOf { .. } => "rate of",
            ClauseKind::Ratio { .. } => "ratio of",
            ClauseKind::Aggregate { .. } => "aggregate",
            ClauseKind::SumPart { part: SumPart::Numerator, .. } => "numerator sum",
            ClauseKind::SumPart { part: SumPart::Denominator, .. } => "denominator sum",
            ClauseKind::Hidden => "hidden",
            ClauseKind::Calculate(_) => "calculate",
            ClauseKind::InPeriod(_) => "in period by",
            ClauseKind::OpenAtPeriodEnd => "open at period end",
            ClauseKind::OpenDuringPeriod => "open during period",
            ClauseKind::LatestSnapshot { .. } => "latest snapshot",
            ClauseKind::Where(_) => "where",
            ClauseKind::Excluding(_) => "excluding",
            ClauseKind::Meeting(_) => "meeting",
            ClauseKind::Per(_) => "per",
            ClauseKind::Expected { .. } => "expected of",
            ClauseKind::Cumulative(_) => "cumulative",
            ClauseKind::FirstPer(_) => "first per",
            ClauseKind::ReportedBy(_) => "reported by",
            ClauseKind::FollowUp { .. } => "follow up",
            ClauseKind::By(_) => "by",
            ClauseKind::Funnel { .. } => "funnel by",
            ClauseKind::Polarity(_) => "polarity",
            ClauseKind::Target { .. } => "target",
            ClauseKind::Interval { .. } => "interval",
            ClauseKind::Rag(_) => "rag",
            ClauseKind::Benchmark(_) => "benchmark",
        }
    }
}

/// What an indirectly standardised figure is: a ratio of observed to expected (`times N`, 1
/// when not written), or a rate per N at the reference's overall rate.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpectedScale {
    Ratio(Option<Spanned<f64>>),
    Rate(Spanned<f64>),
}

/// Which side of a ratio of sums a `sum` clause gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SumPart {
    Numerator,
    Denominator,
}

/// An aggregate over related rows, as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub func: Ident,
    pub value: Option<Expr>,
    pub source: Ident,
    pub alias: Option<Ident>,
    pub condition: Option<Expr>,
}

/// One breakdown: `team`, `header.SEX`, or `age_band = band(...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ByItem {
    /// The name written before `=`; a plain column names itself.
    pub name: Option<Ident>,
    /// `"Legal status"`: what the books call the breakdown, in place of its name.
    pub label: Option<Str>,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PerSpec {
    pub per: Spanned<f64>,
    pub population: Ident,
    /// `standardised by age_band using esp2013`.
    pub standardised: Option<Box<Standardised>>,
}

/// The band of each counted row and the standard population its rate is standardised to.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardised {
    pub by: Ident,
    pub standard: Ident,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum WindowSpec {
    /// `from fy start` (`fy`) or `from year start`: the reporting year's start.
    FromYearStart {
        fy: bool,
    },
    Since(Spanned<NaiveDate>),
}

/// A figure as written: `10`, `75%`, `-1.5`.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantity {
    pub value: f64,
    /// The digits as written, so the formatter keeps `10.50` as `10.50`.
    pub text: String,
    pub percent: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RagRule {
    pub colour: Ident,
    /// `None` for `otherwise`.
    pub condition: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BenchmarkItem {
    pub kind: BenchmarkKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum BenchmarkKind {
    /// `sn 25%`, `england 26%`, `la 12`.
    Figure { of: Ident, figure: Quantity },
    /// `sn mean` or `sn median`: how the neighbours' values are averaged.
    Method(Ident),
    /// `published dfe_b1.At31_episodes [where COND] [per 10000 POPULATION]`.
    Published { source: Ident, column: Ident, filter: Option<Expr>, per: Option<PerSpec> },
}

// ------------------------------------------------------------------------------ expressions

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// `column`, `alias.column`, or a column through a chain of lookups
    /// (`requests.children.date_of_birth`): the qualifiers in order, then the name.
    Path {
        qualifiers: Vec<Ident>,
        name: Ident,
    },
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
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
    Exists {
        source: Ident,
        alias: Option<Ident>,
        condition: Option<Box<Expr>>,
    },
    /// An aggregate over related rows: `count episodes as p where ...`, or with a value,
    /// `latest p.DECOM of episodes as p where ...`.
    Related(Box<Related>),
    /// Parentheses the user wrote; kept so the formatter keeps them.
    Paren(Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div => 6,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Number(Quantity),
    String(String),
    Date(NaiveDate),
    Bool(bool),
}

// ------------------------------------------------------------------------------ tests

#[derive(Clone, Debug, PartialEq)]
pub struct TestBlock {
    pub name: Str,
    pub entries: Vec<TestEntry>,
    pub close: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TestEntry {
    pub kind: TestEntryKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TestEntryKind {
    GivenTable { source: Ident, table: Box<Table> },
    GivenFile { source: Ident, path: Str },
    AsOf(Spanned<NaiveDate>),
    Expect(Box<Expectation>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub header: Vec<Ident>,
    pub rows: Vec<Row>,
    pub header_span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// `None` for an empty cell: a missing value.
    pub text: Option<String>,
    /// Written in quotes (so `"true"` is text, and spaces are kept).
    pub quoted: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub measure: Ident,
    /// `version N`: the figure as that version of the measure's definition computes it.
    pub version: Option<Spanned<f64>>,
    pub period: PeriodSelector,
    /// `by NAME VALUE`; `by NAME missing` is the row of rows without a value.
    pub breakdown: Option<(Ident, Spanned<Option<String>>)>,
    pub field: Option<Ident>,
    pub value: ExpectedValue,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PeriodSelector {
    pub kind: PeriodSelectorKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeriodSelectorKind {
    /// `year 2012-13` (financial), `year 2012` (calendar) or `year 2012/13` (academic).
    Year {
        label: String,
    },
    /// `quarter 2013-14 Q2`
    Quarter {
        label: String,
        quarter: String,
    },
    /// `month 2013-09`
    Month {
        label: String,
    },
    Ytd,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExpectedValue {
    pub kind: ExpectedValueKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExpectedValueKind {
    Missing,
    Number(Quantity),
    Text(String),
    Word(String),
}
