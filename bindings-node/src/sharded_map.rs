//! `ShardedMap` of byte strings: the native half of the class in `lib/state.js`.
//!
//! Keys and values are byte strings (`Box<[u8]>` keys, `Arc<[u8]>` values so that a read clones a
//! pointer under the shard lock and copies the bytes into a Buffer after releasing it). A string
//! argument is stored as its UTF-8 bytes, so `'a'` and `Buffer.from('a')` are the same key.
//!
//! No JS code ever runs while a shard lock is held: `computeIfAbsent` calls its JS function first
//! (in `lib/state.js`) and then `shardedMapInsertIfAbsent`, which inserts unless a value is
//! already present and returns the value that won.

use std::sync::Arc;

use atomicperf::ShardedMap;

use crate::callback::{self, callbacks, export, Export, Value};
use crate::convert;
use crate::handle;

pub(crate) type ByteMap = ShardedMap<Box<[u8]>, Arc<[u8]>>;

callbacks! {
    /// `shardedMapNew(shards?: number)`: a power of two from 1 to 4096, or core's default.
    fn sharded_map_new(env, info) {
        let [shards] = callback::args::<1>(env, info)?;
        let map = if convert::is_undefined(env, shards)? {
            ByteMap::new()
        } else {
            ByteMap::with_shards(convert::to_usize(env, shards, "shards")?)?
        };
        handle::new(env, map)
    }

    /// `shardedMapGet(h, key): Buffer | undefined`.
    fn sharded_map_get(env, info) {
        let [h, key] = callback::args::<2>(env, info)?;
        let m = handle::get::<ByteMap>(env, h)?;
        let v = convert::with_bytes(env, key, "key", |k| m.get(k))?;
        convert::optional_buffer(env, v.as_deref())
    }

    /// `shardedMapGetInto(h, key, scratch: Uint8Array): number`: -1 if `key` is absent, else
    /// the value's length in bytes, and the value copied to the start of `scratch` if it fits
    /// there (nothing written if it does not). `lib/state.js` makes its Buffer from `scratch`:
    /// a Buffer that N-API makes costs a microsecond or more, several times the rest of a get.
    fn sharded_map_get_into(env, info) {
        let [h, key, scratch] = callback::args::<3>(env, info)?;
        let m = handle::get::<ByteMap>(env, h)?;
        let Some(v) = convert::with_bytes(env, key, "key", |k| m.get(k))? else {
            return convert::from_f64(env, -1.0);
        };
        convert::copy_into_u8_array(env, scratch, &v, "scratch")?;
        convert::from_f64(env, v.len() as f64)
    }

    /// `shardedMapGetString(h, key): string | undefined` (the value decoded as UTF-8).
    fn sharded_map_get_string(env, info) {
        let [h, key] = callback::args::<2>(env, info)?;
        let m = handle::get::<ByteMap>(env, h)?;
        match convert::with_bytes(env, key, "key", |k| m.get(k))? {
            Some(v) => convert::utf8_string(env, &v),
            None => Ok(Value::UNDEFINED),
        }
    }

    /// `shardedMapHas(h, key): boolean`.
    fn sharded_map_has(env, info) {
        let [h, key] = callback::args::<2>(env, info)?;
        let m = handle::get::<ByteMap>(env, h)?;
        convert::boolean(env, convert::with_bytes(env, key, "key", |k| m.contains(k))?)
    }

    /// `shardedMapInsert(h, key, value): Buffer | undefined` (the previous value).
    fn sharded_map_insert(env, info) {
        let [h, key, value] = callback::args::<3>(env, info)?;
        let m = handle::get::<ByteMap>(env, h)?;
        let key = convert::to_bytes(env, key, "key")?;
        let value: Arc<[u8]> = convert::with_bytes(env, value, "value", |b: &[u8]| Arc::<[u8]>::from(b))?;
        let prev = m.insert(key, value);
        convert::optional_buffer(env, prev.as_deref())
    }

    /// `shardedMapInsertIfAbsent(h, key, value): Buffer`: inserts unless the key has a value, and
    /// returns the value the map holds afterwards (this one, or the one that was there first).
    fn sharded_map_insert_if_absent(env, info) {
        let [h, key, value] = callback::args::<3>(env, info)?;
        let m = handle::get::<ByteMap>(env, h)?;
        let key = convert::to_bytes(env, key, "key")?;
        let value: Arc<[u8]> = convert::with_bytes(env, value, "value", |b: &[u8]| Arc::<[u8]>::from(b))?;
        let winner = m.compute_if_absent(key, || value);
        convert::buffer(env, &winner)
    }

    /// `shardedMapRemove(h, key): Buffer | undefined` (the removed value).
    fn sharded_map_remove(env, info) {
        let [h, key] = callback::args::<2>(env, info)?;
        let m = handle::get::<ByteMap>(env, h)?;
        let prev = convert::with_bytes(env, key, "key", |k| m.remove(k))?;
        convert::optional_buffer(env, prev.as_deref())
    }

    fn sharded_map_size(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, handle::get::<ByteMap>(env, h)?.len() as f64)
    }

    fn sharded_map_shards(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, handle::get::<ByteMap>(env, h)?.shards() as f64)
    }

    fn sharded_map_clear(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        handle::get::<ByteMap>(env, h)?.clear();
        Ok(Value::UNDEFINED)
    }

    /// `shardedMapEntries(h): [Buffer, Buffer][]`, copied shard by shard (each shard consistent
    /// in itself; no order).
    fn sharded_map_entries(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let entries = handle::get::<ByteMap>(env, h)?.snapshot();
        let out = convert::array(env, entries.len())?;
        for (i, (k, v)) in entries.iter().enumerate() {
            let pair = convert::array(env, 2)?;
            convert::set_element(env, pair, 0, convert::buffer(env, k)?)?;
            convert::set_element(env, pair, 1, convert::buffer(env, v)?)?;
            convert::set_element(env, out, i as u32, pair)?;
        }
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("shardedMapNew", sharded_map_new),
    export!("shardedMapGet", sharded_map_get),
    export!("shardedMapGetInto", sharded_map_get_into),
    export!("shardedMapGetString", sharded_map_get_string),
    export!("shardedMapHas", sharded_map_has),
    export!("shardedMapInsert", sharded_map_insert),
    export!("shardedMapInsertIfAbsent", sharded_map_insert_if_absent),
    export!("shardedMapRemove", sharded_map_remove),
    export!("shardedMapSize", sharded_map_size),
    export!("shardedMapShards", sharded_map_shards),
    export!("shardedMapClear", sharded_map_clear),
    export!("shardedMapEntries", sharded_map_entries),
];
