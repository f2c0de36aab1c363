//! Where a run's time goes: each stage's wall time, recorded as the run goes (`run
//! --timings`, and the bench scripts). Stages that run side by side (each source's aggregate)
//! overlap, so their times add up to more than the run's.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One stage's wall time.
#[derive(Clone, Debug)]
pub struct Stage {
    /// What ran: `read contacts`, `check keys contacts`, `aggregate agg_contacts`, `plan the
    /// cells`.
    pub name: String,
    pub elapsed: Duration,
    /// Whether it ran beside other stages (its time overlaps theirs).
    pub parallel: bool,
}

/// The stages recorded so far; cheap to clone and share with the tasks of a run.
#[derive(Clone, Debug, Default)]
pub struct Timings(Arc<Mutex<Vec<Stage>>>);

impl Timings {
    /// Records `name` as having run from `start` until now.
    pub fn record(&self, name: impl Into<String>, start: Instant) {
        self.push(name.into(), start.elapsed(), false);
    }

    /// Records `name`, one of several stages running side by side, from `start` until now.
    pub fn record_parallel(&self, name: impl Into<String>, start: Instant) {
        self.push(name.into(), start.elapsed(), true);
    }

    fn push(&self, name: String, elapsed: Duration, parallel: bool) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(Stage { name, elapsed, parallel });
    }

    /// Times `work` as the stage `name`.
    pub async fn time<T>(&self, name: impl Into<String>, work: impl std::future::Future<Output = T>) -> T {
        let start = Instant::now();
        let out = work.await;
        self.record(name, start);
        out
    }

    /// The stages in the order they finished.
    pub fn stages(&self) -> Vec<Stage> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The stages as a table for a terminal: name, seconds, share of `total`.
pub fn table(stages: &[Stage], total: Duration) -> String {
    let width = stages.iter().map(|s| s.name.len()).max().unwrap_or(0).max("total".len());
    let mut out = String::new();
    for s in stages {
        let share = if total.is_zero() { 0.0 } else { 100.0 * s.elapsed.as_secs_f64() / total.as_secs_f64() };
        out.push_str(&format!(
            "  {:<width$}  {:>8.3} s  {:>5.1}%{}\n",
            s.name,
            s.elapsed.as_secs_f64(),
            share,
            if s.parallel { "  (side by side)" } else { "" }
        ));
    }
    out.push_str(&format!("  {:<width$}  {:>8.3} s\n", "total", total.as_secs_f64()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_kept_in_order_and_laid_out_with_their_share() {
        let t = Timings::default();
        let now = Instant::now();
        t.record("read contacts", now);
        t.record_parallel("aggregate contacts", now);
        let mut stages = t.stages();
        assert_eq!(stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["read contacts", "aggregate contacts"]);
        assert!(!stages[0].parallel && stages[1].parallel);
        stages[0].elapsed = Duration::from_millis(250);
        stages[1].elapsed = Duration::from_millis(500);
        assert_eq!(
            table(&stages, Duration::from_secs(1)),
            "  read contacts          0.250 s   25.0%\n  aggregate contacts     0.500 s   50.0%  (side by side)\n  total                  1.000 s\n"
        );
    }

    #[tokio::test]
    async fn a_timed_future_is_recorded_under_its_name() {
        let t = Timings::default();
        assert_eq!(t.time("compile", async { 7 }).await, 7);
        assert_eq!(t.stages()[0].name, "compile");
    }
}
