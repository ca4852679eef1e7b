//! `SharedRegistry`: the native half. The JS class in `lib/shared-registry.js` calls these with
//! its handle.
//!
//! Translation only, as `registry.rs` for the in-process registry: the options become core's
//! `SharedOptions` (`undefined` keeps core's default), names, help and labels are read by
//! `registry.rs`'s `Key`, a gauge mode name goes to core's `GaugeMode::from_name`, and the metrics
//! come back as the same handles `counterNew`, `gaugeNew`, ... make (an External owning one `Arc`
//! of the metric). The JS `Counter`, `Gauge`, `Histogram` and `Timer` classes wrap them unchanged
//! and take the direct Atomics path (`counterCells`, `gaugeCells`, `histogramCells`,
//! `timerCells`) into cells that live in the segment.
//!
//! Lifetime: a shared metric holds core's keeper of the mapping, so its handle, and every cell
//! buffer over it (whose finalizer owns an `Arc` of the metric), keep the segment mapped. The
//! registry's own handle holds the registry in an `Option` that `sharedRegistryClose` empties:
//! after a close every call on the registry throws `AP_ERR_CLOSED`, and the mapping goes away
//! once the last metric and buffer over it are collected.

use std::path::PathBuf;
use std::sync::Mutex;

use atomicperf::{GaugeMode, SharedOptions, SharedRegistry, Status};

use crate::callback::{self, callbacks, export, Env, Export, Value};
use crate::convert;
use crate::error::{Fail, Result};
use crate::handle;
use crate::registry::{histogram_opts, registry_error, Key};

/// The registry behind a handle: `None` once closed.
pub(crate) struct JsShared {
    inner: Mutex<Option<SharedRegistry>>,
}

impl JsShared {
    /// The registry (a cheap clone: an `Arc`), or `AP_ERR_CLOSED`.
    fn get(&self) -> Result<SharedRegistry> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| Fail::error(Status::Closed, "the shared registry is closed"))
    }
}

fn shared_of(env: Env<'_>, h: Value<'_>) -> Result<SharedRegistry> {
    handle::get::<JsShared>(env, h)?.get()
}

/// A size option: `undefined` for core's default, else a number (or BigInt) whose value beyond
/// `u32` is passed on as `u32::MAX`, for core to refuse with its own message.
fn size_u32(env: Env<'_>, v: Value<'_>, what: &str) -> Result<Option<u32>> {
    if convert::is_undefined(env, v)? {
        return Ok(None);
    }
    let n = convert::to_u64(env, v, what)?;
    Ok(Some(u32::try_from(n).unwrap_or(u32::MAX)))
}

/// `dir` of a call: `undefined` for core's default (`/dev/shm`), else a string.
fn dir_of(env: Env<'_>, v: Value<'_>) -> Result<Option<PathBuf>> {
    if convert::is_undefined(env, v)? {
        return Ok(None);
    }
    Ok(Some(PathBuf::from(convert::to_string(env, v, "dir")?)))
}

