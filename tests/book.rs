//! The performance book's reports: HTML rendered in headless Chromium, Excel read back,
//! Markdown. Chromium comes from Debian's `chromium` package (scripts/test.sh installs it).

use scorebook::engine::{self, RunOptions};
use scorebook::{book, project};
use std::path::Path;

mod common;

/// The project at `rules` run over `data` as of a date.
fn run(rules: &Path, data: &Path, as_of: &str) -> (scorebook::ir::Project, Vec<scorebook::results::ResultRow>) {
    let project = project::check_paths(&[rules.to_path_buf()]).unwrap().1.project.unwrap();
    let options =
        RunOptions { as_of: Some(as_of.parse().unwrap()), data_dir: Some(data.to_path_buf()), ..RunOptions::default() };
    let out = tokio::runtime::Runtime::new().unwrap().block_on(engine::run(&project, None, &options)).unwrap();
    (project, out.rows)
}

fn the_book() -> (scorebook::ir::Project, Vec<scorebook::results::ResultRow>) {
    run(Path::new("rules"), Path::new("tests/fixtures/edge"), "2013-09-30")
}

fn layout(project: &scorebook::ir::Project, rows: &[scorebook::results::ResultRow]) -> book::Book {
    book::layout(
        rows,
        &|r: &str| {
            project
                .measures
                .iter()
                .find(|m| m.reference == r)
                .map(|m| book::LineFacts {
                    polarity: format!("{:?}", m.polarity),
                    overdispersed: m.funnel.as_ref().is_some_and(|f| f.overdispersed),
                    headings: m.breakdowns.iter().map(|b| (b.name.clone(), b.heading().to_string())).collect(),
                    ..Default::default()
                })
                .unwrap_or_default()
        },
        book::Heading { title: "Improvement Board Performance Book".into(), subtitle: Some("Edge cases".into()) },
    )
}

#[test]
fn html_renders_every_measure_and_its_rag_in_chromium() {
    let (project, rows) = the_book();
    let html = book::to_html(&layout(&project, &rows));
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let page = out_dir.join("book.html");
    std::fs::write(&page, &html).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "the page must not reach the network");

    let browser = common::Browser::new();
    let dom = browser.dom(&page);
    for m in &project.measures {
        assert!(dom.contains(&format!("<tr data-ref=\"{}\">", m.reference)), "{} is not on the page", m.reference);
    }
    // RAG as text as well as colour: 3.2 (repeat referrals) is red in September.
    assert!(dom.contains("<td class=\"rag red\">Red</td>"), "no red RAG cell rendered");
    assert!(dom.contains("id=\"tracker\""));
    assert!(dom.contains("<svg class=\"trend\""));
    // Intervals as text under each value and as whiskers: 2.1a is 2 of 3 in September, Wilson
    // 20.8 to 93.9 at 95%.
    let row_21a = dom.lines().find(|l| l.starts_with("<tr data-ref=\"2.1a\">")).unwrap();
    assert!(
        row_21a.contains(
            "<td class=\"num\" title=\"95% confidence interval: 20.8 to 93.9\">66.7%<span class=\"ci\">20.8–93.9</span></td>"
        ),
        "{row_21a}"
    );
    assert!(dom.contains("<path class=\"whisker\""), "no whiskers on the trend lines");
    // Benchmark cells coloured by the comparison, with the words for screen readers, and a legend.
    assert!(
        row_21a.contains("<td class=\"num cmp-similar\" title=\"the interval is similar to the benchmark\">77.0"),
        "{row_21a}"
    );
    let row_11b = dom.lines().find(|l| l.starts_with("<tr data-ref=\"1.1b\">")).unwrap();
    assert!(row_11b.contains("<td class=\"num cmp-lower\""), "{row_11b}");
    assert!(dom.contains("<span class=\"key\" style=\"background:#e3e3e3\">Similar to the benchmark</span>"));

    let shot = out_dir.join("book.png");
    browser.screenshot(&page, &shot, 1800, 1400);
    // The screenshot shows the comparison fills and the whiskers' grey.
    let pixels = screenshot_pixels(&shot);
    for (colour, what) in
        [([0xe3, 0xe3, 0xe3], "similar"), ([0xb2, 0xab, 0xd2], "lower"), ([0x8c, 0x8c, 0x8c], "whiskers")]
    {
        let n = pixels.iter().filter(|p| **p == colour).count();
        assert!(n > 50, "the screenshot has {n} pixels of the {what} colour");
    }
}

