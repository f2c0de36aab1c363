//! The rows' computed columns: the confidence interval, the comparisons, a funnel unit's
//! label, the RAG rating, direction of travel and judgement. The plan the warehouse script
//! carries (`compile/computed.rs`), executed over the rows' figures, so a local run and a
//! warehouse compute them by the same expressions, and only there.

use super::RunError;
use crate::compile::computed::{self, Computing};
use crate::compile::judge;
use crate::compile::CompileError;
use crate::funnel::Significance;
use crate::ir::{Project, RagColour};
use crate::judgement::{DefaultRag, Direction, Judgement};
use crate::statistics::Comparison;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::prelude::{col, SessionConfig};
use std::sync::Arc;

/// What a row's computed columns are computed from: its measure (an index into the project),
/// its cells, the previous period's value, its target and benchmarks, and on a breakdown's row
/// the breakdown's value.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub measure: usize,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    /// A standardised figure's interval scale (`Part::Scale`).
    pub scale: Option<f64>,
    /// Beside a funnel's unit: the measure's whole (numerator and denominator), the unit's
    /// expected events, its adjusted z-score where the units are over-dispersed.
    pub whole_numerator: Option<f64>,
    pub whole_denominator: Option<f64>,
    pub funnel_expected: Option<f64>,
    pub funnel_z: Option<f64>,
    pub breakdown_value: Option<String>,
    pub previous: Option<f64>,
    pub target: Option<f64>,
    pub benchmark_sn: Option<f64>,
    pub benchmark_england: Option<f64>,
    /// The version of the definition the value was computed with, and whether the previous
    /// period's value was computed differently (by an earlier version).
    pub version: u32,
    pub changed: bool,
}

/// A row's computed columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub compared_england: Comparison,
    pub compared_sn: Comparison,
    pub funnel: Option<Significance>,
    pub rag: Option<RagColour>,
    pub direction: Option<Direction>,
    pub judgement: Option<Judgement>,
}

const ROW: &str = "row";
/// The columns read back, in order.
const OUT: [&str; 9] =
    [ROW, "ci_low", "ci_high", "compared_england", "compared_sn", "funnel", "rag", "direction", "judgement"];

