//! The engine over the hand-written fixtures in `tests/fixtures/edge/`: exact values for the
//! edge cases of the council book's definitions (the data contract in docs/books.md, the periods and
//! each measure as `rules/` states them), and the emitted SQL giving the same results as the
//! plans.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Float64Type;
use scorebook::compile::sql::{to_sql, Dialect};
use scorebook::engine::{self, RunOptions};
use scorebook::ir::Project;
use scorebook::project;
use scorebook::results::ResultRow;
use std::path::PathBuf;

fn project() -> Project {
    let (_, checked) =
        project::check_paths(&[PathBuf::from("rules"), PathBuf::from("tests/fixtures/extra.ind")]).unwrap();
    checked.project.expect("the rules check clean")
}

fn options(as_of: &str) -> RunOptions {
    RunOptions {
        as_of: Some(as_of.parse().unwrap()),
        data_dir: Some(PathBuf::from("tests/fixtures/edge")),
        ..RunOptions::default()
    }
}

fn run(as_of: &str) -> (Vec<ResultRow>, Vec<String>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let out = rt.block_on(engine::run(&project(), None, &options(as_of))).unwrap();
    (out.rows, out.warnings)
}

struct Book(Vec<ResultRow>);

impl Book {
    fn row(&self, reference: &str, period: &str) -> &ResultRow {
        self.0
            .iter()
            .find(|r| r.reference == reference && r.period_label == period && r.breakdown.is_none())
            .unwrap_or_else(|| panic!("no row {reference} {period}"))
    }

    fn value(&self, reference: &str, period: &str) -> Option<f64> {
        self.row(reference, period).value
    }

    /// (numerator, denominator, value)
    fn cell(&self, reference: &str, period: &str) -> (Option<f64>, Option<f64>, Option<f64>) {
        let r = self.row(reference, period);
        (r.numerator, r.denominator, r.value)
    }
}

/// The book as of 2013-09-30, computed once for all tests.
fn book() -> &'static Book {
    static BOOK: std::sync::OnceLock<Book> = std::sync::OnceLock::new();
    BOOK.get_or_init(|| Book(run("2013-09-30").0))
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn rows_are_in_project_order_then_period_order() {
    let b = book();
    let first: Vec<(&str, &str)> =
        b.0.iter().take(10).map(|r| (r.reference.as_str(), r.period_label.as_str())).collect();
    assert_eq!(
        first,
        [
            ("1.1a", "2012-13"),
            ("1.1a", "2013-04"),
            ("1.1a", "2013-05"),
            ("1.1a", "2013-06"),
            ("1.1a", "2013-07"),
            ("1.1a", "2013-08"),
            ("1.1a", "2013-09"),
            ("1.1a", "2013-14 Q1"),
            ("1.1a", "2013-14 Q2"),
            ("1.1a", "2013-14 YTD"),
        ]
    );
    let refs: Vec<&str> = b.0.iter().map(|r| r.reference.as_str()).collect::<Vec<_>>();
    let mut order: Vec<&str> = refs.clone();
    order.dedup();
    assert_eq!(&order[..4], ["1.1a", "1.1b", "1.2a", "1.2b"]);
    assert_eq!(order.iter().position(|r| *r == "4.5").unwrap() + 1, order.iter().position(|r| *r == "T1").unwrap());
    assert!(b.0.iter().all(|r| r.as_of.to_string() == "2013-09-30"));
}

#[test]
fn a_case_closed_on_the_period_end_is_not_open_at_it() {
    let b = book();
    // e1 (c1) runs 2013-05-01..2013-09-30: open at the end of August, not of September.
    assert_eq!(b.value("1.1a", "2013-08"), Some(2.0));
    assert_eq!(b.value("1.1a", "2013-09"), Some(2.0)); // c2 opened on 09-30, c3 throughout
                                                       // e3 (c2) ended 2013-03-31, the year's last day; c3's two open episodes count once.
    assert_eq!(b.value("1.1a", "2012-13"), Some(1.0));
    // A placement ending 2013-08-31 is not open at the end of August.
    assert_eq!(b.value("1.6", "2013-07"), Some(3.0));
    assert_eq!(b.value("1.6", "2013-08"), Some(2.0));
}

#[test]
fn short_breaks_are_excluded_and_a_missing_status_is_kept() {
    let b = book();
    // l3 is V3 (excluded); l4 has no legal status (kept); c1's two periods count once.
    assert_eq!(b.value("1.6", "2012-13"), Some(2.0));
    assert_eq!(b.value("1.7", "2012-13"), Some(2.0));
    assert_eq!(b.value("1.7", "2013-06"), Some(2.0));
}

