use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering as StdOrdering};
use std::sync::Mutex;

use crossbeam_utils::CachePadded;
use foldhash::fast::RandomState;
use std::hash::BuildHasher;

use crate::stripe::thread_index;
use crate::sync::{spin_wait, AtomicI64, AtomicU64, Ordering};
use crate::Error;

/// Accounts keyed by `u64` with `i64` balances: an account service's one global lock (which held
/// one such service to 6,500 requests/s) replaced by atomic balances. Equivalent to a
/// `Mutex<HashMap<u64, i64>>`, except that an operation takes no lock at all: finding an account
/// reads an index that readers never write, and a balance changes by compare-and-swap on the
/// account's own cache line, so operations on different accounts never touch the same memory.
///
/// - A debit is a compare-and-swap that refuses to take an account below zero (unless it allows
///   overdraft) or outside the range of `i64`; a credit is a compare-and-swap with the same range
///   rule. A transfer debits the source, then credits the destination; if the credit cannot happen
///   (the destination was closed meanwhile, or would overflow) the debit is given back. A transfer
///   is never lost or applied twice.
/// - **Hot accounts** ([`open_hot`](Self::open_hot)): when most transfers credit one account (a
///   merchant, a fee account), its credits are spread over per-thread stripes that debits and
///   reads sum, so that they do not all wait for one cache line.
/// - [`close`](Self::close) closes an account whose balance is zero (an account with money in it,
///   or with a transfer from it in flight, is refused); operations on a closed account fail with
///   [`Error::AccountClosed`] until [`reopen`](Self::reopen).
/// - [`transfer_many`](Self::transfer_many) applies a batch in one call, each transfer
///   all-or-nothing, with one result per transfer; it finds an account and marks a source busy
///   once for as long as it keeps it, rather than once per transfer.
///
/// # What reads see while transfers run
/// - [`balance`](Self::balance) of an ordinary account is exact at every instant: one atomic load
///   of a value that only whole operations change. A hot account's balance is exact whenever none
///   of its debits is folding its credit stripes into it; during a fold it may be short by the
///   folded amount.
/// - [`total`](Self::total) is exact whenever no transfer is between its debit and its credit.
///   While transfers run, each in-flight transfer's amount may be missing from the total (read
///   after the debit, before the credit) or counted twice (source read before the debit, destination
///   after the credit); it is never otherwise wrong.
/// - Balances stay within `i64::MIN + 2 ..= i64::MAX` (the two lowest values mark a closed or
///   closing account).
///
/// # Errors
/// Every operation checks its input before changing anything, and fails with a distinct error:
/// [`Error::UnknownAccount`], [`Error::AccountExists`], [`Error::AccountClosed`],
/// [`Error::AccountNotEmpty`], [`Error::InvalidAmount`] (amount <= 0), [`Error::SameAccount`],
/// [`Error::InsufficientFunds`], [`Error::BalanceOverflow`].
///
/// # Example
/// ```
/// use atomicperf::{Error, Ledger};
///
/// let bank = Ledger::new();
/// bank.open(1, false).unwrap();
/// bank.open(2, false).unwrap();
/// bank.deposit(1, 100).unwrap();
/// bank.transfer(1, 2, 30).unwrap();
/// assert_eq!((bank.balance(1), bank.balance(2)), (Ok(70), Ok(30)));
/// assert!(matches!(bank.withdraw(2, 31), Err(Error::InsufficientFunds { .. })));
/// assert_eq!(bank.total(), 100);
/// let results = bank.transfer_many(&[(1, 2, 10), (2, 1, 1_000), (1, 9, 1)]);
/// assert_eq!(results[0], Ok(()));
/// assert!(matches!(results[1], Err(Error::InsufficientFunds { .. })));
/// assert_eq!(results[2], Err(Error::UnknownAccount(9)));
/// bank.withdraw(2, 40).unwrap();
/// bank.close(2).unwrap(); // empty: closed
/// assert_eq!(bank.deposit(2, 1), Err(Error::AccountClosed(2)));
/// ```
pub struct Ledger {
    /// The current index. Replaced (never modified in place, apart from filling empty slots) when
    /// it grows; old indexes stay allocated until the ledger is dropped, so a reader holding one
    /// never reads freed memory.
    index: AtomicPtr<Index>,
    /// Serialises opening accounts; owns every index and account for the drop.
    writer: Mutex<Owned>,
    hasher: RandomState,
}