/// The RGB pixels of a PNG screenshot.
fn screenshot_pixels(path: &Path) -> Vec<[u8; 3]> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let step = match frame.color_type {
        png::ColorType::Rgba => 4,
        png::ColorType::Rgb => 3,
        other => panic!("a screenshot in {other:?}"),
    };
    buf[..frame.buffer_size()].chunks(step).map(|p| [p[0], p[1], p[2]]).collect()
}

#[test]
fn xlsx_has_both_sheets_with_values_and_rag_text() {
    use calamine::{Data, Reader, Xlsx};
    let (project, result_rows) = the_book();
    let bytes = book::to_xlsx(&layout(&project, &result_rows)).unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), ["Performance Book", "Target Tracker", "Results"]);
    let book = wb.worksheet_range("Performance Book").unwrap();
    let rows: Vec<Vec<Data>> = book.rows().map(|r| r.to_vec()).collect();
    // The book's title and as-of date head the sheet; the table starts below them.
    assert_eq!(rows[0][0], Data::String("Improvement Board Performance Book — Performance Book".into()));
    assert_eq!(rows[1][0], Data::String("Edge cases".into()));
    assert_eq!(rows[2][0], Data::String("As of 2013-09-30".into()));
    let header_at = rows.iter().position(|r| r[0] == Data::String("Theme".into())).unwrap();
    let header: Vec<String> = rows[header_at].iter().map(|c| c.to_string()).collect();
    assert_eq!(&header[..6], ["Theme", "Ref", "Measure", "Polarity", "RAG", "yr end 2012-13"]);
    let row_of = |r: &str| rows.iter().find(|row| row[1] == r).unwrap().clone();
    let repeat = row_of("3.2");
    assert_eq!(repeat[4], Data::String("Red".into()));
    let sep = header.iter().position(|h| h == "Sep 13").unwrap();
    assert_eq!(repeat[sep], Data::Float(33.3));
    let cin = row_of("1.1a");
    assert_eq!(cin[5], Data::Float(1.0));
    let tracker = wb.worksheet_range("Target Tracker").unwrap();
    let refs: Vec<String> =
        tracker.rows().skip_while(|r| r[0] != Data::String("Theme".into())).skip(1).map(|r| r[1].to_string()).collect();
    assert_eq!(refs, ["2.3", "2.4a", "2.5", "2.9", "2.11", "2.12", "3.2", "3.3", "3.7", "4.1", "4.2", "4.5"]);
    // The Results sheet is the result table, intervals and comparisons included.
    let results = wb.worksheet_range("Results").unwrap();
    let table: Vec<Vec<Data>> = results.rows().map(|r| r.to_vec()).collect();
    let names: Vec<String> = table[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(names, scorebook::results::COLUMNS);
    let col = |n: &str| names.iter().position(|c| c == n).unwrap();
    let sep_21a = table
        .iter()
        .find(|r| {
            r[col("ref")] == Data::String("2.1a".into()) && r[col("period_label")] == Data::String("2013-09".into())
        })
        .unwrap();
    let expected = result_rows.iter().find(|r| r.reference == "2.1a" && r.period_label == "2013-09").unwrap();
    assert_eq!(sep_21a[col("value")], Data::Float(expected.value.unwrap()));
    assert_eq!(sep_21a[col("ci_low")], Data::Float(expected.ci_low.unwrap()));
    assert_eq!(sep_21a[col("ci_high")], Data::Float(expected.ci_high.unwrap()));
    assert_eq!(sep_21a[col("compared_sn")], Data::String("similar".into()));
    assert_eq!(table.len(), 1 + result_rows.len());
}

