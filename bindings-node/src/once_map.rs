//! `OnceMap` of byte strings: the native half of the class in `lib/state.js`.
//!
//! `onceMapClaim` claims a key on the libuv thread pool (it may wait for another thread's
//! initialiser) and resolves with the value (a Buffer), with a ticket (a tagged External: this
//! caller initialises the key), or with `null` (the timeout passed first). The JS side runs the
//! initialiser on the JS thread, awaits it, and calls `onceMapComplete(ticket, value)` or
//! `onceMapAbandon(ticket)`. A ticket that is garbage collected unused abandons the
//! initialisation, as core's `InitTicket` does when dropped.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use atomicperf::{Claim, Error, InitTicket, OnceMap};
use napi::sys;

use crate::bytes::{self, Built};
use crate::js;
use crate::raw::{self, callbacks, export, Export, Fail, Handle};

pub(crate) type ByteOnceMap = OnceMap<Box<[u8]>, Arc<[u8]>>;

impl Handle for ByteOnceMap {
    const TAG: sys::napi_type_tag = sys::napi_type_tag { lower: 0x6174_6f6d_6963_7066, upper: 0x0001_c0de_0000_0013 };
    const NAME: &'static str = "OnceMap";
}

/// The right to initialise one key, until completed or abandoned.
pub(crate) struct Ticket(Mutex<Option<InitTicket<Arc<[u8]>>>>);

impl Handle for Ticket {
    const TAG: sys::napi_type_tag = sys::napi_type_tag { lower: 0x6174_6f6d_6963_7066, upper: 0x0001_c0de_0000_0014 };
    const NAME: &'static str = "OnceMap ticket";
}

impl Ticket {
    fn take(&self) -> Option<InitTicket<Arc<[u8]>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

enum Claimed {
    Ready(Arc<[u8]>),
    Init(InitTicket<Arc<[u8]>>),
    Timeout,
}

struct ClaimTask {
    map: Arc<ByteOnceMap>,
    key: Option<Box<[u8]>>,
    timeout: Option<Duration>,
}

impl napi::Task for ClaimTask {
    type Output = Claimed;
    type JsValue = Built;

    fn compute(&mut self) -> napi::Result<Claimed> {
        let key = self.key.take().expect("a claim task computes once");
        let claim = match self.timeout {
            None => self.map.claim(key),
            Some(t) => match self.map.claim_timeout(key, t) {
                Ok(c) => c,
                Err(Error::Timeout) => return Ok(Claimed::Timeout),
                Err(e) => return Err(napi::Error::from_reason(e.to_string())),
            },
        };
        Ok(match claim {
            Claim::Ready(v) => Claimed::Ready(v),
            Claim::Init(t) => Claimed::Init(t),
        })
    }

    fn resolve(&mut self, _env: napi::Env, output: Claimed) -> napi::Result<Built> {
        Ok(Built(Box::new(move |env| unsafe {
            match output {
                Claimed::Ready(v) => bytes::buffer(env, &v),
                Claimed::Init(t) => raw::new_handle(env, Ticket(Mutex::new(Some(t)))),
                Claimed::Timeout => raw::null(env),
            }
        })))
    }
}

/// Longest claim wait: one year (an `Instant` plus `Duration::MAX` would overflow).
const MAX_WAIT_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;

callbacks! {
    fn once_map_new(env, _info) {
        raw::new_handle(env, ByteOnceMap::new())
    }

    /// `onceMapGet(h, key): Buffer | undefined` (only initialised keys have a value).
    fn once_map_get(env, info) {
        let [h, key] = raw::args::<2>(env, info)?;
        let m = raw::handle::<ByteOnceMap>(env, h)?;
        let v = bytes::with_bytes(env, key, "key", |k| m.get(k))?;
        bytes::optional_buffer(env, v.as_deref())
    }

    /// `onceMapDelete(h, key): boolean`: whether the key had a value.
    fn once_map_delete(env, info) {
        let [h, key] = raw::args::<2>(env, info)?;
        let m = raw::handle::<ByteOnceMap>(env, h)?;
        js::boolean(env, bytes::with_bytes(env, key, "key", |k| m.remove(k))?.is_some())
    }

    fn once_map_size(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        raw::from_f64(env, raw::handle::<ByteOnceMap>(env, h)?.len() as f64)
    }

    /// `onceMapClaim(h, key, timeoutMs?: number): Promise<Buffer | ticket | null>`.
    fn once_map_claim(env, info) {
        let [h, key, timeout] = raw::args::<3>(env, info)?;
        let map = raw::handle_arc::<ByteOnceMap>(env, h)?;
        let key = bytes::to_bytes(env, key, "key")?;
        let timeout = if raw::is_undefined(env, timeout)? {
            None
        } else {
            let ms = raw::to_f64(env, timeout, "timeoutMs")?;
            if ms.is_nan() || ms < 0.0 {
                return Err(Fail::range(format!("timeoutMs must be a number of milliseconds >= 0, got {ms}")));
            }
            Some(Duration::from_nanos((ms.min(MAX_WAIT_MS) * 1e6) as u64))
        };
        js::spawn(env, ClaimTask { map, key: Some(key), timeout })
    }

    /// `onceMapComplete(ticket, value): Buffer`: stores the value, wakes the waiters, returns it.
    fn once_map_complete(env, info) {
        let [t, value] = raw::args::<2>(env, info)?;
        let ticket = raw::handle::<Ticket>(env, t)?;
        let value: Arc<[u8]> = bytes::with_bytes(env, value, "the initialiser's value", |b: &[u8]| Arc::<[u8]>::from(b))?;
        let Some(ticket) = ticket.take() else {
            return Err(Fail::type_error("this OnceMap ticket was already used"));
        };
        bytes::buffer(env, &ticket.complete(value))
    }

    /// `onceMapAbandon(ticket)`: gives up the initialisation (the next waiter takes over).
    fn once_map_abandon(env, info) {
        let [t] = raw::args::<1>(env, info)?;
        drop(raw::handle::<Ticket>(env, t)?.take());
        Ok(raw::UNDEFINED)
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
