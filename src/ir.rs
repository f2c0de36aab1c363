//! The checked IR: a project whose names are resolved, types known and rules consistent.
//! Later stages (compiling to DataFusion plans, running tests, the book) read only this.
//! Spans are kept for messages but take no part in equality.

pub use crate::functions::Function;
use crate::span::Span;
pub use crate::syntax::ast::BinaryOp;
use chrono::{NaiveDate, NaiveDateTime};

#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    pub sources: Vec<Source>,
    pub populations: Vec<Population>,
    /// Reference rates for indirectly standardised measures.
    pub references: Vec<Reference>,
    pub calendar: Calendar,
    /// In project order: files in path order, then position in the file.
    pub measures: Vec<Measure>,
    pub tests: Vec<Test>,
}

/// The source whose data `name`'s rows are read from, among the `count` sources `find` knows:
/// itself, or for a subset the source at the top of its chain of parents.
pub fn table_among<'a>(name: &'a str, count: usize, find: impl Fn(&str) -> Option<&'a Source>) -> &'a str {
    let mut current = name;
    for _ in 0..count {
        match find(current).and_then(|s| s.subset.as_ref()) {
            Some(sub) => current = &sub.parent,
            None => break,
        }
    }
    current
}

impl Project {
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// The source whose data a source's rows are read from: itself, or for a subset the
    /// source at the top of its chain of parents.
    pub fn table_of<'a>(&'a self, name: &'a str) -> &'a str {
        table_among(name, self.sources.len(), |n| self.source(n))
    }

    pub fn measure(&self, name: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.name == name)
    }

    pub fn population(&self, name: &str) -> Option<&Population> {
        self.populations.iter().find(|p| p.name == name)
    }

    pub fn reference(&self, name: &str) -> Option<&Reference> {
        self.references.iter().find(|r| r.name == name)
    }

    /// Whether measure `m`'s value for a period ending on `later` is computed differently from
    /// one ending on `earlier`: a version of it, or of a measure it is calculated from, that
    /// redefines the values takes effect between them.
    pub fn redefined_between(&self, m: &Measure, earlier: NaiveDate, later: NaiveDate) -> bool {
        let mut seen: Vec<&str> = Vec::new();
        let mut stack = vec![m];
        while let Some(m) = stack.pop() {
            if seen.contains(&m.name.as_str()) {
                continue;
            }
            seen.push(&m.name);
            if m.redefined_between(earlier, later) {
                return true;
            }
            let read = m.every_version().flat_map(|v| v.definition.measures_read());
            stack.extend(read.filter_map(|name| self.measure(&name)));
        }
        false
    }

    /// Every measure with its latest version in force for every period (`run --backcast`).
    pub fn backcast(&mut self) {
        for m in &mut self.measures {
            *m = m.backcast();
        }
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
    /// A local clock time (`2024-02-29 23:40:00`), with no time zone: differences are taken
    /// on the clock times as written.
    DateTime,
}

impl ColumnType {
    pub fn parse(name: &str) -> Option<ColumnType> {
        Some(match name {
            "text" => ColumnType::Text,
            "int" => ColumnType::Int,
            "decimal" => ColumnType::Decimal,
            "bool" => ColumnType::Bool,
            "date" => ColumnType::Date,
            "datetime" => ColumnType::DateTime,
            _ => return None,
        })
    }

    pub const NAMES: &'static [&'static str] = &["text", "int", "decimal", "bool", "date", "datetime"];

    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Text => "text",
            ColumnType::Int => "int",
            ColumnType::Decimal => "decimal",
            ColumnType::Bool => "bool",
            ColumnType::Date => "date",
            ColumnType::DateTime => "datetime",
        }
    }

    /// The type of an expression reading such a column.
    pub fn value_type(self) -> Type {
        match self {
            ColumnType::Text => Type::Text,
            ColumnType::Int | ColumnType::Decimal => Type::Number(NumberKind::Plain),
            ColumnType::Bool => Type::Bool,
            ColumnType::Date => Type::Date,
            ColumnType::DateTime => Type::DateTime,
        }
    }

    /// Is it read through a `format` (a date or a date-time)?
    pub fn has_format(self) -> bool {
        matches!(self, ColumnType::Date | ColumnType::DateTime)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Decimal(f64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
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
    /// Values named once (`let`), in the order declared: a subset's are its parent's and
    /// then its own.
    pub named: Vec<NamedValue>,
    /// The rows just before or after each row of the same entity (`previous`, `next`).
    pub adjacent: Vec<Adjacent>,
    /// A subset of another source's rows; its columns, spans, snapshot, lookups, named values
    /// and adjacent rows are the parent's.
    pub subset: Option<Subset>,
    pub span: Span,
}

/// `let name = expr`: a value of each row, read by name wherever a column can be.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedValue {
    pub name: String,
    /// Over the row's own columns (unqualified), its lookups and other named values.
    pub expr: Expr,
    pub span: Span,
}

