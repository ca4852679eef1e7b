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
use napi::sys;

use crate::bytes;
use crate::js;
use crate::raw::{self, callbacks, export, Class, Env, Export, Fail, Handle, Value};

impl Handle for Ledger {
    const TAG: sys::napi_type_tag = sys::napi_type_tag {
        lower: 0x6174_6f6d_6963_7066,
        upper: 0x0001_c0de_0000_0011,
    };
    const NAME: &'static str = "Ledger";
}

/// Throws a core error as an Error with its own code and properties.
unsafe fn fail(env: Env, e: Error) -> raw::Result<Value> {
    let message = e.to_string();
    let account = |id: u64| js::u64_number_or_bigint(env, id);
    let amount = |a: i64| bytes::i64_number_or_bigint(env, a);
    match e {
        Error::UnknownAccount(id) => bytes::throw_with(
            env,
            Class::Error,
            "AP_ERR_UNKNOWN_ACCOUNT",
            &message,
            &[("account\0", account(id)?)],
        ),
        Error::AccountExists(id) => bytes::throw_with(
            env,
            Class::Error,
            "AP_ERR_ACCOUNT_EXISTS",
            &message,
            &[("account\0", account(id)?)],
        ),
        Error::InvalidAmount(a) => bytes::throw_with(
            env,
            Class::Error,
            "AP_ERR_INVALID_AMOUNT",
            &message,
            &[("amount\0", amount(a)?)],
        ),
        Error::SameAccount(id) => bytes::throw_with(
            env,
            Class::Error,
            "AP_ERR_SAME_ACCOUNT",
            &message,
            &[("account\0", account(id)?)],
        ),
        Error::InsufficientFunds {
            account: id,
            balance,
            amount: a,
        } => bytes::throw_with(
            env,
            Class::Error,
            "AP_ERR_INSUFFICIENT_FUNDS",
            &message,
            &[
                ("account\0", account(id)?),
                ("balance\0", amount(balance)?),
                ("amount\0", amount(a)?),
            ],
        ),
        Error::BalanceOverflow(id) => bytes::throw_with(
            env,
            Class::Error,
            "AP_ERR_OVERFLOW",
            &message,
            &[("account\0", account(id)?)],
        ),
        Error::AccountClosed(id) => bytes::throw_with(
            env,
            Class::Error,
            "AP_ERR_ACCOUNT_CLOSED",
            &message,
            &[("account\0", account(id)?)],
        ),
        Error::AccountNotEmpty {
            account: id,
            balance,
        } => bytes::throw_with(
            env,
            Class::Error,
            "AP_ERR_ACCOUNT_NOT_EMPTY",
            &message,
            &[("account\0", account(id)?), ("balance\0", amount(balance)?)],
        ),
        other => Err(Fail::from(other)),
    }
}

/// A typed array's kind, element count and data (NULL when empty), or `None` for anything else.
unsafe fn typed_array(
    env: Env,
    v: Value,
) -> raw::Result<Option<(sys::napi_typedarray_type, usize, *mut u8)>> {
    let mut is_typed = false;
    raw::check(
        sys::napi_is_typedarray(env, v, &mut is_typed),
        "checking a typed array",
    )?;
    if !is_typed {
        return Ok(None);
    }
    let (mut kind, mut len, mut data) = (0, 0usize, std::ptr::null_mut());
    let (mut buffer, mut offset) = (std::ptr::null_mut(), 0usize);
    raw::check(
        sys::napi_get_typedarray_info(
            env,
            v,
            &mut kind,
            &mut len,
            &mut data,
            &mut buffer,
            &mut offset,
        ),
        "reading a typed array",
    )?;
    Ok(Some((kind, len, data.cast())))
}

/// 2^63 and 2^64 as f64: the first numbers past the i64 and u64 ranges.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

fn id_of(d: f64, i: usize, what: &str) -> raw::Result<u64> {
    if (0.0..TWO_POW_64).contains(&d) && d.fract() == 0.0 {
        Ok(d as u64)
    } else {
        Err(Fail::range(format!(
            "transfers[{i}] {what} must be an integer from 0 to 2^64-1, got {d}"
        )))
    }
}

