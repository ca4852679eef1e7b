//! Named, labelled metrics and their export (Prometheus text 0.0.4, OpenMetrics, JSON).

mod export;
mod names;
mod process;
mod proto;
#[cfg(all(unix, not(loom)))]
mod shared;

pub(crate) use export::scaled;
pub(crate) use names::{check_label_name, check_label_set};

pub use process::ProcessStats;

pub use export::{
    negotiate, ExportFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE,
    PROTOBUF_CONTENT_TYPE,
};
#[cfg(all(unix, not(loom)))]
pub use shared::{GaugeMode, SharedOptions, SharedRegistry};

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::info::check_states;
use crate::{
    Counter, Enum, Error, Gauge, Histogram, Info, MinMax, NativeConfig, NativeHistogram,
    ShardedMap, Summary, SummaryConfig, Timer,
};

/// The kind of a registered metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// [`Counter`], exported as a Prometheus counter (`<name>_total`).
    Counter,
    /// [`Gauge`], exported as a gauge.
    Gauge,
    /// [`Histogram`], exported as a histogram with cumulative `le` buckets, `_sum` and `_count`.
    Histogram,
    /// [`Timer`], exported as a histogram of seconds `<name>` plus a counter
    /// `<name>_errors_total`.
    Timer,
    /// [`MinMax`], exported as two gauges `<name>_min` and `<name>_max` (absent while empty).
    MinMax,
    /// [`NativeHistogram`], exported as a Prometheus native histogram in the protobuf format
    /// (with classic `le` buckets too when its [`NativeOpts`] name some), and in the text formats
    /// as a histogram of those classic buckets, `+Inf`, `_sum` and `_count`.
    NativeHistogram,
    /// [`Info`], exported as one sample `<name>_info{...} 1` carrying its pairs as labels
    /// (OpenMetrics type `info`; a gauge `<name>_info` in the Prometheus text format).
    Info,
    /// [`Summary`], exported as a summary: `<name>{quantile="..."}` per configured quantile over
    /// the sliding window, `<name>_sum` and `<name>_count` over all time (client_golang's).
    Summary,
    /// [`Enum`], exported as one sample per state, `<name>{...,<name>="<state>"}`, 1 for the
    /// current state and 0 for the others (OpenMetrics type `stateset`; a gauge in the
    /// Prometheus text format).
    Enum,
}

impl MetricKind {
    /// Every name a family of this kind called `name` occupies in the exports, in either text
    /// format: family names and sample names. Two families whose sets meet would export series
    /// of one name twice, which scrapers reject (promtool, client_golang) or silently halve
    /// (Prometheus keeps one value). OpenMetrics also gives counters and histograms a `_created`
    /// sample: it is never exported, but OpenMetrics parsers (prometheus_client's) reject a
    /// family named like it, so it is occupied too.
    fn exported_names(self, name: &str) -> Vec<String> {
        let suffixed = |suffixes: &[&str]| -> Vec<String> {
            suffixes.iter().map(|s| format!("{name}{s}")).collect()
        };
        match self {
            MetricKind::Counter => {
                let base = name.strip_suffix("_total").unwrap_or(name);
                vec![
                    base.to_string(),
                    format!("{base}_total"),
                    format!("{base}_created"),
                ]
            }
            MetricKind::Gauge => vec![name.to_string()],
            MetricKind::Histogram | MetricKind::NativeHistogram => {
                suffixed(&["", "_bucket", "_sum", "_count", "_created"])
            }
            MetricKind::Timer => suffixed(&[
                "",
                "_bucket",
                "_sum",
                "_count",
                "_created",
                "_errors",
                "_errors_total",
                "_errors_created",
            ]),
            MetricKind::MinMax => suffixed(&["", "_min", "_max"]),
            MetricKind::Summary => suffixed(&["", "_sum", "_count", "_created"]),
            MetricKind::Info => {
                let base = name.strip_suffix("_info").unwrap_or(name);
                vec![base.to_string(), format!("{base}_info")]
            }
            MetricKind::Enum => vec![name.to_string()],
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
            MetricKind::Timer => "timer",
            MetricKind::MinMax => "minmax",
            MetricKind::NativeHistogram => "native_histogram",
            MetricKind::Info => "info",
            MetricKind::Enum => "enum",
            MetricKind::Summary => "summary",
        }
    }
}

