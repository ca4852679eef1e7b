use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, MonotonicClock};
use std::sync::atomic::Ordering;

use crate::Error;
use portable_atomic::AtomicU128;

/// Events per second over a sliding window, with SLA accounting: equivalent to a `Mutex` around a
/// ring of time buckets, except that recording is a compare-and-swap on one bucket word and
/// readers never block recorders.
///
/// The window is a ring of `buckets` time buckets of `window / buckets` each. Every bucket is one
/// 128-bit word that packs the bucket's epoch (the number of bucket lengths since the clock's
/// origin, 64 bits: it never wraps) with its count (64 bits), so that a stale bucket is recycled
/// for the current epoch by the same compare-and-swap that counts the event: there is no moment
/// when a recycled bucket holds another epoch's count. (On x86_64 the word is a `cmpxchg16b`,
/// through `portable-atomic`.) [`record`](ThroughputWindow::record) counts
/// an event, and a violation when its latency exceeds the SLA threshold.
///
/// # Guarantees
/// - Every event recorded in the current window is counted exactly once; an event whose bucket was
///   already recycled for a later epoch (a thread stalled for a whole window) is not counted.
/// - A bucket counts up to 2^64 - 1 events and then saturates.
/// - However long the window stays idle, an old bucket is never mistaken for a current one.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use atomicperf::{ManualClock, ThroughputWindow};
///
/// let clock = Arc::new(ManualClock::new());
/// let w = ThroughputWindow::with_clock(Duration::from_secs(10), 10, Duration::from_millis(100), clock.clone())
///     .unwrap();
/// for latency_ms in [20, 50, 250, 80] {
///     w.record(Duration::from_millis(latency_ms));
/// }
/// clock.advance(Duration::from_secs(2));
/// let s = w.stats();
/// assert_eq!((s.events, s.violations), (4, 1));
/// assert_eq!(s.events_per_second, 2.0); // 4 events over the 2 s the window has existed
/// assert_eq!(s.violation_ratio, 0.25);
/// ```
pub struct ThroughputWindow {
    events: Box<[AtomicU128]>,
    violations: Box<[AtomicU128]>,
    bucket_nanos: u64,
    sla_nanos: u64,
    clock: Arc<dyn Clock>,
    created_nanos: u64,
}

/// What a [`ThroughputWindow`] saw over its current window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowStats {
    /// Events in the window.
    pub events: u64,
    /// Events whose latency exceeded the SLA threshold.
    pub violations: u64,
    /// Events per second over the time the window covers (shorter while the window is young).
    pub events_per_second: f64,
    /// `violations / events`, 0 when there were no events.
    pub violation_ratio: f64,
    /// Time the window covers now: its full length, or the window's age if younger.
    pub covered: Duration,
}

/// A bucket that never counted anything.
const EMPTY: u128 = u128::MAX;

fn epoch_of(word: u128) -> u64 {
    (word >> 64) as u64
}