fn amount_of(d: f64, i: usize) -> raw::Result<i64> {
    if (-TWO_POW_63..TWO_POW_63).contains(&d) && d.fract() == 0.0 {
        Ok(d as i64)
    } else {
        Err(Fail::range(format!(
            "transfers[{i}] amount must be an integer from -2^63 to 2^63-1, got {d}"
        )))
    }
}

/// The batch of `ledgerTransferMany`, converted whole before any transfer runs.
unsafe fn batch(env: Env, v: Value) -> raw::Result<Vec<(u64, u64, i64)>> {
    if let Some((kind, len, data)) = typed_array(env, v)? {
        if kind != sys::TypedarrayType::float64_array || len % 3 != 0 {
            return Err(Fail::type_error(
                "transfers must be an array of [from, to, amount] arrays",
            ));
        }
        let values: &[f64] = if len == 0 {
            &[]
        } else {
            // SAFETY: a Float64Array of `len` elements at `data`, kept alive by the argument;
            // no JS runs while this slice is read.
            std::slice::from_raw_parts(data.cast::<f64>(), len)
        };
        return values
            .chunks_exact(3)
            .enumerate()
            .map(|(i, t)| {
                Ok((
                    id_of(t[0], i, "from")?,
                    id_of(t[1], i, "to")?,
                    amount_of(t[2], i)?,
                ))
            })
            .collect();
    }
    let items = js::to_array(env, v, "transfers")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let triple = js::to_array(env, item, &format!("transfers[{i}]"))?;
        let [from, to, amount] = <[Value; 3]>::try_from(triple).map_err(|t| {
            Fail::type_error(format!(
                "transfers[{i}] must be a [from, to, amount] array, got {} elements",
                t.len()
            ))
        })?;
        out.push((
            raw::to_u64(env, from, &format!("transfers[{i}] from"))?,
            raw::to_u64(env, to, &format!("transfers[{i}] to"))?,
            bytes::to_i64(env, amount, &format!("transfers[{i}] amount"))?,
        ));
    }
    Ok(out)
}

/// The new balance after a deposit or withdrawal, or the thrown error.
unsafe fn balance_or_fail(env: Env, r: Result<i64, Error>) -> raw::Result<Value> {
    match r {
        Ok(b) => bytes::i64_number_or_bigint(env, b),
        Err(e) => fail(env, e),
    }
}