#[test]
fn a_referral_exactly_12_months_after_another_is_a_repeat() {
    let b = book();
    // r02 is 12 months after r01 (repeat); r05 is 12 months and a day after r04 (not).
    assert_eq!(b.cell("3.2", "2013-09"), (Some(1.0), Some(3.0), Some(100.0 / 3.0)));
    // r07 (2013-02-28) looks back to 2012-02-28, so r06 (2012-02-29) makes it a repeat.
    assert_eq!(b.cell("3.2", "2012-13"), (Some(1.0), Some(3.0), Some(100.0 / 3.0)));
    assert_eq!(b.cell("3.2", "2013-14 Q2"), (Some(1.0), Some(5.0), Some(20.0)));
}

#[test]
fn twenty_ninth_of_february_plus_12_months_is_28th_february() {
    let b = book();
    assert_eq!(b.value("T1", "2013-09"), Some(1.0));
}

#[test]
fn an_assessment_started_the_friday_before_a_bank_holiday_monday() {
    let b = book();
    // Started 2013-08-23; 2013-08-26 was a bank holiday. Completed 09-06 (9 working days),
    // 09-09 (10) and 09-10 (11).
    assert_eq!(b.cell("2.1a", "2013-09"), (Some(2.0), Some(3.0), Some(200.0 / 3.0)));
    // Core assessments from 2013-05-01 (two May bank holidays): 35 and 36 working days.
    assert_eq!(b.cell("2.2a", "2013-06"), (Some(1.0), Some(2.0), Some(50.0)));
    // Combined: 35 working days (in 35), and 45 (in 45, not in 35).
    assert_eq!(b.cell("2.4a", "2013-09"), (Some(1.0), Some(2.0), Some(50.0)));
    assert_eq!(b.cell("2.4b", "2013-09"), (Some(2.0), Some(2.0), Some(100.0)));
}

#[test]
fn a_zero_denominator_is_a_missing_value() {
    let b = book();
    assert_eq!(b.cell("2.1a", "2013-04"), (Some(0.0), Some(0.0), None));
    assert_eq!(b.cell("2.9", "2013-08"), (Some(0.0), Some(0.0), None)); // no snapshot in August
}

#[test]
fn cumulative_windows() {
    let b = book();
    // 2.1b and 2.2b run from April; 2.2b's June figure carries into September.
    assert_eq!(b.cell("2.2b", "2013-09"), (Some(1.0), Some(2.0), Some(50.0)));
    // `cumulative since 2013-07-01`: periods ending before it have no value at all.
    for period in ["2012-13", "2013-04", "2013-06", "2013-14 Q1"] {
        assert_eq!(b.cell("2.3", period), (None, None, None), "{period}");
    }
    // Seen within 10 working days and by the period's end: a09 was seen 2013-10-02.
    assert_eq!(b.cell("2.3", "2013-07"), (Some(1.0), Some(3.0), Some(100.0 / 3.0)));
    assert_eq!(b.cell("2.3", "2013-09"), (Some(2.0), Some(4.0), Some(50.0)));
    // A cumulative median from 2013-09-01.
    assert_eq!(b.value("T6", "2013-08"), None);
    assert_eq!(b.value("T6", "2013-09"), Some(28.5));
}

#[test]
fn rates_use_the_right_mid_year_and_fall_back_to_an_earlier_positive_one() {
    let b = book();
    // Year 2012-13 uses mid-2012 (75,000); 2013-14 would use mid-2013, which is 0, so 2012.
    assert_eq!(b.cell("1.1b", "2012-13"), (Some(1.0), Some(75000.0), Some(10000.0 / 75000.0)));
    assert_eq!(b.cell("1.1b", "2013-09"), (Some(2.0), Some(75000.0), Some(20000.0 / 75000.0)));
    assert_eq!(b.cell("4.1", "2013-09"), (Some(3.0), Some(75000.0), Some(30000.0 / 75000.0)));
}

#[test]
fn a_missing_population_year_leaves_the_rate_missing_with_a_warning() {
    let (rows, warnings) = run("2011-06-30");
    let b = Book(rows);
    // Year 2010-11 needs mid-2010 or earlier: there is none.
    assert_eq!(b.cell("1.1b", "2010-11"), (Some(0.0), None, None));
    assert!(warnings.iter().any(|w| w.contains("1.1b") && w.contains("2010-11")), "{warnings:?}");
    // April 2011 uses mid-2011.
    assert_eq!(b.row("1.1b", "2011-04").denominator, Some(70000.0));
}

