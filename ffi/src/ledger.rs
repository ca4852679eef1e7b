use std::sync::Arc;

use atomicperf::Ledger;

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{ap_status, guard, write_opt, Fail, Out, AP_ERR_OVERFLOW};

/// Accounts keyed by uint64_t with int64_t balances: deposit, withdraw, transfers (one at a time
/// or a batch), balance, total, close and reopen. No lock: an account is found through an index
/// readers never write, and a balance changes by compare-and-swap. Every error leaves every
/// balance unchanged. Balances stay within INT64_MIN + 2 ..= INT64_MAX.
pub struct ApLedger {
    _opaque: [u8; 0],
}

/// Creates an empty ledger. Errors: AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_ledger_new(out: *mut *mut ApLedger) -> ap_status {
    guard("ap_ledger_new", || {
        Out::new(out)?.write(into_handle::<Ledger, _>(Arc::new(Ledger::new())))
    })
}

/// Returns another owning handle to the same ledger (NULL for NULL). Free each handle once.
///
/// # Safety
/// `l` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_clone(l: *const ApLedger) -> *mut ApLedger {
    // SAFETY: the caller guarantees `l` is NULL or a live ledger handle (# Safety above), which is
    // what `clone_handle` requires.
    unsafe { clone_handle::<Ledger, _>(l) }
}

/// Releases one owner's handle; the ledger is freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `l` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_free(l: *mut ApLedger) {
    // SAFETY: the caller guarantees `l` is NULL or a ledger handle it owns and never uses again
    // (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<Ledger, _>(l) }
}

fn with(l: *const ApLedger, what: &str, f: impl FnOnce(&Ledger) -> Result<(), Fail>) -> ap_status {
    // SAFETY: `l` is NULL or a live ledger handle for the whole call: the only callers are this
    // module's `unsafe extern "C" fn`s, whose # Safety requires exactly that of the C caller; that
    // is what `borrow` requires.
    guard(what, || f(unsafe { borrow::<Ledger, _>(l) }?))
}

/// Opens account `id` at balance 0; `overdraft` lets its balance go below zero.
/// Errors: AP_ERR_ACCOUNT_EXISTS; AP_ERR_ACCOUNT_CLOSED (a closed id: see ap_ledger_reopen);
/// AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `l` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_open(l: *const ApLedger, id: u64, overdraft: bool) -> ap_status {
    with(l, "ap_ledger_open", |l| Ok(l.open(id, overdraft)?))
}

/// As ap_ledger_open, for a hot account: one that many transfers credit at once (a merchant, a
/// fee account). Its credits go to per-thread stripes that debits and reads sum, so that they do
/// not all wait for one cache line.
///
/// # Safety
/// `l` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_open_hot(
    l: *const ApLedger,
    id: u64,
    overdraft: bool,
) -> ap_status {
    with(l, "ap_ledger_open_hot", |l| Ok(l.open_hot(id, overdraft)?))
}

/// Closes account `id`, whose balance must be 0 with no transfer from it in flight; operations on
/// it then fail with AP_ERR_ACCOUNT_CLOSED until ap_ledger_reopen.
/// Errors: AP_ERR_ACCOUNT_NOT_EMPTY (nothing changes), AP_ERR_ACCOUNT_CLOSED (already closed),
/// AP_ERR_UNKNOWN_ACCOUNT, AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `l` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_close(l: *const ApLedger, id: u64) -> ap_status {
    with(l, "ap_ledger_close", |l| Ok(l.close(id)?))
}

/// Reopens closed account `id` at balance 0.
/// Errors: AP_ERR_ACCOUNT_EXISTS (it is open), AP_ERR_UNKNOWN_ACCOUNT, AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `l` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_reopen(l: *const ApLedger, id: u64) -> ap_status {
    with(l, "ap_ledger_reopen", |l| Ok(l.reopen(id)?))
}

/// One transfer of a batch (ap_ledger_transfer_many).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ap_transfer {
    /// The account debited.
    pub from: u64,
    /// The account credited.
    pub to: u64,
    /// The amount, greater than zero.
    pub amount: i64,
}

