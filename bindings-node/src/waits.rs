//! Promises of waits (`CancellationToken.wait`, `OnceMap.getOrInit` behind another initialiser,
//! `AsyncRecorder` flush and block-mode `recordAsync`) that no thread blocks on for their
//! duration: neither the JS thread nor a libuv pool thread. A wait that held a pool thread kept
//! `process.exit()` and `worker.terminate()` waiting until it ended (libuv joins its pool at exit,
//! and a worker's teardown waits for its queued work), and four of them starved `fs`.
//!
//! One watcher thread per process owns every pending wait. It checks each without blocking
//! ([`Wait::poll`]) whenever something may have ended one: binding calls that can end a wait
//! (a cancel, a OnceMap completion, abandonment or delete) [`kick`] it; a wait's deadline wakes
//! it; and waits whose progress comes from core's own threads (an AsyncRecorder's workers, which
//! tell no one) are polled on a timer that backs off from 50 µs to 5 ms. A settled wait goes back
//! to its JS thread through that thread's thread-safe function, which resolves the Promise there.
//!
//! The thread-safe function of an environment (one per Node thread) is referenced while waits of
//! that thread are pending, like a timer: the event loop stays alive for a pending wait, but
//! nothing blocks `process.exit()` or `worker.terminate()` (a uv_async handle is closed at
//! teardown, not waited for). When a worker is torn down, its thread-safe function is finalized:
//! from then on its waits are dropped unsettled (their environment is gone) and nothing calls
//! into it again.
//!
//! `AsyncRecorder.close()` and `bench.run()` must call core functions that block (joining worker
//! threads, running the benchmark); [`spawn`] runs them on a thread of their own and settles their
//! Promise the same way.

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Once, OnceLock};
use std::time::{Duration, Instant};

use napi::sys;

use crate::callback::{Env, Value};
use crate::convert;
use crate::error::{check, Fail, Result};

/// Builds, on the JS thread, the value a Promise resolves with, or the error it rejects with.
pub(crate) type Settle = Box<dyn for<'s> FnOnce(Env<'s>) -> Result<Value<'s>> + Send>;

/// A pending wait, owned by the watcher.
pub(crate) trait Wait: Send + 'static {
    /// Checks without blocking: the outcome once the wait is over, else `None`.
    fn poll(&mut self) -> Option<Settle>;
    /// The outcome when the deadline passes first.
    fn timed_out(&mut self) -> Settle;
    /// Whether the wait can end without a [`kick`] (progress made by core's threads), so that the
    /// watcher must poll it on a timer.
    fn polled(&self) -> bool {
        false
    }
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

const FIRST_POLL: Duration = Duration::from_micros(50);
const LONGEST_POLL: Duration = Duration::from_millis(5);

// ---- Delivery: one thread-safe function per environment -------------------------------------

struct Tsfn(sys::napi_threadsafe_function);
// SAFETY: napi_call_threadsafe_function may be called from any thread; `Sink` guards the pointer's
// lifetime (it is cleared when Node finalizes the function).
unsafe impl Send for Tsfn {}

/// A Promise's deferred, made by [`new_promise`] with one environment and settled only with that
/// one: right away (in [`promise`] or [`spawn`]), or in [`call_js`] of the thread-safe function
/// of the environment's own [`Sink`], the only way a [`Completion`] travels back.
struct Deferred(sys::napi_deferred);
// SAFETY: a deferred is only used on its environment's JS thread (settled there, see above, or
// dropped unused, which touches nothing); other threads merely move it.
unsafe impl Send for Deferred {}

struct Completion {
    deferred: Deferred,
    settle: Settle,
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
    static ON_WATCHER: Cell<bool> = const { Cell::new(false) };
}

