//! `Registry`: the native half. The JS class in `lib/registry.js` calls these with its handle.
//!
//! A registry's metrics come back as the same handles `counterNew`, `gaugeNew`, ... make (an
//! External owning one `Arc` of the metric), so the JS `Counter`, `Gauge`, `Histogram`, `Timer`
//! and `MinMax` classes wrap them unchanged, and a registry counter takes the direct Atomics
//! path (`counterCells`) like any other. The default registry is `Registry::global()`, one per
//! process: every worker_thread loads this same addon, so all of them share it.
//!
//! Core's get-or-create errors (invalid names, another kind, another label set, bad buckets) are
//! `Error::InvalidArgument`; here they become a plain Error with code `AP_ERR_INVALID_ARGUMENT`
//! (a TypeError is kept for arguments of the wrong JS type).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use atomicperf::{
    negotiate, Error, ExportFormat, HistogramOpts, NativeOpts, Registry, Status,
    OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE,
};

use crate::callback::{self, callbacks, export, Env, Export, Value};
use crate::cells;
use crate::convert;
use crate::error::{Fail, Result};
use crate::handle;

/// A core error of a registry call: an invalid name or a conflicting registration is a plain
/// Error (code `AP_ERR_INVALID_ARGUMENT`), as the issue and the other bindings have it.
pub(crate) fn registry_error(e: Error) -> Fail {
    match e {
        Error::InvalidArgument(_) => Fail::error(Status::InvalidArgument, e.to_string()),
        other => Fail::from(other),
    }
}

/// `name, help, labels` of a get-or-create call: `labels` is a flat array
/// `[name0, value0, name1, value1, ...]` of strings that `lib/registry.js` builds from an object.
pub(crate) struct Key {
    pub(crate) name: String,
    pub(crate) help: String,
    labels: Vec<(String, String)>,
}

impl Key {
    pub(crate) fn read(
        env: Env<'_>,
        name: Value<'_>,
        help: Value<'_>,
        labels: Value<'_>,
    ) -> Result<Key> {
        let name = convert::to_string(env, name, "name")?;
        let help = if convert::is_undefined(env, help)? {
            String::new()
        } else {
            convert::to_string(env, help, "help")?
        };
        Ok(Key {
            name,
            help,
            labels: Key::read_labels(env, labels)?,
        })
    }

    /// The flat `[name0, value0, ...]` labels array as pairs.
    pub(crate) fn read_labels(env: Env<'_>, labels: Value<'_>) -> Result<Vec<(String, String)>> {
        let flat = convert::to_array(env, labels, "labels")?;
        if flat.len() % 2 != 0 {
            return Err(Fail::type_error(
                "labels must be a flat array of name, value pairs",
            ));
        }
        let mut pairs = Vec::with_capacity(flat.len() / 2);
        for pair in flat.chunks_exact(2) {
            let label = convert::to_string(env, pair[0], "a label name")?;
            let value = convert::to_string(env, pair[1], "a label value")?;
            pairs.push((label, value));
        }
        Ok(pairs)
    }

    pub(crate) fn labels(&self) -> Vec<(&str, &str)> {
        self.labels
            .iter()
            .map(|(l, v)| (l.as_str(), v.as_str()))
            .collect()
    }
}

/// The histogram export options of a call: `buckets` (array of numbers) and `scale` (number), each
/// `undefined` for core's default.
pub(crate) fn histogram_opts(
    env: Env<'_>,
    buckets: Value<'_>,
    scale: Value<'_>,
) -> Result<HistogramOpts> {
    let mut opts = HistogramOpts::default();
    if !convert::is_undefined(env, buckets)? {
        opts.buckets = convert::to_array(env, buckets, "buckets")?
            .into_iter()
            .map(|b| convert::to_f64(env, b, "a bucket bound"))
            .collect::<Result<_>>()?;
    }
    if !convert::is_undefined(env, scale)? {
        opts.scale = convert::to_f64(env, scale, "scale")?;
    }
    Ok(opts)
}

/// An export in `format` (0 Prometheus, 1 OpenMetrics, 2 JSON: a string; 3 protobuf: a Buffer),
/// by the text and byte exporters of a registry.
pub(crate) fn export_value<'s>(
    env: Env<'s>,
    format: Value<'s>,
    text: impl FnOnce(u32) -> String,
    protobuf: impl FnOnce() -> Vec<u8>,
) -> Result<Value<'s>> {
    match convert::to_f64(env, format, "format")? {
        f @ (0.0 | 1.0 | 2.0) => convert::string(env, &text(f as u32)),
        3.0 => convert::buffer(env, &protobuf()),
        other => Err(Fail::range(format!(
            "unknown export format {}",
            convert::js_number(other)
        ))),
    }
}

