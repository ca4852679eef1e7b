"""gunicorn settings for gunicorn_app.py: its segment's life is the server's.

    gunicorn -c gunicorn_conf.py -w 4 gunicorn_app:app

Two master hooks, both optional: ``on_starting`` removes a segment a previous server left (so
counters start from zero, as they would in process) and ``on_exit`` removes this server's.
There is no worker hook: a worker that exits, crashes or is killed with SIGKILL needs no
cleanup (no ``child_exit``, no ``mark_process_dead``), and its replacement opens the same
segment and adds to the same totals. Command-line options (``-w``, ``-b``) override these.
"""

from __future__ import annotations

import os
from typing import Any

from atomicperf import SharedRegistry

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = 4

SEGMENT = os.environ.get("ATOMICPERF_SEGMENT", "gunicorn-example")
SEGMENT_DIR = os.environ.get("ATOMICPERF_SEGMENT_DIR") or None


def _remove_segment() -> None:
    try:
        SharedRegistry.remove(SEGMENT, dir=SEGMENT_DIR)
    except ValueError:
        pass  # there was none


def on_starting(server: Any) -> None:
    _remove_segment()


def on_exit(server: Any) -> None:
    _remove_segment()
