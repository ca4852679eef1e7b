//! `Info` and `Enum`: the native half. The JS classes in `lib/info.js` call these with their
//! handle; `registryInfo` and `registryEnum` (a registry's, found or created) return the same
//! handles. Not a hot path: every call is a native one.
//!
//! Core's errors (a bad label name, an unknown state, bad states) are `Error::InvalidArgument`:
//! a plain Error with code `AP_ERR_INVALID_ARGUMENT`, as the registry's.

use atomicperf::{Enum, Info, Registry};

use crate::callback::{self, callbacks, export, Env, Export, Value};
use crate::convert;
use crate::error::Result;
use crate::handle;
use crate::registry::{registry_error, Key};

/// The `states` argument: an array of strings.
fn states(env: Env<'_>, v: Value<'_>) -> Result<Vec<String>> {
    convert::to_array(env, v, "states")?
        .into_iter()
        .map(|s| convert::to_string(env, s, "a state"))
        .collect()
}

/// Pairs as the flat `[name0, value0, ...]` array `lib/info.js` turns into an object.
fn flat<'s>(env: Env<'s>, pairs: &[(String, String)]) -> Result<Value<'s>> {
    let out = convert::array(env, pairs.len() * 2)?;
    for (i, (k, v)) in pairs.iter().enumerate() {
        convert::set_element(env, out, 2 * i as u32, convert::string(env, k)?)?;
        convert::set_element(env, out, 2 * i as u32 + 1, convert::string(env, v)?)?;
    }
    Ok(out)
}

callbacks! {
    /// `infoNew(): handle`: an Info with no pairs.
    fn info_new(env, _info) {
        handle::new(env, Info::new())
    }

    /// `infoSet(h, pairs: string[])`: replaces the pairs (a flat `[name, value, ...]` array).
    fn info_set(env, info) {
        let [h, pairs] = callback::args::<2>(env, info)?;
        let i = handle::get::<Info>(env, h)?;
        let pairs = Key::read_labels(env, pairs)?;
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        i.set(&refs).map_err(registry_error)?;
        Ok(Value::UNDEFINED)
    }

    /// `infoGet(h): string[]`: the pairs, sorted by name, as a flat array.
    fn info_get(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        flat(env, &handle::get::<Info>(env, h)?.get())
    }

    /// `enumNew(states: string[]): handle`, in the first state.
    fn enum_new(env, info) {
        let [s] = callback::args::<1>(env, info)?;
        let s = states(env, s)?;
        let refs: Vec<&str> = s.iter().map(String::as_str).collect();
        handle::new(env, Enum::new(&refs).map_err(registry_error)?)
    }

    /// `enumSet(h, state: string)`.
    fn enum_set(env, info) {
        let [h, state] = callback::args::<2>(env, info)?;
        let e = handle::get::<Enum>(env, h)?;
        e.set(&convert::to_string(env, state, "state")?).map_err(registry_error)?;
        Ok(Value::UNDEFINED)
    }

    /// `enumGet(h): string`: the current state.
    fn enum_get(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::string(env, handle::get::<Enum>(env, h)?.get())
    }

    /// `enumIndex(h): number`: the index of the current state.
    fn enum_index(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, handle::get::<Enum>(env, h)?.index() as f64)
    }

    /// `enumStates(h): string[]`.
    fn enum_states(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let e = handle::get::<Enum>(env, h)?;
        let out = convert::array(env, e.states().len())?;
        for (i, s) in e.states().iter().enumerate() {
            convert::set_element(env, out, i as u32, convert::string(env, s)?)?;
        }
        Ok(out)
    }

    /// `registryInfo(h, name, help?, labels: string[]): Info handle`.
    fn registry_info(env, info) {
        let [h, name, help, labels] = callback::args::<4>(env, info)?;
        let registry = handle::get::<Registry>(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let metric = registry.info(&key.name, &key.help, &key.labels()).map_err(registry_error)?;
        handle::new_arc(env, metric)
    }

    /// `registryEnum(h, name, help?, labels: string[], states: string[]): Enum handle`.
    fn registry_enum(env, info) {
        let [h, name, help, labels, s] = callback::args::<5>(env, info)?;
        let registry = handle::get::<Registry>(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let s = states(env, s)?;
        let refs: Vec<&str> = s.iter().map(String::as_str).collect();
        let metric = registry
            .enumeration(&key.name, &key.help, &key.labels(), &refs)
            .map_err(registry_error)?;
        handle::new_arc(env, metric)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("infoNew", info_new),
    export!("infoSet", info_set),
    export!("infoGet", info_get),
    export!("enumNew", enum_new),
    export!("enumSet", enum_set),
    export!("enumGet", enum_get),
    export!("enumIndex", enum_index),
    export!("enumStates", enum_states),
    export!("registryInfo", registry_info),
    export!("registryEnum", registry_enum),
];