callbacks! {
    /// `sharedRegistryNew(pathOrName: string, dir?: string, mode?: number, maxSeries?: number,
    /// maxProcesses?: number, counterStripes?: number, dataBytes?: number | bigint,
    /// create?: boolean): handle`: opens, creating it if absent (unless `create` is false), the
    /// segment `pathOrName`.
    fn shared_registry_new(env, info) {
        let [name, dir, mode, max_series, max_processes, stripes, data_bytes, create] =
            callback::args::<8>(env, info)?;
        let name = convert::to_string(env, name, "a shared registry name or path")?;
        let mut opts = SharedOptions {
            dir: dir_of(env, dir)?,
            counter_stripes: size_u32(env, stripes, "counterStripes")?,
            create: convert::to_bool_or(env, create, true, "create")?,
            ..SharedOptions::default()
        };
        if let Some(m) = size_u32(env, mode, "mode")? {
            opts.mode = m;
        }
        if let Some(n) = size_u32(env, max_series, "maxSeries")? {
            opts.max_series = n;
        }
        if let Some(n) = size_u32(env, max_processes, "maxProcesses")? {
            opts.max_processes = n;
        }
        if !convert::is_undefined(env, data_bytes)? {
            opts.data_bytes = convert::to_u64(env, data_bytes, "dataBytes")?;
        }
        let registry = SharedRegistry::open(&name, &opts).map_err(registry_error)?;
        handle::new(env, JsShared { inner: Mutex::new(Some(registry)) })
    }

    /// `sharedRegistryRemove(pathOrName: string, dir?: string)`: removes the segment file.
    fn shared_registry_remove(env, info) {
        let [name, dir] = callback::args::<2>(env, info)?;
        let name = convert::to_string(env, name, "a shared registry name or path")?;
        let opts = SharedOptions { dir: dir_of(env, dir)?, ..SharedOptions::default() };
        SharedRegistry::remove(&name, &opts).map_err(registry_error)?;
        Ok(Value::UNDEFINED)
    }

    /// `sharedRegistryUnlink(h)`: removes the registry's file name; it keeps working.
    fn shared_registry_unlink(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        shared_of(env, h)?.unlink().map_err(registry_error)?;
        Ok(Value::UNDEFINED)
    }

    /// `sharedRegistryClose(h): boolean`: lets go of the registry (true the first time). Its
    /// metrics keep working, and keep the segment mapped, until they are collected.
    fn shared_registry_close(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let shared = handle::get::<JsShared>(env, h)?;
        let was = shared.inner.lock().unwrap_or_else(|e| e.into_inner()).take();
        convert::boolean(env, was.is_some())
    }

    /// `sharedRegistryCounter(h, name, help?, labels: string[]): Counter handle`.
    fn shared_registry_counter(env, info) {
        let [h, name, help, labels] = callback::args::<4>(env, info)?;
        let registry = shared_of(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let metric = registry.counter(&key.name, &key.help, &key.labels()).map_err(registry_error)?;
        handle::new_arc(env, metric)
    }

    /// `sharedRegistryGauge(h, name, help?, labels: string[], mode: string): Gauge handle`.
    fn shared_registry_gauge(env, info) {
        let [h, name, help, labels, mode] = callback::args::<5>(env, info)?;
        let registry = shared_of(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let mode = if convert::is_undefined(env, mode)? {
            GaugeMode::default()
        } else {
            GaugeMode::from_name(&convert::to_string(env, mode, "mode")?).map_err(registry_error)?
        };
        let metric = registry.gauge(&key.name, &key.help, &key.labels(), mode).map_err(registry_error)?;
        handle::new_arc(env, metric)
    }

    /// `sharedRegistryHistogram(h, name, help?, labels: string[], buckets?: number[],
    /// scale?: number): Histogram handle`.
    fn shared_registry_histogram(env, info) {
        let [h, name, help, labels, buckets, scale] = callback::args::<6>(env, info)?;
        let registry = shared_of(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let opts = histogram_opts(env, buckets, scale)?;
        let metric = registry.histogram(&key.name, &key.help, &key.labels(), &opts).map_err(registry_error)?;
        handle::new_arc(env, metric)
    }

    /// `sharedRegistryTimer(h, name, help?, labels: string[]): Timer handle`.
    fn shared_registry_timer(env, info) {
        let [h, name, help, labels] = callback::args::<4>(env, info)?;
        let registry = shared_of(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let metric = registry.timer(&key.name, &key.help, &key.labels()).map_err(registry_error)?;
        handle::new_arc(env, metric)
    }

    /// `sharedRegistryExport(h, format: 0 Prometheus | 1 OpenMetrics | 2 JSON | 3 protobuf):
    /// string | Buffer`: every process's metrics, combined.
    fn shared_registry_export(env, info) {
        let [h, format] = callback::args::<2>(env, info)?;
        let registry = shared_of(env, h)?;
        crate::registry::export_value(
            env,
            format,
            |f| match f {
                0 => registry.export_prometheus(),
                1 => registry.export_openmetrics(),
                _ => registry.export_json(),
            },
            || registry.export_protobuf(),
        )
    }

    /// `sharedRegistryPath(h): string`: the segment file.
    fn shared_registry_path(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let registry = shared_of(env, h)?;
        convert::string(env, &registry.path().to_string_lossy())
    }

    /// `sharedRegistryStats(h): [families, series, maxSeries, maxProcesses, refusedSeries,
    /// refusedProcesses]`.
    fn shared_registry_stats(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let r = shared_of(env, h)?;
        let values = [
            r.len() as f64,
            r.series_count() as f64,
            f64::from(r.max_series()),
            f64::from(r.max_processes()),
            r.refused_series() as f64,
            r.refused_processes() as f64,
        ];
        let out = convert::array(env, values.len())?;
        for (i, v) in values.into_iter().enumerate() {
            convert::set_element(env, out, i as u32, convert::from_f64(env, v)?)?;
        }
        Ok(out)
    }

    /// `sharedRegistrySame(a, b): boolean`: whether two handles are one opened registry.
    fn shared_registry_same(env, info) {
        let [a, b] = callback::args::<2>(env, info)?;
        let a: *const JsShared = handle::get::<JsShared>(env, a)?;
        let b: *const JsShared = handle::get::<JsShared>(env, b)?;
        convert::boolean(env, std::ptr::eq(a, b))
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("sharedRegistryNew", shared_registry_new),
    export!("sharedRegistryRemove", shared_registry_remove),
    export!("sharedRegistryUnlink", shared_registry_unlink),
    export!("sharedRegistryClose", shared_registry_close),
    export!("sharedRegistryCounter", shared_registry_counter),
    export!("sharedRegistryGauge", shared_registry_gauge),
    export!("sharedRegistryHistogram", shared_registry_histogram),
    export!("sharedRegistryTimer", shared_registry_timer),
    export!("sharedRegistryExport", shared_registry_export),
    export!("sharedRegistryPath", shared_registry_path),
    export!("sharedRegistryStats", shared_registry_stats),
    export!("sharedRegistrySame", shared_registry_same),
];