#[test]
fn latest_snapshot_and_aggregates() {
    let b = book();
    // The 2013-09-30 snapshot: three filled posts and one vacant in ChECS/CAT/CIN/CP.
    assert_eq!(b.cell("2.9", "2013-09"), (Some(1.0), Some(4.0), Some(25.0)));
    assert!(close(b.value("2.11", "2013-09"), 100.0 / 3.0));
    assert_eq!(b.value("2.12", "2013-09"), Some(35.0)); // the fostering team's 40 is not counted
    assert_eq!(b.value("T5", "2013-09"), Some(28.75));
}

#[test]
fn look_backs_and_look_aheads_stop_at_the_period_end() {
    let b = book();
    // r09's initial assessment starts 2013-10-01, after both periods' ends.
    assert_eq!(b.cell("3.5", "2013-08"), (Some(1.0), Some(1.0), Some(100.0)));
    assert_eq!(b.cell("3.5", "2013-14 Q2"), (Some(4.0), Some(5.0), Some(80.0)));
    // A CAF starting the same day as the referral is not a previous CAF.
    assert_eq!(b.cell("4.4", "2013-08"), (Some(0.0), Some(1.0), Some(0.0)));
    // A member trained after the period's end is not yet trained.
    assert_eq!(b.cell("4.5", "2013-05"), (Some(1.0), Some(4.0), Some(25.0)));
    assert_eq!(b.cell("4.5", "2013-09"), (Some(2.0), Some(4.0), Some(50.0)));
}

#[test]
fn exclusions_keep_missing_values_and_filters_drop_them() {
    let b = book();
    // k3 is from an individual (excluded); k4 has no source (kept).
    assert_eq!(b.cell("3.3", "2013-09"), (Some(2.0), Some(3.0), Some(200.0 / 3.0)));
    // A CAF with no lead agency is not "other than the LA".
    assert_eq!(b.cell("4.3", "2013-09"), (Some(1.0), Some(3.0), Some(100.0 / 3.0)));
}

#[test]
fn event_counts_counts_and_derived_measures() {
    let b = book();
    assert_eq!(b.value("1.3", "2013-14 Q2"), Some(2.0));
    assert_eq!(b.value("4.2", "2013-14 YTD"), Some(3.0));
    assert_eq!(b.value("2.5", "2013-09"), Some(1.0)); // 2012-06-29 + 15 months < 2013-09-30; 06-30 is not
    assert_eq!(b.value("T4", "2012-13"), Some(0.5));
    assert!(close(b.value("T4", "2013-09"), 2.0 / 3.0));
    assert_eq!(b.cell("3.7", "2013-09"), (Some(1.0), Some(2.0), Some(50.0)));
}

#[test]
fn breakdowns_add_a_row_per_value_beside_the_total() {
    let b = book();
    let rows: Vec<(Option<&str>, Option<f64>)> =
        b.0.iter()
            .filter(|r| r.reference == "T2" && r.period_label == "2013-14 Q2")
            .map(|r| (r.breakdown_value.as_deref(), r.value))
            .collect();
    assert_eq!(rows, [(None, Some(5.0)), (None, Some(1.0)), (Some("cat"), Some(3.0)), (Some("checs"), Some(1.0))]);
    let by_team = b.0.iter().filter(|r| r.reference == "T2" && r.breakdown.is_some()).count();
    assert_eq!(by_team, 3 * 10);
    // A rate of a broken-down count has the breakdowns it names.
    let cat =
        b.0.iter()
            .find(|r| r.reference == "T3" && r.period_label == "2013-09" && r.breakdown_value.as_deref() == Some("cat"))
            .unwrap();
    assert_eq!((cat.numerator, cat.denominator), (Some(2.0), Some(75000.0)));
}

