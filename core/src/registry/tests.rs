use std::sync::Arc;

use super::*;

/// The messages of a delimited protobuf export.
fn decode_families(bytes: &[u8]) -> Vec<proto::MetricFamily> {
    let mut buf = bytes;
    let mut families = Vec::new();
    while !buf.is_empty() {
        families.push(
            <proto::MetricFamily as prost::Message>::decode_length_delimited(&mut buf).unwrap(),
        );
    }
    families
}

#[test]
fn same_name_and_labels_return_the_same_metric() {
    let r = Registry::new();
    let a = r
        .counter("jobs", "Jobs.", &[("queue", "mail"), ("state", "done")])
        .unwrap();
    let b = r
        .counter("jobs", "Jobs.", &[("state", "done"), ("queue", "mail")])
        .unwrap();
    assert!(Arc::ptr_eq(&a, &b), "label order does not matter");
    let other = r
        .counter("jobs", "Jobs.", &[("queue", "sms"), ("state", "done")])
        .unwrap();
    assert!(!Arc::ptr_eq(&a, &other));
    assert_eq!(r.len(), 1);
}

#[test]
fn another_kind_or_label_set_is_an_error_and_registers_nothing() {
    let r = Registry::new();
    r.gauge("temp", "", &[("room", "a")]).unwrap();
    let kind = r.counter("temp", "", &[("room", "a")]).unwrap_err();
    assert!(kind.to_string().contains("registered as a gauge"), "{kind}");
    assert!(r.gauge("temp", "", &[("floor", "1")]).is_err());
    assert!(r.gauge("temp", "", &[]).is_err());
    assert!(r
        .gauge("temp", "", &[("room", "a"), ("floor", "1")])
        .is_err());
    assert_eq!(r.len(), 1);
}

#[test]
fn invalid_names_are_refused_and_register_nothing() {
    let r = Registry::new();
    assert!(r.counter("2xx", "", &[]).is_err());
    assert!(r.counter("ok", "", &[("bad-label", "v")]).is_err());
    assert!(r.counter("ok", "", &[("__reserved", "v")]).is_err());
    assert!(r.counter("ok", "", &[("a", "1"), ("a", "2")]).is_err());
    assert!(r
        .histogram("h", "", &[("le", "1")], &HistogramOpts::default())
        .is_err());
    assert!(r
        .histogram("h", "", &[], &HistogramOpts::plain(vec![2.0, 1.0]))
        .is_err());
    assert!(r.is_empty());
}

