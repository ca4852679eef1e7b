//! Atomics used by the primitives: std's in normal builds, loom's under `--cfg loom` so that the
//! loom models in `tests/loom.rs` explore every interleaving of the real code.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicI64, AtomicPtr, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicI64, AtomicPtr, AtomicU64, Ordering};

/// Gives the other threads a chance while waiting for one to finish a short step (loom must be
/// told, or it would explore the spin forever).
pub(crate) fn spin_wait() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::thread::yield_now();
}

/// Threads waiting for a condition that other threads make true, without holding any lock while
/// they wait (a condition variable would have them re-take its mutex on waking, and a fork at
/// that instant would leave the child a mutex locked for ever; see `crate::fork`).
///
/// The condition lives elsewhere (an atomic flag, a `OnceLock`...); a waiter registers, checks
/// it, and parks; whoever makes it true calls [`wake_all`](Self::wake_all) afterwards. Waking
/// after the change and checking after registering means no wake-up is lost.
#[derive(Default)]
pub(crate) struct Waiters {
    parked: std::sync::Mutex<Vec<std::thread::Thread>>,
}

impl Waiters {
    fn parked(&self) -> crate::fork::Guarded<std::sync::MutexGuard<'_, Vec<std::thread::Thread>>> {
        crate::fork::Guarded::lock(|| self.parked.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Blocks until `ready()` returns true or `deadline` passes (`None`: no deadline); returns
    /// the last `ready()`.
    pub(crate) fn wait_until(
        &self,
        ready: impl Fn() -> bool,
        deadline: Option<std::time::Instant>,
    ) -> bool {
        if ready() {
            return true;
        }
        let me = std::thread::current();
        self.parked().push(me.clone());
        let done = loop {
            if ready() {
                break true;
            }
            match deadline {
                None => std::thread::park(),
                Some(d) => {
                    let left = d.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        break ready();
                    }
                    std::thread::park_timeout(left);
                }
            }
        };
        let mut parked = self.parked();
        if let Some(i) = parked.iter().position(|t| t.id() == me.id()) {
            parked.swap_remove(i);
        }
        done
    }

    /// Wakes every waiter, to check its condition again.
    pub(crate) fn wake_all(&self) {
        let parked = self.parked().clone();
        for t in parked {
            t.unpark();
        }
    }

    /// Whether a thread is waiting (for tests).
    #[cfg(test)]
    pub(crate) fn any(&self) -> bool {
        !self.parked().is_empty()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Waiters;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn a_wait_ends_when_the_condition_is_made_true_and_leaves_no_registration() {
        let w = Arc::new(Waiters::default());
        let flag = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (w, flag) = (w.clone(), flag.clone());
            std::thread::spawn(move || w.wait_until(|| flag.load(Ordering::Acquire), None))
        };
        while !w.any() {
            std::thread::yield_now();
        }
        flag.store(true, Ordering::Release);
        w.wake_all();
        assert!(waiter.join().unwrap());
        assert!(!w.any());
    }

    #[test]
    fn a_wait_times_out_with_the_condition_false_and_unregisters() {
        let w = Waiters::default();
        let start = Instant::now();
        let deadline = start + Duration::from_millis(30);
        assert!(!w.wait_until(|| false, Some(deadline)));
        assert!(Instant::now() >= deadline);
        assert!(!w.any());
        // A condition already true returns at once, whatever the deadline.
        assert!(w.wait_until(|| true, Some(start)));
    }
}
