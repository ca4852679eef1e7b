//! `MinMax`: the native half. The JS class in `lib/metrics.js` calls these with its handle.

use atomicperf::MinMax;

use crate::cells;

use crate::callback::{self, callbacks, export, Export, Value};
use crate::convert;
use crate::handle;

callbacks! {
    /// `minmaxNew(): handle`.
    fn minmax_new(env, _info) {
        handle::new(env, MinMax::new())
    }

    /// `minmaxRecord(h, v: number | bigint)`.
    fn minmax_record(env, info) {
        let [h, v] = callback::args::<2>(env, info)?;
        let m = handle::get::<MinMax>(env, h)?;
        m.record(convert::to_u64(env, v, "value")?);
        Ok(Value::UNDEFINED)
    }

    /// `minmaxMin(h): number | null`.
    fn minmax_min(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::optional_u64(env, handle::get::<MinMax>(env, h)?.min(), "min", "use minBigInt()")
    }

    /// `minmaxMax(h): number | null`.
    fn minmax_max(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::optional_u64(env, handle::get::<MinMax>(env, h)?.max(), "max", "use maxBigInt()")
    }

    /// `minmaxMinBigInt(h): bigint | null`.
    fn minmax_min_bigint(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::optional_u64_bigint(env, handle::get::<MinMax>(env, h)?.min())
    }

    /// `minmaxMaxBigInt(h): bigint | null`.
    fn minmax_max_bigint(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::optional_u64_bigint(env, handle::get::<MinMax>(env, h)?.max())
    }

    fn minmax_reset(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        handle::get::<MinMax>(env, h)?.reset();
        Ok(Value::UNDEFINED)
    }
}

callbacks! {
    /// `minmaxCells(h): {buffer, minOffset, maxOffset, recordedOffset} | null` (see `cells.rs`).
    fn minmax_cells(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        cells::of_minmax(env, handle::get_arc::<MinMax>(env, h)?)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("minmaxNew", minmax_new),
    export!("minmaxRecord", minmax_record),
    export!("minmaxMin", minmax_min),
    export!("minmaxMax", minmax_max),
    export!("minmaxMinBigInt", minmax_min_bigint),
    export!("minmaxMaxBigInt", minmax_max_bigint),
    export!("minmaxReset", minmax_reset),
    export!("minmaxCells", minmax_cells),
];
