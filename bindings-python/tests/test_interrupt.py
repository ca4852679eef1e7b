"""Ctrl-C (SIGINT) interrupts every blocking wait with KeyboardInterrupt, as it interrupts
threading.Event().wait(): a wait that released the GIL for its whole timeout used to hold the
process for as long as the timeout (up to ~100 years) with SIGINT ignored. AsyncRecorder's flush()
and block-mode record() wait the same way (bindings-python/src/wait.rs), but no Python program can
stall a recorder's worker to keep them waiting."""

import signal
import subprocess
import sys
import textwrap
import time

import pytest

# Each program blocks forever (no timeout) in one wait, after printing "waiting".
WAITS = {
    "CancellationToken.wait": """
        t = atomicperf.CancellationToken()
        print("waiting", flush=True)
        t.wait()
    """,
    "OnceMap.get_or_init waiting for another thread's initialiser": """
        import threading
        m = atomicperf.OnceMap()
        started = threading.Event()
        def slow():
            started.set()
            threading.Event().wait()  # never returns
        threading.Thread(target=lambda: m.get_or_init(b"k", slow), daemon=True).start()
        started.wait()
        print("waiting", flush=True)
        m.get_or_init(b"k", lambda: 1)
    """,
}


@pytest.mark.parametrize("name", list(WAITS))
def test_sigint_interrupts_a_blocking_wait(name):
    # Python installs its SIGINT handler only when SIGINT is not ignored at start-up, and a
    # process started in the background by a non-interactive shell inherits it ignored: install
    # it, so that what is tested is the wait, not how the test was started.
    program = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
    program += "import atomicperf\ntry:\n" + textwrap.indent(textwrap.dedent(WAITS[name]), "    ")
    program += "\nexcept KeyboardInterrupt:\n    print('interrupted', flush=True)\n    raise SystemExit(42)\n"
    p = subprocess.Popen(
        [sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert p.stdout.readline().strip() == "waiting"
        time.sleep(0.3)  # let it enter the wait
        p.send_signal(signal.SIGINT)
        # A bound against a hang, not a timing claim: the wait checks for signals every 50 ms.
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 42, (p.returncode, out, err)
    assert "interrupted" in out
