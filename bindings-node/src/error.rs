//! Failures on their way to JS: the error class (`Error`, `TypeError`, `RangeError`), the `code`
//! and the message.
//!
//! Every `code` is a row of the core's status table (`atomicperf::Status`: the name the C ABI
//! gives the status): a [`Fail`] holds a `Status`, never a string of its own, so Node reports
//! exactly the codes every other language does. [`REPORTED`] lists the rows a Node call can
//! report (`statusNames()` hands them to JS, and a test checks `index.d.ts` against them).

use atomicperf::Status;
use napi::sys;

use crate::callback::{callbacks, export, Env, Export, Value};
use crate::convert;

/// The JS error class of a failure.
#[derive(Clone, Copy)]
pub(crate) enum Class {
    Error,
    TypeError,
    RangeError,
}

/// A failure on its way to JS: class, status (its name is the error's `code`) and message.
pub(crate) struct Fail {
    class: Class,
    status: Status,
    message: String,
}

pub(crate) type Result<T> = std::result::Result<T, Fail>;

/// The statuses a Node call can report: every row of the core's table but success and the ones
/// only the C ABI has (a NULL handle or pointer, an empty result, which Node returns as `null`,
/// a caller's buffer that is too small, and a failed request of the C library's own Pushgateway
/// transport: Node's `Pushgateway` rejects with its own errors).
pub(crate) fn reported() -> impl Iterator<Item = Status> {
    const C_ONLY: [Status; 6] = [
        Status::Ok,
        Status::NullHandle,
        Status::NullPointer,
        Status::Empty,
        Status::BufferTooSmall,
        Status::Io,
    ];
    Status::ALL.iter().copied().filter(|s| !C_ONLY.contains(s))
}

impl Fail {
    fn new(class: Class, status: Status, message: String) -> Self {
        debug_assert!(
            reported().any(|s| s == status),
            "{status:?} is not a status Node reports"
        );
        Fail {
            class,
            status,
            message,
        }
    }

    /// TypeError, code `AP_ERR_INVALID_ARGUMENT`: the argument has the wrong JS type.
    pub(crate) fn type_error(message: impl Into<String>) -> Self {
        Fail::new(Class::TypeError, Status::InvalidArgument, message.into())
    }

    /// RangeError, code `AP_ERR_OUT_OF_RANGE`: right type, value outside what is allowed.
    pub(crate) fn range(message: impl Into<String>) -> Self {
        Fail::new(Class::RangeError, Status::OutOfRange, message.into())
    }

    /// A plain Error with the given status as its code (`AP_ERR_CLOSED`, `AP_ERR_TIMEOUT`...).
    pub(crate) fn error(status: Status, message: impl Into<String>) -> Self {
        Fail::new(Class::Error, status, message.into())
    }

