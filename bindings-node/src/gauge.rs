//! `Gauge`: the native half. The JS class in `index.js` calls these with its handle; `set`,
//! `get` and `add` normally skip them and use the cell through `gaugeCells` (see `cells.rs`).

use std::sync::Arc;

use atomicperf::Gauge;

use crate::callback::{self, callbacks, export, Export, Value};
use crate::cells;
use crate::convert;
use crate::handle;

/// Declares `gaugeX(h, v: number)` callbacks that pass `v` to one core method.
macro_rules! with_value {
    ($($name:ident => $method:ident),* $(,)?) => {
        callbacks! {$(
            fn $name(env, info) {
                let [h, v] = callback::args::<2>(env, info)?;
                let gauge = handle::get::<Gauge>(env, h)?;
                gauge.$method(convert::to_f64(env, v, "value")?);
                Ok(Value::UNDEFINED)
            }
        )*}
    };
}

/// Declares `gaugeX(h)` callbacks for core methods without arguments.
macro_rules! without_value {
    ($($name:ident => $method:ident),* $(,)?) => {
        callbacks! {$(
            fn $name(env, info) {
                let [h] = callback::args::<1>(env, info)?;
                handle::get::<Gauge>(env, h)?.$method();
                Ok(Value::UNDEFINED)
            }
        )*}
    };
}

with_value! {
    gauge_set => set,
    gauge_add => add,
    gauge_sub => sub,
    gauge_set_max => set_max,
    gauge_set_min => set_min,
}

without_value! {
    gauge_inc => inc,
    gauge_dec => dec,
}

callbacks! {
    /// `gaugeNew(value?: number): handle`.
    fn gauge_new(env, info) {
        let [v] = callback::args::<1>(env, info)?;
        let gauge = if convert::is_undefined(env, v)? { Gauge::new() } else { Gauge::with_value(convert::to_f64(env, v, "value")?) };
        handle::new(env, gauge)
    }

    /// `gaugeCells(h): ArrayBuffer | null`: the gauge's cell, 8 bytes holding the value's IEEE-754
    /// bits, which JS may `Atomics.load`, `Atomics.store` and `Atomics.compareExchange`. `null`
    /// where the runtime refuses external buffers.
    fn gauge_cells(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let gauge = handle::get_arc::<Gauge>(env, h)?;
        let base = gauge.cell().cast::<u8>();
        // SAFETY: the cell is the gauge's 8-byte atomic, inside the Arc's allocation (kept by
        // the buffer's finalizer) that never moves; JS stores and compare-and-swaps it with
        // Atomics only, as `Gauge::cell` allows foreign writers.
        unsafe { cells::external_buffer(env, gauge, base, 8) }
    }

    /// `gaugeRefs(h): number`: owners of the gauge (its handle and live cell buffers).
    fn gauge_refs(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let gauge = handle::get_arc::<Gauge>(env, h)?;
        convert::from_f64(env, (Arc::strong_count(&gauge) - 1) as f64)
    }

    /// `gaugeGet(h): number`.
    fn gauge_get(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, handle::get::<Gauge>(env, h)?.get())
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("gaugeNew", gauge_new),
    export!("gaugeGet", gauge_get),
    export!("gaugeSet", gauge_set),
    export!("gaugeAdd", gauge_add),
    export!("gaugeSub", gauge_sub),
    export!("gaugeInc", gauge_inc),
    export!("gaugeDec", gauge_dec),
    export!("gaugeSetMax", gauge_set_max),
    export!("gaugeSetMin", gauge_set_min),
    export!("gaugeCells", gauge_cells),
    export!("gaugeRefs", gauge_refs),
];