struct Owned {
    indexes: Vec<*mut Index>,
    accounts: Vec<*mut Account>,
}

// SAFETY: the raw pointers in `Owned` are only dereferenced to free them, in `Drop`, with `&mut
// Ledger`; everything shared between threads is atomics and immutable data.
unsafe impl Send for Ledger {}
// SAFETY: as above; the index and accounts behind the pointers are read through atomics only.
unsafe impl Sync for Ledger {}

struct Index {
    slots: Box<[Slot]>,
    mask: usize,
}

struct Slot {
    id: std::sync::atomic::AtomicU64,
    account: AtomicPtr<Account>,
}

struct Account {
    /// The balance and the number of transfers (and `transfer_many` batches) from this account in
    /// flight, on the account's own cache line.
    state: CachePadded<State>,
    overdraft: bool,
    /// A hot account's credit stripes (empty for an ordinary account).
    credits: Box<[CachePadded<AtomicI64>]>,
    /// Serialises the folds of a hot account's stripes into its balance.
    fold: Mutex<()>,
}

struct State {
    balance: AtomicI64,
    pending: AtomicU64,
}

/// Balance word of a closed account.
const CLOSED: i64 = i64::MIN;
/// Balance word of an account being closed (its balance is 0 and `close` is checking it).
const CLOSING: i64 = i64::MIN + 1;
/// Lowest balance an account can hold.
const MIN_BALANCE: i64 = i64::MIN + 2;
/// Credit stripes of a hot account.
const HOT_STRIPES: usize = 16;

fn positive(amount: i64) -> Result<(), Error> {
    if amount <= 0 {
        return Err(Error::InvalidAmount(amount));
    }
    Ok(())
}

impl Index {
    fn with_capacity(capacity: usize) -> Index {
        let capacity = capacity.next_power_of_two().max(16);
        Index {
            slots: (0..capacity)
                .map(|_| Slot {
                    id: std::sync::atomic::AtomicU64::new(0),
                    account: AtomicPtr::new(ptr::null_mut()),
                })
                .collect(),
            mask: capacity - 1,
        }
    }