/// `previous earlier by child_id order by request_date`: for each row whose `by` and
/// `order` are present, the row of the same `by` whose `order` is the latest strictly before
/// (`next`: the earliest strictly after) this row's; among rows with that `order`, the last
/// (first) in key order. Read as `earlier.column`, missing when there is no such row.
#[derive(Clone, Debug, PartialEq)]
pub struct Adjacent {
    pub name: String,
    pub next: bool,
    pub by: String,
    pub order: String,
    pub span: Span,
}

impl Source {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The named value `name` (`let name = ...`).
    pub fn named_value(&self, name: &str) -> Option<&NamedValue> {
        self.named.iter().find(|n| n.name == name)
    }

    /// The adjacent rows named `name` (`previous name by ...`).
    pub fn adjacent(&self, name: &str) -> Option<&Adjacent> {
        self.adjacent.iter().find(|a| a.name == name)
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
    /// `merge spans by ENTITY`: the kept rows' spans of each entity merged where they overlap
    /// or touch (a span ending on the day the next starts), one row per merged span with the
    /// entity, the first start and the last end (missing when a merged span is still open).
    pub merge: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    pub name: String,
    pub source: String,
    pub filter: Option<Expr>,
    pub span: Span,
}

/// Reference rates: the rows of a source giving, by mid-year and `age_group`, `events` and
/// `population` (England's deaths and residents, say), from which a population's expected
/// events are reckoned.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
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
    /// `hidden`: left out of the book; other measures and tests still read it.
    pub hidden: bool,
    /// A cohort's follow-up: periods whose follow-up has not ended by the as-of date have no
    /// figures yet.
    pub follow_up: Option<FollowUp>,
    /// `reported by ... year`: the measure's reporting year, where it is not the book's.
    pub year: Option<crate::calendar::ReportingYear>,
    /// `funnel by BREAKDOWN`: the breakdown whose values are the units of a funnel plot, each
    /// judged against the measure's whole (`crate::funnel`).
    pub funnel: Option<Funnel>,
    /// Later definitions, each in force from its date, in date order (`version 2 from ...`).
    pub versions: Vec<Version>,
    pub span: Span,
}

/// A later definition of a measure: in force for every period ending on or after `from`.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    /// 2, 3, ...: the first definition is version 1.
    pub number: u32,
    pub from: NaiveDate,
    /// The release note: what changed and why.
    pub note: String,
    /// The keywords of the clauses it writes (`meeting`, `target`), in the order written.
    pub changes: Vec<&'static str>,
    /// Whether it computes values differently from the version before (not only judges them
    /// differently): the direction of travel is not judged across it.
    pub redefines: bool,
    /// The whole measure as this version defines it (its own `versions` empty).
    pub measure: Measure,
    pub span: Span,
}

/// A measure's funnel plot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Funnel {
    /// The breakdown whose values are its units.
    pub by: String,
    /// `overdispersed`: limits widened by the units' between-unit variance where they are
    /// over-dispersed (`crate::funnel::overdispersion`).
    pub overdispersed: bool,
}

impl Measure {
    /// The definition in force for a period ending on `day`: the latest version from on or
    /// before it, else the first.
    pub fn in_force(&self, day: NaiveDate) -> &Measure {
        self.versions.iter().rev().find(|v| v.from <= day).map_or(self, |v| &v.measure)
    }

    /// The number of the version in force for a period ending on `day` (1 for the first).
    pub fn version_on(&self, day: NaiveDate) -> u32 {
        self.versions.iter().rev().find(|v| v.from <= day).map_or(1, |v| v.number)
    }

    /// Whether a period ending on `later` is computed differently from one ending on `earlier`:
    /// a version that redefines the values takes effect after `earlier` and by `later`.
    pub fn redefined_between(&self, earlier: NaiveDate, later: NaiveDate) -> bool {
        self.versions.iter().any(|v| v.redefines && earlier < v.from && v.from <= later)
    }

