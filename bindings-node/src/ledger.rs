//! `Ledger`: the native half of the class in `lib/state.js`.
//!
//! Account ids are u64 (a number or a BigInt), amounts i64 (a number or a BigInt; a number must
//! be an integer). Results: `deposit`/`withdraw` return the new balance as a number, or a BigInt
//! beyond +-`Number.MAX_SAFE_INTEGER` (the operation has happened: its result must not be lost);
//! `balance`/`total` return a number and throw a RangeError beyond that range, naming their
//! `*BigInt` variants, which always return a BigInt.
//!
//! Each core error is an `Error` with the C status name as its `code` and the values involved as
//! properties: `AP_ERR_UNKNOWN_ACCOUNT` (.account), `AP_ERR_ACCOUNT_EXISTS` (.account),
//! `AP_ERR_INVALID_AMOUNT` (.amount), `AP_ERR_SAME_ACCOUNT` (.account),
//! `AP_ERR_INSUFFICIENT_FUNDS` (.account, .balance, .amount), `AP_ERR_OVERFLOW` (.account),
//! `AP_ERR_ACCOUNT_CLOSED` (.account), `AP_ERR_ACCOUNT_NOT_EMPTY` (.account, .balance).
//!
//! `ledgerTransferMany(h, transfers, statuses)` runs a batch in one call: `transfers` is a
//! `Float64Array` of `[from, to, amount]` triples (the fast path `lib/state.js` packs when every
//! value is a number) or an array of `[from, to, amount]` arrays (any number/BigInt mix). Every
//! value is converted before any transfer runs; each transfer's status code goes to the
//! `statuses` Uint8Array, and the number that failed is returned.

use atomicperf::{Error, Ledger};

use crate::callback::{self, callbacks, export, Env, Export, Value};
use crate::convert;
use crate::error::{Fail, Result};
use crate::handle;

/// Throws a core error as an Error with its status as `code` and the values involved as
/// properties; any other error as `Fail::from` has it.
fn fail<'s>(env: Env<'s>, e: Error) -> Result<Value<'s>> {
    let account = |id: u64| convert::u64_number_or_bigint(env, id);
    let amount = |a: i64| convert::i64_number_or_bigint(env, a);
    let props = match e {
        Error::UnknownAccount(id)
        | Error::AccountExists(id)
        | Error::SameAccount(id)
        | Error::BalanceOverflow(id)
        | Error::AccountClosed(id) => vec![("account\0", account(id)?)],
        Error::InvalidAmount(a) => vec![("amount\0", amount(a)?)],
        Error::InsufficientFunds {
            account: id,
            balance,
            amount: a,
        } => vec![
            ("account\0", account(id)?),
            ("balance\0", amount(balance)?),
            ("amount\0", amount(a)?),
        ],
        Error::AccountNotEmpty {
            account: id,
            balance,
        } => vec![("account\0", account(id)?), ("balance\0", amount(balance)?)],
        other => return Err(Fail::from(other)),
    };
    Fail::from(e).throw_with(env, &props)
}

fn id_of(d: f64, i: usize, what: &str) -> Result<u64> {
    if (0.0..convert::TWO_POW_64).contains(&d) && d.fract() == 0.0 {
        Ok(d as u64)
    } else {
        Err(Fail::range(format!(
            "transfers[{i}] {what} must be an integer from 0 to 2^64-1, got {}",
            convert::js_number(d)
        )))
    }
}

fn amount_of(d: f64, i: usize) -> Result<i64> {
    if (-convert::TWO_POW_63..convert::TWO_POW_63).contains(&d) && d.fract() == 0.0 {
        Ok(d as i64)
    } else {
        Err(Fail::range(format!(
            "transfers[{i}] amount must be an integer from -2^63 to 2^63-1, got {}",
            convert::js_number(d)
        )))
    }
}