/// Applies `n` transfers in order, each all-or-nothing as ap_ledger_transfer, and writes each
/// one's status to results[i] (AP_OK or its error): one call for a whole batch. Returns AP_OK
/// when the batch ran (whatever the transfers' own statuses), else AP_ERR_NULL_HANDLE, or
/// AP_ERR_NULL_POINTER when `transfers` or `results` is NULL and `n` > 0; *failed (if not NULL)
/// gets the number of transfers that failed. While the batch runs, ap_ledger_close of an account
/// it has transferred from may be refused (AP_ERR_ACCOUNT_NOT_EMPTY) until the batch returns.
///
/// # Safety
/// `l` is NULL or a live handle; `transfers` and `results` hold `n` elements (or are NULL);
/// `failed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_transfer_many(
    l: *const ApLedger,
    transfers: *const ap_transfer,
    n: usize,
    results: *mut ap_status,
    failed: *mut usize,
) -> ap_status {
    with(l, "ap_ledger_transfer_many", |l| {
        let transfers = crate::status::input_slice(transfers, n)?;
        if n > 0 && results.is_null() {
            return Err(Fail::new(
                crate::status::AP_ERR_NULL_POINTER,
                "results is NULL",
            ));
        }
        let mut failures = 0usize;
        // The core's batch: each account found and each source marked in flight once per batch.
        l.transfer_each(
            transfers.iter().map(|t| (t.from, t.to, t.amount)),
            |i, r| {
                let status = match r {
                    Ok(()) => crate::status::AP_OK,
                    Err(e) => {
                        failures += 1;
                        e.status().code()
                    }
                };
                // SAFETY: results holds n elements, per the contract, and i < n.
                unsafe { results.add(i).write(status) };
            },
        );
        let _: () = write_opt(failed, failures);
        Ok(())
    })
}

/// Adds `amount` to account `id`; the new balance goes to *balance if it is not NULL.
/// Errors: AP_ERR_INVALID_AMOUNT (amount <= 0), AP_ERR_UNKNOWN_ACCOUNT, AP_ERR_OVERFLOW,
/// AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `l` is NULL or a live handle; `balance` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_deposit(
    l: *const ApLedger,
    id: u64,
    amount: i64,
    balance: *mut i64,
) -> ap_status {
    with(l, "ap_ledger_deposit", |l| {
        let _: () = write_opt(balance, l.deposit(id, amount)?);
        Ok(())
    })
}

/// Takes `amount` from account `id`; the new balance goes to *balance if it is not NULL.
/// Errors: AP_ERR_INVALID_AMOUNT, AP_ERR_UNKNOWN_ACCOUNT, AP_ERR_INSUFFICIENT_FUNDS (unless the
/// account allows overdraft), AP_ERR_OVERFLOW, AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `l` is NULL or a live handle; `balance` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_withdraw(
    l: *const ApLedger,
    id: u64,
    amount: i64,
    balance: *mut i64,
) -> ap_status {
    with(l, "ap_ledger_withdraw", |l| {
        let _: () = write_opt(balance, l.withdraw(id, amount)?);
        Ok(())
    })
}

/// Moves `amount` from account `from` to account `to`, atomically.
/// Errors: AP_ERR_INVALID_AMOUNT, AP_ERR_SAME_ACCOUNT, AP_ERR_UNKNOWN_ACCOUNT,
/// AP_ERR_INSUFFICIENT_FUNDS, AP_ERR_OVERFLOW, AP_ERR_NULL_HANDLE; nothing changes on error.
///
/// # Safety
/// `l` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_transfer(
    l: *const ApLedger,
    from: u64,
    to: u64,
    amount: i64,
) -> ap_status {
    with(l, "ap_ledger_transfer", |l| {
        Ok(l.transfer(from, to, amount)?)
    })
}

/// Writes the balance of account `id` to *out.
/// Errors: AP_ERR_UNKNOWN_ACCOUNT, AP_ERR_ACCOUNT_CLOSED, AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `l` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_balance(
    l: *const ApLedger,
    id: u64,
    out: *mut i64,
) -> ap_status {
    with(l, "ap_ledger_balance", |l| {
        let out = Out::new(out)?;
        out.write(l.balance(id)?)
    })
}

/// Writes the sum of all balances to *out (exact when no transfer is between its debit and its
/// credit; with transfers in flight, each one's amount may be missing or counted twice).
/// Errors: AP_ERR_OVERFLOW if the sum does not fit an int64_t; AP_ERR_NULL_HANDLE,
/// AP_ERR_NULL_POINTER.
///
/// # Safety
/// `l` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_total(l: *const ApLedger, out: *mut i64) -> ap_status {
    with(l, "ap_ledger_total", |l| {
        let out = Out::new(out)?;
        let total = l.total();
        out.write(i64::try_from(total).map_err(|_| {
            Fail::new(
                AP_ERR_OVERFLOW,
                format!("total {total} does not fit int64_t"),
            )
        })?)
    })
}

/// Writes the number of open accounts to *out. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `l` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_len(l: *const ApLedger, out: *mut usize) -> ap_status {
    with(l, "ap_ledger_len", |l| Out::new(out)?.write(l.len()))
}
