//! Exposition of a [`Registry`] (and of a shared registry): Prometheus text 0.0.4, OpenMetrics
//! text 1.0, the Prometheus protobuf format (delimited `MetricFamily` messages) and JSON. Every export reads the metrics' atomic cells (histograms through a
//! snapshot), so it never blocks a recorder; families and series come out sorted by name and
//! label values, so output is stable.
//!
//! The writers take [`FamilyView`]s: a family's name, help, kind, label names and export options
//! with the values of its series, read at export time. Each registry turns its families into
//! views, so every registry exports through the one set of writers here.

use std::borrow::Cow;
use std::fmt::Write;
use std::sync::Arc;

use prost::Message;

use super::names::{escape_help, escape_label_value, format_value};
use super::{proto, Family, HistogramOpts, Metric, MetricKind, Registry};
use crate::{Exemplar, HistogramSnapshot, NativeSnapshot, SummarySnapshot};

/// Content type of [`Registry::export_prometheus`].
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Content type of [`Registry::export_openmetrics`].
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Content type of [`Registry::export_protobuf`].
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// An exposition format a scraper can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Prometheus text 0.0.4 ([`Registry::export_prometheus`]).
    Prometheus,
    /// OpenMetrics text 1.0 ([`Registry::export_openmetrics`]).
    OpenMetrics,
    /// The Prometheus protobuf format ([`Registry::export_protobuf`]): the only one that
    /// carries native histograms.
    Protobuf,
}

impl ExportFormat {
    /// The `Content-Type` of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Prometheus => PROMETHEUS_CONTENT_TYPE,
            ExportFormat::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            ExportFormat::Protobuf => PROTOBUF_CONTENT_TYPE,
        }
    }
}

/// The format to answer a scrape whose `Accept` header is `accept` with: the supported media
/// range with the highest `q` (the first of equals), as Prometheus negotiates. Protobuf needs
/// `proto=io.prometheus.client.MetricFamily` and `encoding=delimited`; `text/plain` and `*/*`
/// get Prometheus text; an empty or unsupported header too.
///
/// ```
/// use atomicperf::{negotiate, ExportFormat};
///
/// // What Prometheus sends when native histograms are enabled:
/// let accept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
///               encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;q=0.5,\
///               text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// assert_eq!(negotiate(accept), ExportFormat::Protobuf);
/// assert_eq!(negotiate("application/openmetrics-text"), ExportFormat::OpenMetrics);
/// assert_eq!(negotiate(""), ExportFormat::Prometheus);
/// ```
pub fn negotiate(accept: &str) -> ExportFormat {
    let mut best: Option<(f64, ExportFormat)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let (mut q, mut proto, mut delimited) = (1.0f64, false, false);
        for p in parts {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"');
            match k.trim().to_ascii_lowercase().as_str() {
                "q" => q = v.parse().unwrap_or(0.0),
                "proto" => proto = v == "io.prometheus.client.MetricFamily",
                "encoding" => delimited = v == "delimited",
                _ => {}
            }
        }
        let format = match media.as_str() {
            "application/vnd.google.protobuf" if proto && delimited => ExportFormat::Protobuf,
            "application/openmetrics-text" => ExportFormat::OpenMetrics,
            "text/plain" | "text/*" | "*/*" => ExportFormat::Prometheus,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, format));
        }
    }
    best.map_or(ExportFormat::Prometheus, |(_, f)| f)
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Format {
    Prometheus,
    OpenMetrics,
}

/// The value of one series, read at export time.
pub(crate) enum Value {
    /// A counter's total and latest exemplar.
    Counter(u64, Option<Exemplar>),
    /// A gauge's value.
    Gauge(f64),
    /// A histogram's state and the latest exemplar of each exported bucket (`+Inf` last).
    Histogram(HistogramSnapshot, Vec<Option<Exemplar>>),
    /// A timer's durations and error count.
    Timer(HistogramSnapshot, u64),
    /// A min/max's extremes (absent while empty).
    MinMax(Option<u64>, Option<u64>),
    /// A native histogram's state.
    Native(NativeSnapshot),
    /// An info's pairs, sorted by name.
    Info(Vec<(String, String)>),
    /// An enum's states and the index of the current one.
    Enum(Arc<[String]>, usize),
    /// A summary's all-time count and sum and its quantiles over the window.
    Summary(SummarySnapshot),
}

/// Reads one series' value when the writer gets to it (so that only one histogram snapshot
/// exists at a time, however many series a family has).
pub(crate) type ReadValue<'a> = Box<dyn FnOnce() -> Value + 'a>;

/// One family as the writers see it: what the exposition says about it, and its series (label
/// values in `label_names` order, with the reader of their value) in any order.
pub(crate) struct FamilyView<'a> {
    pub(crate) name: &'a str,
    pub(crate) help: &'a str,
    pub(crate) kind: MetricKind,
    pub(crate) label_names: &'a [String],
    pub(crate) opts: &'a HistogramOpts,
    pub(crate) series: Vec<(Vec<String>, ReadValue<'a>)>,
}

