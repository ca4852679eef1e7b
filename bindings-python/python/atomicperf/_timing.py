"""Scoped timing for ``Timer``: ``with timer.time():``, ``@timer.time()`` and ``@timer.timed``.

Written in Python on top of ``Timer.record`` so that it can wrap any callable (coroutine
functions included) with ``functools.wraps``. The clock is ``time.perf_counter_ns``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from time import perf_counter_ns
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from ._atomicperf import Timer

F = TypeVar("F", bound=Callable[..., Any])


class Timing:
    """Times a ``with`` block, or every call of a decorated function, into a ``Timer``.

    The elapsed time is recorded on exit, as an error if the block (or call) raised. One object
    times one block at a time; ``timer.time()`` makes a fresh one for each ``with``. As a
    decorator it starts a new measurement per call, so a decorated function may run in many
    threads at once.
    """

    __slots__ = ("_timer", "_start", "elapsed")

    def __init__(self, timer: Timer) -> None:
        self._timer = timer
        self._start = 0
        #: Nanoseconds the last block took; None until a block has finished.
        self.elapsed: int | None = None

    def __enter__(self) -> Timing:
        self._start = perf_counter_ns()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        elapsed = perf_counter_ns() - self._start
        self.elapsed = elapsed
        self._timer.record(elapsed, exc_type is None)
        return False

    def __call__(self, func: F) -> F:
        if not callable(func):
            raise TypeError(f"Timer.time() decorates a callable, not {type(func).__name__}")
        timer = self._timer
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def timed_coroutine(*args: Any, **kwargs: Any) -> Any:
                start = perf_counter_ns()
                ok = False
                try:
                    result = await func(*args, **kwargs)
                    ok = True
                    return result
                finally:
                    timer.record(perf_counter_ns() - start, ok)

            return timed_coroutine  # type: ignore[return-value]

        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = perf_counter_ns()
            ok = False
            try:
                result = func(*args, **kwargs)
                ok = True
                return result
            finally:
                timer.record(perf_counter_ns() - start, ok)

        return timed  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"<Timing of {self._timer!r}, elapsed={self.elapsed}>"