#[test]
fn markdown_is_a_table_of_every_measure() {
    let (project, rows) = the_book();
    let md = book::to_markdown(&layout(&project, &rows));
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[..4], ["# Improvement Board Performance Book", "", "Edge cases", ""]);
    let table: Vec<&str> = lines.iter().copied().skip_while(|l| !l.starts_with('|')).collect();
    assert!(table[0].starts_with("| Ref | Measure | RAG | yr end 2012-13 | Apr 13 |"));
    assert_eq!(table.len(), 2 + project.measures.len());
    assert!(table.iter().any(|l| l.starts_with("| 3.2 | % of referrals which are repeat referrals | red |")));
}

/// The SSDA903 book over the hand-made return: 903.1 has breakdowns by legal status, age
/// band and sex, labelled ("Legal status").
fn the_903_book() -> book::Book {
    let (project, rows) = run(Path::new("examples/ssda903"), Path::new("tests/fixtures/ssda903"), "2014-03-31");
    layout(&project, &rows)
}

#[test]
fn breakdowns_are_shown_under_their_measure_in_every_book_format() {
    let book = the_903_book();
    let line = book.lines.iter().find(|l| l.reference == "903.1").unwrap();
    let labels: Vec<String> = line.breakdowns.iter().map(|b| b.label()).collect();
    // Each line is headed with its breakdown's label, not the rule's name for it.
    assert!(labels.contains(&"Legal status: C2".to_string()), "{labels:?}");
    assert!(labels.contains(&"Age band: 16 and over".to_string()), "{labels:?}");
    assert!(labels.contains(&"Sex: (missing)".to_string()), "{labels:?}");
    assert!(labels.iter().all(|l| !l.contains('_')), "{labels:?}");
    let c2 = line.breakdowns.iter().find(|b| b.label() == "Legal status: C2").unwrap();
    let sep = c2.cells.iter().find(|r| r.period_label == "2013-09").unwrap();

    // Markdown: indented rows right under the measure's own.
    let md = book::to_markdown(&book);
    let at = md.lines().position(|l| l.starts_with("| 903.1 |")).unwrap();
    let next: Vec<&str> = md.lines().skip(at + 1).take(labels.len()).collect();
    assert!(next.iter().all(|l| l.starts_with("|  | \u{a0}\u{a0}\u{a0}\u{a0}↳ ")), "{next:#?}");
    assert!(next.iter().any(|l| l.contains("↳ Legal status: C2 |")));

    // HTML: the breakdown rows in the measure's own group, behind a toggle that starts open.
    let html = book::to_html(&book);
    assert!(html.contains("<input type=\"checkbox\" class=\"toggle\" checked"), "no open toggle");
    assert!(html.contains("> by Age band, Legal status, Sex</label>"), "the toggle names the breakdowns");
    let c2_row = html
        .lines()
        .find(|l| {
            l.starts_with(
                "<tr class=\"breakdown\" data-ref=\"903.1\" data-breakdown=\"legal_status\" data-value=\"C2\">",
            )
        })
        .expect("a legal_status C2 row");
    assert!(c2_row.contains(&format!(">{}<span class=\"ci\">", sep.value.unwrap())), "{c2_row}");
    assert!(c2_row.contains("<td class=\"label\">Legal status: C2</td>"), "{c2_row}");

    // XLSX: grouped rows under the measure, the label indented.
    use calamine::{Data, Reader, Xlsx};
    let bytes = book::to_xlsx(&book).unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = wb.worksheet_range("Performance Book").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    let at = rows.iter().position(|r| r[1] == Data::String("903.1".into())).unwrap();
    assert_eq!(rows[at + 1][1], Data::String("903.1".into()));
    let under: Vec<String> = rows[at + 1..=at + labels.len()].iter().map(|r| r[2].to_string()).collect();
    assert_eq!(under, labels);
}