/// The batch of `ledgerTransferMany`, converted whole before any transfer runs.
fn batch(env: Env<'_>, v: Value<'_>) -> Result<Vec<(u64, u64, i64)>> {
    let packed = convert::with_f64_array(env, v, |values| {
        if values.len() % 3 != 0 {
            return Err(Fail::type_error(
                "transfers must be an array of [from, to, amount] arrays",
            ));
        }
        values
            .chunks_exact(3)
            .enumerate()
            .map(|(i, t)| {
                Ok((
                    id_of(t[0], i, "from")?,
                    id_of(t[1], i, "to")?,
                    amount_of(t[2], i)?,
                ))
            })
            .collect()
    })?;
    if let Some(batch) = packed {
        return batch;
    }
    let items = convert::to_array(env, v, "transfers")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let triple = convert::to_array(env, item, &format!("transfers[{i}]"))?;
        let [from, to, amount] = <[Value; 3]>::try_from(triple).map_err(|t| {
            Fail::type_error(format!(
                "transfers[{i}] must be a [from, to, amount] array, got {} elements",
                t.len()
            ))
        })?;
        out.push((
            convert::to_u64(env, from, &format!("transfers[{i}] from"))?,
            convert::to_u64(env, to, &format!("transfers[{i}] to"))?,
            convert::to_i64(env, amount, &format!("transfers[{i}] amount"))?,
        ));
    }
    Ok(out)
}