/// One registered metric of any kind.
#[derive(Debug, Clone)]
pub enum Metric {
    /// A counter.
    Counter(Arc<Counter>),
    /// A gauge.
    Gauge(Arc<Gauge>),
    /// A histogram.
    Histogram(Arc<Histogram>),
    /// A timer.
    Timer(Arc<Timer>),
    /// A min/max.
    MinMax(Arc<MinMax>),
    /// A native histogram.
    NativeHistogram(Arc<NativeHistogram>),
    /// An info.
    Info(Arc<Info>),
    /// An enum.
    Enum(Arc<Enum>),
    /// A summary.
    Summary(Arc<Summary>),
}

/// How a registered summary is laid out and exported.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryOpts {
    /// Quantiles, window (`max_age`, `age_buckets`) and histogram layout of the series.
    pub config: SummaryConfig,
    /// Exported value = recorded value × scale. The default, 1e-9, records nanoseconds and
    /// exports seconds, as [`HistogramOpts::scale`].
    pub scale: f64,
}

impl Default for SummaryOpts {
    /// [`SummaryConfig::default`] (0.5, 0.9, 0.99 over 10 minutes in 5 steps), nanoseconds
    /// recorded and seconds exported.
    fn default() -> Self {
        SummaryOpts {
            config: SummaryConfig::default(),
            scale: 1e-9,
        }
    }
}

/// How a registered native histogram is laid out and exported.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NativeOpts {
    /// The buckets' layout: schema, zero threshold, dense range.
    pub config: NativeConfig,
    /// Classic `le` bucket bounds (increasing, finite) exported beside the native buckets, each
    /// counting the values of the native buckets wholly at or below it (exact when the bound is
    /// a native bucket boundary, such as a power of two). Empty, the default: the text formats
    /// export only `+Inf`, `_sum` and `_count`, as client_golang does for a native-only
    /// histogram.
    pub classic_buckets: Vec<f64>,
}

/// How a registered histogram is exported: Prometheus bucket boundaries, in exported units, and
/// the factor from recorded values to exported ones.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramOpts {
    /// Upper bounds (`le`) of the cumulative buckets, increasing, in exported units; `+Inf` is
    /// always added.
    pub buckets: Vec<f64>,
    /// Exported value = recorded value × scale. The default, 1e-9, records nanoseconds and
    /// exports seconds, as Prometheus conventions ask.
    pub scale: f64,
}

impl HistogramOpts {
    /// Prometheus' default latency buckets, in seconds.
    pub const DEFAULT_BUCKETS: [f64; 11] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];

    /// Exported values are the recorded ones (scale 1), with the given bucket bounds.
    pub fn plain(buckets: Vec<f64>) -> Self {
        HistogramOpts {
            buckets,
            scale: 1.0,
        }
    }

    fn check(&self) -> Result<(), Error> {
        let increasing = self.buckets.windows(2).all(|w| w[0] < w[1]);
        if !increasing || self.buckets.iter().any(|b| !b.is_finite()) {
            return Err(Error::InvalidArgument(format!(
                "histogram buckets must be finite and strictly increasing, got {:?}",
                self.buckets
            )));
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(Error::InvalidArgument(format!(
                "histogram scale must be positive, got {}",
                self.scale
            )));
        }
        Ok(())
    }
}

impl Default for HistogramOpts {
    /// Nanoseconds recorded, seconds exported, Prometheus' default buckets.
    fn default() -> Self {
        HistogramOpts {
            buckets: Self::DEFAULT_BUCKETS.to_vec(),
            scale: 1e-9,
        }
    }
}

struct Family {
    name: String,
    help: String,
    kind: MetricKind,
    label_names: Vec<String>,
    opts: HistogramOpts,
    /// The layout of a native histogram family's series.
    native: NativeConfig,
    /// The states of an enum family's series (empty for other kinds).
    states: Arc<[String]>,
    /// The layout of a summary family's series (checked).
    summary: SummaryConfig,
    /// A collected family ([`Registry::collected_counter`]): its series are [`Gauge`] cells set
    /// by a collector, exported as its kind.
    collected: bool,
    series: ShardedMap<Vec<String>, Metric>,
}

