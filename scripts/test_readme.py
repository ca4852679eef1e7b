"""Runs every C, Python, JavaScript and Go snippet of README.md exactly as written, against what
scripts/test.sh built (debug library, .venv, bindings-node, bindings-go). Rust snippets run as
doctests of the core crate. Usage: python3 scripts/test_readme.py"""

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def run(cmd, cwd, env=None):
    merged = {**os.environ, **(env or {})}
    result = subprocess.run(cmd, cwd=cwd, env=merged, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def run_c(code, tmp):
    src = tmp / "readme.c"
    src.write_text(code)
    env = {"PKG_CONFIG_PATH": str(ROOT / "target/debug")}
    flags = run(["pkg-config", "--cflags", "--libs", "atomicperf"], tmp, env).split()
    run(
        [
            "gcc",
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            str(src),
            "-o",
            str(tmp / "readme"),
            *flags,
        ],
        tmp,
    )
    return run([str(tmp / "readme")], tmp)


def run_python(code, tmp):
    (tmp / "readme.py").write_text(code)
    return run([str(ROOT / ".venv/bin/python"), "readme.py"], tmp)


def run_js(code, tmp):
    # As a user who ran `npm install atomicperf` would: the package resolves by name.
    modules = tmp / "node_modules"
    modules.mkdir()
    (modules / "atomicperf").symlink_to(ROOT / "bindings-node")
    (tmp / "readme.js").write_text(code)
    return run(["node", "readme.js"], tmp)


def run_go(code, tmp):
    (tmp / "go.mod").write_text(
        "module readme\n\ngo 1.22\n\n"
        "require github.com/atomicperf/atomicperf/bindings-go v0.0.0\n\n"
        f"replace github.com/atomicperf/atomicperf/bindings-go => {ROOT / 'bindings-go'}\n"
    )
    (tmp / "main.go").write_text(code)
    # The module's checksums, so that a snippet importing its dependencies (client_golang)
    # builds from the module cache without asking the checksum database.
    (tmp / "go.sum").write_text((ROOT / "bindings-go/go.sum").read_text())
    # The module links the header and static archive that scripts/test-go.sh placed inside it
    # (bindings-go/include, bindings-go/lib/<GOOS>_<GOARCH>), as a released module carries them.
    platform = (
        run(["go", "env", "GOOS"], tmp).strip() + "_" + run(["go", "env", "GOARCH"], tmp).strip()
    )
    header = ROOT / "bindings-go/include/atomicperf.h"
    archive = ROOT / "bindings-go/lib" / platform / "libatomicperf.a"
    for placed in (header, archive):
        if not placed.is_file():
            raise RuntimeError(f"{placed} is missing: run scripts/test-go.sh first")

    def sha(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]

    # As scripts/test-go.sh: Go's build cache hashes neither that header nor the archive, so
    # their hashes go into the flags that key it.
    env = {
        "GOFLAGS": "-mod=mod",
        "CGO_ENABLED": "1",
        "CGO_CFLAGS": f"-O2 -g -DAPGO_HEADER_SHA={sha(header)} -DAPGO_LIB_SHA={sha(archive)}",
        "CGO_LDFLAGS": "-O2 -g",
    }
    return run(["go", "run", "."], tmp, env)


RUNNERS = {"c": run_c, "python": run_python, "js": run_js, "javascript": run_js, "go": run_go}


def main():
    blocks = [
        (lang, code)
        for lang, code in BLOCK.findall((ROOT / "README.md").read_text())
        if lang in RUNNERS
    ]
    failures = 0
    for n, (lang, code) in enumerate(blocks, 1):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                out = RUNNERS[lang](code, Path(tmp))
                print(
                    f"README snippet {n} ({lang}): ok\n"
                    + "".join(f"    {line}\n" for line in out.splitlines())
                )
            except Exception as e:  # report every snippet, then fail
                failures += 1
                print(f"README snippet {n} ({lang}): FAILED\n{e}")
    print(f"{len(blocks) - failures}/{len(blocks)} README snippets ran as written")
    return 1 if failures or not blocks else 0


if __name__ == "__main__":
    sys.exit(main())
