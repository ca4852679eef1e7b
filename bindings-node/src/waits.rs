//! Promises of waits (`CancellationToken.wait` and its AbortSignal, `OnceMap.getOrInit` behind
//! another initialiser, `AsyncRecorder` flush and block-mode `recordAsync`) that no thread blocks
//! on for their duration: neither the JS thread nor a libuv pool thread. A wait that held a pool
//! thread kept `process.exit()` and `worker.terminate()` waiting until it ended (libuv joins its
//! pool at exit, and a worker's teardown waits for its queued work), and four of them starved
//! `fs`.
//!
//! One watcher thread per process owns every pending wait. It blocks in one core call,
//! `CancelWatcher::wait_into`, until a key is reported or the nearest deadline passes, and polls
//! nothing on a timer. Each pending wait has a key of its own (never reused), registered with
//! the source whose event can end it ([`Wait::watch`]):
//! - a token's cancel (`CancellationToken::watch`): reported by whichever thread cancels, a JS
//!   thread, a core thread or native code;
//! - an AsyncRecorder's progress (`AsyncRecorder::watch_applied`): reported by the recorder's
//!   worker threads once the events are applied, or when it is closed;
//! - a OnceMap key completed, abandoned or deleted: the core's OnceMap tells no watcher, so the
//!   binding calls that do it (every one in the process goes through them) report the keys of
//!   the claims waiting on that map with `CancelWatcher::notify`.
//!
//! The binding reports two keys of its own: [`WAKE`] when a new wait's deadline is earlier than
//! the one the watcher sleeps until, [`SWEEP`] when an environment went away. A reported key makes
//! the watcher check its wait without blocking ([`Wait::woken`]); a wait that is not over yet (a
//! full queue that another thread filled again, a OnceMap key another claim took over) registers
//! again. A wait registers, and is checked once more, on its JS thread and under the lock of the
//! watcher's table: the watcher reads reported keys under that lock, so a key is never reported
//! before the table holds its wait, and an event that came before the registration is seen by
//! the check. A settled wait goes back to its JS thread through that thread's thread-safe
//! function, which resolves the Promise there.
//!
//! The thread-safe function of an environment (one per Node thread) is referenced while waits of
//! that thread are pending, like a timer: the event loop stays alive for a pending wait, but
//! nothing blocks `process.exit()` or `worker.terminate()` (a uv_async handle is closed at
//! teardown, not waited for). A wait made by [`background`] (a token's AbortSignal) does not
//! count: it never keeps the event loop alive. When a worker is torn down, its thread-safe
//! function is finalized: from then on its waits are dropped unsettled (their environment is
//! gone) and nothing calls into it again.
//!
//! `AsyncRecorder.close()` and `bench.run()` must call core functions that block (joining worker
//! threads, running the benchmark); [`spawn`] runs them on a thread of their own and settles their
//! Promise the same way.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use atomicperf::CancelWatcher;
use napi::sys;

use crate::callback::{callbacks, export, Env, Export, Value};
use crate::convert;
use crate::error::{check, Fail, Result};

/// Builds, on the JS thread, the value a Promise resolves with, or the error it rejects with.
pub(crate) type Settle = Box<dyn for<'s> FnOnce(Env<'s>) -> Result<Value<'s>> + Send>;

/// A pending wait, owned by the watcher.
pub(crate) trait Wait: Send + 'static {
    /// Checks without blocking: the outcome once the wait is over, else `None`.
    fn poll(&mut self) -> Option<Settle>;
    /// Asks the source whose event can end the wait to report `key` to `watcher` (at once if the
    /// event has already happened). Called under the lock of the watcher's table: it must not
    /// block, nor call back into this module.
    fn watch(&mut self, watcher: &CancelWatcher, key: u64);
    /// Withdraws the registration of `key` when the wait ends otherwise (its deadline, or its
    /// environment went away), where the source allows it. A report that comes anyway finds no
    /// wait and is ignored. Under the same lock, with the same rules.
    fn unwatch(&mut self, _watcher: &CancelWatcher, _key: u64) {}
    /// The outcome once `key` was reported, or `None` when the wait goes on (it then registers
    /// again, under the same key: its earlier registration was used up by the report).
    fn woken(&mut self) -> Option<Settle> {
        self.poll()
    }
    /// The outcome when the deadline passes first, or the wait is withdrawn ([`withdraw`]).
    fn timed_out(&mut self) -> Settle;
}

