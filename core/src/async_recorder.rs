use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError};

use crate::fork::Guarded;
use crate::sync::Waiters;
use crate::{CancelWatcher, Counter, Error, Gauge, Histogram, MinMax, Timer};

/// A metric that an [`AsyncRecorder`] can apply events to from its worker threads.
pub trait AsyncTarget: Send + Sync + 'static {
    /// One recording, carried through the queue.
    type Event: Send + 'static;
    /// Applies one event to the metric.
    fn apply(&self, event: Self::Event);
}

impl AsyncTarget for Counter {
    /// An amount to add.
    type Event = u64;
    fn apply(&self, n: u64) {
        self.add(n);
    }
}

impl AsyncTarget for Histogram {
    /// A value to record.
    type Event = u64;
    fn apply(&self, v: u64) {
        self.record(v);
    }
}

impl AsyncTarget for MinMax {
    /// A value to record.
    type Event = u64;
    fn apply(&self, v: u64) {
        self.record(v);
    }
}

impl AsyncTarget for Timer {
    /// A duration in nanoseconds and whether the execution succeeded.
    type Event = (u64, bool);
    fn apply(&self, (nanos, ok): (u64, bool)) {
        self.record_nanos(nanos, ok);
    }
}

/// An operation on a [`Gauge`], queued by an [`AsyncRecorder`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GaugeOp {
    /// [`Gauge::set`].
    Set(f64),
    /// [`Gauge::add`].
    Add(f64),
    /// [`Gauge::set_max`].
    SetMax(f64),
    /// [`Gauge::set_min`].
    SetMin(f64),
}

impl AsyncTarget for Gauge {
    type Event = GaugeOp;
    fn apply(&self, op: GaugeOp) {
        match op {
            GaugeOp::Set(v) => self.set(v),
            GaugeOp::Add(v) => self.add(v),
            GaugeOp::SetMax(v) => self.set_max(v),
            GaugeOp::SetMin(v) => self.set_min(v),
        }
    }
}

/// What [`AsyncRecorder::record`] does when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Drop the event and count it: the caller never waits.
    Drop,
    /// Wait for room.
    Block,
}

/// Configuration of an [`AsyncRecorder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsyncConfig {
    /// Events the queue holds (1 to [`AsyncConfig::MAX_CAPACITY`]).
    pub capacity: usize,
    /// Worker threads applying events (1 to [`AsyncConfig::MAX_WORKERS`]).
    pub workers: usize,
    /// Most events a worker applies per wake-up (at least 1).
    pub batch: usize,
    /// Behaviour on a full queue.
    pub overflow: Overflow,
}

impl AsyncConfig {
    /// Largest queue: 2^24 events (the queue allocates its capacity up front).
    pub const MAX_CAPACITY: usize = 1 << 24;
    /// Most worker threads.
    pub const MAX_WORKERS: usize = 256;
}

impl Default for AsyncConfig {
    /// 65,536 events, 1 worker, batches of 256, dropping on overflow.
    fn default() -> Self {
        AsyncConfig {
            capacity: 65_536,
            workers: 1,
            batch: 256,
            overflow: Overflow::Drop,
        }
    }
}

/// Whether an event was queued or dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Queued; a worker will apply it.
    Queued,
    /// Dropped because the queue was full (drop mode); counted in [`AsyncRecorder::dropped`].
    Dropped,
}