#[test]
fn prometheus_text_has_help_type_and_escaped_samples() {
    let r = Registry::new();
    r.counter(
        "http_requests",
        "Requests\nserved.",
        &[("path", "/a\"b\\c")],
    )
    .unwrap()
    .add(3);
    r.counter("already_total", "", &[]).unwrap().inc();
    r.gauge("temperature", "Degrees.", &[]).unwrap().set(21.5);
    let text = r.export_prometheus();
    assert!(
        text.contains("# HELP http_requests_total Requests\\nserved.\n"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE http_requests_total counter\n"),
        "{text}"
    );
    assert!(
        text.contains("http_requests_total{path=\"/a\\\"b\\\\c\"} 3\n"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE already_total counter\nalready_total 1\n"),
        "{text}"
    );
    assert!(text.contains("temperature 21.5\n"), "{text}");
}

#[test]
fn nanoseconds_export_as_round_seconds() {
    let r = Registry::new();
    r.histogram("d_seconds", "", &[], &HistogramOpts::default())
        .unwrap()
        .record(43_000_000);
    assert!(
        r.export_prometheus().contains("\nd_seconds_sum 0.043\n"),
        "{}",
        r.export_prometheus()
    );
}

#[test]
fn counters_past_two_to_the_53_are_exported_exactly() {
    let r = Registry::new();
    r.counter("big", "", &[]).unwrap().add((1 << 60) + 42);
    assert!(r
        .export_prometheus()
        .contains("\nbig_total 1152921504606847018\n"));
    assert!(
        r.export_prometheus().starts_with("# HELP big_total\n"),
        "no trailing space after an empty help"
    );
}

#[test]
fn histogram_exports_cumulative_buckets_sum_and_count_in_seconds() {
    let r = Registry::new();
    let h = r
        .histogram(
            "latency_seconds",
            "Latency.",
            &[],
            &HistogramOpts::default(),
        )
        .unwrap();
    for ms in [1u64, 7, 30, 30, 2_000, 20_000] {
        h.record(ms * 1_000_000);
    }
    let text = r.export_prometheus();
    for line in [
        "latency_seconds_bucket{le=\"0.005\"} 1",
        "latency_seconds_bucket{le=\"0.01\"} 2",
        "latency_seconds_bucket{le=\"0.05\"} 4",
        "latency_seconds_bucket{le=\"2.5\"} 5",
        "latency_seconds_bucket{le=\"10\"} 5",
        "latency_seconds_bucket{le=\"+Inf\"} 6",
        "latency_seconds_count 6",
    ] {
        assert!(
            text.contains(&format!("{line}\n")),
            "missing {line} in\n{text}"
        );
    }
    let sum: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("latency_seconds_sum "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((sum - 22.068).abs() < 1e-9, "{sum}");
}

#[test]
fn timer_and_minmax_export_as_documented_families() {
    let r = Registry::new();
    let t = r
        .timer("rule_duration_seconds", "Rule time.", &[("rule", "r1")])
        .unwrap();
    t.record_nanos(3_000_000, true);
    t.record_nanos(4_000_000, false);
    r.minmax("queue_depth", "Depth.", &[]).unwrap().record(4);
    r.minmax("idle", "Never recorded.", &[]).unwrap();
    let text = r.export_prometheus();
    assert!(
        text.contains("# TYPE rule_duration_seconds histogram\n"),
        "{text}"
    );
    assert!(
        text.contains("rule_duration_seconds_count{rule=\"r1\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE rule_duration_seconds_errors_total counter\n"),
        "{text}"
    );
    assert!(
        text.contains("rule_duration_seconds_errors_total{rule=\"r1\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("\nqueue_depth_min 4\n") && text.contains("\nqueue_depth_max 4\n"),
        "{text}"
    );
    assert!(
        !text.contains("\nidle_min ") && !text.contains("\nidle_max "),
        "an empty min/max has no sample: {text}"
    );
}

#[test]
fn openmetrics_names_counters_without_total_and_ends_with_eof() {
    let r = Registry::new();
    r.counter("hits_total", "Hits.", &[]).unwrap().inc();
    let text = r.export_openmetrics();
    assert!(
        text.contains("# TYPE hits counter\nhits_total 1\n"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn json_export_is_valid_and_complete() {
    let r = Registry::new();
    r.counter("c", "C.", &[("k", "v")]).unwrap().add(2);
    r.gauge("g", "", &[]).unwrap().set(f64::NAN);
    r.histogram("h", "", &[], &HistogramOpts::plain(vec![10.0]))
        .unwrap()
        .record(5);
    let v: serde_json::Value = serde_json::from_str(&r.export_json()).unwrap();
    let families = v["families"].as_array().unwrap();
    assert_eq!(families.len(), 3);
    assert_eq!(families[0]["series"][0]["value"], 2);
    assert_eq!(families[0]["series"][0]["labels"]["k"], "v");
    assert_eq!(families[1]["series"][0]["value"], "NaN");
    assert_eq!(families[2]["series"][0]["buckets"][0]["count"], 1);
}

#[test]
fn racing_get_or_create_yields_one_metric_and_exact_totals() {
    let r = Registry::new();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..10_000 {
                    r.counter("shared", "", &[("a", "b")]).unwrap().inc();
                }
            });
        }
    });
    assert_eq!(
        r.counter("shared", "", &[("a", "b")]).unwrap().get(),
        80_000
    );
}

#[test]
fn global_and_named_registries_are_process_wide() {
    assert!(Arc::ptr_eq(Registry::global(), Registry::global()));
    assert!(Arc::ptr_eq(
        &Registry::named("jobs"),
        &Registry::named("jobs")
    ));
    assert!(!Arc::ptr_eq(
        &Registry::named("jobs"),
        &Registry::named("other")
    ));
}

#[test]
fn a_saturated_histogram_exports_its_saturated_count_in_every_format() {
    let r = Registry::new();
    let h = r
        .histogram("big", "", &[], &HistogramOpts::default())
        .unwrap();
    h.record_n(1000, u64::MAX);
    h.record(1000);
    let text = r.export_prometheus();
    assert!(text.contains("big_count 18446744073709551615\n"), "{text}");
    assert!(
        text.contains("big_bucket{le=\"+Inf\"} 18446744073709551615\n"),
        "{text}"
    );
    assert!(r
        .export_openmetrics()
        .contains("big_count 18446744073709551615\n"));
    assert!(r.export_json().contains("\"count\":18446744073709551615"));
}

#[test]
fn openmetrics_omits_an_empty_help_and_escapes_quotes_in_help() {
    let r = Registry::new();
    r.counter("quiet", "", &[]).unwrap().inc();
    r.counter("loud", "Says \"hi\"\\ then\nbye.", &[])
        .unwrap()
        .inc();
    let om = r.export_openmetrics();
    assert!(!om.contains("# HELP quiet"), "{om}");
    assert!(
        om.contains("# HELP loud Says \\\"hi\\\"\\\\ then\\nbye.\n"),
        "{om}"
    );
    let text = r.export_prometheus();
    assert!(text.contains("# HELP quiet_total\n"), "{text}");
    assert!(
        text.contains("# HELP loud_total Says \"hi\"\\\\ then\\nbye.\n"),
        "{text}"
    );
}

#[test]
fn families_whose_exported_series_collide_are_refused() {
    let h = HistogramOpts::default();
    // (first registration, colliding second registration)
    type Make = fn(&Registry, &str) -> Result<(), Error>;
    let counter: Make = |r, n| r.counter(n, "", &[]).map(drop);
    let gauge: Make = |r, n| r.gauge(n, "", &[]).map(drop);
    let histogram: Make = |r, n| r.histogram(n, "", &[], &HistogramOpts::default()).map(drop);
    let timer: Make = |r, n| r.timer(n, "", &[]).map(drop);
    let minmax: Make = |r, n| r.minmax(n, "", &[]).map(drop);
    let cases: &[(Make, &str, Make, &str)] = &[
        (counter, "x", counter, "x_total"),
        (counter, "x_total", counter, "x"),
        (counter, "x", gauge, "x_total"),
        (gauge, "x_total", counter, "x"),
        (histogram, "h", gauge, "h_count"),
        (histogram, "h", counter, "h_sum"),
        (gauge, "h_bucket", histogram, "h"),
        (minmax, "m", gauge, "m_min"),
        (gauge, "m_max", minmax, "m"),
        (timer, "t", counter, "t_errors"),
        (timer, "t", gauge, "t_errors_total"),
        (timer, "t", histogram, "t"),
        // OpenMetrics' _created samples (found by tests/exposition/fuzz_exposition.py: counter
        // `x` and histogram `x_created` made prometheus_client's OpenMetrics parser fail with
        // "Clashing name: x_created").
        (counter, "x", histogram, "x_created"),
        (counter, "x_total", gauge, "x_created"),
        (gauge, "x_created", counter, "x"),
        (histogram, "h", gauge, "h_created"),
        (timer, "t", gauge, "t_created"),
        (timer, "t", counter, "t_errors_created"),
    ];
    for (i, (first, a, second, b)) in cases.iter().enumerate() {
        let r = Registry::new();
        first(&r, a).unwrap();
        let err = second(&r, b).expect_err(&format!("case {i}: {a} then {b}"));
        assert!(
            err.to_string().contains("would export series named")
                || err.to_string().contains("registered as"),
            "case {i}: {err}"
        );
        assert_eq!(r.len(), 1, "case {i}: nothing registered");
        // The first family still works and the export still parses as one family per name.
        first(&r, a).unwrap();
    }
    // Names that merely share a prefix are fine.
    let r = Registry::new();
    r.counter("x", "", &[]).unwrap();
    r.gauge("x_totals", "", &[]).unwrap();
    r.histogram("h", "", &[], &h).unwrap();
    r.gauge("h_counts", "", &[]).unwrap();
    assert_eq!(r.len(), 4);
}

#[test]
fn colliding_families_registered_at_once_never_both_succeed() {
    for _ in 0..200 {
        let r = Registry::new();
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| r.counter("x", "", &[]).is_ok());
            let b = s.spawn(|| r.gauge("x_total", "", &[]).is_ok());
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(a ^ b, "exactly one of the two registers");
        assert_eq!(r.len(), 1);
    }
}

#[test]
fn a_series_limit_refuses_new_series_counts_them_and_keeps_the_rest_working() {
    let r = Registry::new();
    assert_eq!(r.series_limit(), None);
    r.set_series_limit(Some(3));
    let a = r.counter("req", "", &[("user", "a")]).unwrap();
    r.counter("req", "", &[("user", "b")]).unwrap();
    r.gauge("temp", "", &[]).unwrap();
    let err = r.counter("req", "", &[("user", "c")]).unwrap_err();
    assert!(err.to_string().contains("series limit (3)"), "{err}");
    assert!(r
        .histogram("h", "", &[], &HistogramOpts::default())
        .is_err());
    assert_eq!((r.series_count(), r.refused_series()), (3, 2));
    // Existing series are found, not created: no refusal.
    r.counter("req", "", &[("user", "a")]).unwrap().inc();
    a.inc();
    assert_eq!(a.get(), 2);
    assert_eq!(r.refused_series(), 2);
    r.set_series_limit(None);
    r.counter("req", "", &[("user", "c")]).unwrap();
    assert_eq!(r.series_count(), 4);
}

#[test]
fn racing_creations_never_pass_the_series_limit() {
    let r = Registry::new();
    r.set_series_limit(Some(100));
    std::thread::scope(|s| {
        for t in 0..8 {
            let r = &r;
            s.spawn(move || {
                for i in 0..50 {
                    // Half the label values are shared between threads: created once.
                    let v = if i % 2 == 0 {
                        format!("{i}")
                    } else {
                        format!("{t}-{i}")
                    };
                    let _ = r.counter("req", "", &[("k", &v)]);
                }
            });
        }
    });
    let exported = r.export_prometheus().matches("req_total{").count();
    assert_eq!(exported, 100);
    assert_eq!(r.series_count(), 100);
    // 25 shared + 8 * 25 own = 225 distinct label values were asked for.
    assert!(r.refused_series() >= 125);
}

#[test]
fn labels_are_exported_sorted_by_name_whatever_order_they_were_given_in() {
    let r = Registry::new();
    r.counter(
        "req",
        "",
        &[("path", "/a"), ("code", "200"), ("method", "GET")],
    )
    .unwrap()
    .inc();
    let text = r.export_prometheus();
    assert!(
        text.contains("req_total{code=\"200\",method=\"GET\",path=\"/a\"} 1\n"),
        "{text}"
    );
}

#[test]
fn accept_headers_negotiate_as_prometheus_does() {
    use crate::{negotiate, ExportFormat as F};
    let cases = [
        ("", F::Prometheus),
        ("*/*", F::Prometheus),
        ("text/plain;version=0.0.4", F::Prometheus),
        ("application/openmetrics-text;version=1.0.0", F::OpenMetrics),
        (
            "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.9",
            F::Prometheus,
        ),
        (
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3",
            F::Protobuf,
        ),
        // Protobuf without the message or the delimited encoding is not what we write.
        ("application/vnd.google.protobuf;encoding=delimited", F::Prometheus),
        ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text", F::Prometheus),
        ("application/json", F::Prometheus),
        ("application/openmetrics-text;q=0,text/plain;q=0.1", F::Prometheus),
        ("APPLICATION/OPENMETRICS-TEXT; q=0.8", F::OpenMetrics),
    ];
    for (accept, want) in cases {
        assert_eq!(negotiate(accept), want, "{accept:?}");
    }
    assert_eq!(F::Protobuf.content_type(), crate::PROTOBUF_CONTENT_TYPE);
}

#[test]
fn a_native_histogram_exports_classic_buckets_in_text_and_native_ones_in_protobuf() {
    use crate::{NativeConfig, NativeOpts};
    let r = Registry::new();
    let opts = NativeOpts {
        config: NativeConfig::default(),
        classic_buckets: vec![0.25, 1.0],
    };
    let h = r
        .native_histogram("latency_seconds", "Latency.", &[("route", "/a")], &opts)
        .unwrap();
    for v in [0.1, 0.25, 0.3, 1.0, 4.0, -2.0, 0.0] {
        h.record(v);
    }
    assert!(
        r.counter("latency_seconds_count", "", &[]).is_err(),
        "its names are taken"
    );
    assert!(r
        .native_histogram("latency_seconds", "", &[("le", "x")], &opts)
        .is_err());
    let text = r.export_prometheus();
    assert!(
        text.contains("# TYPE latency_seconds histogram\n"),
        "{text}"
    );
    // 0.25 holds 0.1, 0.25, 0 (zero bucket) and -2: powers of two are native boundaries, so
    // the classic counts are exact.
    assert!(
        text.contains("latency_seconds_bucket{route=\"/a\",le=\"0.25\"} 4\n"),
        "{text}"
    );
    assert!(
        text.contains("latency_seconds_bucket{route=\"/a\",le=\"1\"} 6\n"),
        "{text}"
    );
    assert!(
        text.contains("latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 7\n"),
        "{text}"
    );
    assert!(
        text.contains("latency_seconds_count{route=\"/a\"} 7\n"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&r.export_json()).unwrap();
    let series = &json["families"][0]["series"][0];
    assert_eq!(json["families"][0]["kind"], "native_histogram");
    assert_eq!(series["schema"], 3);
    assert_eq!(series["zero_count"], 1);
    assert_eq!(series["negative"], serde_json::json!([[8, 1]]));

    r.counter("jobs", "Jobs.", &[]).unwrap().add(3);
    let bytes = r.export_protobuf();
    let families = decode_families(&bytes);
    let names: Vec<&str> = families
        .iter()
        .map(|f| f.name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["jobs_total", "latency_seconds"]);
    assert_eq!(
        families[0].metric[0].counter.as_ref().unwrap().value,
        Some(3.0)
    );
    let m = &families[1].metric[0];
    assert_eq!(m.label[0].name.as_deref(), Some("route"));
    let p = m.histogram.as_ref().unwrap();
    assert_eq!(p.sample_count, Some(7));
    assert_eq!(p.schema, Some(3));
    assert_eq!(p.zero_count, Some(1));
    assert_eq!(p.bucket.len(), 2);
    let s = h.snapshot();
    let (spans, deltas) = s.positive_spans();
    assert_eq!(p.positive_delta, deltas);
    assert_eq!(p.positive_span.len(), spans.len());
    assert_eq!(p.negative_delta, vec![1]);
    assert_eq!(r.export(crate::ExportFormat::Protobuf), bytes);
}

#[test]
fn an_empty_native_histogram_with_zero_threshold_zero_says_it_is_native() {
    use crate::{NativeConfig, NativeOpts};
    use prost::Message;
    let r = Registry::new();
    let config = NativeConfig::default().with_zero_threshold(0.0).unwrap();
    r.native_histogram(
        "h",
        "",
        &[],
        &NativeOpts {
            config,
            classic_buckets: vec![],
        },
    )
    .unwrap();
    let bytes = r.export_protobuf();
    let f = proto::MetricFamily::decode_length_delimited(&bytes[..]).unwrap();
    let h = f.metric[0].histogram.as_ref().unwrap();
    assert_eq!(h.positive_span.len(), 1, "client_golang's no-op span");
    assert_eq!(h.positive_span[0].length, Some(0));
}

#[test]
fn a_removed_series_is_no_longer_exported_and_comes_back_from_zero() {
    let r = Registry::new();
    let a = r.counter("jobs", "Jobs.", &[("queue", "mail")]).unwrap();
    let b = r.counter("jobs", "Jobs.", &[("queue", "sms")]).unwrap();
    a.add(5);
    b.add(7);
    assert_eq!(r.series_count(), 2);
    let before = r.removals();
    assert!(r.remove("jobs", &[("queue", "mail")]).unwrap());
    assert!(r.removals() > before);
    assert_eq!(r.series_count(), 1);
    let text = r.export_prometheus();
    assert!(!text.contains("mail"), "{text}");
    assert!(text.contains("jobs_total{queue=\"sms\"} 7"), "{text}");
    // The old handle keeps working, unexported; a new look-up starts from zero.
    a.inc();
    assert_eq!(a.get(), 6);
    let again = r.counter("jobs", "Jobs.", &[("queue", "mail")]).unwrap();
    assert!(!Arc::ptr_eq(&a, &again));
    assert_eq!(again.get(), 0);
    assert!(r
        .export_prometheus()
        .contains("jobs_total{queue=\"mail\"} 0"));
    // Nothing to remove, or no such family: false; other label names: an error.
    assert!(!r.remove("jobs", &[("queue", "fax")]).unwrap());
    assert!(!r.remove("nothing", &[]).unwrap());
    let err = r.remove("jobs", &[("state", "x")]).unwrap_err();
    assert!(err.to_string().contains("has labels"), "{err}");
    // The family stays registered: its name is still a counter's.
    assert!(r.gauge("jobs", "", &[("queue", "x")]).is_err());
}

#[test]
fn clear_family_and_clear_remove_every_series_and_free_the_series_limit() {
    let r = Registry::new();
    r.set_series_limit(Some(3));
    for q in ["a", "b"] {
        r.counter("jobs", "", &[("queue", q)]).unwrap().inc();
    }
    r.gauge("temp", "", &[]).unwrap().set(1.5);
    assert!(r.counter("jobs", "", &[("queue", "c")]).is_err(), "limit");
    assert_eq!(r.clear_family("jobs"), 2);
    assert_eq!(r.clear_family("jobs"), 0);
    assert_eq!(r.clear_family("nothing"), 0);
    assert_eq!(r.series_count(), 1);
    r.counter("jobs", "", &[("queue", "c")]).unwrap();
    assert_eq!(r.clear(), 2);
    assert_eq!(r.series_count(), 0);
    let text = r.export_prometheus();
    // The families stay (HELP and TYPE), without a sample.
    assert!(text.lines().all(|l| l.starts_with('#')), "{text}");
    assert!(text.contains("# TYPE temp gauge"), "{text}");
    r.set_series_limit(None);
    for kind in [
        r.histogram("h", "", &[("x", "1")], &HistogramOpts::default())
            .map(|_| ()),
        r.timer("t", "", &[("x", "1")]).map(|_| ()),
        r.minmax("m", "", &[("x", "1")]).map(|_| ()),
        r.native_histogram("n", "", &[("x", "1")], &NativeOpts::default())
            .map(|_| ()),
    ] {
        kind.unwrap();
    }
    assert_eq!(r.clear(), 4, "every kind of series is removed");
    assert_eq!(
        String::from_utf8(r.export_protobuf()).unwrap_or_default(),
        ""
    );
}

#[test]
fn writers_racing_removals_lose_no_update_and_never_fail() {
    // Writers look the series up and add to it while another thread removes it again and
    // again. Every add lands in some incarnation of the series: the totals of all incarnations
    // any writer held add up to every add made.
    const WRITERS: usize = 4;
    const ADDS: u64 = 20_000;
    let r = Arc::new(Registry::new());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let remover = {
        let (r, stop) = (r.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut removed = 0u64;
            while !stop.load(Ordering::Relaxed) {
                removed += u64::from(r.remove("hits", &[("page", "/")]).unwrap());
                if removed % 16 == 0 {
                    r.clear();
                }
                std::thread::yield_now();
            }
            removed
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let r = r.clone();
            std::thread::spawn(move || {
                let mut held: Vec<Arc<Counter>> = Vec::new();
                for i in 0..ADDS {
                    let c = r.counter("hits", "", &[("page", "/")]).unwrap();
                    c.inc();
                    if i % 3 == 0 {
                        r.histogram("lat", "", &[("page", "/")], &HistogramOpts::default())
                            .unwrap()
                            .record(i);
                    }
                    if !held.iter().any(|h| Arc::ptr_eq(h, &c)) {
                        held.push(c);
                    }
                }
                held
            })
        })
        .collect();
    let mut all: Vec<Arc<Counter>> = Vec::new();
    for w in writers {
        for c in w.join().unwrap() {
            if !all.iter().any(|h| Arc::ptr_eq(h, &c)) {
                all.push(c);
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let removed = remover.join().unwrap();
    let total: u64 = all.iter().map(|c| c.get()).sum();
    assert_eq!(total, WRITERS as u64 * ADDS, "no add is lost");
    assert!(
        removed > 0 && all.len() > 1,
        "the race happened: {removed} removals, {} incarnations",
        all.len()
    );
    assert!(r.series_count() <= 2);
}

#[test]
fn info_and_enum_export_as_prometheus_client_does() {
    let r = Registry::new();
    let build = r
        .info("build", "Build facts.", &[("service", "api")])
        .unwrap();
    build
        .set(&[("version", "1.2"), ("commit", "a\"b")])
        .unwrap();
    assert!(build.set(&[("service", "x")]).is_err(), "a family label");
    let again = r.info("build", "", &[("service", "api")]).unwrap();
    assert!(Arc::ptr_eq(&build, &again));
    let task = r
        .enumeration(
            "task_state",
            "Task.",
            &[("task", "mail")],
            &["starting", "running"],
        )
        .unwrap();
    task.set("running").unwrap();
    assert!(task.set("nope").is_err());

    let text = r.export_prometheus();
    let want = "# HELP build_info Build facts.\n# TYPE build_info gauge\n\
                build_info{service=\"api\",commit=\"a\\\"b\",version=\"1.2\"} 1\n\
                # HELP task_state Task.\n# TYPE task_state gauge\n\
                task_state{task=\"mail\",task_state=\"starting\"} 0\n\
                task_state{task=\"mail\",task_state=\"running\"} 1\n";
    assert_eq!(text, want);
    let om = r.export_openmetrics();
    let want = "# HELP build Build facts.\n# TYPE build info\n\
                build_info{service=\"api\",commit=\"a\\\"b\",version=\"1.2\"} 1\n\
                # HELP task_state Task.\n# TYPE task_state stateset\n\
                task_state{task=\"mail\",task_state=\"starting\"} 0\n\
                task_state{task=\"mail\",task_state=\"running\"} 1\n# EOF\n";
    assert_eq!(om, want);
    let json: serde_json::Value = serde_json::from_str(&r.export_json()).unwrap();
    assert_eq!(json["families"][0]["kind"], "info");
    assert_eq!(json["families"][0]["series"][0]["info"]["version"], "1.2");
    assert_eq!(json["families"][1]["series"][0]["state"], "running");
    assert_eq!(json["families"][1]["series"][0]["states"][0], "starting");
    let families = decode_families(&r.export_protobuf());
    assert_eq!(families[0].name.as_deref(), Some("build_info"));
    assert_eq!(families[0].metric[0].label.len(), 3);
    assert_eq!(families[1].metric.len(), 2);
    assert_eq!(
        families[1].metric[1].gauge.as_ref().unwrap().value,
        Some(1.0)
    );
}

#[test]
fn info_and_enum_names_and_states_are_checked() {
    let r = Registry::new();
    // A name ending in _info exports one _info; its names are taken.
    r.info("version_info", "", &[])
        .unwrap()
        .set(&[("v", "1")])
        .unwrap();
    assert!(r.export_prometheus().contains("version_info{v=\"1\"} 1\n"));
    assert!(r.gauge("version_info", "", &[]).is_err());
    assert!(r.gauge("version", "", &[]).is_err());
    // The enum's state label is its name: a label name, and not also one of its labels.
    assert!(r.enumeration("a:b", "", &[], &["x"]).is_err());
    assert!(r.enumeration("st", "", &[("st", "1")], &["x"]).is_err());
    assert!(r.enumeration("st", "", &[], &[]).is_err());
    assert!(r.enumeration("st", "", &[], &["x", "x"]).is_err());
    let e = r.enumeration("st", "", &[], &["x", "y"]).unwrap();
    // Other states for an existing family are ignored, as other histogram bounds are.
    let same = r.enumeration("st", "", &[], &["z"]).unwrap();
    assert!(Arc::ptr_eq(&e, &same));
    assert!(r.remove("st", &[]).unwrap());
    assert!(!r.export_prometheus().contains("st{"));
}

#[test]
fn exemplars_are_exported_in_openmetrics_and_protobuf_only() {
    let r = Registry::new();
    let c = r
        .counter("requests", "Requests.", &[("code", "200")])
        .unwrap();
    c.inc_with_exemplar(&[("trace_id", "abc\"1")], Some(1700000000.25))
        .unwrap();
    c.add(2);
    let err = c
        .inc_with_exemplar(&[("trace_id", &"x".repeat(130))], None)
        .unwrap_err();
    assert!(err.to_string().contains("at most 128"), "{err}");
    assert_eq!(c.get(), 3, "a refused exemplar adds nothing");
    let h = r
        .histogram(
            "latency_seconds",
            "Latency.",
            &[],
            &HistogramOpts {
                buckets: vec![0.01, 0.1],
                scale: 1e-9,
            },
        )
        .unwrap();
    h.record_with_exemplar(50_000_000, &[("trace_id", "t1")], None)
        .unwrap(); // 0.05 s: bucket le=0.1
    h.record_with_exemplar(5_000_000_000, &[("trace_id", "t2"), ("span_id", "s")], None)
        .unwrap(); // 5 s: +Inf
    assert!(h.record_with_exemplar(1, &[("1bad", "x")], None).is_err());
    assert_eq!(h.count(), 2);

    let om = r.export_openmetrics();
    assert!(
        om.contains("requests_total{code=\"200\"} 3 # {trace_id=\"abc\\\"1\"} 1 1700000000.25\n"),
        "{om}"
    );
    assert!(
        om.contains("latency_seconds_bucket{le=\"0.01\"} 0\n"),
        "{om}"
    );
    assert!(
        om.contains("latency_seconds_bucket{le=\"0.1\"} 1 # {trace_id=\"t1\"} 0.05\n"),
        "{om}"
    );
    assert!(
        om.contains("latency_seconds_bucket{le=\"+Inf\"} 2 # {span_id=\"s\",trace_id=\"t2\"} 5\n"),
        "{om}"
    );
    assert!(
        !r.export_prometheus().contains(" # {"),
        "0.0.4 has no exemplars"
    );

    let families = decode_families(&r.export_protobuf());
    let hist = families[0].metric[0].histogram.as_ref().unwrap();
    assert!(hist.bucket[0].exemplar.is_none());
    let e = hist.bucket[1].exemplar.as_ref().unwrap();
    assert_eq!(
        (e.label[0].value.as_deref(), e.value),
        (Some("t1"), Some(0.05))
    );
    assert_eq!(hist.bucket[2].upper_bound, Some(f64::INFINITY));
    let counter = families[1].metric[0].counter.as_ref().unwrap();
    let e = counter.exemplar.as_ref().unwrap();
    assert_eq!(e.value, Some(1.0));
    assert_eq!(
        e.timestamp,
        Some(proto::Timestamp {
            seconds: 1700000000,
            nanos: 250_000_000
        })
    );
}

#[test]
fn openmetrics_leaves_out_the_sum_and_count_of_a_histogram_that_can_go_negative() {
    // OpenMetrics: a histogram's sum is a counter (never negative or NaN) and has no place
    // beside buckets with negative thresholds; the count comes only with a sum. 0.0.4 text and
    // protobuf have no such rule and keep both.
    use crate::NativeOpts;
    let r = Registry::new();
    let native = r
        .native_histogram("offset_seconds", "Offset.", &[], &NativeOpts::default())
        .unwrap();
    native.record(0.5);
    let classic = r
        .histogram(
            "delta",
            "Delta.",
            &[],
            &HistogramOpts {
                buckets: vec![-1.0, 1.0],
                scale: 1.0,
            },
        )
        .unwrap();
    classic.record(3);
    let om = r.export_openmetrics();
    assert!(om.contains("offset_seconds_sum 0.5\n") && om.contains("offset_seconds_count 1\n"));
    assert!(
        !om.contains("delta_sum") && !om.contains("delta_count"),
        "{om}"
    );
    assert!(om.contains("delta_bucket{le=\"+Inf\"} 1\n"), "{om}");

    native.record(-2.0);
    let om = r.export_openmetrics();
    assert!(
        !om.contains("offset_seconds_sum") && !om.contains("offset_seconds_count"),
        "{om}"
    );
    assert!(
        om.contains("offset_seconds_bucket{le=\"+Inf\"} 2\n"),
        "{om}"
    );
    let text = r.export_prometheus();
    assert!(
        text.contains("offset_seconds_sum -1.5\n") && text.contains("offset_seconds_count 2\n")
    );
    assert!(
        text.contains("delta_sum 3\n") && text.contains("delta_count 1\n"),
        "{text}"
    );

    native.record(f64::NAN);
    let om = r.export_openmetrics();
    assert!(!om.contains("offset_seconds_sum"), "{om}");
}
