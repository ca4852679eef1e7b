//! `CancellationToken`: the native half of the class in `lib/state.js`. `wait` returns a Promise
//! that the watcher of `waits.rs` settles (no thread blocks on it); `cancel` kicks the watcher.

use std::time::Duration;

use atomicperf::CancellationToken;

use crate::callback::{self, callbacks, export, Export, Value};
use crate::convert;
use crate::error::Fail;
use crate::handle;
use crate::waits;

/// Every cancel in this process goes through `cancellationCancel` (which kicks the watcher), a
/// parent's included, so the watcher need not poll tokens.
struct TokenWait {
    token: CancellationToken,
}

impl waits::Wait for TokenWait {
    fn poll(&mut self) -> Option<waits::Settle> {
        self.token.is_cancelled().then(|| waits::boolean(true))
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
        handle::get::<CancellationToken>(env, h)?.cancel();
        waits::kick();
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
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("cancellationNew", cancellation_new),
    export!("cancellationCancel", cancellation_cancel),
    export!("cancellationIsCancelled", cancellation_is_cancelled),
    export!("cancellationChild", cancellation_child),
    export!("cancellationWait", cancellation_wait),
];
