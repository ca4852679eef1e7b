use std::sync::{Mutex, MutexGuard};

use crossbeam_utils::CachePadded;

use crate::{Error, ShardedMap};

/// Accounts keyed by `u64` with `i64` balances: the seeds' account service (6.5K requests/s behind
/// one global lock) as a primitive. Equivalent to a `Mutex<HashMap<u64, i64>>`, except that each
/// account has its own cache-padded lock, found through a [`ShardedMap`], so operations on
/// different accounts run in parallel.
///
/// A transfer finds both accounts under their shards' read locks (no reference counting, so
/// threads working on different accounts write no shared memory), then locks the two accounts in
/// ascending id order, so two transfers in opposite directions between the same accounts can
/// never deadlock, and the move is atomic: no reader of either balance sees the money in flight.
///
/// # Errors
/// Every operation checks its input before changing anything, and fails with a distinct error:
/// [`Error::UnknownAccount`], [`Error::AccountExists`], [`Error::InvalidAmount`] (amount <= 0),
/// [`Error::SameAccount`], [`Error::InsufficientFunds`], [`Error::BalanceOverflow`].
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
/// ```
pub struct Ledger {
    accounts: ShardedMap<u64, Account>,
}

struct Account {
    balance: CachePadded<Mutex<i64>>,
    overdraft: bool,
}

impl Account {
    fn lock(&self) -> MutexGuard<'_, i64> {
        self.balance.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn positive(amount: i64) -> Result<(), Error> {
    if amount <= 0 {
        return Err(Error::InvalidAmount(amount));
    }
    Ok(())
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Ledger {
            accounts: ShardedMap::new(),
        }
    }

    /// Runs `f` on account `id` under its shard's read lock.
    fn with_account<R>(
        &self,
        id: u64,
        f: impl FnOnce(&Account) -> Result<R, Error>,
    ) -> Result<R, Error> {
        self.accounts
            .with(&id, f)
            .unwrap_or(Err(Error::UnknownAccount(id)))
    }

    /// Opens account `id` at balance 0; `overdraft` lets its balance go below zero.
    ///
    /// # Errors
    /// [`Error::AccountExists`] if `id` is already open.
    pub fn open(&self, id: u64, overdraft: bool) -> Result<(), Error> {
        let opened = self.accounts.compute_if_absent_with(id, || Account {
            balance: CachePadded::new(Mutex::new(0)),
            overdraft,
        });
        if opened {
            Ok(())
        } else {
            Err(Error::AccountExists(id))
        }
    }

    /// Adds `amount` to account `id`; returns the new balance.
    ///
    /// # Errors
    /// [`Error::InvalidAmount`], [`Error::UnknownAccount`], [`Error::BalanceOverflow`].
    pub fn deposit(&self, id: u64, amount: i64) -> Result<i64, Error> {
        positive(amount)?;
        self.with_account(id, |account| {
            let mut balance = account.lock();
            *balance = balance
                .checked_add(amount)
                .ok_or(Error::BalanceOverflow(id))?;
            Ok(*balance)
        })
    }

    /// Takes `amount` from account `id`; returns the new balance.
    ///
    /// # Errors
    /// [`Error::InvalidAmount`], [`Error::UnknownAccount`], [`Error::InsufficientFunds`] (unless the
    /// account allows overdraft), [`Error::BalanceOverflow`].
    pub fn withdraw(&self, id: u64, amount: i64) -> Result<i64, Error> {
        positive(amount)?;
        self.with_account(id, |account| {
            let mut balance = account.lock();
            *balance = debit(id, account, *balance, amount)?;
            Ok(*balance)
        })
    }

    /// Moves `amount` from account `from` to account `to`, atomically.
    ///
    /// # Errors
    /// [`Error::InvalidAmount`], [`Error::SameAccount`], [`Error::UnknownAccount`],
    /// [`Error::InsufficientFunds`], [`Error::BalanceOverflow`]; nothing changes on error.
    pub fn transfer(&self, from: u64, to: u64, amount: i64) -> Result<(), Error> {
        positive(amount)?;
        if from == to {
            return Err(Error::SameAccount(from));
        }
        self.accounts.with_pair(&from, &to, |src, dst| {
            let src = src.ok_or(Error::UnknownAccount(from))?;
            let dst = dst.ok_or(Error::UnknownAccount(to))?;
            // Lock order by id: opposite-direction transfers between two accounts never deadlock.
            let (mut src_balance, mut dst_balance) = if from < to {
                let s = src.lock();
                (s, dst.lock())
            } else {
                let d = dst.lock();
                (src.lock(), d)
            };
            let new_src = debit(from, src, *src_balance, amount)?;
            let new_dst = dst_balance
                .checked_add(amount)
                .ok_or(Error::BalanceOverflow(to))?;
            *src_balance = new_src;
            *dst_balance = new_dst;
            Ok(())
        })
    }

