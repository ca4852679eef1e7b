//! Python binding of atomicperf: `atomicperf._atomicperf`, re-exported by the `atomicperf` package.
//!
//! This crate only translates: Python ints, floats and timedeltas to `u64`/`f64`/`Duration`
//! (`convert`, `durations`, `bytes_arg`), core [`atomicperf::Error`]s to the exception of their
//! status (`errors`: one table from core's statuses to classes), and `None` for empty
//! statistics. Every rule (stripes, precision, clamping, quantile bounds, windows, queues) lives in
//! the core crate.
//!
//! One file per primitive, named like its core module (`counter.rs` is `Counter`); this file only
//! declares the module's classes, functions and exceptions.
//!
//! Every class is `#[pyclass(frozen)]`: the core types are `Sync` and mutate through atomics, so
//! methods take `&self` and pyo3 skips the borrow flag that a mutable pyclass checks on every
//! call. Every class holds its core object in an `Arc`: a gauge's cell is 128-byte aligned, which
//! a Python object's memory is not, and the Arc lets rate trackers and async recorders share the
//! metric. Waits (`AsyncRecorder`, `OnceMap.get_or_init`, `CancellationToken.wait`) and
//! `Ledger.transfer_many` release the GIL (`Python::detach`).
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod async_recorder;
mod bench;
mod bytes_arg;
mod cancellation_token;
mod convert;
mod counter;
mod default_metrics;
mod durations;
mod errors;
mod exemplar;
mod gauge;
mod histogram;
mod info;
mod ledger;
mod minmax;
mod native_histogram;
mod once_map;
mod push;
mod rate_tracker;
mod registry;
mod shared_registry;
mod sharded_map;
mod snapshot_cell;
mod summary;
mod throughput_window;
mod timer;
mod wait;

use atomicperf as ap;
use pyo3::prelude::*;

/// Lock-free metrics primitives backed by the atomicperf Rust core.
#[pymodule]
fn _atomicperf(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;

    // Metrics.
    m.add_class::<counter::Counter>()?;
    m.add_class::<gauge::Gauge>()?;
    m.add_class::<histogram::Histogram>()?;
    m.add_class::<summary::Summary>()?;
    m.add_class::<minmax::MinMax>()?;
    m.add_class::<info::Info>()?;
    m.add_class::<info::Enum>()?;
    m.add_class::<native_histogram::NativeHistogram>()?;
    m.add_class::<native_histogram::NativeSnapshot>()?;
    m.add_class::<timer::Timer>()?;
    m.add_class::<timer::TimerSnapshot>()?;
    m.add_class::<rate_tracker::RateTracker>()?;
    m.add_class::<throughput_window::ThroughputWindow>()?;
    m.add_class::<throughput_window::WindowStats>()?;
    m.add_class::<async_recorder::AsyncRecorder>()?;

    // Concurrent state.
    m.add_class::<sharded_map::ShardedMap>()?;
    m.add_class::<ledger::Ledger>()?;
    m.add_class::<snapshot_cell::SnapshotCell>()?;
    m.add_class::<once_map::OnceMap>()?;
    m.add_class::<cancellation_token::CancellationToken>()?;

    // Registry.
    m.add_class::<registry::Registry>()?;
    m.add_class::<shared_registry::SharedRegistry>()?;
    m.add_function(wrap_pyfunction!(registry::default_registry, m)?)?;
    m.add("PROMETHEUS_CONTENT_TYPE", ap::PROMETHEUS_CONTENT_TYPE)?;
    m.add("OPENMETRICS_CONTENT_TYPE", ap::OPENMETRICS_CONTENT_TYPE)?;
    m.add("PROTOBUF_CONTENT_TYPE", ap::PROTOBUF_CONTENT_TYPE)?;
    m.add_function(wrap_pyfunction!(registry::negotiate, m)?)?;
    m.add_function(wrap_pyfunction!(push::pushgateway_url, m)?)?;

    // Exceptions (errors.rs maps every core status to one of these or a builtin).
    m.add("ClosedError", py.get_type::<errors::ClosedError>())?;
    m.add(
        "RevisionMismatchError",
        py.get_type::<errors::RevisionMismatchError>(),
    )?;
    m.add("LedgerError", py.get_type::<errors::LedgerError>())?;
    m.add("UnknownAccountError", errors::unknown_account_type(py)?)?;
    m.add(
        "AccountExistsError",
        py.get_type::<errors::AccountExistsError>(),
    )?;
    m.add(
        "InvalidAmountError",
        py.get_type::<errors::InvalidAmountError>(),
    )?;
    m.add(
        "SameAccountError",
        py.get_type::<errors::SameAccountError>(),
    )?;
    m.add(
        "InsufficientFundsError",
        py.get_type::<errors::InsufficientFundsError>(),
    )?;
    m.add(
        "BalanceOverflowError",
        py.get_type::<errors::BalanceOverflowError>(),
    )?;
    m.add(
        "AccountClosedError",
        py.get_type::<errors::AccountClosedError>(),
    )?;
    m.add(
        "AccountNotEmptyError",
        py.get_type::<errors::AccountNotEmptyError>(),
    )?;
    // The status table, for the tests that check it covers core's.
    m.add_function(wrap_pyfunction!(errors::_statuses, m)?)?;
    m.add_function(wrap_pyfunction!(errors::_status_exceptions, m)?)?;

    // The benchmark suite.
    bench::register(m)?;
    Ok(())
}