    /// The account of `id`: linear probing from its hash until an empty slot.
    fn find(&self, id: u64, hash: u64) -> Option<&Account> {
        let mut i = hash as usize & self.mask;
        loop {
            let slot = &self.slots[i];
            // Acquire: the id and the account were written before the pointer was published.
            let account = slot.account.load(StdOrdering::Acquire);
            if account.is_null() {
                return None;
            }
            if slot.id.load(StdOrdering::Relaxed) == id {
                // SAFETY: a published account is never freed before the ledger.
                return Some(unsafe { &*account });
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Publishes `account` for `id` in an empty slot (the writer lock is held; `id` is absent).
    fn insert(&self, id: u64, hash: u64, account: *mut Account) {
        let mut i = hash as usize & self.mask;
        while !self.slots[i].account.load(StdOrdering::Relaxed).is_null() {
            i = (i + 1) & self.mask;
        }
        self.slots[i].id.store(id, StdOrdering::Relaxed);
        self.slots[i].account.store(account, StdOrdering::Release);
    }
}

impl Account {
    fn new(overdraft: bool, hot: bool) -> Account {
        Account {
            state: CachePadded::new(State {
                balance: AtomicI64::new(0),
                pending: AtomicU64::new(0),
            }),
            overdraft,
            credits: (0..if hot { HOT_STRIPES } else { 0 })
                .map(|_| CachePadded::new(AtomicI64::new(0)))
                .collect(),
            fold: Mutex::new(()),
        }
    }

    fn is_hot(&self) -> bool {
        !self.credits.is_empty()
    }

    /// The balance word, waiting out a `close` that is checking the account.
    fn settled(&self) -> i64 {
        loop {
            let b = self.state.balance.load(Ordering::SeqCst);
            if b != CLOSING {
                return b;
            }
            spin_wait();
        }
    }

    /// Adds `amount` (> 0) to the balance word; fails on a closed account or past `i64::MAX`.
    /// Returns the new balance word.
    fn credit_word(&self, id: u64, amount: i64) -> Result<i64, Error> {
        let mut cur = self.settled();
        loop {
            if cur == CLOSED {
                return Err(Error::AccountClosed(id));
            }
            let next = cur.checked_add(amount).ok_or(Error::BalanceOverflow(id))?;
            match self.state.balance.compare_exchange_weak(
                cur,
                next,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return Ok(next),
                Err(CLOSING) => cur = self.settled(),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Credits `amount` (> 0): to the balance word, or to this thread's stripe of a hot account.
    fn credit(&self, id: u64, amount: i64) -> Result<(), Error> {
        if !self.is_hot() {
            return self.credit_word(id, amount).map(drop);
        }
        let stripe = &self.credits[thread_index() % self.credits.len()];
        let mut cur = stripe.load(Ordering::Relaxed);
        loop {
            let next = cur.checked_add(amount).ok_or(Error::BalanceOverflow(id))?;
            match stripe.compare_exchange_weak(cur, next, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        // A close that began before this credit landed sees it in the stripes and fails; one
        // that finished before is seen here, and the credit is taken back.
        if self.settled() == CLOSED {
            stripe.fetch_sub(amount, Ordering::SeqCst);
            return Err(Error::AccountClosed(id));
        }
        Ok(())
    }

    /// Takes `amount` (> 0) from the balance, never below zero without overdraft nor below
    /// `MIN_BALANCE`. A hot account first folds its credit stripes in when the balance alone is
    /// short.
    fn debit(&self, id: u64, amount: i64) -> Result<i64, Error> {
        let mut folded = false;
        let mut cur = self.settled();
        loop {
            if cur == CLOSED {
                return Err(Error::AccountClosed(id));
            }
            let next = cur
                .checked_sub(amount)
                .filter(|n| *n >= MIN_BALANCE)
                .ok_or(Error::BalanceOverflow(id))?;
            if next < 0 && !self.overdraft {
                if self.is_hot() && !folded {
                    self.fold_credits();
                    folded = true;
                    cur = self.settled();
                    continue;
                }
                return Err(Error::InsufficientFunds {
                    account: id,
                    balance: cur,
                    amount,
                });
            }
            match self.state.balance.compare_exchange_weak(
                cur,
                next,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return Ok(next),
                Err(CLOSING) => cur = self.settled(),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Moves a hot account's stripes into its balance word (as much as fits).
    fn fold_credits(&self) {
        // A stripe swapped out and not yet added back must not be split by a fork.
        let _section = crate::fork::section();
        let _one_fold = self.fold.lock().unwrap_or_else(|e| e.into_inner());
        for stripe in self.credits.iter() {
            let v = stripe.swap(0, Ordering::SeqCst);
            if v != 0 && self.add_word(v).is_err() {
                // Does not fit (or the account closed): back to the stripe, nothing lost.
                stripe.fetch_add(v, Ordering::SeqCst);
            }
        }
    }

    /// Adds `v` (any sign) to the balance word of an open account.
    fn add_word(&self, v: i64) -> Result<(), ()> {
        let mut cur = self.settled();
        loop {
            if cur == CLOSED {
                return Err(());
            }
            let next = cur.checked_add(v).filter(|n| *n >= MIN_BALANCE).ok_or(())?;
            match self.state.balance.compare_exchange_weak(
                cur,
                next,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return Ok(()),
                Err(CLOSING) => cur = self.settled(),
                Err(actual) => cur = actual,
            }
        }
    }

    /// Gives back a debited amount. The account cannot be closed meanwhile (its pending count is
    /// above zero); should concurrent credits have brought it within `amount` of `i64::MAX`, it
    /// waits for room rather than lose the money.
    fn refund(&self, amount: i64) {
        while self.add_word(amount).is_err() {
            spin_wait();
        }
    }

    fn credits_sum(&self) -> i128 {
        self.credits
            .iter()
            .map(|s| i128::from(s.load(Ordering::SeqCst)))
            .sum()
    }

    /// The balance, `None` when closed.
    fn balance(&self) -> Option<i128> {
        match self.settled() {
            CLOSED => None,
            b => Some(i128::from(b) + self.credits_sum()),
        }
    }
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        let index = Box::into_raw(Box::new(Index::with_capacity(16)));
        Ledger {
            index: AtomicPtr::new(index),
            writer: Mutex::new(Owned {
                indexes: vec![index],
                accounts: Vec::new(),
            }),
            hasher: RandomState::default(),
        }
    }

    fn hash(&self, id: u64) -> u64 {
        self.hasher.hash_one(id)
    }

    fn find(&self, id: u64) -> Option<&Account> {
        // SAFETY: indexes are freed only when the ledger is dropped.
        let index = unsafe { &*self.index.load(StdOrdering::Acquire) };
        index.find(id, self.hash(id))
    }

    fn account(&self, id: u64) -> Result<&Account, Error> {
        self.find(id).ok_or(Error::UnknownAccount(id))
    }

    /// Opens account `id` at balance 0; `overdraft` lets its balance go below zero.
    ///
    /// # Errors
    /// [`Error::AccountExists`] if `id` is open, [`Error::AccountClosed`] if it was closed (see
    /// [`reopen`](Self::reopen)).
    pub fn open(&self, id: u64, overdraft: bool) -> Result<(), Error> {
        self.open_account(id, Account::new(overdraft, false))
    }

    /// Opens account `id` as a hot account: one that many transfers credit at once. Its credits go
    /// to per-thread stripes, so that they do not queue for one cache line; its debits and reads
    /// sum the stripes. Costs 16 cache lines more than an ordinary account.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_hot(&self, id: u64, overdraft: bool) -> Result<(), Error> {
        self.open_account(id, Account::new(overdraft, true))
    }

    fn open_account(&self, id: u64, account: Account) -> Result<(), Error> {
        let _section = crate::fork::section();
        let mut owned = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = self.find(id) {
            return Err(match existing.balance() {
                None => Error::AccountClosed(id),
                Some(_) => Error::AccountExists(id),
            });
        }
        let account = Box::into_raw(Box::new(account));
        owned.accounts.push(account);
        // SAFETY: indexes are only freed on drop; the writer lock is held.
        let index = unsafe { &*self.index.load(StdOrdering::Acquire) };
        let hash = self.hash(id);
        if owned.accounts.len() * 2 <= index.slots.len() {
            index.insert(id, hash, account);
            return Ok(());
        }
        // Grow: a new index with every account, published whole; readers of the old one still
        // find every account that existed when they started.
        let grown = Index::with_capacity(index.slots.len() * 2);
        for slot in index.slots.iter() {
            let a = slot.account.load(StdOrdering::Relaxed);
            if !a.is_null() {
                let old_id = slot.id.load(StdOrdering::Relaxed);
                grown.insert(old_id, self.hash(old_id), a);
            }
        }
        grown.insert(id, hash, account);
        let grown = Box::into_raw(Box::new(grown));
        owned.indexes.push(grown);
        self.index.store(grown, StdOrdering::Release);
        Ok(())
    }

    /// Closes account `id`, whose balance must be zero and from which no transfer may be in
    /// flight. Operations on it then fail with [`Error::AccountClosed`] until
    /// [`reopen`](Self::reopen).
    ///
    /// # Errors
    /// [`Error::UnknownAccount`], [`Error::AccountClosed`] (already closed),
    /// [`Error::AccountNotEmpty`] (a balance other than zero, or a transfer from it in flight:
    /// nothing changes). A [`transfer_many`](Self::transfer_many) batch may count as in flight
    /// from an account from its first transfer from it until the batch returns.
    pub fn close(&self, id: u64) -> Result<(), Error> {
        let account = self.account(id)?;
        let not_empty = |balance: i128| Error::AccountNotEmpty {
            account: id,
            balance: i64::try_from(balance).unwrap_or(i64::MAX),
        };
        // CLOSING, which other operations wait out, must never be left set by a fork.
        let _section = crate::fork::section();
        let _one_fold = account.fold.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match account.settled() {
                CLOSED => return Err(Error::AccountClosed(id)),
                0 => {}
                b => return Err(not_empty(i128::from(b) + account.credits_sum())),
            }
            if account
                .state
                .balance
                .compare_exchange(0, CLOSING, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                break;
            }
        }
        // Every operation that changes the balance waits while it reads CLOSING: check what can
        // still change it (credit stripes, transfers from it in flight), then decide.
        let credits = account.credits_sum();
        let pending = account.state.pending.load(Ordering::SeqCst);
        let (word, result) = if credits != 0 {
            (0, Err(not_empty(credits)))
        } else if pending != 0 {
            (0, Err(not_empty(0)))
        } else {
            (CLOSED, Ok(()))
        };
        account.state.balance.store(word, Ordering::SeqCst);
        result
    }

    /// Reopens closed account `id` at balance 0 (with the overdraft setting it had).
    ///
    /// # Errors
    /// [`Error::UnknownAccount`], [`Error::AccountExists`] if it is open.
    pub fn reopen(&self, id: u64) -> Result<(), Error> {
        let account = self.account(id)?;
        match account
            .state
            .balance
            .compare_exchange(CLOSED, 0, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => Ok(()),
            Err(_) => Err(Error::AccountExists(id)),
        }
    }

    /// Adds `amount` to account `id`; returns the new balance (of a hot account: its balance
    /// read after the credit, which concurrent operations may already have changed).
    ///
    /// # Errors
    /// [`Error::InvalidAmount`], [`Error::UnknownAccount`], [`Error::AccountClosed`],
    /// [`Error::BalanceOverflow`].
    pub fn deposit(&self, id: u64, amount: i64) -> Result<i64, Error> {
        positive(amount)?;
        let account = self.account(id)?;
        if !account.is_hot() {
            return account.credit_word(id, amount);
        }
        account.credit(id, amount)?;
        self.balance(id)
    }

    /// Takes `amount` from account `id`; returns the new balance (of an ordinary account; a hot
    /// account's is the balance without the credits not folded in yet).
    ///
    /// # Errors
    /// [`Error::InvalidAmount`], [`Error::UnknownAccount`], [`Error::AccountClosed`],
    /// [`Error::InsufficientFunds`] (unless the account allows overdraft),
    /// [`Error::BalanceOverflow`].
    pub fn withdraw(&self, id: u64, amount: i64) -> Result<i64, Error> {
        positive(amount)?;
        self.account(id)?.debit(id, amount)
    }

    /// Moves `amount` from account `from` to account `to`: all of it or, on error, nothing.
    ///
    /// # Errors
    /// [`Error::InvalidAmount`], [`Error::SameAccount`], [`Error::UnknownAccount`],
    /// [`Error::AccountClosed`], [`Error::InsufficientFunds`], [`Error::BalanceOverflow`].
    pub fn transfer(&self, from: u64, to: u64, amount: i64) -> Result<(), Error> {
        positive(amount)?;
        if from == to {
            return Err(Error::SameAccount(from));
        }
        let src = self.account(from)?;
        let dst = self.account(to)?;
        // A fork never splits a debit from its credit (see `crate::fork`).
        let _section = crate::fork::section();
        // In flight from `src`: a close of `src` waits for it to end, so the refund below always
        // finds `src` open.
        src.state.pending.fetch_add(1, Ordering::SeqCst);
        let result = Self::debit_credit(src, from, dst, to, amount);
        src.state.pending.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// The body of a transfer whose source has its pending count raised: debit `src`, credit
    /// `dst`, give the debit back if the credit fails.
    #[inline]
    fn debit_credit(
        src: &Account,
        from: u64,
        dst: &Account,
        to: u64,
        amount: i64,
    ) -> Result<(), Error> {
        src.debit(from, amount)
            .and_then(|_| dst.credit(to, amount).inspect_err(|_| src.refund(amount)))
    }

    /// Applies `transfers` (`(from, to, amount)`) in order, each all-or-nothing as
    /// [`transfer`](Self::transfer), and returns one result per transfer: a batch costs one call
    /// from another language instead of one per transfer.
    ///
    /// Cheaper per transfer than [`transfer`](Self::transfer) when the batch names accounts more
    /// than once: the batch keeps the accounts it found, and marks a source as having a transfer
    /// in flight once for as long as it keeps it, not once per transfer. So a
    /// [`close`](Self::close) of an account the batch has transferred from may be refused until
    /// the batch returns, even after that account's last transfer in it. Each transfer still
    /// debits and credits on its own: what reads see while a batch runs is what they see while
    /// its transfers run one call each.
    pub fn transfer_many(&self, transfers: &[(u64, u64, i64)]) -> Vec<Result<(), Error>> {
        let mut results = Vec::with_capacity(transfers.len());
        self.transfer_each(transfers.iter().copied(), |_, r| results.push(r));
        results
    }

    /// As [`transfer_many`](Self::transfer_many), for a caller that keeps the results its own way
    /// (a status per transfer, or only the failures): `each(i, result)` is called for the `i`th
    /// transfer, in order, right after it ran. The batch is still running during `each`, so a
    /// `close` from it of an account the batch has transferred from may be refused.
    pub fn transfer_each(
        &self,
        transfers: impl IntoIterator<Item = (u64, u64, i64)>,
        mut each: impl FnMut(usize, Result<(), Error>),
    ) {
        // One fork section for the batch: a fork never splits a transfer, nor leaves the
        // batch's sources marked in flight in a child (`each` runs inside it too).
        let _section = crate::fork::section();
        let transfers = transfers.into_iter();
        let mut batch = batch::Batch::new(self, transfers.size_hint().0);
        for (i, (from, to, amount)) in transfers.enumerate() {
            each(i, Self::transfer_in(&mut batch, from, to, amount));
        }
    }

    /// One transfer of a batch: the checks of [`transfer`](Self::transfer), in its order, with
    /// the accounts (and the source's pending count) of the batch.
    #[inline]
    fn transfer_in(
        batch: &mut batch::Batch<'_>,
        from: u64,
        to: u64,
        amount: i64,
    ) -> Result<(), Error> {
        positive(amount)?;
        if from == to {
            return Err(Error::SameAccount(from));
        }
        // The destination first: holding the source may evict it from the batch's cache (which
        // leaves the reference good), while the reverse could release the source mid-transfer.
        // The errors keep `transfer`'s order: an unknown source before an unknown destination.
        let dst = batch.account(to);
        let src = batch.source(from)?;
        Self::debit_credit(src, from, dst?, to, amount)
    }

    /// The balance of account `id` (see the type's documentation for what it sees while
    /// transfers run).
    ///
    /// # Errors
    /// [`Error::UnknownAccount`], [`Error::AccountClosed`].
    pub fn balance(&self, id: u64) -> Result<i64, Error> {
        let b = self
            .account(id)?
            .balance()
            .ok_or(Error::AccountClosed(id))?;
        i64::try_from(b).map_err(|_| Error::BalanceOverflow(id))
    }

    /// Number of open accounts.
    pub fn len(&self) -> usize {
        let mut n = 0;
        self.for_each_account(|a| n += usize::from(a.balance().is_some()));
        n
    }

    /// Whether no account is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sum of all balances, as `i128` so that it cannot overflow (see the type's documentation
    /// for what it sees while transfers run).
    pub fn total(&self) -> i128 {
        let mut total = 0i128;
        self.for_each_account(|a| total += a.balance().unwrap_or(0));
        total
    }

    fn for_each_account(&self, mut f: impl FnMut(&Account)) {
        // SAFETY: indexes are freed only when the ledger is dropped.
        let index = unsafe { &*self.index.load(StdOrdering::Acquire) };
        for slot in index.slots.iter() {
            let a = slot.account.load(StdOrdering::Acquire);
            if !a.is_null() {
                // SAFETY: published accounts live as long as the ledger.
                f(unsafe { &*a });
            }
        }
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        let owned = self.writer.get_mut().unwrap_or_else(|e| e.into_inner());
        for &a in &owned.accounts {
            // SAFETY: created by Box::into_raw in open_account, freed once here.
            drop(unsafe { Box::from_raw(a) });
        }
        for &i in &owned.indexes {
            // SAFETY: created by Box::into_raw, freed once here.
            drop(unsafe { Box::from_raw(i) });
        }
    }
}

impl Default for Ledger {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("accounts", &self.len())
            .finish()
    }
}

mod batch;
#[cfg(all(test, not(loom)))]
mod tests;