fn same_batches(a: &[RecordBatch], b: &[RecordBatch]) {
    let rows = |bs: &[RecordBatch]| bs.iter().map(RecordBatch::num_rows).sum::<usize>();
    assert_eq!(rows(a), rows(b));
    let (a, b) = (
        datafusion::arrow::compute::concat_batches(&a[0].schema(), a).unwrap(),
        datafusion::arrow::compute::concat_batches(&b[0].schema(), b).unwrap(),
    );
    assert_eq!(a.num_columns(), b.num_columns());
    for i in 0..a.num_columns() {
        let name = a.schema().field(i).name().clone();
        let (x, y) = (a.column(i), b.column(i));
        match (x.as_primitive_opt::<Float64Type>(), y.as_primitive_opt::<Float64Type>()) {
            (Some(x), Some(y)) => {
                for r in 0..x.len() {
                    assert_eq!(x.is_null(r), y.is_null(r), "{name} row {r}");
                    if !x.is_null(r) {
                        assert!(
                            (x.value(r) - y.value(r)).abs() < 1e-9,
                            "{name} row {r}: {} vs {}",
                            x.value(r),
                            y.value(r)
                        );
                    }
                }
            }
            _ => {
                let text = |c: &datafusion::arrow::array::ArrayRef| {
                    datafusion::arrow::compute::cast(c, &datafusion::arrow::datatypes::DataType::Utf8).unwrap()
                };
                assert_eq!(text(x).to_data(), text(y).to_data(), "{name}");
            }
        }
    }
}

#[test]
fn emitted_sql_gives_the_same_results_as_the_plans() {
    scorebook::compile::sql::with_deep_stack(emitted_sql_check);
}

fn emitted_sql_check() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let project = project();
        let prepared = engine::prepare(&project, None, &options("2013-09-30")).await.unwrap();
        let mut plans = vec![prepared.book.totals.clone()];
        plans.extend(prepared.book.breakdowns.iter().map(|b| b.plan.clone()));
        for plan in plans {
            // Rows in one order: a breakdown's rows come out of a hash aggregate.
            let plan = match plan.schema().has_column_with_unqualified_name("breakdown_value") {
                true => datafusion::logical_expr::LogicalPlanBuilder::from(plan)
                    .sort(vec![datafusion::prelude::ident("breakdown_value").sort(true, true)])
                    .unwrap()
                    .build()
                    .unwrap(),
                false => plan,
            };
            let direct = prepared.ctx.execute_logical_plan(plan.clone()).await.unwrap().collect().await.unwrap();
            let sql = to_sql(&plan, Dialect::Datafusion).unwrap();
            let via_sql =
                prepared.ctx.sql(&sql).await.unwrap_or_else(|e| panic!("{e}\n{sql}")).collect().await.unwrap();
            same_batches(&direct, &via_sql);
        }
    });
}

#[test]
fn every_shipped_measure_compiles_to_sql_in_every_dialect() {
    let (_, checked) = project::check_paths(&[PathBuf::from("rules")]).unwrap();
    let project = checked.project.unwrap();
    let as_of = "2013-09-30".parse().unwrap();
    let periods = scorebook::calendar::book_periods(as_of, scorebook::calendar::ReportingYear::Financial);
    let settings = engine::Settings::resolve(&project, None).unwrap();
    for (i, m) in project.measures.iter().enumerate() {
        let book = engine::warehouse::compile_declared(&project, &settings, &periods, as_of, &[Some(&[i])])
            .unwrap_or_else(|e| panic!("{}: {e}", m.reference))
            .remove(0);
        for d in Dialect::ALL {
            let sql = to_sql(&book.totals, d).unwrap_or_else(|e| panic!("{} in {d:?}: {e}", m.reference));
            assert!(sql.starts_with("SELECT"), "{}: {sql}", m.reference);
        }
    }
}

#[test]
fn targets_rag_direction_and_judgement() {
    let b = book();
    let row = |r: &str, p: &str| b.row(r, p);
    fn words(r: &ResultRow) -> (Option<&str>, Option<&str>, Option<&str>) {
        (
            r.rag.map(scorebook::ir::RagColour::name),
            r.direction.map(scorebook::judgement::Direction::name),
            r.judgement.map(scorebook::judgement::Judgement::name),
        )
    }
    // 700 new CAFs a year, pro-rated by months.
    assert!(close(row("4.2", "2013-09").target, 700.0 / 12.0));
    assert_eq!(row("4.2", "2013-14 Q2").target, Some(175.0));
    assert_eq!(row("4.2", "2013-14 YTD").target, Some(350.0));
    assert_eq!(row("4.2", "2012-13").target, Some(700.0));
    // A percentage target holds in every period.
    assert_eq!(row("4.5", "2013-05").target, Some(90.0));
    // Repeat referrals (low, target 10, no rules: amber within 10% of the target).
    assert_eq!(words(row("3.2", "2013-07")), (Some("green"), None, Some("not_comparable")));
    assert_eq!(words(row("3.2", "2013-08")), (Some("green"), Some("same"), Some("no_change")));
    assert_eq!(words(row("3.2", "2013-09")), (Some("red"), Some("up"), Some("worsening")));
    // No value, no rating; no target, no rating.
    assert_eq!(words(row("3.2", "2013-04")), (None, None, Some("not_comparable")));
    assert_eq!(row("1.3", "2013-09").rag, None);
    // In line with the benchmark (SN 2711): moving towards it is improving.
    assert_eq!(words(row("1.1a", "2013-05")), (None, Some("up"), Some("improving")));
    // April is compared with March of the previous year, which the run computes too.
    assert_eq!(row("1.6", "2013-04").direction.map(scorebook::judgement::Direction::name), Some("same"));
    assert_eq!(row("1.6", "2013-04").judgement.map(scorebook::judgement::Judgement::name), Some("not_comparable")); // polarity none
                                                                                                                    // Direction compares values at display precision (one place for percentages).
    assert_eq!(words(row("2.4b", "2013-09")), (None, Some("same"), Some("no_change")));
}

