use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// A cancellation signal shared by a tree of tasks: [`cancel`](Self::cancel) once, and every
/// holder of the token or of a child token sees it. Checking is one atomic load; waiting blocks
/// on a condition variable (no polling), with a timeout.
///
/// Children are cancelled with their parent (not the other way round); a child made from an
/// already-cancelled token starts cancelled. Clones share one state.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use atomicperf::CancellationToken;
///
/// let shutdown = CancellationToken::new();
/// let request = shutdown.child();
/// let worker = {
///     let request = request.clone();
///     std::thread::spawn(move || request.wait(Duration::from_secs(30)))
/// };
/// shutdown.cancel();
/// assert!(worker.join().unwrap()); // woke up because it was cancelled, not by the timeout
/// assert!(request.is_cancelled());
/// ```
#[derive(Clone)]
pub struct CancellationToken {
    inner: Arc<Inner>,
}

struct Inner {
    cancelled: AtomicBool,
    state: Mutex<Children>,
    woken: Condvar,
    // A child keeps its parent alive (the parent holds only weak links to its children, so that
    // dropped children do not pile up): a token whose every handle was dropped still relays a
    // cancel from its ancestors to the descendants that remain. Released iteratively (see Drop).
    parent: Option<Arc<Inner>>,
}

#[derive(Default)]
struct Children(Vec<Weak<Inner>>);

impl CancellationToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::with_parent(None)
    }

    fn with_parent(parent: Option<Arc<Inner>>) -> Self {
        CancellationToken {
            inner: Arc::new(Inner {
                cancelled: AtomicBool::new(false),
                state: Mutex::default(),
                woken: Condvar::new(),
                parent,
            }),
        }
    }

    /// Whether the token was cancelled: one atomic load (Acquire: what the canceller did before
    /// cancelling is visible after this returns true).
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Acquire)
    }

    /// Cancels this token and all its descendants, waking every waiter. Idempotent.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// A new token cancelled when this one is (and cancellable on its own).
    pub fn child(&self) -> CancellationToken {
        let child = CancellationToken::with_parent(Some(self.inner.clone()));
        let mut children = self.inner.lock();
        // Checked under the lock that `cancel` takes to collect children: a child is either seen
        // by the cancel or created already cancelled, never missed.
        if self.is_cancelled() {
            child.inner.cancelled.store(true, Ordering::Release);
        } else {
            children.0.retain(|w| w.strong_count() > 0);
            children.0.push(Arc::downgrade(&child.inner));
        }
        child
    }

    /// Blocks until the token is cancelled or `timeout` passes; returns whether it was cancelled.
    pub fn wait(&self, timeout: Duration) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut guard = self.inner.lock();
        while !self.is_cancelled() {
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                return false;
            }
            guard = self
                .inner
                .woken
                .wait_timeout(guard, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Children> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks this token cancelled and wakes its waiters; returns its children, or nothing when it
    /// was already cancelled (its children were cancelled then).
    fn cancel_one(&self) -> Vec<Weak<Inner>> {
        let mut state = self.lock();
        if self.cancelled.swap(true, Ordering::AcqRel) {
            return Vec::new();
        }
        self.woken.notify_all();
        std::mem::take(&mut state.0)
    }

    fn cancel(&self) {
        // A work list, not recursion: a chain of a million child tokens (a `tok = tok.child()`
        // retry loop) must not need a million stack frames.
        let mut pending = self.cancel_one();
        while let Some(child) = pending.pop() {
            if let Some(child) = child.upgrade() {
                pending.extend(child.cancel_one());
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping the last handle of a leaf releases its parent, which may release its own
        // parent, and so on up a chain of any length. Unlinked one at a time here instead of by
        // nested drops, which would need one stack frame per ancestor.
        let mut next = self.parent.take();
        while let Some(parent) = next {
            // `into_inner` yields the value to exactly one of the threads dropping the last two
            // handles concurrently; the other has nothing left to do.
            next = Arc::into_inner(parent).and_then(|mut p| p.parent.take());
        }
    }
}

impl Default for CancellationToken {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancellationToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn cancel_reaches_children_and_grandchildren_but_not_parents() {
        let root = CancellationToken::new();
        let child = root.child();
        let grandchild = child.child();
        child.cancel();
        assert!(child.is_cancelled() && grandchild.is_cancelled());
        assert!(!root.is_cancelled());
        let sibling = root.child();
        root.cancel();
        assert!(sibling.is_cancelled());
    }

    #[test]
    fn cancel_reaches_grandchildren_through_a_dropped_child() {
        let root = CancellationToken::new();
        let child = root.child();
        let grandchild = child.child();
        let great = grandchild.child();
        drop(child);
        root.cancel();
        assert!(grandchild.is_cancelled() && great.is_cancelled());
    }

    #[test]
    fn child_of_a_cancelled_token_starts_cancelled() {
        let t = CancellationToken::new();
        t.cancel();
        assert!(t.child().is_cancelled());
    }

    #[test]
    fn wait_times_out_when_nobody_cancels() {
        assert!(!CancellationToken::new().wait(Duration::from_millis(10)));
        assert!(!CancellationToken::new().wait(Duration::ZERO));
    }

    #[test]
    fn every_waiter_wakes_on_cancel() {
        let t = CancellationToken::new();
        std::thread::scope(|s| {
            let waiters: Vec<_> = (0..8)
                .map(|_| s.spawn(|| t.child().wait(Duration::from_secs(60))))
                .collect();
            t.cancel();
            assert!(waiters.into_iter().all(|w| w.join().unwrap()));
        });
    }

    /// Runs `f` on a thread with a 256 KiB stack: recursion per level would overflow it.
    fn on_small_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(f)
            .unwrap()
            .join()
            .expect("overflowed or panicked");
    }

    #[test]
    fn a_chain_of_a_million_children_cancels_and_drops_without_recursion() {
        on_small_stack(|| {
            let root = CancellationToken::new();
            let mut leaf = root.clone();
            for _ in 0..1_000_000 {
                leaf = leaf.child();
            }
            root.cancel();
            assert!(leaf.is_cancelled());
            drop(root);
            drop(leaf); // releases the whole chain
        });
    }

    #[test]
    fn dropping_a_long_uncancelled_chain_leaf_first_or_root_first_is_safe() {
        on_small_stack(|| {
            let root = CancellationToken::new();
            let mut leaf = root.clone();
            for _ in 0..1_000_000 {
                leaf = leaf.child();
            }
            drop(leaf);
            drop(root);
            let root = CancellationToken::new();
            let mut leaf = root.child();
            for _ in 0..1_000_000 {
                leaf = leaf.child();
            }
            drop(root);
            leaf.cancel();
            assert!(leaf.is_cancelled());
        });
    }

    #[test]
    fn a_cancel_racing_the_drop_of_a_chain_reaches_every_remaining_child() {
        for _ in 0..50 {
            let root = CancellationToken::new();
            let mut chain = vec![root.child()];
            for _ in 0..1_000 {
                let next = chain.last().unwrap().child();
                chain.push(next);
            }
            let keep: Vec<_> = chain.iter().step_by(10).cloned().collect();
            std::thread::scope(|s| {
                s.spawn(|| drop(chain));
                s.spawn(|| root.cancel());
            });
            assert!(keep.iter().all(CancellationToken::is_cancelled));
        }
    }

    #[test]
    fn dropped_children_do_not_accumulate() {
        let t = CancellationToken::new();
        for _ in 0..10_000 {
            drop(t.child());
        }
        assert!(t.inner.lock().0.len() <= 1);
    }
}
