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
//! `AP_ERR_INSUFFICIENT_FUNDS` (.account, .balance, .amount), `AP_ERR_OVERFLOW` (.account).

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
        other => Err(Fail::from(other)),
    }
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
    export!("ledgerDeposit", ledger_deposit),
    export!("ledgerWithdraw", ledger_withdraw),
    export!("ledgerTransfer", ledger_transfer),
    export!("ledgerBalance", ledger_balance),
    export!("ledgerBalanceBigInt", ledger_balance_bigint),
    export!("ledgerTotal", ledger_total),
    export!("ledgerTotalBigInt", ledger_total_bigint),
    export!("ledgerSize", ledger_size),
];
