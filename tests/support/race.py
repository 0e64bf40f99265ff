"""Real threads released together, for the races against ministack."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar('T')


def race(calls: int, attempt: Callable[[int], T]) -> list[T]:
    """Run ``attempt(i)`` in ``calls`` threads released together by a barrier (bounded wait)."""
    barrier = threading.Barrier(calls, timeout=30)

    def run(i: int) -> T:
        barrier.wait()
        return attempt(i)

    with ThreadPoolExecutor(max_workers=calls) as pool:
        return list(pool.map(run, range(calls)))