/// A bounded queue in front of a metric, applied by worker threads in batches, as services
/// write an `AsyncMetricRecorder`. Recording costs a queue push instead of the metric update,
/// which pays when the update is expensive (a histogram under heavy contention, a metric behind a
/// lock) and costs more than it saves for a striped counter; the benchmarks report both.
///
/// The queue is a crossbeam bounded channel. Its sending end sits behind an arc-swap, so recording
/// takes no lock, and `close` swaps it out: the channel disconnects once the last in-flight
/// `record` has finished its push, workers drain everything that was queued, and then exit. No
/// queued event is lost.
///
/// # Guarantees
/// - `applied() + dropped() == enqueued()` once [`flush`](AsyncRecorder::flush) has returned `true`
///   with no concurrent recorders; in block mode `dropped()` is always 0.
/// - `flush(timeout)` returns `true` once every event queued before the call is applied, `false`
///   if the timeout passed first.
/// - After [`close`](AsyncRecorder::close), `record` returns [`Error::Closed`]; close drains the
///   queue and joins the workers. Dropping the recorder closes it.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use atomicperf::{AsyncConfig, AsyncRecorder, Histogram, Recorded};
///
/// let latency = Arc::new(Histogram::new());
/// let recorder = AsyncRecorder::new(latency.clone(), AsyncConfig::default()).unwrap();
/// assert_eq!(recorder.record(1_250_000), Ok(Recorded::Queued));
/// assert!(recorder.flush(Duration::from_secs(5)));
/// assert_eq!(latency.count(), 1);
/// recorder.close();
/// assert!(recorder.record(1).is_err());
/// ```
pub struct AsyncRecorder<T: AsyncTarget> {
    sender: ArcSwapOption<Sender<T::Event>>,
    overflow: Overflow,
    shared: Arc<Shared>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    target: Arc<T>,
    /// `fork::generation()` when the workers started: another value means this is a forked child,
    /// where they do not exist.
    generation: u64,
}