/// A Promise's outcome that is a boolean.
pub(crate) fn boolean(b: bool) -> Settle {
    Box::new(move |env| convert::boolean(env, b))
}

/// A Promise's outcome that is a number.
pub(crate) fn number(x: f64) -> Settle {
    Box::new(move |env| convert::from_f64(env, x))
}

/// A Promise rejected with `fail`.
pub(crate) fn reject(fail: Fail) -> Settle {
    Box::new(move |_env| Err(fail))
}

// ---- Delivery: one thread-safe function per environment -------------------------------------

struct Tsfn(sys::napi_threadsafe_function);
// SAFETY: napi_call_threadsafe_function may be called from any thread; `Sink` guards the pointer's
// lifetime (it is cleared when Node finalizes the function).
unsafe impl Send for Tsfn {}

/// A Promise's deferred, made by [`new_promise`] with one environment and settled only with that
/// one: right away (in [`start`] or [`spawn`]), or in [`call_js`] of the thread-safe function
/// of the environment's own [`Sink`], the only way a [`Completion`] travels back.
struct Deferred(sys::napi_deferred);
// SAFETY: a deferred is only used on its environment's JS thread (settled there, see above, or
// dropped unused, which touches nothing); other threads merely move it.
unsafe impl Send for Deferred {}

struct Completion {
    deferred: Deferred,
    settle: Settle,
    /// Counted in its environment's pending Promises (see [`begin`]).
    keep_alive: bool,
}

/// The way back to one environment's JS thread. `tsfn` is `None` once Node finalized the
/// thread-safe function (the environment is being torn down): it is then never called again.
struct Sink {
    tsfn: Mutex<Option<Tsfn>>,
    closed: AtomicBool,
}