callbacks! {
    fn ledger_new(env, _info) {
        raw::new_handle(env, Ledger::new())
    }

    /// `ledgerOpen(h, id, overdraft: boolean)`.
    fn ledger_open(env, info) {
        let [h, id, overdraft] = raw::args::<3>(env, info)?;
        let l = raw::handle::<Ledger>(env, h)?;
        let id = raw::to_u64(env, id, "id")?;
        let overdraft = js::to_bool_or(env, overdraft, false, "overdraft")?;
        match l.open(id, overdraft) {
            Ok(()) => Ok(raw::UNDEFINED),
            Err(e) => fail(env, e),
        }
    }

    /// `ledgerOpenHot(h, id, overdraft: boolean)`.
    fn ledger_open_hot(env, info) {
        let [h, id, overdraft] = raw::args::<3>(env, info)?;
        let l = raw::handle::<Ledger>(env, h)?;
        let id = raw::to_u64(env, id, "id")?;
        let overdraft = js::to_bool_or(env, overdraft, false, "overdraft")?;
        match l.open_hot(id, overdraft) {
            Ok(()) => Ok(raw::UNDEFINED),
            Err(e) => fail(env, e),
        }
    }

    /// `ledgerClose(h, id)`.
    fn ledger_close(env, info) {
        let [h, id] = raw::args::<2>(env, info)?;
        let l = raw::handle::<Ledger>(env, h)?;
        match l.close(raw::to_u64(env, id, "id")?) {
            Ok(()) => Ok(raw::UNDEFINED),
            Err(e) => fail(env, e),
        }
    }

    /// `ledgerReopen(h, id)`.
    fn ledger_reopen(env, info) {
        let [h, id] = raw::args::<2>(env, info)?;
        let l = raw::handle::<Ledger>(env, h)?;
        match l.reopen(raw::to_u64(env, id, "id")?) {
            Ok(()) => Ok(raw::UNDEFINED),
            Err(e) => fail(env, e),
        }
    }

    /// `ledgerTransferMany(h, transfers: Float64Array | [from, to, amount][], statuses:
    /// Uint8Array): number` (how many failed; each status code in `statuses`).
    fn ledger_transfer_many(env, info) {
        let [h, transfers, statuses] = raw::args::<3>(env, info)?;
        let l = raw::handle::<Ledger>(env, h)?;
        let batch = batch(env, transfers)?;
        let out = match typed_array(env, statuses)? {
            Some((sys::TypedarrayType::uint8_array, len, data)) if len == batch.len() => data,
            _ => {
                return Err(Fail::type_error(format!(
                    "statuses must be a Uint8Array of {} elements",
                    batch.len()
                )))
            }
        };
        let mut failed = 0usize;
        for (i, r) in l.transfer_many(&batch).into_iter().enumerate() {
            let code = match r {
                Ok(()) => 0,
                Err(e) => {
                    failed += 1;
                    e.status().code()
                }
            };
            // SAFETY: `statuses` holds batch.len() bytes (checked above), kept alive by the
            // argument; status codes are small (below 256).
            out.add(i).write(code as u8);
        }
        raw::from_f64(env, failed as f64)
    }

    /// `ledgerStatusNames(): string[]`: the status names by code, to read `statuses` with.
    fn ledger_status_names(env, _info) {
        let all = atomicperf::Status::ALL;
        let names = js::array(env, all.len())?;
        for s in all {
            js::set_element(env, names, s.code() as u32, js::string(env, s.name())?)?;
        }
        Ok(names)
    }

    /// `ledgerDeposit(h, id, amount): number | bigint` (the new balance).
    fn ledger_deposit(env, info) {
        let [h, id, amount] = raw::args::<3>(env, info)?;
        let l = raw::handle::<Ledger>(env, h)?;
        let id = raw::to_u64(env, id, "id")?;
        let amount = bytes::to_i64(env, amount, "amount")?;
        balance_or_fail(env, l.deposit(id, amount))
    }

    /// `ledgerWithdraw(h, id, amount): number | bigint` (the new balance).
    fn ledger_withdraw(env, info) {
        let [h, id, amount] = raw::args::<3>(env, info)?;
        let l = raw::handle::<Ledger>(env, h)?;
        let id = raw::to_u64(env, id, "id")?;
        let amount = bytes::to_i64(env, amount, "amount")?;
        balance_or_fail(env, l.withdraw(id, amount))
    }

    /// `ledgerTransfer(h, from, to, amount)`.
    fn ledger_transfer(env, info) {
        let [h, from, to, amount] = raw::args::<4>(env, info)?;
        let l = raw::handle::<Ledger>(env, h)?;
        let from = raw::to_u64(env, from, "from")?;
        let to = raw::to_u64(env, to, "to")?;
        let amount = bytes::to_i64(env, amount, "amount")?;
        match l.transfer(from, to, amount) {
            Ok(()) => Ok(raw::UNDEFINED),
            Err(e) => fail(env, e),
        }
    }

    fn ledger_balance(env, info) {
        let [h, id] = raw::args::<2>(env, info)?;
        let l = raw::handle::<Ledger>(env, h)?;
        match l.balance(raw::to_u64(env, id, "id")?) {
            Ok(b) => bytes::from_i64_exact(env, b, "balance", "use balanceBigInt()"),
            Err(e) => fail(env, e),
        }
    }

    fn ledger_balance_bigint(env, info) {
        let [h, id] = raw::args::<2>(env, info)?;
        let l = raw::handle::<Ledger>(env, h)?;
        match l.balance(raw::to_u64(env, id, "id")?) {
            Ok(b) => bytes::i128_bigint(env, i128::from(b)),
            Err(e) => fail(env, e),
        }
    }

    fn ledger_total(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        let t = raw::handle::<Ledger>(env, h)?.total();
        match i64::try_from(t) {
            Ok(t) => bytes::from_i64_exact(env, t, "total", "use totalBigInt()"),
            Err(_) => Err(Fail::range(format!(
                "total {t} is beyond Number.MAX_SAFE_INTEGER and would lose precision; use totalBigInt()"
            ))),
        }
    }

    fn ledger_total_bigint(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        bytes::i128_bigint(env, raw::handle::<Ledger>(env, h)?.total())
    }

    fn ledger_size(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        raw::from_f64(env, raw::handle::<Ledger>(env, h)?.len() as f64)
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
