use std::borrow::Borrow;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::sync::Waiters;
use crate::{Error, ShardedMap};

/// Get-or-initialise per key under races (a service's typed client hub): concurrent callers for
/// one key run the initialiser exactly once and all receive its value; a failing initialiser is
/// not cached and the next caller retries; different keys initialise in parallel.
///
/// Equivalent to a `Mutex<HashMap<K, V>>` held across initialisation, except that the map is
/// sharded, an initialised key is read without any lock on the key (a `OnceLock`), and only
/// callers of the same uninitialised key wait for each other.
///
/// Two forms: [`get_or_init`](Self::get_or_init) runs a closure; [`claim`](Self::claim) hands the
/// right to initialise to the caller as an [`InitTicket`] (`Send`, completable from any thread or
/// after an `await`), which is how the C ABI and the language bindings run foreign or asynchronous
/// initialisers. A ticket dropped without [`complete`](InitTicket::complete) counts as a failure.
///
/// # Example
/// ```
/// use atomicperf::OnceMap;
///
/// let clients: OnceMap<&str, String> = OnceMap::new();
/// let c = clients.get_or_init("billing", || Ok::<_, ()>("connected to billing".to_string()));
/// assert_eq!(c.unwrap(), "connected to billing");
/// assert_eq!(clients.get(&"billing"), Some("connected to billing".to_string()));
/// assert_eq!(clients.get_or_init("users", || Err("unreachable")), Err("unreachable"));
/// assert_eq!(clients.get(&"users"), None); // not cached: the next caller retries
/// ```
pub struct OnceMap<K, V> {
    slots: ShardedMap<K, Arc<Slot<V>>>,
    /// Slots created since the last sweep, and the slots the last sweep kept. A key whose
    /// initialiser failed leaves a slot with no value; a sweep drops those that nobody holds, once
    /// creations reach the number kept (at least SWEEP_MIN), so memory stays proportional to the
    /// keys that have a value or an initialiser running, whatever keys callers try.
    created: AtomicUsize,
    kept: AtomicUsize,
}

/// Fewest slot creations between two sweeps.
const SWEEP_MIN: usize = 1024;

struct Slot<V> {
    value: OnceLock<V>,
    /// 0 when nobody is initialising; else the [`InitTicket::stamp`] of the ticket that is.
    initialising: AtomicU64,
    changed: Waiters,
}

impl<V> Slot<V> {
    /// Ends the initialisation `stamp` started (unless a later claim took over) and wakes the
    /// waiters.
    fn release(&self, stamp: u64) {
        let _ = self
            .initialising
            .compare_exchange(stamp, 0, Ordering::AcqRel, Ordering::Relaxed);
        self.changed.wake_all();
    }
}

/// What [`OnceMap::claim`] found.
pub enum Claim<V> {
    /// The key is initialised: here is its value.
    Ready(V),
    /// The caller must initialise the key and complete (or drop) the ticket; other callers for
    /// the key wait until then.
    Init(InitTicket<V>),
}

/// The exclusive right to initialise one key of a [`OnceMap`].
#[must_use = "dropping the ticket abandons the initialisation"]
pub struct InitTicket<V> {
    slot: Option<Arc<Slot<V>>>,
    /// One plus the fork generation the ticket was claimed in: in a forked child, a ticket held
    /// by a thread of the parent can never complete, so a claim from an earlier generation is
    /// taken over by the child's first caller.
    stamp: u64,
}

impl<V: Clone> InitTicket<V> {
    /// Stores the key's value, wakes every waiter with it, and returns it.
    pub fn complete(mut self, value: V) -> V {
        let slot = self.slot.take().expect("a ticket completes once");
        let v = {
            let _section = crate::fork::section();
            slot.value.get_or_init(|| value).clone()
        };
        slot.release(self.stamp);
        v
    }
}

impl<V> Drop for InitTicket<V> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            // Abandoned: one waiter takes over as the initialiser.
            slot.release(self.stamp);
        }
    }
}

