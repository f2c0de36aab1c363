//! Every diagnostic code, with its long explanation, in one place.
//! `scorebook explain CODE` prints these; docs/diagnostics.md is generated from the same table
//! ([`reference_markdown`]).

use super::Severity;
use serde::Serialize;

/// The long explanation of a code, under fixed headings.
#[derive(Clone, Copy, Debug)]
pub struct Explanation<T = &'static str> {
    pub title: T,
    pub meaning: T,
    pub example: T,
    pub fix: T,
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $title:literal,
        meaning: $meaning:literal, example: $example:literal, fix: $fix:literal; )*) => {
        /// A stable diagnostic code. Codes are never renumbered or reused.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev),* }
            }

            pub fn explanation(self) -> Explanation {
                match self {
                    $(Code::$variant => Explanation {
                        title: $title, meaning: $meaning, example: $example, fix: $fix,
                    }),*
                }
            }
        }
    };
}

impl Code {
    /// Looks a code up by its text, case-insensitively (`sb201`, `SB201`).
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Raised by `check` (every such code has an example in the invalid corpus); the others
    /// are raised when tests run.
    pub fn raised_by_check(self) -> bool {
        self != Code::TestFailed
    }

    /// The explanation with its generated parts filled in: `{functions}` is the language's
    /// list of functions (`crate::functions`), so `explain`, hovers and docs/diagnostics.md
    /// list the functions the checker knows.
    pub fn explanation_filled(self) -> Explanation<String> {
        let e = self.explanation();
        let fill = |text: &str| text.replace("{functions}", &crate::functions::reference());
        Explanation { title: e.title.to_string(), meaning: fill(e.meaning), example: fill(e.example), fix: fill(e.fix) }
    }

    /// The explanation as `explain` prints it.
    pub fn render_explanation(self) -> String {
        let e = self.explanation_filled();
        format!(
            "{code}: {title} ({severity})\n\n## What it means\n{meaning}\n\n## Example\n{example}\n\n## How to fix it\n{fix}\n",
            code = self.as_str(),
            title = e.title,
            severity = match self.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            meaning = e.meaning.trim(),
            example = e.example.trim_matches('\n'),
            fix = e.fix.trim(),
        )
    }
}

/// Every code's explanation as one Markdown page: `docs/diagnostics.md` is this text (a test
/// keeps it so).
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Diagnostics\n\nEvery problem `scorebook check` finds has a code. This page is generated from the\n\
         table `scorebook explain CODE` prints (src/diagnostics/codes.rs); each code `check` raises has\n\
         a file that raises it under `tests/corpus/invalid/`.\n",
    );
    for code in Code::ALL {
        let e = code.explanation_filled();
        let severity = match code.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "\n## {code}: {title}\n\n*{severity}.* {meaning}\n\n```text\n{example}\n```\n\n{fix}\n",
            title = e.title,
            meaning = e.meaning.trim(),
            example = e.example.trim_matches('\n'),
            fix = e.fix.trim(),
        ));
    }
    out
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

