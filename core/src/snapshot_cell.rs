use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;

use crate::clock::{Clock, MonotonicClock};

/// A read-mostly value swapped atomically, with a revision number and a last-updated time that
/// are readable without any lock: equivalent to an `RwLock<Arc<T>>` plus a service's rate cache
/// bookkeeping (`GetRates`, `GetLastRefresh`), except that readers never wait for a writer and
/// never make each other wait.
///
/// The value and its revision are published together through arc-swap, so
/// [`load_with_revision`](Self::load_with_revision) always pairs a value with the revision it was
/// stored under, and [`revision`](Self::revision) (an arc-swap load, a few nanoseconds) never
/// disagrees with a loaded value. The update time is a plain atomic, written just after the
/// value is published: [`age`](Self::age) is one load and a clock read. Stores are lock-free too:
/// a compare-and-swap loop that retries if another store won.
///
/// # Guarantees
/// - Revisions start at 0 (the initial value) and go up by one per store; readers never see a
///   revision go backwards, nor a value that was not stored.
/// - [`compare_and_store`](Self::compare_and_store) stores only if the revision is still the
///   expected one.
///
/// # Example
/// ```
/// use atomicperf::SnapshotCell;
///
/// let rates = SnapshotCell::new(vec![1.0, 2.0]);
/// assert_eq!(rates.revision(), 0);
/// assert_eq!(rates.store(vec![1.5, 2.5]), 1);
/// assert_eq!(*rates.load(), vec![1.5, 2.5]);
/// assert!(rates.compare_and_store(0, vec![9.0]).is_err()); // someone stored since revision 0
/// assert_eq!(rates.compare_and_store(1, vec![3.0]), Ok(2));
/// ```
pub struct SnapshotCell<T> {
    current: ArcSwap<Versioned<T>>,
    // The highest revision whose store has completed: raised (fetch_max, Release) right after
    // each successful swap, so it never runs ahead of `current` and never goes back.
    published: AtomicU64,
    updated_nanos: AtomicU64,
    clock: Arc<dyn Clock>,
    created_at: SystemTime,
    created_nanos: u64,
}

struct Versioned<T> {
    revision: u64,
    value: Arc<T>,
}

impl<T> SnapshotCell<T> {
    /// A cell holding `value` at revision 0.
    pub fn new(value: T) -> Self {
        Self::with_clock(value, Arc::new(MonotonicClock::new()))
    }

    /// A cell timed by `clock` (tests inject a [`ManualClock`](crate::ManualClock)).
    pub fn with_clock(value: T, clock: Arc<dyn Clock>) -> Self {
        let now = clock.now_nanos();
        SnapshotCell {
            current: ArcSwap::from_pointee(Versioned {
                revision: 0,
                value: Arc::new(value),
            }),
            published: AtomicU64::new(0),
            updated_nanos: AtomicU64::new(now),
            created_at: SystemTime::now(),
            created_nanos: now,
            clock,
        }
    }

    /// The current value, as an owned reference (one reference-count increment; see
    /// [`read`](Self::read) for reads that need none).
    pub fn load(&self) -> Arc<T> {
        self.current.load().value.clone()
    }