/// What a new family is laid out with, beside its histogram options.
#[derive(Clone, Copy)]
enum Layout<'a> {
    Plain,
    Native(&'a NativeConfig),
    States(&'a Arc<[String]>),
    Summary(&'a SummaryConfig),
    /// A collected counter or gauge ([`Registry::collected_counter`]).
    Collected,
}

/// Named metrics with help text and labels, created on first use and shared afterwards:
/// equivalent to prometheus_client's registry or client_golang's `*Vec` types, except that a
/// metric handle, once looked up, is updated without touching the registry at all, and export
/// reads the metrics' atomic cells, so it never blocks recording.
///
/// Labels are exported sorted by label name, in every language, whatever order they were given
/// in.
///
/// Get-or-create: the same name and label values return the same metric. The same name with
/// another kind or another set of label names is an error, and so are names and label names
/// outside the Prometheus data model, and a name whose exported series would collide with
/// another family's (counter `x` exports `x_total`, so a gauge `x_total` is refused; histogram
/// `h` exports `h_count`, timer `t` exports `t_errors_total`, minmax `m` exports `m_min` and
/// `m_max`); nothing is registered then.
///
/// [`Registry::global`] is the process-wide default registry; [`Registry::named`] opens a
/// process-wide registry by name. Every thread (and every Node worker, which loads the same
/// library) shares them.
///
/// # Example
/// ```
/// use atomicperf::Registry;
///
/// let registry = Registry::new();
/// let ok = registry.counter("http_requests", "Requests served.", &[("code", "200")]).unwrap();
/// ok.inc();
/// let again = registry.counter("http_requests", "Requests served.", &[("code", "200")]).unwrap();
/// again.inc();
/// assert_eq!(ok.get(), 2); // one metric
/// assert!(registry.gauge("http_requests", "", &[]).is_err()); // another kind
/// let text = registry.export_prometheus();
/// assert!(text.contains("http_requests_total{code=\"200\"} 2"));
/// ```
pub struct Registry {
    families: ShardedMap<String, Arc<Family>>,
    /// Every exported name of every family, with the family that owns it. Taken only to create
    /// a family (rare): looking up an existing one never touches it.
    exported: Mutex<HashMap<String, String>>,
    /// Series created, their cap (usize::MAX: none) and the creations refused by the cap.
    series: AtomicUsize,
    series_limit: AtomicUsize,
    refused: AtomicU64,
    /// Bumped after every removal of series ([`removals`](Registry::removals)).
    removals: AtomicU64,
    /// Whether every export reads the process metrics first
    /// ([`register_process_metrics`](Registry::register_process_metrics)).
    process: AtomicBool,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry {
            families: ShardedMap::new(),
            exported: Mutex::default(),
            series: AtomicUsize::new(0),
            series_limit: AtomicUsize::new(usize::MAX),
            refused: AtomicU64::new(0),
            removals: AtomicU64::new(0),
            process: AtomicBool::new(false),
        }
    }

    /// The process-wide default registry.
    pub fn global() -> &'static Arc<Registry> {
        static GLOBAL: OnceLock<Arc<Registry>> = OnceLock::new();
        GLOBAL.get_or_init(|| Arc::new(Registry::new()))
    }

    /// The process-wide registry called `name`, created on first use ("" is not the default
    /// registry; use [`global`](Self::global)).
    pub fn named(name: &str) -> Arc<Registry> {
        static NAMED: OnceLock<Mutex<HashMap<String, Arc<Registry>>>> = OnceLock::new();
        let mut all = crate::fork::Guarded::lock(|| {
            NAMED
                .get_or_init(Default::default)
                .lock()
                .unwrap_or_else(|e| e.into_inner())
        });
        all.entry(name.to_string())
            .or_insert_with(|| Arc::new(Registry::new()))
            .clone()
    }

    /// The counter `name` with these labels, created if absent.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid name or label name, a name registered as another
    /// kind or with other label names, or a label given twice.
    pub fn counter(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Arc<Counter>, Error> {
        match self.get_or_create(name, help, MetricKind::Counter, labels, None)? {
            Metric::Counter(c) => Ok(c),
            _ => unreachable!("kind checked"),
        }
    }

    /// The gauge `name` with these labels, created if absent.
    ///
    /// # Errors
    /// As [`counter`](Self::counter).
    pub fn gauge(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Arc<Gauge>, Error> {
        match self.get_or_create(name, help, MetricKind::Gauge, labels, None)? {
            Metric::Gauge(g) => Ok(g),
            _ => unreachable!("kind checked"),
        }
    }

    /// The histogram `name` with these labels, created if absent; `opts` sets the export of a new
    /// family and is ignored for an existing one.
    ///
    /// # Errors
    /// As [`counter`](Self::counter), and for buckets that are not strictly increasing.
    pub fn histogram(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        opts: &HistogramOpts,
    ) -> Result<Arc<Histogram>, Error> {
        match self.get_or_create(name, help, MetricKind::Histogram, labels, Some(opts))? {
            Metric::Histogram(h) => Ok(h),
            _ => unreachable!("kind checked"),
        }
    }

    /// The timer `name` with these labels, created if absent (durations exported in seconds with
    /// Prometheus' default buckets).
    ///
    /// # Errors
    /// As [`counter`](Self::counter).
    pub fn timer(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Arc<Timer>, Error> {
        match self.get_or_create(name, help, MetricKind::Timer, labels, None)? {
            Metric::Timer(t) => Ok(t),
            _ => unreachable!("kind checked"),
        }
    }

    /// The min/max `name` with these labels, created if absent.
    ///
    /// # Errors
    /// As [`counter`](Self::counter).
    pub fn minmax(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Arc<MinMax>, Error> {
        match self.get_or_create(name, help, MetricKind::MinMax, labels, None)? {
            Metric::MinMax(m) => Ok(m),
            _ => unreachable!("kind checked"),
        }
    }

    /// The native histogram `name` with these labels (values recorded as `f64`, durations in
    /// seconds), created if absent; `opts` lays out a new family and is ignored for an existing
    /// one.
    ///
    /// # Errors
    /// As [`counter`](Self::counter), and for classic buckets that are not strictly increasing
    /// and finite.
    pub fn native_histogram(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        opts: &NativeOpts,
    ) -> Result<Arc<NativeHistogram>, Error> {
        let classic = HistogramOpts::plain(opts.classic_buckets.clone());
        match self.get_or_create_with(
            name,
            help,
            MetricKind::NativeHistogram,
            labels,
            Some(&classic),
            Layout::Native(&opts.config),
        )? {
            Metric::NativeHistogram(h) => Ok(h),
            _ => unreachable!("kind checked"),
        }
    }

    /// The info `name` with these labels, created (with no pairs) if absent. It is exported as
    /// `<name>_info` (one `_info` suffix whether or not `name` ends in it); its pairs, set with
    /// [`Info::set`], may not use the family's label names.
    ///
    /// # Errors
    /// As [`counter`](Self::counter).
    pub fn info(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Arc<Info>, Error> {
        match self.get_or_create(name, help, MetricKind::Info, labels, None)? {
            Metric::Info(i) => Ok(i),
            _ => unreachable!("kind checked"),
        }
    }

    /// The enum `name` with these labels, created in its first state if absent. `states` lays
    /// out a new family (at least one, none empty or twice) and is ignored for an existing one.
    /// Its state label is named `name`, so `name` must also be a valid label name (no `:`), and
    /// no other label may be called so.
    ///
    /// # Errors
    /// As [`counter`](Self::counter), and [`Error::InvalidArgument`] for bad states.
    pub fn enumeration(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        states: &[&str],
    ) -> Result<Arc<Enum>, Error> {
        let states = check_states(states)?;
        match self.get_or_create_with(
            name,
            help,
            MetricKind::Enum,
            labels,
            None,
            Layout::States(&states),
        )? {
            Metric::Enum(e) => Ok(e),
            _ => unreachable!("kind checked"),
        }
    }

    /// The summary `name` with these labels, created if absent: quantiles over a sliding window
    /// exported as `<name>{quantile="0.5"}`..., with `<name>_sum` and `<name>_count` over all time
    /// (values recorded in nanoseconds are exported in seconds by default). `opts` lays out a new
    /// family and is ignored for an existing one. The label `quantile` is reserved.
    ///
    /// # Errors
    /// As [`counter`](Self::counter); [`Error::InvalidConfig`] for options
    /// [`SummaryConfig::checked`] refuses; [`Error::InvalidArgument`] for a scale that is not
    /// positive and finite.
    pub fn summary(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        opts: &SummaryOpts,
    ) -> Result<Arc<Summary>, Error> {
        let config = opts.config.clone().checked()?;
        let export = HistogramOpts {
            buckets: Vec::new(),
            scale: opts.scale,
        };
        match self.get_or_create_with(
            name,
            help,
            MetricKind::Summary,
            labels,
            Some(&export),
            Layout::Summary(&config),
        )? {
            Metric::Summary(s) => Ok(s),
            _ => unreachable!("kind checked"),
        }
    }

    /// The series `name` with these labels of a collected counter family, created (at 0) if
    /// absent: a counter whose total is read elsewhere (the CPU time of the process, a garbage
    /// collector's counts) and set, not incremented, by a collector just before an export. The
    /// cell is a [`Gauge`] (an `f64`, set with [`Gauge::set`]); the family is exported as a
    /// counter (`<name>_total`, its value as set). The family is neither a counter nor a gauge:
    /// [`counter`](Self::counter) or [`gauge`](Self::gauge) of its name is an error, and so is
    /// this call for a name registered otherwise.
    ///
    /// # Errors
    /// As [`counter`](Self::counter).
    pub fn collected_counter(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Arc<Gauge>, Error> {
        self.collected(name, help, MetricKind::Counter, labels)
    }

    /// The series `name` with these labels of a collected gauge family, created (at 0) if
    /// absent: as [`collected_counter`](Self::collected_counter), exported as a gauge.
    ///
    /// # Errors
    /// As [`counter`](Self::counter).
    pub fn collected_gauge(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Arc<Gauge>, Error> {
        self.collected(name, help, MetricKind::Gauge, labels)
    }

    fn collected(
        &self,
        name: &str,
        help: &str,
        kind: MetricKind,
        labels: &[(&str, &str)],
    ) -> Result<Arc<Gauge>, Error> {
        match self.get_or_create_with(name, help, kind, labels, None, Layout::Collected)? {
            Metric::Gauge(g) => Ok(g),
            _ => unreachable!("a collected family's series are gauge cells"),
        }
    }

    /// Number of metric families.
    pub fn len(&self) -> usize {
        self.families.len()
    }

    /// Whether no family is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get_or_create(
        &self,
        name: &str,
        help: &str,
        kind: MetricKind,
        labels: &[(&str, &str)],
        opts: Option<&HistogramOpts>,
    ) -> Result<Metric, Error> {
        self.get_or_create_with(name, help, kind, labels, opts, Layout::Plain)
    }

    fn get_or_create_with(
        &self,
        name: &str,
        help: &str,
        kind: MetricKind,
        labels: &[(&str, &str)],
        opts: Option<&HistogramOpts>,
        layout: Layout<'_>,
    ) -> Result<Metric, Error> {
        let family = match self.families.get(name) {
            Some(f) => f,
            None => self.create_family(name, help, kind, labels, opts, layout)?,
        };
        let collected = matches!(layout, Layout::Collected);
        if family.kind != kind || family.collected != collected {
            let describe = |kind: MetricKind, collected: bool| {
                let prefix = if collected { "collected " } else { "" };
                format!("{prefix}{}", kind.as_str())
            };
            return Err(Error::InvalidArgument(format!(
                "metric {name:?} is registered as a {}, not a {}",
                describe(family.kind, family.collected),
                describe(kind, collected)
            )));
        }
        let values = family.values_in_order(labels)?;
        if let Some(existing) = family.series.get(&values) {
            return Ok(existing);
        }
        // A new series: take a place under the limit first, give it back if another caller
        // created the same series meanwhile.
        let limit = self.series_limit.load(Ordering::Relaxed);
        if self.series.fetch_add(1, Ordering::Relaxed) >= limit {
            self.series.fetch_sub(1, Ordering::Relaxed);
            let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            return Err(Error::InvalidArgument(format!(
                "the registry's series limit ({limit}) is reached: {name} with labels \
                 {labels:?} was not created ({refused} series refused so far); bound the values \
                 of its labels or raise the limit"
            )));
        }
        let mut made = false;
        let metric = family.series.compute_if_absent(values, || {
            made = true;
            family.make()
        });
        if !made {
            self.series.fetch_sub(1, Ordering::Relaxed);
        }
        Ok(metric)
    }

    /// Caps the number of series (one per name and label values) this registry holds; `None`
    /// removes the cap. A label with unbounded values (a user id, a URL) otherwise grows memory
    /// without end. Creating a series past the cap is an error ([`Error::InvalidArgument`]), the
    /// existing series keep working, and [`refused_series`](Self::refused_series) counts the
    /// refusals. A cap below the current number of series refuses every new one until series
    /// are fewer (none are removed).
    pub fn set_series_limit(&self, limit: Option<usize>) {
        self.series_limit
            .store(limit.unwrap_or(usize::MAX), Ordering::Relaxed);
    }

    /// The cap set by [`set_series_limit`](Self::set_series_limit), `None` when there is none.
    pub fn series_limit(&self) -> Option<usize> {
        let limit = self.series_limit.load(Ordering::Relaxed);
        (limit != usize::MAX).then_some(limit)
    }

    /// Number of series in the registry (every label set of every family).
    pub fn series_count(&self) -> usize {
        self.series.load(Ordering::Relaxed)
    }

    /// Number of series refused because the limit was reached, since the registry was created.
    pub fn refused_series(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// Removing series.
///
/// A removed series is no longer exported, and no longer counts against the
/// [series limit](Registry::set_series_limit). A handle to it that a caller still holds keeps
/// working (updates are accepted and simply never exported again); its memory is freed when the
/// last handle is dropped. Looking the series up again creates a new one, starting from zero.
/// A family itself stays registered (its name, kind, help and label names), so removing series
/// never frees a name for another kind.
impl Registry {
    /// Removes the series of family `name` with these labels (any order); `Ok(false)` if there
    /// was none (or no such family).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the label names are not the family's.
    pub fn remove(&self, name: &str, labels: &[(&str, &str)]) -> Result<bool, Error> {
        let Some(family) = self.families.get(name) else {
            return Ok(false);
        };
        let values = family.values_in_order(labels)?;
        let removed = family.series.remove(&values).is_some();
        if removed {
            self.series.fetch_sub(1, Ordering::Relaxed);
            self.removals.fetch_add(1, Ordering::SeqCst);
        }
        Ok(removed)
    }

    /// Removes every series of family `name`, returning how many there were (0 for no such
    /// family).
    pub fn clear_family(&self, name: &str) -> usize {
        self.families
            .get(name)
            .map_or(0, |family| self.clear_series(&family))
    }

    /// Removes every series of every family, returning how many there were.
    pub fn clear(&self) -> usize {
        let mut families = Vec::new();
        self.families.for_each(|_, f| families.push(f.clone()));
        families.iter().map(|f| self.clear_series(f)).sum()
    }

    /// A number that grows whenever series are removed ([`remove`](Self::remove),
    /// [`clear_family`](Self::clear_family), [`clear`](Self::clear)), after they are gone. A
    /// cache of looked-up handles (the Go and Node bindings keep one) reads it before a look-up
    /// and keeps the result only while it is unchanged: a handle cached before a removal may be
    /// of a removed series.
    pub fn removals(&self) -> u64 {
        self.removals.load(Ordering::SeqCst)
    }

    /// The cell behind [`removals`](Self::removals), for foreign code that reads it without a
    /// call (atomic loads only).
    pub fn removals_cell(&self) -> &AtomicU64 {
        &self.removals
    }

    fn clear_series(&self, family: &Family) -> usize {
        let mut removed = 0;
        family.series.retain(|_, _| {
            removed += 1;
            false
        });
        if removed > 0 {
            self.series.fetch_sub(removed, Ordering::Relaxed);
            self.removals.fetch_add(1, Ordering::SeqCst);
        }
        removed
    }
}

impl Registry {
    /// Registers a new family, unless its exported names collide with another family's. Under
    /// the `exported` lock, so that two colliding families created at once cannot both succeed.
    fn create_family(
        &self,
        name: &str,
        help: &str,
        kind: MetricKind,
        labels: &[(&str, &str)],
        opts: Option<&HistogramOpts>,
        layout: Layout<'_>,
    ) -> Result<Arc<Family>, Error> {
        let mut fresh = Family::new(name, help, kind, labels, opts)?;
        match layout {
            Layout::Plain => {}
            Layout::Native(config) => fresh.native = *config,
            Layout::States(states) => fresh.states = states.clone(),
            Layout::Summary(config) => fresh.summary = config.clone(),
            Layout::Collected => fresh.collected = true,
        }
        let fresh = Arc::new(fresh);
        let mut exported =
            crate::fork::Guarded::lock(|| self.exported.lock().unwrap_or_else(|e| e.into_inner()));
        if let Some(existing) = self.families.get(name) {
            return Ok(existing); // created meanwhile; the caller checks its kind
        }
        let names = kind.exported_names(name);
        for n in &names {
            if let Some(owner) = exported.get(n) {
                let other = self
                    .families
                    .get(owner)
                    .map_or("metric", |f| f.kind.as_str());
                return Err(collision(kind, name, n, other, owner));
            }
        }
        for n in names {
            exported.insert(n, name.to_string());
        }
        Ok(self.families.compute_if_absent(name.to_string(), || fresh))
    }
}

impl Family {
    fn new(
        name: &str,
        help: &str,
        kind: MetricKind,
        labels: &[(&str, &str)],
        opts: Option<&HistogramOpts>,
    ) -> Result<Self, Error> {
        names::check_metric_name(name)?;
        let reserved: &[&str] = match kind {
            MetricKind::Histogram | MetricKind::Timer | MetricKind::NativeHistogram => &["le"],
            MetricKind::Summary => &["quantile"],
            // The state label is named after the metric.
            MetricKind::Enum => {
                names::check_label_name(name, &[])?;
                std::slice::from_ref(&name)
            }
            _ => &[],
        };
        names::check_label_set(labels.iter().map(|(l, _)| *l), "label", |l| {
            names::check_label_name(l, reserved)
        })?;
        let opts = opts.cloned().unwrap_or_default();
        opts.check()?;
        Ok(Family {
            name: name.to_string(),
            help: help.to_string(),
            kind,
            // Sorted by name: the export's label order is one rule for every language, whatever
            // order the caller's map or slice had.
            label_names: {
                let mut names: Vec<String> = labels.iter().map(|(l, _)| l.to_string()).collect();
                names.sort_unstable();
                names
            },
            opts,
            native: NativeConfig::default(),
            states: Arc::new([]),
            summary: SummaryConfig::default(),
            collected: false,
            series: ShardedMap::with_shards(4).expect("4 is a power of two"),
        })
    }

    /// The label values in the family's label order, or an error naming both label sets.
    fn values_in_order(&self, labels: &[(&str, &str)]) -> Result<Vec<String>, Error> {
        let mismatch = || {
            let got: Vec<&str> = labels.iter().map(|(l, _)| *l).collect();
            Error::InvalidArgument(format!(
                "metric {:?} has labels {:?}, got {got:?}",
                self.name, self.label_names
            ))
        };
        if labels.len() != self.label_names.len() {
            return Err(mismatch());
        }
        self.label_names
            .iter()
            .map(|want| {
                labels
                    .iter()
                    .find(|(l, _)| l == want)
                    .map(|(_, v)| v.to_string())
                    .ok_or_else(mismatch)
            })
            .collect()
    }

    fn make(&self) -> Metric {
        if self.collected {
            return Metric::Gauge(Arc::new(Gauge::new()));
        }
        match self.kind {
            MetricKind::Counter => Metric::Counter(Arc::new(Counter::new())),
            MetricKind::Gauge => Metric::Gauge(Arc::new(Gauge::new())),
            MetricKind::Histogram => Metric::Histogram(Arc::new(
                Histogram::new().with_exemplar_buckets(&self.opts.buckets, self.opts.scale),
            )),
            MetricKind::Timer => Metric::Timer(Arc::new(Timer::new())),
            MetricKind::MinMax => Metric::MinMax(Arc::new(MinMax::new())),
            MetricKind::NativeHistogram => {
                Metric::NativeHistogram(Arc::new(NativeHistogram::with_config(self.native)))
            }
            MetricKind::Info => {
                Metric::Info(Arc::new(Info::with_reserved(self.label_names.clone())))
            }
            MetricKind::Enum => Metric::Enum(Arc::new(Enum::with_states(self.states.clone()))),
            MetricKind::Summary => {
                Metric::Summary(Arc::new(Summary::from_checked(self.summary.clone())))
            }
        }
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("families", &self.len())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
#[cfg(all(test, not(loom)))]
mod process_tests;

/// The refusal of a family `name` of `kind` whose exported series `series` is already exported
/// by family `owner` (a metric of kind `other`): one message for every registry.
pub(crate) fn collision(
    kind: MetricKind,
    name: &str,
    series: &str,
    other: &str,
    owner: &str,
) -> Error {
    Error::InvalidArgument(format!(
        "{} {name:?} would export series named {series:?}, which the {other} {owner:?} already \
         exports; choose another name",
        kind.as_str()
    ))
}
#[cfg(all(test, not(loom)))]
mod summary_tests;
