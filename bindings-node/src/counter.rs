//! `Counter`: the native half. The JS class in `index.js` calls these with its handle; `inc` and
//! `add` normally skip them and add to the cells through `counterCells` (see `cells.rs`).

use std::sync::Arc;

use atomicperf::Counter;

use crate::callback::{self, callbacks, export, Export, Value};
use crate::cells;
use crate::convert;
use crate::exemplar;
use crate::handle;
use crate::registry::registry_error;

callbacks! {
    /// `counterNew(stripes?: number): handle`.
    fn counter_new(env, info) {
        let [stripes] = callback::args::<1>(env, info)?;
        let counter = if convert::is_undefined(env, stripes)? {
            Counter::new()
        } else {
            let n = convert::to_u64(env, stripes, "stripes")?;
            // Beyond usize the count is out of range anyway; let core say so in its words.
            Counter::with_stripes(usize::try_from(n).unwrap_or(usize::MAX))?
        };
        handle::new(env, counter)
    }

    /// `counterInc(h)`: the hottest call in the library, hence no argument but the handle.
    fn counter_inc(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        handle::get::<Counter>(env, h)?.inc();
        Ok(Value::UNDEFINED)
    }

    /// `counterAdd(h, n: number | bigint)`.
    fn counter_add(env, info) {
        let [h, n] = callback::args::<2>(env, info)?;
        let counter = handle::get::<Counter>(env, h)?;
        counter.add(convert::to_u64(env, n, "n")?);
        Ok(Value::UNDEFINED)
    }

    /// `counterAddWithExemplar(h, n: number | bigint, exemplar: string, timestamp?: number)`:
    /// adds `n` and makes the labels (`name\0value\0...`, see `exemplar::with_labels`) the
    /// counter's exemplar
    /// (`timestamp` in seconds since the Unix epoch, undefined for none). Core's errors (a bad
    /// name, past 128 characters) are a plain Error with code `AP_ERR_INVALID_ARGUMENT`.
    fn counter_add_with_exemplar(env, info) {
        let [h, n, labels, ts] = callback::args::<4>(env, info)?;
        let counter = handle::get::<Counter>(env, h)?;
        let n = convert::to_u64(env, n, "n")?;
        exemplar::with_labels(env, labels, ts, |pairs, ts| {
            counter.add_with_exemplar(n, pairs, ts).map_err(registry_error)
        })?;
        Ok(Value::UNDEFINED)
    }

    /// `counterAddWithExemplarPairs(h, n: number | bigint, [name1, value1, [name2, value2,]]
    /// [timestamp: number])`: `counterAddWithExemplar` for an exemplar of at most two labels
    /// given as strings, the path `index.js` takes for the usual ones; the number of arguments
    /// tells which are there (see `exemplar::with_pairs`).
    fn counter_add_with_exemplar_pairs(env, info) {
        let ([h, n, r0, r1, r2, r3, r4], argc) = callback::args_counted::<7>(env, info)?;
        let counter = handle::get::<Counter>(env, h)?;
        let n = convert::to_u64(env, n, "n")?;
        exemplar::with_pairs(env, [r0, r1, r2, r3, r4], argc, |pairs, ts| {
            counter.add_with_exemplar(n, pairs, ts).map_err(registry_error)
        })?;
        Ok(Value::UNDEFINED)
    }

    /// `counterExemplar(h): {labels, value, timestamp} | null`: the latest exemplar.
    fn counter_exemplar(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        exemplar::value(env, handle::get::<Counter>(env, h)?.exemplar())
    }

    /// `counterGet(h): number` (RangeError above `Number.MAX_SAFE_INTEGER`).
    fn counter_get(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let v = handle::get::<Counter>(env, h)?.get();
        convert::from_u64_exact(env, v, "counter value", "use getBigInt()")
    }

    /// `counterGetBigInt(h): bigint`.
    fn counter_get_bigint(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_bigint(env, handle::get::<Counter>(env, h)?.get())
    }

    /// `counterStripes(h): number`.
    fn counter_stripes(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, handle::get::<Counter>(env, h)?.stripes() as f64)
    }
}

callbacks! {
    /// `counterCells(h): ArrayBuffer | null`: the stripes, `stripes * STRIPE_STRIDE` bytes with
    /// stripe `i`'s u64 at byte `i * STRIPE_STRIDE` (so the stride is `byteLength / stripes`);
    /// JS may only `Atomics.add` to them. `null` where the runtime refuses external buffers.
    fn counter_cells(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let counter = handle::get_arc::<Counter>(env, h)?;
        let base = counter.stripe_cells().cast::<u8>();
        let len = counter.stripes() * Counter::STRIPE_STRIDE;
        // SAFETY: the stripes are one allocation of `stripes` cells of STRIPE_STRIDE bytes, owned
        // by the counter (the buffer's finalizer keeps this clone) and never moved; JS adds to
        // them with Atomics only, as `Counter::stripe_cells` allows foreign writers.
        unsafe { cells::external_buffer(env, counter, base, len) }
    }

    /// `counterRefs(h): number`: owners of the counter (its handle, live cell buffers, other
    /// metrics). For tests of the buffers' lifetime.
    fn counter_refs(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let counter = handle::get_arc::<Counter>(env, h)?;
        // Minus the clone just taken.
        convert::from_f64(env, (Arc::strong_count(&counter) - 1) as f64)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("counterNew", counter_new),
    export!("counterInc", counter_inc),
    export!("counterAdd", counter_add),
    export!("counterAddWithExemplar", counter_add_with_exemplar),
    export!(
        "counterAddWithExemplarPairs",
        counter_add_with_exemplar_pairs
    ),
    export!("counterExemplar", counter_exemplar),
    export!("counterGet", counter_get),
    export!("counterGetBigInt", counter_get_bigint),
    export!("counterStripes", counter_stripes),
    export!("counterCells", counter_cells),
    export!("counterRefs", counter_refs),
];
