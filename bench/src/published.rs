//! The figures published in the write-ups of the services whose lock contention motivated these
//! primitives, printed beside ours. They were measured on other machines, in Go, under other loads:
//! a reader compares designs with them, never absolute numbers.

/// One published figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Published {
    /// Where it comes from.
    pub source: &'static str,
    /// What was measured.
    pub what: &'static str,
    /// The figure as published.
    pub figure: &'static str,
    /// Our workload that answers it.
    pub answered_by: &'static str,
}

/// Every published figure our suite answers.
pub const PUBLISHED: &[Published] = &[
    Published {
        source: "an atomic-metrics write-up (Go, 16 threads)",
        what: "atomic counter increment",
        figure: "49.89 ns/op",
        answered_by: "counter",
    },
    Published {
        source: "an atomic-metrics write-up (Go, 16 threads)",
        what: "mutex counter increment",
        figure: "63.43 ns/op",
        answered_by: "counter",
    },
    Published {
        source: "an atomic-metrics write-up (Go, 16 threads)",
        what: "atomic read",
        figure: "0.08 ns/op",
        answered_by: "counter",
    },
    Published {
        source: "an atomic-metrics write-up (Go, 16 threads)",
        what: "mutex read",
        figure: "114.70 ns/op",
        answered_by: "counter",
    },
    Published {
        source: "an atomic-metrics write-up (Go, 16 threads)",
        what: "atomic rule metric (slower than its mutex)",
        figure: "150.4 ns/op",
        answered_by: "timer",
    },
    Published {
        source: "an atomic-metrics write-up (Go, 16 threads)",
        what: "mutex rule metric",
        figure: "65.4 ns/op",
        answered_by: "timer",
    },
    Published {
        source: "a hedging-cache write-up (Go, 8 threads)",
        what: "cache GetRates",
        figure: "83.93 ns/op",
        answered_by: "snapshot_cell",
    },
    Published {
        source: "a hedging-cache write-up (Go, 8 threads)",
        what: "cache GetLastRefresh (one atomic load)",
        figure: "0.59 ns/op",
        answered_by: "snapshot_cell",
    },
    Published {
        source: "an account-service write-up",
        what: "account service behind one global lock",
        figure: "4,000-6,500 requests/s (1M/s target)",
        answered_by: "ledger",
    },
];
