//! The accounts of one [`transfer_many`](super::Ledger::transfer_many) batch.
//!
//! A single [`transfer`](super::Ledger::transfer) finds both accounts in the index and marks a
//! transfer in flight from its source for its own duration (two atomic additions to the
//! source's pending count). A batch keeps the accounts it found in a direct-mapped cache (an
//! entry per transfer of the batch, from 16 to 4,096), and does both once per stay of an account
//! in the cache instead of once per transfer:
//!
//! - **Look-ups.** An id, once found, is the same account for the ledger's whole life (accounts
//!   are never removed from the index; close and reopen change the balance word only), so a
//!   cached account stays right. A miss is looked up in the current index every time, so an
//!   account opened while the batch runs is found by the transfers after it, as one `transfer`
//!   call each would find it.
//! - **In flight.** A source's pending count is raised when it enters the cache as a source
//!   (before its debit) and lowered when it leaves: evicted by another id, or when the batch ends
//!   (also when unwinding). Every transfer of the batch runs whole between two look-ups, so its
//!   source has the count raised from before its debit until after any refund, which is what
//!   [`close`](super::Ledger::close) relies on. An account a batch names many times is found
//!   and raised about once; a batch of accounts named once each costs what single transfers
//!   cost.

use crate::sync::Ordering;
use crate::Error;

use super::{Account, Ledger};

/// Entries of the cache: a power of two from `MIN_SLOTS` to `MAX_SLOTS`, one per transfer (a
/// batch that names accounts more than once, the one a cache helps, names fewer than two each).
const MIN_SLOTS: usize = 16;
const MAX_SLOTS: usize = 4096;

#[derive(Clone, Copy)]
struct Slot<'l> {
    id: u64,
    account: Option<&'l Account>,
    /// Whether this entry raised the account's pending count (lowered when the entry goes).
    held: bool,
}

impl Slot<'_> {
    const EMPTY: Self = Slot {
        id: 0,
        account: None,
        held: false,
    };

    fn release(&mut self) {
        if let (true, Some(account)) = (self.held, self.account) {
            account.state.pending.fetch_sub(1, Ordering::SeqCst);
        }
        self.held = false;
    }
}

/// The accounts a batch found, some of them held in flight (released on drop).
pub(super) struct Batch<'l> {
    ledger: &'l Ledger,
    slots: Box<[Slot<'l>]>,
    /// 64 - log2(slots.len()): the shift that takes an index from a hash.
    shift: u32,
}

impl<'l> Batch<'l> {
    /// A batch of about `transfers` transfers (a hint: any number works).
    pub(super) fn new(ledger: &'l Ledger, transfers: usize) -> Self {
        let len = transfers.clamp(MIN_SLOTS, MAX_SLOTS).next_power_of_two();
        Batch {
            ledger,
            slots: vec![Slot::EMPTY; len].into_boxed_slice(),
            shift: 64 - len.trailing_zeros(),
        }
    }

    fn slot(&self, id: u64) -> usize {
        // Fibonacci hashing: the top bits of id * 2**64 / phi.
        (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The cache entry of `id`, looked up in the index on a miss (and not cached if absent). An
    /// entry it replaces releases its account.
    fn entry(&mut self, id: u64) -> Result<&mut Slot<'l>, Error> {
        let ledger = self.ledger;
        let i = self.slot(id);
        let slot = &mut self.slots[i];
        if slot.account.is_none() || slot.id != id {
            let account = ledger.account(id)?;
            slot.release();
            *slot = Slot {
                id,
                account: Some(account),
                held: false,
            };
        }
        Ok(slot)
    }

    /// Account `id`, to credit.
    pub(super) fn account(&mut self, id: u64) -> Result<&'l Account, Error> {
        Ok(self.entry(id)?.account.expect("an entry holds its account"))
    }

    /// Account `id`, to debit: held in flight while it stays in the cache. Look the destination
    /// up first: this look-up may evict it, never the other way round.
    pub(super) fn source(&mut self, id: u64) -> Result<&'l Account, Error> {
        let slot = self.entry(id)?;
        let account = slot.account.expect("an entry holds its account");
        if !slot.held {
            // As in `transfer`: raised before the debit, so that a close of the account waits
            // for the refund a failed credit may need.
            account.state.pending.fetch_add(1, Ordering::SeqCst);
            slot.held = true;
        }
        Ok(account)
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        for slot in self.slots.iter_mut() {
            slot.release();
        }
    }
}
