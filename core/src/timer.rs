use std::time::{Duration, Instant};

use crate::sync::{AtomicU64, Ordering};
use crate::{Error, Histogram, HistogramConfig, HistogramSnapshot};

/// Execution metrics of one operation (a rule, a handler, a query): count, error count, total,
/// min and max duration and a histogram of durations, all updated without a lock. Equivalent to
/// a `Mutex` around a struct of those fields (the `RuleExecutionMetric` services write), except
/// that concurrent `record`s never wait for each other.
///
/// Durations are nanoseconds. The count, total, min and max come from the [`Histogram`], which
/// keeps them exactly; only quantiles are approximate (within the histogram's precision).
///
/// # Example
/// ```
/// use std::time::Duration;
/// use atomicperf::Timer;
///
/// let rule = Timer::new();
/// rule.record(Duration::from_micros(150), true);
/// rule.record(Duration::from_micros(90), false);
/// let answer = rule.time(|| 6 * 7); // times the closure, records success
/// {
///     let guard = rule.start(); // records when dropped; `guard.fail()` records an error
///     let _ = answer;
///     drop(guard);
/// }
/// assert_eq!(rule.count(), 4);
/// assert_eq!(rule.errors(), 1);
/// assert_eq!(rule.max(), Some(150_000));
/// ```
pub struct Timer {
    /// The durations; the error count is the histogram's spare header cell, so that a timer's
    /// state is one block of cells (in shared memory too).
    durations: Histogram,
}

impl Timer {
    /// A timer with the default histogram layout (2 significant figures, up to 60 s).
    pub fn new() -> Self {
        Self::with_config(HistogramConfig::default())
    }

    /// A timer whose duration histogram has the given layout.
    pub fn with_config(config: HistogramConfig) -> Self {
        Timer {
            durations: Histogram::with_config(config),
        }
    }

    /// A timer over a histogram whose spare cell holds the error count (shared memory).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn on_histogram(durations: Histogram) -> Self {
        Timer { durations }
    }

    /// Records one execution that took `duration`; `ok = false` counts it as an error too.
    #[inline]
    pub fn record(&self, duration: Duration, ok: bool) {
        self.record_nanos(u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX), ok);
    }

    /// Records one execution of `nanos` nanoseconds; `ok = false` counts it as an error too.
    #[inline]
    pub fn record_nanos(&self, nanos: u64, ok: bool) {
        self.durations.record(nanos);
        if !ok {
            self.errors_cell().fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Starts timing; the returned guard records when dropped (as an error if dropped while
    /// panicking, or after [`TimerGuard::fail`]).
    pub fn start(&self) -> TimerGuard<'_> {
        TimerGuard {
            timer: self,
            start: Instant::now(),
            ok: true,
        }
    }

    /// Runs `f`, records its duration as a success and returns its result.
    pub fn time<T>(&self, f: impl FnOnce() -> T) -> T {
        let _guard = self.start();
        f()
    }

    /// Runs `f`, records its duration, as an error if it returned `Err`, and returns its result.
    pub fn time_result<T, E>(&self, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let mut guard = self.start();
        let result = f();
        guard.ok = result.is_ok();
        result
    }

    /// Number of executions recorded.
    pub fn count(&self) -> u64 {
        self.durations.count()
    }

    /// Number of executions recorded as errors.
    pub fn errors(&self) -> u64 {
        self.errors_cell().load(Ordering::Relaxed)
    }

    /// Total duration in nanoseconds (wrapping at 2^64 ns, 584 years).
    pub fn total(&self) -> u64 {
        self.durations.sum()
    }

    /// Shortest duration in ns, `None` when nothing was recorded.
    pub fn min(&self) -> Option<u64> {
        self.durations.min()
    }

    /// Longest duration in ns, `None` when nothing was recorded.
    pub fn max(&self) -> Option<u64> {
        self.durations.max()
    }

    /// Mean duration in ns, `None` when nothing was recorded.
    pub fn mean(&self) -> Option<f64> {
        self.durations.mean()
    }

    /// Duration at quantile `q` in ns, `None` when nothing was recorded.
    ///
    /// # Errors
    /// [`Error::InvalidQuantile`] if `q` is NaN or outside `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Result<Option<u64>, Error> {
        self.durations.quantile(q)
    }

    /// The duration histogram.
    pub fn histogram(&self) -> &Histogram {
        &self.durations
    }

    /// The error count's cell, for code outside Rust that records without a call: a writer
    /// may only add to it atomically (one per failed execution, after recording the duration in
    /// [`histogram`](Self::histogram)). It lives as long as the timer, at this address.
    pub fn errors_cell(&self) -> &AtomicU64 {
        self.durations.spare_cell()
    }

    /// A copy of every statistic from one moment.
    pub fn snapshot(&self) -> TimerSnapshot {
        TimerSnapshot {
            errors: self.errors(),
            durations: self.durations.snapshot(),
        }
    }

    /// Forgets everything recorded.
    pub fn reset(&self) {
        self.durations.reset();
        self.errors_cell().store(0, Ordering::Relaxed);
    }
}

