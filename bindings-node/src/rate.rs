//! `RateTracker`: the native half. The JS class in `lib/metrics.js` passes the names and the
//! Counter handles; the tracker shares the counters (`Arc`), so they live as long as it does.

use atomicperf::{Counter, RateTracker};
use napi::sys;

use crate::js;
use crate::raw::{self, callbacks, export, Export, Fail, Handle};

impl Handle for RateTracker {
    const TAG: sys::napi_type_tag = sys::napi_type_tag {
        lower: 0x6174_6f6d_6963_7066,
        upper: 0x0001_c0de_0000_0006,
    };
    const NAME: &'static str = "RateTracker";
}

callbacks! {
    /// `rateTrackerNew(names: string[], counters: CounterHandle[]): handle`. Counter handles are
    /// always tag-checked (this is not a hot path).
    fn rate_tracker_new(env, info) {
        let [names, counters] = raw::args::<2>(env, info)?;
        let names = js::to_array(env, names, "names")?;
        let counters = js::to_array(env, counters, "counters")?;
        if names.len() != counters.len() {
            return Err(Fail::type_error("names and counters must have the same length"));
        }
        let mut sources = Vec::with_capacity(names.len());
        for (name, counter) in names.into_iter().zip(counters) {
            let name = js::to_string(env, name, "a counter name")?;
            if sources.iter().any(|(n, _): &(String, _)| *n == name) {
                return Err(Fail::type_error(format!("counter name {name:?} is given twice")));
            }
            sources.push((name, raw::handle_arc::<Counter>(env, counter)?));
        }
        raw::new_handle(env, RateTracker::new(sources))
    }

    /// `rateTrackerRates(h): {name, delta, perSecond}[]`: rates since the previous call, in
    /// registration order (zero on the first call). `delta` is a BigInt above 2^53.
    fn rate_tracker_rates(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        let rates = raw::handle::<RateTracker>(env, h)?.rates();
        let out = js::array(env, rates.len())?;
        for (i, r) in rates.iter().enumerate() {
            let o = js::object(env)?;
            js::set(env, o, "name\0", js::string(env, r.name)?)?;
            js::set(env, o, "delta\0", js::u64_number_or_bigint(env, r.delta)?)?;
            js::set(env, o, "perSecond\0", raw::from_f64(env, r.per_second)?)?;
            js::set_element(env, out, i as u32, o)?;
        }
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("rateTrackerNew", rate_tracker_new),
    export!("rateTrackerRates", rate_tracker_rates),
];