impl Family {
    /// The family's view: its series as they are now, each value read when written out.
    fn view(&self) -> FamilyView<'_> {
        let series = self
            .series
            .snapshot()
            .into_iter()
            .map(|(labels, m)| {
                let read: ReadValue<'_> = Box::new(move || match m {
                    Metric::Counter(c) => Value::Counter(c.get(), c.exemplar()),
                    Metric::Gauge(g) => Value::Gauge(g.get()),
                    Metric::Histogram(h) => Value::Histogram(h.snapshot(), h.exemplars()),
                    Metric::Timer(t) => {
                        // Errors first, as `Timer::snapshot` reads them.
                        let errors = t.errors();
                        Value::Timer(t.histogram().snapshot(), errors)
                    }
                    Metric::MinMax(mm) => Value::MinMax(mm.min(), mm.max()),
                    Metric::NativeHistogram(h) => Value::Native(h.snapshot()),
                    Metric::Info(i) => Value::Info(i.get()),
                    Metric::Enum(e) => Value::Enum(e.states().into(), e.index()),
                    Metric::Summary(s) => Value::Summary(s.snapshot()),
                });
                (labels, read)
            })
            .collect();
        FamilyView {
            name: &self.name,
            help: &self.help,
            kind: self.kind,
            label_names: &self.label_names,
            opts: &self.opts,
            series,
        }
    }
}

/// One exported sample: a name suffix, extra labels, a value.
/// A sample value: counts stay integers, so that a counter past 2^53 is exported exactly.
enum Num {
    Int(u64),
    Float(f64),
}

impl Num {
    fn text(&self) -> String {
        match self {
            Num::Int(v) => v.to_string(),
            Num::Float(v) => format_value(*v),
        }
    }
}

