//! `SnapshotCell` of a byte string: the native half of the class in `lib/state.js`.
//!
//! Revisions are returned as numbers (a BigInt past 2^53, which takes 2^53 stores to reach). A
//! failed `compareAndStore` throws an Error with code `AP_ERR_REVISION_MISMATCH` and the
//! revision it found as `.current` (and the one asked for as `.expected`).

use std::time::UNIX_EPOCH;

use atomicperf::SnapshotCell;
use napi::sys;

use crate::bytes;
use crate::js;
use crate::raw::{self, callbacks, export, Class, Export, Handle};

pub(crate) type ByteCell = SnapshotCell<Box<[u8]>>;

impl Handle for ByteCell {
    const TAG: sys::napi_type_tag = sys::napi_type_tag {
        lower: 0x6174_6f6d_6963_7066,
        upper: 0x0001_c0de_0000_0012,
    };
    const NAME: &'static str = "SnapshotCell";
}

callbacks! {
    /// `snapshotCellNew(value: Buffer | Uint8Array | string)`.
    fn snapshot_cell_new(env, info) {
        let [value] = raw::args::<1>(env, info)?;
        raw::new_handle(env, ByteCell::new(bytes::to_bytes(env, value, "value")?))
    }

    /// `snapshotCellLoad(h): Buffer`.
    fn snapshot_cell_load(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        bytes::buffer(env, &raw::handle::<ByteCell>(env, h)?.load())
    }

    /// `snapshotCellLoadString(h): string` (the value decoded as UTF-8).
    fn snapshot_cell_load_string(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        bytes::utf8_string(env, &raw::handle::<ByteCell>(env, h)?.load())
    }

    /// `snapshotCellLoadWithRevision(h): { value: Buffer, revision: number }`.
    fn snapshot_cell_load_with_revision(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        let (value, revision) = raw::handle::<ByteCell>(env, h)?.load_with_revision();
        let out = js::object(env)?;
        js::set(env, out, "value\0", bytes::buffer(env, &value)?)?;
        js::set(env, out, "revision\0", js::u64_number_or_bigint(env, revision)?)?;
        Ok(out)
    }

    /// `snapshotCellStore(h, value): number` (the new revision).
    fn snapshot_cell_store(env, info) {
        let [h, value] = raw::args::<2>(env, info)?;
        let c = raw::handle::<ByteCell>(env, h)?;
        let revision = c.store(bytes::to_bytes(env, value, "value")?);
        js::u64_number_or_bigint(env, revision)
    }

    /// `snapshotCellCompareAndStore(h, expected: number | bigint, value): number`.
    fn snapshot_cell_compare_and_store(env, info) {
        let [h, expected, value] = raw::args::<3>(env, info)?;
        let c = raw::handle::<ByteCell>(env, h)?;
        let expected = raw::to_u64(env, expected, "expected")?;
        let value = bytes::to_bytes(env, value, "value")?;
        match c.compare_and_store(expected, value) {
            Ok(revision) => js::u64_number_or_bigint(env, revision),
            Err((current, _)) => bytes::throw_with(
                env,
                Class::Error,
                "AP_ERR_REVISION_MISMATCH",
                &format!("revision mismatch: expected revision {expected}, the cell is at revision {current}"),
                &[
                    ("current\0", js::u64_number_or_bigint(env, current)?),
                    ("expected\0", js::u64_number_or_bigint(env, expected)?),
                ],
            ),
        }
    }

    fn snapshot_cell_revision(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        js::u64_number_or_bigint(env, raw::handle::<ByteCell>(env, h)?.revision())
    }

    /// `snapshotCellAgeMs(h): number`: milliseconds since the last store (or creation).
    fn snapshot_cell_age_ms(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        raw::from_f64(env, raw::handle::<ByteCell>(env, h)?.age().as_secs_f64() * 1e3)
    }

    /// `snapshotCellLastUpdated(h): Date`.
    fn snapshot_cell_last_updated(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        let at = raw::handle::<ByteCell>(env, h)?.last_updated();
        let ms = match at.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64() * 1e3,
            Err(e) => -e.duration().as_secs_f64() * 1e3,
        };
        bytes::date(env, ms)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("snapshotCellNew", snapshot_cell_new),
    export!("snapshotCellLoad", snapshot_cell_load),
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
