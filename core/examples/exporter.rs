//! A minimal exporter for the real-Prometheus scrape test: serves the global registry at
//! http://127.0.0.1:<port>/metrics (port 0 picks a free one; the chosen port is printed first).
//! It sets `atomicperf_demo_answer_total` to 42 and counts its scrapes, then serves until killed.
//!
//! cargo run -p atomicperf --example exporter -- [port]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use atomicperf::{Registry, PROMETHEUS_CONTENT_TYPE};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("{}", listener.local_addr()?.port());
    let registry = Registry::global();
    registry
        .counter(
            "atomicperf_demo_answer",
            "A counter the scrape test expects to read as 42.",
            &[],
        )?
        .add(42);
    let scrapes = registry.counter("atomicperf_demo_scrapes", "Scrapes served.", &[])?;
    for stream in listener.incoming() {
        let mut stream = stream?;
        // The request line and headers are read and ignored: every path serves the metrics.
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        while reader.read_line(&mut line)? > 2 {
            line.clear();
        }
        scrapes.inc();
        let body = registry.export_prometheus();
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: {PROMETHEUS_CONTENT_TYPE}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
    }
    Ok(())
}
