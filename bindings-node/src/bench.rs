//! `bench.run`: the core's benchmark suite (`atomicperf::bench::run`), run on the libuv thread
//! pool so that the JS thread stays free for the minutes a full run takes. The workloads run on
//! Rust threads, as they do from the CLI, the C ABI and every other binding; `lib/bench.js`
//! parses the JSON report and attaches the text table and the Markdown.

use std::time::Duration;

use atomicperf::bench::{self, BenchConfig};
use atomicperf::Error;

use crate::bytes::Built;
use crate::js;
use crate::raw::{self, callbacks, export, Export, Fail};

/// Longest cell: one hour (a duration nobody means beyond that is a unit mistake).
const MAX_CELL_MS: f64 = 3_600_000.0;

struct Run {
    config: BenchConfig,
}

/// The report in the three forms core renders, or core's error.
type Outcome = std::result::Result<[String; 3], Error>;

impl napi::Task for Run {
    type Output = Outcome;
    type JsValue = Built;

    fn compute(&mut self) -> napi::Result<Outcome> {
        Ok(bench::run(&self.config, |_| {}).map(|r| [r.to_json(), r.to_table(), r.to_markdown()]))
    }

    /// Resolves `[json, table, markdown]`, or (for a bad configuration) the Error to reject with,
    /// which `lib/bench.js` throws: a `napi::Task` can only reject with napi-rs's own errors,
    /// which carry no `AP_ERR_*` code.
    fn resolve(&mut self, _env: napi::Env, output: Outcome) -> napi::Result<Built> {
        Ok(Built(Box::new(move |env| unsafe {
            match output {
                Ok(forms) => {
                    let out = js::array(env, 3)?;
                    for (i, s) in forms.iter().enumerate() {
                        js::set_element(env, out, i as u32, js::string(env, s)?)?;
                    }
                    Ok(out)
                }
                Err(e) => Fail::from(e).into_value(env),
            }
        })))
    }
}

callbacks! {
    /// `benchRun(threads: number[], durationMs: number, filter: string[]): Promise<[json, table,
    /// markdown] | Error>`.
    fn bench_run(env, info) {
        let [threads, duration, filter] = raw::args::<3>(env, info)?;
        let threads = js::to_array(env, threads, "threads")?
            .into_iter()
            .map(|t| js::to_usize(env, t, "a thread count"))
            .collect::<raw::Result<Vec<_>>>()?;
        let ms = raw::to_f64(env, duration, "durationMs")?;
        if !(0.0..=MAX_CELL_MS).contains(&ms) {
            return Err(Fail::range(format!("durationMs must be a number of milliseconds from 0 to {MAX_CELL_MS}, got {ms}")));
        }
        let filter = js::to_array(env, filter, "filter")?
            .into_iter()
            .map(|f| js::to_string(env, f, "a filter"))
            .collect::<raw::Result<Vec<_>>>()?;
        let config = BenchConfig { threads, duration: Duration::from_secs_f64(ms / 1000.0), filter };
        js::spawn(env, Run { config })
    }

    /// `benchWorkloads(): string[]`: every workload's name, in report order.
    fn bench_workloads(env, _info) {
        let names = bench::workload_names();
        let out = js::array(env, names.len())?;
        for (i, n) in names.iter().enumerate() {
            js::set_element(env, out, i as u32, js::string(env, n)?)?;
        }
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[export!("benchRun", bench_run), export!("benchWorkloads", bench_workloads)];
