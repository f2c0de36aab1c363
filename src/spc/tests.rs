use super::*;

/// NHSRplotthedots' test series: `set.seed(123); rnorm(20)`, to the 8 places R prints.
const RNORM: [f64; 20] = [
    -0.56047565,
    -0.23017749,
    1.55870831,
    0.07050839,
    0.12928774,
    1.71506499,
    0.46091621,
    -1.26506123,
    -0.68685285,
    -0.44566197,
    1.22408180,
    0.35981383,
    0.40077145,
    0.11068272,
    -0.55584113,
    1.78691314,
    0.49785048,
    -1.96661716,
    0.70135590,
    -0.47279141,
];

fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
}

fn limits_of(values: &[f64], baseline: Option<usize>, screen: bool) -> Limits {
    limits(values, baseline, screen).unwrap()
}

#[test]
fn limits_are_the_mean_and_2_66_mean_moving_ranges() {
    // The package's snapshot: mean 0.142, limits -3.01 and 3.29.
    let l = limits_of(&RNORM, None, true);
    close(l.mean, 0.1416238035);
    close(l.lpl, -3.0113795941);
    close(l.upl, 3.2946272011);
    close(l.upper_2sigma - l.mean, 2.0 / 3.0 * (l.upl - l.mean));
    close(l.mean - l.lower_2sigma, 2.0 / 3.0 * (l.mean - l.lpl));
}

#[test]
fn screening_drops_moving_ranges_of_3_267_times_their_mean() {
    // The package's outlier case: the 15th value set to 10.
    let mut y = RNORM;
    y[14] = 10.0;
    let screened = limits_of(&y, None, true);
    let unscreened = limits_of(&y, None, false);
    close(screened.mean, 0.66941586);
    close(unscreened.mean, 0.66941586);
    close(screened.lpl, -2.383665596188235);
    close(screened.upl, 3.722497316188235);
    close(unscreened.lpl, -4.5966251804);
    close(unscreened.upl, 5.9354569004);
}

#[test]
fn a_baseline_fixes_the_mean_and_limits_on_its_first_points() {
    let l = limits_of(&RNORM, Some(12), false);
    close(l.mean, 0.19417934);
    close(l.lpl, -2.6073998129090903);
    close(l.upl, 2.995758492909091);
}

#[test]
fn fewer_than_twelve_points_have_no_limits() {
    assert_eq!(limits(&RNORM[..11], None, false), None);
    let a = analyse(&RNORM[..11].iter().map(|v| Some(*v)).collect::<Vec<_>>(), Some(true), &SpcOptions::default());
    assert_eq!((a.limits, a.variation), (None, None));
    assert!(a.points.iter().all(|p| p.flag.is_none()));
}

/// Limits of mean 0, ±3 (two sigma at ±2), for testing the rules alone.
const FLAT: Limits = Limits { mean: 0.0, lpl: -3.0, upl: 3.0, lower_2sigma: -2.0, upper_2sigma: 2.0 };

fn rules(values: &[f64], run_length: usize) -> Vec<Option<&'static str>> {
    flags(values, &FLAT, run_length).iter().map(|f| f.map(|f| f.rule.name())).collect()
}

#[test]
fn a_point_outside_the_limits() {
    let r = rules(&[0.5, -0.5, 3.5, -0.5, -3.01, 0.5, 3.0], 7);
    assert_eq!(r, [None, None, Some("outside_limits"), None, Some("outside_limits"), None, None]);
}

#[test]
fn a_shift_of_run_length_points_on_one_side_flags_every_point() {
    let six = [1.0, 1.1, 1.2, 1.1, 1.0, 1.2];
    assert!(rules(&six, 7).iter().all(Option::is_none), "six points are not a run of seven");
    let r = rules(&[-1.0, 1.0, 1.1, 1.2, 1.1, 1.0, 1.2, 1.1, -1.0], 7);
    assert_eq!(
        r,
        [
            None,
            Some("shift"),
            Some("shift"),
            Some("shift"),
            Some("shift"),
            Some("shift"),
            Some("shift"),
            Some("shift"),
            None
        ]
    );
    // Run lengths 6 and 8.
    assert!(rules(&six, 6).iter().all(|r| *r == Some("shift")));
    let seven = [1.0, 1.1, 1.2, 1.1, 1.0, 1.2, 1.1];
    assert!(rules(&seven, 8).iter().all(Option::is_none));
    assert!(rules(&[seven.as_slice(), &[1.3]].concat(), 8).iter().all(|r| *r == Some("shift")));
}

#[test]
fn a_point_on_the_mean_breaks_a_run() {
    let r = rules(&[1.0, 1.1, 1.2, 0.0, 1.1, 1.0, 1.2, 1.1], 7);
    assert!(r.iter().all(Option::is_none), "{r:?}");
}

#[test]
fn a_trend_of_run_length_points_and_an_equal_neighbour_breaks_it() {
    // Rising through the mean: seven points, six rises.
    let rising = [-1.5, -1.0, -0.5, 0.2, 0.4, 0.6, 0.8];
    assert!(rules(&rising, 7).iter().all(|r| *r == Some("trend")));
    let f = flags(&rising, &FLAT, 7);
    assert!(f.iter().all(|f| f.unwrap().high), "a rising trend is on the high side");
    let falling: Vec<f64> = rising.iter().rev().map(|v| v + 0.1).collect();
    assert!(flags(&falling, &FLAT, 7).iter().all(|f| f.is_some_and(|f| f.rule == Rule::Trend && !f.high)));
    let with_equal = [-1.5, -1.0, -0.5, -0.5, 0.4, 0.6, 0.8, 1.0];
    assert!(rules(&with_equal, 7).iter().all(Option::is_none), "an equal neighbour breaks the trend");
    assert!(rules(&rising[1..], 6).iter().all(|r| *r == Some("trend")));
    assert!(rules(&rising, 8).iter().all(Option::is_none));
}

