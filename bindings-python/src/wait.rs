//! Blocking waits that Ctrl-C interrupts. Python runs signal handlers (KeyboardInterrupt) only
//! when the main thread holds the GIL, so a wait that released the GIL for its whole timeout
//! ignored Ctrl-C for that long. Here a wait is cut into slices: each slice runs detached from
//! the interpreter, and between slices the thread takes the GIL back and checks for signals, as
//! `threading.Event.wait` does.

use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// Longest slice: the most a Ctrl-C waits before it is seen.
const SLICE: Duration = Duration::from_millis(50);

/// Runs `step(slice)` with the GIL released until it returns `Some` (done) or `total` has passed
/// (`Ok(None)`). A pending signal handler that raises (KeyboardInterrupt) ends the wait with its
/// exception.
pub(crate) fn interruptible<T: Send>(
    py: Python<'_>,
    total: Duration,
    mut step: impl FnMut(Duration) -> Option<T> + Send,
) -> PyResult<Option<T>> {
    let deadline = Instant::now().checked_add(total);
    loop {
        let left = deadline.map_or(SLICE, |d| d.saturating_duration_since(Instant::now()));
        let slice = left.min(SLICE);
        if let Some(done) = py.detach(|| step(slice)) {
            return Ok(Some(done));
        }
        py.check_signals()?;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
    }
}
