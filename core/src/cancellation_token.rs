use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use crate::fork::Guarded;
use crate::sync::Waiters;

/// A cancellation signal shared by a tree of tasks: [`cancel`](Self::cancel) once, and every
/// holder of the token or of a child token sees it. Checking is one atomic load; waiting parks the
/// thread until the cancel wakes it (no polling), with a timeout.
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
    woken: Waiters,
    // A child keeps its parent alive (the parent holds only weak links to its children, so that
    // dropped children do not pile up): a token whose every handle was dropped still relays a
    // cancel from its ancestors to the descendants that remain. Released iteratively (see Drop).
    parent: Option<Arc<Inner>>,
}

/// Under the token's lock: weak links to the children, and the watchers to tell on cancel with
/// the key each registered.
#[derive(Default)]
struct Children(Vec<Weak<Inner>>, Vec<(Weak<WatcherInner>, u64)>);

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
                woken: Waiters::default(),
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
        self.inner
            .woken
            .wait_until(|| self.is_cancelled(), deadline)
    }
}

impl CancellationToken {
    /// Asks `watcher` to report `key` once this token is cancelled (at once if it already is),
    /// so that one thread blocked in [`CancelWatcher::wait_into`] serves any number of tokens
    /// instead of one waiting thread per token. The token holds the watcher weakly: dropping
    /// the watcher ends its registrations. Register a key at most once per token and watcher;
    /// each registration is reported at most once.
    pub fn watch(&self, watcher: &CancelWatcher, key: u64) {
        let mut state = self.inner.lock();
        // Under the lock `cancel_one` takes the watchers with: reported by it, or here.
        if self.is_cancelled() {
            drop(state);
            watcher.inner.push(key);
            return;
        }
        state.1.retain(|(w, _)| w.strong_count() > 0);
        state.1.push((Arc::downgrade(&watcher.inner), key));
    }

    /// Withdraws a registration made by [`watch`](Self::watch); returns whether it was still
    /// pending (false once the cancel has reported it or if it never existed).
    pub fn unwatch(&self, watcher: &CancelWatcher, key: u64) -> bool {
        let mut state = self.inner.lock();
        let before = state.1.len();
        state
            .1
            .retain(|(w, k)| !(*k == key && std::ptr::eq(w.as_ptr(), Arc::as_ptr(&watcher.inner))));
        state.1.len() != before
    }
}

/// One waiter for the cancellation of any number of tokens: tokens registered with
/// [`CancellationToken::watch`] push their key here when cancelled, and one thread takes the
/// keys with [`wait_into`](Self::wait_into). This is how a language binding turns cancellations
/// into its own events (Go channels, JavaScript promises) with one thread per process rather
/// than one per watched token.
///
/// ```
/// use std::time::Duration;
/// use atomicperf::{CancelWatcher, CancellationToken};
///
/// let watcher = CancelWatcher::new();
/// let tokens: Vec<_> = (0..3).map(|_| CancellationToken::new()).collect();
/// for (key, t) in tokens.iter().enumerate() {
///     t.watch(&watcher, key as u64);
/// }
/// tokens[2].cancel();
/// let mut keys = [0u64; 8];
/// assert_eq!(watcher.wait_into(&mut keys, Duration::from_secs(5)), 1);
/// assert_eq!(keys[0], 2);
/// ```
#[derive(Clone, Default)]
pub struct CancelWatcher {
    inner: Arc<WatcherInner>,
}

#[derive(Default)]
struct WatcherInner {
    queue: Mutex<WatcherQueue>,
    ready: Waiters,
}

#[derive(Default)]
struct WatcherQueue {
    keys: std::collections::VecDeque<u64>,
    closed: bool,
}