    /// An Error with code `AP_ERR_INTERNAL`: a bug of this binding or a failed N-API call.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Fail::new(Class::Error, Status::Internal, message.into())
    }

    /// The error as a JS value, not thrown: the reason of a Promise settled on the JS thread.
    pub(crate) fn into_value<'s>(self, env: Env<'s>) -> Result<Value<'s>> {
        let code = convert::string(env, self.status.name())?;
        let message = convert::string(env, &self.message)?;
        let create = match self.class {
            Class::Error => sys::napi_create_error,
            Class::TypeError => sys::napi_create_type_error,
            Class::RangeError => sys::napi_create_range_error,
        };
        // SAFETY: `env` is live; `code` and `message` are strings of its scope, as the three
        // napi_create_*error functions require, and each writes the error it creates.
        unsafe {
            env.make("creating an error", |e, out| {
                create(e, code.raw(), message.raw(), out)
            })
        }
    }

    /// Throws the error in `env` (the callback then returns; the pending exception wins).
    pub(crate) fn throw(self, env: Env<'_>) {
        match self.into_value(env) {
            Ok(error) => {
                // SAFETY: `env` is live and `error` an Error of its scope.
                unsafe { sys::napi_throw(env.raw(), error.raw()) };
            }
            Err(_) => {
                // Creating the error failed (no memory, or an exception already pending): a
                // static one, whose strings need no allocation.
                // SAFETY: `env` is live; both strings are NUL-terminated and 'static.
                unsafe {
                    sys::napi_throw_error(
                        env.raw(),
                        c"AP_ERR_INTERNAL".as_ptr(),
                        c"atomicperf: could not create an error".as_ptr(),
                    )
                };
            }
        }
    }

    /// Throws the error with extra properties (`name` NUL-terminated) and returns the
    /// `undefined` a callback then returns (the pending exception wins).
    pub(crate) fn throw_with<'s>(
        self,
        env: Env<'s>,
        props: &[(&str, Value<'s>)],
    ) -> Result<Value<'s>> {
        let error = self.into_value(env)?;
        for &(name, v) in props {
            convert::set(env, error, name, v)?;
        }
        // SAFETY: `env` is live and `error` an Error of its scope.
        let status = unsafe { sys::napi_throw(env.raw(), error.raw()) };
        check(status, "throwing an error")?;
        Ok(Value::UNDEFINED)
    }
}

impl From<atomicperf::Error> for Fail {
    fn from(e: atomicperf::Error) -> Self {
        // The status every language reports (`atomicperf::Status`) is the code: a wrong kind of
        // argument is a TypeError, a value outside its range a RangeError, anything else (a
        // closed primitive, a timed-out wait, a ledger error) a plain Error.
        match e.status() {
            Status::InvalidArgument => Fail::type_error(e.to_string()),
            Status::OutOfRange => Fail::range(e.to_string()),
            status => Fail::error(status, e.to_string()),
        }
    }
}

/// `Ok` for `napi_ok`, otherwise an internal error naming what failed.
#[inline(always)]
pub(crate) fn check(status: sys::napi_status, what: &str) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Fail::internal(format!(
            "N-API call failed while {what} (status {status})"
        )))
    }
}

callbacks! {
    /// `statusNames(): string[]`: the `code` of every status a Node error can carry, in the
    /// order of the core's table.
    fn status_names(env, _info) {
        let names: Vec<&str> = reported().map(Status::name).collect();
        let out = convert::array(env, names.len())?;
        for (i, name) in names.into_iter().enumerate() {
            convert::set_element(env, out, i as u32, convert::string(env, name)?)?;
        }
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[export!("statusNames", status_names)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_error_maps_to_a_status_node_reports() {
        use atomicperf::Error;
        let samples = [
            Error::InvalidPrecision(9),
            Error::InvalidHighestValue(1),
            Error::InvalidQuantile(2.0),
            Error::InvalidStripes(3),
            Error::InvalidConfig("x".into()),
            Error::InvalidArgument("x".into()),
            Error::UnknownAccount(1),
            Error::AccountExists(1),
            Error::AccountClosed(1),
            Error::AccountNotEmpty {
                account: 1,
                balance: 1,
            },
            Error::InvalidAmount(0),
            Error::SameAccount(1),
            Error::InsufficientFunds {
                account: 1,
                balance: 0,
                amount: 1,
            },
            Error::BalanceOverflow(1),
            Error::Closed,
            Error::Forked,
            Error::Timeout,
        ];
        for e in samples {
            let status = e.status();
            assert!(reported().any(|s| s == status), "{e:?} -> {status:?}");
        }
    }

    #[test]
    fn reported_statuses_are_the_table_without_the_c_only_rows() {
        let names: Vec<&str> = reported().map(Status::name).collect();
        assert_eq!(names.len(), Status::ALL.len() - 6);
        assert!(names.contains(&"AP_ERR_REVISION_MISMATCH"));
        assert!(names.contains(&"AP_ERR_INTERNAL"));
        assert!(!names.contains(&"AP_OK") && !names.contains(&"AP_ERR_EMPTY"));
    }
}
