//! Which stripe of a striped metric the current thread writes.
//!
//! Threads take indices round-robin on first use, so that up to `stripes` threads each own a cache
//! line and never contend; more threads than stripes share lines but stay correct. A process
//! starts its round at an offset taken from its pid, and a forked child's thread takes a new index
//! on first use: the single-threaded workers of a pre-fork server, which write the same stripes
//! of a [`SharedRegistry`](crate::SharedRegistry)'s counters, then spread over them instead of
//! all writing the first.

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
        let v = assign();
        i.set(v);
        v
    })
}

#[cold]
fn assign() -> usize {
    // The fork handlers call `forget_in_child` in every child.
    crate::fork::register_handlers();
    NEXT.fetch_add(1, Ordering::Relaxed)
        .wrapping_add(std::process::id() as usize)
        & (usize::MAX >> 1)
}

/// In a forked child: the thread that called `fork` takes a new index on first use (the child's
/// other threads are new threads, which take one anyway). Called by the fork handler
/// (`crate::fork`); touches only a `const` thread-local without destructor: no allocation, no
/// lock.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn forget_in_child() {
    INDEX.with(|i| i.set(usize::MAX));
}

#[cfg(all(test, unix, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_forked_child_takes_an_index_of_its_own() {
        let parent = thread_index();
        // SAFETY: the child only reads its thread-local index and leaves with `_exit`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let same = thread_index() == parent;
            // SAFETY: ends the child at once.
            unsafe { libc::_exit(i32::from(same)) };
        }
        let mut status = 0;
        // SAFETY: waits for the child just forked.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        assert_eq!(thread_index(), parent, "the parent keeps its index");
    }
}
