use std::cell::{Cell, RefCell};
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Once, OnceLock};

use atomicperf::Status;

/// Result of a fallible call: AP_OK (0) or one of the AP_ERR_* codes below.
pub type ap_status = i32;

/// Success.
pub const AP_OK: ap_status = 0;
/// A handle argument was NULL.
pub const AP_ERR_NULL_HANDLE: ap_status = 1;
/// An out-pointer or input buffer was NULL.
pub const AP_ERR_NULL_POINTER: ap_status = 2;
/// An argument was outside its documented range (precision, quantile, stripe count...).
pub const AP_ERR_OUT_OF_RANGE: ap_status = 3;
/// The metric holds no value yet (min, max, mean or a quantile of an empty histogram).
pub const AP_ERR_EMPTY: ap_status = 4;
/// A caller buffer was too small; the needed length was written back.
pub const AP_ERR_BUFFER_TOO_SMALL: ap_status = 5;
/// An argument was invalid in a way other than its range (reserved for names and encodings).
pub const AP_ERR_INVALID_ARGUMENT: ap_status = 6;
/// A bug inside the library was caught at the boundary (a Rust panic); please report it.
pub const AP_ERR_INTERNAL: ap_status = 7;
/// A wait ran out of time before the operation could complete.
pub const AP_ERR_TIMEOUT: ap_status = 8;
/// The object was closed and accepts no more work.
pub const AP_ERR_CLOSED: ap_status = 9;
/// No account has this id.
pub const AP_ERR_UNKNOWN_ACCOUNT: ap_status = 10;
/// An account with this id is already open.
pub const AP_ERR_ACCOUNT_EXISTS: ap_status = 11;
/// An amount that is zero or negative.
pub const AP_ERR_INVALID_AMOUNT: ap_status = 12;
/// A transfer from an account to itself.
pub const AP_ERR_SAME_ACCOUNT: ap_status = 13;
/// Not enough money in an account that does not allow overdraft; nothing was changed.
pub const AP_ERR_INSUFFICIENT_FUNDS: ap_status = 14;
/// A result would not fit its integer type (a balance, a total); nothing was changed.
pub const AP_ERR_OVERFLOW: ap_status = 15;
/// A compare-and-store found another revision than the expected one; nothing was stored.
pub const AP_ERR_REVISION_MISMATCH: ap_status = 16;
/// The account is closed; reopen it to use it again.
pub const AP_ERR_ACCOUNT_CLOSED: ap_status = 17;
/// Only an account with balance zero and no transfer in flight can be closed.
pub const AP_ERR_ACCOUNT_NOT_EMPTY: ap_status = 18;
/// A request to another process failed (a server unreachable, silent past the timeout, or
/// answering with an error status); ap_last_error() says which.
pub const AP_ERR_IO: ap_status = 19;

// Each constant is the number of its row in the core's status table (atomicperf::Status); a test
// checks every row has its constant and every constant its row.

