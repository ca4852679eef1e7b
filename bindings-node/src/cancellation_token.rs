//! `CancellationToken`: the native half of the class in `lib/state.js`. `wait` returns a Promise
//! that the watcher of `waits.rs` settles (no thread blocks on it): the token reports the wait's
//! key to the watcher when it is cancelled, by whichever thread cancels it. `watchSignal` is the
//! same wait for the token's AbortSignal, without a deadline and without keeping the event loop
//! alive.

use std::time::Duration;

use atomicperf::{CancelWatcher, CancellationToken};

use crate::callback::{self, callbacks, export, Export, Value};
use crate::convert;
use crate::error::Fail;
use crate::handle;
use crate::waits;

/// Resolves true once the token is cancelled (the token reports it), false on timeout.
struct TokenWait {
    token: CancellationToken,
}

impl waits::Wait for TokenWait {
    fn poll(&mut self) -> Option<waits::Settle> {
        self.token.is_cancelled().then(|| waits::boolean(true))
    }
    fn watch(&mut self, watcher: &CancelWatcher, key: u64) {
        self.token.watch(watcher, key);
    }
    fn unwatch(&mut self, watcher: &CancelWatcher, key: u64) {
        self.token.unwatch(watcher, key);
    }
    fn timed_out(&mut self) -> waits::Settle {
        waits::boolean(false)
    }
}

/// Longest wait: one year (an `Instant` plus `Duration::MAX` would overflow).
const MAX_WAIT_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;

callbacks! {
    fn cancellation_new(env, _info) {
        handle::new(env, CancellationToken::new())
    }

    fn cancellation_cancel(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        // The token reports the cancel to the watcher itself (for every wait on it or on a
        // descendant).
        handle::get::<CancellationToken>(env, h)?.cancel();
        Ok(Value::UNDEFINED)
    }

    fn cancellation_is_cancelled(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::boolean(env, handle::get::<CancellationToken>(env, h)?.is_cancelled())
    }

    /// `cancellationChild(h)`: the handle of a new child token.
    fn cancellation_child(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let child = handle::get::<CancellationToken>(env, h)?.child();
        handle::new(env, child)
    }

    /// `cancellationWait(h, timeoutMs: number): Promise<boolean>`: true once cancelled, false
    /// when the timeout (capped at one year) passed first.
    fn cancellation_wait(env, info) {
        let [h, t] = callback::args::<2>(env, info)?;
        let token = handle::get::<CancellationToken>(env, h)?.clone();
        let ms = convert::to_f64(env, t, "timeoutMs")?;
        if ms.is_nan() || ms < 0.0 {
            return Err(Fail::range(format!("timeoutMs must be a number of milliseconds >= 0, got {ms}")));
        }
        let timeout = Duration::from_nanos((ms.min(MAX_WAIT_MS) * 1e6) as u64);
        waits::promise(env, TokenWait { token }, Some(timeout))
    }

    /// `cancellationWatchSignal(h): [Promise<boolean>, key: number | null]`: the wait behind a
    /// token's AbortSignal. Resolves true once the token is cancelled, from any thread; has no
    /// deadline and does not keep the event loop alive. `key` (null when it settled at once) is
    /// for `cancellationUnwatchSignal`.
    fn cancellation_watch_signal(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let token = handle::get::<CancellationToken>(env, h)?.clone();
        let (promise, key) = waits::background(env, TokenWait { token })?;
        let out = convert::array(env, 2)?;
        convert::set_element(env, out, 0, promise)?;
        let key = match key {
            Some(k) => convert::from_f64(env, k as f64)?,
            None => convert::null(env)?,
        };
        convert::set_element(env, out, 1, key)?;
        Ok(out)
    }

    /// `cancellationUnwatchSignal(h, key)`: withdraws that wait (its AbortSignal was garbage
    /// collected); it resolves false. Does nothing once it has settled.
    fn cancellation_unwatch_signal(env, info) {
        let [h, key] = callback::args::<2>(env, info)?;
        handle::get::<CancellationToken>(env, h)?;
        waits::withdraw(convert::to_u64(env, key, "key")?);
        Ok(Value::UNDEFINED)
    }

    /// `cancellationCancelOnThread(h, delayMs)`: cancels the token after `delayMs` on a thread of
    /// its own, which is no JS thread and makes no binding call, as a cancel made by native code
    /// would be. For the tests (the waits of every thread must see such a cancel).
    fn cancellation_cancel_on_thread(env, info) {
        let [h, d] = callback::args::<2>(env, info)?;
        let token = handle::get::<CancellationToken>(env, h)?.clone();
        let ms = convert::to_f64(env, d, "delayMs")?;
        if ms.is_nan() || ms < 0.0 {
            return Err(Fail::range(format!("delayMs must be a number of milliseconds >= 0, got {ms}")));
        }
        let delay = Duration::from_nanos((ms.min(MAX_WAIT_MS) * 1e6) as u64);
        std::thread::Builder::new()
            .name("atomicperf-cancel".into())
            .spawn(move || {
                std::thread::sleep(delay);
                token.cancel();
            })
            .map_err(|e| Fail::internal(format!("could not start a thread: {e}")))?;
        Ok(Value::UNDEFINED)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("cancellationNew", cancellation_new),
    export!("cancellationCancel", cancellation_cancel),
    export!("cancellationIsCancelled", cancellation_is_cancelled),
    export!("cancellationChild", cancellation_child),
    export!("cancellationWait", cancellation_wait),
    export!("cancellationWatchSignal", cancellation_watch_signal),
    export!("cancellationUnwatchSignal", cancellation_unwatch_signal),
    export!("cancellationCancelOnThread", cancellation_cancel_on_thread),
];