#[test]
fn half_a_place_rounds_away_from_zero_in_every_format() {
    use scorebook::results;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("book.ind"),
        "source stays \"Stays\" {\n  id text key\n  day date\n  nights int\n}\n\n\
         measure mean_nights {\n  ref \"M1\"\n  title \"Mean nights\"\n  mean nights of stays\n  in period by day\n  precision 1\n  polarity none\n}\n",
    )
    .unwrap();
    // Three stays of 579 nights and one of 580: a mean of 579.25, exact in binary.
    std::fs::write(
        dir.path().join("stays.csv"),
        "id,day,nights\na,2013-09-01,579\nb,2013-09-02,579\nc,2013-09-03,579\nd,2013-09-04,580\n",
    )
    .unwrap();
    let (project, rows) = run(&dir.path().join("book.ind"), dir.path(), "2013-09-30");
    let sep = rows.iter().find(|r| r.period_label == "2013-09").unwrap();
    assert_eq!(sep.value, Some(579.25));
    assert!(results::to_csv(&rows).contains(",579.25,"), "data formats keep the value unrounded");
    let table = results::to_table(&rows, false);
    let shown = |l: &str| l.split_whitespace().any(|cell| cell == "579.3");
    assert!(table.lines().any(|l| l.starts_with("M1") && l.contains("2013-09") && shown(l)), "{table}");
    let book = layout(&project, &rows);
    assert!(book::to_markdown(&book).contains("| 579.3 |"));
    assert!(book::to_html(&book).contains("<td class=\"num\">579.3</td>"));
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(book::to_xlsx(&book).unwrap())).unwrap();
    let sheet = wb.worksheet_range("Performance Book").unwrap();
    assert!(sheet.rows().any(|r| r.contains(&Data::Float(579.3))), "the workbook holds 579.3");
}

#[path = "common/funnel_rates.rs"]
mod funnel_rates;
#[path = "common/public_health.rs"]
mod public_health;

