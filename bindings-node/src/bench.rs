//! `bench.run`: the core's benchmark suite (`atomicperf::bench::run`), run on a thread of its own
//! (`waits::spawn`: neither the JS thread nor a libuv pool thread) for the minutes a full run takes. The workloads run on
//! Rust threads, as they do from the CLI, the C ABI and every other binding; `lib/bench.js`
//! parses the JSON report and attaches the text table and the Markdown.

use std::time::Duration;

use atomicperf_bench::{self as bench, BenchConfig};

use crate::callback::{self, callbacks, export, Export};
use crate::convert;
use crate::error::{Fail, Result};
use crate::waits;

/// Longest cell: one hour (a duration nobody means beyond that is a unit mistake).
const MAX_CELL_MS: f64 = 3_600_000.0;

callbacks! {
    /// `benchRun(threads: number[], durationMs: number, filter: string[]): Promise<[json, table,
    /// markdown] | Error>`.
    fn bench_run(env, info) {
        let [threads, duration, filter] = callback::args::<3>(env, info)?;
        let threads = convert::to_array(env, threads, "threads")?
            .into_iter()
            .map(|t| convert::to_usize(env, t, "a thread count"))
            .collect::<Result<Vec<_>>>()?;
        let ms = convert::to_f64(env, duration, "durationMs")?;
        if !(0.0..=MAX_CELL_MS).contains(&ms) {
            return Err(Fail::range(format!("durationMs must be a number of milliseconds from 0 to {MAX_CELL_MS}, got {ms}")));
        }
        let filter = convert::to_array(env, filter, "filter")?
            .into_iter()
            .map(|f| convert::to_string(env, f, "a filter"))
            .collect::<Result<Vec<_>>>()?;
        let config = BenchConfig { threads, duration: Duration::from_secs_f64(ms / 1000.0), filter };
        waits::spawn(env, "bench", move || {
            let outcome = bench::run(&config, |_| {}).map(|r| [r.to_json(), r.to_table(), r.to_markdown()]);
            // `[json, table, markdown]`, or (for a bad configuration) the Error to reject with,
            // which `lib/bench.js` throws.
            Box::new(move |env| {
                match outcome {
                    Ok(forms) => {
                        let out = convert::array(env, 3)?;
                        for (i, s) in forms.iter().enumerate() {
                            convert::set_element(env, out, i as u32, convert::string(env, s)?)?;
                        }
                        Ok(out)
                    }
                    Err(e) => Fail::from(e).into_value(env),
                }
            })
        })
    }

    /// `benchWorkloads(): string[]`: every workload's name, in report order.
    fn bench_workloads(env, _info) {
        let names = bench::workload_names();
        let out = convert::array(env, names.len())?;
        for (i, n) in names.iter().enumerate() {
            convert::set_element(env, out, i as u32, convert::string(env, n)?)?;
        }
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("benchRun", bench_run),
    export!("benchWorkloads", bench_workloads),
];