/// The name `Registry.metrics()` gives an export format.
fn format_name(f: ExportFormat) -> &'static str {
    match f {
        ExportFormat::Prometheus => "prometheus",
        ExportFormat::OpenMetrics => "openmetrics",
        ExportFormat::Protobuf => "protobuf",
    }
}

fn registry_of<'s>(env: Env<'s>, h: Value<'s>) -> Result<&'s Registry> {
    handle::get::<Registry>(env, h)
}

callbacks! {
    /// `registryNew(): handle`: a private registry.
    fn registry_new(env, _info) {
        handle::new(env, Registry::new())
    }

    /// `registryGlobal(): handle`: the process-wide default registry.
    fn registry_global(env, _info) {
        handle::new_arc(env, Arc::clone(Registry::global()))
    }

    /// `registryNamed(name: string): handle`: the process-wide registry called `name`.
    fn registry_named(env, info) {
        let [name] = callback::args::<1>(env, info)?;
        let name = convert::to_string(env, name, "name")?;
        handle::new_arc(env, Registry::named(&name))
    }

    /// `registryCounter(h, name, help?, labels: string[]): Counter handle`.
    fn registry_counter(env, info) {
        let [h, name, help, labels] = callback::args::<4>(env, info)?;
        let registry = registry_of(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let metric = registry.counter(&key.name, &key.help, &key.labels()).map_err(registry_error)?;
        handle::new_arc(env, metric)
    }

    /// `registryGauge(h, name, help?, labels: string[]): Gauge handle`.
    fn registry_gauge(env, info) {
        let [h, name, help, labels] = callback::args::<4>(env, info)?;
        let registry = registry_of(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let metric = registry.gauge(&key.name, &key.help, &key.labels()).map_err(registry_error)?;
        handle::new_arc(env, metric)
    }

    /// `registryHistogram(h, name, help?, labels: string[], buckets?: number[], scale?: number):
    /// Histogram handle`.
    fn registry_histogram(env, info) {
        let [h, name, help, labels, buckets, scale] = callback::args::<6>(env, info)?;
        let registry = registry_of(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let opts = histogram_opts(env, buckets, scale)?;
        let metric = registry.histogram(&key.name, &key.help, &key.labels(), &opts).map_err(registry_error)?;
        handle::new_arc(env, metric)
    }

    /// `registryTimer(h, name, help?, labels: string[]): Timer handle`.
    fn registry_timer(env, info) {
        let [h, name, help, labels] = callback::args::<4>(env, info)?;
        let registry = registry_of(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let metric = registry.timer(&key.name, &key.help, &key.labels()).map_err(registry_error)?;
        handle::new_arc(env, metric)
    }

    /// `registryMinmax(h, name, help?, labels: string[]): MinMax handle`.
    fn registry_minmax(env, info) {
        let [h, name, help, labels] = callback::args::<4>(env, info)?;
        let registry = registry_of(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let metric = registry.minmax(&key.name, &key.help, &key.labels()).map_err(registry_error)?;
        handle::new_arc(env, metric)
    }

    /// `registryNativeHistogram(h, name, help?, labels: string[], schema?, zeroThreshold?,
    /// denseLowest?, denseHighest?, classicBuckets?: number[]): NativeHistogram handle`.
    fn registry_native_histogram(env, info) {
        let [h, name, help, labels, schema, zero, lowest, highest, classic] = callback::args::<9>(env, info)?;
        let registry = registry_of(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let mut opts = NativeOpts {
            config: crate::native_histogram::native_config(env, schema, zero, lowest, highest)?,
            classic_buckets: Vec::new(),
        };
        if !convert::is_undefined(env, classic)? {
            opts.classic_buckets = convert::to_array(env, classic, "classicBuckets")?
                .into_iter()
                .map(|b| convert::to_f64(env, b, "a classic bucket bound"))
                .collect::<Result<_>>()?;
        }
        let metric = registry.native_histogram(&key.name, &key.help, &key.labels(), &opts).map_err(registry_error)?;
        handle::new_arc(env, metric)
    }

    /// `registryExport(h, format: 0 Prometheus | 1 OpenMetrics | 2 JSON | 3 protobuf): string |
    /// Buffer`.
    fn registry_export(env, info) {
        let [h, format] = callback::args::<2>(env, info)?;
        let registry = registry_of(env, h)?;
        export_value(
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

    /// `exportNegotiate(accept: string): [format name, content type]`: the core's `negotiate`.
    fn export_negotiate(env, info) {
        let [accept] = callback::args::<1>(env, info)?;
        let format = negotiate(&convert::to_string(env, accept, "accept")?);
        let out = convert::array(env, 2)?;
        convert::set_element(env, out, 0, convert::string(env, format_name(format))?)?;
        convert::set_element(env, out, 1, convert::string(env, format.content_type())?)?;
        Ok(out)
    }

    /// `registryLen(h): number`: metric families registered.
    fn registry_len(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, registry_of(env, h)?.len() as f64)
    }

    /// `registrySame(a, b): boolean`: whether two handles are one registry.
    fn registry_same(env, info) {
        let [a, b] = callback::args::<2>(env, info)?;
        let a = registry_of(env, a)?;
        let b = registry_of(env, b)?;
        convert::boolean(env, std::ptr::eq(a, b))
    }

    /// `registrySetSeriesLimit(h, limit: number)`: caps the registry's series (0: no cap).
    fn registry_set_series_limit(env, info) {
        let [h, limit] = callback::args::<2>(env, info)?;
        let registry = registry_of(env, h)?;
        let limit = convert::to_u64(env, limit, "series limit")?;
        registry.set_series_limit(match limit {
            0 => None,
            n => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        });
        convert::null(env)
    }

    /// `registrySeriesStats(h): [series, limit (0: none), refused]`.
    fn registry_series_stats(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let registry = registry_of(env, h)?;
        let out = convert::array(env, 3)?;
        let limit = registry.series_limit().unwrap_or(0);
        convert::set_element(env, out, 0, convert::from_f64(env, registry.series_count() as f64)?)?;
        convert::set_element(env, out, 1, convert::from_f64(env, limit as f64)?)?;
        convert::set_element(env, out, 2, convert::from_f64(env, registry.refused_series() as f64)?)?;
        Ok(out)
    }

    /// `registryRemove(h, name, labels: string[]): boolean`: removes the series (false if there
    /// was none or no such family); a wrong set of label names is core's error.
    fn registry_remove(env, info) {
        let [h, name, labels] = callback::args::<3>(env, info)?;
        let registry = registry_of(env, h)?;
        let key = Key {
            name: convert::to_string(env, name, "name")?,
            help: String::new(),
            labels: Key::read_labels(env, labels)?,
        };
        let removed = registry.remove(&key.name, &key.labels()).map_err(registry_error)?;
        convert::boolean(env, removed)
    }

    /// `registryClearFamily(h, name): number`: series removed.
    fn registry_clear_family(env, info) {
        let [h, name] = callback::args::<2>(env, info)?;
        let registry = registry_of(env, h)?;
        let name = convert::to_string(env, name, "name")?;
        convert::from_f64(env, registry.clear_family(&name) as f64)
    }

    /// `registryClear(h): number`: series removed.
    fn registry_clear(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, registry_of(env, h)?.clear() as f64)
    }

    /// `registryRemovals(h): number`: the registry's removal count (`Registry::removals`), for
    /// runtimes without external buffers.
    fn registry_removals(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, registry_of(env, h)?.removals() as f64)
    }

    /// `registryRemovalsCell(h): ArrayBuffer | null`: the 8 bytes of the registry's removal count
    /// (`Registry::removals_cell`, a native-endian u64), which `lib/registry.js` reads before
    /// every cached look-up; JS only ever reads it. `null` where the runtime refuses external
    /// buffers.
    fn registry_removals_cell(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let registry = handle::get_arc::<Registry>(env, h)?;
        let cell: *const AtomicU64 = registry.removals_cell();
        // SAFETY: the cell is a field of the registry, which the buffer's finalizer keeps alive
        // (this clone) and which never moves inside its Arc; 8 bytes, 8-aligned. JS reads it with
        // plain 8-byte loads and never writes it; the core only changes it atomically.
        unsafe { cells::external_buffer(env, registry, cell.cast::<u8>(), size_of::<AtomicU64>()) }
    }

    /// `registryContentTypes(): [prometheus, openmetrics, protobuf]`.
    fn registry_content_types(env, _info) {
        let types = [PROMETHEUS_CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE];
        let out = convert::array(env, types.len())?;
        for (i, t) in types.into_iter().enumerate() {
            convert::set_element(env, out, i as u32, convert::string(env, t)?)?;
        }
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("registryNew", registry_new),
    export!("registryGlobal", registry_global),
    export!("registryNamed", registry_named),
    export!("registryCounter", registry_counter),
    export!("registryGauge", registry_gauge),
    export!("registryHistogram", registry_histogram),
    export!("registryTimer", registry_timer),
    export!("registryMinmax", registry_minmax),
    export!("registryNativeHistogram", registry_native_histogram),
    export!("registryExport", registry_export),
    export!("registryLen", registry_len),
    export!("registrySame", registry_same),
    export!("registryContentTypes", registry_content_types),
    export!("registrySetSeriesLimit", registry_set_series_limit),
    export!("registrySeriesStats", registry_series_stats),
    export!("registryRemove", registry_remove),
    export!("registryClearFamily", registry_clear_family),
    export!("registryClear", registry_clear),
    export!("registryRemovals", registry_removals),
    export!("registryRemovalsCell", registry_removals_cell),
    export!("exportNegotiate", export_negotiate),
];
