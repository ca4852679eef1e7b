//! `Summary`: the native half. The JS class in `lib/summary.js` calls these with its handle;
//! `registrySummary` (a registry's summary, found or created) returns the same handles.
//!
//! Every record is one native call (`summaryRecord`): a summary's cells are a ring of histograms
//! that the core claims and resets as the window slides, which JS cannot write safely by itself.
//!
//! Options, the same for `summaryNew` and `registrySummary` (each `undefined` for the core's
//! default): `quantiles` (an array of numbers), `maxAgeSeconds` (a number of seconds),
//! `ageBuckets`, `significantFigures`, `highest` (integers). A wrong JS type is a TypeError; a
//! value the core refuses (a quantile outside `[0, 1]` or twice, 0 or more than 255 age buckets,
//! an age bucket shorter than 1 ms, a bad precision) a RangeError with code
//! `AP_ERR_OUT_OF_RANGE` (the core's `InvalidConfig`), as the C ABI reports it.

use std::time::Duration;

use atomicperf::{HistogramConfig, Registry, Summary, SummaryConfig, SummaryOpts};

use crate::callback::{self, callbacks, export, Env, Export, Value};
use crate::convert;
use crate::error::{Fail, Result};
use crate::handle;
use crate::registry::{registry_error, Key};

/// The layout of a summary from its option arguments, checked by the core.
fn summary_config(
    env: Env<'_>,
    quantiles: Value<'_>,
    max_age: Value<'_>,
    age_buckets: Value<'_>,
    figures: Value<'_>,
    highest: Value<'_>,
) -> Result<SummaryConfig> {
    let mut config = SummaryConfig::default();
    if !convert::is_undefined(env, quantiles)? {
        config.quantiles = convert::to_array(env, quantiles, "quantiles")?
            .into_iter()
            .map(|q| convert::to_f64(env, q, "a quantile"))
            .collect::<Result<_>>()?;
    }
    if !convert::is_undefined(env, max_age)? {
        let s = convert::to_f64(env, max_age, "maxAgeSeconds")?;
        config.max_age = Duration::try_from_secs_f64(s).map_err(|_| {
            Fail::range(format!(
                "maxAgeSeconds must be a finite number of seconds >= 0, got {}",
                convert::js_number(s)
            ))
        })?;
    }
    if !convert::is_undefined(env, age_buckets)? {
        let b = convert::to_u64(env, age_buckets, "ageBuckets")?;
        // Past u32 must not wrap into range: the core refuses u32::MAX as it would the value.
        config.age_buckets = u32::try_from(b).unwrap_or(u32::MAX);
    }
    let (no_figures, no_highest) = (
        convert::is_undefined(env, figures)?,
        convert::is_undefined(env, highest)?,
    );
    if !(no_figures && no_highest) {
        let figures = if no_figures {
            HistogramConfig::DEFAULT_SIGNIFICANT_FIGURES
        } else {
            let f = convert::to_u64(env, figures, "significantFigures")?;
            u8::try_from(f).map_err(|_| {
                Fail::range(format!(
                    "precision must be 1 to 5 significant figures, got {f}"
                ))
            })?
        };
        let highest = if no_highest {
            HistogramConfig::DEFAULT_HIGHEST
        } else {
            convert::to_u64(env, highest, "highest")?
        };
        config.histogram = HistogramConfig::new(figures, highest)?;
    }
    Ok(config.checked()?)
}

fn summary_of<'s>(env: Env<'s>, h: Value<'s>) -> Result<&'s Summary> {
    handle::get::<Summary>(env, h)
}

