use std::fmt;

/// What can go wrong when a primitive is given an argument it cannot honour.
///
/// Every variant carries the offending value so that the message (and the bindings' exceptions,
/// which reuse it) says exactly what was wrong.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// Histogram precision outside 1..=5 significant figures.
    InvalidPrecision(u8),
    /// Histogram highest trackable value too small (it must be at least 2).
    InvalidHighestValue(u64),
    /// Quantile outside `[0, 1]` or NaN.
    InvalidQuantile(f64),
    /// Stripe count that is zero or not a power of two.
    InvalidStripes(usize),
    /// A configuration value that cannot work (zero buckets, zero window, zero workers...).
    InvalidConfig(String),
    /// An argument that does not fit the call (an event of the wrong kind for an async recorder).
    InvalidArgument(String),
    /// No account has this id.
    UnknownAccount(u64),
    /// An account with this id is already open.
    AccountExists(u64),
    /// The account is closed (reopen it first).
    AccountClosed(u64),
    /// Only an empty account can be closed: this one has a balance, or a transfer from it is in
    /// flight (balance 0 then).
    AccountNotEmpty {
        /// The account.
        account: u64,
        /// Its balance.
        balance: i64,
    },
    /// An amount that is zero or negative.
    InvalidAmount(i64),
    /// A transfer from an account to itself.
    SameAccount(u64),
    /// A withdrawal or transfer that would take an account without overdraft below zero.
    InsufficientFunds {
        /// The account.
        account: u64,
        /// Its balance.
        balance: i64,
        /// The amount asked for.
        amount: i64,
    },
    /// A balance that would leave the range of i64.
    BalanceOverflow(u64),
    /// The primitive was closed; it accepts no more work.
    Closed,
    /// A wait ran out of time before the operation could complete.
    Timeout,
    /// The primitive was created before a `fork()` and owns threads that do not exist in this
    /// child process (an async recorder's workers); create a new one in the child.
    Forked,
    /// A request to another process failed: a server that cannot be reached, does not answer in
    /// time or answers with an error status (a Pushgateway push). The message says which.
    Io(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidPrecision(p) => {
                write!(f, "precision must be 1 to 5 significant figures, got {p}")
            }
            Error::InvalidHighestValue(h) => {
                write!(f, "highest trackable value must be at least 2, got {h}")
            }
            Error::InvalidQuantile(q) => write!(f, "quantile must be within [0, 1], got {q}"),
            Error::InvalidStripes(n) => {
                write!(
                    f,
                    "stripe count must be a power of two from 1 to 1024, got {n}"
                )
            }
            Error::InvalidConfig(why) => write!(f, "invalid configuration: {why}"),
            Error::InvalidArgument(why) => write!(f, "invalid argument: {why}"),
            Error::UnknownAccount(id) => write!(f, "unknown account {id}"),
            Error::AccountExists(id) => write!(f, "account {id} is already open"),
            Error::AccountClosed(id) => {
                write!(f, "account {id} is closed (reopen it to use it again)")
            }
            Error::AccountNotEmpty { account, balance } => write!(
                f,
                "account {account} is not empty (balance {balance}, or a transfer from it in \
                 flight): only an account with balance 0 can be closed"
            ),
            Error::InvalidAmount(a) => write!(f, "amount must be greater than zero, got {a}"),
            Error::SameAccount(id) => write!(f, "cannot transfer from account {id} to itself"),
            Error::InsufficientFunds {
                account,
                balance,
                amount,
            } => {
                write!(
                    f,
                    "insufficient funds: account {account} has {balance}, {amount} requested"
                )
            }
            Error::BalanceOverflow(id) => write!(f, "balance of account {id} would overflow"),
            Error::Closed => write!(f, "closed: no more records are accepted"),
            Error::Timeout => write!(f, "timed out"),
            Error::Io(why) => write!(f, "{why}"),
            Error::Forked => write!(
                f,
                "closed in this process: created before fork(), its worker threads do not exist \
                 in the child; create a new one in the child"
            ),
        }
    }
}

impl std::error::Error for Error {}
