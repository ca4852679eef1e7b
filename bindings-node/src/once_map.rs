//! `OnceMap` of byte strings: the native half of the class in `lib/state.js`.
//!
//! `onceMapClaim` claims a key and resolves with the value (a Buffer), with a ticket (a tagged
//! External: this caller initialises the key), or with `null` (the timeout passed first). When
//! another caller holds the key's ticket, the watcher of `waits.rs` owns the claim (no thread
//! blocks on it) and tries again each time a key of that map is completed, abandoned or deleted.
//! The core's OnceMap tells no watcher, so those calls, and a ticket dropped unused, report the
//! keys of the claims waiting on the map ([`wake`]); every one of them in the process goes
//! through this module. The JS side runs the initialiser on the JS thread, awaits it, and calls
//! `onceMapComplete(ticket, value)` or `onceMapAbandon(ticket)`. A ticket that is garbage
//! collected unused abandons the initialisation, as core's `InitTicket` does when dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use atomicperf::{CancelWatcher, Claim, Error, InitTicket, OnceMap};

use crate::callback::{self, callbacks, export, Export, Value};
use crate::convert;
use crate::error::Fail;
use crate::handle;
use crate::waits;

pub(crate) type ByteOnceMap = OnceMap<Box<[u8]>, Arc<[u8]>>;

/// A map's identity: its address (the claims waiting on it hold it, so it is not reused while
/// they are registered).
fn id(map: &ByteOnceMap) -> usize {
    std::ptr::from_ref(map) as usize
}

/// The keys of the claims waiting on each map (by [`id`]), to report when a key of the map is
/// completed, abandoned or deleted.
fn claims() -> MutexGuard<'static, HashMap<usize, Vec<u64>>> {
    static CLAIMS: OnceLock<Mutex<HashMap<usize, Vec<u64>>>> = OnceLock::new();
    CLAIMS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// A key of the map `map` was completed, abandoned or deleted: its waiting claims try again (and
/// register again if they still wait).
fn wake(map: usize) {
    let keys = claims().remove(&map).unwrap_or_default();
    for key in keys {
        waits::notify(key);
    }
}

/// The right to initialise one key, until completed or abandoned; `map` is the map's [`id`].
pub(crate) struct Ticket {
    ticket: Mutex<Option<InitTicket<Arc<[u8]>>>>,
    map: usize,
}

impl Ticket {
    fn take(&self) -> Option<InitTicket<Arc<[u8]>>> {
        self.ticket.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl Drop for Ticket {
    /// Unused (garbage collected, or its Promise's environment went away): abandons the key, and
    /// the claims waiting for it try again.
    fn drop(&mut self) {
        let unused = self
            .ticket
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if unused.is_some() {
            drop(unused);
            wake(self.map);
        }
    }
}

struct ClaimWait {
    map: Arc<ByteOnceMap>,
    key: Box<[u8]>,
}

impl waits::Wait for ClaimWait {
    fn poll(&mut self) -> Option<waits::Settle> {
        match self.map.claim_timeout(self.key.clone(), Duration::ZERO) {
            Ok(Claim::Ready(v)) => Some(Box::new(move |env| convert::buffer(env, &v))),
            Ok(Claim::Init(t)) => {
                let ticket = Ticket {
                    ticket: Mutex::new(Some(t)),
                    map: id(&self.map),
                };
                Some(Box::new(move |env| handle::new(env, ticket)))
            }
            Err(Error::Timeout) => None,
            Err(e) => Some(waits::reject(Fail::from(e))),
        }
    }

    fn watch(&mut self, _watcher: &CancelWatcher, key: u64) {
        claims().entry(id(&self.map)).or_default().push(key);
    }

    fn unwatch(&mut self, _watcher: &CancelWatcher, key: u64) {
        let map = id(&self.map);
        let mut claims = claims();
        if let Some(keys) = claims.get_mut(&map) {
            keys.retain(|&k| k != key);
            if keys.is_empty() {
                claims.remove(&map);
            }
        }
    }

    fn timed_out(&mut self) -> waits::Settle {
        Box::new(convert::null)
    }
}

/// Longest claim wait: one year (an `Instant` plus `Duration::MAX` would overflow).
const MAX_WAIT_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;

callbacks! {
    fn once_map_new(env, _info) {
        handle::new(env, ByteOnceMap::new())
    }

    /// `onceMapGet(h, key): Buffer | undefined` (only initialised keys have a value).
    fn once_map_get(env, info) {
        let [h, key] = callback::args::<2>(env, info)?;
        let m = handle::get::<ByteOnceMap>(env, h)?;
        let v = convert::with_bytes(env, key, "key", |k| m.get(k))?;
        convert::optional_buffer(env, v.as_deref())
    }

    /// `onceMapDelete(h, key): boolean`: whether the key had a value.
    fn once_map_delete(env, info) {
        let [h, key] = callback::args::<2>(env, info)?;
        let m = handle::get::<ByteOnceMap>(env, h)?;
        let had = convert::with_bytes(env, key, "key", |k| m.remove(k))?.is_some();
        // A claim waiting for this key's initialiser may now initialise a fresh slot.
        wake(id(m));
        convert::boolean(env, had)
    }

    fn once_map_size(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, handle::get::<ByteOnceMap>(env, h)?.len() as f64)
    }

    /// `onceMapClaim(h, key, timeoutMs?: number): Promise<Buffer | ticket | null>`.
    fn once_map_claim(env, info) {
        let [h, key, timeout] = callback::args::<3>(env, info)?;
        let map = handle::get_arc::<ByteOnceMap>(env, h)?;
        let key = convert::to_bytes(env, key, "key")?;
        let timeout = if convert::is_undefined(env, timeout)? {
            None
        } else {
            let ms = convert::to_f64(env, timeout, "timeoutMs")?;
            if ms.is_nan() || ms < 0.0 {
                return Err(Fail::range(format!("timeoutMs must be a number of milliseconds >= 0, got {ms}")));
            }
            Some(Duration::from_nanos((ms.min(MAX_WAIT_MS) * 1e6) as u64))
        };
        waits::promise(env, ClaimWait { map, key }, timeout)
    }

    /// `onceMapComplete(ticket, value): Buffer`: stores the value, wakes the waiters, returns it.
    fn once_map_complete(env, info) {
        let [t, value] = callback::args::<2>(env, info)?;
        let ticket = handle::get::<Ticket>(env, t)?;
        let value: Arc<[u8]> = convert::with_bytes(env, value, "the initialiser's value", |b: &[u8]| Arc::<[u8]>::from(b))?;
        let map = ticket.map;
        let Some(ticket) = ticket.take() else {
            return Err(Fail::type_error("this OnceMap ticket was already used"));
        };
        let value = ticket.complete(value);
        wake(map);
        convert::buffer(env, &value)
    }

    /// `onceMapAbandon(ticket)`: gives up the initialisation (the next waiter takes over).
    fn once_map_abandon(env, info) {
        let [t] = callback::args::<1>(env, info)?;
        let ticket = handle::get::<Ticket>(env, t)?;
        if let Some(init) = ticket.take() {
            drop(init);
            wake(ticket.map);
        }
        Ok(Value::UNDEFINED)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("onceMapNew", once_map_new),
    export!("onceMapGet", once_map_get),
    export!("onceMapDelete", once_map_delete),
    export!("onceMapSize", once_map_size),
    export!("onceMapClaim", once_map_claim),
    export!("onceMapComplete", once_map_complete),
    export!("onceMapAbandon", once_map_abandon),
];