impl Sink {
    fn deliver(&self, c: Completion) {
        let left = {
            let tsfn = lock(&self.tsfn);
            match &*tsfn {
                Some(t) => {
                    let data = Box::into_raw(Box::new(c));
                    // Nonblocking, and the queue is unbounded: this never waits for the JS thread.
                    // SAFETY: the function is not finalized (it would have been taken out of
                    // `tsfn`, whose lock is held); N-API allows this call from any thread and
                    // hands `data` to `call_js`, which frees it.
                    let status = unsafe {
                        sys::napi_call_threadsafe_function(
                            t.0,
                            data.cast(),
                            sys::ThreadsafeFunctionCallMode::nonblocking,
                        )
                    };
                    if status == sys::Status::napi_ok {
                        None
                    } else {
                        // Closing: the environment is going away, and the Promise with it.
                        // SAFETY: refused, so `call_js` never sees `data`: it is still ours.
                        Some(unsafe { Box::from_raw(data) })
                    }
                }
                None => Some(Box::new(c)),
            }
        };
        // Dropped outside the lock: an unsettled OnceMap ticket abandons its key when dropped.
        drop(left);
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// This thread's environments with a thread-safe function (a Node thread has one environment).
struct EnvWaits {
    env: usize,
    sink: Arc<Sink>,
    tsfn: sys::napi_threadsafe_function,
    /// Promises of this environment not yet settled (the function is referenced while any are).
    pending: usize,
}

thread_local! {
    static ENVS: RefCell<Vec<EnvWaits>> = const { RefCell::new(Vec::new()) };
}

/// This environment's sink, creating its thread-safe function on first use; with `keep_alive`,
/// counts one more pending Promise (referencing the function if it is the first).
fn begin(env: Env<'_>, keep_alive: bool) -> Result<Arc<Sink>> {
    let key = env.raw() as usize;
    let found = ENVS.with(|e| {
        e.borrow()
            .iter()
            .find(|w| w.env == key)
            .map(|w| (Arc::clone(&w.sink), w.tsfn))
    });
    let (sink, tsfn) = match found {
        Some(f) => f,
        None => {
            let sink = Arc::new(Sink {
                tsfn: Mutex::new(None),
                closed: AtomicBool::new(false),
            });
            let name = convert::string(env, "atomicperf wait")?;
            let data = Arc::into_raw(Arc::clone(&sink)).cast_mut().cast::<c_void>();
            let mut tsfn = ptr::null_mut();
            // SAFETY: `env` is live and `name` a string of its scope; no JS function (call_js
            // settles Promises itself), queue unbounded (0), one thread; `data` is an Arc
            // reference that `finalize` releases, once, when Node finalizes the function.
            let status = unsafe {
                sys::napi_create_threadsafe_function(
                    env.raw(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                    name.raw(),
                    0,
                    1,
                    data,
                    Some(finalize),
                    ptr::null_mut(),
                    Some(call_js),
                    &mut tsfn,
                )
            };
            if status != sys::Status::napi_ok {
                // SAFETY: not created, so `finalize` never runs: the reference is still ours.
                drop(unsafe { Arc::from_raw(data.cast::<Sink>().cast_const()) });
                return Err(Fail::internal(format!(
                    "could not create a thread-safe function (status {status})"
                )));
            }
            *lock(&sink.tsfn) = Some(Tsfn(tsfn));
            // SAFETY: on the JS thread of `env` (it is live here), with its function.
            let status = unsafe { sys::napi_unref_threadsafe_function(env.raw(), tsfn) };
            check(status, "unreferencing a thread-safe function")?;
            ENVS.with(|e| {
                e.borrow_mut().push(EnvWaits {
                    env: key,
                    sink: Arc::clone(&sink),
                    tsfn,
                    pending: 0,
                })
            });
            (sink, tsfn)
        }
    };
    if !keep_alive {
        return Ok(sink);
    }
    let first = ENVS.with(|e| {
        let mut e = e.borrow_mut();
        let w = e.iter_mut().find(|w| w.env == key)?;
        w.pending += 1;
        Some(w.pending == 1)
    });
    if first == Some(true) {
        // SAFETY: on the JS thread of `env`, with its function, which is not finalized (its
        // entry is still in ENVS: `finalize` removes it).
        let status = unsafe { sys::napi_ref_threadsafe_function(env.raw(), tsfn) };
        check(status, "referencing a thread-safe function")?;
    }
    Ok(sink)
}

/// One pending Promise of this environment settled: unreference the function after the last.
fn end(env: Env<'_>) {
    let key = env.raw() as usize;
    let last = ENVS.with(|e| {
        let mut e = e.borrow_mut();
        let w = e.iter_mut().find(|w| w.env == key)?;
        w.pending = w.pending.saturating_sub(1);
        (w.pending == 0).then_some(w.tsfn)
    });
    if let Some(tsfn) = last {
        // SAFETY: on the JS thread of `env`, with its function, not finalized (its entry was
        // found in ENVS).
        unsafe { sys::napi_unref_threadsafe_function(env.raw(), tsfn) };
    }
}

/// Node finalizes the function when the environment is torn down (whatever the thread count):
/// after this, no thread may call it.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the Arc reference `begin` gave the function, and Node finalizes a
    // function once: this releases it once.
    let sink = unsafe { Arc::from_raw(data.cast::<Sink>().cast_const()) };
    // Waits for a delivery in progress on the watcher thread, which holds this lock.
    lock(&sink.tsfn).take();
    sink.closed.store(true, Ordering::Release);
    let _ = ENVS.try_with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            e.retain(|w| !Arc::ptr_eq(&w.sink, &sink));
        }
    });
    // The watcher forgets this environment's waits.
    if let Some(w) = WATCHER.get() {
        w.core.notify(SWEEP);
    }
}

/// On the environment's JS thread (or with a null `env` while Node empties the queue of a
/// finalized function: the Promise is gone, only the data is freed).
unsafe extern "C" fn call_js(
    env: sys::napi_env,
    _js_cb: sys::napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    // SAFETY: `data` is the boxed Completion `Sink::deliver` queued; Node passes each queued
    // item to `call_js` once.
    let c = unsafe { Box::from_raw(data.cast::<Completion>()) };
    if env.is_null() {
        drop(c);
        return;
    }
    // SAFETY: Node calls `call_js` on the JS thread of the function's environment, inside a
    // handle scope of its own, and the `Env` does not outlive this call.
    let env = unsafe { Env::from_raw(env) };
    let Completion {
        deferred,
        settle: outcome,
        keep_alive,
    } = *c;
    let _ = catch_unwind(AssertUnwindSafe(|| {
        settle(env, deferred, outcome);
        if keep_alive {
            end(env);
        }
    }));
}

