"""Python, Go and Node processes count into one counter of one shared-memory segment.

Eight processes (3 Python, 3 Go, 2 Node) of four threads each increment `jobs{lang="any"}`
100,000 times per thread, all started at once (so they also race to register the series); a
ninth process of each language then reads exactly 3,200,000, and the three exports agree.

    tests/cross-language/run.py PYTHON GO_SHARED_COUNT NODE_PACKAGE_DIR

PYTHON has atomicperf installed; GO_SHARED_COUNT is a built bindings-go/cmd/shared-count;
NODE_PACKAGE_DIR is the Node package (bindings-node). Run by scripts/test-cross-language.sh.
"""

import os
import shutil
import subprocess
import sys
import tempfile

THREADS, PER_THREAD = 4, 100_000
EXPECTED = 8 * THREADS * PER_THREAD

python, go_count, node_dir = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
here = os.path.dirname(os.path.abspath(__file__))
node_env = dict(os.environ, ATOMICPERF_NODE=node_dir)


def python_read(path: str) -> str:
    code = (
        "import sys; from atomicperf import SharedRegistry as S; "
        "print(S(sys.argv[1], create=False).export(), end='')"
    )
    return subprocess.run(
        [python, "-c", code, path], check=True, capture_output=True, text=True
    ).stdout


def node_read(path: str) -> str:
    code = (
        "const { SharedRegistry } = require(process.env.ATOMICPERF_NODE);"
        "process.stdout.write(new SharedRegistry(process.argv[1], { openExisting: true }).metrics())"
    )
    return subprocess.run(
        ["node", "-e", code, path], check=True, capture_output=True, text=True, env=node_env
    ).stdout


def sample(text: str, line_start: str) -> str:
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return line.split(" ")[1]
    raise AssertionError(f"no sample {line_start} in:\n{text}")


def main() -> int:
    tmp = tempfile.mkdtemp(
        prefix="atomicperf-cross-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None
    )
    path = os.path.join(tmp, "segment")
    try:
        # The segment is created by a Python process that registers nothing.
        subprocess.run(
            [
                python,
                "-c",
                "import sys; from atomicperf import SharedRegistry as S; S(sys.argv[1])",
                path,
            ],
            check=True,
        )
        total = THREADS * PER_THREAD
        commands = (
            [[python, os.path.join(here, "python_worker.py"), path, str(THREADS), str(PER_THREAD)]]
            * 3
            + [
                [
                    go_count,
                    "-existing",
                    "-goroutines",
                    str(THREADS),
                    "-label",
                    "lang=any",
                    path,
                    "jobs",
                    str(total),
                ]
            ]
            * 3
            + [["node", os.path.join(here, "node_worker.js"), path, str(THREADS), str(PER_THREAD)]]
            * 2
        )
        procs = [subprocess.Popen(c, env=node_env, stdout=subprocess.DEVNULL) for c in commands]
        failed = [c for c, p in zip(commands, procs, strict=True) if p.wait(timeout=300) != 0]
        assert not failed, f"workers failed: {failed}"

        go_total = subprocess.run(
            [go_count, "-existing", "-label", "lang=any", path, "jobs", "0"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        py_text, node_text = python_read(path), node_read(path)
        py_total = sample(py_text, 'jobs_total{lang="any"}')
        node_total = sample(node_text, 'jobs_total{lang="any"}')
        print(
            f"cross-language: {EXPECTED:,} increments by 3 Python, 3 Go and 2 Node processes; "
            f"read by Go {go_total}, Python {py_total}, Node {node_total}"
        )
        assert go_total == py_total == node_total == str(EXPECTED), (go_total, py_total, node_total)
        assert sample(py_text, "busy") == "0", py_text  # every counting process finished
        assert py_text == node_text, f"exports differ:\n{py_text}\n---\n{node_text}"
        series = [l for l in py_text.splitlines() if l.startswith("jobs_total")]
        assert len(series) == 1, series  # racing registrants in three languages: one series
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