struct Sample {
    suffix: &'static str,
    /// Labels after the series' own: `le`, an enum's state, an info's pairs.
    extra: Vec<(Cow<'static, str>, String)>,
    value: Num,
    /// Written in OpenMetrics only.
    exemplar: Option<Exemplar>,
}

/// `v × scale`, computed as a division when the scale is the inverse of a whole number (1e-9:
/// nanoseconds to seconds), so that 43 ms exports as 0.043 and not 0.043000000000000003.
pub(crate) fn scaled(v: u64, scale: f64) -> f64 {
    scaled_f64(v as f64, scale)
}

fn scaled_f64(v: f64, scale: f64) -> f64 {
    let inverse = (1.0 / scale).round();
    if inverse >= 1.0 && (inverse * scale - 1.0).abs() < 1e-12 {
        v / inverse
    } else {
        v * scale
    }
}

/// Cumulative `le` buckets from a histogram snapshot: a recorded value counts towards a bound
/// when its bucket's representative value (scaled) is at most the bound, so a count is off only
/// for values within the histogram's precision of a bound.
fn cumulative(s: &HistogramSnapshot, bounds: &[f64], scale: f64) -> Vec<(f64, u64)> {
    let mut out = Vec::with_capacity(bounds.len());
    let (mut seen, mut i) = (0u64, 0usize);
    for &b in bounds {
        while i < s.counts().len() && scaled(s.config().bucket_value(i), scale) <= b {
            seen = seen.saturating_add(s.counts()[i]);
            i += 1;
        }
        out.push((b, seen));
    }
    out
}

/// A histogram's samples; `exemplars` holds the latest exemplar of each bucket, `+Inf` last
/// (empty: none). In OpenMetrics, a histogram with a bucket below zero has no `_sum` and no
/// `_count` (see [`native_samples`]).
fn histogram_samples(
    s: &HistogramSnapshot,
    opts: &HistogramOpts,
    mut exemplars: Vec<Option<Exemplar>>,
    format: Format,
    out: &mut Vec<Sample>,
) {
    exemplars.resize(opts.buckets.len() + 1, None);
    let mut exemplars = exemplars.into_iter();
    for (le, count) in cumulative(s, &opts.buckets, opts.scale) {
        out.push(Sample {
            suffix: "_bucket",
            extra: vec![("le".into(), format_value(le))],
            value: Num::Int(count),
            exemplar: exemplars.next().flatten(),
        });
    }
    out.push(Sample {
        suffix: "_bucket",
        extra: vec![("le".into(), "+Inf".into())],
        value: Num::Int(s.count()),
        exemplar: exemplars.next().flatten(),
    });
    if format == Format::OpenMetrics && opts.buckets.iter().any(|&le| le < 0.0) {
        return;
    }
    out.push(Sample {
        suffix: "_sum",
        extra: Vec::new(),
        value: Num::Float(scaled_f64(s.sum_f64(), opts.scale)),
        exemplar: None,
    });
    out.push(Sample {
        suffix: "_count",
        extra: Vec::new(),
        value: Num::Int(s.count()),
        exemplar: None,
    });
}

/// A native histogram in the text formats: its classic buckets (if any), `+Inf`, sum, count.
///
/// OpenMetrics calls a histogram's sum a counter: it may not be negative or NaN, nor appear at
/// all beside buckets with negative thresholds, and the count comes only with a sum. A native
/// histogram records any float, so in OpenMetrics its `_sum` and `_count` are left out while its
/// sum is negative or NaN or a classic bucket is below zero (the `+Inf` bucket still carries the
/// count; the protobuf format and 0.0.4 text keep both).
fn native_samples(s: &NativeSnapshot, opts: &HistogramOpts, format: Format, out: &mut Vec<Sample>) {
    for &le in &opts.buckets {
        out.push(Sample {
            suffix: "_bucket",
            extra: vec![("le".into(), format_value(le))],
            value: Num::Int(s.cumulative_count(le)),
            exemplar: None,
        });
    }
    out.push(Sample {
        suffix: "_bucket",
        extra: vec![("le".into(), "+Inf".into())],
        value: Num::Int(s.count()),
        exemplar: None,
    });
    let signed = s.sum() < 0.0 || s.sum().is_nan() || opts.buckets.iter().any(|&le| le < 0.0);
    if format == Format::OpenMetrics && signed {
        return;
    }
    out.push(Sample {
        suffix: "_sum",
        extra: Vec::new(),
        value: Num::Float(s.sum()),
        exemplar: None,
    });
    out.push(Sample {
        suffix: "_count",
        extra: Vec::new(),
        value: Num::Int(s.count()),
        exemplar: None,
    });
}

/// The samples of one series: its label values and what it exports.
type SeriesSamples = (Vec<String>, Vec<Sample>);

/// One sample with no suffix or extra label.
fn plain(suffix: &'static str, value: Num) -> Vec<Sample> {
    vec![Sample {
        suffix,
        extra: Vec::new(),
        value,
        exemplar: None,
    }]
}

/// The exported families of one registered family: (name, type, samples per series), series
/// sorted by label values.
fn expand(
    family: &mut FamilyView<'_>,
    format: Format,
) -> Vec<(String, &'static str, Vec<SeriesSamples>)> {
    let mut series = std::mem::take(&mut family.series);
    series.sort_by(|a, b| a.0.cmp(&b.0));
    let name = family.name;
    let opts = family.opts;
    match family.kind {
        MetricKind::Counter => {
            // 0.0.4 names the family with its _total suffix (as prometheus_client does);
            // OpenMetrics names it without and puts the suffix on the sample.
            let base = name.strip_suffix("_total").unwrap_or(name);
            let (family_name, suffix) = match format {
                Format::Prometheus => (format!("{base}_total"), ""),
                Format::OpenMetrics => (base.to_string(), "_total"),
            };
            let rows = series
                .into_iter()
                .filter_map(|(labels, read)| match read() {
                    Value::Counter(c, exemplar) => {
                        let mut samples = plain(suffix, Num::Int(c));
                        samples[0].exemplar = exemplar;
                        Some((labels, samples))
                    }
                    // A collected counter's cell (Registry::collected_counter).
                    Value::Gauge(v) => Some((labels, plain(suffix, Num::Float(v)))),
                    _ => None,
                })
                .collect();
            vec![(family_name, "counter", rows)]
        }
        MetricKind::Gauge => {
            let rows = series
                .into_iter()
                .filter_map(|(labels, read)| match read() {
                    Value::Gauge(g) => Some((labels, plain("", Num::Float(g)))),
                    _ => None,
                })
                .collect();
            vec![(name.to_string(), "gauge", rows)]
        }
        MetricKind::Histogram | MetricKind::NativeHistogram => {
            let rows = series
                .into_iter()
                .filter_map(|(labels, read)| {
                    let mut samples = Vec::new();
                    match read() {
                        Value::Histogram(s, exemplars) => {
                            histogram_samples(&s, opts, exemplars, format, &mut samples)
                        }
                        Value::Native(s) => native_samples(&s, opts, format, &mut samples),
                        _ => return None,
                    }
                    Some((labels, samples))
                })
                .collect();
            vec![(name.to_string(), "histogram", rows)]
        }
        MetricKind::Timer => {
            let (mut durations, mut errors) = (Vec::new(), Vec::new());
            for (labels, read) in series {
                let Value::Timer(s, errors_count) = read() else {
                    continue;
                };
                let mut samples = Vec::new();
                histogram_samples(&s, opts, Vec::new(), format, &mut samples);
                durations.push((labels.clone(), samples));
                let suffix = if format == Format::OpenMetrics {
                    "_total"
                } else {
                    ""
                };
                errors.push((labels, plain(suffix, Num::Int(errors_count))));
            }
            let errors_name = match format {
                Format::Prometheus => format!("{name}_errors_total"),
                Format::OpenMetrics => format!("{name}_errors"),
            };
            vec![
                (name.to_string(), "histogram", durations),
                (errors_name, "counter", errors),
            ]
        }
        MetricKind::MinMax => {
            let (mut mins, mut maxs) = (Vec::new(), Vec::new());
            for (labels, read) in series {
                if let Value::MinMax(Some(lo), Some(hi)) = read() {
                    mins.push((labels.clone(), plain("", Num::Int(lo))));
                    maxs.push((labels, plain("", Num::Int(hi))));
                }
            }
            vec![
                (format!("{name}_min"), "gauge", mins),
                (format!("{name}_max"), "gauge", maxs),
            ]
        }
        MetricKind::Info => {
            // As prometheus_client: OpenMetrics names the family without _info and puts it on
            // the sample; 0.0.4 has no info type and exports a gauge named with it.
            let base = name.strip_suffix("_info").unwrap_or(name);
            let (family_name, kind, suffix) = match format {
                Format::Prometheus => (format!("{base}_info"), "gauge", ""),
                Format::OpenMetrics => (base.to_string(), "info", "_info"),
            };
            let rows = series
                .into_iter()
                .filter_map(|(labels, read)| match read() {
                    Value::Info(pairs) => Some((labels, vec![info_sample(suffix, pairs)])),
                    _ => None,
                })
                .collect();
            vec![(family_name, kind, rows)]
        }
        MetricKind::Summary => {
            let rows = series
                .into_iter()
                .filter_map(|(labels, read)| match read() {
                    Value::Summary(s) => Some((labels, summary_samples(&s, opts.scale))),
                    _ => None,
                })
                .collect();
            vec![(name.to_string(), "summary", rows)]
        }
        MetricKind::Enum => {
            let kind = match format {
                Format::Prometheus => "gauge",
                Format::OpenMetrics => "stateset",
            };
            let rows = series
                .into_iter()
                .filter_map(|(labels, read)| match read() {
                    Value::Enum(states, current) => {
                        Some((labels, enum_samples(name, &states, current)))
                    }
                    _ => None,
                })
                .collect();
            vec![(name.to_string(), kind, rows)]
        }
    }
}

/// A summary's samples: one per quantile (`NaN` while the window is empty, as client_golang
/// exports it), `_sum` and `_count`.
fn summary_samples(s: &SummarySnapshot, scale: f64) -> Vec<Sample> {
    let mut out: Vec<Sample> = s
        .quantiles()
        .iter()
        .map(|&(q, v)| Sample {
            suffix: "",
            extra: vec![("quantile".into(), format_value(q))],
            value: Num::Float(v.map_or(f64::NAN, |v| scaled(v, scale))),
            exemplar: None,
        })
        .collect();
    out.extend(plain("_sum", Num::Float(scaled(s.sum(), scale))));
    out.extend(plain("_count", Num::Int(s.count())));
    out
}

/// An info's one sample: its pairs as labels, value 1.
fn info_sample(suffix: &'static str, pairs: Vec<(String, String)>) -> Sample {
    Sample {
        suffix,
        extra: pairs.into_iter().map(|(n, v)| (n.into(), v)).collect(),
        value: Num::Int(1),
        exemplar: None,
    }
}

/// An enum's samples: one per state, labelled `<name>="<state>"`, 1 for the current one.
fn enum_samples(name: &str, states: &[String], current: usize) -> Vec<Sample> {
    states
        .iter()
        .enumerate()
        .map(|(i, state)| Sample {
            suffix: "",
            extra: vec![(name.to_string().into(), state.clone())],
            value: Num::Int(u64::from(i == current)),
            exemplar: None,
        })
        .collect()
}

fn write_labels(
    out: &mut String,
    names: &[String],
    values: &[String],
    extra: &[(Cow<'static, str>, String)],
) {
    if names.is_empty() && extra.is_empty() {
        return;
    }
    out.push('{');
    let mut first = true;
    let pairs = names
        .iter()
        .map(String::as_str)
        .zip(values.iter().map(String::as_str));
    for (n, v) in pairs.chain(extra.iter().map(|(n, v)| (n.as_ref(), v.as_str()))) {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(n);
        out.push_str("=\"");
        escape_label_value(v, out);
        out.push('"');
    }
    out.push('}');
}

/// ` # {labels} value [timestamp]`: an exemplar after its sample, in OpenMetrics.
fn write_exemplar(e: &Exemplar, out: &mut String) {
    out.push_str(" # {");
    for (i, (name, value)) in e.labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        escape_label_value(value, out);
        out.push('"');
    }
    out.push_str("} ");
    out.push_str(&format_value(e.value));
    if let Some(t) = e.timestamp {
        out.push(' ');
        out.push_str(&format_value(t));
    }
}

/// The text exposition of `families` (given sorted by name) in `format`.
pub(crate) fn write_text<'a>(
    families: impl IntoIterator<Item = FamilyView<'a>>,
    format: Format,
) -> String {
    let mut out = String::new();
    for mut family in families {
        for (name, kind, rows) in expand(&mut family, format) {
            match (format, family.help.is_empty()) {
                // OpenMetrics' HELP needs text (Prometheus marks a target down on `# HELP
                // name` alone) and is optional: no help, no line.
                (Format::OpenMetrics, true) => {}
                (Format::OpenMetrics, false) => {
                    let _ = write!(out, "# HELP {name} ");
                    escape_label_value(family.help, &mut out);
                    out.push('\n');
                }
                (Format::Prometheus, _) => {
                    out.push_str("# HELP ");
                    out.push_str(&name);
                    if !family.help.is_empty() {
                        out.push(' ');
                        escape_help(family.help, &mut out);
                    }
                    out.push('\n');
                }
            }
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (values, samples) in rows {
                for s in samples {
                    out.push_str(&name);
                    out.push_str(s.suffix);
                    write_labels(&mut out, family.label_names, &values, &s.extra);
                    let _ = write!(out, " {}", s.value.text());
                    if let (Format::OpenMetrics, Some(e)) = (format, &s.exemplar) {
                        write_exemplar(e, &mut out);
                    }
                    out.push('\n');
                }
            }
        }
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

/// The JSON exposition of `families` (given sorted by name); see [`Registry::export_json`].
pub(crate) fn write_json<'a>(families: impl IntoIterator<Item = FamilyView<'a>>) -> String {
    // Written straight into one buffer: building a serde_json::Value tree first cost several
    // times the text export, and collectors in the bindings parse this on every scrape.
    let mut out = Json(Vec::with_capacity(4096));
    out.raw("{\"families\":[");
    for (i, f) in families.into_iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        family_json(f, &mut out);
    }
    out.raw("]}");
    String::from_utf8(out.0).expect("JSON written from strings is UTF-8")
}

impl Registry {
    fn sorted_families(&self) -> Vec<Arc<Family>> {
        self.collect_process();
        let mut families: Vec<Arc<Family>> = self
            .families
            .snapshot()
            .into_iter()
            .map(|(_, f)| f)
            .collect();
        families.sort_by(|a, b| a.name.cmp(&b.name));
        families
    }

