//! Exposition of a [`Registry`] (and of a shared registry): Prometheus text 0.0.4, OpenMetrics
//! text 1.0 and JSON. Every export reads the metrics' atomic cells (histograms through a
//! snapshot), so it never blocks a recorder; families and series come out sorted by name and
//! label values, so output is stable.
//!
//! The writers take [`FamilyView`]s: a family's name, help, kind, label names and export options
//! with the values of its series, read at export time. Each registry turns its families into
//! views, so every registry exports through the one set of writers here.

use std::fmt::Write;
use std::sync::Arc;

use super::names::{escape_help, escape_label_value, format_value};
use super::{Family, HistogramOpts, Metric, MetricKind, Registry};
use crate::HistogramSnapshot;

/// Content type of [`Registry::export_prometheus`].
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Content type of [`Registry::export_openmetrics`].
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Format {
    Prometheus,
    OpenMetrics,
}

/// The value of one series, read at export time.
pub(crate) enum Value {
    /// A counter's total.
    Counter(u64),
    /// A gauge's value.
    Gauge(f64),
    /// A histogram's state.
    Histogram(HistogramSnapshot),
    /// A timer's durations and error count.
    Timer(HistogramSnapshot, u64),
    /// A min/max's extremes (absent while empty).
    MinMax(Option<u64>, Option<u64>),
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
                    Metric::Counter(c) => Value::Counter(c.get()),
                    Metric::Gauge(g) => Value::Gauge(g.get()),
                    Metric::Histogram(h) => Value::Histogram(h.snapshot()),
                    Metric::Timer(t) => {
                        // Errors first, as `Timer::snapshot` reads them.
                        let errors = t.errors();
                        Value::Timer(t.histogram().snapshot(), errors)
                    }
                    Metric::MinMax(mm) => Value::MinMax(mm.min(), mm.max()),
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
    extra: Option<(&'static str, String)>,
    value: Num,
}

/// `v × scale`, computed as a division when the scale is the inverse of a whole number (1e-9:
/// nanoseconds to seconds), so that 43 ms exports as 0.043 and not 0.043000000000000003.
fn scaled(v: u64, scale: f64) -> f64 {
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

fn histogram_samples(s: &HistogramSnapshot, opts: &HistogramOpts, out: &mut Vec<Sample>) {
    for (le, count) in cumulative(s, &opts.buckets, opts.scale) {
        out.push(Sample {
            suffix: "_bucket",
            extra: Some(("le", format_value(le))),
            value: Num::Int(count),
        });
    }
    out.push(Sample {
        suffix: "_bucket",
        extra: Some(("le", "+Inf".into())),
        value: Num::Int(s.count()),
    });
    out.push(Sample {
        suffix: "_sum",
        extra: None,
        value: Num::Float(scaled_f64(s.sum_f64(), opts.scale)),
    });
    out.push(Sample {
        suffix: "_count",
        extra: None,
        value: Num::Int(s.count()),
    });
}

/// The samples of one series: its label values and what it exports.
type SeriesSamples = (Vec<String>, Vec<Sample>);

/// One sample with no suffix or extra label.
fn plain(suffix: &'static str, value: Num) -> Vec<Sample> {
    vec![Sample {
        suffix,
        extra: None,
        value,
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
                    Value::Counter(c) => Some((labels, plain(suffix, Num::Int(c)))),
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
        MetricKind::Histogram => {
            let rows = series
                .into_iter()
                .filter_map(|(labels, read)| match read() {
                    Value::Histogram(s) => {
                        let mut samples = Vec::new();
                        histogram_samples(&s, opts, &mut samples);
                        Some((labels, samples))
                    }
                    _ => None,
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
                histogram_samples(&s, opts, &mut samples);
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
    }
}

fn write_labels(
    out: &mut String,
    names: &[String],
    values: &[String],
    extra: &Option<(&'static str, String)>,
) {
    if names.is_empty() && extra.is_none() {
        return;
    }
    out.push('{');
    let mut first = true;
    let pairs = names
        .iter()
        .map(String::as_str)
        .zip(values.iter().map(String::as_str));
    for (n, v) in pairs.chain(extra.iter().map(|(n, v)| (*n, v.as_str()))) {
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
                    let _ = writeln!(out, " {}", s.value.text());
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

    /// Every family as JSON: `{"families": [{"name", "kind", "help", "labels": [...],
    /// "series": [{"labels": {...}, ...}]}]}` where a counter or gauge series has `"value"`, a
    /// histogram or timer series `"count"`, `"sum"`, `"min"`, `"max"`, `"buckets": [{"le",
    /// "count"}]` (sum and bounds in exported units), a timer also `"errors"`, and a min/max
    /// `"min"` and `"max"` (null while empty).
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
            Value::Counter(c) => {
                out.key("value");
                out.uint(c);
            }
            Value::Gauge(g) => {
                out.key("value");
                out.float(g);
            }
            Value::Histogram(s) => histogram_json(&s, family.opts, out),
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
        }
        out.raw("}");
    }
    out.raw("]}");
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