#[test]
fn hostile_text_literals_stay_literals_in_emitted_sql() {
    scorebook::compile::sql::with_deep_stack(hostile_literals_check);
}

fn hostile_literals_check() {
    let dir = std::path::Path::new("tests/fixtures/hostile");
    let project = project::check_paths(&[dir.join("hostile.ind")]).unwrap().1.project.unwrap();
    let options = RunOptions {
        as_of: Some("2013-09-30".parse().unwrap()),
        data_dir: Some(dir.to_path_buf()),
        ..RunOptions::default()
    };
    let totals = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let prepared = engine::prepare(&project, None, &options).await.unwrap();
        let sql = to_sql(&prepared.book.totals, Dialect::Datafusion).unwrap();
        let batches = prepared.ctx.sql(&sql).await.unwrap_or_else(|e| panic!("{e}\n{sql}")).collect().await.unwrap();
        let direct =
            prepared.ctx.execute_logical_plan(prepared.book.totals.clone()).await.unwrap().collect().await.unwrap();
        same_batches(&direct, &batches);
        // Laid out for reading (`compile --emit sql`), it is the same query.
        let pretty = scorebook::compile::sql::to_sql_pretty(&prepared.book.totals, Dialect::Datafusion).unwrap();
        assert!(pretty.starts_with("SELECT\n  ") && pretty.lines().count() > 20, "{pretty}");
        let read = prepared.ctx.sql(&pretty).await.unwrap_or_else(|e| panic!("{e}\n{pretty}")).collect().await.unwrap();
        same_batches(&direct, &read);
        // September: the three teams named in the rule, and not `back\slash` or `other`.
        let september = prepared.periods.all.iter().position(|p| p.label == "2013-09").unwrap();
        use scorebook::compile::cells::{Cell, Part};
        let cell = prepared.book.cells.column(Cell::new(0, september, Part::Value)).unwrap();
        let value = batches[0].column_by_name(cell).unwrap().as_primitive::<Float64Type>().value(0);
        assert_eq!(value, 3.0, "{sql}");
        prepared.book.totals
    });
    let dialect_sql = |d| to_sql(&totals, d).unwrap();
    // Standard SQL doubles the quote and leaves the backslash alone ...
    for d in [Dialect::Postgres, Dialect::Sqlite, Dialect::Duckdb] {
        let sql = dialect_sql(d);
        assert!(sql.contains(r"'''; DROP TABLE x; --'") && sql.contains(r"'back\''slash'"), "{d:?}:\n{sql}");
    }
    // ... where MySQL, BigQuery and Snowflake escape both with a backslash.
    for d in [Dialect::Mysql, Dialect::Bigquery, Dialect::Snowflake] {
        let sql = dialect_sql(d);
        assert!(sql.contains(r"'\'; DROP TABLE x; --'") && sql.contains(r"'back\\\'slash'"), "{d:?}:\n{sql}");
    }
}

#[test]
fn a_derived_measure_may_come_before_the_measures_it_reads() {
    let dir = std::path::Path::new("tests/fixtures/dialects");
    let project = project::check_paths(&[dir.join("book.ind")]).unwrap().1.project.unwrap();
    let options = RunOptions {
        as_of: Some("2013-09-30".parse().unwrap()),
        data_dir: Some(PathBuf::from("tests/fixtures/edge")),
        ..RunOptions::default()
    };
    let out = tokio::runtime::Runtime::new().unwrap().block_on(engine::run(&project, None, &options)).unwrap();
    let value = |r: &str| out.rows.iter().find(|x| x.reference == r && x.period_label == "2013-14 YTD").unwrap().value;
    let (referrals, children) = (value("D5").unwrap(), value("D3").unwrap());
    assert!(children > 0.0);
    assert_eq!(value("D4"), Some(referrals / children));
}
