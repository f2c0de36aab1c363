//! Human names for grammar rules, so a syntax error says "expected a column type" rather
//! than "expected column_type".

use super::grammar::Rule;

/// Where in a file the parser was, judged by what it expected; each context has the words
/// that may stand there, for "did you mean".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    TopLevel,
    MeasureClause,
    ColumnOption,
    TestEntry,
    Other,
}

pub const TOP_LEVEL_WORDS: &[&str] =
    &["source", "population", "reference", "standard", "calendar", "theme", "measure", "test"];
pub const CLAUSE_WORDS: &[&str] = &[
    "ref",
    "title",
    "description",
    "theme",
    "unit",
    "precision",
    "count",
    "percent",
    "rate",
    "ratio",
    "max",
    "min",
    "sum",
    "mean",
    "median",
    "percentile",
    "calculate",
    "expected",
    "funnel",
    "in",
    "open",
    "latest",
    "first",
    "follow",
    "reported",
    "where",
    "excluding",
    "meeting",
    "per",
    "cumulative",
    "by",
    "polarity",
    "interval",
    "target",
    "rag",
    "benchmark",
    "numerator",
    "denominator",
    "hidden",
    "version",
];
pub const COLUMN_OPTION_WORDS: &[&str] =
    &["key", "from", "format", "missing", "map", "lookup", "spans", "snapshot", "let", "previous", "next"];
pub const TEST_WORDS: &[&str] = &["given", "as", "expect"];

pub fn context(positives: &[Rule]) -> Context {
    let has = |r: Rule| positives.contains(&r);
    // pest reports the innermost rules it tried, which are the keywords.
    if has(Rule::kw_polarity) && has(Rule::kw_ref) {
        Context::MeasureClause
    } else if has(Rule::kw_source) && has(Rule::kw_measure) {
        Context::TopLevel
    } else if has(Rule::kw_key) && has(Rule::kw_map) {
        Context::ColumnOption
    } else if has(Rule::kw_expect) && has(Rule::kw_given) {
        Context::TestEntry
    } else {
        Context::Other
    }
}

impl Context {
    pub fn words(self) -> &'static [&'static str] {
        match self {
            Context::TopLevel => TOP_LEVEL_WORDS,
            Context::MeasureClause => CLAUSE_WORDS,
            Context::ColumnOption => COLUMN_OPTION_WORDS,
            Context::TestEntry => TEST_WORDS,
            Context::Other => &[],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Context::TopLevel => "a `source`, `population`, `reference`, `standard`, `calendar`, `theme`, `measure` or `test`",
            Context::MeasureClause => "a measure clause (`ref`, `title`, `count`, `percent of`, `in period by`, `where`, `polarity`, `target`, `rag`, `benchmark`, ...), `version` or `}`",
            Context::ColumnOption => "a column option (`key`, `from`, `format`, `missing`, `map`), another column, `spans`, `snapshot at`, `lookup`, `let`, `previous`, `next`, or `}`",
            Context::TestEntry => "`given`, `as of`, `expect` or `}`",
            Context::Other => "",
        }
    }
}

