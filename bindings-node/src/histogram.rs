//! `Histogram`: the native half. The JS class in `index.js` calls these with its handle.

use atomicperf::{Histogram, HistogramConfig};

use crate::cells;

use crate::callback::{self, callbacks, export, Env, Export, Value};
use crate::convert;
use crate::error::{Fail, Result};
use crate::exemplar;
use crate::handle;
use crate::registry::registry_error;

/// A u64 statistic that may be absent (min, max, a quantile): a number or `null`.
fn optional_u64<'s>(env: Env<'s>, v: Option<u64>, what: &str) -> Result<Value<'s>> {
    match v {
        Some(v) => convert::from_u64_exact(
            env,
            v,
            what,
            "keep highest at most Number.MAX_SAFE_INTEGER to read it as a number",
        ),
        None => convert::null(env),
    }
}

callbacks! {
    /// `histogramNew(significantFigures?: number, highest?: number | bigint): handle`;
    /// omitted arguments take core's defaults.
    fn histogram_new(env, info) {
        let [figures, highest] = callback::args::<2>(env, info)?;
        let figures = if convert::is_undefined(env, figures)? {
            HistogramConfig::DEFAULT_SIGNIFICANT_FIGURES
        } else {
            let f = convert::to_u64(env, figures, "significantFigures")?;
            // Values past u8 must not wrap into range: report them as they were given.
            u8::try_from(f).map_err(|_| Fail::range(format!("precision must be 1 to 5 significant figures, got {f}")))?
        };
        let highest = if convert::is_undefined(env, highest)? {
            HistogramConfig::DEFAULT_HIGHEST
        } else {
            convert::to_u64(env, highest, "highest")?
        };
        handle::new(env, Histogram::with_precision(figures, highest)?)
    }

    /// `histogramRecord(h, v: number | bigint)`.
    fn histogram_record(env, info) {
        let [h, v] = callback::args::<2>(env, info)?;
        let histogram = handle::get::<Histogram>(env, h)?;
        histogram.record(convert::to_u64(env, v, "value")?);
        Ok(Value::UNDEFINED)
    }

    /// `histogramRecordWithExemplar(h, v: number | bigint, exemplar: string, timestamp?:
    /// number)`: records `v` and makes the labels (`name\0value\0...`) the exemplar of the exported bucket `v`
    /// falls in. Errors as `counterAddWithExemplar`.
    fn histogram_record_with_exemplar(env, info) {
        let [h, v, labels, ts] = callback::args::<4>(env, info)?;
        let histogram = handle::get::<Histogram>(env, h)?;
        let v = convert::to_u64(env, v, "value")?;
        exemplar::with_labels(env, labels, ts, |pairs, ts| {
            histogram.record_with_exemplar(v, pairs, ts).map_err(registry_error)
        })?;
        Ok(Value::UNDEFINED)
    }

    /// `histogramRecordWithExemplarPairs(h, v: number | bigint, [name1, value1, [name2, value2,]]
    /// [timestamp: number])`: `histogramRecordWithExemplar` for an exemplar of at most two labels
    /// given as strings; the number of arguments tells which are there (see
    /// `exemplar::with_pairs`).
    fn histogram_record_with_exemplar_pairs(env, info) {
        let ([h, v, r0, r1, r2, r3, r4], argc) = callback::args_counted::<7>(env, info)?;
        let histogram = handle::get::<Histogram>(env, h)?;
        let v = convert::to_u64(env, v, "value")?;
        exemplar::with_pairs(env, [r0, r1, r2, r3, r4], argc, |pairs, ts| {
            histogram.record_with_exemplar(v, pairs, ts).map_err(registry_error)
        })?;
        Ok(Value::UNDEFINED)
    }

    /// `histogramExemplars(h): ({labels, value, timestamp} | null)[]`: the latest exemplar of
    /// each exported bucket, `+Inf` last (one entry outside a registry).
    fn histogram_exemplars(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let all = handle::get::<Histogram>(env, h)?.exemplars();
        let out = convert::array(env, all.len())?;
        for (i, e) in all.into_iter().enumerate() {
            convert::set_element(env, out, i as u32, exemplar::value(env, e)?)?;
        }
        Ok(out)
    }

    /// `histogramRecordN(h, v: number | bigint, n: number | bigint)`.
    fn histogram_record_n(env, info) {
        let [h, v, n] = callback::args::<3>(env, info)?;
        let histogram = handle::get::<Histogram>(env, h)?;
        let v = convert::to_u64(env, v, "value")?;
        histogram.record_n(v, convert::to_u64(env, n, "n")?);
        Ok(Value::UNDEFINED)
    }

    fn histogram_count(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_exact(env, handle::get::<Histogram>(env, h)?.count(), "count", "use countBigInt()")
    }

    fn histogram_count_bigint(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_bigint(env, handle::get::<Histogram>(env, h)?.count())
    }

    fn histogram_sum(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_exact(env, handle::get::<Histogram>(env, h)?.sum(), "sum", "use sumBigInt()")
    }

    fn histogram_sum_bigint(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_bigint(env, handle::get::<Histogram>(env, h)?.sum())
    }

    fn histogram_min(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        optional_u64(env, handle::get::<Histogram>(env, h)?.min(), "min")
    }

    fn histogram_max(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        optional_u64(env, handle::get::<Histogram>(env, h)?.max(), "max")
    }

    fn histogram_mean(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        match handle::get::<Histogram>(env, h)?.mean() {
            Some(m) => convert::from_f64(env, m),
            None => convert::null(env),
        }
    }

    /// `histogramQuantile(h, q: number): number | null`.
    fn histogram_quantile(env, info) {
        let [h, q] = callback::args::<2>(env, info)?;
        let histogram = handle::get::<Histogram>(env, h)?;
        let q = convert::to_f64(env, q, "q")?;
        optional_u64(env, histogram.quantile(q)?, "quantile")
    }

    fn histogram_overflow_count(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let n = handle::get::<Histogram>(env, h)?.overflow_count();
        convert::from_u64_exact(env, n, "overflow count", "no BigInt variant exists yet")
    }

    fn histogram_memory_bytes(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, handle::get::<Histogram>(env, h)?.memory_bytes() as f64)
    }

    fn histogram_significant_figures(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, f64::from(handle::get::<Histogram>(env, h)?.config().significant_figures()))
    }

    fn histogram_highest(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_bigint(env, handle::get::<Histogram>(env, h)?.config().highest())
    }

    /// `histogramSnapshot(h): handle`: a new, independent histogram with the same values.
    fn histogram_snapshot(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let copy = Histogram::from_snapshot(&handle::get::<Histogram>(env, h)?.snapshot());
        handle::new(env, copy)
    }

    /// `histogramMerge(h, other)`: adds `other`'s values to `h`.
    fn histogram_merge(env, info) {
        let [h, other] = callback::args::<2>(env, info)?;
        let histogram = handle::get::<Histogram>(env, h)?;
        histogram.merge(handle::get::<Histogram>(env, other)?);
        Ok(Value::UNDEFINED)
    }

    fn histogram_reset(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        handle::get::<Histogram>(env, h)?.reset();
        Ok(Value::UNDEFINED)
    }
}