/// This environment's sink, creating its thread-safe function on first use; counts one more
/// pending Promise (referencing the function if it is the first).
fn begin(env: Env<'_>) -> Result<Arc<Sink>> {
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
    kick();
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
    let _ = catch_unwind(AssertUnwindSafe(|| {
        settle(env, c.deferred, c.settle);
        end(env);
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

struct Entry {
    wait: Box<dyn Wait>,
    deadline: Option<Instant>,
    next_poll: Instant,
    backoff: Duration,
    sink: Arc<Sink>,
    deferred: Deferred,
}

struct Watcher {
    entries: Mutex<Vec<Entry>>,
    wake: Condvar,
}

static WATCHER: OnceLock<Watcher> = OnceLock::new();
static STARTED: Once = Once::new();
/// Waits the watcher owns: a kick with none pending costs one atomic load.
static PENDING: AtomicUsize = AtomicUsize::new(0);
/// Bumped by every kick: the watcher re-checks its waits instead of sleeping when it changed.
static KICKS: AtomicU64 = AtomicU64::new(0);

fn watcher() -> &'static Watcher {
    let w = WATCHER.get_or_init(|| Watcher {
        entries: Mutex::new(Vec::new()),
        wake: Condvar::new(),
    });
    STARTED.call_once(|| {
        std::thread::Builder::new()
            .name("atomicperf-waits".into())
            .spawn(move || watch(w))
            .expect("atomicperf: could not start the thread that settles waits");
    });
    w
}

/// Tells the watcher that a pending wait may have ended (a token was cancelled, a OnceMap key
/// completed, abandoned or deleted). Free when no wait is pending.
pub(crate) fn kick() {
    KICKS.fetch_add(1, Ordering::SeqCst);
    if PENDING.load(Ordering::SeqCst) == 0 || ON_WATCHER.try_with(Cell::get).unwrap_or(false) {
        // The watcher itself checks KICKS before it sleeps.
        return;
    }
    if let Some(w) = WATCHER.get() {
        // Taken so that the notification cannot fall between the watcher's check and its sleep.
        drop(lock(&w.entries));
        w.wake.notify_one();
    }
}

fn watch(w: &'static Watcher) {
    ON_WATCHER.with(|f| f.set(true));
    let mut entries = lock(&w.entries);
    loop {
        let seen = KICKS.load(Ordering::SeqCst);
        let now = Instant::now();
        let mut done = Vec::new();
        let mut forgotten = Vec::new();
        let mut next: Option<Instant> = None;
        let mut i = 0;
        while i < entries.len() {
            let e = &mut entries[i];
            let outcome = if e.sink.is_closed() {
                None
            } else if let Some(s) = e.wait.poll() {
                Some(s)
            } else if e.deadline.is_some_and(|d| d <= now) {
                Some(e.wait.timed_out())
            } else {
                if e.wait.polled() {
                    if e.next_poll <= now {
                        e.backoff = (e.backoff * 2).min(LONGEST_POLL);
                        e.next_poll = now + e.backoff;
                    }
                    next = Some(next.map_or(e.next_poll, |n| n.min(e.next_poll)));
                }
                if let Some(d) = e.deadline {
                    next = Some(next.map_or(d, |n| n.min(d)));
                }
                i += 1;
                continue;
            };
            let e = entries.swap_remove(i);
            PENDING.fetch_sub(1, Ordering::SeqCst);
            match outcome {
                Some(settle) => done.push((
                    e.sink,
                    Completion {
                        deferred: e.deferred,
                        settle,
                    },
                )),
                None => forgotten.push(e),
            }
        }
        if !done.is_empty() || !forgotten.is_empty() {
            drop(entries);
            for (sink, c) in done {
                sink.deliver(c);
            }
            drop(forgotten);
            entries = lock(&w.entries);
        }
        if KICKS.load(Ordering::SeqCst) != seen {
            continue;
        }
        entries = match next {
            Some(t) => {
                w.wake
                    .wait_timeout(entries, t.saturating_duration_since(Instant::now()))
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
            None => w.wake.wait(entries).unwrap_or_else(|e| e.into_inner()),
        };
    }
}

/// The Promise of `wait`, settled with its outcome or, when `timeout` passes first (`None`: no
/// deadline), with `timed_out()`. Checked once at once: a wait that is already over settles
/// without the watcher.
pub(crate) fn promise<'s>(
    env: Env<'s>,
    mut wait: impl Wait,
    timeout: Option<Duration>,
) -> Result<Value<'s>> {
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
        return Ok(promise);
    }
    let sink = match begin(env) {
        Ok(s) => s,
        Err(fail) => {
            settle(env, deferred, reject(fail));
            return Ok(promise);
        }
    };
    let w = watcher();
    {
        let mut entries = lock(&w.entries);
        entries.push(Entry {
            wait: Box::new(wait),
            deadline,
            next_poll: now + FIRST_POLL,
            backoff: FIRST_POLL,
            sink,
            deferred,
        });
        PENDING.fetch_add(1, Ordering::SeqCst);
        KICKS.fetch_add(1, Ordering::SeqCst);
    }
    w.wake.notify_one();
    Ok(promise)
}

/// The Promise of `work`, which may block: it runs on a thread of its own (not the libuv pool),
/// and its outcome settles the Promise on this JS thread.
pub(crate) fn spawn<'s>(
    env: Env<'s>,
    name: &str,
    work: impl FnOnce() -> Settle + Send + 'static,
) -> Result<Value<'s>> {
    let (deferred, promise) = new_promise(env)?;
    let sink = match begin(env) {
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
                sink.deliver(Completion { deferred, settle });
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
