"""``python -m atomicperf``: the benchmark suite and the per-call overhead report.

    python -m atomicperf bench [--threads 1,2,4] [--duration 1.5] [--filter counter] [--json FILE]
                               [--markdown] [--quiet]
    python -m atomicperf overhead [--number N] [--repeat R] [--json]
    python -m atomicperf workloads

``bench`` runs the core's contention suite on Rust threads (the same one as the ``atomicperf``
CLI) and prints its table; ``--json FILE`` also writes the report (schema
``atomicperf-bench/1``; ``-`` writes it to stdout instead of the table). ``overhead`` measures
the cost of one call from a Python loop (Counter.inc, Histogram.record, ShardedMap.get,
SnapshotCell.load) beside a threading.Lock-guarded int and prometheus_client, when installed.
"""

from __future__ import annotations

import argparse
import signal
import sys

from . import __version__, bench


def _thread_counts(text: str) -> list[int]:
    try:
        counts = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"thread counts are comma-separated ints, got {text!r}"
        ) from None
    if not counts:
        raise argparse.ArgumentTypeError("at least one thread count is needed")
    return counts


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"duration is seconds, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m atomicperf",
        description="atomicperf benchmarks from Python.",
    )
    p.add_argument("--version", action="version", version=f"atomicperf {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("bench", help="run the contention suite and print its table")
    b.add_argument(
        "--threads",
        type=_thread_counts,
        default=list(bench.DEFAULT_THREADS),
        help="comma-separated thread counts (default 1,2,4)",
    )
    b.add_argument(
        "--duration",
        type=_seconds,
        default=bench.DEFAULT_DURATION,
        help="seconds per cell (default 1.5)",
    )
    b.add_argument(
        "--filter",
        action="append",
        default=None,
        metavar="NAME",
        help="run workloads whose name contains NAME (repeatable; comma-separated names too)",
    )
    b.add_argument(
        "--json", metavar="FILE", help="also write the JSON report to FILE ('-': stdout only)"
    )
    b.add_argument(
        "--markdown", action="store_true", help="print Markdown instead of the text table"
    )
    b.add_argument(
        "--quiet",
        action="store_true",
        help="no progress line on stderr (shown only on a terminal anyway)",
    )

    o = sub.add_parser("overhead", help="ns per call from a Python loop, against Python baselines")
    o.add_argument("--number", type=int, default=200_000, help="calls per timing run")
    o.add_argument("--repeat", type=int, default=15, help="timing runs; the best one counts")
    o.add_argument("--json", action="store_true", help="print JSON instead of a table")

    sub.add_parser("workloads", help="list the suite's workloads")
    return p


def _bench(args: argparse.Namespace) -> int:
    filters = None
    if args.filter:
        filters = [f for arg in args.filter for f in arg.split(",") if f]

    def progress(done: int, total: int, workload: str, design: str, threads: int) -> None:
        print(
            f"\r\x1b[K[{done + 1}/{total}] {workload}: {design} x{threads}",
            end="",
            file=sys.stderr,
            flush=True,
        )

    show = not args.quiet and sys.stderr.isatty()
    report = bench.run_report(args.threads, args.duration, filters, progress if show else None)
    if show:
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    if args.json == "-":
        print(report.to_json())
        return 0
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(report.to_json())
            f.write("\n")
    print(report.to_markdown() if args.markdown else report.to_table(), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # The suite runs in Rust without the GIL and cannot be interrupted half-way; let Ctrl+C end
    # the process at once instead of after the run.
    if args.command == "bench":
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        if args.command == "bench":
            return _bench(args)
        if args.command == "overhead":
            from . import _overhead

            return _overhead.main(args.number, args.repeat, args.json)
        if args.command == "workloads":
            print("\n".join(bench.workloads()))
            return 0
    except (ValueError, TypeError) as e:
        print(f"python -m atomicperf {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