callbacks! {
    /// `summaryNew(quantiles?: number[], maxAgeSeconds?: number, ageBuckets?: number,
    /// significantFigures?: number, highest?: number | bigint): handle`.
    fn summary_new(env, info) {
        let [q, age, buckets, figures, highest] = callback::args::<5>(env, info)?;
        let config = summary_config(env, q, age, buckets, figures, highest)?;
        handle::new(env, Summary::with_config(config)?)
    }

    /// `summaryRecord(h, v: number | bigint)`: TypeError / RangeError for anything but an
    /// integer from 0 to 2^64-1.
    fn summary_record(env, info) {
        let [h, v] = callback::args::<2>(env, info)?;
        let summary = summary_of(env, h)?;
        summary.record(convert::to_u64(env, v, "value")?);
        Ok(Value::UNDEFINED)
    }

    fn summary_count(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_exact(env, summary_of(env, h)?.count(), "count", "use countBigInt()")
    }

    fn summary_count_bigint(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_bigint(env, summary_of(env, h)?.count())
    }

    fn summary_sum(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_exact(env, summary_of(env, h)?.sum(), "sum", "use sumBigInt()")
    }

    fn summary_sum_bigint(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_bigint(env, summary_of(env, h)?.sum())
    }

    /// `summaryWindowCount(h): number`: values in the window now.
    fn summary_window_count(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let n = summary_of(env, h)?.window().count();
        convert::from_u64_exact(env, n, "window count", "no BigInt variant exists yet")
    }

    /// `summaryQuantile(h, q: number): number | null` (null: the window is empty).
    fn summary_quantile(env, info) {
        let [h, q] = callback::args::<2>(env, info)?;
        let summary = summary_of(env, h)?;
        let q = convert::to_f64(env, q, "q")?;
        convert::optional_u64(env, summary.quantile(q)?, "quantile", "keep highest at most Number.MAX_SAFE_INTEGER to read it as a number")
    }

    /// `summaryQuantiles(h): [q, value | null][]`: the configured quantiles over the window,
    /// from one moment.
    fn summary_quantiles(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let snapshot = summary_of(env, h)?.snapshot();
        let out = convert::array(env, snapshot.quantiles().len())?;
        for (i, &(q, v)) in snapshot.quantiles().iter().enumerate() {
            let pair = convert::array(env, 2)?;
            convert::set_element(env, pair, 0, convert::from_f64(env, q)?)?;
            let v = convert::optional_u64(env, v, "quantile", "keep highest at most Number.MAX_SAFE_INTEGER to read it as a number")?;
            convert::set_element(env, pair, 1, v)?;
            convert::set_element(env, out, i as u32, pair)?;
        }
        Ok(out)
    }

    /// `summaryConfig(h): [quantiles: number[], maxAgeSeconds, ageBuckets, significantFigures,
    /// highest: bigint]`.
    fn summary_config_of(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let config = summary_of(env, h)?.config();
        let quantiles = convert::array(env, config.quantiles.len())?;
        for (i, &q) in config.quantiles.iter().enumerate() {
            convert::set_element(env, quantiles, i as u32, convert::from_f64(env, q)?)?;
        }
        let out = convert::array(env, 5)?;
        convert::set_element(env, out, 0, quantiles)?;
        convert::set_element(env, out, 1, convert::from_f64(env, config.max_age.as_secs_f64())?)?;
        convert::set_element(env, out, 2, convert::from_f64(env, f64::from(config.age_buckets))?)?;
        let figures = f64::from(config.histogram.significant_figures());
        convert::set_element(env, out, 3, convert::from_f64(env, figures)?)?;
        convert::set_element(env, out, 4, convert::from_u64_bigint(env, config.histogram.highest())?)?;
        Ok(out)
    }

    fn summary_memory_bytes(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, summary_of(env, h)?.memory_bytes() as f64)
    }

    /// `registrySummary(h, name, help?, labels: string[], quantiles?, maxAgeSeconds?,
    /// ageBuckets?, significantFigures?, highest?, scale?: number): Summary handle`. A scale that
    /// is not positive and finite is the core's `InvalidArgument` (a plain Error, as every
    /// registry refusal).
    fn registry_summary(env, info) {
        let [h, name, help, labels, q, age, buckets, figures, highest, scale] = callback::args::<10>(env, info)?;
        let registry = handle::get::<Registry>(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let mut opts = SummaryOpts {
            config: summary_config(env, q, age, buckets, figures, highest)?,
            ..SummaryOpts::default()
        };
        if !convert::is_undefined(env, scale)? {
            opts.scale = convert::to_f64(env, scale, "scale")?;
        }
        let metric = registry
            .summary(&key.name, &key.help, &key.labels(), &opts)
            .map_err(registry_error)?;
        handle::new_arc(env, metric)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("summaryNew", summary_new),
    export!("summaryRecord", summary_record),
    export!("summaryCount", summary_count),
    export!("summaryCountBigInt", summary_count_bigint),
    export!("summarySum", summary_sum),
    export!("summarySumBigInt", summary_sum_bigint),
    export!("summaryWindowCount", summary_window_count),
    export!("summaryQuantile", summary_quantile),
    export!("summaryQuantiles", summary_quantiles),
    export!("summaryConfig", summary_config_of),
    export!("summaryMemoryBytes", summary_memory_bytes),
    export!("registrySummary", registry_summary),
];
