//! Which stripe of a striped metric the current thread writes.
//!
//! Threads take indices round-robin on first use, so that up to `stripes` threads each own a cache
//! line and never contend; more threads than stripes share lines but stay correct.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

std::thread_local! {
    // `const` initialisation keeps the hot path to one TLS load: no lazy-init check or destructor.
    static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The calling thread's stripe index (unbounded; callers mask it with their stripe count).
#[inline]
pub(crate) fn thread_index() -> usize {
    INDEX.with(|i| {
        let v = i.get();
        if v != usize::MAX {
            return v;
        }
        let v = NEXT.fetch_add(1, Ordering::Relaxed) & (usize::MAX >> 1);
        i.set(v);
        v
    })
}
