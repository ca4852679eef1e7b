//! `NativeHistogram`: the native half. The JS class in `lib/native-histogram.js` calls these with
//! its handle. A record of a value in the dense range, the zero bucket or NaN makes no call: JS
//! writes the cells (`nativeHistogramCells`, `cells.rs`, `lib/cells.js`) by the core's
//! `NativeCellsLayout`; the others (negative, spilled) are one call to `nativeHistogramRecord`.

use atomicperf::{NativeConfig, NativeHistogram, NativeSnapshot, Status};

use crate::callback::{self, callbacks, export, Env, Export, Value};
use crate::cells;
use crate::convert;
use crate::error::{Fail, Result};
use crate::handle;

/// The layout of `nativeHistogramNew` and `registryNativeHistogram`: `schema` (an integer from -4
/// to 8), `zeroThreshold` (a finite number >= 0), and the dense range `lowest`..`highest`
/// (both or neither); each `undefined` for the core's default. Wrong JS types are TypeErrors,
/// values out of range RangeErrors (the core's `InvalidConfig`, code `AP_ERR_OUT_OF_RANGE`).
pub(crate) fn native_config(
    env: Env<'_>,
    schema: Value<'_>,
    zero_threshold: Value<'_>,
    lowest: Value<'_>,
    highest: Value<'_>,
) -> Result<NativeConfig> {
    let mut config = NativeConfig::default();
    if !convert::is_undefined(env, schema)? {
        let s = convert::to_f64(env, schema, "schema")?;
        if s.fract() != 0.0 || !(-128.0..=127.0).contains(&s) {
            return Err(Fail::range(format!(
                "native histogram schema {}: expected an integer from -4 to 8",
                convert::js_number(s)
            )));
        }
        config = NativeConfig::new(s as i8)?;
    }
    if !convert::is_undefined(env, zero_threshold)? {
        let z = convert::to_f64(env, zero_threshold, "zeroThreshold")?;
        config = config.with_zero_threshold(z)?;
    }
    let (no_low, no_high) = (
        convert::is_undefined(env, lowest)?,
        convert::is_undefined(env, highest)?,
    );
    if !(no_low && no_high) {
        let lowest = convert::to_f64(env, lowest, "the dense range's lowest value")?;
        let highest = convert::to_f64(env, highest, "the dense range's highest value")?;
        config = config.with_dense_range(lowest, highest)?;
    }
    Ok(config)
}

fn count<'s>(env: Env<'s>, n: u64, what: &str) -> Result<Value<'s>> {
    convert::from_u64_exact(env, n, what, "no BigInt variant exists yet")
}

/// `[[key, count], ...]` of one side's buckets.
fn buckets<'s>(env: Env<'s>, buckets: &[(i32, u64)]) -> Result<Value<'s>> {
    let out = convert::array(env, buckets.len())?;
    for (i, &(k, n)) in buckets.iter().enumerate() {
        let pair = convert::array(env, 2)?;
        convert::set_element(env, pair, 0, convert::from_f64(env, f64::from(k))?)?;
        convert::set_element(env, pair, 1, count(env, n, "a bucket count")?)?;
        convert::set_element(env, out, i as u32, pair)?;
    }
    Ok(out)
}

/// The snapshot as the plain object `NativeHistogram.snapshot()` returns.
fn snapshot_object<'s>(env: Env<'s>, s: &NativeSnapshot) -> Result<Value<'s>> {
    let out = convert::object(env)?;
    let numbers = [
        ("schema\0", f64::from(s.schema())),
        ("zeroThreshold\0", s.zero_threshold()),
    ];
    for (name, v) in numbers {
        convert::set(env, out, name, convert::from_f64(env, v)?)?;
    }
    convert::set(
        env,
        out,
        "zeroCount\0",
        count(env, s.zero_count(), "zeroCount")?,
    )?;
    convert::set(
        env,
        out,
        "nanCount\0",
        count(env, s.nan_count(), "nanCount")?,
    )?;
    convert::set(env, out, "count\0", count(env, s.count(), "count")?)?;
    convert::set(env, out, "sum\0", convert::from_f64(env, s.sum())?)?;
    convert::set(env, out, "positive\0", buckets(env, s.positive())?)?;
    convert::set(env, out, "negative\0", buckets(env, s.negative())?)?;
    Ok(out)
}

fn get<'s>(env: Env<'s>, h: Value<'s>) -> Result<&'s NativeHistogram> {
    handle::get::<NativeHistogram>(env, h)
}

