"""What a Lambda container builds once and keeps for its life.

``once_per_container`` caches a builder's result (``functools.cache``) until ``reset`` forgets
every one, with the process settings: tests and the local tools re-point the application
(another table, another Stripe) by changing the environment and calling ``reset()``.

Light on purpose (the settings and nothing of an SDK): the composition root (``common.wiring``)
builds on it, and so does a function that needs no table, such as the publisher, which wires its
one gateway itself without importing PynamoDB through ``wiring``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from common.config import settings

T = TypeVar('T')

_lock = threading.Lock()
_caches: list[functools._lru_cache_wrapper[Any]] = []
_on_reset: list[Callable[[], None]] = []


def once_per_container(build: Callable[[], T]) -> Callable[[], T]:
    """``build`` runs on the first call only; ``reset`` forgets the result."""
    cached = functools.cache(build)
    with _lock:
        _caches.append(cached)
    return cached


def on_reset(forget: Callable[[], None]) -> None:
    """Call ``forget`` on every ``reset`` (a process-wide cache kept outside a builder)."""
    with _lock:
        _on_reset.append(forget)


def reset() -> None:
    """Forget what every builder built, the process settings and the registered caches."""
    settings.cache_clear()
    with _lock:
        for forget in _on_reset:
            forget()
        for cached in _caches:
            cached.cache_clear()
