//! The rows' RAG rating, direction of travel and judgement: the projection the warehouse script
//! carries (compile/judge.rs), executed over the rows' figures, so a local run and a warehouse
//! judge by the same expressions.

use super::RunError;
use crate::compile::judge;
use crate::compile::CompileError;
use crate::ir::{Project, RagColour};
use crate::judgement::{DefaultRag, Direction, Judgement};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use std::sync::Arc;

/// What a row is judged on: its measure (an index into the project), its value and the
/// previous period's, its target, its benchmarks and a funnel unit's label.
#[derive(Clone, Copy, Debug, Default)]
pub struct Figures {
    pub measure: usize,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub target: Option<f64>,
    pub benchmark_sn: Option<f64>,
    pub benchmark_england: Option<f64>,
    pub funnel: Option<crate::funnel::Significance>,
    /// The version of the definition the value was computed with, and whether the previous
    /// period's value was computed differently (by an earlier version).
    pub version: u32,
    pub changed: bool,
}

/// A row's RAG rating, direction of travel and judgement.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    pub rag: Option<RagColour>,
    pub direction: Option<Direction>,
    pub judgement: Option<Judgement>,
}

const ROW: &str = "row";

/// The verdict on each row's figures, in their order.
pub async fn verdicts(figures: &[Figures], project: &Project, default: DefaultRag) -> Result<Vec<Verdict>, RunError> {
    let mut out = vec![Verdict::default(); figures.len()];
    if figures.is_empty() {
        return Ok(out);
    }
    let number =
        |f: &dyn Fn(&Figures) -> Option<f64>| -> ArrayRef { Arc::new(figures.iter().map(f).collect::<Float64Array>()) };
    let fields = [
        (ROW, DataType::Int64),
        ("value", DataType::Float64),
        ("target", DataType::Float64),
        ("benchmark_sn", DataType::Float64),
        ("benchmark_england", DataType::Float64),
        (judge::MEASURE, DataType::Int64),
        (judge::PREVIOUS, DataType::Float64),
        ("funnel", DataType::Utf8),
        (judge::CHANGED, DataType::Boolean),
        (judge::VERSION, DataType::Int64),
    ];
    let schema = Arc::new(Schema::new(fields.iter().map(|(n, t)| Field::new(*n, t.clone(), true)).collect::<Vec<_>>()));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..figures.len() as i64)),
        number(&|f| f.value),
        number(&|f| f.target),
        number(&|f| f.benchmark_sn),
        number(&|f| f.benchmark_england),
        Arc::new(Int64Array::from_iter_values(figures.iter().map(|f| f.measure as i64))),
        number(&|f| f.previous),
        Arc::new(figures.iter().map(|f| f.funnel.map(crate::funnel::Significance::label)).collect::<StringArray>()),
        Arc::new(figures.iter().map(|f| Some(f.changed)).collect::<BooleanArray>()),
        Arc::new(Int64Array::from_iter_values(figures.iter().map(|f| i64::from(f.version)))),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(DataFusionError::from)?;
    let table = MemTable::try_new(schema, vec![vec![batch]])?;
    let mut measures: Vec<usize> = figures.iter().map(|f| f.measure).collect();
    measures.sort_unstable();
    measures.dedup();
    let scan =
        LogicalPlanBuilder::scan("rows", provider_as_source(Arc::new(table)), None).map_err(CompileError::from)?;
    let plan = judge::finish(scan, project, &measures, default, &[ROW, "rag", "direction", "judgement"])?
        .build()
        .map_err(CompileError::from)?;
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    for batch in ctx.execute_logical_plan(plan).await?.collect().await? {
        let row = batch.column(0).as_primitive::<Int64Type>();
        let texts: Vec<ArrayRef> = (1..4)
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
                .ok_or_else(|| CompileError::internal(format!("the judgement's projection gave `{name}`")).into())
        }
        for r in 0..batch.num_rows() {
            out[row.value(r) as usize] = Verdict {
                rag: named(&texts, 0, r, RagColour::parse)?,
                direction: named(&texts, 1, r, Direction::parse)?,
                judgement: named(&texts, 2, r, Judgement::parse)?,
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

    fn judged(project: &Project, default: DefaultRag, figures: &[Figures]) -> Vec<(String, String, String)> {
        let out = tokio::runtime::Runtime::new().unwrap().block_on(verdicts(figures, project, default)).unwrap();
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

    #[test]
    fn rag_rules_read_a_funnel_units_label() {
        use crate::funnel::Significance;
        let p = funnel_project(
            "rag red when funnel = \"Low (0.001)\", amber when funnel in (\"Low (0.025)\"), otherwise green",
        )
        .unwrap();
        let unit = |funnel: Option<Significance>| Figures { value: Some(50.0), funnel, ..Figures::default() };
        let rows: Vec<Figures> =
            [None, Some(Significance::Low001), Some(Significance::Low025), Some(Significance::High001)]
                .map(unit)
                .to_vec();
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
}
