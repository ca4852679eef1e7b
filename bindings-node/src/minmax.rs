//! `MinMax`: the native half. The JS class in `lib/metrics.js` calls these with its handle.

use atomicperf::MinMax;
use napi::sys;

use crate::js;
use crate::raw::{self, callbacks, export, Export, Handle, UNDEFINED};

impl Handle for MinMax {
    const TAG: sys::napi_type_tag = sys::napi_type_tag {
        lower: 0x6174_6f6d_6963_7066,
        upper: 0x0001_c0de_0000_0004,
    };
    const NAME: &'static str = "MinMax";
}

callbacks! {
    /// `minmaxNew(): handle`.
    fn minmax_new(env, _info) {
        raw::new_handle(env, MinMax::new())
    }

    /// `minmaxRecord(h, v: number | bigint)`.
    fn minmax_record(env, info) {
        let [h, v] = raw::args::<2>(env, info)?;
        let m = raw::handle::<MinMax>(env, h)?;
        m.record(raw::to_u64(env, v, "value")?);
        Ok(UNDEFINED)
    }

    /// `minmaxMin(h): number | null`.
    fn minmax_min(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        js::optional_u64(env, raw::handle::<MinMax>(env, h)?.min(), "min", "use minBigInt()")
    }

    /// `minmaxMax(h): number | null`.
    fn minmax_max(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        js::optional_u64(env, raw::handle::<MinMax>(env, h)?.max(), "max", "use maxBigInt()")
    }

    /// `minmaxMinBigInt(h): bigint | null`.
    fn minmax_min_bigint(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        js::optional_u64_bigint(env, raw::handle::<MinMax>(env, h)?.min())
    }

    /// `minmaxMaxBigInt(h): bigint | null`.
    fn minmax_max_bigint(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        js::optional_u64_bigint(env, raw::handle::<MinMax>(env, h)?.max())
    }

    fn minmax_reset(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        raw::handle::<MinMax>(env, h)?.reset();
        Ok(UNDEFINED)
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
];
