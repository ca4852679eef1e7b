//! `SnapshotCell` of a byte string: the native half of the class in `lib/state.js`.
//!
//! Revisions are returned as numbers (a BigInt past 2^53, which takes 2^53 stores to reach). A
//! failed `compareAndStore` throws an Error with code `AP_ERR_REVISION_MISMATCH` and the
//! revision it found as `.current` (and the one asked for as `.expected`).

use std::time::UNIX_EPOCH;

use atomicperf::{SnapshotCell, Status};

use crate::callback::{self, callbacks, export, Export};
use crate::convert;
use crate::error::Fail;
use crate::handle;

pub(crate) type ByteCell = SnapshotCell<Box<[u8]>>;

callbacks! {
    /// `snapshotCellNew(value: Buffer | Uint8Array | string)`.
    fn snapshot_cell_new(env, info) {
        let [value] = callback::args::<1>(env, info)?;
        handle::new(env, ByteCell::new(convert::to_bytes(env, value, "value")?))
    }

    /// `snapshotCellLoad(h): Buffer`.
    fn snapshot_cell_load(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::buffer(env, &handle::get::<ByteCell>(env, h)?.load())
    }

    /// `snapshotCellLoadInto(h, scratch: Uint8Array): number`: the value's length in bytes, and
    /// the value copied to the start of `scratch` if it fits there (nothing written if it does
    /// not); see `shardedMapGetInto`.
    fn snapshot_cell_load_into(env, info) {
        let [h, scratch] = callback::args::<2>(env, info)?;
        let value = handle::get::<ByteCell>(env, h)?.load();
        convert::copy_into_u8_array(env, scratch, &value, "scratch")?;
        convert::from_f64(env, value.len() as f64)
    }

    /// `snapshotCellLoadString(h): string` (the value decoded as UTF-8).
    fn snapshot_cell_load_string(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::utf8_string(env, &handle::get::<ByteCell>(env, h)?.load())
    }

    /// `snapshotCellLoadWithRevision(h): { value: Buffer, revision: number }`.
    fn snapshot_cell_load_with_revision(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let (value, revision) = handle::get::<ByteCell>(env, h)?.load_with_revision();
        let out = convert::object(env)?;
        convert::set(env, out, "value\0", convert::buffer(env, &value)?)?;
        convert::set(env, out, "revision\0", convert::u64_number_or_bigint(env, revision)?)?;
        Ok(out)
    }

    /// `snapshotCellStore(h, value): number` (the new revision).
    fn snapshot_cell_store(env, info) {
        let [h, value] = callback::args::<2>(env, info)?;
        let c = handle::get::<ByteCell>(env, h)?;
        let revision = c.store(convert::to_bytes(env, value, "value")?);
        convert::u64_number_or_bigint(env, revision)
    }

    /// `snapshotCellCompareAndStore(h, expected: number | bigint, value): number`.
    fn snapshot_cell_compare_and_store(env, info) {
        let [h, expected, value] = callback::args::<3>(env, info)?;
        let c = handle::get::<ByteCell>(env, h)?;
        let expected = convert::to_u64(env, expected, "expected")?;
        let value = convert::to_bytes(env, value, "value")?;
        match c.compare_and_store(expected, value) {
            Ok(revision) => convert::u64_number_or_bigint(env, revision),
            Err((current, _)) => Fail::error(
                Status::RevisionMismatch,
                format!("revision mismatch: expected revision {expected}, the cell is at revision {current}"),
            )
            .throw_with(
                env,
                &[
                    ("current\0", convert::u64_number_or_bigint(env, current)?),
                    ("expected\0", convert::u64_number_or_bigint(env, expected)?),
                ],
            ),
        }
    }

    fn snapshot_cell_revision(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::u64_number_or_bigint(env, handle::get::<ByteCell>(env, h)?.revision())
    }

    /// `snapshotCellAgeMs(h): number`: milliseconds since the last store (or creation).
    fn snapshot_cell_age_ms(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_f64(env, handle::get::<ByteCell>(env, h)?.age().as_secs_f64() * 1e3)
    }

    /// `snapshotCellLastUpdated(h): Date`.
    fn snapshot_cell_last_updated(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let at = handle::get::<ByteCell>(env, h)?.last_updated();
        let ms = match at.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64() * 1e3,
            Err(e) => -e.duration().as_secs_f64() * 1e3,
        };
        convert::date(env, ms)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("snapshotCellNew", snapshot_cell_new),
    export!("snapshotCellLoad", snapshot_cell_load),
    export!("snapshotCellLoadInto", snapshot_cell_load_into),
    export!("snapshotCellLoadString", snapshot_cell_load_string),
    export!(
        "snapshotCellLoadWithRevision",
        snapshot_cell_load_with_revision
    ),
    export!("snapshotCellStore", snapshot_cell_store),
    export!(
        "snapshotCellCompareAndStore",
        snapshot_cell_compare_and_store
    ),
    export!("snapshotCellRevision", snapshot_cell_revision),
    export!("snapshotCellAgeMs", snapshot_cell_age_ms),
    export!("snapshotCellLastUpdated", snapshot_cell_last_updated),
];