    /// Runs `f` on the current value without taking a reference count: the fastest read, since
    /// concurrent readers write no shared memory at all (arc-swap's per-thread debt slots). `f`
    /// sees the value as it was when the read started; a store during `f` does not change it.
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.current.load().value)
    }

    /// The current value and the revision it was stored under.
    pub fn load_with_revision(&self) -> (Arc<T>, u64) {
        let cur = self.current.load();
        (cur.value.clone(), cur.revision)
    }

    /// Replaces the value; returns its new revision.
    pub fn store(&self, value: T) -> u64 {
        self.swap_if(Arc::new(value), |_| true)
            .unwrap_or_else(|_| unreachable!("an unconditional store cannot fail"))
    }

    /// Replaces the value only if the revision is still `expected`; returns the new revision, or
    /// the current revision and the value back if another store came first.
    ///
    /// # Errors
    /// `(current_revision, value)` when the revision is no longer `expected`.
    pub fn compare_and_store(&self, expected: u64, value: T) -> Result<u64, (u64, T)> {
        self.swap_if(Arc::new(value), |rev| rev == expected)
            .map_err(|(rev, v)| {
                (
                    rev,
                    Arc::try_unwrap(v).unwrap_or_else(|_| unreachable!("never shared")),
                )
            })
    }

    fn swap_if(&self, value: Arc<T>, accept: impl Fn(u64) -> bool) -> Result<u64, (u64, Arc<T>)> {
        let mut value = value;
        loop {
            let cur = self.current.load_full();
            if !accept(cur.revision) {
                return Err((cur.revision, value));
            }
            let next = Arc::new(Versioned {
                revision: cur.revision + 1,
                value,
            });
            let prev = self.current.compare_and_swap(&cur, next.clone());
            if Arc::ptr_eq(&prev, &cur) {
                self.published.fetch_max(next.revision, Ordering::Release);
                // fetch_max keeps the time monotonic when stores race.
                self.updated_nanos
                    .fetch_max(self.clock.now_nanos(), Ordering::Release);
                return Ok(next.revision);
            }
            // Another store won: take our value back and try again on top of it.
            value = match Arc::try_unwrap(next) {
                Ok(v) => v.value,
                Err(_) => unreachable!("a failed compare_and_swap does not keep the new value"),
            };
        }
    }

    /// The current revision (lock-free; consistent with [`load`](Self::load): a value loaded
    /// after this call is of this revision or a later one).
    pub fn revision(&self) -> u64 {
        self.current.load().revision
    }

    /// The published-revision cell: one `u64` holding the revision of the last completed store
    /// (0 at creation). It only grows, it never runs ahead of the stored value (it is raised
    /// right after the swap, before `store` returns), and a store's caller sees its own
    /// revision there once `store` returns. A reader outside Rust that cached a value loaded at
    /// revision `r` may keep using it while an atomic load of this cell (Acquire) returns `r`;
    /// when it returns anything else, load again. Read-only for everyone but the cell.
    pub fn revision_cell(&self) -> &AtomicU64 {
        &self.published
    }

    /// Time since the last store (or since creation): one atomic load and a clock read.
    pub fn age(&self) -> Duration {
        Duration::from_nanos(
            self.clock
                .now_nanos()
                .saturating_sub(self.updated_nanos.load(Ordering::Acquire)),
        )
    }

    /// Wall-clock time of the last store (or of creation).
    pub fn last_updated(&self) -> SystemTime {
        let since_creation = self
            .updated_nanos
            .load(Ordering::Acquire)
            .saturating_sub(self.created_nanos);
        self.created_at + Duration::from_nanos(since_creation)
    }
}

impl<T> std::fmt::Debug for SnapshotCell<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotCell")
            .field("revision", &self.revision())
            .field("age", &self.age())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::ManualClock;

    #[test]
    fn store_bumps_revision_and_resets_age() {
        let clock = Arc::new(ManualClock::new());
        let c = SnapshotCell::with_clock("a", clock.clone());
        clock.advance(Duration::from_secs(3));
        assert_eq!(c.age(), Duration::from_secs(3));
        assert_eq!(c.store("b"), 1);
        assert_eq!(c.age(), Duration::ZERO);
        assert_eq!(c.load_with_revision(), (Arc::new("b"), 1));
        let before = c.last_updated();
        clock.advance(Duration::from_secs(2));
        c.store("c");
        assert_eq!(
            c.last_updated().duration_since(before).unwrap(),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn read_sees_the_current_value() {
        let c = SnapshotCell::new(vec![1, 2, 3]);
        assert_eq!(c.read(|v| v.iter().sum::<i32>()), 6);
        c.store(vec![4]);
        assert_eq!(c.read(|v| v[0]), 4);
    }

    #[test]
    fn compare_and_store_refuses_a_stale_revision_and_returns_the_value() {
        let c = SnapshotCell::new(1);
        c.store(2);
        assert_eq!(c.compare_and_store(0, 3), Err((1, 3)));
        assert_eq!(c.compare_and_store(1, 3), Ok(2));
        assert_eq!(*c.load(), 3);
    }

    #[test]
    fn readers_never_see_revisions_go_back_or_values_not_stored() {
        // Each stored value encodes its writer and sequence; a reader checks that the pair it
        // loads was stored under that revision, and that revisions only grow.
        let c = SnapshotCell::new((u64::MAX, 0u64));
        std::thread::scope(|s| {
            for w in 0..2u64 {
                let c = &c;
                s.spawn(move || {
                    (0..5_000u64).for_each(|i| {
                        c.store((w, i));
                    })
                });
            }
            for _ in 0..4 {
                let c = &c;
                s.spawn(move || {
                    let (mut last_rev, mut last_seen) = (0u64, [0u64; 2]);
                    for _ in 0..20_000 {
                        let (v, rev) = c.load_with_revision();
                        assert!(rev >= last_rev, "revision went back: {last_rev} -> {rev}");
                        assert!(c.revision() >= rev);
                        if rev > 0 {
                            let (w, i) = *v;
                            assert!(w < 2 && i < 5_000, "a value nobody stored: {:?}", (w, i));
                            assert!(i >= last_seen[w as usize], "writer {w} went back");
                            last_seen[w as usize] = i;
                        }
                        last_rev = rev;
                    }
                });
            }
        });
        assert_eq!(c.revision(), 10_000);
    }
}
