//! The status codes every language reports, defined once. The C ABI's `ap_status` values
//! (`AP_ERR_*`), Go's `Code` constants, Node's error `code` strings and Python's exception
//! mapping are this table; each binding's tests check that it covers every row.

use crate::Error;

macro_rules! statuses {
    ($($variant:ident = $code:literal, $name:literal, $text:literal, $doc:literal;)*) => {
        /// What a call reports: success or one kind of failure. Numbered as the C ABI's
        /// `ap_status`; the numbers never change (new kinds are added at the end).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Status {
            $(#[doc = $doc] $variant = $code,)*
        }

        impl Status {
            /// Every status, in code order.
            pub const ALL: &'static [Status] = &[$(Status::$variant),*];

            /// The C ABI's number for it (`ap_status`).
            pub const fn code(self) -> i32 {
                self as i32
            }

            /// The C ABI's name, which is also Node's error `code` (`"AP_ERR_TIMEOUT"`).
            pub const fn name(self) -> &'static str {
                match self { $(Status::$variant => $name,)* }
            }

            /// A short description (`"timed out"`).
            pub const fn text(self) -> &'static str {
                match self { $(Status::$variant => $text,)* }
            }

            /// The status numbered `code`, if there is one.
            pub const fn from_code(code: i32) -> Option<Status> {
                match code { $($code => Some(Status::$variant),)* _ => None }
            }
        }
    };
}

statuses! {
    Ok = 0, "AP_OK", "success", "Success.";
    NullHandle = 1, "AP_ERR_NULL_HANDLE", "null handle", "A handle argument was NULL.";
    NullPointer = 2, "AP_ERR_NULL_POINTER", "null pointer argument",
        "An out-pointer or input buffer was NULL.";
    OutOfRange = 3, "AP_ERR_OUT_OF_RANGE", "argument out of range",
        "An argument was outside its documented range (precision, quantile, stripe count...).";
    Empty = 4, "AP_ERR_EMPTY", "no value recorded",
        "The metric holds no value yet (min, max, mean or a quantile of an empty histogram).";
    BufferTooSmall = 5, "AP_ERR_BUFFER_TOO_SMALL", "buffer too small",
        "A caller buffer was too small; the needed length was written back.";
    InvalidArgument = 6, "AP_ERR_INVALID_ARGUMENT", "invalid argument",
        "An argument was invalid in a way other than its range (names, encodings, kinds).";
    Internal = 7, "AP_ERR_INTERNAL", "internal error",
        "A bug inside the library was caught at the boundary (a Rust panic); please report it.";
    Timeout = 8, "AP_ERR_TIMEOUT", "timed out",
        "A wait ran out of time before the operation could complete.";
    Closed = 9, "AP_ERR_CLOSED", "closed", "The object was closed and accepts no more work.";
    UnknownAccount = 10, "AP_ERR_UNKNOWN_ACCOUNT", "unknown account", "No account has this id.";
    AccountExists = 11, "AP_ERR_ACCOUNT_EXISTS", "account already open",
        "An account with this id is already open.";
    InvalidAmount = 12, "AP_ERR_INVALID_AMOUNT", "amount must be greater than zero",
        "An amount that is zero or negative.";
    SameAccount = 13, "AP_ERR_SAME_ACCOUNT", "transfer to the same account", "A transfer from an account to itself.";
    InsufficientFunds = 14, "AP_ERR_INSUFFICIENT_FUNDS", "insufficient funds",
        "Not enough money in an account that does not allow overdraft; nothing was changed.";
    Overflow = 15, "AP_ERR_OVERFLOW", "integer overflow",
        "A result would not fit its integer type (a balance, a total); nothing was changed.";
    RevisionMismatch = 16, "AP_ERR_REVISION_MISMATCH", "revision changed",
        "A compare-and-store found another revision than the expected one; nothing was stored.";
    AccountClosed = 17, "AP_ERR_ACCOUNT_CLOSED", "account closed",
        "The account is closed; reopen it to use it again.";
    AccountNotEmpty = 18, "AP_ERR_ACCOUNT_NOT_EMPTY", "account not empty",
        "Only an account with balance zero and no transfer in flight can be closed.";
    Io = 19, "AP_ERR_IO", "request failed",
        "A request to another process failed (a server unreachable, silent past the timeout, or \
         answering with an error status); the message says which.";
}

impl Error {
    /// The status this error is reported as, in every language. Exhaustive: a new error must be
    /// given its status here, or the crate does not compile.
    pub fn status(&self) -> Status {
        match self {
            Error::InvalidPrecision(_)
            | Error::InvalidHighestValue(_)
            | Error::InvalidQuantile(_)
            | Error::InvalidStripes(_)
            | Error::InvalidConfig(_) => Status::OutOfRange,
            Error::InvalidArgument(_) => Status::InvalidArgument,
            Error::UnknownAccount(_) => Status::UnknownAccount,
            Error::AccountExists(_) => Status::AccountExists,
            Error::AccountClosed(_) => Status::AccountClosed,
            Error::AccountNotEmpty { .. } => Status::AccountNotEmpty,
            Error::InvalidAmount(_) => Status::InvalidAmount,
            Error::SameAccount(_) => Status::SameAccount,
            Error::InsufficientFunds { .. } => Status::InsufficientFunds,
            Error::BalanceOverflow(_) => Status::Overflow,
            Error::Closed | Error::Forked => Status::Closed,
            Error::Timeout => Status::Timeout,
            Error::Io(_) => Status::Io,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_dense_unique_and_round_trip() {
        for (i, s) in Status::ALL.iter().enumerate() {
            assert_eq!(s.code(), i as i32, "{s:?}");
            assert_eq!(Status::from_code(s.code()), Some(*s));
            assert!(s.name().starts_with("AP_"), "{s:?}");
        }
        assert_eq!(Status::from_code(Status::ALL.len() as i32), None);
        assert_eq!(Status::from_code(-1), None);
    }

    #[test]
    fn no_error_is_reported_as_success() {
        let samples = [
            Error::InvalidPrecision(9),
            Error::InvalidConfig("x".into()),
            Error::InvalidArgument("x".into()),
            Error::UnknownAccount(1),
            Error::InsufficientFunds {
                account: 1,
                balance: 0,
                amount: 1,
            },
            Error::BalanceOverflow(1),
            Error::Closed,
            Error::Forked,
            Error::Timeout,
            Error::Io("x".into()),
        ];
        assert!(samples.iter().all(|e| e.status() != Status::Ok));
    }
}
