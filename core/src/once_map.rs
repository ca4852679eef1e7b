use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

use crate::ShardedMap;

/// Get-or-initialise per key under races (the seeds' typed client hub): concurrent callers for
/// one key run the initialiser exactly once and all receive its value; a failing initialiser is
/// not cached and the next caller retries; different keys initialise in parallel.
///
/// Equivalent to a `Mutex<HashMap<K, V>>` held across initialisation, except that the map is
/// sharded, an initialised key is read without any lock on the key (a `OnceLock`), and only
/// callers of the same uninitialised key wait for each other.
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
}

struct Slot<V> {
    value: OnceLock<V>,
    init: Mutex<()>,
}

impl<K: Hash + Eq, V: Clone> OnceMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        OnceMap { slots: ShardedMap::new() }
    }

    /// The value for `key`, running `init` if no caller has initialised it yet. Callers for the
    /// same key wait for the one running `init`; if it fails, its error is returned to it alone
    /// and the next waiter runs its own `init`.
    ///
    /// # Errors
    /// Whatever `init` returned, when this call's `init` ran and failed.
    pub fn get_or_init<E>(&self, key: K, init: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        let slot = self.slots.compute_if_absent(key, || Arc::new(Slot { value: OnceLock::new(), init: Mutex::new(()) }));
        if let Some(v) = slot.value.get() {
            return Ok(v.clone());
        }
        let _running = slot.init.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = slot.value.get() {
            return Ok(v.clone());
        }
        let v = init()?;
        Ok(slot.value.get_or_init(|| v).clone())
    }

    /// The value for `key` if it was initialised.
    pub fn get(&self, key: &K) -> Option<V> {
        self.slots.get(key).and_then(|s| s.value.get().cloned())
    }

    /// Forgets `key` (a later `get_or_init` initialises it again); returns its value if it had
    /// one. A caller that is initialising it concurrently still completes with its own value.
    pub fn remove(&self, key: &K) -> Option<V> {
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
        assert_eq!((m.get(&"k"), m.len()), (None, 0));
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
                        if attempts.fetch_add(1, Ordering::SeqCst) == 0 { Err(()) } else { Ok(9) }
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
            s.spawn(|| m.get_or_init(1, || { both.wait(); Ok::<_, ()>(1) }));
            s.spawn(|| m.get_or_init(2, || { both.wait(); Ok::<_, ()>(2) }));
        });
        assert_eq!((m.get(&1), m.get(&2)), (Some(1), Some(2)));
    }
}