/// The human name of one rule.
pub fn human(rule: Rule) -> String {
    let name = format!("{rule:?}");
    if let Some(word) = name.strip_prefix("kw_") {
        return format!("`{word}`");
    }
    let text = match rule {
        Rule::ident => "a name",
        Rule::string | Rule::string_text => "a quoted string",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::number | Rule::unsigned | Rule::quantity => "a number",
        Rule::percent_sign => "`%`",
        Rule::column_type => "a column type",
        Rule::optional_mark => "`?`",
        Rule::column_decl => "a column declaration",
        Rule::spans_decl => "`spans`",
        Rule::snapshot_decl => "`snapshot at`",
        Rule::lookup_decl => "`lookup SOURCE by COLUMN`",
        Rule::subset_of => "`from SOURCE where ...`",
        Rule::let_decl => "`let NAME = EXPRESSION`",
        Rule::adjacent_decl | Rule::adjacent_kind => "`previous NAME by COLUMN order by DATE_COLUMN`",
        Rule::percentile_at => "`percentile P`",
        Rule::ratio_clause => "`ratio of SOURCE`",
        Rule::sum_part_clause | Rule::sum_part => "`numerator sum EXPRESSION` or `denominator sum EXPRESSION`",
        Rule::hidden_clause => "`hidden`",
        Rule::expect_version => "`version N`",
        Rule::version_block => "`version N from DATE \"release note\" { ... }`",
        Rule::map_entry => "a value mapping (`\"raw\" -> value`)",
        Rule::holidays_ref => "`holidays(\"...\")`",
        Rule::measure => "a measure",
        Rule::expr => "an expression",
        Rule::literal => "a value",
        Rule::path => "a column name",
        Rule::call => "a function call",
        Rule::paren => "`(`",
        Rule::exists_expr => "`exists`",
        Rule::related_expr | Rule::related_fn => {
            "an aggregate over related rows (`count SOURCE as ALIAS where ...`, `latest X of SOURCE ...`)"
        }
        Rule::related_value => "the value to aggregate (`latest p.DECOM of ...`)",
        Rule::by_item => "a breakdown (`COLUMN`, or `NAME = EXPRESSION`)",
        Rule::by_label => "the breakdown's label (`\"Legal status\"`)",
        Rule::open_at_end => "`at period end`",
        Rule::open_during => "`during period`",
        Rule::op_or | Rule::op_and => "`and`/`or`",
        Rule::op_eq | Rule::op_ne | Rule::op_lt | Rule::op_le | Rule::op_gt | Rule::op_ge => "a comparison",
        Rule::op_add | Rule::op_sub | Rule::op_mul | Rule::op_div => "an operator",
        Rule::op_not => "`not`",
        Rule::op_neg => "`-`",
        Rule::is_missing | Rule::is_not_missing => "`is missing`",
        Rule::in_list | Rule::not_in_list => "`in (...)`",
        Rule::per_spec | Rule::per_clause => "`per N POPULATION`",
        Rule::expected_clause => "`expected of POPULATION at REFERENCE rates`",
        Rule::expected_times => "`times N`",
        Rule::funnel_clause => "`funnel by BREAKDOWN`",
        Rule::overdispersed => "`overdispersed`",
        Rule::expected_per => "`per N`",
        Rule::reference_decl => "`reference NAME from SOURCE`",
        Rule::standardised => "`standardised by BAND using STANDARD`",
        Rule::standard_decl => "`standard NAME { \"BAND\" WEIGHT, ... }`",
        Rule::standard_band => "a band and its weight (`\"0-4\" 5000`)",
        Rule::per_year => "`per year`",
        Rule::rag_when => "a RAG rule (`green when ...`)",
        Rule::rag_otherwise => "`otherwise`",
        Rule::benchmark_figure | Rule::benchmark_method | Rule::benchmark_published => {
            "a benchmark (`sn 25%`, `england 26`, `published SOURCE.COLUMN`)"
        }
        Rule::from_fy_start => "`from year start`",
        Rule::since_date => "`since DATE`",
        Rule::distinct_of => "`distinct COLUMN from`",
        Rule::aggregate_fn => "`max`, `min`, `sum`, `mean`, `median` or `percentile P`",
        Rule::table | Rule::table_row | Rule::table_cell => "a table row",
        Rule::year_label => "a year (2013-14, 2013 or 2013/14)",
        Rule::month_label => "a month (2013-09)",
        Rule::quarter_no => "a quarter (Q1 to Q4)",
        Rule::breakdown_sel => "`by COLUMN VALUE`",
        Rule::expect_field => "a field (`value`, `numerator`, `denominator`, `rag`, `direction`)",
        Rule::expect_value => "an expected value",
        Rule::EOI => "the end of the file",
        _ => return name.replace('_', " "),
    };
    text.to_string()
}

/// "a name, `(` or a number": the expected things, deduplicated, in a readable list.
pub fn describe_expected(positives: &[Rule]) -> String {
    let ctx = context(positives);
    if ctx != Context::Other {
        return ctx.describe().to_string();
    }
    let mut names: Vec<String> = Vec::new();
    for r in positives {
        let h = human(*r);
        if !names.contains(&h) {
            names.push(h);
        }
    }
    match names.len() {
        0 => "something else".to_string(),
        1 => names.remove(0),
        _ => {
            let last = names.pop().unwrap_or_default();
            format!("{} or {}", names.join(", "), last)
        }
    }
}
