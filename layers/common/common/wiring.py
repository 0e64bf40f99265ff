"""The composition root: the one place that reads the settings and builds what services use.

Each function builds its ``Deps`` once per Lambda container, on first use (not at import, so
cold starts stay lean), and keeps it for the container's life::

    @wiring.once_per_container
    def deps() -> Deps:
        return wiring.build_deps()

Tests and the local tools re-point the application (another table, another Stripe) by changing
the environment and calling ``reset()``: every container's ``Deps`` is then built again.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from common import tables
from common.config import Settings, settings
from common.gateways.events import EventBridgePublisher
from common.gateways.stripe import StripeGateway
from common.repos import (
    AccountRepository,
    BookingRepository,
    CatalogRepository,
    InventoryRepository,
    LimitCounters,
    PaymentRecords,
    ReviewRepository,
    Table,
    WishlistRepository,
)
from common.security import Argon2Passwords, JwtTokens
from common.services.deps import Deps, TtlCache

_caches: list[functools._lru_cache_wrapper[Deps]] = []
_lock = threading.Lock()
# The catalogue cache belongs to the process (a Lambda container is one): every Deps built in it
# shares it, so an admin change clears what every function of the process would serve (the local
# gateway runs them all in one process, as the docs promise: docs/admin.md).
_catalog_cache: TtlCache | None = None


def now() -> datetime:
    return datetime.now(UTC)


def build_deps(current: Settings | None = None) -> Deps:
    """DynamoDB repositories, the Stripe and EventBridge gateways, tokens and passwords, wired to
    ``current`` (the process settings by default). Cheap: SDK clients are made on first use."""
    current = current or settings()
    tables.configure(
        current.table_name, current.dynamodb_endpoint_url, current.aws_region, current.dynamodb_max_pool_connections
    )
    table = Table()
    return Deps(
        settings=current,
        catalog=CatalogRepository(table),
        inventory=InventoryRepository(table),
        bookings=BookingRepository(table, current.pending_shards),
        payments=PaymentRecords(table),
        accounts=AccountRepository(table),
        limits=LimitCounters(table),
        reviews=ReviewRepository(table),
        wishlist=WishlistRepository(table),
        stripe=StripeGateway(current),
        events=EventBridgePublisher(current),
        tokens=JwtTokens(current),
        passwords=Argon2Passwords(current),
        clock=now,
        catalog_cache=_process_catalog_cache(current.catalog_cache_seconds),
    )


def _process_catalog_cache(ttl_seconds: float) -> TtlCache:
    global _catalog_cache
    with _lock:
        if _catalog_cache is None or _catalog_cache.ttl_seconds != ttl_seconds:
            _catalog_cache = TtlCache(ttl_seconds)
        return _catalog_cache


def once_per_container(build: Callable[[], Deps]) -> Callable[[], Deps]:
    """``build`` runs on the first call only (``functools.cache``); ``reset`` forgets the result."""
    cached = functools.cache(build)
    with _lock:
        _caches.append(cached)
    return cached


def reset() -> None:
    """Forget every container's ``Deps``, the catalogue cache and the process settings (tests,
    local tools)."""
    global _catalog_cache
    settings.cache_clear()
    with _lock:
        _catalog_cache = None
        for cached in _caches:
            cached.cache_clear()