/// The funnel plots of a percentage (`examples/public-health`, deaths at home by practice) and
/// of crude and standardised rates by area (PHE's published test areas), drawn in Chromium:
/// one point a unit, in its class's colour, within the axes; both limit lines; the units'
/// labels in the table under each chart and in the Markdown book.
#[test]
fn funnel_plots_render_each_unit_and_the_limits_in_chromium() {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let data = tempfile::tempdir().unwrap();
    funnel_rates::generate(data.path(), 5);
    let (project, rows) = run(Path::new("tests/fixtures/funnel-rates"), data.path(), "2021-03-31");
    let rates = layout(&project, &rows);
    let charts = rates.funnels();
    assert_eq!(
        charts.iter().map(|c| c.reference.as_str()).collect::<Vec<_>>(),
        ["FR.1", "FR.2", "FR.3", "FR.4", "FR.5", "FR.6"]
    );
    for c in &charts {
        assert_eq!(c.period_label, "2020-21 YTD", "{}", c.reference);
    }
    // Every area of the crude rate, each with PHE's published label.
    let crude = &charts[0];
    assert_eq!(crude.units.len(), 40);
    for u in &crude.units {
        let k: usize = u.label[1..].parse::<usize>().unwrap() - 1;
        assert_eq!(u.significance.label(), funnel_rates::PUBLISHED[k].2, "{}", u.label);
        assert_eq!(u.x, f64::from(funnel_rates::PUBLISHED[k].1), "{} is drawn at its population", u.label);
    }
    // The average: Σ O / Σ population per 100,000.
    let (events, people) =
        funnel_rates::PUBLISHED.iter().fold((0.0, 0.0), |(e, p), r| (e + f64::from(r.0), p + f64::from(r.1)));
    assert!((crude.average - events / people * 100_000.0).abs() < 1e-9);
    // The limits narrow as the population grows, and hold the average between them.
    let [low95, high95, low998, high998] = &crude.limits;
    for (low, high) in [(low95, high95), (low998, high998)] {
        assert!(low.len() > 50 && high.len() > 50);
        assert!(low.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1 + 1e-9), "the lower limit rises");
        assert!(high.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 + 1e-9 >= w[1].1), "the upper limit falls");
        assert!(low.iter().all(|p| p.1 < crude.average) && high.iter().all(|p| p.1 > crude.average));
    }
    // The standardised rate: 39 areas (the one without deaths has no DSR).
    assert_eq!(charts[2].units.len(), 39);
    // The SMR: every area at its expected deaths, around 100.
    let smr = &charts[3];
    assert_eq!((smr.units.len(), smr.x_name), (40, "expected events"));
    assert!((smr.average - 100.0).abs() < 1e-9, "{}", smr.average);
    // FR.5 and FR.6 are FR.1 and FR.4 with `overdispersed`: PHE's areas vary far more than chance
    // allows, so their limits are widened by τ²: at each point, the average × exp(∓z √(1/E + τ²))
    // with E the expected events there, beyond the same without τ².
    for (plain, widened) in [(&charts[0], &charts[4]), (smr, &charts[5])] {
        assert_eq!(plain.dispersion, None);
        let d = widened.dispersion.expect("over-dispersed");
        assert!(d.phi > 1.0 && d.tau2 > 0.0, "{d:?}");
        assert_eq!(widened.average, plain.average);
        let expected = |x: f64| if widened.x_name == "population" { x * widened.average / 100_000.0 } else { x };
        for (k, line) in widened.limits.iter().enumerate() {
            let z = public_health::z(if k < 2 { 95.0 } else { 99.8 }) * if k % 2 == 0 { -1.0 } else { 1.0 };
            assert!(line.len() > 50);
            for &(x, y) in line {
                let want = widened.average * (z * (1.0 / expected(x) + d.tau2).sqrt()).exp();
                assert!((y - want).abs() < 1e-6 * want, "{} at {x}: {y}, want {want}", widened.reference);
                let without = widened.average * (z * (1.0 / expected(x)).sqrt()).exp();
                assert!(if z < 0.0 { y < without } else { y > without });
            }
        }
        // Fewer areas outside the widened limits.
        let outside = |c: &book::funnel_chart::FunnelChart| {
            c.units.iter().filter(|u| u.significance != scorebook::funnel::Significance::NotSignificant).count()
        };
        assert!(outside(widened) < outside(plain), "{}", widened.reference);
    }

    let page = out_dir.join("funnels.html");
    std::fs::write(&page, book::to_html(&rates)).unwrap();
    let browser = common::Browser::new();
    let dom = browser.dom(&page);
    assert!(dom.contains("Limits widened for over-dispersion between the units (φ = "));
    for reference in ["FR.1", "FR.2", "FR.3", "FR.4", "FR.5", "FR.6"] {
        let start = dom.find(&format!("<svg class=\"funnel\" data-ref=\"{reference}\"")).expect(reference);
        let svg = &dom[start..start + dom[start..].find("</svg>").unwrap()];
        let circles = svg.matches("<circle class=\"unit ").count();
        assert_eq!(circles, if reference == "FR.3" { 39 } else { 40 }, "{reference}");
        assert_eq!(svg.matches("<polyline class=\"limit-95\"").count(), 2, "{reference}");
        assert_eq!(svg.matches("<polyline class=\"limit-998\"").count(), 2, "{reference}");
        // Every point within the plotting area (560 × 320, axes at 56 and 280).
        for c in svg.split("<circle ").skip(1) {
            let attr = |name: &str| -> f64 {
                let at = c.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                c[at..at + c[at..].find('"').unwrap()].parse().unwrap()
            };
            assert!((56.0..=548.0).contains(&attr("cx")) && (12.0..=280.0).contains(&attr("cy")), "{reference}: {c}");
        }
    }
    assert!(
        dom.contains("<td class=\"high-001\">High (0.001)</td>")
            && dom.contains("<td class=\"low-025\">Low (0.025)</td>")
    );
    browser.screenshot(&page, &out_dir.join("funnels.png"), 1400, 2400);

    // A percentage's funnel: the practices of the public-health book around the measure's whole.
    let data = tempfile::tempdir().unwrap();
    public_health::generate(data.path(), 4_000, 11);
    let (project, rows) = run(Path::new("examples/public-health"), data.path(), "2014-03-31");
    let deaths = layout(&project, &rows);
    let charts = deaths.funnels();
    assert_eq!(charts.len(), 2);
    let home = &charts[0];
    assert_eq!(home.reference, "PH.5");
    // PH.6, the same practices with `overdispersed`: their limits widened where they vary more
    // than chance allows.
    assert_eq!(charts[1].reference, "PH.6");
    assert!(charts[1].dispersion.is_some_and(|d| d.phi > 1.0));
    let whole = rows
        .iter()
        .find(|r| r.reference == "PH.5" && r.breakdown.is_none() && r.period_label == home.period_label)
        .unwrap();
    assert!((home.average - whole.value.unwrap()).abs() < 1e-9, "the average is the measure's own value");
    let labelled = rows
        .iter()
        .filter(|r| r.reference == "PH.5" && r.period_label == home.period_label && r.funnel.is_some())
        .count();
    assert_eq!(home.units.len(), labelled);
    let markdown = book::to_markdown(&deaths);
    assert!(markdown.contains(&format!("## Funnel plot: PH.5 {}, {}", home.title, home.period_label)));
    for u in &home.units {
        assert!(markdown.contains(&format!("| {} |", u.label)) && markdown.contains(u.significance.label()));
    }
}