/// A static, NUL-terminated name for a status code, e.g. "AP_ERR_NULL_HANDLE: null handle".
/// Unknown codes give "AP_ERR_UNKNOWN: unknown status". Never NULL; do not free.
#[no_mangle]
pub extern "C" fn ap_status_str(status: ap_status) -> *const c_char {
    // "NAME: text" for every status of the core's table, NUL-terminated, built once.
    static TABLE: OnceLock<Vec<CString>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        Status::ALL
            .iter()
            .map(|s| CString::new(format!("{}: {}", s.name(), s.text())).unwrap_or_default())
            .collect()
    });
    match Status::from_code(status) {
        Some(s) => table[s.code() as usize].as_ptr(),
        None => c"AP_ERR_UNKNOWN: unknown status".as_ptr(),
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// This thread's message for its most recent failed call ("" if none failed yet). The pointer
/// stays valid until the next failing call on the same thread; successful calls leave it alone.
/// Never NULL; do not free.
#[no_mangle]
pub extern "C" fn ap_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// A failure on its way to the caller: the status returned and the message kept for
/// `ap_last_error`.
pub(crate) struct Fail {
    status: ap_status,
    message: String,
}

impl Fail {
    pub(crate) fn new(status: ap_status, message: impl Into<String>) -> Self {
        Fail {
            status,
            message: message.into(),
        }
    }
}

impl From<atomicperf::Error> for Fail {
    fn from(e: atomicperf::Error) -> Self {
        // The core decides the status of every error (Error::status, exhaustive there).
        Fail::new(e.status().code(), e.to_string())
    }
}

/// Runs one API call named `what`: a `Fail` becomes its status and a message prefixed with the
/// function's name; a panic becomes AP_ERR_INTERNAL, with the panic's message in
/// `ap_last_error()` instead of on the host program's stderr.
pub(crate) fn guard(what: &str, f: impl FnOnce() -> Result<(), Fail>) -> ap_status {
    let fail = match catch_quietly(f) {
        Ok(Ok(())) => return AP_OK,
        Ok(Err(fail)) => fail,
        Err(panic) => Fail::new(
            AP_ERR_INTERNAL,
            format!("internal error: a panic was caught at the C boundary ({panic})"),
        ),
    };
    let message =
        CString::new(format!("{what}: {}", fail.message).replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = message);
    fail.status
}

/// Runs a call that returns nothing to report (`*_free`, `*_abandon`): a panic is caught and
/// kept in `ap_last_error()`, never unwound into the caller.
pub(crate) fn guard_void(what: &str, f: impl FnOnce()) {
    guard(what, || {
        f();
        Ok(())
    });
}

thread_local! {
    /// Nesting depth of `catch_quietly` on this thread: its panics are reported, not printed.
    static QUIET: Cell<u32> = const { Cell::new(0) };
    /// The message of the last panic caught quietly on this thread.
    static PANIC_MESSAGE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// `catch_unwind`, with the panic's message returned instead of printed: the default hook would
/// write it (and a backtrace hint) to the stderr of a program that has nothing to do with Rust.
/// Panics outside a C call still reach the previous hook.
fn catch_quietly<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) > 0 {
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                let at = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                PANIC_MESSAGE.with(|m| *m.borrow_mut() = format!("{message}{at}"));
            } else {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(q.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get() - 1));
    result.map_err(|_| PANIC_MESSAGE.with(|m| std::mem::take(&mut *m.borrow_mut())))
}

/// An out-pointer checked before any work is done, so that a NULL one costs nothing (no object
/// is created and leaked) and takes precedence over every other error.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    pub(crate) fn new(out: *mut T) -> Result<Self, Fail> {
        if out.is_null() {
            return Err(Fail::new(AP_ERR_NULL_POINTER, "out-pointer is NULL"));
        }
        Ok(Out(out))
    }

    pub(crate) fn write(self, value: T) -> Result<(), Fail> {
        // SAFETY: non-null (checked in `new`); an `Out` only wraps an out-pointer argument of a
        // C API function, which the C caller passes as NULL or writable storage for a `T` (the
        // header's contract for every out-pointer).
        unsafe { self.0.write(value) };
        Ok(())
    }
}

/// A `len`-element input array; NULL is accepted only when `len` is 0.
pub(crate) fn input_slice<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], Fail> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Fail::new(
            AP_ERR_NULL_POINTER,
            format!("values is NULL with len {len}"),
        ));
    }
    // SAFETY: non-null with len > 0 (checked above); `ptr` and `len` are always an (array,
    // length) argument pair of a C API function, whose # Safety makes `ptr` hold `len` readable,
    // initialised elements that stay unchanged for the call.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Copies `bytes` into a caller buffer of `capacity`, writing the length to `len` first: too
/// small a buffer is AP_ERR_BUFFER_TOO_SMALL with the needed length in `len`.
pub(crate) fn write_bytes(
    bytes: &[u8],
    buf: *mut u8,
    capacity: usize,
    len: Out<usize>,
) -> Result<(), Fail> {
    len.write(bytes.len())?;
    if bytes.len() > capacity {
        return Err(Fail::new(
            AP_ERR_BUFFER_TOO_SMALL,
            format!("{} bytes needed, buffer holds {capacity}", bytes.len()),
        ));
    }
    if !bytes.is_empty() {
        if buf.is_null() {
            return Err(Fail::new(AP_ERR_NULL_POINTER, "buffer is NULL"));
        }
        // SAFETY: `buf` is non-null (checked above) and, with `capacity`, an argument pair of a C
        // API function whose # Safety makes it hold `capacity` writable bytes; bytes.len() <=
        // capacity (checked above); `bytes` is the library's own data, never handed to the
        // caller as writable, so it cannot overlap `buf`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len()) };
    }
    Ok(())
}