fn count_of(word: u128) -> u64 {
    word as u64
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl ThroughputWindow {
    /// Most buckets in a ring (each costs 16 bytes).
    pub const MAX_BUCKETS: usize = 1 << 20;

    /// A window of `window` split into `buckets`, counting a violation for latencies above `sla`,
    /// timed by the system's monotonic clock.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for zero buckets or more than [`Self::MAX_BUCKETS`], a zero
    /// window, or buckets shorter than 1 ns.
    pub fn new(window: Duration, buckets: usize, sla: Duration) -> Result<Self, Error> {
        Self::with_clock(window, buckets, sla, Arc::new(MonotonicClock::new()))
    }

    /// As [`new`](Self::new), timed by `clock` (tests inject a [`ManualClock`](crate::ManualClock)).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_clock(
        window: Duration,
        buckets: usize,
        sla: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        if buckets == 0 || buckets > Self::MAX_BUCKETS {
            return Err(Error::InvalidConfig(format!(
                "a throughput window needs 1 to {} buckets, got {buckets}",
                Self::MAX_BUCKETS
            )));
        }
        if window.is_zero() {
            return Err(Error::InvalidConfig(
                "a throughput window must be longer than zero".into(),
            ));
        }
        let bucket_nanos = nanos(window) / buckets as u64;
        if bucket_nanos == 0 {
            return Err(Error::InvalidConfig(format!(
                "{buckets} buckets over {window:?} are shorter than 1 ns"
            )));
        }
        let ring = || {
            (0..buckets)
                .map(|_| AtomicU128::new(EMPTY))
                .collect::<Box<[_]>>()
        };
        let created_nanos = clock.now_nanos();
        Ok(ThroughputWindow {
            events: ring(),
            violations: ring(),
            bucket_nanos,
            sla_nanos: nanos(sla),
            clock,
            created_nanos,
        })
    }

    /// Counts one event of the given latency (a violation if above the SLA threshold).
    #[inline]
    pub fn record(&self, latency: Duration) {
        self.record_nanos(nanos(latency));
    }

    /// Counts one event of `latency_nanos` nanoseconds.
    #[inline]
    pub fn record_nanos(&self, latency_nanos: u64) {
        let epoch = self.clock.now_nanos() / self.bucket_nanos;
        let slot = (epoch % self.events.len() as u64) as usize;
        bump(&self.events[slot], epoch);
        if latency_nanos > self.sla_nanos {
            bump(&self.violations[slot], epoch);
        }
    }

    /// Events, violations and rates over the current window.
    pub fn stats(&self) -> WindowStats {
        let now = self.clock.now_nanos();
        let epoch = now / self.bucket_nanos;
        let events = self.sum(&self.events, epoch);
        let violations = self.sum(&self.violations, epoch);
        let full =
            (self.events.len() as u64 - 1) * self.bucket_nanos + (now - epoch * self.bucket_nanos);
        let covered = full.min(now.saturating_sub(self.created_nanos));
        WindowStats {
            events,
            violations,
            events_per_second: if covered == 0 {
                0.0
            } else {
                events as f64 * 1e9 / covered as f64
            },
            violation_ratio: if events == 0 {
                0.0
            } else {
                violations as f64 / events as f64
            },
            covered: Duration::from_nanos(covered),
        }
    }

    /// Number of buckets in the ring.
    pub fn buckets(&self) -> usize {
        self.events.len()
    }

    /// Length of the window.
    pub fn window(&self) -> Duration {
        Duration::from_nanos(self.bucket_nanos * self.events.len() as u64)
    }

    /// The SLA threshold above which a latency counts as a violation.
    pub fn sla(&self) -> Duration {
        Duration::from_nanos(self.sla_nanos)
    }

    fn sum(&self, ring: &[AtomicU128], epoch: u64) -> u64 {
        let n = ring.len() as u64;
        ring.iter()
            .map(|cell| cell.load(Ordering::Relaxed))
            .filter(|&w| w != EMPTY && epoch_of(w) <= epoch && epoch - epoch_of(w) < n)
            .fold(0u64, |acc, w| acc.saturating_add(count_of(w)))
    }
}

/// Counts one event for `epoch` in a bucket word, recycling it if it holds an older epoch.
fn bump(cell: &AtomicU128, epoch: u64) {
    let mut cur = cell.load(Ordering::Relaxed);
    loop {
        let next = if cur != EMPTY && epoch_of(cur) == epoch {
            if count_of(cur) == u64::MAX {
                return; // saturated
            }
            cur + 1
        } else if cur != EMPTY && epoch_of(cur) > epoch {
            return; // the bucket already serves a later epoch: this event is outside its window
        } else {
            (u128::from(epoch) << 64) | 1
        };
        match cell.compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => cur = actual,
        }
    }
}