callbacks! {
    /// `histogramCells(h): {buffer, minOffset, ...} | null`: the cells and the core's description
    /// of them, which `lib/cells.js` records by (see `cells.rs`).
    fn histogram_cells(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        cells::of_histogram(env, handle::get_arc::<Histogram>(env, h)?)
    }

    /// `histogramBucketIndexes(significantFigures: number, values: Float64Array): Float64Array`:
    /// the core's bucket index of every value (integers from 0 to 2^64-1) for that precision,
    /// the reference of the test of `lib/cells.js`'s index function.
    fn histogram_bucket_indexes(env, info) {
        let [figures, values] = callback::args::<2>(env, info)?;
        let f = convert::to_u64(env, figures, "significantFigures")?;
        let f = u8::try_from(f).map_err(|_| Fail::range(format!("precision must be 1 to 5 significant figures, got {f}")))?;
        let config = HistogramConfig::new(f, u64::MAX)?;
        let indexes = convert::with_f64_array(env, values, |values| {
            values
                .iter()
                .map(|&v| {
                    if (0.0..convert::TWO_POW_64).contains(&v) && v.fract() == 0.0 {
                        Ok(config.index(v as u64) as f64)
                    } else {
                        Err(Fail::range(format!("values must be integers from 0 to 2^64-1, got {}", convert::js_number(v))))
                    }
                })
                .collect::<Result<Vec<f64>>>()
        })?
        .ok_or_else(|| Fail::type_error("values must be a Float64Array"))??;
        convert::f64_array(env, &indexes)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("histogramNew", histogram_new),
    export!("histogramRecord", histogram_record),
    export!("histogramRecordN", histogram_record_n),
    export!(
        "histogramRecordWithExemplar",
        histogram_record_with_exemplar
    ),
    export!(
        "histogramRecordWithExemplarPairs",
        histogram_record_with_exemplar_pairs
    ),
    export!("histogramExemplars", histogram_exemplars),
    export!("histogramCount", histogram_count),
    export!("histogramCountBigInt", histogram_count_bigint),
    export!("histogramSum", histogram_sum),
    export!("histogramSumBigInt", histogram_sum_bigint),
    export!("histogramMin", histogram_min),
    export!("histogramMax", histogram_max),
    export!("histogramMean", histogram_mean),
    export!("histogramQuantile", histogram_quantile),
    export!("histogramOverflowCount", histogram_overflow_count),
    export!("histogramMemoryBytes", histogram_memory_bytes),
    export!("histogramSignificantFigures", histogram_significant_figures),
    export!("histogramHighest", histogram_highest),
    export!("histogramSnapshot", histogram_snapshot),
    export!("histogramMerge", histogram_merge),
    export!("histogramReset", histogram_reset),
    export!("histogramCells", histogram_cells),
    export!("histogramBucketIndexes", histogram_bucket_indexes),
];