impl Default for Timer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Timer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timer")
            .field("errors", &self.errors())
            .field("durations", &self.durations)
            .finish()
    }
}

/// Times from [`Timer::start`] to its drop, then records once.
#[must_use = "the guard records when dropped; binding it to `_` records immediately"]
pub struct TimerGuard<'a> {
    timer: &'a Timer,
    start: Instant,
    ok: bool,
}

impl TimerGuard<'_> {
    /// Records now, as a success, and returns the elapsed time.
    pub fn stop(self) -> Duration {
        self.start.elapsed()
    }

    /// Records now, as an error, and returns the elapsed time.
    pub fn fail(mut self) -> Duration {
        self.ok = false;
        self.start.elapsed()
    }
}

impl Drop for TimerGuard<'_> {
    fn drop(&mut self) {
        let ok = self.ok && !std::thread::panicking();
        self.timer.record(self.start.elapsed(), ok);
    }
}

/// A plain copy of a [`Timer`]'s statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct TimerSnapshot {
    errors: u64,
    durations: HistogramSnapshot,
}

impl TimerSnapshot {
    /// Number of executions.
    pub fn count(&self) -> u64 {
        self.durations.count()
    }

    /// Number of errors.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Errors over executions (0 when nothing was recorded).
    pub fn error_ratio(&self) -> f64 {
        if self.count() == 0 {
            0.0
        } else {
            self.errors as f64 / self.count() as f64
        }
    }

    /// Total duration in ns.
    pub fn total(&self) -> u64 {
        self.durations.sum()
    }

    /// Shortest duration in ns.
    pub fn min(&self) -> Option<u64> {
        self.durations.min()
    }

    /// Longest duration in ns.
    pub fn max(&self) -> Option<u64> {
        self.durations.max()
    }

    /// Mean duration in ns.
    pub fn mean(&self) -> Option<f64> {
        self.durations.mean()
    }

    /// Duration at quantile `q` in ns.
    ///
    /// # Errors
    /// [`Error::InvalidQuantile`] if `q` is NaN or outside `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Result<Option<u64>, Error> {
        self.durations.quantile(q)
    }

    /// The duration histogram's snapshot.
    pub fn histogram(&self) -> &HistogramSnapshot {
        &self.durations
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn record_counts_executions_errors_and_durations() {
        let t = Timer::new();
        t.record(Duration::from_nanos(100), true);
        t.record_nanos(300, false);
        let s = t.snapshot();
        assert_eq!((s.count(), s.errors(), s.total()), (2, 1, 400));
        assert_eq!(
            (s.min(), s.max(), s.mean()),
            (Some(100), Some(300), Some(200.0))
        );
        assert_eq!(s.error_ratio(), 0.5);
    }

    #[test]
    fn empty_timer_reports_none() {
        let t = Timer::new();
        assert_eq!(
            (t.count(), t.min(), t.max(), t.mean()),
            (0, None, None, None)
        );
        assert_eq!(t.quantile(0.5), Ok(None));
        assert_eq!(t.snapshot().error_ratio(), 0.0);
    }

    #[test]
    fn guard_records_success_on_drop_and_error_on_fail() {
        let t = Timer::new();
        drop(t.start());
        t.start().fail();
        t.start().stop();
        assert_eq!((t.count(), t.errors()), (3, 1));
    }

    #[test]
    fn time_result_records_err_as_error() {
        let t = Timer::new();
        assert_eq!(t.time_result(|| Ok::<_, ()>(1)), Ok(1));
        assert_eq!(t.time_result(|| Err::<(), _>("boom")), Err("boom"));
        assert_eq!((t.count(), t.errors()), (2, 1));
    }

    #[test]
    fn guard_dropped_by_a_panic_records_an_error() {
        let t = Timer::new();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _g = t.start();
            panic!("rule failed");
        }));
        assert!(r.is_err());
        assert_eq!((t.count(), t.errors()), (1, 1));
    }

    #[test]
    fn reset_forgets_everything() {
        let t = Timer::new();
        t.record_nanos(5, false);
        t.reset();
        assert_eq!((t.count(), t.errors(), t.total()), (0, 0, 0));
    }
}
