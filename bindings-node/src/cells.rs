//! External ArrayBuffers over a metric's cells: how `Counter.inc()`, `Gauge.set()`,
//! `Histogram.record()`, `Timer.record()`, `MinMax.record()` and `NativeHistogram.record()` skip
//! the native call. Even a hand-written N-API callback costs 8-16 ns and an ordinary napi-rs one
//! 20-25 ns, while `Atomics.add` on a typed array over Rust-owned memory costs about 14 ns, so
//! the hot path crosses the boundary once, at construction, and never again.
//!
//! `index.js` and `lib/cells.js` wrap the buffer in a `BigUint64Array` and update the cells with
//! `Atomics`, as the core allows foreign writers to (`Counter::stripe_cells`: atomic
//! fetch-and-add only; `Gauge::cell`: atomic store and compare-and-swap only; a histogram's cells
//! by the rules of `HistogramCellsLayout`, a timer's error count by atomic add, a MinMax's cells
//! by the rules of `MinMax::cells`, a native histogram's by the protocol of `NativeCellsLayout`);
//! Rust reads them as usual. Where the cells are comes from the
//! core's own description (`Histogram::cells_layout`, `MinMax::cell_offsets`), the one the C ABI
//! hands out too, passed to JS as it is.
//!
//! Lifetime: the buffer's finalizer owns an `Arc` of the metric, released when V8 collects the
//! buffer, so the cells outlive every view of them whatever order the JS objects die in (the
//! metric's handle holds a reference of its own). Node runs that finalizer on the JS thread,
//! at the latest when the environment (a worker) shuts down.
//!
//! Runtimes that refuse external buffers (V8 sandbox builds, Electron) answer
//! `napi_no_external_buffers_allowed`: the callers get `null` and `index.js` falls back to calls.
//! A runtime that silently copied instead is caught by the self-check in `index.js`.

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use napi::sys;

use atomicperf::{Histogram, MinMax, NativeHistogram, Timer};

use crate::callback::{Env, Value};
use crate::convert;
use crate::error::{Fail, Result};

unsafe extern "C" fn release<T>(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: the hint is the `Arc::into_raw` that `external_buffer` passed with the buffer, and
    // N-API calls the finalizer once: this releases that one reference once.
    drop(unsafe { Arc::from_raw(hint.cast::<T>().cast_const()) });
}

/// An external ArrayBuffer of `len` bytes at `cells`, memory that `owner` keeps alive; `null`
/// where the runtime does not allow external buffers.
///
/// # Safety
/// `cells..cells + len` lies inside memory `owner` owns and never moves, and every byte of it may
/// be read and written by JS (through `Atomics`, as `index.js` does) while `owner` lives.
pub(crate) unsafe fn external_buffer<'s, T: Send + Sync + 'static>(
    env: Env<'s>,
    owner: Arc<T>,
    cells: *const u8,
    len: usize,
) -> Result<Value<'s>> {
    let hint = Arc::into_raw(owner).cast_mut().cast::<c_void>();
    let mut buffer = ptr::null_mut();
    // SAFETY: `env` is live; the memory stays valid and in place until `release::<T>` drops the
    // owner (the caller's contract), which N-API calls once, when the buffer is collected.
    let status = unsafe {
        sys::napi_create_external_arraybuffer(
            env.raw(),
            cells.cast_mut().cast::<c_void>(),
            len,
            Some(release::<T>),
            hint,
            &mut buffer,
        )
    };
    if status == sys::Status::napi_ok {
        // SAFETY: napi_ok: `buffer` is the ArrayBuffer just created in this scope.
        return Ok(unsafe { Value::from_raw(buffer) });
    }
    // SAFETY: not created, so the finalizer will never run: the reference is ours to release.
    drop(unsafe { Arc::from_raw(hint.cast::<T>().cast_const()) });
    if status == sys::Status::napi_no_external_buffers_allowed {
        return convert::null(env);
    }
    Err(Fail::internal(format!(
        "N-API call failed while creating an external ArrayBuffer (status {status})"
    )))
}