#[test]
fn two_of_three_beyond_two_sigma_on_one_side() {
    let r = rules(&[0.5, 2.5, 0.5, 2.5, -0.5, 0.5], 7);
    assert_eq!(r, [None, Some("two_in_three"), None, Some("two_in_three"), None, None]);
    // The package's case: two close points on opposite sides are common cause.
    assert!(rules(&[0.5, -0.5, 2.5, -2.5, 0.5], 7).iter().all(Option::is_none));
    // All three must be on one side of the mean.
    assert!(rules(&[2.5, -0.5, 2.5], 7).iter().all(Option::is_none));
    // A point beyond the limit is not "close" to it.
    assert_eq!(rules(&[3.5, 2.5, 0.5], 7), [Some("outside_limits"), None, None]);
}

#[test]
fn the_first_rule_that_holds_names_the_point() {
    // Seven points above the mean, one of them beyond the limit.
    let r = rules(&[1.0, 1.1, 4.0, 1.1, 1.0, 1.2, 1.1], 7);
    assert_eq!(r[2], Some("outside_limits"));
    assert!(r.iter().enumerate().all(|(i, r)| i == 2 || *r == Some("shift")));
}

#[test]
fn causes_and_variation_follow_the_polarity() {
    let mut values: Vec<Option<f64>> = RNORM.iter().map(|v| Some(*v)).collect();
    values.push(Some(5.0));
    let options = SpcOptions::default();
    let high = analyse(&values, Some(true), &options);
    assert_eq!(high.points.last().unwrap().cause, Some(Cause::Improvement));
    assert_eq!(high.variation, Some(Variation::SpecialCauseImprovement));
    let low = analyse(&values, Some(false), &options);
    assert_eq!(low.points.last().unwrap().cause, Some(Cause::Concern));
    assert_eq!(low.variation, Some(Variation::SpecialCauseConcern));
    let none = analyse(&values, None, &options);
    assert_eq!(none.points.last().unwrap().cause, Some(Cause::Neither));
    assert_eq!(none.variation, Some(Variation::Neither));
    let common = analyse(&values[..20], Some(true), &options);
    assert_eq!(common.variation, Some(Variation::CommonCause));
}

#[test]
fn missing_months_are_gaps_that_neither_break_nor_continue_runs() {
    let mut values: Vec<Option<f64>> = [1.0, -1.0].repeat(7).into_iter().map(Some).collect();
    // Seven points above the mean with a missing month among them: still a shift.
    values.extend([Some(0.5), Some(0.6), None, Some(0.7), Some(0.5), Some(0.6), Some(0.5), Some(0.7)]);
    let a = analyse(&values, None, &SpcOptions::default());
    assert_eq!(a.points[16], Point { value: None, flag: None, cause: None });
    let shifted: Vec<usize> = a
        .points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.flag.is_some_and(|f| f.rule == Rule::Shift))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(shifted, [14, 15, 17, 18, 19, 20, 21]);
    // The gap is not a zero: the mean is over the values there are.
    let l = a.limits.unwrap();
    close(l.mean, (0.5 + 0.6 + 0.7 + 0.5 + 0.6 + 0.5 + 0.7) / 21.0);
}

#[test]
fn assurance_by_polarity_when_the_target_is_outside_the_limits() {
    let l = FLAT;
    assert_eq!(Assurance::of(Some(3.5), Some(&l), Some(true)), Some(Assurance::Fail));
    assert_eq!(Assurance::of(Some(3.5), Some(&l), Some(false)), Some(Assurance::Pass));
    assert_eq!(Assurance::of(Some(-3.5), Some(&l), Some(true)), Some(Assurance::Pass));
    assert_eq!(Assurance::of(Some(-3.5), Some(&l), Some(false)), Some(Assurance::Fail));
    assert_eq!(Assurance::of(Some(3.0), Some(&l), Some(true)), Some(Assurance::HitAndMiss));
    assert_eq!(Assurance::of(Some(0.0), Some(&l), Some(false)), Some(Assurance::HitAndMiss));
    assert_eq!(Assurance::of(None, Some(&l), Some(true)), None);
    assert_eq!(Assurance::of(Some(1.0), Some(&l), None), None);
    assert_eq!(Assurance::of(Some(1.0), None, Some(true)), None);
}

#[test]
fn options_no_chart_can_be_drawn_with_are_refused() {
    let ok = SpcOptions::default();
    assert_eq!(ok.check(), Ok(()));
    let refused = |o: SpcOptions| o.check().unwrap_err();
    assert!(refused(SpcOptions { months: 1, ..ok }).starts_with("months = 1: a chart needs at least 2 months"));
    assert!(refused(SpcOptions { months: 121, ..ok }).starts_with("months = 121: a chart shows at most 120 months"));
    assert!(refused(SpcOptions { run_length: 5, ..ok }).starts_with("run_length = 5: write 6, 7 or 8"));
    assert!(refused(SpcOptions { baseline: Some(11), ..ok })
        .starts_with("baseline = 11: limits need a baseline of at least 12"));
    assert!(refused(SpcOptions { baseline: Some(30), ..ok })
        .starts_with("baseline = 30 is longer than the 24 months charted"));
}
