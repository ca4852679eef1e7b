//! Buckets outside the dense array: negative values, and positive ones outside the dense range.
//! A chain of open-addressing tables of (key, count) cells, each twice the size of the one
//! before, allocated on first use and never moved or freed before the histogram: a bucket's
//! slot is claimed once by compare-and-swap of its key, then only its count changes. Adding
//! never waits and never loses a value; memory grows with the number of distinct buckets used,
//! as client_golang's sparse buckets do.

use crate::sync::{AtomicPtr, AtomicU64, Ordering};

/// Slots of the first table.
const FIRST: usize = 64;
/// Slots probed in one table before moving to the next.
const PROBES: usize = 8;

/// The slot key of a bucket: never 0 (an empty slot).
fn code(k: i32, negative: bool) -> u64 {
    (1 << 33) | (u64::from(negative) << 32) | u64::from(k as u32)
}

fn decode(c: u64) -> (i32, bool) {
    (c as u32 as i32, c & (1 << 32) != 0)
}

struct Table {
    keys: Box<[AtomicU64]>,
    counts: Box<[AtomicU64]>,
    next: AtomicPtr<Table>,
}

impl Table {
    fn new(len: usize) -> Table {
        Table {
            keys: (0..len).map(|_| AtomicU64::new(0)).collect(),
            counts: (0..len).map(|_| AtomicU64::new(0)).collect(),
            next: AtomicPtr::new(std::ptr::null_mut()),
        }
    }
}

/// The spill tables of one histogram.
pub(super) struct Spill {
    head: AtomicPtr<Table>,
}

// SAFETY: the tables are reached only through shared references to atomics, and are freed only
// by `drop`, which has the spill exclusively.
unsafe impl Send for Spill {}
// SAFETY: as for `Send`.
unsafe impl Sync for Spill {}

impl Spill {
    pub(super) fn new() -> Spill {
        Spill {
            head: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The table `link` points to, allocating one of `len` slots if there is none yet.
    fn table(link: &AtomicPtr<Table>, len: usize) -> &Table {
        let mut t = link.load(Ordering::Acquire);
        if t.is_null() {
            let fresh = Box::into_raw(Box::new(Table::new(len)));
            match link.compare_exchange(
                std::ptr::null_mut(),
                fresh,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => t = fresh,
                Err(won) => {
                    // SAFETY: `fresh` came from Box::into_raw just above and was never shared.
                    drop(unsafe { Box::from_raw(fresh) });
                    t = won;
                }
            }
        }
        // SAFETY: a non-null link points to a table that lives until the spill is dropped, and
        // the spill outlives the returned reference (the link is inside it).
        unsafe { &*t }
    }

    fn tables(&self) -> impl Iterator<Item = &Table> {
        let mut link = &self.head;
        std::iter::from_fn(move || {
            let t = link.load(Ordering::Acquire);
            if t.is_null() {
                return None;
            }
            // SAFETY: as in `table`.
            let t = unsafe { &*t };
            link = &t.next;
            Some(t)
        })
    }

    /// Adds one to bucket `k` (of the negative values if `negative`).
    #[cold]
    pub(super) fn add(&self, k: i32, negative: bool) {
        self.add_n(k, negative, 1);
    }

    /// Adds `n` to bucket `k`.
    pub(super) fn add_n(&self, k: i32, negative: bool, n: u64) {
        if n == 0 {
            return;
        }
        let c = code(k, negative);
        let mut link = &self.head;
        let mut len = FIRST;
        loop {
            let t = Self::table(link, len);
            let mask = len - 1;
            // Fibonacci hashing of the key: neighbouring buckets spread over the table.
            let start = (c.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize;
            for p in 0..PROBES {
                let i = (start + p) & mask;
                let mut now = t.keys[i].load(Ordering::Acquire);
                if now == 0 {
                    now =
                        match t.keys[i].compare_exchange(0, c, Ordering::AcqRel, Ordering::Acquire)
                        {
                            Ok(_) => c,
                            Err(other) => other,
                        };
                }
                if now == c {
                    t.counts[i].fetch_add(n, Ordering::Release);
                    return;
                }
            }
            link = &t.next;
            len *= 2;
        }
    }

    /// Every claimed slot: (key, negative, count).
    pub(super) fn entries(&self) -> impl Iterator<Item = (i32, bool, u64)> + '_ {
        self.tables().flat_map(|t| {
            t.keys.iter().zip(t.counts.iter()).filter_map(|(k, n)| {
                let k = k.load(Ordering::Acquire);
                (k != 0).then(|| {
                    let (key, neg) = decode(k);
                    (key, neg, n.load(Ordering::Acquire))
                })
            })
        })
    }

    /// Sets every count to zero (slots stay claimed).
    pub(super) fn reset(&self) {
        for t in self.tables() {
            for n in t.counts.iter() {
                n.store(0, Ordering::Relaxed);
            }
        }
    }

    pub(super) fn memory_bytes(&self) -> usize {
        self.tables()
            .map(|t| std::mem::size_of::<Table>() + t.keys.len() * 16)
            .sum()
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        let mut t = self.head.load(Ordering::Acquire);
        while !t.is_null() {
            // SAFETY: every table came from Box::into_raw in `table`, is linked once, and
            // nothing else can reach it now that the spill is being dropped.
            let table = unsafe { Box::from_raw(t) };
            t = table.next.load(Ordering::Acquire);
        }
    }
}