/// `{buffer, minOffset, maxOffset, overflowOffset, sumOffset, sumCount, sumStride, bucketOffset,
/// bucketCount, highest (a BigInt), subBits, significantFigures}`: the histogram's cells as an
/// external ArrayBuffer and the core's description of them (`Histogram::cells_layout`, byte
/// offsets into the buffer), or `null` where the runtime refuses external buffers. `owner` keeps
/// the histogram alive (a Histogram itself, or the Timer holding it).
fn histogram_cells<'s, T: Send + Sync + 'static>(
    env: Env<'s>,
    owner: Arc<T>,
    h: &Histogram,
) -> Result<Value<'s>> {
    let l = h.cells_layout();
    let base = h.cells_base().cast::<u8>();
    // SAFETY: `len` bytes at `cells_base` are the histogram's one allocation of cells (a boxed
    // slice that never moves or grows), owned by the histogram that `owner` keeps alive. JS writes
    // them only as `HistogramCellsLayout` allows (lib/cells.js: Atomics adds, compare-and-swaps
    // and saturating stores) and reads min and max with plain loads, never writing that way.
    let buffer = unsafe { external_buffer(env, owner, base, l.len) }?;
    if convert::type_of(env, buffer)? == sys::ValueType::napi_null {
        return Ok(buffer);
    }
    let out = convert::object(env)?;
    convert::set(env, out, "buffer\0", buffer)?;
    for (name, x) in [
        ("minOffset\0", l.min_offset),
        ("maxOffset\0", l.max_offset),
        ("overflowOffset\0", l.overflow_offset),
        ("sumOffset\0", l.sum_offset),
        ("sumCount\0", l.sum_count),
        ("sumStride\0", l.sum_stride),
        ("bucketOffset\0", l.bucket_offset),
        ("bucketCount\0", l.bucket_count),
    ] {
        convert::set(env, out, name, convert::from_f64(env, x as f64)?)?;
    }
    convert::set(
        env,
        out,
        "highest\0",
        convert::from_u64_bigint(env, l.highest)?,
    )?;
    convert::set(
        env,
        out,
        "subBits\0",
        convert::from_f64(env, f64::from(l.sub_bits))?,
    )?;
    let figures = f64::from(l.significant_figures);
    convert::set(
        env,
        out,
        "significantFigures\0",
        convert::from_f64(env, figures)?,
    )?;
    Ok(out)
}

/// The cells of a histogram handle's histogram (see [`histogram_cells`]).
pub(crate) fn of_histogram<'s>(env: Env<'s>, h: Arc<Histogram>) -> Result<Value<'s>> {
    let histogram = Arc::clone(&h);
    histogram_cells(env, h, &histogram)
}

/// `{durations, errors}`: the timer's duration histogram as [`histogram_cells`] describes it, and
/// its error count (one u64 cell, atomic add only) as an external ArrayBuffer of 8 bytes; `null`
/// where the runtime refuses external buffers.
pub(crate) fn of_timer<'s>(env: Env<'s>, t: Arc<Timer>) -> Result<Value<'s>> {
    let durations = histogram_cells(env, Arc::clone(&t), t.histogram())?;
    if convert::type_of(env, durations)? == sys::ValueType::napi_null {
        return Ok(durations);
    }
    let errors = t.errors_cell().as_ptr().cast::<u8>().cast_const();
    // SAFETY: the error count is one 8-byte atomic inside the Timer, which the Arc keeps alive
    // and never moves; JS only adds to it with Atomics (as `Timer::errors_cell` allows).
    let errors = unsafe { external_buffer(env, t, errors, 8) }?;
    let out = convert::object(env)?;
    convert::set(env, out, "durations\0", durations)?;
    convert::set(env, out, "errors\0", errors)?;
    Ok(out)
}

