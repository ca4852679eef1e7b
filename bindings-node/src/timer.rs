//! `Timer`: the native half. The JS class in `lib/metrics.js` calls these with its handle and
//! adds the scoped forms (`time(fn)`, `startTimer()`), which only read the clock in JS.

use atomicperf::{HistogramConfig, Timer};

use crate::cells;

use crate::callback::{self, callbacks, export, Export, Value};
use crate::convert;
use crate::error::Fail;
use crate::handle;

const ADVICE: &str = "keep highest at most Number.MAX_SAFE_INTEGER to read it as a number";

callbacks! {
    /// `timerNew(significantFigures?: number, highest?: number | bigint): handle`; omitted
    /// arguments take core's defaults (as `histogramNew`).
    fn timer_new(env, info) {
        let [figures, highest] = callback::args::<2>(env, info)?;
        let figures = if convert::is_undefined(env, figures)? {
            HistogramConfig::DEFAULT_SIGNIFICANT_FIGURES
        } else {
            let f = convert::to_u64(env, figures, "significantFigures")?;
            u8::try_from(f).map_err(|_| Fail::range(format!("precision must be 1 to 5 significant figures, got {f}")))?
        };
        let highest = if convert::is_undefined(env, highest)? {
            HistogramConfig::DEFAULT_HIGHEST
        } else {
            convert::to_u64(env, highest, "highest")?
        };
        handle::new(env, Timer::with_config(HistogramConfig::new(figures, highest)?))
    }

    /// `timerRecord(h, durationNs: number | bigint, ok?: boolean)`.
    fn timer_record(env, info) {
        let [h, d, ok] = callback::args::<3>(env, info)?;
        let timer = handle::get::<Timer>(env, h)?;
        let d = convert::to_u64(env, d, "durationNs")?;
        timer.record_nanos(d, convert::to_bool_or(env, ok, true, "ok")?);
        Ok(Value::UNDEFINED)
    }

    fn timer_count(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_exact(env, handle::get::<Timer>(env, h)?.count(), "count", "use countBigInt()")
    }

    fn timer_count_bigint(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_bigint(env, handle::get::<Timer>(env, h)?.count())
    }

    fn timer_errors(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_exact(env, handle::get::<Timer>(env, h)?.errors(), "errors", "use errorsBigInt()")
    }

    fn timer_errors_bigint(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_bigint(env, handle::get::<Timer>(env, h)?.errors())
    }

    fn timer_total(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_exact(env, handle::get::<Timer>(env, h)?.total(), "total", "use totalBigInt()")
    }

    fn timer_total_bigint(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_bigint(env, handle::get::<Timer>(env, h)?.total())
    }

    fn timer_min(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::optional_u64(env, handle::get::<Timer>(env, h)?.min(), "min", ADVICE)
    }

    fn timer_max(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::optional_u64(env, handle::get::<Timer>(env, h)?.max(), "max", ADVICE)
    }

    fn timer_mean(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::optional_f64(env, handle::get::<Timer>(env, h)?.mean())
    }

    /// `timerQuantile(h, q: number): number | null`.
    fn timer_quantile(env, info) {
        let [h, q] = callback::args::<2>(env, info)?;
        let timer = handle::get::<Timer>(env, h)?;
        let q = convert::to_f64(env, q, "q")?;
        convert::optional_u64(env, timer.quantile(q)?, "quantile", ADVICE)
    }

    /// `timerSnapshot(h)`: `{count, errors, total, min, max, mean, errorRatio, p50, p90, p99,
    /// p999}` from one moment (core's `TimerSnapshot`).
    fn timer_snapshot(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let s = handle::get::<Timer>(env, h)?.snapshot();
        let out = convert::object(env)?;
        convert::set(env, out, "count\0", convert::from_u64_exact(env, s.count(), "count", "use countBigInt()")?)?;
        convert::set(env, out, "errors\0", convert::from_u64_exact(env, s.errors(), "errors", "use errorsBigInt()")?)?;
        convert::set(env, out, "total\0", convert::from_u64_exact(env, s.total(), "total", "use totalBigInt()")?)?;
        convert::set(env, out, "min\0", convert::optional_u64(env, s.min(), "min", ADVICE)?)?;
        convert::set(env, out, "max\0", convert::optional_u64(env, s.max(), "max", ADVICE)?)?;
        convert::set(env, out, "mean\0", convert::optional_f64(env, s.mean())?)?;
        convert::set(env, out, "errorRatio\0", convert::from_f64(env, s.error_ratio())?)?;
        for (name, q) in [("p50\0", 0.5), ("p90\0", 0.9), ("p99\0", 0.99), ("p999\0", 0.999)] {
            convert::set(env, out, name, convert::optional_u64(env, s.quantile(q)?, "quantile", ADVICE)?)?;
        }
        Ok(out)
    }

    fn timer_reset(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        handle::get::<Timer>(env, h)?.reset();
        Ok(Value::UNDEFINED)
    }
}

callbacks! {
    /// `timerCells(h): {durations, errors} | null`: the duration histogram's cells and the error
    /// count's cell (see `cells.rs`).
    fn timer_cells(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        cells::of_timer(env, handle::get_arc::<Timer>(env, h)?)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("timerNew", timer_new),
    export!("timerRecord", timer_record),
    export!("timerCount", timer_count),
    export!("timerCountBigInt", timer_count_bigint),
    export!("timerErrors", timer_errors),
    export!("timerErrorsBigInt", timer_errors_bigint),
    export!("timerTotal", timer_total),
    export!("timerTotalBigInt", timer_total_bigint),
    export!("timerMin", timer_min),
    export!("timerMax", timer_max),
    export!("timerMean", timer_mean),
    export!("timerQuantile", timer_quantile),
    export!("timerSnapshot", timer_snapshot),
    export!("timerReset", timer_reset),
    export!("timerCells", timer_cells),
];