/// A measure with versions: the first value of a period computed with a later definition than
/// the period before's is marked in every book format, saying which version and why.
#[test]
fn a_change_of_definition_is_marked_in_every_book_format() {
    let (project, rows) =
        run(Path::new("tests/fixtures/versions/book.ind"), Path::new("tests/fixtures/edge"), "2013-09-30");
    let heading = book::Heading::default();
    let book = scorebook::output::book_of(&project, &rows, heading);
    let line = book.lines.iter().find(|l| l.reference == "V2").unwrap();
    let note = "Definition version 2 from 2013-08-01: Referrals closed with no further action left out";
    assert_eq!(line.versions.len(), 1);
    assert_eq!(line.versions[0].describe(), note);
    // V2's breaks: August (July was version 1), Q2 (Q1) and the year to date (last year's).
    let breaks: Vec<&str> =
        line.cells.iter().filter(|r| line.break_at(r).is_some()).map(|r| r.period_label.as_str()).collect();
    assert_eq!(breaks, ["2013-08", "2013-14 Q2", "2013-14 YTD"]);

    let html = book::to_html(&book);
    let marked = format!(
        "<td class=\"num break\" title=\"{note} (not judged against the period before); 95% confidence interval: 0 to 6\"><sup class=\"v\">v2</sup>1<span class=\"ci\">"
    );
    assert!(html.contains(&marked), "{html}");
    let changed = Some(scorebook::judgement::Judgement::DefinitionChanged);
    let breaks = book.rows().filter(|r| r.judgement == changed).count();
    assert!(breaks >= 9, "{breaks}");
    assert_eq!(html.matches("<td class=\"num break\"").count(), breaks, "every break, and only those");
    assert!(html.contains(&format!("<span class=\"meta version\">{note}</span>")));
    assert!(html.contains("A break in the series"));
    // V4's version changes only its target: no break.
    let v4 = book.lines.iter().find(|l| l.reference == "V4").unwrap();
    assert!(v4.cells.iter().all(|r| v4.break_at(r).is_none()));

    let markdown = book::to_markdown(&book);
    let v2 = markdown.lines().find(|l| l.starts_with("| V2 |")).unwrap();
    assert!(v2.contains("| (v2) 1 |"), "{v2}");
    assert!(markdown.contains(&format!("- V2 Referrals: {note}")), "{markdown}");

    // The workbook: a note on each marked cell, and the versions under the title.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    std::fs::write(&path, book::to_xlsx(&book).unwrap()).unwrap();
    let script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint('\\n'.join(z.read(n).decode() for n in z.namelist() if 'comments' in n or 'sharedStrings' in n))";
    let out = std::process::Command::new("python3").args(["-c", script]).arg(&path).output().unwrap();
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains(&format!("{note} (not judged against the period before)")), "{xml}");
    assert!(xml.contains(&format!("Referrals\n{note}")), "{xml}");
}
