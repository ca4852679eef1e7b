//! `Gauge`: the native half. The JS class in `index.js` calls these with its handle; `set`,
//! `get` and `add` normally skip them and use the cell through `gaugeCells` (see `cells.rs`).

use std::sync::Arc;

use atomicperf::Gauge;
use napi::sys;

use crate::cells;
use crate::raw::{self, callbacks, export, Export, Handle, UNDEFINED};

impl Handle for Gauge {
    const TAG: sys::napi_type_tag = sys::napi_type_tag {
        lower: 0x6174_6f6d_6963_7066,
        upper: 0x0001_c0de_0000_0002,
    };
    const NAME: &'static str = "Gauge";
}

/// Declares `gaugeX(h, v: number)` callbacks that pass `v` to one core method.
macro_rules! with_value {
    ($($name:ident => $method:ident),* $(,)?) => {
        callbacks! {$(
            fn $name(env, info) {
                let [h, v] = raw::args::<2>(env, info)?;
                let gauge = raw::handle::<Gauge>(env, h)?;
                gauge.$method(raw::to_f64(env, v, "value")?);
                Ok(UNDEFINED)
            }
        )*}
    };
}

/// Declares `gaugeX(h)` callbacks for core methods without arguments.
macro_rules! without_value {
    ($($name:ident => $method:ident),* $(,)?) => {
        callbacks! {$(
            fn $name(env, info) {
                let [h] = raw::args::<1>(env, info)?;
                raw::handle::<Gauge>(env, h)?.$method();
                Ok(UNDEFINED)
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
        let [v] = raw::args::<1>(env, info)?;
        let gauge = if raw::is_undefined(env, v)? { Gauge::new() } else { Gauge::with_value(raw::to_f64(env, v, "value")?) };
        raw::new_handle(env, gauge)
    }

    /// `gaugeCells(h): ArrayBuffer | null`: the gauge's cell, 8 bytes holding the value's IEEE-754
    /// bits, which JS may `Atomics.load`, `Atomics.store` and `Atomics.compareExchange`. `null`
    /// where the runtime refuses external buffers.
    fn gauge_cells(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        let gauge = raw::handle_arc::<Gauge>(env, h)?;
        let base = gauge.cell().cast::<u8>();
        // The cell lives inside the gauge, which never moves; the finalizer keeps this clone.
        cells::external_buffer(env, gauge, base, 8)
    }

    /// `gaugeRefs(h): number`: owners of the gauge (its handle and live cell buffers).
    fn gauge_refs(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        let gauge = raw::handle_arc::<Gauge>(env, h)?;
        raw::from_f64(env, (Arc::strong_count(&gauge) - 1) as f64)
    }

    /// `gaugeGet(h): number`.
    fn gauge_get(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        raw::from_f64(env, raw::handle::<Gauge>(env, h)?.get())
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