    /// What a value is computed from, in every version alike or not: its definition, window,
    /// breakdowns and cohort follow-up (not its judgement or words).
    pub fn computes_as(&self, other: &Measure) -> bool {
        self.definition == other.definition
            && self.window == other.window
            && self.breakdowns == other.breakdowns
            && self.follow_up == other.follow_up
            && self.year == other.year
    }

    /// Every definition of the measure: the first, then each later version's.
    pub fn every_version(&self) -> impl Iterator<Item = &Measure> {
        std::iter::once(self).chain(self.versions.iter().map(|v| &v.measure))
    }

    /// The measure with its latest version in force for every period (`--backcast`).
    pub fn backcast(&self) -> Measure {
        let mut m = self.clone();
        for v in &mut m.versions {
            v.from = NaiveDate::MIN;
        }
        m
    }

    /// The measure with version `number` (1 for the first) in force for every period.
    pub fn pinned(&self, number: u32) -> Measure {
        let mut m = self.clone();
        m.versions = match number.checked_sub(2).and_then(|k| self.versions.get(k as usize)) {
            Some(v) => vec![Version { from: NaiveDate::MIN, ..v.clone() }],
            None => Vec::new(),
        };
        m
    }

    /// Whether `breakdown` is the measure's funnel's.
    pub fn funnel_by(&self, breakdown: &str) -> bool {
        self.funnel.as_ref().is_some_and(|f| f.by == breakdown)
    }
}

/// How a measure's confidence interval is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntervalMethod {
    /// The Wilson score interval of a percentage.
    Wilson,
    /// The Poisson interval of a count (exact below 10 events, Byar's from 10), scaled like
    /// the value for a rate.
    Poisson,
    /// Dobson's interval of a directly standardised rate: Byar's limits of the event count,
    /// scaled by the rate's standard error per event (Dobson et al., 1991).
    Dobson,
}

impl IntervalMethod {
    pub const NAMES: &'static [&'static str] = &["wilson", "poisson", "dobson", "none"];

    pub fn name(self) -> &'static str {
        match self {
            IntervalMethod::Wilson => "wilson",
            IntervalMethod::Poisson => "poisson",
            IntervalMethod::Dobson => "dobson",
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

    /// The level a result row states beside its interval's lower limit `ci_low`: none when
    /// the row has no interval.
    pub fn level_of_row(&self, ci_low: Option<f64>, project: f64) -> Option<f64> {
        ci_low.map(|_| self.level(project))
    }
}

/// One breakdown of a measure: a result row per value of `expr`, under `name`.
#[derive(Clone, Debug, PartialEq)]
pub struct Breakdown {
    pub name: String,
    /// What the books call it (`Legal status`); they show the name where there is none.
    pub label: Option<String>,
    /// A column of the measure's row, or any expression over it (bands, lookups, ages).
    pub expr: Expr,
    /// The values in the order they are shown, when the expression gives a known list
    /// (`band` and `switch` labels); otherwise rows are shown in text order.
    pub order: Vec<String>,
}

impl Breakdown {
    /// The words heading the breakdown's lines in a book: its label, else its name.
    pub fn heading(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }

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
    /// From the start of the reporting year holding the period's end (April in a financial
    /// year, January in a calendar year, September in an academic year).
    FromYearStart,
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
    /// `first per ENTITY`: of the rows selected and kept in a window, each entity's first, in
    /// order of the event date and then the source's key (rows with no entity are left out).
    pub first_per: Option<String>,
    /// `latest snapshot of december, january, february`: the months (1 to 12) whose latest
    /// snapshot in the window is taken; the figures are the snapshots' mean. Empty for the
    /// window's one latest snapshot.
    pub snapshot_months: Vec<u32>,
}

/// `follow up N months then M months`: each member of a cohort is followed up for `months`
/// after its date, and events are counted for a further `wait` months; a period's figures are
/// final once its last member's follow-up and wait have passed by the as-of date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowUp {
    pub months: u32,
    pub wait: u32,
}

