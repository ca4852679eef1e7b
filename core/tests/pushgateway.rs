//! Rust's leg of scripts/test-pushgateway.sh: a registry pushed, push-added and deleted with
//! [`Pushgateway`] against the real Prometheus Pushgateway at `AP_PUSHGATEWAY_URL`, each step
//! checked in the gateway's own /metrics. Without that variable (a plain `cargo test`) it returns
//! at once; the script greps for the line it prints on success. Needs the `push` feature (the
//! workspace's test build has it: the C library turns it on).
#![cfg(feature = "push")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use atomicperf::{Error, GaugeMode, Pushgateway, Registry, SharedOptions, SharedRegistry};

/// The gateway's /metrics, read with a bare HTTP/1.0 GET (the body follows the blank line).
fn scrape(gateway: &str) -> String {
    let host = gateway.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).expect("connect to the Pushgateway");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(
        head.starts_with("HTTP/1.") && head.contains(" 200 "),
        "{head}"
    );
    body.to_string()
}

#[test]
fn push_push_add_and_delete_on_a_real_pushgateway() {
    let Ok(url) = std::env::var("AP_PUSHGATEWAY_URL") else {
        return;
    };
    let gateway = Pushgateway::new(&url)
        .and_then(|g| g.with_timeout(Duration::from_secs(10)))
        .unwrap();
    let grouping = [("path", "/var/tmp"), ("empty", "")];

    let registry = Registry::new();
    let done = registry
        .counter("ap_push_rust", "Pushed from Rust.", &[("kind", "full")])
        .unwrap();
    done.add(7);
    gateway
        .push("rust/batch", &grouping, &registry.export_prometheus())
        .unwrap();
    let series = r#"ap_push_rust_total{empty="",instance="",job="rust/batch",kind="full",path="/var/tmp"} 7"#;
    let text = scrape(&url);
    assert!(text.contains(series), "{text}");

    // Push-add from a shared registry: the counter stays, the gauge joins it.
    let name = format!("pushgateway-rust-{}", std::process::id());
    let shared = SharedRegistry::open(&name, &SharedOptions::default()).unwrap();
    shared
        .gauge("ap_push_rust_extra", "Added.", &[], GaugeMode::MostRecent)
        .unwrap()
        .set(2.0);
    gateway
        .push_add("rust/batch", &grouping, &shared.export_prometheus())
        .unwrap();
    shared.unlink().unwrap();
    let extra = r#"ap_push_rust_extra{empty="",instance="",job="rust/batch",path="/var/tmp"} 2"#;
    let text = scrape(&url);
    assert!(text.contains(series) && text.contains(extra), "{text}");

    // A body the gateway cannot parse is refused with its status and reason.
    match gateway.push_add("rust/batch", &grouping, "this is not an exposition\n") {
        Err(Error::Io(why)) => assert!(why.contains("400"), "{why}"),
        other => panic!("an inconsistent push gave {other:?}"),
    }

    // The gateway applies a DELETE after answering it (202 Accepted): look again for a while.
    gateway.delete("rust/batch", &grouping).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while scrape(&url).contains("ap_push_rust") {
        assert!(
            std::time::Instant::now() < deadline,
            "the group was not deleted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("rust: pushed, push-added and deleted on the real Pushgateway at {url}");
}
