//! Benchmarks from published LA-level data in DfE's format: England's value, the statistical
//! neighbours' mean or median, and the authority's own published value, each from the latest
//! published year ending on or before the period's end. Suppressed or unavailable values
//! (`c`, `x`, `z`, `u`, `low`, `:`) are missing: such a neighbour is left out, and the number
//! of neighbours used is reported.

use crate::ir::SnMethod;
use chrono::NaiveDate;
use std::path::Path;

/// What the project says about its own published figures (`[benchmarks]` in scorebook.toml).
#[derive(Clone, Debug, Default)]
pub struct BenchmarkSettings {
    /// The authority's old LA code in DfE's files (`895` for Cheshire East).
    pub la_code: Option<String>,
    /// Old LA codes of its statistical neighbours.
    pub neighbours: Vec<String>,
    /// How neighbours are averaged when a measure does not say.
    pub sn_average: SnMethod,
}

/// One published figure: a year ending 31 March, a geography, and a value if published.
#[derive(Clone, Debug, PartialEq)]
pub struct PublishedRow {
    pub time_period: i32,
    pub national: bool,
    pub la_code: Option<String>,
    pub value: Option<f64>,
}

/// The benchmarks of one period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Published {
    pub sn: Option<f64>,
    pub england: Option<f64>,
    pub la: Option<f64>,
    /// How many neighbours had a value for the year used.
    pub neighbours_used: usize,
    pub year: Option<i32>,
}

/// Reads a neighbour list: DfE's groupings (a row per LA, its neighbours in `SN1`..`SN10` or
/// `SN_1`..`SN_10` columns) or a list with `la_old_code` and `neighbour_old_code` columns.
pub fn read_neighbours(path: &Path, la_code: &str) -> Result<Vec<String>, String> {
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let records: Vec<csv::StringRecord> =
        reader.records().collect::<Result<_, _>>().map_err(|e| format!("{}: {e}", path.display()))?;
    if let (Some(la), Some(n)) =
        (headers.iter().position(|h| h == "la_old_code"), headers.iter().position(|h| h == "neighbour_old_code"))
    {
        return Ok(records
            .iter()
            .filter(|r| r.get(la) == Some(la_code))
            .filter_map(|r| r.get(n).map(str::to_string))
            .collect());
    }
    let is_sn = |h: &str| {
        let digits = h.strip_prefix("SN_").or_else(|| h.strip_prefix("SN")).unwrap_or("");
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    };
    let columns: Vec<usize> = headers.iter().enumerate().filter(|(_, h)| is_sn(h)).map(|(i, _)| i).collect();
    if columns.is_empty() {
        return Err(format!(
            "{}: neither DfE's groupings (SN1..SN10 columns) nor a list with la_old_code and neighbour_old_code columns",
            path.display()
        ));
    }
    let row = records
        .iter()
        .find(|r| r.get(0).map(|c| c.trim()) == Some(la_code))
        .ok_or_else(|| format!("{}: no row for LA {la_code}", path.display()))?;
    Ok(columns.iter().filter_map(|&i| row.get(i)).map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect())
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// The benchmarks for a period ending `end`, from the latest published year ending (31 March)
/// on or before it.
pub fn for_period(rows: &[PublishedRow], end: NaiveDate, settings: &BenchmarkSettings, method: SnMethod) -> Published {
    let year_ends = |y: i32| NaiveDate::from_ymd_opt(y, 3, 31).is_some_and(|d| d <= end);
    let Some(year) = rows.iter().map(|r| r.time_period).filter(|y| year_ends(*y)).max() else {
        return Published::default();
    };
    let this_year: Vec<&PublishedRow> = rows.iter().filter(|r| r.time_period == year).collect();
    let england = this_year.iter().find(|r| r.national).and_then(|r| r.value);
    let la = settings
        .la_code
        .as_ref()
        .and_then(|code| this_year.iter().find(|r| r.la_code.as_ref() == Some(code)))
        .and_then(|r| r.value);
    let values: Vec<f64> = settings
        .neighbours
        .iter()
        .filter_map(|n| this_year.iter().find(|r| r.la_code.as_ref() == Some(n)).and_then(|r| r.value))
        .collect();
    let used = values.len();
    let sn = match method {
        SnMethod::Mean => (used > 0).then(|| values.iter().sum::<f64>() / used as f64),
        SnMethod::Median => median(values),
    };
    Published { sn, england, la, neighbours_used: used, year: Some(year) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(year: i32, la: Option<&str>, value: Option<f64>) -> PublishedRow {
        PublishedRow { time_period: year, national: la.is_none(), la_code: la.map(str::to_string), value }
    }

    #[test]
    fn latest_year_on_or_before_the_period_end_and_suppressed_neighbours_left_out() {
        let rows = vec![
            row(2012, None, Some(300.0)),
            row(2013, None, Some(326.0)),
            row(2014, None, Some(340.0)),
            row(2013, Some("895"), Some(210.0)),
            row(2013, Some("896"), Some(250.0)),
            row(2013, Some("823"), None),
            row(2013, Some("850"), Some(270.0)),
            row(2013, Some("919"), Some(200.0)),
        ];
        let settings = BenchmarkSettings {
            la_code: Some("895".into()),
            neighbours: vec!["896".into(), "823".into(), "850".into(), "919".into()],
            sn_average: SnMethod::Mean,
        };
        let sept: NaiveDate = "2013-09-30".parse().unwrap();
        let mean = for_period(&rows, sept, &settings, SnMethod::Mean);
        assert_eq!(
            mean,
            Published { sn: Some(240.0), england: Some(326.0), la: Some(210.0), neighbours_used: 3, year: Some(2013) }
        );
        assert_eq!(for_period(&rows, sept, &settings, SnMethod::Median).sn, Some(250.0));
        // A period ending 2013-03-30 is before the year ending 2013-03-31 was complete.
        assert_eq!(for_period(&rows, "2013-03-30".parse().unwrap(), &settings, SnMethod::Mean).england, Some(300.0));
        assert_eq!(for_period(&rows, "2011-03-31".parse().unwrap(), &settings, SnMethod::Mean), Published::default());
    }

    #[test]
    fn neighbour_lists_in_both_formats() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("list.csv");
        std::fs::write(
            &list,
            "la_old_code,la_name,neighbour_rank,neighbour_old_code,neighbour_name\n895,CE,1,896,CW\n895,CE,2,823,CB\n",
        )
        .unwrap();
        assert_eq!(read_neighbours(&list, "895").unwrap(), ["896", "823"]);
        let dfe = dir.path().join("dfe.csv");
        std::fs::write(&dfe, "\u{feff}LA num,LA Name,LA number,GOInd,GOReg,SN1,SNP,SN2,SNP,\n895,Cheshire East,895,8,NW,896,Close,823,Close,\n").unwrap();
        assert_eq!(read_neighbours(&dfe, "895").unwrap(), ["896", "823"]);
        let wide = dir.path().join("wide.csv");
        std::fs::write(
            &wide,
            "old_la_code,la_name,region_ind,region_name,SN_1,SN_1P,SN_2,SN_2P\n895,CE,8,NW,896,Close ,850,Close \n",
        )
        .unwrap();
        assert_eq!(read_neighbours(&wide, "895").unwrap(), ["896", "850"]);
        assert!(read_neighbours(&wide, "999").unwrap_err().contains("no row for LA 999"));
    }
}