/// `{buffer, minOffset, maxOffset, recordedOffset}`: the MinMax's three cells as an external
/// ArrayBuffer over the MinMax and the core's offsets of them (`MinMax::cell_offsets`); `null`
/// where the runtime refuses external buffers.
pub(crate) fn of_minmax<'s>(env: Env<'s>, m: Arc<MinMax>) -> Result<Value<'s>> {
    let [min, max, recorded] = m.cell_offsets();
    let base = Arc::as_ptr(&m).cast::<u8>();
    // SAFETY: `size_of::<MinMax>()` bytes at the MinMax, which the Arc keeps alive and never
    // moves; every cell lies within them (`cell_offsets`). JS writes the cells only as
    // `MinMax::cells` allows (lib/cells.js: compare-and-swaps, and a store of 1 to the flag)
    // and otherwise reads them with plain loads.
    let buffer = unsafe { external_buffer(env, m, base, std::mem::size_of::<MinMax>()) }?;
    if convert::type_of(env, buffer)? == sys::ValueType::napi_null {
        return Ok(buffer);
    }
    let out = convert::object(env)?;
    convert::set(env, out, "buffer\0", buffer)?;
    for (name, x) in [
        ("minOffset\0", min),
        ("maxOffset\0", max),
        ("recordedOffset\0", recorded),
    ] {
        convert::set(env, out, name, convert::from_f64(env, x as f64)?)?;
    }
    Ok(out)
}

/// `{buffer, zeroOffset, nanOffset, sumOffset, sumCount, sumStride, denseOffset, denseCount,
/// firstKey, schema, zeroThreshold, lookup, bounds}`: the native histogram's cells as an external
/// ArrayBuffer and the core's description of them and of its bucket-key function
/// (`NativeHistogram::cells_layout`: byte offsets into the buffer; `lookup` and `bounds`, the key
/// function's tables, as Float64Arrays, empty for schemas 0 and below), or `null` where the
/// runtime refuses external buffers.
pub(crate) fn of_native_histogram<'s>(env: Env<'s>, h: Arc<NativeHistogram>) -> Result<Value<'s>> {
    let l = h.cells_layout();
    let base = h.cells_base().cast::<u8>();
    // SAFETY: `len` bytes at `cells_base` are the histogram's one allocation of cells (a boxed
    // slice that never moves or grows), owned by the histogram that the Arc keeps alive. JS
    // writes them only as `NativeCellsLayout` allows (lib/cells.js: Atomics adds to the zero,
    // NaN and dense cells, compare-and-swaps of a sum stripe).
    let buffer = unsafe { external_buffer(env, h, base, l.len) }?;
    if convert::type_of(env, buffer)? == sys::ValueType::napi_null {
        return Ok(buffer);
    }
    let out = convert::object(env)?;
    convert::set(env, out, "buffer\0", buffer)?;
    for (name, x) in [
        ("zeroOffset\0", l.zero_offset as f64),
        ("nanOffset\0", l.nan_offset as f64),
        ("sumOffset\0", l.sum_offset as f64),
        ("sumCount\0", l.sum_count as f64),
        ("sumStride\0", l.sum_stride as f64),
        ("denseOffset\0", l.dense_offset as f64),
        ("denseCount\0", l.dense_count as f64),
        ("firstKey\0", f64::from(l.first_key)),
        ("schema\0", f64::from(l.schema)),
        ("zeroThreshold\0", l.zero_threshold),
    ] {
        convert::set(env, out, name, convert::from_f64(env, x)?)?;
    }
    let lookup: Vec<f64> = l.lookup.iter().map(|&x| f64::from(x)).collect();
    convert::set(env, out, "lookup\0", convert::f64_array(env, &lookup)?)?;
    convert::set(env, out, "bounds\0", convert::f64_array(env, l.bounds)?)?;
    Ok(out)
}