    /// Every family in the Prometheus text exposition format 0.0.4
    /// (content type [`PROMETHEUS_CONTENT_TYPE`]).
    pub fn export_prometheus(&self) -> String {
        let families = self.sorted_families();
        write_text(families.iter().map(|f| f.view()), Format::Prometheus)
    }

    /// Every family in the OpenMetrics 1.0 text format, ending with `# EOF`
    /// (content type [`OPENMETRICS_CONTENT_TYPE`]).
    pub fn export_openmetrics(&self) -> String {
        let families = self.sorted_families();
        write_text(families.iter().map(|f| f.view()), Format::OpenMetrics)
    }

    /// Every family in the Prometheus protobuf format (content type [`PROTOBUF_CONTENT_TYPE`]):
    /// one length-delimited `io.prometheus.client.MetricFamily` message per exported family, as
    /// client_golang writes them. Native histograms carry their schema, zero bucket and spans;
    /// families without a series are left out.
    pub fn export_protobuf(&self) -> Vec<u8> {
        let families = self.sorted_families();
        write_protobuf(families.iter().map(|f| f.view()))
    }

    /// The exposition in `format`, as bytes (the text formats are UTF-8).
    pub fn export(&self, format: ExportFormat) -> Vec<u8> {
        match format {
            ExportFormat::Prometheus => self.export_prometheus().into_bytes(),
            ExportFormat::OpenMetrics => self.export_openmetrics().into_bytes(),
            ExportFormat::Protobuf => self.export_protobuf(),
        }
    }

