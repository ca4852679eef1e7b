use std::sync::Arc;
use std::time::Duration;

use atomicperf::{Claim, InitTicket, OnceMap};

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{
    ap_status, guard, input_slice, write_bytes, write_opt, Fail, Out, AP_ERR_NULL_HANDLE,
};

type BytesOnceMap = OnceMap<Vec<u8>, Vec<u8>>;

/// Get-or-initialise per byte-string key: concurrent callers for one key initialise it exactly
/// once and all receive the value; a failed initialisation is not cached. Initialisation is done
/// by the caller: ap_once_map_claim either returns the value or hands out an ap_once_ticket,
/// the exclusive right to initialise the key, which the caller completes with the value or
/// abandons (the next waiting caller then receives the ticket).
pub struct ApOnceMap {
    _opaque: [u8; 0],
}

/// The right to initialise one key of an ap_once_map: complete it with
/// ap_once_ticket_complete or give it up with ap_once_ticket_abandon (each frees the ticket).
/// Not reference counted; other callers of the key wait until then.
pub struct ApOnceTicket {
    _opaque: [u8; 0],
}

/// Creates an empty once-map. Errors: AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_once_map_new(out: *mut *mut ApOnceMap) -> ap_status {
    guard("ap_once_map_new", || {
        Out::new(out)?.write(into_handle::<BytesOnceMap, _>(Arc::new(OnceMap::new())))
    })
}

/// Returns another owning handle to the same once-map (NULL for NULL). Free each handle once.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_once_map_clone(m: *const ApOnceMap) -> *mut ApOnceMap {
    // SAFETY: the caller guarantees `m` is NULL or a live once-map handle (# Safety above), which
    // is what `clone_handle` requires.
    unsafe { clone_handle::<BytesOnceMap, _>(m) }
}

/// Releases one owner's handle; the map is freed with its last handle (outstanding tickets stay
/// valid). NULL is a no-op.
///
/// # Safety
/// `m` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_once_map_free(m: *mut ApOnceMap) {
    // SAFETY: the caller guarantees `m` is NULL or a once-map handle it owns and never uses again
    // (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<BytesOnceMap, _>(m) }
}

/// Returns the value of `key` or the right to initialise it. If the key is initialised, its value
/// is copied into `buf` (capacity bytes), its length written to *len and *ticket set to NULL.
/// Otherwise *ticket gets a ticket (and *len 0): initialise, then ap_once_ticket_complete or
/// ap_once_ticket_abandon. While another caller holds the key's ticket this call waits, at most
/// `timeout_ns` (UINT64_MAX: no limit).
/// Errors: AP_ERR_TIMEOUT; AP_ERR_BUFFER_TOO_SMALL (with *len set; call again with a larger
/// buffer); AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `m` is NULL or a live handle; `key` holds key_len bytes; `buf` holds capacity bytes; `len`
/// and `ticket` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_once_map_claim(
    m: *const ApOnceMap,
    key: *const u8,
    key_len: usize,
    timeout_ns: u64,
    buf: *mut u8,
    capacity: usize,
    len: *mut usize,
    ticket: *mut *mut ApOnceTicket,
) -> ap_status {
    guard("ap_once_map_claim", || {
        // SAFETY: the caller guarantees `m` is NULL or a live once-map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<BytesOnceMap, _>(m) }?;
        let (len, ticket) = (Out::new(len)?, Out::new(ticket)?);
        let key = input_slice(key, key_len)?.to_vec();
        let claim = match timeout_ns {
            u64::MAX => m.claim(key),
            t => m.claim_timeout(key, Duration::from_nanos(t))?,
        };
        match claim {
            Claim::Ready(v) => {
                ticket.write(std::ptr::null_mut())?;
                write_bytes(&v, buf, capacity, len)
            }
            Claim::Init(t) => {
                len.write(0)?;
                ticket.write(Box::into_raw(Box::new(t)).cast())
            }
        }
    })
}

