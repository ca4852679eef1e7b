use std::sync::Arc;

use atomicperf::Ledger;

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{ap_status, guard, write_opt, Fail, Out, AP_ERR_OVERFLOW};

/// Accounts keyed by uint64_t with int64_t balances: deposit, withdraw, atomic transfers that
/// never deadlock, balance and total. Each account has its own lock; there is no global one.
/// Every error leaves every balance unchanged.
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
    // SAFETY: forwarded contract.
    unsafe { clone_handle::<Ledger, _>(l) }
}

/// Releases one owner's handle; the ledger is freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `l` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_free(l: *mut ApLedger) {
    // SAFETY: forwarded contract.
    unsafe { free_handle::<Ledger, _>(l) }
}

fn with(l: *const ApLedger, what: &str, f: impl FnOnce(&Ledger) -> Result<(), Fail>) -> ap_status {
    // SAFETY: every caller is an `unsafe extern fn` whose contract makes `l` NULL or live.
    guard(what, || f(unsafe { borrow::<Ledger, _>(l) }?))
}

/// Opens account `id` at balance 0; `overdraft` lets its balance go below zero.
/// Errors: AP_ERR_ACCOUNT_EXISTS; AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `l` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_ledger_open(l: *const ApLedger, id: u64, overdraft: bool) -> ap_status {
    with(l, "ap_ledger_open", |l| Ok(l.open(id, overdraft)?))
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
/// Errors: AP_ERR_UNKNOWN_ACCOUNT, AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
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

/// Writes the sum of all balances to *out (exact when no transfer runs concurrently).
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
