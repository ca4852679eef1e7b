use std::sync::Arc;

use crossbeam_utils::atomic::AtomicCell;

use crate::clock::{Clock, MonotonicClock};
use crate::Counter;

/// Per-second rates of a set of counters between successive calls: equivalent to a
/// `Mutex<Option<PreviousSnapshot>>` taken around every rate computation, except that the previous
/// snapshot is swapped atomically (one lock-free swap of an owned box), so concurrent callers never
/// block each other.
///
/// Each [`rates`](RateTracker::rates) call reads every counter and the monotonic clock and swaps
/// its reading in for the previous one in one atomic operation, then computes
/// `(value - previous) / elapsed`. The first call has nothing to compare with and reports zero
/// rates. Racing callers each get the interval since the reading they replaced.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use atomicperf::{Counter, ManualClock, RateTracker};
///
/// let requests = Arc::new(Counter::new());
/// let clock = Arc::new(ManualClock::new());
/// let tracker = RateTracker::with_clock([("requests", requests.clone())], clock.clone());
/// assert_eq!(tracker.rates()[0].per_second, 0.0); // first call
/// requests.add(500);
/// clock.advance(Duration::from_millis(250));
/// let rates = tracker.rates();
/// assert_eq!((rates[0].name, rates[0].delta, rates[0].per_second), ("requests", 500, 2000.0));
/// ```
pub struct RateTracker {
    sources: Vec<(String, Arc<Counter>)>,
    // Each reading is owned by exactly one party: the cell, or the caller that swapped it out.
    // Nobody reads a reading in place, so a swap of owned boxes needs no reclamation scheme.
    previous: AtomicCell<Option<Box<Reading>>>,
    // A used reading kept for the next call to fill, instead of a fresh allocation.
    spare: AtomicCell<Option<Box<Reading>>>,
    clock: Arc<dyn Clock>,
}

struct Reading {
    at_nanos: u64,
    values: Vec<u64>,
}

/// One counter's rate over the interval between two [`RateTracker::rates`] calls.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate<'a> {
    /// The name the counter was registered under (borrowed from the tracker: no allocation).
    pub name: &'a str,
    /// Increase of the counter over the interval: modulo 2^64, so that a counter that wrapped
    /// past `u64::MAX` still reports what was added (an apparent decrease of less than 2^63 is a
    /// racing caller's older reading and counts as no increase).
    pub delta: u64,
    /// `delta` per second of the interval (0 on the first call or for an empty interval).
    pub per_second: f64,
}

/// How much a counter rose from `before` to `now`, in serial-number arithmetic (RFC 1982): a
/// counter that wrapped past `u64::MAX` rose by the wrapped difference, while a reading that
/// looks up to 2^63 lower is an older reading (a racing caller's), which rose by nothing.
fn increase(before: u64, now: u64) -> u64 {
    let delta = now.wrapping_sub(before);
    if delta > u64::MAX / 2 {
        0
    } else {
        delta
    }
}

impl RateTracker {
    /// Tracks `sources` (name, counter) with the system's monotonic clock.
    pub fn new<N: Into<String>>(sources: impl IntoIterator<Item = (N, Arc<Counter>)>) -> Self {
        Self::with_clock(sources, Arc::new(MonotonicClock::new()))
    }

    /// Tracks `sources` with the given clock (tests inject a [`ManualClock`](crate::ManualClock)).
    pub fn with_clock<N: Into<String>>(
        sources: impl IntoIterator<Item = (N, Arc<Counter>)>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let sources = sources.into_iter().map(|(n, c)| (n.into(), c)).collect();
        RateTracker {
            sources,
            previous: AtomicCell::new(None),
            spare: AtomicCell::new(None),
            clock,
        }
    }