impl FollowUp {
    /// The day a period ending `end` has its final figures: every member's follow-up and
    /// wait over.
    pub fn final_on(self, end: NaiveDate) -> NaiveDate {
        crate::calendar::add_months(end, (self.months + self.wait) as i32)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    /// Every row, whatever its dates.
    All,
    /// Rows whose date (a date column, a named value, or a date-time's date) falls in the
    /// window.
    EventIn(Expr),
    /// Rows open at the period's end: start <= end of period, and end missing or after it.
    OpenAtEnd { start: String, end: String },
    /// Rows open during the window: start <= end of period, and end missing or after the
    /// window's start.
    OpenDuring { start: String, end: String },
    /// Rows of the latest snapshot within the window.
    LatestSnapshot(String),
}

impl Selection {
    /// The column that places a row in a period (an event's date column, or the one a
    /// date-time or named value is taken from; a snapshot's date; a span's start), if one.
    pub fn placing_column(&self) -> Option<&str> {
        fn column_of(e: &Expr) -> Option<&str> {
            match &e.kind {
                ExprKind::Column { scope: None, name } => Some(name),
                ExprKind::Call { func: Function::Date, args } => column_of(&args[0]),
                ExprKind::Named { expr, .. } => column_of(expr),
                _ => None,
            }
        }
        match self {
            Selection::All => None,
            Selection::EventIn(e) => column_of(e),
            Selection::LatestSnapshot(c) => Some(c),
            Selection::OpenAtEnd { start, .. } | Selection::OpenDuring { start, .. } => Some(start),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateFn {
    Max,
    Min,
    Sum,
    Mean,
    Median,
    /// Excel's PERCENTILE.INC: linear interpolation between the closest ranks.
    Percentile(Fraction),
}

/// An exact fraction `num / den` (a percentile's 0.9 is 9/10), so that ranks are computed
/// in whole numbers on every engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fraction {
    pub num: i64,
    pub den: i64,
}

impl Fraction {
    /// `percent` / 100 as written (`90`, `97.5`), if it has at most six decimal places.
    pub fn of_percent(percent: f64) -> Option<Fraction> {
        let mut den: i64 = 100;
        let mut scaled = percent;
        for _ in 0..=6 {
            if scaled.fract() == 0.0 && scaled.abs() < 1e12 {
                let num = scaled as i64;
                let g = gcd(num.abs(), den);
                return Some(Fraction { num: num / g, den: den / g });
            }
            // Decimal places as written: round away the binary error of each step.
            scaled = (scaled * 10.0 * 1e6).round() / 1e6;
            den *= 10;
        }
        None
    }

    pub fn value(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// The percentage written back (`90`, `97.5`).
    pub fn percent(self) -> String {
        let v = 100.0 * self.value();
        let text = format!("{v:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.max(1)
    } else {
        gcd(b, a % b)
    }
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

    /// The aggregates written as `NAME EXPR of SOURCE`.
    pub const NAMES: &'static [&'static str] = &["max", "min", "sum", "mean", "median", "percentile"];

    /// As written in a rule (`median`, `percentile 90`).
    pub fn describe(self) -> String {
        match self {
            AggregateFn::Max => "max".into(),
            AggregateFn::Min => "min".into(),
            AggregateFn::Sum => "sum".into(),
            AggregateFn::Mean => "mean".into(),
            AggregateFn::Median => "median".into(),
            AggregateFn::Percentile(p) => format!("percentile {}", p.percent()),
        }
    }

    /// Computed by numbering the values in order (`compile::median`), not by an aggregate.
    pub fn is_ranked(self) -> bool {
        matches!(self, AggregateFn::Median | AggregateFn::Percentile(_))
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
        /// A standardised figure: directly (band by band, weighted by a standard population)
        /// or indirectly (over the events expected at reference rates).
        standardised: Option<Standardised>,
    },
    /// max/min/sum/mean/median of an expression over a row set, or with `distinct`, over
    /// the distinct values of that column (each entity once, its value read from its rows).
    Aggregate { func: AggregateFn, expr: Expr, rows: RowSet, distinct: Option<String> },
    /// Arithmetic over other measures' values.
    Derived { expr: Expr },
    /// A ratio of two sums over a row set: the sum of `numerator` over the rows meeting
    /// `meets` (all rows when absent) over the sum of `denominator`, × 100 for a percent.
    SumRatio { rows: RowSet, numerator: Expr, denominator: Expr, meets: Option<Expr>, percent: bool },
}

/// How a rate is standardised for the age of its population.
#[derive(Clone, Debug, PartialEq)]
pub enum Standardised {
    Direct(Standardisation),
    Indirect(Indirect),
}

/// An indirectly standardised figure: the events counted (observed, O) over those expected,
/// E = Σ nₖ·xₖ/Nₖ, the population's bands at the reference's rates; a ratio O/E × the rate's
/// `per`, or with `rate` a rate O/E × the reference's overall rate per `per`.
#[derive(Clone, Debug, PartialEq)]
pub struct Indirect {
    pub reference: String,
    pub rate: bool,
}

/// How a directly standardised rate weighs its bands: `by`, the band of each counted row
/// (text, the population's `age_group` labels), and the standard population's bands.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardisation {
    pub by: Expr,
    /// The standard's name (`esp2013`, or a project's `standard`).
    pub standard: String,
    pub bands: Vec<StandardBand>,
}

/// One band of a standard population: its label and its weight.
#[derive(Clone, Debug, PartialEq)]
pub struct StandardBand {
    pub label: String,
    pub weight: f64,
}

/// The column of a population's (or a reference's) source naming each row's age group, which a
/// standardised figure reads its bands by.
pub const AGE_GROUP: &str = "age_group";

/// The column naming an area, in sources and in populations: a breakdown by it divides each
/// area's count by the area's own population.
pub const AREA_CODE: &str = "area_code";

/// The 2013 European Standard Population: nineteen five-year bands, `0-4` to `85-89` and
/// `90+`, weighing 100,000 in all (Eurostat, 2013).
pub const ESP2013: &[(&str, f64)] = &[
    ("0-4", 5000.0),
    ("5-9", 5500.0),
    ("10-14", 5500.0),
    ("15-19", 5500.0),
    ("20-24", 6000.0),
    ("25-29", 6000.0),
    ("30-34", 6500.0),
    ("35-39", 7000.0),
    ("40-44", 7000.0),
    ("45-49", 7000.0),
    ("50-54", 7000.0),
    ("55-59", 6500.0),
    ("60-64", 6000.0),
    ("65-69", 5500.0),
    ("70-74", 5000.0),
    ("75-79", 4000.0),
    ("80-84", 2500.0),
    ("85-89", 1500.0),
    ("90+", 1000.0),
];

impl Definition {
    /// A directly standardised rate's bands, if this is one.
    pub fn standardisation(&self) -> Option<&Standardisation> {
        match self {
            Definition::Rate { standardised: Some(Standardised::Direct(st)), .. } => Some(st),
            _ => None,
        }
    }

    /// An indirectly standardised figure's reference, if this is one.
    pub fn indirect(&self) -> Option<&Indirect> {
        match self {
            Definition::Rate { standardised: Some(Standardised::Indirect(x)), .. } => Some(x),
            _ => None,
        }
    }

    pub fn rows(&self) -> Option<&RowSet> {
        match self {
            Definition::Count { rows, .. }
            | Definition::Proportion { rows, .. }
            | Definition::Rate { rows, .. }
            | Definition::Aggregate { rows, .. }
            | Definition::SumRatio { rows, .. } => Some(rows),
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
            Definition::Derived { .. } | Definition::SumRatio { .. } => None,
        }
    }

    /// The measures the definition is calculated from, by name, each once: those `calculate`
    /// names, and the count a `rate of` takes its rows from.
    pub fn measures_read(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let named = self.exprs().into_iter().flat_map(Expr::measure_refs);
        let of = match self {
            Definition::Rate { of_measure: Some(of), .. } => Some(of.clone()),
            _ => None,
        };
        for name in named.chain(of) {
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    /// Every expression of the definition: the event's date, filters and exclusions, the
    /// numerator, the value or sums, a derived measure's arithmetic, a standardised rate's band.
    pub fn exprs(&self) -> Vec<&Expr> {
        let mut out: Vec<&Expr> = Vec::new();
        if let Some(rows) = self.rows() {
            if let Selection::EventIn(e) = &rows.selection {
                out.push(e);
            }
            out.extend(rows.filters.iter().chain(&rows.exclusions));
        }
        match self {
            Definition::Proportion { numerator, .. } => out.push(numerator),
            Definition::Aggregate { expr, .. } | Definition::Rate { summed: Some(expr), .. } => out.push(expr),
            Definition::SumRatio { numerator, denominator, meets, .. } => {
                out.extend([numerator, denominator]);
                out.extend(meets);
            }
            Definition::Derived { expr } => out.push(expr),
            _ => {}
        }
        if let Some(st) = self.standardisation() {
            out.push(&st.by);
        }
        out
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
    DateTime,
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
            Type::DateTime => "a date-time",
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
            ExprKind::Named { expr, .. } => vec![expr],
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

    /// The value of a whole number written in the rule: a literal, possibly negated, or
    /// whole numbers added, subtracted or multiplied (`12`, `-12`, `-65 * 12`).
    pub fn whole_number(&self) -> Option<i64> {
        match &self.kind {
            ExprKind::Literal(Value::Int(i)) => Some(*i),
            ExprKind::Neg(inner) => inner.whole_number()?.checked_neg(),
            ExprKind::Binary { op, left, right } => {
                let (l, r) = (left.whole_number()?, right.whole_number()?);
                match op {
                    BinaryOp::Add => l.checked_add(r),
                    BinaryOp::Sub => l.checked_sub(r),
                    BinaryOp::Mul => l.checked_mul(r),
                    _ => None,
                }
            }
            ExprKind::Named { expr, .. } => expr.whole_number(),
            _ => None,
        }
    }

    /// The named values this expression reads, outermost first, each once.
    pub fn named_values(&self) -> Vec<(&str, &Expr)> {
        let mut out: Vec<(&str, &Expr)> = Vec::new();
        self.walk(&mut |x| {
            if let ExprKind::Named { name, expr } = &x.kind {
                if !out.iter().any(|(n, _)| n == name) {
                    out.push((name, expr));
                }
            }
        });
        out
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
    /// A column of the row the measure's row looks up through `path`, one source after
    /// another (`header.DOB`: `["header"]`; `requests.children.date_of_birth`: the row of
    /// `children` the row of `requests` looks up); missing when a step finds no row.
    LookupColumn {
        path: Vec<String>,
        name: String,
    },
    /// A named value (`let name = ...`) read where it stands: its expression, scoped to the
    /// row it is read of.
    Named {
        name: String,
        expr: Box<Expr>,
    },
    /// A column of the row's adjacent row (`earlier.request_date`, with `previous earlier by
    /// ...` declared on the row's source); missing when there is none.
    AdjacentColumn {
        relation: String,
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
            e.any(&|x| {
                matches!(
                    x.kind,
                    ExprKind::Column { scope: None, .. }
                        | ExprKind::LookupColumn { .. }
                        | ExprKind::AdjacentColumn { .. }
                )
            })
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
    /// A funnel unit's label (`crate::funnel::Significance`), as text.
    Funnel,
}

impl RagOperand {
    pub const NAMES: &'static [&'static str] = &["value", "target", "benchmark", "england", "previous", "funnel"];

    pub fn parse(text: &str) -> Option<RagOperand> {
        Some(match text {
            "value" => RagOperand::Value,
            "target" => RagOperand::Target,
            "benchmark" => RagOperand::Benchmark,
            "england" => RagOperand::England,
            "previous" => RagOperand::Previous,
            "funnel" => RagOperand::Funnel,
            _ => return None,
        })
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
    /// `version N`: the figure as that version of the measure computes it, in every period.
    pub version: Option<u32>,
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
    /// A year by its label in its reporting calendar: `2012-13`, `2012` or `2012/13`.
    Year(String),
    /// A quarter by its label: `2013-14 Q2`, `2013 Q3`, `2013/14 Q1`.
    Quarter(String),
    /// A month by its label: `2013-09`.
    Month(String),
    /// The book's year to date.
    Ytd,
}

impl PeriodRef {
    /// The label of the result rows this names (`None` for the year to date, which is named
    /// by its kind).
    pub fn label(&self) -> Option<&str> {
        match self {
            PeriodRef::Year(l) | PeriodRef::Quarter(l) | PeriodRef::Month(l) => Some(l),
            PeriodRef::Ytd => None,
        }
    }
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
    /// The version of the definition the value was computed with.
    DefinitionVersion,
}

impl Field {
    pub const NAMES: &'static [&'static str] =
        &["value", "numerator", "denominator", "target", "rag", "direction", "judgement", "definition_version"];

    pub fn parse(text: &str) -> Option<Field> {
        Some(match text {
            "value" => Field::Value,
            "numerator" => Field::Numerator,
            "denominator" => Field::Denominator,
            "target" => Field::Target,
            "rag" => Field::Rag,
            "direction" => Field::Direction,
            "judgement" => Field::Judgement,
            "definition_version" => Field::DefinitionVersion,
            _ => return None,
        })
    }

    /// As written in a test: `value`, `definition_version`.
    pub fn name(self) -> &'static str {
        match self {
            Field::Value => "value",
            Field::Numerator => "numerator",
            Field::Denominator => "denominator",
            Field::Target => "target",
            Field::Rag => "rag",
            Field::Direction => "direction",
            Field::Judgement => "judgement",
            Field::DefinitionVersion => "definition_version",
        }
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