/// Resolves or rejects `deferred` (of `env`: see [`Deferred`]) with the outcome `settle` builds.
fn settle(env: Env<'_>, deferred: Deferred, settle: Settle) {
    let outcome = settle(env).and_then(|v| {
        if v.raw().is_null() {
            convert::undefined(env)
        } else {
            Ok(v)
        }
    });
    let reason = match outcome {
        Ok(v) => {
            // SAFETY: `deferred` belongs to `env` (see `Deferred`) and is used once, here;
            // `v` is a value of the current scope.
            unsafe { sys::napi_resolve_deferred(env.raw(), deferred.0, v.raw()) };
            return;
        }
        Err(fail) => match fail.into_value(env) {
            Ok(e) => e,
            Err(_) => match convert::undefined(env) {
                Ok(u) => u,
                Err(_) => return,
            },
        },
    };
    // SAFETY: as above, with the rejection reason.
    unsafe { sys::napi_reject_deferred(env.raw(), deferred.0, reason.raw()) };
}

fn new_promise(env: Env<'_>) -> Result<(Deferred, Value<'_>)> {
    let mut deferred = ptr::null_mut();
    // SAFETY: `env` is live; napi_create_promise writes the deferred to `deferred` and the
    // Promise to the out-pointer.
    let promise = unsafe {
        env.make("creating a Promise", |e, out| {
            sys::napi_create_promise(e, &mut deferred, out)
        })
    }?;
    Ok((Deferred(deferred), promise))
}

// ---- The watcher ------------------------------------------------------------------------

/// Reported by the binding: a new wait's deadline is earlier than the one the watcher sleeps
/// until (it computes its timeout again).
const WAKE: u64 = 0;
/// Reported by the binding: an environment went away (the watcher drops its waits).
const SWEEP: u64 = 1;
/// The key of the next wait: keys are never reused, so a late report (of a registration that
/// could not be withdrawn) finds no wait.
static NEXT_KEY: AtomicU64 = AtomicU64::new(2);
/// Returns of the watcher from `wait_into`, for [`wait_stats`].
static WAKEUPS: AtomicU64 = AtomicU64::new(0);

struct Entry {
    wait: Box<dyn Wait>,
    deadline: Option<Instant>,
    sink: Arc<Sink>,
    deferred: Deferred,
    keep_alive: bool,
}

impl Entry {
    fn complete(self, settle: Settle) -> (Arc<Sink>, Completion) {
        (
            self.sink,
            Completion {
                deferred: self.deferred,
                settle,
                keep_alive: self.keep_alive,
            },
        )
    }
}

/// Every pending wait, by key, and their deadlines.
#[derive(Default)]
struct Table {
    entries: HashMap<u64, Entry>,
    deadlines: BTreeSet<(Instant, u64)>,
    /// The watcher is in (or about to enter) `wait_into`, which times out by itself at `wakes_at`
    /// (`None`: only a key ends it). Otherwise it computes its timeout again before it blocks.
    asleep: bool,
    wakes_at: Option<Instant>,
}

impl Table {
    /// Registers `entry` under `key` and checks it once more: an event that came before the
    /// registration is seen here, one after it is reported. Returns the entry with its outcome
    /// when it is already over (then it is in neither the table nor the deadlines).
    fn arm(&mut self, core: &CancelWatcher, key: u64, mut entry: Entry) -> Option<(Entry, Settle)> {
        entry.wait.watch(core, key);
        if let Some(s) = entry.wait.poll() {
            entry.wait.unwatch(core, key);
            self.forget_deadline(key, &entry);
            return Some((entry, s));
        }
        if let Some(d) = entry.deadline {
            self.deadlines.insert((d, key));
        }
        self.entries.insert(key, entry);
        None
    }

    fn forget_deadline(&mut self, key: u64, entry: &Entry) {
        if let Some(d) = entry.deadline {
            self.deadlines.remove(&(d, key));
        }
    }

    /// Takes the wait of `key` out of the table, withdrawing its registration.
    fn take(&mut self, core: &CancelWatcher, key: u64) -> Option<Entry> {
        let mut e = self.entries.remove(&key)?;
        e.wait.unwatch(core, key);
        self.forget_deadline(key, &e);
        Some(e)
    }
}

