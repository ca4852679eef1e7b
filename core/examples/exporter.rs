//! A minimal exporter for the real-Prometheus scrape test: serves the global registry at
//! http://127.0.0.1:<port>/metrics (port 0 picks a free one; the chosen port is printed first,
//! then the 0.5 and 0.99 quantiles of its native histogram, as this library computes them).
//! It sets `atomicperf_demo_answer_total` to 42, counts its scrapes, and records 10,000
//! latencies in the native histogram `atomicperf_demo_latency_seconds`, then serves until
//! killed, in the format the scraper's `Accept` header asks for (the Prometheus protobuf format
//! carries the native histogram).
//!
//! cargo run -p atomicperf --example exporter -- [port]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use atomicperf::{negotiate, NativeOpts, Registry};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let registry = Registry::global();
    registry
        .counter(
            "atomicperf_demo_answer",
            "A counter the scrape test expects to read as 42.",
            &[],
        )?
        .add(42);
    let scrapes = registry.counter("atomicperf_demo_scrapes", "Scrapes served.", &[])?;
    let latency = registry.native_histogram(
        "atomicperf_demo_latency_seconds",
        "Latencies the scrape test asks Prometheus the quantiles of.",
        &[("route", "/")],
        &NativeOpts::default(),
    )?;
    // 1 ms to about 1 s, log-uniform: a fixed xorshift stream.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..10_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        latency.record(1e-3 * 10f64.powf((x % 3000) as f64 / 1000.0));
    }
    let q = |q| latency.quantile(q).ok().flatten().unwrap_or(f64::NAN);
    println!("{}\n{} {}", listener.local_addr()?.port(), q(0.5), q(0.99));
    std::io::stdout().flush()?;
    for stream in listener.incoming() {
        let mut stream = stream?;
        // The request line is ignored (every path serves the metrics); of the headers, Accept.
        let mut reader = BufReader::new(stream.try_clone()?);
        let (mut line, mut accept) = (String::new(), String::new());
        while reader.read_line(&mut line)? > 2 {
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("accept") {
                    accept = value.trim().to_string();
                }
            }
            line.clear();
        }
        scrapes.inc();
        let format = negotiate(&accept);
        let body = registry.export(format);
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            format.content_type(),
            body.len()
        )?;
        stream.write_all(&body)?;
    }
    Ok(())
}