impl std::fmt::Debug for ThroughputWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThroughputWindow")
            .field("window", &self.window())
            .field("buckets", &self.buckets())
            .field("sla", &self.sla())
            .field("stats", &self.stats())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::ManualClock;

    fn window(clock: &Arc<ManualClock>) -> ThroughputWindow {
        ThroughputWindow::with_clock(
            Duration::from_secs(4),
            4,
            Duration::from_millis(10),
            clock.clone(),
        )
        .unwrap()
    }

    #[test]
    fn bad_configuration_is_an_error() {
        let sla = Duration::from_millis(1);
        assert!(matches!(
            ThroughputWindow::new(Duration::from_secs(1), 0, sla),
            Err(Error::InvalidConfig(_))
        ));
        assert!(matches!(
            ThroughputWindow::new(Duration::ZERO, 4, sla),
            Err(Error::InvalidConfig(_))
        ));
        assert!(matches!(
            ThroughputWindow::new(Duration::from_nanos(3), 4, sla),
            Err(Error::InvalidConfig(_))
        ));
    }

    #[test]
    fn events_older_than_the_window_drop_out() {
        let clock = Arc::new(ManualClock::new());
        let w = window(&clock);
        w.record(Duration::from_millis(1));
        clock.advance(Duration::from_secs(1));
        w.record(Duration::from_millis(1));
        w.record(Duration::from_millis(1));
        clock.advance(Duration::from_millis(3500)); // t = 4.5 s: the first bucket [0, 1) is out
        let s = w.stats();
        assert_eq!(s.events, 2);
        // Buckets [1, 2), [2, 3), [3, 4) and the current half bucket [4, 4.5).
        assert_eq!(s.covered, Duration::from_millis(3500));
        assert_eq!(s.events_per_second, 2.0 / 3.5);
        clock.advance(Duration::from_secs(1)); // t = 5.5 s: the bucket [1, 2) is out too
        assert_eq!(w.stats().events, 0);
    }

    #[test]
    fn a_stale_bucket_is_recycled_not_added_to() {
        let clock = Arc::new(ManualClock::new());
        let w = window(&clock);
        w.record(Duration::ZERO);
        clock.advance(Duration::from_secs(4)); // same slot, next lap of the ring
        w.record(Duration::ZERO);
        assert_eq!(w.stats().events, 1);
    }

    #[test]
    fn violations_are_latencies_strictly_above_the_sla() {
        let clock = Arc::new(ManualClock::new());
        let w = window(&clock);
        for ms in [5, 10, 11, 100] {
            w.record(Duration::from_millis(ms));
        }
        clock.advance(Duration::from_secs(1));
        let s = w.stats();
        assert_eq!((s.events, s.violations, s.violation_ratio), (4, 2, 0.5));
    }

    #[test]
    fn empty_window_reports_zero_rates() {
        let clock = Arc::new(ManualClock::new());
        let w = window(&clock);
        let s = w.stats();
        assert_eq!(
            (s.events, s.events_per_second, s.violation_ratio),
            (0, 0.0, 0.0)
        );
    }

    #[test]
    fn late_event_for_a_recycled_bucket_is_not_counted() {
        let cell = AtomicU128::new(EMPTY);
        bump(&cell, 9);
        bump(&cell, 5); // a thread that read the clock at epoch 5 and stalled
        assert_eq!(cell.load(Ordering::Relaxed), (9 << 64) | 1);
    }

    #[test]
    fn no_phantom_events_after_any_idle_time() {
        // 1 ns buckets: a 32-bit epoch tag came round after 2^32 ns (4.3 s) and the old buckets
        // read as current again.
        let clock = Arc::new(ManualClock::new());
        let w = ThroughputWindow::with_clock(
            Duration::from_nanos(8),
            8,
            Duration::from_nanos(1),
            clock.clone(),
        )
        .unwrap();
        for _ in 0..8 {
            w.record_nanos(5);
            clock.advance(Duration::from_nanos(1));
        }
        for idle in [1u64 << 32, (1 << 32) * 8, u64::from(u32::MAX) * 3] {
            clock.advance(Duration::from_nanos(idle - 1));
            assert_eq!(w.stats().events, 0, "after {idle} ns idle");
            w.record_nanos(0);
            assert_eq!(w.stats().events, 1, "after {idle} ns idle");
            clock.advance(Duration::from_nanos(1));
            // The one event ages out of the window; no other comes back.
            clock.advance(Duration::from_nanos(8));
            assert_eq!(w.stats().events, 0);
        }
    }

    #[test]
    fn eight_threads_count_every_event_in_the_window() {
        let clock = Arc::new(ManualClock::new());
        let w = Arc::new(window(&clock));
        std::thread::scope(|s| {
            for t in 0..8u64 {
                let w = w.clone();
                s.spawn(move || {
                    for i in 0..10_000u64 {
                        w.record_nanos(if (t + i) % 4 == 0 { 20_000_000 } else { 1 });
                    }
                });
            }
        });
        clock.advance(Duration::from_secs(1));
        let s = w.stats();
        assert_eq!((s.events, s.violations), (80_000, 20_000));
    }
}