    /// The balance of account `id`.
    ///
    /// # Errors
    /// [`Error::UnknownAccount`].
    pub fn balance(&self, id: u64) -> Result<i64, Error> {
        self.with_account(id, |a| Ok(*a.lock()))
    }

    /// Number of open accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether no account is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sum of all balances, as `i128` so that it cannot overflow. Exact when no transfer runs
    /// concurrently; while transfers run, accounts are read one after another and a transfer
    /// between an already-read and a not-yet-read account may be seen on one side only.
    pub fn total(&self) -> i128 {
        let mut total = 0i128;
        self.accounts
            .for_each(|_, a| total += i128::from(*a.lock()));
        total
    }
}

fn debit(id: u64, account: &Account, balance: i64, amount: i64) -> Result<i64, Error> {
    let after = balance
        .checked_sub(amount)
        .ok_or(Error::BalanceOverflow(id))?;
    if after < 0 && !account.overdraft {
        return Err(Error::InsufficientFunds {
            account: id,
            balance,
            amount,
        });
    }
    Ok(after)
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn bank() -> Ledger {
        let l = Ledger::new();
        l.open(1, false).unwrap();
        l.open(2, false).unwrap();
        l.open(3, true).unwrap();
        l.deposit(1, 100).unwrap();
        l
    }

    #[test]
    fn every_bad_input_is_a_distinct_error_and_changes_nothing() {
        let l = bank();
        assert_eq!(l.open(1, false), Err(Error::AccountExists(1)));
        assert_eq!(l.deposit(9, 1), Err(Error::UnknownAccount(9)));
        assert_eq!(l.deposit(1, 0), Err(Error::InvalidAmount(0)));
        assert_eq!(l.withdraw(1, -5), Err(Error::InvalidAmount(-5)));
        assert_eq!(l.transfer(1, 1, 5), Err(Error::SameAccount(1)));
        assert_eq!(l.transfer(1, 9, 5), Err(Error::UnknownAccount(9)));
        assert_eq!(l.transfer(9, 1, 5), Err(Error::UnknownAccount(9)));
        assert_eq!(
            l.transfer(2, 1, 5),
            Err(Error::InsufficientFunds {
                account: 2,
                balance: 0,
                amount: 5
            })
        );
        assert_eq!(
            l.withdraw(1, 101),
            Err(Error::InsufficientFunds {
                account: 1,
                balance: 100,
                amount: 101
            })
        );
        l.deposit(2, i64::MAX).unwrap();
        assert_eq!(l.deposit(2, 1), Err(Error::BalanceOverflow(2)));
        assert_eq!(l.transfer(1, 2, 1), Err(Error::BalanceOverflow(2)));
        assert_eq!((l.balance(1), l.balance(2)), (Ok(100), Ok(i64::MAX)));
    }

    #[test]
    fn overdraft_accounts_may_go_negative_but_not_overflow() {
        let l = bank();
        assert_eq!(l.withdraw(3, 50), Ok(-50));
        l.transfer(3, 1, 10).unwrap();
        assert_eq!(l.balance(3), Ok(-60));
        l.withdraw(3, i64::MAX - 60).unwrap();
        assert_eq!(l.withdraw(3, 1), Ok(i64::MIN));
        assert_eq!(l.withdraw(3, 1), Err(Error::BalanceOverflow(3)));
    }

    #[test]
    fn transfer_in_opposite_directions_never_deadlocks() {
        let l = Ledger::new();
        l.open(1, false).unwrap();
        l.open(2, false).unwrap();
        l.deposit(1, 1_000_000).unwrap();
        l.deposit(2, 1_000_000).unwrap();
        std::thread::scope(|s| {
            s.spawn(|| (0..50_000).for_each(|_| l.transfer(1, 2, 3).unwrap()));
            s.spawn(|| (0..50_000).for_each(|_| l.transfer(2, 1, 3).unwrap()));
        });
        assert_eq!((l.balance(1), l.balance(2)), (Ok(1_000_000), Ok(1_000_000)));
    }
}