    /// Every family as JSON: `{"families": [{"name", "kind", "help", "labels": [...],
    /// "series": [{"labels": {...}, ...}]}]}` where a counter or gauge series has `"value"`, a
    /// histogram or timer series `"count"`, `"sum"`, `"min"`, `"max"`, `"buckets": [{"le",
    /// "count"}]` (sum and bounds in exported units), a timer also `"errors"`, a min/max
    /// `"min"` and `"max"` (null while empty), and a summary `"count"`, `"sum"` (all time) and
    /// `"quantiles": [{"quantile", "value"}]` (over its window; value null while it is empty).
    pub fn export_json(&self) -> String {
        let families = self.sorted_families();
        write_json(families.iter().map(|f| f.view()))
    }
}

/// A JSON document being written; scalars go through serde_json, so strings are escaped and
/// numbers spelled exactly as JSON wants.
struct Json(Vec<u8>);

impl Json {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }

    fn string(&mut self, s: &str) {
        serde_json::to_writer(&mut self.0, s).expect("writing to a Vec cannot fail");
    }

    fn key(&mut self, k: &str) {
        self.string(k);
        self.0.push(b':');
    }

    fn uint(&mut self, v: u64) {
        let _ = write!(Adapter(&mut self.0), "{v}");
    }

    /// A finite number as JSON; NaN and infinities (JSON has none) as the strings Prometheus uses.
    fn float(&mut self, v: f64) {
        if v.is_finite() {
            serde_json::to_writer(&mut self.0, &v).expect("writing to a Vec cannot fail");
        } else {
            self.string(&format_value(v));
        }
    }

    fn opt_uint(&mut self, v: Option<u64>) {
        match v {
            Some(v) => self.uint(v),
            None => self.raw("null"),
        }
    }

    fn opt_float(&mut self, v: Option<f64>) {
        match v {
            Some(v) => self.float(v),
            None => self.raw("null"),
        }
    }
}

/// `fmt::Write` over the byte buffer, for integers.
struct Adapter<'a>(&'a mut Vec<u8>);