codes! {
    // ------------------------------------------------------------------ reading and syntax
    Syntax = "SB100", Error, "syntax error",
        meaning: "The file does not follow the grammar of the rules language at this point: the parser expected one thing and found another (a missing brace, a word left out of a clause, a stray character). A file holds these items, in any order:\n\n- `source NAME [\"description\"] { ... }`: one entry a line, each a column (`NAME TYPE[?] [key] [from \"Header\"] [format \"...\"] [missing \"c\", ...] [map \"raw\" -> value, ...]`), `spans START .. END`, `snapshot at COLUMN`, `lookup SOURCE by COLUMN`, `previous NAME by COLUMN order by DATE` (or `next`), or `let NAME = EXPRESSION`;\n- `source NAME [\"description\"] from SOURCE [where CONDITION] [excluding CONDITION] [{ let NAME = EXPRESSION ... }]`: a subset;\n- `population NAME from SOURCE [where CONDITION]`;\n- `calendar NAME = weekdays [except holidays(\"england_and_wales\")]`;\n- `measure NAME { ... }`: one definition (`count`, `percent of`, `ratio of`, `rate of`, `max`/`min`/`sum`/`mean`/`median EXPRESSION of`, `percentile P EXPRESSION of`, `calculate`) and its clauses (`ref`, `title`, `in period by`, `where`, `meeting`, `numerator sum`, `by`, `polarity`, `target`, `rag`, `benchmark`, `hidden`, ...);\n- `theme \"Name\" { measure ... }`;\n- `test \"name\" { given SOURCE { table } ... as of DATE expect MEASURE for PERIOD = VALUE ... }`.",
        example: "measure new_cafs {\n  count early_help\n  in period start_date      # `by` is missing\n}",
        fix: "Write what the message says was expected. `in period by COLUMN` names the date column that places a row in a period. docs/language.md describes each item and clause.";
    UnterminatedString = "SB101", Error, "unterminated string",
        meaning: "A quoted string starts with `\"` but the line ends before the closing `\"`. Strings cannot span lines.",
        example: "title \"Children in need per 10,000",
        fix: "Close the string with `\"` on the same line. Write a quote inside a string as `\\\"`.";
    UnknownClause = "SB102", Error, "unknown keyword",
        meaning: "A word stands where a keyword of the language is expected and it is not one: a misspelt clause in a measure, an option a column does not have (also when it is the last word of the column's line), an unknown top-level item.",
        example: "measure cin_at_point {\n  polarty in_line_with_benchmark\n}",
        fix: "Correct the spelling (`polarity`), or remove the line. `scorebook explain SB100` lists where each kind of item may stand.";
    InvalidDate = "SB103", Error, "invalid date",
        meaning: "A date literal is written as YYYY-MM-DD but is not a day of the calendar: there is no such day.",
        example: "cumulative since 2013-02-30",
        fix: "Write a real date, for example `2013-02-28`.";
    InvalidNumber = "SB104", Error, "invalid number",
        meaning: "A number is too large, or a count that must be whole (`precision`, say) is written as a fraction.",
        example: "precision 1.5",
        fix: "Write a whole number where a count is expected (`precision 1`), and keep figures within 15 significant digits.";
    NotUtf8 = "SB105", Error, "file is not UTF-8",
        meaning: "Rule files are read as UTF-8 text. This file holds bytes that are not valid UTF-8, often because it was saved by a program using a Windows code page.",
        example: "title \"Caf\\xE9 visits\"   # byte 0xE9 saved in Windows-1252",
        fix: "Save the file as UTF-8 (in Excel or Notepad: Save As, encoding UTF-8).";
    TooDeep = "SB106", Error, "nesting too deep",
        meaning: "Parentheses or braces are nested more deeply than any rule needs (over 200 levels). The parser refuses such input rather than running out of stack.",
        example: "where ((((((((((((... x = 1 ...))))))))))))",
        fix: "Remove the redundant parentheses.";

    // ------------------------------------------------------------------ names
    UnknownSource = "SB200", Error, "unknown source",
        meaning: "A measure, population, test or `exists` names a source that no file of the project declares.",
        example: "count referals\nin period by referral_date",
        fix: "Correct the name, or declare the source with `source NAME { ... }` in one of the project's files.";
    UnknownColumn = "SB201", Error, "unknown column",
        meaning: "A name is used as a column (in a condition, a value, a selection or a breakdown), but the source it refers to does not declare a column of that name.",
        example: "count referrals\nin period by referal_date",
        fix: "Correct the spelling, or add the column to the source declaration.";
    UnknownMeasure = "SB202", Error, "unknown measure",
        meaning: "A derived measure, a rate or a test expectation refers to a measure that the project does not define.",
        example: "rate of cin_at_pont per 10000 children_0_17",
        fix: "Use the measure's name (the word after `measure`), not its ref or title.";
    UnknownPopulation = "SB203", Error, "unknown population",
        meaning: "A rate divides by a population that no file declares.",
        example: "per 10000 children",
        fix: "Declare it: `population children_0_17 from population where age_group = \"0-17\"`, or correct the name.";
    UnknownFunction = "SB204", Error, "unknown function",
        meaning: "An expression calls a function the language does not have. `max(a, b)` of two values, as Excel writes it, is `greatest(a, b)` here (`max` and `min` aggregate rows). The functions are:\n\n{functions}",
        example: "where add_month(start_date, 15) < period_end",
        fix: "Use one of the language's functions; `add_months(start_date, 15)` here.";
    DuplicateName = "SB205", Error, "duplicate name",
        meaning: "Two sources, populations, calendars or measures of the project share a name. Names are global across all files of a project.",
        example: "measure new_cafs { ... }\nmeasure new_cafs { ... }",
        fix: "Rename one of them.";
    DuplicateRef = "SB206", Error, "duplicate ref",
        meaning: "Two measures carry the same `ref`. The ref identifies a measure in the book and in every output, so it must be unique.",
        example: "measure a { ref \"3.2\" ... }\nmeasure b { ref \"3.2\" ... }",
        fix: "Give each measure its own ref.";
    DuplicateColumn = "SB207", Error, "duplicate column",
        meaning: "A source declares the same column twice.",
        example: "source referrals {\n  team text\n  team text\n}",
        fix: "Remove one of the declarations.";
    UnknownType = "SB208", Error, "unknown column type",
        meaning: "A column is declared with a type the language does not have. The types are `text`, `int`, `decimal`, `bool` and `date`, each optionally followed by `?` when values may be missing.",
        example: "referral_date datetime",
        fix: "Use one of the types, for example `date`.";
    UnknownAlias = "SB209", Error, "unknown qualifier",
        meaning: "A qualified name `x.column` uses a qualifier that is none of the alias of an enclosing `exists` or aggregate, the row's own source, a source the row's source has looked up (`lookup SOURCE by COLUMN`, one after another: `requests.children.date_of_birth`), or its adjacent rows (`previous NAME ...`). A source that is declared but not looked up from the row's source is named as such.",
        example: "exists referrals as earlier where erlier.child_id = child_id
where pupils.year_group = 11          # no `lookup pupils by pupil_id` in this source",
        fix: "Use the alias given after `as`, or the source's name; to read another source's row, declare `lookup SOURCE by COLUMN` in the row's source, where COLUMN holds that source's key.";
    UnknownValue = "SB210", Error, "unknown value",
        meaning: "A clause takes one of a fixed set of words and this is not one of them: polarity (`high`, `low`, `in_line_with_benchmark`, `none`), unit (`count`, `percent`, `rate_per_10000`, `number`), RAG colours (`red`, `amber`, `green`), benchmark kinds (`sn`, `england`, `la`), statistical-neighbour averages (`mean`, `median`), holiday lists (`england_and_wales`), or a test's expected field.",
        example: "polarity higher",
        fix: "Use one of the listed words.";
    UnknownStandard = "SB211", Error, "unknown standard population",
        meaning: "A directly standardised rate (`per 100000 pop standardised by age_band using STANDARD`) names a standard population that is neither built in (`esp2013`, the 2013 European Standard Population) nor declared with `standard NAME { ... }` in one of the project's files.",
        example: "per 100000 pop standardised by age_band using esp2031",
        fix: "Use `esp2013`, or declare the standard: `standard esp2013_under_75 { \"0-4\" 5000, \"5-9\" 5500, ... }`.";
    UnknownReference = "SB212", Error, "unknown reference",
        meaning: "An indirectly standardised measure (`expected of POPULATION at REFERENCE rates`) names reference rates that no file declares with `reference NAME from SOURCE`.",
        example: "expected of residents at englnd rates",
        fix: "Declare the reference, `reference england from england_mortality where cause = \"cvd\"`, over a source with `year`, `age_group`, `events` and `population`, or correct the name.";

    // ------------------------------------------------------------------ types and units
    TypeMismatch = "SB300", Error, "type mismatch",
        meaning: "An operator is applied to values of types that do not go together: a date compared with a number, text added to a number, a percentage compared with a date. (A literal of the wrong type for a column is SB305.)",
        example: "where referral_date > caseload      # caseload is a number",
        fix: "Compare like with like: dates with dates (`referral_date > 2013-04-01`), numbers with numbers.";
    NotACondition = "SB301", Error, "not a condition",
        meaning: "A `where`, `excluding`, `meeting`, `exists ... where` or RAG `when` needs a true/false test, and this expression is a number, text or date.",
        example: "where team",
        fix: "Write a comparison, for example `where team = \"cat\"`, or test a bool column directly.";
    WrongArity = "SB302", Error, "wrong number of arguments",
        meaning: "A function is called with more or fewer arguments than it takes.",
        example: "working_days(start_date)",
        fix: "Give the function its arguments: `working_days(from, to)`, `add_months(date, n)`, `add_days(date, n)`.";
    WrongArgumentType = "SB303", Error, "wrong argument type",
        meaning: "A function argument has the wrong type: a text column passed where a date is needed, a date-time where a date is wanted (or a date where seconds between date-times are), or months that are not a whole number written in the rule in `add_months` (`-65 * 12` is one).",
        example: "add_months(team, 12)
add_days(clock_start, 1)      # clock_start is a date-time",
        fix: "Pass a value of the type the message names; the date of a date-time is `date(x)`.";
    UnitMismatch = "SB304", Error, "unit mismatch",
        meaning: "A figure's unit does not fit the measure: a percentage target on a count, a `unit` clause that contradicts the measure's form, a percentage compared with a count.",
        example: "count early_help\nin period by start_date\ntarget 75%",
        fix: "Write the figure in the measure's unit (`target 75` for a count), or correct the `unit` clause.";
    LiteralType = "SB305", Error, "value does not fit the column",
        meaning: "A literal is compared with, or listed against, a column of another type: text for a bool, a number for a date.",
        example: "where disability = \"yes\"      # disability is bool",
        fix: "Write the value in the column's type: `true`/`false` for bool, a date as YYYY-MM-DD, a number without quotes.";
    NotAllowedHere = "SB306", Error, "name not allowed here",
        meaning: "A name or form is used where it has no meaning: a column inside a RAG rule (which sees only `value`, `target`, `benchmark`, `england` and `previous`); `period_end` in a derived measure; a measure name inside a row condition; `working_days`, `exists` or an aggregate over related rows outside a measure's conditions (a subset's `where` sees its parent's columns, named values and lookups; a population's only its source's columns); a named value reading the period, related rows or adjacent rows where they cannot be read (in a subset's filter, or through a lookup or an alias); `working_days` over the dates of the rows an `exists` or aggregate looks at (working days are counted between a measure's own dates).",
        example: "rag green when caseload <= 30, otherwise red\npopulation looked_after from episodes where exists header as h where h.CHILD = CHILD",
        fix: "Use the names the context offers: in RAG rules, `value` is the measure's value; in a population's or subset's `where`, the source's own columns; move conditions on other sources into the measures that use them.";

    BandBounds = "SB307", Error, "bands need labels between increasing bounds",
        meaning: "`band(value, label, bound, label, ..., label)` puts a value in the band whose bounds hold it: below the first bound it takes the first label, from one bound up to the next the label between them, from the last bound up the last label. Labels are text in quotes and bounds are numbers (or dates) written in the rule, each above the one before: bounds out of order, or labels and bounds not in turn, are refused.",
        example: "by age_band = band(age(header.DOB, period_end), \"under 5\", 5, \"under 1\", 1, \"5 and over\")",
        fix: "Write the labels and bounds in turn, lowest first: `band(age(header.DOB, period_end), \"under 1\", 1, \"1 to 4\", 5, \"5 and over\")`.";
    RelatedValue = "SB308", Error, "aggregate over related rows needs a value, or takes none",
        meaning: "An aggregate over related rows is `count SOURCE as ALIAS where ...` (the number of rows) or `FUNCTION VALUE of SOURCE as ALIAS where ...`, where `latest` and `earliest` take a date of the related row and `max`, `min`, `sum` and `mean` a number. `count` takes no value; the others need one.",
        example: "where (latest episodes as e where e.CHILD = CHILD) <= add_months(period_end, -30)",
        fix: "Name the value: `latest e.DECOM of episodes as e where e.CHILD = CHILD`; for the number of rows write `count episodes as e where ...`.";

    // ------------------------------------------------------------------ measure structure
    NoDefinition = "SB400", Error, "measure has no definition",
        meaning: "A measure must say what it computes: `count`, `percent of`, `ratio of`, `rate of`, an aggregate (`max`, `min`, `sum`, `mean`, `median`, `percentile P`) or `calculate`; `percent of` also says which rows are its numerator, with `meeting CONDITION`, or gives a ratio of two sums with both `numerator sum EXPRESSION` and `denominator sum EXPRESSION` (as `ratio of` must).",
        example: "measure new_cafs {\n  ref \"4.2\"\n  title \"Number of new CAFs\"\n}",
        fix: "Add the definition, for example `count early_help` with `in period by start_date`.";
    TwoDefinitions = "SB401", Error, "measure has two definitions",
        meaning: "A measure holds more than one of `count`, `percent of`, `rate of`, an aggregate or `calculate`.",
        example: "count referrals\npercent of referrals",
        fix: "Keep one definition; make a second measure for the other.";
    DuplicateClause = "SB402", Error, "clause given twice",
        meaning: "A clause that may appear once in a measure (ref, title, polarity, target, a selection such as `in period by`) appears twice: the duplicate would silently win or lose.",
        example: "polarity high\npolarity low",
        fix: "Remove one. Several `where` or `excluding` clauses are allowed: they all apply.";
    ClauseNotAllowed = "SB403", Error, "clause does not fit this measure",
        meaning: "The clause has no meaning for the measure's form: `meeting` belongs to `percent of`; `per` to a count; selections, filters and breakdowns to measures over a source, not to `calculate`; `funnel by` to a percentage, or to a count's rate by `area_code`, each area over its own population.",
        example: "count referrals\nin period by referral_date\nmeeting nfa",
        fix: "Remove the clause, or change the measure's form (`percent of referrals` ... `meeting nfa`).";
    NotADateColumn = "SB404", Error, "not a date column",
        meaning: "`in period by` needs a date: a column of type `date` or `datetime` (whose date places the row), or a named value that is one; `spans` and `snapshot at` need `date` columns, and `previous ... order by` a `date` or `datetime` column.",
        example: "in period by team",
        fix: "Name a date column, for example `in period by referral_date`, or a named date (`let due = add_days(start_date, 91)`).";
    NoSpans = "SB405", Error, "source cannot answer this selection",
        meaning: "`open at period end` needs the source to declare `spans START .. END`; `latest snapshot` needs `snapshot at COLUMN`.",
        example: "source cin_episodes { ... }   # no spans\ncount cin_episodes\nopen at period end",
        fix: "Declare the columns in the source: `spans start_date .. end_date`, or `snapshot at snapshot_date`.";
    Cycle = "SB406", Error, "cycle between measures",
        meaning: "Derived measures and rates refer to each other in a loop, so none of them can be computed.",
        example: "measure a { calculate b + 1 }\nmeasure b { calculate a * 2 }",
        fix: "Break the loop: one of the measures must be defined from a source.";
    RateOfNonCount = "SB407", Error, "rate of a measure that is not a count or a sum",
        meaning: "`rate of M per N POPULATION` divides a count or a sum by a population; M here is a percentage, a rate, or an aggregate other than `sum`.",
        example: "rate of repeat_referrals per 10000 children_0_17",
        fix: "Take the rate of a `count` or `sum` measure, or write `per N POPULATION` under a `count`.";
    WindowIgnored = "SB408", Warning, "window has no effect",
        meaning: "`cumulative from year start` (or `from fy start`) widens the window of an event measure. A measure of what is open at period end, or of the latest snapshot, looks at one day, so the clause is ignored there; only `cumulative since` (which leaves periods before its date empty) changes anything.",
        example: "count cp_plans\nopen at period end\ncumulative from fy start",
        fix: "Remove the clause.";
    NoRef = "SB409", Warning, "measure has no ref",
        meaning: "The book and every output identify a measure by its `ref`. Without one, the measure's name is used.",
        example: "measure new_cafs {\n  count early_help\n  in period by start_date\n}",
        fix: "Add `ref \"4.2\"` (and a `title`).";
    ExistsNeedsKey = "SB410", Error, "exists needs a key",
        meaning: "`exists` decides, for each row of the measure's source, whether some row of another source matches. Rows are told apart by the source's key, so the measure's source must declare one.",
        example: "source workforce { snapshot_date date  post_id text ... }   # no key\npercent of workforce\nmeeting exists workforce as w where ...",
        fix: "Mark the column (or columns) that identify a row with `key`.";
    LookupNeedsKey = "SB411", Error, "lookup needs a key",
        meaning: "`lookup SOURCE by COLUMN` finds, for each row, the one row of SOURCE whose key equals the row's COLUMN. SOURCE must declare exactly one `key` column, of the same type as COLUMN.",
        example: "source header {\n  CHILD  text        # no `key`\n  DOB    date?\n}\nsource episodes {\n  CHILD  text\n  lookup header by CHILD\n}",
        fix: "Mark the column that identifies a row of the looked-up source with `key` (`CHILD text key`).";
    NotPerEntity = "SB412", Error, "value differs between an entity's rows",
        meaning: "A `mean`, `median`, `sum`, `max` or `min` `of distinct COLUMN from SOURCE` takes one value for each distinct COLUMN (each child, say), however many rows it has. Its value may read that column, the rows its lookups find through it (`header.DOB`), aggregates over related rows that relate by it (`latest e.DECOM of episodes as e where e.CHILD = CHILD`), and the period's dates; another column of the rows may differ from one of a child's rows to the next.",
        example: "mean days_between(DECOM, period_end) of distinct CHILD from episodes",
        fix: "Take the value from the child's rows with an aggregate: `mean days_between(latest e.DECOM of episodes as e where e.CHILD = CHILD, period_end) of distinct CHILD from episodes`; or drop `distinct` to average over rows.";
    NestedAggregate = "SB413", Error, "aggregate over related rows nested in another",
        meaning: "`exists` or an aggregate over related rows (`count`, `latest`, ...) stands inside the `where` condition of another: nested, the inner one would be evaluated for every related row of the outer, which the engine does not support.",
        example: "meeting exists referrals as a\n          where a.child_id = child_id\n            and exists referrals as b where b.child_id = a.child_id",
        fix: "Join the conditions with `and` in one aggregate, or compare the outer row's own columns; an aggregate of an aggregate can be written as two conditions of the measure: `(exists referrals as a where ...) and (exists referrals as b where ...)`.";
    AdjacentNeedsKey = "SB414", Error, "adjacent rows need a key",
        meaning: "`previous NAME by COLUMN order by DATE` (or `next`) finds, for each row, the row of the same entity just before (after) it in date order; rows of one day are taken in the order of the source's key, and the source declares none, so which row is \"just before\" would depend on how the file happened to be sorted.",
        example: "source requests {\n  child_id      text?\n  request_date  date\n  previous earlier by child_id order by request_date\n}",
        fix: "Mark the column that identifies a row with `key` (`request_id text key`).";
    Standardisation = "SB415", Error, "standardisation does not fit",
        meaning: "`standardised by BAND using STANDARD` makes a directly standardised rate of a count of rows: each row's band (a text column or named value of the counted rows, holding the population's `age_group` labels) is counted, each band's rate weighted by the standard population's weight. It applies to `count ... per N POPULATION` only (not to `rate of` or a published benchmark), and its population's source needs an `age_group` text column.",
        example: "rate of deaths_in_period per 100000 pop standardised by age_band using esp2013",
        fix: "Write the standardisation on the counting measure: `count deaths in period by date_of_death` then `per 100000 pop standardised by age_band using esp2013`; declare `age_group text` in the population's source; make the band a text value (`let age_band = band(age, ...)`).";
    VersionOutOfOrder = "SB416", Error, "versions out of order",
        meaning: "A measure's later versions are numbered 2, 3, ... in the order written (the measure as first written is version 1), and each takes effect after the one before it: a period is computed with the version in force at its end, which must be one version.",
        example: "version 3 from 2014-04-01 \"15 days\" {\n  meeting working_days(start_date, completed_date) <= 15\n}\nversion 2 from 2013-07-01 \"New exclusion\" { ... }",
        fix: "Number the versions 2, 3, ... and write them in date order.";
    VersionChangesNothing = "SB417", Warning, "version changes nothing",
        meaning: "With its clauses in place of the version before's, the version computes and judges the measure exactly as before: its periods would be marked as a new definition, and the direction of travel left unjudged across it, for nothing.",
        example: "meeting working_days(start_date, completed_date) <= 10\nversion 2 from 2013-07-01 \"Reworded\" {\n  meeting working_days(start_date, completed_date) <= 10\n}",
        fix: "Remove the version, or write the clauses that change.";
    VersionChangesTheMeasure = "SB418", Error, "version changes what the measure is",
        meaning: "A version changes how a measure is computed or judged: its definition over the same source (`meeting`, `where`, `excluding`, the selection, `per`, `cumulative`, sums, an aggregate's expression), `target` and `rag`. What the measure is (`ref`, `title`, `description`, `theme`, `unit`, `precision`, `hidden`, `by`, `funnel by`, `reported by`, `polarity`, `interval`, `benchmark`), its source and the kind of figure it is are the same in every version; a `rate of` follows the versions of the measure it counts.",
        example: "version 2 from 2013-07-01 \"Renamed\" {\n  title \"Assessments within 15 days\"\n}",
        fix: "Write the clause in the measure itself; for another source or kind of figure, define another measure; for a rate, write the version on the counted measure.";
    NoSuchVersion = "SB419", Error, "no such version",
        meaning: "An expectation's `version N` names a version of the measure's definition the measure does not have: the measure as first written is version 1, and each `version N from DATE` block adds the next.",
        example: "expect ia_within_10_days version 3 for month 2013-09 = 50%",
        fix: "Name one of the measure's versions, or remove `version N` to expect the figure of the version in force.";

    // ------------------------------------------------------------------ judgement
    TargetWithoutPolarity = "SB500", Error, "target without polarity",
        meaning: "A target says where a measure should be, but without a polarity (`high` or `low`) the book cannot tell whether being above it is good.",
        example: "count early_help\ntarget 700 per year",
        fix: "Add `polarity high` or `polarity low`.";
    RagContradictsPolarity = "SB501", Error, "RAG rules contradict polarity",
        meaning: "With polarity `high` a higher value must never get a worse colour than a lower value (and the reverse for `low`). These rules rate some value better than a higher (or lower) one.",
        example: "polarity low\nrag green when value >= target, otherwise red",
        fix: "Turn the comparisons round (`green when value <= target` for `low`), or correct the polarity.";
    RagGap = "SB502", Error, "RAG rules leave values with no band",
        meaning: "For some values no RAG rule matches (a gap between the rules' conditions), so the book could show no colour for a value it has.",
        example: "rag green when value > target, red when value < target   # value = target has no band",
        fix: "End the rules with `otherwise COLOUR`, or make the comparisons meet (`>=`).";
    RagUnreachable = "SB503", Error, "unreachable RAG rule",
        meaning: "RAG rules are tried in order and the first match wins; a rule after `otherwise` can never match.",
        example: "rag green when value >= 90, otherwise red, amber when value >= 80",
        fix: "Put `otherwise` last.";
    RagMissingOperand = "SB504", Error, "RAG rule uses a figure the measure lacks",
        meaning: "A RAG rule compares with `target`, `benchmark` or `england`, but the measure declares no such figure.",
        example: "polarity high\nrag green when value >= target, otherwise red   # no target",
        fix: "Add the `target` or `benchmark` clause, or compare with a number.";
    AnnualTargetNotCount = "SB505", Error, "annual target on a measure that is not an event count",
        meaning: "`target N per year` is pro-rated over the months of a period, which only makes sense for a count of events in the period. A percentage, rate or point-in-time count is compared with its target as it stands.",
        example: "percent of member_training\nmeeting trained_date <= period_end\ntarget 90 per year",
        fix: "Write `target 90` (a percentage target holds in every period).";
    NoBenchmark = "SB506", Warning, "polarity needs a benchmark",
        meaning: "Polarity `in_line_with_benchmark` judges the direction of travel by the distance to the benchmark, but the measure has none, so its judgement will always be `not_comparable`.",
        example: "polarity in_line_with_benchmark",
        fix: "Add `benchmark sn FIGURE` or `benchmark published SOURCE.COLUMN`.";
    DuplicateBenchmark = "SB507", Error, "benchmark given twice",
        meaning: "A measure gives the same kind of benchmark (`sn`, `england`, `la`, or a published source) more than once; which of the duplicates is meant is unclear.",
        example: "benchmark sn 25%, sn 26%",
        fix: "Keep one figure of each kind.";
    IntervalMethod = "SB508", Error, "no such interval for this measure",
        meaning: "A measure's confidence interval follows from what it computes: a percentage has the Wilson score interval (`interval wilson`), a count or a rate per N of a population the count's Poisson interval (`interval poisson`: exact below 10 events, Byar's from 10). A mean, median, maximum, minimum, sum or `calculate` has none, and a method of the other kind does not fit.",
        example: "mean days_between(start_date, end_date) of cin_episodes\ninterval poisson",
        fix: "Leave the method out (each measure gets its own), write `interval none` for no interval, or name the method of the measure's kind.";
    ConfidenceLevel = "SB509", Error, "confidence level out of range",
        meaning: "`interval at LEVEL` (and `[statistics] confidence` in scorebook.toml) sets the confidence level in percent: more than 0 and less than 100, such as 95 or 99.8.",
        example: "interval at 100%",
        fix: "Write a level between 0 and 100: `interval at 99.8%`.";
    FunnelLabel = "SB510", Error, "no such funnel label",
        meaning: "A RAG rule compares `funnel` with a text that is not one of the funnel labels PHE gives a unit: `High (0.001)`, `High (0.025)`, `Not significant`, `Low (0.025)`, `Low (0.001)`.",
        example: "rag red when funnel = \"Low (0.01)\", otherwise green",
        fix: "Write one of the five labels exactly: `rag red when funnel = \"Low (0.001)\", amber when funnel = \"Low (0.025)\", otherwise green`.";

    // ------------------------------------------------------------------ sources
    OptionalKey = "SB600", Error, "key column may be missing",
        meaning: "A key column identifies a row and is never missing, so it cannot be declared optional with `?`.",
        example: "referral_id text? key",
        fix: "Remove the `?`; rows without the key are rejected as bad rows when the data is read.";
    BadDateFormat = "SB601", Error, "bad date format",
        meaning: "`format` applies to date and date-time columns only (not text or numbers) and must be a pattern built from `dd`, `mm`, `yyyy` (and `yy`) with separators, such as `dd/mm/yyyy`; a `datetime` column's pattern may add a time of day, `hh:mm` or `hh:mm:ss` (`mm` after `hh` is the minute). A pattern with a time of day on a `date` column is refused (declare it `datetime`, and read its date as `date(x)`), and so is one beginning or ending in a space, which no cell would match: cells are read without the spaces around them.",
        example: "referral_date date format \"dd/mm/yyy\"\narrival date format \"yyyy-mm-dd hh:mm\"",
        fix: "Use a pattern like `dd/mm/yyyy`, `yyyy-mm-dd` or `dd.mm.yyyy` on a date column, or `yyyy-mm-dd hh:mm:ss` on a `datetime` column.";
    MapValueType = "SB602", Error, "value map gives the wrong type",
        meaning: "A value map turns raw export values into the column's values, so every value on the right of `->` must have the column's type.",
        example: "nfa bool map \"a) Yes\" -> \"yes\"",
        fix: "Map to a value of the column's type: `\"a) Yes\" -> true`.";
    PopulationShape = "SB603", Error, "population source lacks a column",
        meaning: "A population reads a source of a fixed shape: a `year` (int, the mid-year) and a `population` (int or decimal) column, and optionally an `area_code` (text).",
        example: "population children_0_17 from referrals",
        fix: "Declare the population source with those columns (use `from \"Header\"` to map a raw header onto them).";
    TwoCalendars = "SB604", Error, "more than one calendar",
        meaning: "`working_days` counts against the project's one working-day calendar; a project declares at most one.",
        example: "calendar a = weekdays\ncalendar b = weekdays except holidays(\"england_and_wales\")",
        fix: "Keep one calendar declaration.";
    NotATable = "SB605", Error, "a subset where a source of its own is needed",
        meaning: "A subset (`source NAME from OTHER where ...`) is a view of another source's rows with no data of its own. Populations, published benchmarks, lookups and test `given` tables read sources that hold data.",
        example: "source care_episodes from episodes excluding LS in (\"V3\", \"V4\")\ntest \"t\" {\n  given care_episodes {\n    CHILD | DECOM\n  }\n}",
        fix: "Name the source the subset is taken from (`given episodes { ... }`); the subset's conditions still apply where the subset is read.";
    StandardShape = "SB606", Error, "standard population not usable",
        meaning: "A `standard NAME { \"BAND\" WEIGHT, ... }` declaration lists each band of a standard population once, with a weight above 0: a band listed twice, a weight of zero and a standard with no bands are refused. `esp2013` is built in and cannot be declared again.",
        example: "standard u75 { \"0-4\" 5000, \"0-4\" 5500 }",
        fix: "Give each band one line and a positive weight; name the standard something other than `esp2013`.";

    // ------------------------------------------------------------------ tests
    RowWidth = "SB700", Error, "table row has the wrong number of cells",
        meaning: "Each row of a `given` table has one cell per column of the header row; a row of another width is refused.",
        example: "given referrals {\n  referral_id | child_id\n  r1          | c1 | extra\n}",
        fix: "Add or remove cells; leave a cell empty for a missing value.";
    BadCell = "SB701", Error, "table cell does not fit its column",
        meaning: "A bad cell: a cell of a `given` table cannot be read as its column's declared type (a date that is not YYYY-MM-DD, a number with letters, a bool other than true/false).",
        example: "referral_date\n2013-13-01",
        fix: "Write the value as the column's type; leave the cell empty for a missing value.";
    AsOf = "SB702", Error, "test needs one as-of date",
        meaning: "A test runs the book as of a date, given once with `as of YYYY-MM-DD`.",
        example: "test \"repeat referrals\" {\n  given referrals { ... }\n  expect repeat_referrals for month 2013-09 = 50%\n}",
        fix: "Add `as of 2013-09-30` (once).";
    BadPeriod = "SB703", Error, "invalid period",
        meaning: "An expectation names a period that cannot exist, or that the run as of the test's date does not report: a month after the as-of date, a year before the last complete one, or the as-of date's own year before it is over (the book reports it so far as `ytd`; as of 31 March, `year` of that year is the `ytd` row).",
        example: "expect new_cafs for month 2013-13 = 4",
        fix: "Name a month as YYYY-MM, a year as 2012-13, a quarter as `quarter 2013-14 Q2`, or `ytd`, within the test's as-of date.";
    ExpectationType = "SB704", Error, "expected value has the wrong type",
        meaning: "The value after `=` in an expectation does not fit the field: `value`, `numerator` and `denominator` take numbers (or `missing`), `rag` takes red/amber/green, `direction` takes up/down/same, `judgement` improving/worsening/no_change/not_comparable (words bare or quoted).",
        example: "expect repeat_referrals for ytd rag = 5",
        fix: "Write a value of the field's kind.";
    TestFailed = "SB708", Error, "test expectation not met",
        meaning: "`scorebook test` ran a test block and the measure's figure for the period is not the one the test expects. A figure matches when the value rounds to it at the places written: `66.7%` matches 66.66..., `67%` does too, `50` matches 50.4 but `50.0` does not.",
        example: "test \"repeat referrals\" {\n  given referrals { ... }\n  as of 2013-09-30\n  expect repeat_referrals for month 2013-09 = 50%   # the run gives 33.3\n}",
        fix: "Decide which is right. If the definition changed on purpose, update the expectation; otherwise correct the measure. `missing` expects no value at all.";
    NoExpectations = "SB705", Warning, "test expects nothing",
        meaning: "A test without `expect` lines (expectations) cannot fail, so it proves nothing.",
        example: "test \"empty\" {\n  as of 2013-09-30\n}",
        fix: "Add `expect MEASURE for PERIOD = VALUE`.";
    GivenFileMissing = "SB706", Error, "given file not found",
        meaning: "`given SOURCE from \"file.csv\"` names a file (relative to the rule file) that is missing: it does not exist.",
        example: "given referrals from \"fixtures/referals.csv\"",
        fix: "Correct the path; it is relative to the directory of the rule file.";
    UnknownGivenColumn = "SB707", Error, "column not in source",
        meaning: "A `given` table's header names an unknown column: one its source does not declare.",
        example: "given referrals {\n  referal_id | child_id\n}",
        fix: "Use the source's column names (the contract's names, not raw export headers).";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_explained() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code} is listed twice");
            let e = code.explanation();
            assert!(!e.meaning.is_empty() && !e.example.is_empty() && !e.fix.is_empty());
            assert_eq!(Code::parse(&code.as_str().to_lowercase()), Some(*code));
        }
    }
}