    /// Names of the tracked counters, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().map(|(n, _)| n.as_str())
    }

    /// Rates since the previous call (from any thread), in registration order.
    pub fn rates(&self) -> Vec<Rate<'_>> {
        let at_nanos = self.clock.now_nanos();
        // `delta` holds the current value until the previous reading is known.
        let mut rates: Vec<Rate<'_>> = self
            .sources
            .iter()
            .map(|(name, c)| Rate {
                name,
                delta: c.get(),
                per_second: 0.0,
            })
            .collect();
        // Readings are recycled through a spare slot, so that a call allocates only its result.
        let mut reading = self.spare.swap(None).unwrap_or_else(|| {
            Box::new(Reading {
                at_nanos: 0,
                values: Vec::with_capacity(rates.len()),
            })
        });
        reading.at_nanos = at_nanos;
        reading.values.clear();
        reading.values.extend(rates.iter().map(|r| r.delta));
        // One atomic swap publishes this reading and hands back the one it replaces: each caller
        // gets its own interval, and racing callers never wait for each other. (A racing caller
        // whose reading is older than the one it swapped out gets an empty interval: zero rate.)
        let previous = self.previous.swap(Some(reading));
        for (i, r) in rates.iter_mut().enumerate() {
            let (delta, per_second) = match &previous {
                Some(p) if at_nanos > p.at_nanos => {
                    let delta = increase(p.values[i], r.delta);
                    (delta, delta as f64 * 1e9 / (at_nanos - p.at_nanos) as f64)
                }
                Some(p) => (increase(p.values[i], r.delta), 0.0),
                None => (0, 0.0),
            };
            r.delta = delta;
            r.per_second = per_second;
        }
        if previous.is_some() {
            self.spare.store(previous);
        }
        rates
    }
}

impl std::fmt::Debug for RateTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateTracker")
            .field("names", &self.names().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ManualClock;

    fn tracker() -> (RateTracker, Arc<Counter>, Arc<Counter>, Arc<ManualClock>) {
        let (a, b) = (Arc::new(Counter::new()), Arc::new(Counter::new()));
        let clock = Arc::new(ManualClock::new());
        let t = RateTracker::with_clock([("a", a.clone()), ("b", b.clone())], clock.clone());
        (t, a, b, clock)
    }

    #[test]
    fn the_previous_reading_is_swapped_without_a_lock() {
        assert!(AtomicCell::<Option<Box<Reading>>>::is_lock_free());
    }

    #[test]
    fn a_counter_that_wraps_past_u64_max_reports_what_was_added() {
        let (t, a, _, clock) = tracker();
        a.add(u64::MAX - 10);
        t.rates();
        a.add(25); // wraps to 14
        clock.advance(Duration::from_secs(1));
        let r = &t.rates()[0];
        assert_eq!((r.delta, r.per_second), (25, 25.0));
    }

    #[test]
    fn first_call_reports_zero_rates() {
        let (t, a, _, clock) = tracker();
        a.add(100);
        clock.advance(Duration::from_secs(1));
        assert!(t
            .rates()
            .iter()
            .all(|r| r.per_second == 0.0 && r.delta == 0));
    }

    #[test]
    fn rates_are_deltas_over_elapsed_monotonic_time() {
        let (t, a, b, clock) = tracker();
        t.rates();
        a.add(30);
        b.add(5);
        clock.advance(Duration::from_millis(500));
        let r = t.rates();
        assert_eq!((r[0].delta, r[0].per_second), (30, 60.0));
        assert_eq!((r[1].delta, r[1].per_second), (5, 10.0));
        clock.advance(Duration::from_secs(2));
        let r = t.rates();
        assert_eq!((r[0].delta, r[0].per_second), (0, 0.0));
    }

    #[test]
    fn no_elapsed_time_gives_zero_rate_not_infinity() {
        let (t, a, _, _) = tracker();
        t.rates();
        a.inc();
        let r = t.rates();
        assert_eq!((r[0].delta, r[0].per_second), (1, 0.0));
    }

    #[test]
    fn concurrent_callers_all_get_finite_rates_and_never_block() {
        let (t, a, _, clock) = tracker();
        let t = Arc::new(t);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        a.inc();
                        clock.advance(Duration::from_micros(1));
                        for r in t.rates() {
                            assert!(r.per_second.is_finite() && r.per_second >= 0.0);
                        }
                    }
                });
            }
        });
        assert_eq!(a.get(), 8000);
    }
}
