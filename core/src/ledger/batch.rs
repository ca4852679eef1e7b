//! The accounts of one [`transfer_many`](super::Ledger::transfer_many) batch.
//!
//! A single [`transfer`](super::Ledger::transfer) finds both accounts in the index and marks a
//! transfer in flight from its source for its own duration (two atomic additions to the
//! source's pending count). A batch does each once per account instead of once per transfer:
//!
//! - **Look-ups.** An id, once found, is the same account for the ledger's whole life (accounts
//!   are never removed from the index; close and reopen change the balance word only), so the
//!   batch keeps the accounts it found in a small direct-mapped cache. A miss is looked up in the
//!   current index every time, so an account opened while the batch runs is found by the
//!   transfers after it, as one `transfer` call each would find it.
//! - **In flight.** The first transfer of the batch from an account raises the account's pending
//!   count, and the batch lowers it once when it ends (also when unwinding). The source of every
//!   transfer still has it raised from before its debit until after its refund, which is what
//!   [`close`](super::Ledger::close) relies on; an account is merely reported as having a transfer
//!   in flight from the batch's first transfer from it until the batch returns.

use crate::sync::Ordering;
use crate::Error;

use super::{Account, Ledger};

/// Entries of the cache: a power of two. A batch rarely names more accounts than this; when it
/// does, colliding ids evict each other and are looked up again (correct, only slower).
const SLOTS: usize = 64;

#[derive(Clone, Copy)]
struct Slot<'l> {
    id: u64,
    account: Option<&'l Account>,
    /// Whether this batch raised the account's pending count through this entry.
    held: bool,
}

/// The accounts a batch found, and the sources whose pending count it raised (lowered on drop).
pub(super) struct Batch<'l> {
    ledger: &'l Ledger,
    slots: [Slot<'l>; SLOTS],
    held: Vec<&'l Account>,
}

impl<'l> Batch<'l> {
    pub(super) fn new(ledger: &'l Ledger) -> Self {
        Batch {
            ledger,
            slots: [Slot {
                id: 0,
                account: None,
                held: false,
            }; SLOTS],
            held: Vec::new(),
        }
    }

    fn slot(id: u64) -> usize {
        // Fibonacci hashing: the top bits of id * 2**64 / phi.
        (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) as usize
    }

    /// The cache entry of `id`, looked up in the index on a miss (and not cached if absent).
    fn entry(&mut self, id: u64) -> Result<&mut Slot<'l>, Error> {
        let i = Self::slot(id);
        let slot = &mut self.slots[i];
        if slot.account.is_none() || slot.id != id {
            let account = self.ledger.account(id)?;
            *slot = Slot {
                id,
                account: Some(account),
                held: false,
            };
        }
        Ok(slot)
    }

    /// Account `to`, to credit.
    pub(super) fn account(&mut self, id: u64) -> Result<&'l Account, Error> {
        Ok(self.entry(id)?.account.expect("an entry holds its account"))
    }

    /// Account `from`, to debit: marked as having a transfer in flight until the batch ends.
    pub(super) fn source(&mut self, id: u64) -> Result<&'l Account, Error> {
        let slot = self.entry(id)?;
        let account = slot.account.expect("an entry holds its account");
        if !std::mem::replace(&mut slot.held, true) {
            // As in `transfer`: raised before the debit, so that a close of the account waits
            // for the refund a failed credit may need. An entry evicted and found again raises
            // it again; each raise is in `held` and lowered once.
            account.state.pending.fetch_add(1, Ordering::SeqCst);
            self.held.push(account);
        }
        Ok(account)
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        for account in self.held.drain(..) {
            account.state.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