impl Write for Adapter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn family_json(mut family: FamilyView<'_>, out: &mut Json) {
    let mut series = std::mem::take(&mut family.series);
    series.sort_by(|a, b| a.0.cmp(&b.0));
    out.raw("{");
    out.key("name");
    out.string(family.name);
    out.raw(",");
    out.key("kind");
    out.string(family.kind.as_str());
    out.raw(",");
    out.key("help");
    out.string(family.help);
    out.raw(",");
    out.key("labels");
    out.raw("[");
    for (i, l) in family.label_names.iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        out.string(l);
    }
    out.raw("],");
    out.key("series");
    out.raw("[");
    for (i, (values, read)) in series.into_iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        out.raw("{");
        out.key("labels");
        out.raw("{");
        for (j, (name, value)) in family.label_names.iter().zip(&values).enumerate() {
            if j > 0 {
                out.raw(",");
            }
            out.key(name);
            out.string(value);
        }
        out.raw("},");
        match read() {
            Value::Counter(c, _) => {
                out.key("value");
                out.uint(c);
            }
            Value::Gauge(g) => {
                out.key("value");
                out.float(g);
            }
            Value::Histogram(s, _) => histogram_json(&s, family.opts, out),
            Value::Timer(s, errors) => {
                histogram_json(&s, family.opts, out);
                out.raw(",");
                out.key("errors");
                out.uint(errors);
            }
            Value::MinMax(min, max) => {
                out.key("min");
                out.opt_uint(min);
                out.raw(",");
                out.key("max");
                out.opt_uint(max);
            }
            Value::Native(s) => native_json(&s, family.opts, out),
            Value::Info(pairs) => {
                out.key("info");
                out.raw("{");
                for (j, (name, value)) in pairs.iter().enumerate() {
                    if j > 0 {
                        out.raw(",");
                    }
                    out.key(name);
                    out.string(value);
                }
                out.raw("}");
            }
            Value::Summary(s) => summary_json(&s, family.opts.scale, out),
            Value::Enum(states, current) => {
                out.key("state");
                out.string(&states[current]);
                out.raw(",");
                out.key("states");
                out.raw("[");
                for (j, state) in states.iter().enumerate() {
                    if j > 0 {
                        out.raw(",");
                    }
                    out.string(state);
                }
                out.raw("]");
            }
        }
        out.raw("}");
    }
    out.raw("]}");
}

/// A native histogram in JSON: count, sum, classic buckets as for a histogram, then `"schema"`,
/// `"zero_threshold"`, `"zero_count"` and the non-empty `"positive"` and `"negative"` buckets as
/// `[key, count]` pairs (bucket `k` holds magnitudes above 2^((k-1)·2^-schema) up to
/// 2^(k·2^-schema)).
fn native_json(s: &NativeSnapshot, opts: &HistogramOpts, out: &mut Json) {
    out.key("count");
    out.uint(s.count());
    out.raw(",");
    out.key("sum");
    out.float(s.sum());
    out.raw(",");
    out.key("buckets");
    out.raw("[");
    for (i, &le) in opts.buckets.iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        out.raw("{");
        out.key("le");
        out.float(le);
        out.raw(",");
        out.key("count");
        out.uint(s.cumulative_count(le));
        out.raw("}");
    }
    out.raw("],");
    out.key("schema");
    let _ = write!(Adapter(&mut out.0), "{}", s.schema());
    out.raw(",");
    out.key("zero_threshold");
    out.float(s.zero_threshold());
    out.raw(",");
    out.key("zero_count");
    out.uint(s.zero_count());
    for (name, buckets) in [("positive", s.positive()), ("negative", s.negative())] {
        out.raw(",");
        out.key(name);
        out.raw("[");
        for (i, &(k, n)) in buckets.iter().enumerate() {
            if i > 0 {
                out.raw(",");
            }
            let _ = write!(Adapter(&mut out.0), "[{k},{n}]");
        }
        out.raw("]");
    }
}

fn histogram_json(s: &HistogramSnapshot, opts: &HistogramOpts, out: &mut Json) {
    let scale = opts.scale;
    out.key("count");
    out.uint(s.count());
    out.raw(",");
    out.key("sum");
    out.float(scaled_f64(s.sum_f64(), scale));
    out.raw(",");
    out.key("min");
    out.opt_float(s.min().map(|v| scaled(v, scale)));
    out.raw(",");
    out.key("max");
    out.opt_float(s.max().map(|v| scaled(v, scale)));
    out.raw(",");
    out.key("buckets");
    out.raw("[");
    for (i, (le, count)) in cumulative(s, &opts.buckets, scale).into_iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        out.raw("{");
        out.key("le");
        out.float(le);
        out.raw(",");
        out.key("count");
        out.uint(count);
        out.raw("}");
    }
    out.raw("]");
}

/// A summary in JSON: `"count"` and `"sum"` (all time, sum in exported units) and
/// `"quantiles": [{"quantile", "value"}]` over the window (value null while it is empty).
fn summary_json(s: &SummarySnapshot, scale: f64, out: &mut Json) {
    out.key("count");
    out.uint(s.count());
    out.raw(",");
    out.key("sum");
    out.float(scaled(s.sum(), scale));
    out.raw(",");
    out.key("quantiles");
    out.raw("[");
    for (i, &(q, v)) in s.quantiles().iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        out.raw("{");
        out.key("quantile");
        out.float(q);
        out.raw(",");
        out.key("value");
        out.opt_float(v.map(|v| scaled(v, scale)));
        out.raw("}");
    }
    out.raw("]");
}