struct Shared {
    queued: Counter,
    dropped: Counter,
    applied: AtomicU64,
    /// Threads in `flush` plus registered watchers: workers skip telling anyone while it is 0.
    flushers: AtomicUsize,
    progressed: Waiters,
    /// `(target, watcher, key)`: report `key` once `applied >= target` (see `watch_applied`).
    watchers: Mutex<Vec<(u64, CancelWatcher, u64)>>,
    /// Set once `close` has joined the workers: nothing will be applied any more.
    drained: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn watchers(&self) -> Guarded<std::sync::MutexGuard<'_, Vec<(u64, CancelWatcher, u64)>>> {
        Guarded::lock(|| self.watchers.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Wakes the flushers and reports the watchers whose target is reached (all of them when
    /// `all`: the recorder closed).
    fn tell(&self, all: bool) {
        self.progressed.wake_all();
        let applied = self.applied.load(Ordering::SeqCst);
        let mut due = Vec::new();
        self.watchers().retain(|(target, watcher, key)| {
            let keep = !all && *target > applied;
            if !keep {
                due.push((watcher.clone(), *key));
            }
            keep
        });
        self.flushers.fetch_sub(due.len(), Ordering::SeqCst);
        for (watcher, key) in due {
            watcher.notify(key);
        }
    }
}

impl<T: AsyncTarget> AsyncRecorder<T> {
    /// Starts `config.workers` threads applying events to `target`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if capacity, workers or batch is 0, or capacity or workers above
    /// their maximum.
    pub fn new(target: Arc<T>, config: AsyncConfig) -> Result<Self, Error> {
        for (name, v, max) in [
            ("capacity", config.capacity, AsyncConfig::MAX_CAPACITY),
            ("workers", config.workers, AsyncConfig::MAX_WORKERS),
            ("batch", config.batch, usize::MAX),
        ] {
            if v == 0 || v > max {
                return Err(Error::InvalidConfig(format!(
                    "async recorder {name} must be from 1 to {max}, got {v}"
                )));
            }
        }
        let generation = crate::fork::generation();
        let (tx, rx) = crossbeam_channel::bounded(config.capacity);
        let shared = Arc::new(Shared {
            queued: Counter::new(),
            dropped: Counter::new(),
            applied: AtomicU64::new(0),
            flushers: AtomicUsize::new(0),
            progressed: Waiters::default(),
            watchers: Mutex::new(Vec::new()),
            drained: std::sync::atomic::AtomicBool::new(false),
        });
        let workers = (0..config.workers)
            .map(|i| {
                let (rx, target, shared) = (rx.clone(), target.clone(), shared.clone());
                std::thread::Builder::new()
                    .name(format!("atomicperf-async-{i}"))
                    .spawn(move || work(&rx, &*target, &shared, config.batch))
                    .map_err(|e| Error::InvalidConfig(format!("cannot start worker thread: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AsyncRecorder {
            sender: ArcSwapOption::new(Some(Arc::new(tx))),
            overflow: config.overflow,
            shared,
            workers: Mutex::new(workers),
            target,
            generation,
        })
    }

    /// Queues one event. Drop mode never waits; block mode waits for room.
    ///
    /// # Errors
    /// [`Error::Closed`] after [`close`](Self::close).
    pub fn record(&self, event: T::Event) -> Result<Recorded, Error> {
        match self.overflow {
            Overflow::Drop => self.try_record(event),
            Overflow::Block => self.record_timeout(event, None),
        }
    }

    /// Queues one event, waiting at most `timeout` for room (in either mode).
    ///
    /// # Errors
    /// [`Error::Timeout`] if there was no room in time (the event is not queued and not counted
    /// as dropped); [`Error::Closed`] after [`close`](Self::close).
    pub fn record_with_timeout(
        &self,
        event: T::Event,
        timeout: Duration,
    ) -> Result<Recorded, Error> {
        self.record_timeout(event, Some(timeout))
    }

    /// [`Error::Forked`] in a forked child: nothing queued there would ever be applied.
    fn check_process(&self) -> Result<(), Error> {
        if crate::fork::generation() == self.generation {
            Ok(())
        } else {
            Err(Error::Forked)
        }
    }

    fn try_record(&self, event: T::Event) -> Result<Recorded, Error> {
        self.check_process()?;
        let guard = self.sender.load();
        let tx = guard.as_ref().ok_or(Error::Closed)?;
        match tx.try_send(event) {
            Ok(()) => {
                self.shared.queued.inc();
                Ok(Recorded::Queued)
            }
            Err(TrySendError::Full(_)) => {
                self.shared.dropped.inc();
                Ok(Recorded::Dropped)
            }
            Err(TrySendError::Disconnected(_)) => Err(Error::Closed),
        }
    }

    fn record_timeout(
        &self,
        event: T::Event,
        timeout: Option<Duration>,
    ) -> Result<Recorded, Error> {
        self.check_process()?;
        let guard = self.sender.load();
        let tx = guard.as_ref().ok_or(Error::Closed)?;
        let sent = match timeout {
            None => tx.send(event).map_err(|_| Error::Closed),
            Some(t) => tx.send_timeout(event, t).map_err(|e| match e {
                SendTimeoutError::Timeout(_) => Error::Timeout,
                SendTimeoutError::Disconnected(_) => Error::Closed,
            }),
        };
        sent?;
        self.shared.queued.inc();
        Ok(Recorded::Queued)
    }

    /// Waits until every event queued before this call has been applied. Returns `true` when they
    /// have, `false` if `timeout` passed first. In a forked child (no workers), returns at once:
    /// `true` if nothing was left to apply, else `false`.
    pub fn flush(&self, timeout: Duration) -> bool {
        self.flush_until(self.shared.queued.get(), timeout)
    }

    /// Events queued so far (not counting dropped ones): the mark [`flush_until`] waits for.
    ///
    /// [`flush_until`]: Self::flush_until
    pub fn queued(&self) -> u64 {
        self.shared.queued.get()
    }

    /// As [`flush`](Self::flush), for the first `target` queued events ([`queued`](Self::queued)
    /// read earlier): a caller that waits in slices (to answer Ctrl-C between them) keeps waiting
    /// for the same events, not for those queued since.
    pub fn flush_until(&self, target: u64, timeout: Duration) -> bool {
        if self.check_process().is_err() {
            return self.shared.applied.load(Ordering::SeqCst) >= target;
        }
        // A timeout too long to represent (Duration::MAX) means no deadline.
        let deadline = Instant::now().checked_add(timeout);
        let shared = &self.shared;
        // Announce the wait before checking progress: a worker that finishes a batch after our
        // check sees the announcement (both SeqCst) and wakes us.
        shared.flushers.fetch_add(1, Ordering::SeqCst);
        let done = shared
            .progressed
            .wait_until(|| shared.applied.load(Ordering::SeqCst) >= target, deadline);
        shared.flushers.fetch_sub(1, Ordering::SeqCst);
        done
    }

    /// Asks `watcher` to report `key` once the first `target` queued events (a
    /// [`queued`](Self::queued) reading) have been applied, at once if they have, or when the
    /// recorder is closed or lives in a forked child: the asynchronous form of
    /// [`flush_until`](Self::flush_until), for a binding whose one thread waits in
    /// [`CancelWatcher::wait_into`] for every kind of event. Each registration is reported once;
    /// the watcher should then read [`applied`](Self::applied) to tell progress from closing.
    pub fn watch_applied(&self, target: u64, watcher: &CancelWatcher, key: u64) {
        let shared = &self.shared;
        if self.check_process().is_err() {
            watcher.notify(key);
            return;
        }
        shared.flushers.fetch_add(1, Ordering::SeqCst);
        shared.watchers().push((target, watcher.clone(), key));
        // Progress made before the workers could see the registration, or a close that has
        // already told everyone: check now.
        let drained = shared.drained.load(Ordering::SeqCst);
        if drained || shared.applied.load(Ordering::SeqCst) >= target {
            shared.tell(drained);
        }
    }

    /// Stops accepting events, waits until every queued event is applied and joins the workers.
    /// Calling it again does nothing. In a forked child it only stops accepting events: the
    /// workers belong to the parent, which applies its own queue.
    pub fn close(&self) {
        let sender = self.sender.swap(None);
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        if self.check_process().is_err() {
            // In a forked child, the queue's internal locks may have been held by a parent thread
            // at the fork, and the worker threads do not exist: disconnecting the queue could
            // wait for ever and joining would fail. Both are only memory copied from the parent.
            std::mem::forget(sender);
            std::mem::forget(workers);
            return;
        }
        let closing = sender.is_some();
        drop(sender);
        for w in workers {
            let _ = w.join();
        }
        if closing {
            // This call closed the queue and joined the workers: everything queued is applied.
            self.shared.drained.store(true, Ordering::SeqCst);
            self.shared.tell(true);
        }
    }

    /// Whether [`close`](Self::close) was called, or this is a forked child of the process that
    /// created the recorder.
    pub fn is_closed(&self) -> bool {
        self.sender.load().is_none() || self.check_process().is_err()
    }

    /// Events offered to the recorder: queued plus dropped.
    pub fn enqueued(&self) -> u64 {
        self.shared.queued.get() + self.shared.dropped.get()
    }

    /// Events applied to the metric.
    pub fn applied(&self) -> u64 {
        self.shared.applied.load(Ordering::SeqCst)
    }

    /// Events dropped because the queue was full (drop mode only).
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.get()
    }

    /// The metric behind the queue.
    pub fn target(&self) -> &Arc<T> {
        &self.target
    }
}

impl<T: AsyncTarget> Drop for AsyncRecorder<T> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<T: AsyncTarget> std::fmt::Debug for AsyncRecorder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncRecorder")
            .field("enqueued", &self.enqueued())
            .field("applied", &self.applied())
            .field("dropped", &self.dropped())
            .field("closed", &self.is_closed())
            .finish()
    }
}

fn work<T: AsyncTarget>(rx: &Receiver<T::Event>, target: &T, shared: &Shared, batch: usize) {
    // `recv` keeps returning queued events after the last sender is gone and fails only once the
    // queue is empty: that is the drain on close.
    while let Ok(first) = rx.recv() {
        target.apply(first);
        let mut n = 1u64;
        while n < batch as u64 {
            match rx.try_recv() {
                Ok(e) => {
                    target.apply(e);
                    n += 1;
                }
                Err(_) => break,
            }
        }
        shared.applied.fetch_add(n, Ordering::SeqCst);
        if shared.flushers.load(Ordering::SeqCst) > 0 {
            shared.tell(false);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn config(capacity: usize, workers: usize, overflow: Overflow) -> AsyncConfig {
        AsyncConfig {
            capacity,
            workers,
            batch: 64,
            overflow,
        }
    }

    #[test]
    fn zero_or_huge_capacity_workers_or_batch_is_an_error() {
        let c = Arc::new(Counter::new());
        for bad in [
            AsyncConfig {
                capacity: 0,
                ..Default::default()
            },
            AsyncConfig {
                workers: 0,
                ..Default::default()
            },
            AsyncConfig {
                batch: 0,
                ..Default::default()
            },
        ] {
            assert!(matches!(
                AsyncRecorder::new(c.clone(), bad),
                Err(Error::InvalidConfig(_))
            ));
        }
    }

    #[test]
    fn flush_applies_everything_queued_before_it() {
        let h = Arc::new(Histogram::new());
        let r = AsyncRecorder::new(h.clone(), config(1024, 2, Overflow::Block)).unwrap();
        for v in 1..=1000 {
            assert_eq!(r.record(v), Ok(Recorded::Queued));
        }
        assert!(r.flush(Duration::from_secs(30)));
        assert_eq!((h.count(), h.sum()), (1000, 500_500));
        assert_eq!((r.enqueued(), r.applied(), r.dropped()), (1000, 1000, 0));
    }

    #[test]
    fn flush_with_an_unrepresentable_timeout_waits_without_a_deadline() {
        let c = Arc::new(Counter::new());
        let r = AsyncRecorder::new(c.clone(), AsyncConfig::default()).unwrap();
        r.record(2).unwrap();
        assert!(r.flush(Duration::MAX));
        assert_eq!(c.get(), 2);
    }

    #[test]
    fn record_after_close_is_an_error_and_close_is_idempotent() {
        let c = Arc::new(Counter::new());
        let r = AsyncRecorder::new(c.clone(), AsyncConfig::default()).unwrap();
        r.record(5).unwrap();
        r.close();
        r.close();
        assert!(r.is_closed());
        assert_eq!(r.record(1), Err(Error::Closed));
        assert_eq!(
            r.record_with_timeout(1, Duration::from_millis(1)),
            Err(Error::Closed)
        );
        assert_eq!(c.get(), 5, "close drained the queue");
    }

    #[test]
    fn gauge_ops_apply_in_queue_order_with_one_worker() {
        let g = Arc::new(Gauge::new());
        let r = AsyncRecorder::new(g.clone(), config(16, 1, Overflow::Block)).unwrap();
        for op in [
            GaugeOp::Set(10.0),
            GaugeOp::Add(5.0),
            GaugeOp::SetMax(12.0),
            GaugeOp::SetMin(-1.0),
        ] {
            r.record(op).unwrap();
        }
        r.close();
        assert_eq!(g.get(), -1.0);
    }

    #[test]
    fn drop_mode_under_pressure_conserves_enqueued_applied_and_dropped() {
        let t = Arc::new(Timer::new());
        let r = Arc::new(AsyncRecorder::new(t.clone(), config(8, 1, Overflow::Drop)).unwrap());
        std::thread::scope(|s| {
            for _ in 0..8 {
                let r = r.clone();
                s.spawn(move || {
                    for i in 0..10_000u64 {
                        r.record((i, i % 10 != 0)).unwrap();
                    }
                });
            }
        });
        assert!(r.flush(Duration::from_secs(30)));
        assert_eq!(r.enqueued(), 80_000);
        assert_eq!(r.applied() + r.dropped(), r.enqueued());
        assert_eq!(t.count(), r.applied());
    }

    #[test]
    fn block_mode_under_pressure_drops_nothing() {
        let mm = Arc::new(MinMax::new());
        let r = Arc::new(AsyncRecorder::new(mm.clone(), config(4, 2, Overflow::Block)).unwrap());
        std::thread::scope(|s| {
            for t in 0..8u64 {
                let r = r.clone();
                s.spawn(move || {
                    for i in 0..5_000u64 {
                        r.record(t * 5_000 + i).unwrap();
                    }
                });
            }
        });
        r.close();
        assert_eq!(
            (r.enqueued(), r.applied(), r.dropped()),
            (40_000, 40_000, 0)
        );
        assert_eq!((mm.min(), mm.max()), (Some(0), Some(39_999)));
    }

    #[test]
    fn flush_times_out_while_the_worker_is_stuck() {
        struct Slow(Mutex<()>);
        impl AsyncTarget for Slow {
            type Event = ();
            fn apply(&self, _: ()) {
                drop(self.0.lock().unwrap());
            }
        }
        let slow = Arc::new(Slow(Mutex::new(())));
        let r = AsyncRecorder::new(slow.clone(), config(4, 1, Overflow::Drop)).unwrap();
        let held = slow.0.lock().unwrap();
        r.record(()).unwrap();
        assert!(
            !r.flush(Duration::from_millis(20)),
            "the worker cannot apply while the lock is held"
        );
        assert_eq!(
            r.record_with_timeout((), Duration::from_millis(1)),
            Ok(Recorded::Queued)
        );
        drop(held);
        assert!(r.flush(Duration::from_secs(30)));
    }

    #[test]
    fn close_waits_for_a_recorder_blocked_on_a_full_queue() {
        let c = Arc::new(Counter::new());
        let r = Arc::new(AsyncRecorder::new(c.clone(), config(1, 1, Overflow::Block)).unwrap());
        let writer = {
            let r = r.clone();
            std::thread::spawn(move || (0..1000).filter(|_| r.record(1).is_ok()).count() as u64)
        };
        let accepted_before_close = writer.join().unwrap();
        r.close();
        assert_eq!(c.get(), accepted_before_close);
    }

    #[cfg(unix)]
    #[test]
    fn in_a_forked_child_records_are_refused_clearly_and_close_does_not_join() {
        let c = Arc::new(Counter::new());
        let r = AsyncRecorder::new(c.clone(), config(64, 2, Overflow::Block)).unwrap();
        assert_eq!(r.record(1), Ok(Recorded::Queued));
        assert!(r.flush(Duration::from_secs(10)));
        // SAFETY: the child only touches the recorder and exits with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let code = (|| {
                if r.record(1) != Err(Error::Forked) || !r.is_closed() {
                    return 1;
                }
                if !Error::Forked.to_string().contains("fork") {
                    return 2;
                }
                if !r.flush(Duration::from_secs(3600)) {
                    return 3; // nothing was pending: flush returns at once, true
                }
                r.close(); // must neither join nor panic
                drop(r);
                0
            })();
            // SAFETY: ends the child without running the parent's atexit handlers.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waits for the child created above.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status), "child died: status {status}");
        assert_eq!(libc::WEXITSTATUS(status), 0, "child check failed");
        // The parent's recorder is untouched.
        assert_eq!(r.record(1), Ok(Recorded::Queued));
        r.close();
        assert_eq!(c.get(), 2);
    }

    #[test]
    fn a_watch_is_reported_once_its_events_are_applied_and_close_ends_the_rest() {
        let c = Arc::new(Counter::new());
        let r = AsyncRecorder::new(c.clone(), config(1024, 2, Overflow::Block)).unwrap();
        let w = CancelWatcher::new();
        let mut keys = [0u64; 8];
        // Nothing queued yet: target 0 is reached at once.
        r.watch_applied(0, &w, 7);
        assert_eq!(w.wait_into(&mut keys, Duration::from_secs(5)), 1);
        assert_eq!(keys[0], 7);
        for _ in 0..1000 {
            r.record(1).unwrap();
        }
        let target = r.queued();
        r.watch_applied(target, &w, 8);
        // An unreachable target: reported only by the close.
        r.watch_applied(target + 1, &w, 9);
        assert_eq!(w.wait_into(&mut keys, Duration::from_secs(30)), 1);
        assert_eq!(keys[0], 8);
        assert!(r.applied() >= target);
        assert_eq!(c.get(), 1000);
        assert_eq!(w.wait_into(&mut keys, Duration::from_millis(20)), 0);
        r.close();
        assert_eq!(w.wait_into(&mut keys, Duration::from_secs(5)), 1);
        assert_eq!(keys[0], 9);
        // After the close: reported at once, nothing applied beyond what was queued.
        r.watch_applied(target + 1, &w, 10);
        assert_eq!(w.wait_into(&mut keys, Duration::from_secs(5)), 1);
        assert_eq!((keys[0], r.applied()), (10, 1000));
        assert_eq!(r.shared.flushers.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn watches_from_many_threads_are_each_reported_exactly_once() {
        let c = Arc::new(Counter::new());
        let r = Arc::new(AsyncRecorder::new(c, config(64, 2, Overflow::Block)).unwrap());
        let w = CancelWatcher::new();
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let (r, w) = (r.clone(), w.clone());
                std::thread::spawn(move || {
                    for i in 0..250u64 {
                        r.record(1).unwrap();
                        r.watch_applied(r.queued(), &w, t * 1000 + i);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut seen = std::collections::HashSet::new();
        let mut keys = [0u64; 64];
        while seen.len() < 1000 {
            let n = w.wait_into(&mut keys, Duration::from_secs(30));
            assert!(n > 0, "a watch was never reported ({} of 1000)", seen.len());
            for k in &keys[..n] {
                assert!(seen.insert(*k), "key {k} reported twice");
            }
        }
        r.close();
        assert_eq!(w.wait_into(&mut keys, Duration::from_millis(20)), 0);
    }
}