callbacks! {
    /// `nativeHistogramNew(schema?, zeroThreshold?, denseLowest?, denseHighest?): handle`.
    fn native_histogram_new(env, info) {
        let [schema, zero, lowest, highest] = callback::args::<4>(env, info)?;
        let config = native_config(env, schema, zero, lowest, highest)?;
        handle::new(env, NativeHistogram::with_config(config))
    }

    /// `nativeHistogramRecord(h, v: number)`: any number, NaN and infinities included.
    fn native_histogram_record(env, info) {
        let [h, v] = callback::args::<2>(env, info)?;
        let histogram = get(env, h)?;
        histogram.record(convert::to_f64(env, v, "value")?);
        Ok(Value::UNDEFINED)
    }

    /// `nativeHistogramRecordNanos(h, ns: number | bigint)`: a duration in integer nanoseconds,
    /// recorded in seconds (the core's `record_nanos`).
    fn native_histogram_record_nanos(env, info) {
        let [h, ns] = callback::args::<2>(env, info)?;
        let histogram = get(env, h)?;
        histogram.record_nanos(convert::to_u64(env, ns, "durationNs")?);
        Ok(Value::UNDEFINED)
    }

    fn native_histogram_count(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        count(env, get(env, h)?.count(), "count")
    }

    fn native_histogram_sum(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, get(env, h)?.sum())
    }

    fn native_histogram_zero_count(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        count(env, get(env, h)?.zero_count(), "zeroCount")
    }

    /// `nativeHistogramQuantile(h, q: number): number | null`.
    fn native_histogram_quantile(env, info) {
        let [h, q] = callback::args::<2>(env, info)?;
        let histogram = get(env, h)?;
        let q = convert::to_f64(env, q, "q")?;
        convert::optional_f64(env, histogram.quantile(q)?)
    }

    /// `nativeHistogramSnapshot(h): {schema, zeroThreshold, zeroCount, nanCount, count, sum,
    /// positive, negative}`.
    fn native_histogram_snapshot(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        snapshot_object(env, &get(env, h)?.snapshot())
    }

    /// `nativeHistogramMerge(h, other)`: adds `other`'s values to `h`; a coarser schema is an
    /// Error with code `AP_ERR_INVALID_ARGUMENT` (a value, not a JS type, is wrong).
    fn native_histogram_merge(env, info) {
        let [h, other] = callback::args::<2>(env, info)?;
        let histogram = get(env, h)?;
        let other = get(env, other)?;
        histogram.merge(other).map_err(|e| match e {
            atomicperf::Error::InvalidArgument(_) => Fail::error(Status::InvalidArgument, e.to_string()),
            e => Fail::from(e),
        })?;
        Ok(Value::UNDEFINED)
    }

    fn native_histogram_reset(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        get(env, h)?.reset();
        Ok(Value::UNDEFINED)
    }

    fn native_histogram_memory_bytes(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, get(env, h)?.memory_bytes() as f64)
    }

    /// `nativeHistogramCells(h): {buffer, ...} | null`: the cells and the core's description of
    /// them, which `lib/cells.js` records by (see `cells.rs`).
    fn native_histogram_cells(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        cells::of_native_histogram(env, handle::get_arc::<NativeHistogram>(env, h)?)
    }

    /// `nativeHistogramConfig(h): [schema, zeroThreshold, denseLowest, denseHighest,
    /// relativeError]`.
    fn native_histogram_config(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let c = get(env, h)?.config();
        let (lowest, highest) = c.dense_range();
        let values = [f64::from(c.schema()), c.zero_threshold(), lowest, highest, c.relative_error()];
        let out = convert::array(env, values.len())?;
        for (i, v) in values.into_iter().enumerate() {
            convert::set_element(env, out, i as u32, convert::from_f64(env, v)?)?;
        }
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("nativeHistogramNew", native_histogram_new),
    export!("nativeHistogramRecord", native_histogram_record),
    export!("nativeHistogramRecordNanos", native_histogram_record_nanos),
    export!("nativeHistogramCount", native_histogram_count),
    export!("nativeHistogramSum", native_histogram_sum),
    export!("nativeHistogramZeroCount", native_histogram_zero_count),
    export!("nativeHistogramQuantile", native_histogram_quantile),
    export!("nativeHistogramSnapshot", native_histogram_snapshot),
    export!("nativeHistogramMerge", native_histogram_merge),
    export!("nativeHistogramReset", native_histogram_reset),
    export!("nativeHistogramMemoryBytes", native_histogram_memory_bytes),
    export!("nativeHistogramConfig", native_histogram_config),
    export!("nativeHistogramCells", native_histogram_cells),
];