impl WatcherInner {
    fn lock(&self) -> Guarded<MutexGuard<'_, WatcherQueue>> {
        Guarded::lock(|| self.queue.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn push(&self, key: u64) {
        self.lock().keys.push_back(key);
        self.ready.wake_all();
    }
}

impl CancelWatcher {
    /// A watcher with nothing registered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Blocks until at least one key is reported, `timeout` passes or the watcher is closed;
    /// moves up to `out.len()` reported keys into `out`, in the order of their cancels, and
    /// returns how many. Returns 0 on timeout, at once when closed (keys still queued are
    /// returned first), and at once for an empty `out`.
    pub fn wait_into(&self, out: &mut [u64], timeout: Duration) -> usize {
        if out.is_empty() {
            return 0;
        }
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let woken = self.inner.ready.wait_until(
                || {
                    let q = self.inner.lock();
                    !q.keys.is_empty() || q.closed
                },
                deadline,
            );
            let mut q = self.inner.lock();
            let n = out.len().min(q.keys.len());
            for (slot, key) in out.iter_mut().zip(q.keys.drain(..n)) {
                *slot = key;
            }
            // Another waiter may have taken the keys that woke this one: wait again.
            if n > 0 || q.closed || !woken {
                return n;
            }
        }
    }

    /// Wakes every thread in [`wait_into`](Self::wait_into) and makes later waits return at
    /// once; keys are still reported. Idempotent.
    pub fn close(&self) {
        self.inner.lock().closed = true;
        self.inner.ready.wake_all();
    }

    /// Reports `key` as if a watched token had been cancelled: how other events reach the one
    /// thread waiting in [`wait_into`](Self::wait_into) (an [`AsyncRecorder`]'s progress, see
    /// [`AsyncRecorder::watch_applied`], or a binding's own wake-up).
    ///
    /// [`AsyncRecorder`]: crate::AsyncRecorder
    /// [`AsyncRecorder::watch_applied`]: crate::AsyncRecorder::watch_applied
    pub fn notify(&self, key: u64) {
        self.inner.push(key);
    }

    /// Number of keys reported and not yet taken.
    pub fn pending(&self) -> usize {
        self.inner.lock().keys.len()
    }
}

impl std::fmt::Debug for CancelWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelWatcher")
            .field("pending", &self.pending())
            .finish()
    }
}

impl Inner {
    fn lock(&self) -> Guarded<MutexGuard<'_, Children>> {
        Guarded::lock(|| self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Marks this token cancelled and wakes its waiters; returns its children, or nothing when it
    /// was already cancelled (its children were cancelled then).
    fn cancel_one(&self) -> Vec<Weak<Inner>> {
        let mut state = self.lock();
        if self.cancelled.swap(true, Ordering::AcqRel) {
            return Vec::new();
        }
        self.woken.wake_all();
        for (watcher, key) in std::mem::take(&mut state.1) {
            if let Some(watcher) = watcher.upgrade() {
                watcher.push(key);
            }
        }
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
    fn one_watcher_reports_every_cancelled_token_once_and_none_unwatched() {
        let watcher = CancelWatcher::new();
        let root = CancellationToken::new();
        let tokens: Vec<_> = (0..1000).map(|_| root.child()).collect();
        for (k, t) in tokens.iter().enumerate() {
            t.watch(&watcher, k as u64);
        }
        assert!(tokens[7].unwatch(&watcher, 7));
        assert!(!tokens[7].unwatch(&watcher, 7));
        tokens[3].cancel();
        root.cancel();
        let mut seen = Vec::new();
        let mut buf = [0u64; 64];
        while seen.len() < 999 {
            let n = watcher.wait_into(&mut buf, Duration::from_secs(60));
            assert!(n > 0);
            seen.extend_from_slice(&buf[..n]);
        }
        assert_eq!(seen[0], 3, "reported in the order of the cancels");
        seen.sort_unstable();
        let want: Vec<u64> = (0..1000).filter(|&k| k != 7).collect();
        assert_eq!(seen, want);
        assert_eq!(watcher.wait_into(&mut buf, Duration::ZERO), 0);
        // Watching a cancelled token reports at once; close wakes a waiter with nothing queued.
        tokens[0].watch(&watcher, 42);
        assert_eq!(watcher.wait_into(&mut buf, Duration::ZERO), 1);
        assert_eq!(buf[0], 42);
        std::thread::scope(|s| {
            let w = s.spawn(|| watcher.wait_into(&mut [0u64; 4], Duration::from_secs(3600)));
            watcher.close();
            assert_eq!(w.join().unwrap(), 0);
        });
    }

    #[test]
    fn a_dropped_watcher_is_forgotten_by_its_tokens() {
        let t = CancellationToken::new();
        for k in 0..100 {
            t.watch(&CancelWatcher::new(), k);
        }
        assert!(t.inner.lock().1.len() <= 1);
        t.cancel();
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
