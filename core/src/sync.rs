//! Atomics used by the primitives: std's in normal builds, loom's under `--cfg loom` so that the
//! loom models in `tests/loom.rs` explore every interleaving of the real code.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicI64, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Gives the other threads a chance while waiting for one to finish a short step (loom must be
/// told, or it would explore the spin forever).
pub(crate) fn spin_wait() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::thread::yield_now();
}
