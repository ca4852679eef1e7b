//! `atomicperf`: runs the benchmark suite (every primitive against the lock it replaces) and
//! writes its results as a table, JSON, Markdown and an SVG chart.

mod chart;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use atomicperf_bench::{self as bench, BenchConfig};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "atomicperf",
    version,
    about = "Lock-free primitives measured against the locks they replace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the benchmark suite and print a table (about two minutes with the defaults).
    Bench(BenchArgs),
    /// List the workloads the suite knows.
    List,
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Run only workloads whose name contains one of these (comma-separated).
    #[arg(long, value_delimiter = ',')]
    filter: Vec<String>,
    /// Thread counts to run each workload at.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2, 4])]
    threads: Vec<usize>,
    /// Time per cell: "1.5s", "500ms", or a number of seconds.
    #[arg(long, default_value = "1.5s", value_parser = parse_duration)]
    duration: Duration,
    /// Also write the report as JSON (schema atomicperf-bench/1) to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Also write the report as a Markdown table to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Also draw speed-up over the baseline by thread count, per workload, as SVG to this file.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    if let Ok(secs) = s.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).map_err(|e| format!("{s:?}: {e}"));
    }
    if let Some(secs) = s
        .strip_suffix('s')
        .filter(|n| !n.ends_with('m'))
        .and_then(|n| n.parse::<f64>().ok())
    {
        return Duration::try_from_secs_f64(secs).map_err(|e| format!("{s:?}: {e}"));
    }
    humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e}"))
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::List => {
            for name in bench::workload_names() {
                println!("{name}");
            }
            ExitCode::SUCCESS
        }
        Command::Bench(args) => match run_bench(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("atomicperf bench: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn run_bench(args: &BenchArgs) -> Result<(), Box<dyn std::error::Error>> {
    let config = BenchConfig {
        threads: args.threads.clone(),
        duration: args.duration,
        filter: args.filter.clone(),
    };
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(ProgressStyle::with_template(
        "{bar:30} {pos}/{len} cells, {elapsed} {msg}",
    )?);
    let report = bench::run(&config, |p| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(format!(
            "{} / {} / {} threads",
            p.workload, p.design, p.threads
        ));
    })?;
    bar.finish_and_clear();
    print!("{}", report.to_table());
    if let Some(path) = &args.json {
        std::fs::write(path, report.to_json())?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, report.to_markdown())?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(path) = &args.svg {
        chart::draw(&report, path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
