//! Which process a primitive was made in. A child created by `fork()` inherits its parent's memory
//! but none of its threads, so a primitive that owns threads (an [`AsyncRecorder`]) must notice
//! that it now lives in a child: a `pthread_atfork` handler counts forks, and such a primitive
//! compares the count it was created under with the current one (one relaxed load).
//!
//! [`AsyncRecorder`]: crate::AsyncRecorder

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static FORKS: AtomicU64 = AtomicU64::new(0);

#[cfg(unix)]
extern "C" fn count_fork_in_child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// The number of `fork()`s between the process's start and now, as seen from this process (each
/// child starts from its parent's count plus one). Registers the counting handler on first use,
/// so call it when a thread-owning primitive is created.
pub(crate) fn generation() -> u64 {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        #[cfg(unix)]
        // SAFETY: registers a handler that only increments a static atomic, which is
        // async-signal-safe as a child-after-fork handler must be.
        unsafe {
            libc::pthread_atfork(None, None, Some(count_fork_in_child));
        }
    });
    FORKS.load(Ordering::Relaxed)
}