/// Writes through an optional out-pointer (NULL means the caller does not want the value).
pub(crate) fn write_opt<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-null (checked just above); `out` is always an optional out-pointer
        // argument of a C API function, which the C caller passes as NULL or writable storage
        // for a `T` (the header's contract for every out-pointer).
        unsafe { out.write(value) };
    }
}

/// Something that is there or not: the empty case becomes AP_ERR_EMPTY.
pub(crate) fn present<T>(v: Option<T>) -> Result<T, Fail> {
    v.ok_or_else(|| Fail::new(AP_ERR_EMPTY, "nothing was recorded"))
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;

    /// Every AP_* constant of this file, by name.
    const CONSTANTS: &[(&str, ap_status)] = &[
        ("AP_OK", AP_OK),
        ("AP_ERR_NULL_HANDLE", AP_ERR_NULL_HANDLE),
        ("AP_ERR_NULL_POINTER", AP_ERR_NULL_POINTER),
        ("AP_ERR_OUT_OF_RANGE", AP_ERR_OUT_OF_RANGE),
        ("AP_ERR_EMPTY", AP_ERR_EMPTY),
        ("AP_ERR_BUFFER_TOO_SMALL", AP_ERR_BUFFER_TOO_SMALL),
        ("AP_ERR_INVALID_ARGUMENT", AP_ERR_INVALID_ARGUMENT),
        ("AP_ERR_INTERNAL", AP_ERR_INTERNAL),
        ("AP_ERR_TIMEOUT", AP_ERR_TIMEOUT),
        ("AP_ERR_CLOSED", AP_ERR_CLOSED),
        ("AP_ERR_UNKNOWN_ACCOUNT", AP_ERR_UNKNOWN_ACCOUNT),
        ("AP_ERR_ACCOUNT_EXISTS", AP_ERR_ACCOUNT_EXISTS),
        ("AP_ERR_INVALID_AMOUNT", AP_ERR_INVALID_AMOUNT),
        ("AP_ERR_SAME_ACCOUNT", AP_ERR_SAME_ACCOUNT),
        ("AP_ERR_INSUFFICIENT_FUNDS", AP_ERR_INSUFFICIENT_FUNDS),
        ("AP_ERR_OVERFLOW", AP_ERR_OVERFLOW),
        ("AP_ERR_REVISION_MISMATCH", AP_ERR_REVISION_MISMATCH),
        ("AP_ERR_ACCOUNT_CLOSED", AP_ERR_ACCOUNT_CLOSED),
        ("AP_ERR_ACCOUNT_NOT_EMPTY", AP_ERR_ACCOUNT_NOT_EMPTY),
        ("AP_ERR_IO", AP_ERR_IO),
    ];

    #[test]
    fn every_status_of_the_core_table_has_its_constant_and_name() {
        assert_eq!(CONSTANTS.len(), Status::ALL.len());
        for (status, (name, code)) in Status::ALL.iter().zip(CONSTANTS) {
            assert_eq!((status.name(), status.code()), (*name, *code));
            // SAFETY: ap_status_str returns a pointer into its static table of NUL-terminated
            // strings, never freed.
            let text = unsafe { CStr::from_ptr(ap_status_str(*code)) }
                .to_str()
                .unwrap();
            assert_eq!(text, format!("{}: {}", status.name(), status.text()));
        }
        // SAFETY: for an unknown code too, ap_status_str returns a static NUL-terminated string.
        let unknown = unsafe { CStr::from_ptr(ap_status_str(999)) };
        assert_eq!(unknown.to_str().unwrap(), "AP_ERR_UNKNOWN: unknown status");
    }

    #[test]
    fn the_header_defines_exactly_the_core_statuses() {
        let header = include_str!("../../include/atomicperf.h");
        let defined: Vec<&str> = header
            .lines()
            .filter_map(|l| l.strip_prefix("#define AP_"))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| *n == "OK" || n.starts_with("ERR_"))
            .collect();
        let expected: Vec<String> = Status::ALL
            .iter()
            .map(|s| s.name().trim_start_matches("AP_").to_string())
            .collect();
        assert_eq!(defined, expected);
    }
}