impl<K: Hash + Eq, V: Clone> OnceMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        OnceMap {
            slots: ShardedMap::new(),
            created: AtomicUsize::new(0),
            kept: AtomicUsize::new(0),
        }
    }

    /// The value for `key`, running `init` if no caller has initialised it yet. Callers for the
    /// same key wait for the one running `init`; if it fails, its error is returned to it alone
    /// and the next waiter runs its own `init`.
    ///
    /// # Errors
    /// Whatever `init` returned, when this call's `init` ran and failed.
    pub fn get_or_init<E>(&self, key: K, init: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        match self.claim_inner(key, None) {
            Ok(Claim::Ready(v)) => Ok(v),
            Ok(Claim::Init(ticket)) => Ok(ticket.complete(init()?)),
            Err(_) => unreachable!("no timeout was given"),
        }
    }

    /// The value for `key`, or the right to initialise it. Blocks while another caller holds the
    /// ticket for `key`.
    pub fn claim(&self, key: K) -> Claim<V> {
        self.claim_inner(key, None)
            .unwrap_or_else(|_| unreachable!("no timeout was given"))
    }

    /// As [`claim`](Self::claim), waiting at most `timeout` for another caller's initialisation.
    ///
    /// # Errors
    /// [`Error::Timeout`] if the other initialiser neither completed nor gave up in time.
    pub fn claim_timeout(&self, key: K, timeout: Duration) -> Result<Claim<V>, Error> {
        self.claim_inner(key, Some(timeout))
    }

    fn claim_inner(&self, key: K, timeout: Option<Duration>) -> Result<Claim<V>, Error> {
        let mut fresh = false;
        let slot = self.slots.compute_if_absent(key, || {
            fresh = true;
            Arc::new(Slot {
                value: OnceLock::new(),
                initialising: AtomicU64::new(0),
                changed: Waiters::default(),
            })
        });
        if fresh {
            self.after_create();
        }
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            if let Some(v) = slot.value.get() {
                return Ok(Claim::Ready(v.clone()));
            }
            let stamp = crate::fork::generation() + 1;
            let current = slot.initialising.load(Ordering::Acquire);
            // Free, or claimed before a fork by a thread this process does not have.
            if current != stamp {
                if slot
                    .initialising
                    .compare_exchange(current, stamp, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return Ok(Claim::Init(InitTicket {
                        slot: Some(slot),
                        stamp,
                    }));
                }
                continue;
            }
            let changed = slot.changed.wait_until(
                || slot.value.get().is_some() || slot.initialising.load(Ordering::Acquire) != stamp,
                deadline,
            );
            if !changed {
                return Err(Error::Timeout);
            }
        }
    }

    /// Counts a new slot, and sweeps when enough were created since the last sweep.
    fn after_create(&self) {
        let created = self.created.fetch_add(1, Ordering::Relaxed) + 1;
        if created < SWEEP_MIN.max(self.kept.load(Ordering::Relaxed)) {
            return;
        }
        // One sweeper at a time; the others go on.
        if self
            .created
            .compare_exchange(created, 0, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let mut kept = 0;
        // A slot nobody else holds (only the map: no claimer, waiter or ticket) and with no
        // value is a failed or abandoned initialisation: forgetting it loses nothing, since
        // the next caller of its key would initialise it anyway.
        //
        // The count first, then the value: read the other way round, a holder could store the
        // value and let go of the slot between the two reads, and a slot with a value would be
        // dropped (its key then initialised a second time). Once only the map holds the slot
        // (and this sweep holds the shard's write lock, so no caller can take it), its value
        // can no longer change; the fence makes visible a value its last holder stored before
        // letting go (an Arc's release is a release operation).
        self.slots.retain(|_, slot| {
            let shared = Arc::strong_count(slot) > 1;
            std::sync::atomic::fence(Ordering::Acquire);
            let keep = shared || slot.value.get().is_some();
            kept += usize::from(keep);
            keep
        });
        self.kept.store(kept, Ordering::Relaxed);
    }

    /// The value for `key` if it was initialised.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.slots.get(key).and_then(|s| s.value.get().cloned())
    }

    /// Forgets `key` (a later call initialises it again); returns its value if it had one. A
    /// caller initialising it concurrently still completes, with its own value.
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.slots.remove(key).and_then(|s| s.value.get().cloned())
    }

    /// Number of initialised keys.
    pub fn len(&self) -> usize {
        self.slots.count_where(|s| s.value.get().is_some())
    }

    /// Whether no key is initialised.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Hash + Eq, V: Clone> Default for OnceMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> std::fmt::Debug for OnceMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnceMap").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Barrier;

    use super::*;

    #[test]
    fn sixteen_racing_threads_run_the_initialiser_exactly_once() {
        let m: OnceMap<u32, u64> = OnceMap::new();
        let runs = AtomicU64::new(0);
        let start = Barrier::new(16);
        std::thread::scope(|s| {
            for _ in 0..16 {
                s.spawn(|| {
                    start.wait();
                    let v = m.get_or_init(7, || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        std::thread::yield_now();
                        Ok::<_, ()>(42)
                    });
                    assert_eq!(v, Ok(42));
                });
            }
        });
        assert_eq!(runs.into_inner(), 1);
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn a_failed_initialiser_is_not_cached_and_the_next_caller_retries() {
        let m: OnceMap<&str, u32> = OnceMap::new();
        assert_eq!(m.get_or_init("k", || Err("down")), Err("down"));
        assert_eq!((m.get("k"), m.len()), (None, 0));
        assert_eq!(m.get_or_init("k", || Ok::<_, &str>(5)), Ok(5));
        assert_eq!(m.get_or_init("k", || Err("never runs")), Ok(5));
    }

    #[test]
    fn racing_callers_after_a_failure_still_initialise_once() {
        let m: OnceMap<u8, u8> = OnceMap::new();
        let attempts = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..16 {
                s.spawn(|| {
                    let r = m.get_or_init(1, || {
                        // The first attempt fails; every later one succeeds.
                        if attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                            Err(())
                        } else {
                            Ok(9)
                        }
                    });
                    assert!(r == Ok(9) || r == Err(()));
                });
            }
        });
        assert_eq!(attempts.into_inner(), 2);
        assert_eq!(m.get(&1), Some(9));
    }

    #[test]
    fn different_keys_initialise_in_parallel() {
        // Key 1's initialiser waits until key 2's has run: only possible if they run at once.
        let m: OnceMap<u8, u8> = OnceMap::new();
        let both = Barrier::new(2);
        std::thread::scope(|s| {
            s.spawn(|| {
                m.get_or_init(1, || {
                    both.wait();
                    Ok::<_, ()>(1)
                })
            });
            s.spawn(|| {
                m.get_or_init(2, || {
                    both.wait();
                    Ok::<_, ()>(2)
                })
            });
        });
        assert_eq!((m.get(&1), m.get(&2)), (Some(1), Some(2)));
    }

    #[test]
    fn a_ticket_completed_on_another_thread_wakes_the_waiters() {
        let m: OnceMap<u8, String> = OnceMap::new();
        let Claim::Init(ticket) = m.claim(3) else {
            panic!("first claim initialises")
        };
        std::thread::scope(|s| {
            let waiter = s.spawn(|| match m.claim(3) {
                Claim::Ready(v) => v,
                Claim::Init(_) => panic!("the key was being initialised"),
            });
            s.spawn(move || ticket.complete("ready".into()));
            assert_eq!(waiter.join().unwrap(), "ready");
        });
    }

    #[test]
    fn an_abandoned_ticket_passes_the_initialisation_on() {
        let m: OnceMap<u8, u8> = OnceMap::new();
        let Claim::Init(ticket) = m.claim(1) else {
            panic!()
        };
        assert!(matches!(
            m.claim_timeout(1, Duration::from_millis(5)),
            Err(Error::Timeout)
        ));
        drop(ticket);
        let Claim::Init(again) = m.claim(1) else {
            panic!("the next caller initialises")
        };
        assert_eq!(again.complete(4), 4);
        assert!(matches!(m.claim(1), Claim::Ready(4)));
    }

    #[test]
    fn keys_whose_initialiser_failed_do_not_grow_memory() {
        let m: OnceMap<u64, u64> = OnceMap::new();
        m.get_or_init(u64::MAX, || Ok::<_, ()>(7)).unwrap();
        for key in 0..200_000u64 {
            assert_eq!(m.get_or_init(key, || Err::<u64, _>(key)), Err(key));
        }
        assert!(
            m.slots.len() <= 2 * SWEEP_MIN,
            "{} slots kept",
            m.slots.len()
        );
        // What has a value, or an initialisation in flight, survives every sweep.
        let Claim::Init(ticket) = m.claim(u64::MAX - 1) else {
            panic!()
        };
        for key in 0..10_000u64 {
            let _ = m.get_or_init(key, || Err::<u64, _>(()));
        }
        assert_eq!(m.get(&u64::MAX), Some(7));
        assert_eq!(ticket.complete(8), 8);
        assert_eq!(m.get(&(u64::MAX - 1)), Some(8));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn sweeps_racing_initialisers_lose_no_value_and_run_each_once() {
        let m: OnceMap<u64, u64> = OnceMap::new();
        let runs = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let (m, runs) = (&m, &runs);
                s.spawn(move || {
                    for i in 0..20_000u64 {
                        // Failing keys make sweeps happen while good keys initialise.
                        let _ = m.get_or_init(1_000_000 + t * 100_000 + i, || Err::<u64, _>(()));
                        let v = m.get_or_init(i % 500, || {
                            runs.fetch_add(1, Ordering::Relaxed);
                            Ok::<_, ()>(i % 500)
                        });
                        assert_eq!(v, Ok(i % 500));
                    }
                });
            }
        });
        assert_eq!(
            runs.load(Ordering::Relaxed),
            500,
            "each good key initialised once"
        );
        assert_eq!(m.len(), 500);
    }
}
