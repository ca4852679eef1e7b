//! `RateTracker`: the native half. The JS class in `lib/metrics.js` passes the names and the
//! Counter handles; the tracker shares the counters (`Arc`), so they live as long as it does.

use atomicperf::{Counter, RateTracker};

use crate::callback::{self, callbacks, export, Export};
use crate::convert;
use crate::error::Fail;
use crate::handle;

callbacks! {
    /// `rateTrackerNew(names: string[], counters: CounterHandle[]): handle`. Counter handles are
    /// always tag-checked (this is not a hot path).
    fn rate_tracker_new(env, info) {
        let [names, counters] = callback::args::<2>(env, info)?;
        let names = convert::to_array(env, names, "names")?;
        let counters = convert::to_array(env, counters, "counters")?;
        if names.len() != counters.len() {
            return Err(Fail::type_error("names and counters must have the same length"));
        }
        let mut sources = Vec::with_capacity(names.len());
        for (name, counter) in names.into_iter().zip(counters) {
            let name = convert::to_string(env, name, "a counter name")?;
            if sources.iter().any(|(n, _): &(String, _)| *n == name) {
                return Err(Fail::type_error(format!("counter name {name:?} is given twice")));
            }
            sources.push((name, handle::get_arc::<Counter>(env, counter)?));
        }
        handle::new(env, RateTracker::new(sources))
    }

    /// `rateTrackerRates(h): {name, delta, perSecond}[]`: rates since the previous call, in
    /// registration order (zero on the first call). `delta` is a BigInt above 2^53.
    fn rate_tracker_rates(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let rates = handle::get::<RateTracker>(env, h)?.rates();
        let out = convert::array(env, rates.len())?;
        for (i, r) in rates.iter().enumerate() {
            let o = convert::object(env)?;
            convert::set(env, o, "name\0", convert::string(env, r.name)?)?;
            convert::set(env, o, "delta\0", convert::u64_number_or_bigint(env, r.delta)?)?;
            convert::set(env, o, "perSecond\0", convert::from_f64(env, r.per_second)?)?;
            convert::set_element(env, out, i as u32, o)?;
        }
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("rateTrackerNew", rate_tracker_new),
    export!("rateTrackerRates", rate_tracker_rates),
];