/// The new balance after a deposit or withdrawal, or the thrown error.
fn balance_or_fail(env: Env<'_>, r: std::result::Result<i64, Error>) -> Result<Value<'_>> {
    match r {
        Ok(b) => convert::i64_number_or_bigint(env, b),
        Err(e) => fail(env, e),
    }
}

callbacks! {
    fn ledger_new(env, _info) {
        handle::new(env, Ledger::new())
    }

    /// `ledgerOpen(h, id, overdraft: boolean)`.
    fn ledger_open(env, info) {
        let [h, id, overdraft] = callback::args::<3>(env, info)?;
        let l = handle::get::<Ledger>(env, h)?;
        let id = convert::to_u64(env, id, "id")?;
        let overdraft = convert::to_bool_or(env, overdraft, false, "overdraft")?;
        match l.open(id, overdraft) {
            Ok(()) => Ok(Value::UNDEFINED),
            Err(e) => fail(env, e),
        }
    }

    /// `ledgerOpenHot(h, id, overdraft: boolean)`.
    fn ledger_open_hot(env, info) {
        let [h, id, overdraft] = callback::args::<3>(env, info)?;
        let l = handle::get::<Ledger>(env, h)?;
        let id = convert::to_u64(env, id, "id")?;
        let overdraft = convert::to_bool_or(env, overdraft, false, "overdraft")?;
        match l.open_hot(id, overdraft) {
            Ok(()) => Ok(Value::UNDEFINED),
            Err(e) => fail(env, e),
        }
    }

    /// `ledgerClose(h, id)`.
    fn ledger_close(env, info) {
        let [h, id] = callback::args::<2>(env, info)?;
        let l = handle::get::<Ledger>(env, h)?;
        match l.close(convert::to_u64(env, id, "id")?) {
            Ok(()) => Ok(Value::UNDEFINED),
            Err(e) => fail(env, e),
        }
    }

    /// `ledgerReopen(h, id)`.
    fn ledger_reopen(env, info) {
        let [h, id] = callback::args::<2>(env, info)?;
        let l = handle::get::<Ledger>(env, h)?;
        match l.reopen(convert::to_u64(env, id, "id")?) {
            Ok(()) => Ok(Value::UNDEFINED),
            Err(e) => fail(env, e),
        }
    }

    /// `ledgerTransferMany(h, transfers: Float64Array | [from, to, amount][], statuses:
    /// Uint8Array): number` (how many failed; each status code in `statuses`).
    fn ledger_transfer_many(env, info) {
        let [h, transfers, statuses] = callback::args::<3>(env, info)?;
        let l = handle::get::<Ledger>(env, h)?;
        let batch = batch(env, transfers)?;
        let wrong_statuses = || Fail::type_error(format!(
            "statuses must be a Uint8Array of {} elements",
            batch.len()
        ));
        // Checked before any transfer runs, and written after (no JS runs in between).
        if convert::u8_array_len(env, statuses)? != Some(batch.len()) {
            return Err(wrong_statuses());
        }
        let mut failed = 0usize;
        let codes: Vec<u8> = l
            .transfer_many(&batch)
            .into_iter()
            .map(|r| match r {
                Ok(()) => 0,
                Err(e) => {
                    failed += 1;
                    // Status codes are small (below 256).
                    e.status().code() as u8
                }
            })
            .collect();
        if !convert::copy_into_u8_array(env, statuses, &codes, "statuses")? {
            return Err(wrong_statuses());
        }
        convert::from_f64(env, failed as f64)
    }

    /// `ledgerStatusNames(): string[]`: the status names by code, to read `statuses` with.
    fn ledger_status_names(env, _info) {
        let all = atomicperf::Status::ALL;
        let names = convert::array(env, all.len())?;
        for s in all {
            convert::set_element(env, names, s.code() as u32, convert::string(env, s.name())?)?;
        }
        Ok(names)
    }

    /// `ledgerDeposit(h, id, amount): number | bigint` (the new balance).
    fn ledger_deposit(env, info) {
        let [h, id, amount] = callback::args::<3>(env, info)?;
        let l = handle::get::<Ledger>(env, h)?;
        let id = convert::to_u64(env, id, "id")?;
        let amount = convert::to_i64(env, amount, "amount")?;
        balance_or_fail(env, l.deposit(id, amount))
    }

    /// `ledgerWithdraw(h, id, amount): number | bigint` (the new balance).
    fn ledger_withdraw(env, info) {
        let [h, id, amount] = callback::args::<3>(env, info)?;
        let l = handle::get::<Ledger>(env, h)?;
        let id = convert::to_u64(env, id, "id")?;
        let amount = convert::to_i64(env, amount, "amount")?;
        balance_or_fail(env, l.withdraw(id, amount))
    }

    /// `ledgerTransfer(h, from, to, amount)`.
    fn ledger_transfer(env, info) {
        let [h, from, to, amount] = callback::args::<4>(env, info)?;
        let l = handle::get::<Ledger>(env, h)?;
        let from = convert::to_u64(env, from, "from")?;
        let to = convert::to_u64(env, to, "to")?;
        let amount = convert::to_i64(env, amount, "amount")?;
        match l.transfer(from, to, amount) {
            Ok(()) => Ok(Value::UNDEFINED),
            Err(e) => fail(env, e),
        }
    }

    fn ledger_balance(env, info) {
        let [h, id] = callback::args::<2>(env, info)?;
        let l = handle::get::<Ledger>(env, h)?;
        match l.balance(convert::to_u64(env, id, "id")?) {
            Ok(b) => convert::from_i64_exact(env, b, "balance", "use balanceBigInt()"),
            Err(e) => fail(env, e),
        }
    }

    fn ledger_balance_bigint(env, info) {
        let [h, id] = callback::args::<2>(env, info)?;
        let l = handle::get::<Ledger>(env, h)?;
        match l.balance(convert::to_u64(env, id, "id")?) {
            Ok(b) => convert::i128_bigint(env, i128::from(b)),
            Err(e) => fail(env, e),
        }
    }

    fn ledger_total(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let t = handle::get::<Ledger>(env, h)?.total();
        match i64::try_from(t) {
            Ok(t) => convert::from_i64_exact(env, t, "total", "use totalBigInt()"),
            Err(_) => Err(Fail::range(format!(
                "total {t} is beyond Number.MAX_SAFE_INTEGER and would lose precision; use totalBigInt()"
            ))),
        }
    }

    fn ledger_total_bigint(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::i128_bigint(env, handle::get::<Ledger>(env, h)?.total())
    }

    fn ledger_size(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, handle::get::<Ledger>(env, h)?.len() as f64)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("ledgerNew", ledger_new),
    export!("ledgerOpen", ledger_open),
    export!("ledgerOpenHot", ledger_open_hot),
    export!("ledgerClose", ledger_close),
    export!("ledgerReopen", ledger_reopen),
    export!("ledgerTransferMany", ledger_transfer_many),
    export!("ledgerStatusNames", ledger_status_names),
    export!("ledgerDeposit", ledger_deposit),
    export!("ledgerWithdraw", ledger_withdraw),
    export!("ledgerTransfer", ledger_transfer),
    export!("ledgerBalance", ledger_balance),
    export!("ledgerBalanceBigInt", ledger_balance_bigint),
    export!("ledgerTotal", ledger_total),
    export!("ledgerTotalBigInt", ledger_total_bigint),
    export!("ledgerSize", ledger_size),
];
