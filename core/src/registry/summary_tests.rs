//! Summaries in a registry: registration rules and every export format.

use std::time::Duration;

use prost::Message;

use super::{proto, MetricKind, Registry, SummaryOpts};
use crate::{Error, SummaryConfig};

fn opts(quantiles: &[f64]) -> SummaryOpts {
    SummaryOpts {
        config: SummaryConfig {
            quantiles: quantiles.to_vec(),
            ..SummaryConfig::default()
        },
        ..SummaryOpts::default()
    }
}

#[test]
fn a_summary_exports_quantiles_over_the_window_and_all_time_sum_and_count() {
    let r = Registry::new();
    let s = r
        .summary(
            "rpc_seconds",
            "RPC latency.",
            &[("method", "get")],
            &opts(&[0.5, 0.9]),
        )
        .unwrap();
    for ms in 1..=100u64 {
        s.record(ms * 1_000_000);
    }
    let again = r
        .summary(
            "rpc_seconds",
            "",
            &[("method", "get")],
            &SummaryOpts::default(),
        )
        .unwrap();
    assert_eq!(again.count(), 100, "the same series");
    let text = r.export_prometheus();
    assert!(text.contains("# TYPE rpc_seconds summary\n"), "{text}");
    let q50 = text
        .lines()
        .find_map(|l| l.strip_prefix("rpc_seconds{method=\"get\",quantile=\"0.5\"} "))
        .expect("quantile 0.5")
        .parse::<f64>()
        .unwrap();
    assert!((q50 - 0.050).abs() <= 0.050 * 0.01, "{q50}");
    assert!(
        text.contains("rpc_seconds{method=\"get\",quantile=\"0.9\"} "),
        "{text}"
    );
    assert!(
        text.contains("rpc_seconds_sum{method=\"get\"} 5.05\n"),
        "{text}"
    );
    assert!(
        text.contains("rpc_seconds_count{method=\"get\"} 100\n"),
        "{text}"
    );
    assert!(
        !text.contains("0.99"),
        "only the configured quantiles: {text}"
    );

    let om = r.export_openmetrics();
    assert!(om.contains("# TYPE rpc_seconds summary\n"), "{om}");
    assert!(
        om.contains("rpc_seconds_count{method=\"get\"} 100\n"),
        "{om}"
    );
    assert!(om.ends_with("# EOF\n"));

    let json: serde_json::Value = serde_json::from_str(&r.export_json()).unwrap();
    let series = &json["families"][0]["series"][0];
    assert_eq!(json["families"][0]["kind"], "summary");
    assert_eq!(series["count"], 100);
    assert_eq!(series["sum"], 5.05);
    assert_eq!(series["quantiles"][1]["quantile"], 0.9);
    let q90 = series["quantiles"][1]["value"].as_f64().unwrap();
    assert!((q90 - 0.090).abs() <= 0.090 * 0.01, "{q90}");

    let bytes = r.export_protobuf();
    let f = proto::MetricFamily::decode_length_delimited(&bytes[..]).unwrap();
    assert_eq!(f.name.as_deref(), Some("rpc_seconds"));
    assert_eq!(f.r#type, Some(proto::MetricType::Summary as i32));
    let m = f.metric[0].summary.as_ref().unwrap();
    assert_eq!((m.sample_count, m.sample_sum), (Some(100), Some(5.05)));
    let qs: Vec<f64> = m.quantile.iter().map(|q| q.quantile.unwrap()).collect();
    assert_eq!(qs, vec![0.5, 0.9]);
    assert!((m.quantile[0].value.unwrap() - 0.050).abs() <= 0.050 * 0.01);
}

#[test]
fn an_empty_window_exports_nan_quantiles_and_json_nulls() {
    let r = Registry::new();
    r.summary("idle", "", &[], &opts(&[0.5])).unwrap();
    let text = r.export_prometheus();
    assert!(text.contains("idle{quantile=\"0.5\"} NaN\n"), "{text}");
    assert!(
        text.contains("idle_sum 0\n") && text.contains("idle_count 0\n"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&r.export_json()).unwrap();
    assert!(json["families"][0]["series"][0]["quantiles"][0]["value"].is_null());
    let bytes = r.export_protobuf();
    let f = proto::MetricFamily::decode_length_delimited(&bytes[..]).unwrap();
    assert!(f.metric[0].summary.as_ref().unwrap().quantile[0]
        .value
        .unwrap()
        .is_nan());
}

#[test]
fn a_plain_scale_exports_recorded_values() {
    let r = Registry::new();
    let plain = SummaryOpts {
        scale: 1.0,
        ..opts(&[1.0])
    };
    let s = r.summary("bytes", "", &[], &plain).unwrap();
    s.record(1500);
    let text = r.export_prometheus();
    assert!(text.contains("bytes{quantile=\"1\"} 1500\n"), "{text}");
    assert!(text.contains("bytes_sum 1500\n"), "{text}");
}

#[test]
fn summary_names_labels_and_options_are_checked_and_nothing_is_registered_on_refusal() {
    let r = Registry::new();
    r.summary("lat", "", &[], &SummaryOpts::default()).unwrap();
    for taken in ["lat_sum", "lat_count", "lat_created"] {
        let err = r.gauge(taken, "", &[]).unwrap_err();
        assert!(err.to_string().contains("lat"), "{err}");
    }
    assert!(r.counter("lat", "", &[]).is_err());
    // A histogram `h` exports h_sum: a summary `h` collides with it.
    r.histogram("h", "", &[], &Default::default()).unwrap();
    assert!(r.summary("h", "", &[], &SummaryOpts::default()).is_err());
    let err = r
        .summary("q", "", &[("quantile", "x")], &SummaryOpts::default())
        .unwrap_err();
    assert!(err.to_string().contains("quantile"), "{err}");
    let bad = [
        opts(&[1.5]),
        SummaryOpts {
            config: SummaryConfig {
                age_buckets: 0,
                ..SummaryConfig::default()
            },
            ..SummaryOpts::default()
        },
        SummaryOpts {
            config: SummaryConfig {
                max_age: Duration::ZERO,
                ..SummaryConfig::default()
            },
            ..SummaryOpts::default()
        },
    ];
    for o in &bad {
        assert!(matches!(
            r.summary("never", "", &[], o),
            Err(Error::InvalidConfig(_))
        ));
    }
    let err = r
        .summary(
            "never",
            "",
            &[],
            &SummaryOpts {
                scale: -1.0,
                ..SummaryOpts::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("scale"), "{err}");
    assert!(!r.export_prometheus().contains("never"));
    r.gauge("never", "", &[]).unwrap(); // the name stayed free
    assert_eq!(MetricKind::Summary.as_str(), "summary");
}

#[test]
fn a_summary_family_is_laid_out_by_its_first_options() {
    let r = Registry::new();
    let config = SummaryConfig {
        max_age: Duration::from_secs(30),
        age_buckets: 3,
        quantiles: vec![0.99, 0.25],
        ..SummaryConfig::default()
    };
    let first = SummaryOpts {
        config: config.clone(),
        ..SummaryOpts::default()
    };
    let a = r.summary("w", "", &[("k", "a")], &first).unwrap();
    let b = r
        .summary("w", "", &[("k", "b")], &SummaryOpts::default())
        .unwrap();
    assert_eq!(a.config().quantiles, vec![0.25, 0.99]);
    assert_eq!(b.config(), a.config());
    assert_eq!(b.config().age_bucket(), Duration::from_secs(10));
}