struct Watcher {
    table: Mutex<Table>,
    core: CancelWatcher,
}

static WATCHER: OnceLock<Watcher> = OnceLock::new();

/// The watcher, starting its thread on first use.
fn watcher() -> &'static Watcher {
    let mut first = false;
    let w = WATCHER.get_or_init(|| {
        first = true;
        Watcher {
            table: Mutex::new(Table::default()),
            core: CancelWatcher::new(),
        }
    });
    if first {
        std::thread::Builder::new()
            .name("atomicperf-waits".into())
            .spawn(move || watch(w))
            .expect("atomicperf: could not start the thread that settles waits");
    }
    w
}

/// Reports `key` to the watcher (a OnceMap claim's key: see the module's documentation). Does
/// nothing before the first wait.
pub(crate) fn notify(key: u64) {
    if let Some(w) = WATCHER.get() {
        w.core.notify(key);
    }
}

fn watch(w: &'static Watcher) {
    let mut keys = vec![0u64; 1024];
    loop {
        let timeout = {
            let mut t = lock(&w.table);
            let next = t.deadlines.first().map(|&(d, _)| d);
            t.asleep = true;
            t.wakes_at = next;
            // Duration::MAX: no deadline (wait_into waits for a key only).
            next.map_or(Duration::MAX, |d| {
                d.saturating_duration_since(Instant::now())
            })
        };
        let n = w.core.wait_into(&mut keys, timeout);
        WAKEUPS.fetch_add(1, Ordering::Relaxed);
        let mut done = Vec::new();
        let mut dropped = Vec::new();
        {
            let mut t = lock(&w.table);
            t.asleep = false;
            let mut sweep = false;
            for &key in &keys[..n] {
                match key {
                    WAKE => continue,
                    SWEEP => {
                        sweep = true;
                        continue;
                    }
                    _ => {}
                }
                // None: settled already, and this is a late report.
                let Some(mut e) = t.entries.remove(&key) else {
                    continue;
                };
                if e.sink.is_closed() {
                    t.forget_deadline(key, &e);
                    dropped.push(e);
                    continue;
                }
                match e.wait.woken() {
                    Some(s) => {
                        t.forget_deadline(key, &e);
                        done.push(e.complete(s));
                    }
                    None => {
                        if let Some((e, s)) = t.arm(&w.core, key, e) {
                            done.push(e.complete(s));
                        }
                    }
                }
            }
            let now = Instant::now();
            while let Some(&(d, key)) = t.deadlines.first() {
                if d > now {
                    break;
                }
                let Some(mut e) = t.take(&w.core, key) else {
                    t.deadlines.remove(&(d, key));
                    continue;
                };
                if e.sink.is_closed() {
                    dropped.push(e);
                } else {
                    let s = e.wait.timed_out();
                    done.push(e.complete(s));
                }
            }
            if sweep {
                let gone: Vec<u64> = t
                    .entries
                    .iter()
                    .filter(|(_, e)| e.sink.is_closed())
                    .map(|(&k, _)| k)
                    .collect();
                for key in gone {
                    dropped.extend(t.take(&w.core, key));
                }
            }
        }
        // Outside the lock: an unsettled OnceMap ticket abandons its key when dropped, which
        // reports the keys of the claims waiting for it.
        for (sink, c) in done {
            sink.deliver(c);
        }
        drop(dropped);
    }
}

/// The Promise of `wait`, settled with its outcome or, when `timeout` passes first (`None`: no
/// deadline), with `timed_out()`. Checked once at once: a wait that is already over settles
/// without the watcher. While it is pending, the event loop stays alive.
pub(crate) fn promise<'s>(
    env: Env<'s>,
    wait: impl Wait,
    timeout: Option<Duration>,
) -> Result<Value<'s>> {
    start(env, Box::new(wait), timeout, true).map(|(p, _)| p)
}

/// As [`promise`], without a deadline, for a wait that does not keep the event loop alive and
/// that [`withdraw`] can end; also returns its key (`None`: it settled at once).
pub(crate) fn background(env: Env<'_>, wait: impl Wait) -> Result<(Value<'_>, Option<u64>)> {
    start(env, Box::new(wait), None, false)
}