/// The computed columns of each row's figures, in their order; `confidence` is the project's
/// level, for measures without their own.
pub async fn verdicts(
    figures: &[Figures],
    project: &Project,
    confidence: f64,
    default: DefaultRag,
) -> Result<Vec<Verdict>, RunError> {
    let mut out = vec![Verdict::default(); figures.len()];
    if figures.is_empty() {
        return Ok(out);
    }
    let number =
        |f: &dyn Fn(&Figures) -> Option<f64>| -> ArrayRef { Arc::new(figures.iter().map(f).collect::<Float64Array>()) };
    let columns: Vec<(&str, ArrayRef)> = vec![
        (ROW, Arc::new(Int64Array::from_iter_values(0..figures.len() as i64))),
        ("numerator", number(&|f| f.numerator)),
        ("denominator", number(&|f| f.denominator)),
        ("value", number(&|f| f.value)),
        (computed::SCALE, number(&|f| f.scale)),
        (computed::WHOLE_NUM, number(&|f| f.whole_numerator)),
        (computed::WHOLE_DEN, number(&|f| f.whole_denominator)),
        (computed::FUNNEL_EXPECTED, number(&|f| f.funnel_expected)),
        (computed::FUNNEL_Z, number(&|f| f.funnel_z)),
        ("breakdown_value", Arc::new(figures.iter().map(|f| f.breakdown_value.as_deref()).collect::<StringArray>())),
        ("target", number(&|f| f.target)),
        ("benchmark_sn", number(&|f| f.benchmark_sn)),
        ("benchmark_england", number(&|f| f.benchmark_england)),
        (judge::MEASURE, Arc::new(Int64Array::from_iter_values(figures.iter().map(|f| f.measure as i64)))),
        (judge::PREVIOUS, number(&|f| f.previous)),
        (judge::CHANGED, Arc::new(figures.iter().map(|f| Some(f.changed)).collect::<BooleanArray>())),
        (judge::VERSION, Arc::new(Int64Array::from_iter_values(figures.iter().map(|f| i64::from(f.version))))),
    ];
    let schema = Arc::new(Schema::new(
        columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), columns.iter().map(|(_, a)| a.clone()).collect())
        .map_err(DataFusionError::from)?;
    let table = MemTable::try_new(schema, vec![vec![batch]])?;
    let mut measures: Vec<usize> = figures.iter().map(|f| f.measure).collect();
    measures.sort_unstable();
    measures.dedup();
    let mut with_intervals: Vec<_> = columns.iter().map(|(n, _)| col(*n)).collect();
    with_intervals.extend(computed::interval_columns(project, &measures, confidence)?);
    let rows = LogicalPlanBuilder::scan("rows", provider_as_source(Arc::new(table)), None)
        .and_then(|scan| scan.project(with_intervals))
        .map_err(CompileError::from)?;
    let carried: Vec<&str> = columns.iter().map(|(n, _)| *n).chain(OUT[1..6].iter().copied()).collect();
    let computing = Computing { project, measures: &measures, confidence, default_rag: default };
    let plan = computed::finish(rows, &computing, &carried, &OUT)?.build().map_err(CompileError::from)?;
    // A few thousand rows in one partition, under projections of CASEs on each row's measure:
    // the optimizers have nothing to gain there and, over those expressions, cost more than
    // the work (as for the cells' top plan, `pieces::collect`). The simplifier stays: it is
    // what turns `coalesce` into the CASE the physical planner takes.
    let simplify = datafusion::optimizer::simplify_expressions::SimplifyExpressions::new();
    let state = SessionStateBuilder::new()
        .with_config(SessionConfig::new().with_target_partitions(1))
        .with_default_features()
        .with_optimizer_rules(vec![Arc::new(simplify)])
        .with_physical_optimizer_rules(vec![])
        .build();
    let physical = state.create_physical_plan(&plan).await?;
    for batch in datafusion::physical_plan::collect(physical, state.task_ctx()).await? {
        let row = batch.column(0).as_primitive::<Int64Type>();
        let number = |c: usize| -> Result<Float64Array, RunError> {
            let a = cast(batch.column(c), &DataType::Float64).map_err(DataFusionError::from)?;
            Ok(a.as_primitive::<Float64Type>().clone())
        };
        let (low, high) = (number(1)?, number(2)?);
        let texts: Vec<ArrayRef> = (3..OUT.len())
            .map(|c| cast(batch.column(c), &DataType::Utf8))
            .collect::<Result<_, _>>()
            .map_err(DataFusionError::from)?;
        fn named<T>(
            texts: &[ArrayRef],
            c: usize,
            r: usize,
            parse: fn(&str) -> Option<T>,
        ) -> Result<Option<T>, RunError> {
            let a = texts[c].as_string::<i32>();
            if a.is_null(r) {
                return Ok(None);
            }
            let name = a.value(r);
            parse(name)
                .map(Some)
                .ok_or_else(|| CompileError::internal(format!("the result's computed columns gave `{name}`")).into())
        }
        let figure = |a: &Float64Array, r: usize| (!a.is_null(r)).then(|| a.value(r));
        for r in 0..batch.num_rows() {
            out[row.value(r) as usize] = Verdict {
                ci_low: figure(&low, r),
                ci_high: figure(&high, r),
                compared_england: named(&texts, 0, r, Comparison::parse)?.unwrap_or(Comparison::NotCompared),
                compared_sn: named(&texts, 1, r, Comparison::parse)?.unwrap_or(Comparison::NotCompared),
                funnel: named(&texts, 2, r, Significance::parse)?,
                rag: named(&texts, 3, r, RagColour::parse)?,
                direction: named(&texts, 4, r, Direction::parse)?,
                judgement: named(&texts, 5, r, Judgement::parse)?,
            };
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::check_texts;

    /// A project of one measure with `clauses`.
    fn project(clauses: &str) -> Project {
        let text = format!(
            "source s {{\n id text key\n d date\n}}\nmeasure m {{\n ref \"1\"\n count s\n in period by d\n{clauses}\n}}\n"
        );
        let (_, checked) = check_texts(&[("m.ind", &text)]);
        checked.project.unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
    }

    fn computed(project: &Project, default: DefaultRag, figures: &[Figures]) -> Vec<Verdict> {
        tokio::runtime::Runtime::new().unwrap().block_on(verdicts(figures, project, 95.0, default)).unwrap()
    }

    fn judged(project: &Project, default: DefaultRag, figures: &[Figures]) -> Vec<(String, String, String)> {
        let out = computed(project, default, figures);
        let show = |s: Option<&str>| s.unwrap_or("-").to_string();
        out.into_iter()
            .map(|v| {
                (
                    show(v.rag.map(RagColour::name)),
                    show(v.direction.map(Direction::name)),
                    show(v.judgement.map(Judgement::name)),
                )
            })
            .collect()
    }

    fn row(value: Option<f64>, previous: Option<f64>, target: Option<f64>) -> Figures {
        Figures { measure: 0, value, previous, target, ..Figures::default() }
    }

    fn rags(project: &Project, default: DefaultRag, rows: &[Figures]) -> Vec<String> {
        judged(project, default, rows).into_iter().map(|(rag, _, _)| rag).collect()
    }

    /// A project of one percentage by `unit`, its funnel's units rated by `rag`; the check's
    /// first problem, if any.
    fn funnel_project(rag: &str) -> Result<Project, String> {
        let text = format!(
            "source s {{\n id text key\n d date\n ok bool\n unit text\n}}\nmeasure m {{\n ref \"1\"\n percent of s\n in period by d\n meeting ok\n by unit\n funnel by unit\n polarity high\n {rag}\n}}\n"
        );
        let (_, checked) = check_texts(&[("m.ind", &text)]);
        checked.project.ok_or_else(|| checked.diagnostics.first().map(|d| d.message.clone()).unwrap_or_default())
    }

    /// A funnel's unit of `numerator` of 1,008 against PHE's published average of 80.642448%:
    /// its 95% limits are 78.20% and 83.08%, its 99.8% limits 76.80% and 84.49%.
    fn unit(numerator: f64) -> Figures {
        Figures {
            numerator: Some(numerator),
            denominator: Some(1008.0),
            value: Some(numerator / 1008.0 * 100.0),
            whole_numerator: Some(80.642448),
            whole_denominator: Some(100.0),
            breakdown_value: Some("unit".into()),
            ..Figures::default()
        }
    }

    #[test]
    fn rag_rules_read_a_funnel_units_label() {
        let p = funnel_project(
            "rag red when funnel = \"Low (0.001)\", amber when funnel in (\"Low (0.025)\"), otherwise green",
        )
        .unwrap();
        let no_label = Figures { breakdown_value: None, ..unit(770.0) };
        let rows = [no_label, unit(770.0), unit(780.0), unit(855.0)];
        let labels: Vec<Option<&str>> = computed(&p, DefaultRag::default(), &rows)
            .into_iter()
            .map(|v| v.funnel.map(crate::funnel::Significance::label))
            .collect();
        assert_eq!(labels, [None, Some("Low (0.001)"), Some("Low (0.025)"), Some("High (0.001)")]);
        // A row without a label matches no comparison with it: `otherwise`.
        assert_eq!(rags(&p, DefaultRag { amber_within_percent: 10.0 }, &rows), ["green", "red", "amber", "green"]);
        // The rules are tried with every label: one left without a colour is a gap.
        let gap = funnel_project("rag red when funnel = \"Low (0.001)\", green when funnel = \"High (0.001)\"");
        assert!(gap.unwrap_err().contains("funnel \"High (0.025)\""));
        let unknown = funnel_project("rag red when funnel = \"low\", otherwise green");
        assert_eq!(unknown.unwrap_err(), "\"low\" is no funnel label");
        let without = "source s {\n id text key\n d date\n}\nmeasure m {\n ref \"1\"\n count s\n in period by d\n rag red when funnel = \"Low (0.001)\", otherwise green\n}\n";
        let (_, checked) = check_texts(&[("m.ind", without)]);
        assert_eq!(
            checked.diagnostics[0].message,
            "this RAG rule uses the funnel label, and the measure has no funnel"
        );
    }

    #[test]
    fn the_default_banding_follows_the_polarity() {
        let rated = |polarity: &str, value: f64, target: f64, within: f64| {
            // The figures carry the target; the measure gives the polarity.
            let p = project(&format!(" polarity {polarity}"));
            rags(&p, DefaultRag { amber_within_percent: within }, &[row(Some(value), None, Some(target))]).remove(0)
        };
        for (polarity, value, target, within, rag) in [
            ("high", 75.0, 75.0, 10.0, "green"),
            ("high", 67.5, 75.0, 10.0, "amber"),
            ("high", 67.4, 75.0, 10.0, "red"),
            ("low", 10.0, 10.0, 10.0, "green"),
            ("low", 11.0, 10.0, 10.0, "amber"),
            ("low", 11.5, 10.0, 10.0, "red"),
            ("none", 11.5, 10.0, 10.0, "-"),
            ("in_line_with_benchmark", 11.5, 10.0, 10.0, "-"),
            ("high", 61.0, 75.0, 20.0, "amber"),
            ("high", -5.0, -4.0, 10.0, "red"),
            ("high", -4.3, -4.0, 10.0, "amber"),
        ] {
            assert_eq!(rated(polarity, value, target, within), rag, "{polarity} {value} against {target}");
        }
        // Without a target or a value there is no rating.
        let p = project(" polarity high");
        assert_eq!(
            rags(&p, DefaultRag::default(), &[row(Some(5.0), None, None), row(None, None, Some(5.0))]),
            ["-", "-"]
        );
    }

    #[test]
    fn a_measures_rules_take_the_first_that_holds() {
        let p = project(
            " polarity low\n target 10\n rag green when value <= target, amber when value <= target + 5, otherwise red",
        );
        let rows: Vec<Figures> = [10.0, 15.0, 15.1]
            .iter()
            .map(|v| row(Some(*v), None, Some(10.0)))
            .chain([row(None, None, Some(10.0))])
            .collect();
        // A missing value has no rating, whatever `otherwise` says.
        assert_eq!(rags(&p, DefaultRag::default(), &rows), ["green", "amber", "red", "-"]);
    }

    #[test]
    fn rules_read_previous_and_benchmarks_and_a_missing_figure_holds_nothing() {
        let p = project(" polarity in_line_with_benchmark\n benchmark sn 20, england 30\n rag green when value >= benchmark and value >= previous, amber when abs(value - england) <= 2, otherwise red");
        let with = |value, previous| Figures {
            measure: 0,
            value: Some(value),
            previous,
            benchmark_sn: Some(20.0),
            benchmark_england: Some(30.0),
            ..Figures::default()
        };
        let rows = [with(25.0, Some(24.0)), with(25.0, Some(26.0)), with(28.0, None), with(25.0, None)];
        assert_eq!(rags(&p, DefaultRag::default(), &rows), ["green", "red", "amber", "red"]);
    }

    #[test]
    fn a_division_by_zero_in_a_rule_is_missing() {
        let p = project(" polarity high\n target 0\n rag green when value / target >= 1, otherwise red");
        let p2 = project(" polarity high\n target 0\n rag red when not (value / target < 1), otherwise green");
        assert_eq!(rags(&p, DefaultRag::default(), &[row(Some(5.0), None, Some(0.0))]), ["red"]);
        assert_eq!(rags(&p2, DefaultRag::default(), &[row(Some(5.0), None, Some(0.0))]), ["green"]);
    }

    #[test]
    fn direction_compares_at_display_precision() {
        let direction = |precision: u8, value: Option<f64>, previous: Option<f64>| {
            let p = project(&format!(" polarity high\n precision {precision}"));
            judged(&p, DefaultRag::default(), &[row(value, previous, None)]).remove(0).1
        };
        assert_eq!(direction(1, Some(66.66), Some(66.7)), "same");
        assert_eq!(direction(1, Some(66.76), Some(66.7)), "up");
        assert_eq!(direction(0, Some(1071.0), Some(1111.0)), "down");
        assert_eq!(direction(0, Some(1.4), Some(1.0)), "same");
        assert_eq!(direction(0, Some(0.5), Some(0.0)), "up");
        assert_eq!(direction(0, Some(-0.5), Some(0.0)), "down");
        assert_eq!(direction(0, Some(-0.4), Some(0.0)), "same");
        assert_eq!(direction(0, None, Some(1.0)), "-");
        assert_eq!(direction(0, Some(1.0), None), "-");
    }

    #[test]
    fn judgement_by_polarity() {
        let judgement = |polarity: &str, value: f64, previous: Option<f64>| {
            let p = project(&format!(" polarity {polarity}"));
            judged(&p, DefaultRag::default(), &[row(Some(value), previous, None)]).remove(0).2
        };
        assert_eq!(judgement("high", 5.0, Some(4.0)), "improving");
        assert_eq!(judgement("high", 4.0, Some(5.0)), "worsening");
        assert_eq!(judgement("low", 4.0, Some(5.0)), "improving");
        assert_eq!(judgement("low", 5.0, Some(4.0)), "worsening");
        assert_eq!(judgement("high", 5.0, Some(5.0)), "no_change");
        assert_eq!(judgement("none", 5.0, Some(4.0)), "not_comparable");
        assert_eq!(judgement("none", 5.0, Some(5.0)), "not_comparable");
        assert_eq!(judgement("high", 5.0, None), "not_comparable");
        // In line with the benchmark (SN, else England): closer is better, whichever way.
        let p = project(" polarity in_line_with_benchmark");
        let inline = |value, previous, sn, england| Figures {
            measure: 0,
            value: Some(value),
            previous: Some(previous),
            benchmark_sn: sn,
            benchmark_england: england,
            ..Figures::default()
        };
        let rows = [
            inline(150.0, 140.0, Some(259.0), None),
            inline(150.0, 160.0, Some(259.0), None),
            inline(270.0, 240.0, Some(259.0), None),
            inline(270.0, 248.0, Some(259.0), None),
            inline(150.0, 140.0, None, None),
            inline(150.0, 150.0, Some(259.0), None),
            inline(150.0, 140.0, None, Some(100.0)),
            inline(150.0, 140.0, Some(259.0), Some(100.0)),
        ];
        let got: Vec<String> = judged(&p, DefaultRag::default(), &rows).into_iter().map(|(_, _, j)| j).collect();
        assert_eq!(
            got,
            [
                "improving",
                "worsening",
                "improving",
                "no_change",
                "not_comparable",
                "no_change",
                "worsening",
                "improving"
            ]
        );
    }

    #[test]
    fn rows_of_several_measures_keep_their_order_and_their_own_rules() {
        let text = "source s {\n id text key\n d date\n}\n\
            measure a {\n ref \"1\"\n count s\n in period by d\n polarity high\n target 10\n}\n\
            measure b {\n ref \"2\"\n count s\n in period by d\n polarity low\n precision 1\n rag red when value > 1, otherwise green\n}\n";
        let (_, checked) = check_texts(&[("m.ind", text)]);
        let p = checked.project.unwrap();
        let rows: Vec<Figures> = (0..200)
            .map(|k| Figures {
                measure: k % 2,
                value: Some(k as f64 / 100.0),
                previous: Some(0.04),
                target: (k % 2 == 0).then_some(10.0),
                ..Figures::default()
            })
            .collect();
        let got = judged(&p, DefaultRag::default(), &rows);
        for (k, (rag, direction, judgement)) in got.iter().enumerate() {
            let v = k as f64 / 100.0;
            if k % 2 == 0 {
                assert_eq!(
                    rag,
                    if v >= 10.0 {
                        "green"
                    } else if v >= 9.0 {
                        "amber"
                    } else {
                        "red"
                    }
                );
                let d = if v.round() > 0.0 { "up" } else { "same" };
                assert_eq!(
                    (direction.as_str(), judgement.as_str()),
                    (d, if d == "up" { "improving" } else { "no_change" })
                );
            } else {
                assert_eq!(rag, if v > 1.0 { "red" } else { "green" }, "row {k}");
                let d = if (v * 10.0).round() > 0.0 { "up" } else { "same" };
                assert_eq!(
                    (direction.as_str(), judgement.as_str()),
                    (d, if d == "up" { "worsening" } else { "no_change" })
                );
            }
        }
    }

    /// A project of one measure `of` (over a source with a flag `ok`), with `clauses`.
    fn measure(of: &str, clauses: &str) -> Project {
        let text = format!(
            "source s {{\n id text key\n d date\n ok bool\n}}\nmeasure m {{\n ref \"1\"\n {of}\n in period by d\n{clauses}\n}}\n"
        );
        let (_, checked) = check_texts(&[("m.ind", &text)]);
        checked.project.unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
    }

    /// Equal to 12 significant digits: the reference values are from an independent
    /// calculation (SciPy's chi-square and normal quantiles) and agree with published tables
    /// to the places those print.
    fn interval(v: &Verdict, low: f64, high: f64) {
        let close = |got: Option<f64>, want: f64| {
            let got = got.unwrap_or_else(|| panic!("no interval: {v:?}"));
            assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "got {got}, want {want}");
        };
        close(v.ci_low, low);
        close(v.ci_high, high);
    }

    fn of(numerator: f64, denominator: f64) -> Figures {
        Figures { numerator: Some(numerator), denominator: Some(denominator), ..Figures::default() }
    }

    #[test]
    fn wilson_limits_at_95_and_99_8() {
        let at_95 = measure("percent of s\n meeting ok", "");
        let at_998 = measure("percent of s\n meeting ok", " interval at 99.8%");
        let rows = [of(65.0, 100.0), of(0.0, 50.0), of(50.0, 50.0), of(1.0, 3.0)];
        let got = computed(&at_95, DefaultRag::default(), &rows);
        // 65 of 100: 55.2544 to 73.6358 (PHEindicatormethods' worked example).
        interval(&got[0], 55.25444329688797, 73.63575175690247);
        interval(&got[1], 0.0, 7.134759913335871);
        interval(&got[2], 92.86524008666413, 100.0);
        interval(&got[3], 6.149194472039624, 79.23403991979524);
        let got = computed(&at_998, DefaultRag::default(), &rows);
        interval(&got[0], 49.54946574070448, 77.83540614089685);
        interval(&got[1], 0.0, 16.0362891042788);
        interval(&got[2], 83.9637108957212, 100.0);
        // No interval without a denominator, or with more meeting than asked.
        let none = computed(&at_95, DefaultRag::default(), &[of(0.0, 0.0), of(5.0, 4.0), of(-1.0, 4.0)]);
        assert!(none.iter().all(|v| v.ci_low.is_none() && v.ci_high.is_none()), "{none:?}");
    }

    #[test]
    fn poisson_exact_below_ten_events_and_byar_from_ten() {
        let count = |n: f64| Figures { value: Some(n), ..Figures::default() };
        let rows = [0.0, 1.0, 9.0, 10.0, 100.0, -1.0].map(count);
        let got = computed(&measure("count s", ""), DefaultRag::default(), &rows);
        // Exact limits, as the published tables give them (0: 0 to 3.689; 1: 0.0253 to
        // 5.572; 9: 4.115 to 17.08); Byar's from 10 events.
        interval(&got[0], 0.0, 3.6888794541139354);
        interval(&got[1], 0.025317807984289897, 5.571643390938898);
        interval(&got[2], 4.115373097378334, 17.084803451419166);
        interval(&got[3], 4.787449913967563, 18.391458605756473);
        interval(&got[4], 81.36210549052788, 121.6279375792065);
        assert_eq!((got[5].ci_low, got[5].ci_high), (None, None));
        let got = computed(&measure("count s", " interval at 99.8%"), DefaultRag::default(), &rows);
        interval(&got[0], 0.0, 6.907755278982137);
        interval(&got[1], 0.0010005003335835346, 9.233413476451585);
        interval(&got[2], 2.452424404363775, 22.65737330906293);
        interval(&got[3], 2.916318374695686, 24.19372492788055);
        interval(&got[4], 71.90369187259837, 134.94362176226318);
        // A count that is not a whole number of events has no exact interval.
        let half = computed(&measure("count s", ""), DefaultRag::default(), &[count(2.5)]);
        assert_eq!((half[0].ci_low, half[0].ci_high), (None, None));
    }

    #[test]
    fn comparison_is_by_the_whole_interval() {
        // 100 events: 81.36 to 121.63 at 95%.
        let against = |polarity: &str, benchmark: f64| {
            let p = measure("count s", &format!(" polarity {polarity}"));
            let row = Figures {
                value: Some(100.0),
                benchmark_sn: Some(benchmark),
                benchmark_england: None,
                ..Figures::default()
            };
            let v = computed(&p, DefaultRag::default(), &[row]).remove(0);
            assert_eq!(v.compared_england, Comparison::NotCompared);
            v.compared_sn.name()
        };
        assert_eq!(against("none", 80.0), "higher");
        assert_eq!(against("none", 122.0), "lower");
        assert_eq!(against("none", 81.37), "similar");
        assert_eq!(against("high", 80.0), "better");
        assert_eq!(against("low", 80.0), "worse");
        assert_eq!(against("high", 122.0), "worse");
        assert_eq!(against("low", 122.0), "better");
        // Without an interval, nothing is compared.
        let p = measure("count s", " interval none");
        let row = Figures { value: Some(100.0), benchmark_sn: Some(1.0), ..Figures::default() };
        assert_eq!(computed(&p, DefaultRag::default(), &[row])[0].compared_sn, Comparison::NotCompared);
    }

    const H1: Significance = Significance::High001;
    const H2: Significance = Significance::High025;
    const NS: Significance = Significance::NotSignificant;
    const L2: Significance = Significance::Low025;
    const L1: Significance = Significance::Low001;

    /// The funnel labels of units against their expected events (a rate's or ratio's funnel).
    fn rate_labels(units: &[(f64, f64)]) -> Vec<Option<Significance>> {
        let p = funnel_project("").unwrap();
        let rows: Vec<Figures> = units
            .iter()
            .map(|&(o, expected)| Figures {
                numerator: Some(o),
                funnel_expected: Some(expected),
                breakdown_value: Some("unit".into()),
                ..Figures::default()
            })
            .collect();
        computed(&p, DefaultRag::default(), &rows).into_iter().map(|v| v.funnel).collect()
    }

    /// PHEindicatormethods' published test of funnel significance for rates (its
    /// `testdata_funnel_rate_dsr_inputs`): events, DSR per 100,000 and population of 40 areas,
    /// and the labels it publishes for the crude rate (with the population given) and the DSR.
    const PUBLISHED_RATES: &[(f64, f64, f64, Significance, Option<Significance>)] = &[
        (2419.0, 907.6174266, 264102.0, H1, Some(H1)),
        (2337.0, 948.5620216, 259711.0, H1, Some(H1)),
        (2291.0, 799.9690496, 289247.0, H1, Some(H1)),
        (2242.0, 852.5637927, 265029.0, H1, Some(H1)),
        (2218.0, 868.5358183, 284649.0, H1, Some(H1)),
        (2159.0, 769.6242217, 293578.0, H1, Some(H1)),
        (2130.0, 752.3254955, 286718.0, H1, Some(H2)),
        (2111.0, 710.2689402, 307381.0, NS, Some(NS)),
        (2105.0, 815.3530325, 274145.0, H1, Some(H1)),
        (2083.0, 717.7035916, 297424.0, H2, Some(NS)),
        (2078.0, 755.8016993, 272628.0, H1, Some(H1)),
        (2062.0, 825.9742848, 269656.0, H1, Some(H1)),
        (2061.0, 702.2972468, 294692.0, H2, Some(NS)),
        (2033.0, 785.6210132, 277710.0, H1, Some(H1)),
        (2033.0, 743.6763018, 259213.0, H1, Some(H2)),
        (2010.0, 781.8323058, 285516.0, H2, Some(H1)),
        (2004.0, 772.6781064, 269449.0, H1, Some(H1)),
        (2002.0, 652.3391553, 290888.0, NS, Some(L1)),
        (1977.0, 648.4969973, 287112.0, NS, Some(L1)),
        (1944.0, 727.5777428, 286492.0, NS, Some(NS)),
        (1932.0, 625.6551186, 287012.0, NS, Some(L1)),
        (1922.0, 688.5582424, 291277.0, NS, Some(NS)),
        (1912.0, 662.4465438, 289859.0, NS, Some(L2)),
        (1881.0, 627.1624732, 289653.0, NS, Some(L1)),
        (1844.0, 657.1114147, 282519.0, NS, Some(L2)),
        (1835.0, 724.8456714, 274220.0, NS, Some(NS)),
        (1833.0, 659.7820553, 280271.0, NS, Some(L2)),
        (1825.0, 654.7053631, 284206.0, NS, Some(L1)),
        (1816.0, 624.4435507, 274508.0, NS, Some(L1)),
        (1809.0, 646.7588823, 288384.0, L2, Some(L1)),
        (1798.0, 703.1689982, 287072.0, L2, Some(NS)),
        (1754.0, 567.9922764, 282744.0, L1, Some(L1)),
        (1746.0, 617.7750715, 289208.0, L1, Some(L1)),
        (1709.0, 610.8327232, 287736.0, L1, Some(L1)),
        (1694.0, 608.5089462, 296175.0, L1, Some(L1)),
        (1688.0, 662.3775859, 303255.0, L1, Some(L2)),
        (1649.0, 667.6454503, 285959.0, L1, Some(L2)),
        (1553.0, 604.1141693, 274661.0, L1, Some(L1)),
        (1332.0, 469.5645784, 281425.0, L1, Some(L1)),
        (0.0, f64::NAN, 297820.0, L1, None),
    ];

    #[test]
    fn rate_funnel_labels_equal_the_published_ones() {
        // A crude rate: av = Σ O / Σ population, each area expecting av × its population.
        let av = PUBLISHED_RATES.iter().map(|r| r.0).sum::<f64>() / PUBLISHED_RATES.iter().map(|r| r.2).sum::<f64>();
        let units: Vec<(f64, f64)> = PUBLISHED_RATES.iter().map(|r| (r.0, av * r.2)).collect();
        let want: Vec<Option<Significance>> = PUBLISHED_RATES.iter().map(|r| Some(r.3)).collect();
        assert_eq!(rate_labels(&units), want);
        // A DSR: D = 100,000 × O / DSR where there is a DSR, av = Σ O / Σ D.
        let d = |o: f64, dsr: f64| (o > 0.0 && dsr > 0.0).then(|| 100_000.0 * o / dsr);
        let sum_d: f64 = PUBLISHED_RATES.iter().filter_map(|r| d(r.0, r.1)).sum();
        let av = PUBLISHED_RATES.iter().map(|r| r.0).sum::<f64>() / sum_d;
        let with_d: Vec<_> = PUBLISHED_RATES.iter().filter(|r| d(r.0, r.1).is_some()).collect();
        let units: Vec<(f64, f64)> = with_d.iter().map(|r| (r.0, av * d(r.0, r.1).unwrap())).collect();
        let want: Vec<Option<Significance>> = with_d.iter().map(|r| r.4).collect();
        assert_eq!(rate_labels(&units), want);
        // Exact limits below 10 events: 3 events are above 0.6187 expected at 95%, not at
        // 99.8%; no label for a count that is not whole, or nothing expected.
        let small = rate_labels(&[(3.0, 0.6), (3.0, 0.1), (0.0, 3.0), (0.0, 3.7), (2.5, 3.0), (3.0, 0.0)]);
        assert_eq!(small, [Some(H2), Some(H1), Some(NS), Some(L2), None, None]);
    }

    #[test]
    fn proportion_funnel_labels_are_read_lowest_limit_first() {
        let p = funnel_project("").unwrap();
        let labels = |rows: &[Figures]| -> Vec<Option<&str>> {
            computed(&p, DefaultRag::default(), rows).into_iter().map(|v| v.funnel.map(Significance::label)).collect()
        };
        // At 1,008: 76.39%, 77.38%, 80.65%, 83.63%, 84.82%.
        let rows = [770.0, 780.0, 813.0, 843.0, 855.0].map(unit);
        assert_eq!(
            labels(&rows),
            ["Low (0.001)", "Low (0.025)", "Not significant", "High (0.025)", "High (0.001)"].map(Some)
        );
        // Areas of PHEindicatormethods' published funnel test, with the labels it publishes
        // (West Norfolk, North Devon, Exeter, New Forest and Norwich PCTs).
        let published = [
            (26789.238, 33012.0, "High (0.025)"),
            (30277.5312, 37828.0, "Low (0.025)"),
            (24866.916, 30929.0, "Not significant"),
            (35078.488, 41980.0, "High (0.001)"),
            (24803.6256, 31824.0, "Low (0.001)"),
        ];
        let rows: Vec<Figures> =
            published.iter().map(|&(x, n, _)| Figures { denominator: Some(n), ..unit(x) }).collect();
        assert_eq!(labels(&rows), published.map(|(_, _, label)| Some(label)));
        // No label without a positive denominator, or with more than all.
        let rows = [Figures { denominator: Some(0.0), ..unit(5.0) }, Figures { denominator: Some(8.0), ..unit(9.0) }];
        assert_eq!(labels(&rows), [None, None]);
    }

    #[test]
    fn over_dispersed_units_are_judged_by_their_adjusted_z_at_the_normal_quantiles() {
        let p = funnel_project("").unwrap();
        let rows = [2.5, 3.2, -2.0, -3.2, 1.9].map(|z| Figures { funnel_z: Some(z), ..unit(800.0) });
        let got: Vec<Option<Significance>> =
            computed(&p, DefaultRag::default(), &rows).into_iter().map(|v| v.funnel).collect();
        assert_eq!(got, [Some(H2), Some(H1), Some(L2), Some(L1), Some(NS)]);
    }
}
