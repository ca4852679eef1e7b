//! # atomicperf
//!
//! Lock-free concurrency and metrics primitives. Each type replaces a lock that services commonly put
//! in front of a hot value, and the crate's benchmarks measure it against that lock in the same run.
//!
//! | type | replaces | how |
//! |---|---|---|
//! | [`Counter`] | `Mutex<u64>`, one contended `AtomicU64` | per-thread cache-padded stripes, summed on read |
//! | [`Gauge`] | `Mutex<f64>` | f64 bits in one `AtomicU64`, compare-and-swap for read-modify-write |
//! | [`Histogram`] | `Mutex<hdrhistogram::Histogram>` | fixed array of atomic log-linear buckets |
//! | [`Summary`] | a mutex around client_golang-style quantile streams | ring of histograms over a sliding time window |
//!
//! Every metric keeps its state in fixed-layout atomic cells with no pointers inside, so that the
//! same cells can be described to foreign code (Go, JavaScript) or placed in shared memory.
//!
//! ```
//! use atomicperf::{Counter, Histogram};
//!
//! let requests = Counter::new();
//! let latency = Histogram::new();
//! requests.inc();
//! latency.record(1_250_000); // ns
//! assert_eq!(requests.get(), 1);
//! assert_eq!(latency.count(), 1);
//! ```
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod any_recorder;
mod async_recorder;
mod cancellation_token;
mod cells;
mod clock;
mod counter;
mod error;
mod exemplar;
mod fork;
mod gauge;
mod histogram;
mod info;
mod ledger;
mod minmax;
mod native_histogram;
mod once_map;
pub mod push;
mod rate_tracker;
mod registry;
mod sharded_map;
mod snapshot_cell;
mod status;
mod stripe;
mod summary;
mod sync;
mod throughput_window;
mod timer;

pub use any_recorder::{AnyAsyncRecorder, AsyncEvent};
pub use async_recorder::{AsyncConfig, AsyncRecorder, AsyncTarget, GaugeOp, Overflow, Recorded};
pub use cancellation_token::{CancelWatcher, CancellationToken};
pub use clock::{Clock, ManualClock, MonotonicClock};
pub use counter::Counter;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub use error::Error;
pub use exemplar::{Exemplar, MAX_EXEMPLAR_RUNES};
pub use gauge::Gauge;
pub use histogram::{Histogram, HistogramCellsLayout, HistogramConfig, HistogramSnapshot};
pub use info::{Enum, Info};
pub use ledger::Ledger;
pub use minmax::{MinMax, MinMaxI64};
pub use native_histogram::{
    BucketSpan, NativeCellsLayout, NativeConfig, NativeHistogram, NativeSnapshot,
};
pub use once_map::{Claim, InitTicket, OnceMap};
pub use push::{pushgateway_path, pushgateway_url, PushMethod};
#[cfg(feature = "push")]
pub use push::{Pushgateway, DEFAULT_PUSH_TIMEOUT};
pub use rate_tracker::{Rate, RateTracker};
pub use registry::{
    negotiate, ExportFormat, HistogramOpts, Metric, MetricKind, NativeOpts, ProcessStats, Registry,
    SummaryOpts, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE,
};
#[cfg(all(unix, not(loom)))]
pub use registry::{GaugeMode, SharedOptions, SharedRegistry};
pub use sharded_map::ShardedMap;
pub use snapshot_cell::SnapshotCell;
pub use status::Status;
pub use summary::{Summary, SummaryCellsLayout, SummaryConfig, SummarySnapshot};
pub use throughput_window::{ThroughputWindow, WindowStats};
pub use timer::{Timer, TimerGuard, TimerSnapshot};