fn proto_summary(s: &SummarySnapshot, scale: f64) -> proto::Summary {
    proto::Summary {
        sample_count: Some(s.count()),
        sample_sum: Some(scaled(s.sum(), scale)),
        quantile: s
            .quantiles()
            .iter()
            .map(|&(q, v)| proto::Quantile {
                quantile: Some(q),
                value: Some(v.map_or(f64::NAN, |v| scaled(v, scale))),
            })
            .collect(),
    }
}

/// A label set of a series, with an extra label (`le`...) if any.
fn label_pairs(names: &[String], values: &[String]) -> Vec<proto::LabelPair> {
    names
        .iter()
        .zip(values)
        .map(|(n, v)| proto::LabelPair {
            name: Some(n.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

fn proto_exemplar(e: &Exemplar) -> proto::Exemplar {
    proto::Exemplar {
        label: e
            .labels
            .iter()
            .map(|(n, v)| proto::LabelPair {
                name: Some(n.clone()),
                value: Some(v.clone()),
            })
            .collect(),
        value: Some(e.value),
        timestamp: e.timestamp.map(|t| proto::Timestamp {
            seconds: t.floor() as i64,
            nanos: ((t - t.floor()) * 1e9).round().min(999_999_999.0) as i32,
        }),
    }
}

/// A classic histogram; `exemplars` holds the latest exemplar of each bucket, `+Inf` last
/// (empty: none). The `+Inf` bucket is written only to carry its exemplar, as client_golang
/// does.
fn proto_histogram(
    s: &HistogramSnapshot,
    opts: &HistogramOpts,
    mut exemplars: Vec<Option<Exemplar>>,
) -> proto::Histogram {
    exemplars.resize(opts.buckets.len() + 1, None);
    let mut bucket: Vec<proto::Bucket> = cumulative(s, &opts.buckets, opts.scale)
        .into_iter()
        .zip(&exemplars)
        .map(|((le, n), e)| proto::Bucket {
            cumulative_count: Some(n),
            upper_bound: Some(le),
            exemplar: e.as_ref().map(proto_exemplar),
        })
        .collect();
    if let Some(Some(e)) = exemplars.last() {
        bucket.push(proto::Bucket {
            cumulative_count: Some(s.count()),
            upper_bound: Some(f64::INFINITY),
            exemplar: Some(proto_exemplar(e)),
        });
    }
    proto::Histogram {
        sample_count: Some(s.count()),
        sample_sum: Some(scaled_f64(s.sum_f64(), opts.scale)),
        bucket,
        ..Default::default()
    }
}

fn proto_spans(spans: Vec<crate::BucketSpan>) -> Vec<proto::BucketSpan> {
    spans
        .into_iter()
        .map(|s| proto::BucketSpan {
            offset: Some(s.offset),
            length: Some(s.length),
        })
        .collect()
}

/// A native histogram as client_golang writes it: classic buckets if any, count, sum, schema,
/// zero threshold and count, spans and deltas (and one empty span when nothing else would tell
/// a scraper that the histogram is native).
fn proto_native(s: &NativeSnapshot, opts: &HistogramOpts) -> proto::Histogram {
    let (positive_span, positive_delta) = s.positive_spans();
    let (negative_span, negative_delta) = s.negative_spans();
    let mut h = proto::Histogram {
        sample_count: Some(s.count()),
        sample_sum: Some(s.sum()),
        bucket: opts
            .buckets
            .iter()
            .map(|&le| proto::Bucket {
                cumulative_count: Some(s.cumulative_count(le)),
                upper_bound: Some(le),
                exemplar: None,
            })
            .collect(),
        schema: Some(i32::from(s.schema())),
        zero_threshold: Some(s.zero_threshold()),
        zero_count: Some(s.zero_count()),
        negative_span: proto_spans(negative_span),
        negative_delta,
        positive_span: proto_spans(positive_span),
        positive_delta,
    };
    if s.zero_threshold() == 0.0
        && s.zero_count() == 0
        && h.positive_span.is_empty()
        && h.negative_span.is_empty()
    {
        h.positive_span.push(proto::BucketSpan {
            offset: Some(0),
            length: Some(0),
        });
    }
    h
}

/// The protobuf exposition of `families` (given sorted by name); see
/// [`Registry::export_protobuf`].
pub(crate) fn write_protobuf<'a>(families: impl IntoIterator<Item = FamilyView<'a>>) -> Vec<u8> {
    use proto::MetricType as T;
    let mut out = Vec::with_capacity(4096);
    for mut family in families {
        let mut series = std::mem::take(&mut family.series);
        series.sort_by(|a, b| a.0.cmp(&b.0));
        let (name, opts, names) = (family.name, family.opts, family.label_names);
        let metric = |values: &[String]| proto::Metric {
            label: label_pairs(names, values),
            ..Default::default()
        };
        // (family name, type, series) of each exported family.
        let mut exported: Vec<(String, T, Vec<proto::Metric>)> = Vec::new();
        match family.kind {
            MetricKind::Counter => {
                let base = name.strip_suffix("_total").unwrap_or(name);
                let rows = series
                    .into_iter()
                    .filter_map(|(labels, read)| match read() {
                        Value::Counter(c, exemplar) => Some(proto::Metric {
                            counter: Some(proto::Counter {
                                value: Some(c as f64),
                                exemplar: exemplar.as_ref().map(proto_exemplar),
                            }),
                            ..metric(&labels)
                        }),
                        // A collected counter's cell (Registry::collected_counter).
                        Value::Gauge(v) => Some(proto::Metric {
                            counter: Some(proto::Counter {
                                value: Some(v),
                                exemplar: None,
                            }),
                            ..metric(&labels)
                        }),
                        _ => None,
                    })
                    .collect();
                exported.push((format!("{base}_total"), T::Counter, rows));
            }
            MetricKind::Gauge => {
                let rows = series
                    .into_iter()
                    .filter_map(|(labels, read)| match read() {
                        Value::Gauge(g) => Some(proto::Metric {
                            gauge: Some(proto::Gauge { value: Some(g) }),
                            ..metric(&labels)
                        }),
                        _ => None,
                    })
                    .collect();
                exported.push((name.to_string(), T::Gauge, rows));
            }
            MetricKind::Histogram | MetricKind::NativeHistogram => {
                let rows = series
                    .into_iter()
                    .filter_map(|(labels, read)| {
                        let histogram = match read() {
                            Value::Histogram(s, exemplars) => proto_histogram(&s, opts, exemplars),
                            Value::Native(s) => proto_native(&s, opts),
                            _ => return None,
                        };
                        Some(proto::Metric {
                            histogram: Some(histogram),
                            ..metric(&labels)
                        })
                    })
                    .collect();
                exported.push((name.to_string(), T::Histogram, rows));
            }
            MetricKind::Timer => {
                let (mut durations, mut errors) = (Vec::new(), Vec::new());
                for (labels, read) in series {
                    if let Value::Timer(s, e) = read() {
                        durations.push(proto::Metric {
                            histogram: Some(proto_histogram(&s, opts, Vec::new())),
                            ..metric(&labels)
                        });
                        errors.push(proto::Metric {
                            counter: Some(proto::Counter {
                                value: Some(e as f64),
                                exemplar: None,
                            }),
                            ..metric(&labels)
                        });
                    }
                }
                exported.push((name.to_string(), T::Histogram, durations));
                exported.push((format!("{name}_errors_total"), T::Counter, errors));
            }
            MetricKind::MinMax => {
                let (mut mins, mut maxs) = (Vec::new(), Vec::new());
                for (labels, read) in series {
                    if let Value::MinMax(Some(lo), Some(hi)) = read() {
                        for (v, rows) in [(lo, &mut mins), (hi, &mut maxs)] {
                            rows.push(proto::Metric {
                                gauge: Some(proto::Gauge {
                                    value: Some(v as f64),
                                }),
                                ..metric(&labels)
                            });
                        }
                    }
                }
                exported.push((format!("{name}_min"), T::Gauge, mins));
                exported.push((format!("{name}_max"), T::Gauge, maxs));
            }
            // Protobuf has neither info nor stateset: gauges, as in the text format 0.0.4.
            MetricKind::Info => {
                let base = name.strip_suffix("_info").unwrap_or(name);
                let rows = series
                    .into_iter()
                    .filter_map(|(labels, read)| match read() {
                        Value::Info(pairs) => {
                            let mut m = metric(&labels);
                            m.label
                                .extend(pairs.into_iter().map(|(n, v)| proto::LabelPair {
                                    name: Some(n),
                                    value: Some(v),
                                }));
                            m.gauge = Some(proto::Gauge { value: Some(1.0) });
                            Some(m)
                        }
                        _ => None,
                    })
                    .collect();
                exported.push((format!("{base}_info"), T::Gauge, rows));
            }
            MetricKind::Enum => {
                let mut rows = Vec::new();
                for (labels, read) in series {
                    if let Value::Enum(states, current) = read() {
                        for (i, state) in states.iter().enumerate() {
                            let mut m = metric(&labels);
                            m.label.push(proto::LabelPair {
                                name: Some(name.to_string()),
                                value: Some(state.clone()),
                            });
                            m.gauge = Some(proto::Gauge {
                                value: Some(if i == current { 1.0 } else { 0.0 }),
                            });
                            rows.push(m);
                        }
                    }
                }
                exported.push((name.to_string(), T::Gauge, rows));
            }
            MetricKind::Summary => {
                let rows = series
                    .into_iter()
                    .filter_map(|(labels, read)| match read() {
                        Value::Summary(s) => Some(proto::Metric {
                            summary: Some(proto_summary(&s, opts.scale)),
                            ..metric(&labels)
                        }),
                        _ => None,
                    })
                    .collect();
                exported.push((name.to_string(), T::Summary, rows));
            }
        }
        for (family_name, kind, rows) in exported {
            if rows.is_empty() {
                continue;
            }
            let message = proto::MetricFamily {
                name: Some(family_name),
                help: Some(family.help.to_string()),
                r#type: Some(kind as i32),
                metric: rows,
            };
            message
                .encode_length_delimited(&mut out)
                .expect("a Vec grows as needed");
        }
    }
    out
}
