use std::fmt::Write;
use std::time::Duration;

use serde_json::json;

use super::{BenchConfig, PUBLISHED};

/// One measured cell: one design of one workload at one thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Workload name (`counter`, `map_read_heavy`, ...).
    pub workload: String,
    /// What the workload does.
    pub description: String,
    /// Design measured (`atomicperf Counter (striped)`, `Mutex<u64>`, ...).
    pub design: String,
    /// Whether this design is the workload's baseline (speed-up 1).
    pub baseline: bool,
    /// Threads running the operation.
    pub threads: usize,
    /// Operations completed by all threads.
    pub ops: u64,
    /// Wall time of the cell, seconds.
    pub seconds: f64,
    /// Operations per second, all threads together.
    pub ops_per_sec: f64,
    /// Time per operation per thread, ns (`seconds × threads / ops`).
    pub ns_per_op: f64,
    /// Median of sampled single-operation latencies, ns (includes one clock read, ~20 ns).
    pub p50_ns: u64,
    /// 99th percentile of the sampled latencies, ns.
    pub p99_ns: u64,
    /// `ops_per_sec` over the baseline's at the same thread count, in the same run.
    pub speedup: f64,
}

/// The result of [`run`](super::run): cells plus what a reader needs to judge them.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Version of the suite (`atomicperf-bench`; every crate of atomicperf carries the same one).
    pub version: String,
    /// Available parallelism of the machine.
    pub cpus: usize,
    /// Thread counts run.
    pub threads: Vec<usize>,
    /// Time per cell, seconds.
    pub cell_seconds: f64,
    /// Wall time of the whole run, seconds.
    pub total_seconds: f64,
    /// Every cell, grouped by workload then thread count.
    pub cells: Vec<Cell>,
}

impl Report {
    pub(super) fn new(config: &BenchConfig, cells: Vec<Cell>, total: Duration) -> Self {
        Report {
            version: env!("CARGO_PKG_VERSION").to_string(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            threads: config.threads.clone(),
            cell_seconds: config.duration.as_secs_f64(),
            total_seconds: total.as_secs_f64(),
            cells,
        }
    }

    /// The report as JSON, schema `atomicperf-bench/1`:
    /// `{"schema", "version", "cpus", "threads": [..], "cell_seconds", "total_seconds",
    /// "cells": [{"workload", "description", "design", "baseline", "threads", "ops", "seconds",
    /// "ops_per_sec", "ns_per_op", "p50_ns", "p99_ns", "speedup"}], "published": [{"source",
    /// "what", "figure", "answered_by"}]}`.
    pub fn to_json(&self) -> String {
        let cells: Vec<_> = self
            .cells
            .iter()
            .map(|c| {
                json!({
                    "workload": c.workload, "description": c.description, "design": c.design,
                    "baseline": c.baseline, "threads": c.threads, "ops": c.ops, "seconds": c.seconds,
                    "ops_per_sec": c.ops_per_sec, "ns_per_op": c.ns_per_op, "p50_ns": c.p50_ns,
                    "p99_ns": c.p99_ns, "speedup": c.speedup,
                })
            })
            .collect();
        let published: Vec<_> = PUBLISHED
            .iter()
            .map(|p| json!({ "source": p.source, "what": p.what, "figure": p.figure, "answered_by": p.answered_by }))
            .collect();
        json!({
            "schema": "atomicperf-bench/1",
            "version": self.version,
            "cpus": self.cpus,
            "threads": self.threads,
            "cell_seconds": self.cell_seconds,
            "total_seconds": self.total_seconds,
            "cells": cells,
            "published": published,
        })
        .to_string()
    }

    /// The report as a Markdown table, followed by the published figures it answers.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "atomicperf {} on {} CPUs, {:.2} s per cell, {:.0} s in all. Speed-up is throughput over the \
             baseline (marked *) at the same thread count, measured in this run.\n\n",
            self.version, self.cpus, self.cell_seconds, self.total_seconds
        );
        out.push_str(
            "| workload | design | threads | Mops/s | ns/op | p50 ns | p99 ns | speed-up |\n",
        );
        out.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for c in &self.cells {
            let _ = writeln!(
                out,
                "| {} | {}{} | {} | {:.2} | {:.1} | {} | {} | {:.2}x |",
                c.workload,
                c.design,
                if c.baseline { " *" } else { "" },
                c.threads,
                c.ops_per_sec / 1e6,
                c.ns_per_op,
                c.p50_ns,
                c.p99_ns,
                c.speedup
            );
        }
        out.push_str("\nPublished by the write-ups of the services these primitives came from, on other machines (for comparing designs, not numbers):\n\n");
        out.push_str("| source | measured | figure | our workload |\n|---|---|---|---|\n");
        for p in PUBLISHED {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                p.source, p.what, p.figure, p.answered_by
            );
        }
        out
    }

    /// The report as a plain-text table for a terminal.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "atomicperf {} - {} CPUs - {:.2} s per cell - {:.0} s in all (* = baseline; speed-up measured in this run)\n\n",
            self.version, self.cpus, self.cell_seconds, self.total_seconds
        );
        let _ = writeln!(
            out,
            "{:<15} {:<38} {:>3} {:>10} {:>9} {:>8} {:>8} {:>9}",
            "workload", "design", "thr", "Mops/s", "ns/op", "p50 ns", "p99 ns", "speed-up"
        );
        let mut last = "";
        for c in &self.cells {
            if c.workload != last && !last.is_empty() {
                out.push('\n');
            }
            last = &c.workload;
            let design = format!("{}{}", c.design, if c.baseline { " *" } else { "" });
            let _ = writeln!(
                out,
                "{:<15} {:<38} {:>3} {:>10.2} {:>9.1} {:>8} {:>8} {:>8.2}x",
                c.workload,
                design,
                c.threads,
                c.ops_per_sec / 1e6,
                c.ns_per_op,
                c.p50_ns,
                c.p99_ns,
                c.speedup
            );
        }
        out.push_str("\nPublished by the write-ups of the services these primitives came from, measured on other machines in Go (compare designs, not numbers):\n");
        for p in PUBLISHED {
            let _ = writeln!(
                out,
                "  {:<38} {:<28} {:<22} -> {}",
                p.source, p.what, p.figure, p.answered_by
            );
        }
        out
    }
}
