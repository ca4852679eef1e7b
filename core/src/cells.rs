//! Where a metric's atomic cells live: in an allocation of the metric's own, or in memory that
//! something else owns and keeps in place (a shared-memory segment of a
//! [`SharedRegistry`](crate::SharedRegistry)). The metric reads and writes them the same way in
//! both cases, so a `Counter` over shared cells is the same type, with the same methods and the
//! same cell layout, as one over its own.

use std::any::Any;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::Arc;

use crate::sync::AtomicU64;

/// What keeps external cells in place: dropping the last clone may unmap them.
pub(crate) type Keeper = Arc<dyn Any + Send + Sync>;

/// A fixed array of cells (atomics), owned or external. Dereferences to the slice.
pub(crate) struct CellBlock<T> {
    ptr: NonNull<T>,
    len: usize,
    /// `None`: the cells are a `Box<[T]>` that this block owns and frees.
    keeper: Option<Keeper>,
}

// SAFETY: the cells are only ever accessed through shared references, and `T` (an atomic) is
// `Sync`; the block either owns them or holds the keeper that keeps them in place, so moving the
// block to another thread moves nothing that thread could not already reach through `&T`.
unsafe impl<T: Send + Sync> Send for CellBlock<T> {}
// SAFETY: as for `Send`: the block hands out only `&[T]`, and `T` is `Sync`.
unsafe impl<T: Send + Sync> Sync for CellBlock<T> {}

impl<T> CellBlock<T> {
    /// Cells in an allocation of their own.
    pub(crate) fn new(cells: Box<[T]>) -> Self {
        let len = cells.len();
        CellBlock {
            ptr: NonNull::from(Box::leak(cells)).cast::<T>(),
            len,
            keeper: None,
        }
    }

    /// `len` cells at `ptr`, which `keeper` keeps in place.
    ///
    /// # Safety
    /// `ptr` points to `len` initialised, aligned `T`s that stay valid and in place for as long
    /// as `keeper` (or any clone of it) lives, and that nothing ever accesses except through
    /// shared references (atomic operations).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) unsafe fn external(ptr: NonNull<T>, len: usize, keeper: Keeper) -> Self {
        CellBlock {
            ptr,
            len,
            keeper: Some(keeper),
        }
    }
}

impl<T> Deref for CellBlock<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` and `len` describe a live allocation of initialised `T`s: the one this
        // block owns (from `new`) or the one its keeper keeps in place (the contract of
        // `external`); both outlive `&self`, and the cells are only shared, never borrowed
        // mutably.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> Drop for CellBlock<T> {
    fn drop(&mut self) {
        if self.keeper.is_none() {
            let cells = std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len);
            // SAFETY: without a keeper the cells are the `Box<[T]>` leaked by `new`, with this
            // length; this block is its only owner and drops it once.
            drop(unsafe { Box::from_raw(cells) });
        }
    }
}

/// A gauge cell that lives elsewhere and may depend on the calling process: a shared gauge whose
/// value is kept per process answers, in a forked child, with the child's own cell.
pub(crate) trait ExternalCell: Send + Sync {
    /// The cell the calling process reads and writes.
    fn cell(&self) -> &AtomicU64;
}