fn start(
    env: Env<'_>,
    mut wait: Box<dyn Wait>,
    timeout: Option<Duration>,
    keep_alive: bool,
) -> Result<(Value<'_>, Option<u64>)> {
    let now = Instant::now();
    let deadline = timeout.and_then(|t| now.checked_add(t));
    let (deferred, promise) = new_promise(env)?;
    let early = match wait.poll() {
        Some(s) => Some(s),
        None if deadline.is_some_and(|d| d <= now) => Some(wait.timed_out()),
        None => None,
    };
    if let Some(s) = early {
        settle(env, deferred, s);
        return Ok((promise, None));
    }
    let sink = match begin(env, keep_alive) {
        Ok(s) => s,
        Err(fail) => {
            settle(env, deferred, reject(fail));
            return Ok((promise, None));
        }
    };
    let w = watcher();
    let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
    let entry = Entry {
        wait,
        deadline,
        sink,
        deferred,
        keep_alive,
    };
    let mut wake = false;
    let over = {
        let mut t = lock(&w.table);
        let over = t.arm(&w.core, key, entry);
        if let (None, Some(d)) = (&over, deadline) {
            if t.asleep && !matches!(t.wakes_at, Some(at) if at <= d) {
                // The watcher computes its timeout again; later waits need not wake it first.
                t.wakes_at = Some(d);
                wake = true;
            }
        }
        over
    };
    if wake {
        w.core.notify(WAKE);
    }
    match over {
        Some((e, s)) => {
            settle(env, e.deferred, s);
            if keep_alive {
                end(env);
            }
            Ok((promise, None))
        }
        None => Ok((promise, Some(key))),
    }
}

/// Ends a pending wait of [`background`] with its `timed_out()` outcome, delivered to its JS
/// thread like any other. Does nothing once it has settled (or for the key of another kind of
/// wait).
pub(crate) fn withdraw(key: u64) {
    let Some(w) = WATCHER.get() else {
        return;
    };
    let taken = {
        let mut t = lock(&w.table);
        match t.entries.get(&key) {
            Some(e) if !e.keep_alive => t.take(&w.core, key),
            _ => None,
        }
    };
    if let Some(mut e) = taken {
        if e.sink.is_closed() {
            drop(e);
        } else {
            let s = e.wait.timed_out();
            let (sink, c) = e.complete(s);
            sink.deliver(c);
        }
    }
}

/// The Promise of `work`, which may block: it runs on a thread of its own (not the libuv pool),
/// and its outcome settles the Promise on this JS thread.
pub(crate) fn spawn<'s>(
    env: Env<'s>,
    name: &str,
    work: impl FnOnce() -> Settle + Send + 'static,
) -> Result<Value<'s>> {
    let (deferred, promise) = new_promise(env)?;
    let sink = match begin(env, true) {
        Ok(s) => s,
        Err(fail) => {
            settle(env, deferred, reject(fail));
            return Ok(promise);
        }
    };
    let slot = Arc::new(Mutex::new(Some(deferred)));
    let theirs = Arc::clone(&slot);
    let spawned = std::thread::Builder::new()
        .name(format!("atomicperf-{name}"))
        .spawn(move || {
            let settle = work();
            if let Some(deferred) = lock(&theirs).take() {
                sink.deliver(Completion {
                    deferred,
                    settle,
                    keep_alive: true,
                });
            }
        });
    if let Err(e) = spawned {
        if let Some(deferred) = lock(&slot).take() {
            settle(
                env,
                deferred,
                reject(Fail::internal(format!("could not start a thread: {e}"))),
            );
            end(env);
        }
    }
    Ok(promise)
}

callbacks! {
    /// `waitStats(): { wakeups, pending }`: how many times the watcher thread has returned from
    /// its blocking core call (a reported key or a deadline), and the waits it holds. For tests:
    /// a watcher that polled on a timer would show wake-ups while nothing happens.
    fn wait_stats(env, _info) {
        let pending = WATCHER.get().map_or(0, |w| lock(&w.table).entries.len());
        let out = convert::object(env)?;
        convert::set(env, out, "wakeups\0", convert::from_f64(env, WAKEUPS.load(Ordering::Relaxed) as f64)?)?;
        convert::set(env, out, "pending\0", convert::from_f64(env, pending as f64)?)?;
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[export!("waitStats", wait_stats)];