/// Takes back ownership of the ticket behind a handle; dropping it abandons the initialisation.
///
/// # Safety
/// `t` is NULL or a ticket handle the caller owns and does not use afterwards.
unsafe fn take_ticket(t: *mut ApOnceTicket) -> Result<Box<InitTicket<Vec<u8>>>, Fail> {
    if t.is_null() {
        return Err(Fail::new(AP_ERR_NULL_HANDLE, "ticket is NULL"));
    }
    // SAFETY: non-null, so by the contract above `t` is the `Box<InitTicket>` that
    // ap_once_map_claim leaked, owned by the caller and given up here: it is freed once.
    Ok(unsafe { Box::from_raw(t.cast::<InitTicket<Vec<u8>>>()) })
}

/// Stores `value` (len bytes) as the key's value, wakes every waiter with it and frees the
/// ticket (also on error, except a NULL ticket). Errors: AP_ERR_NULL_HANDLE for a NULL ticket;
/// AP_ERR_NULL_POINTER for a NULL value with len > 0 (the ticket is then abandoned).
///
/// # Safety
/// `t` is NULL or a ticket the caller owns and does not use afterwards; `value` holds len bytes.
#[no_mangle]
pub unsafe extern "C" fn ap_once_ticket_complete(
    t: *mut ApOnceTicket,
    value: *const u8,
    len: usize,
) -> ap_status {
    guard("ap_once_ticket_complete", || {
        // SAFETY: the caller guarantees `t` is NULL or a ticket it owns and never uses again
        // (# Safety above), which is what `take_ticket` requires.
        let ticket = unsafe { take_ticket(t) }?;
        let value = input_slice(value, len)?.to_vec();
        ticket.complete(value);
        Ok(())
    })
}

/// Gives up the initialisation (a failed initialiser): nothing is cached, the next waiting caller
/// receives a ticket. Frees the ticket. NULL is a no-op.
///
/// # Safety
/// `t` is NULL or a ticket the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_once_ticket_abandon(t: *mut ApOnceTicket) {
    if !t.is_null() {
        // SAFETY: the caller guarantees `t` is a ticket it owns and never uses again (# Safety
        // above), which is what `take_ticket` requires; dropping the ticket abandons it.
        let ticket = unsafe { take_ticket(t) };
        crate::status::guard_void("ap_once_ticket_abandon", move || drop(ticket));
    }
}

/// Copies the value of `key`, if initialised, into `buf`; *found says whether it was.
/// Errors: AP_ERR_BUFFER_TOO_SMALL (with *len set); AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// As ap_map_get.
#[no_mangle]
pub unsafe extern "C" fn ap_once_map_get(
    m: *const ApOnceMap,
    key: *const u8,
    key_len: usize,
    buf: *mut u8,
    capacity: usize,
    len: *mut usize,
    found: *mut bool,
) -> ap_status {
    guard("ap_once_map_get", || {
        // SAFETY: the caller guarantees `m` is NULL or a live once-map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<BytesOnceMap, _>(m) }?;
        let (len, found) = (Out::new(len)?, Out::new(found)?);
        match m.get(input_slice(key, key_len)?) {
            Some(v) => {
                found.write(true)?;
                write_bytes(&v, buf, capacity, len)
            }
            None => found.write(false),
        }
    })
}

/// Forgets `key` (a later claim initialises it again); *removed (if not NULL) says whether it
/// had a value. A ticket outstanding for the key stays valid but no longer exclusive: a claim
/// after the removal may receive a second ticket for the key.
/// Errors: AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `m` is NULL or a live handle; `key` holds key_len bytes; `removed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_once_map_remove(
    m: *const ApOnceMap,
    key: *const u8,
    key_len: usize,
    removed: *mut bool,
) -> ap_status {
    guard("ap_once_map_remove", || {
        // SAFETY: the caller guarantees `m` is NULL or a live once-map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<BytesOnceMap, _>(m) }?;
        write_opt(removed, m.remove(input_slice(key, key_len)?).is_some());
        Ok(())
    })
}

/// Writes the number of initialised keys to *out. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `m` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_once_map_len(m: *const ApOnceMap, out: *mut usize) -> ap_status {
    guard("ap_once_map_len", || {
        // SAFETY: the caller guarantees `m` is NULL or a live once-map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<BytesOnceMap, _>(m) }?;
        Out::new(out)?.write(m.len())
    })
}
