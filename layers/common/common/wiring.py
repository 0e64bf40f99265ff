"""The composition root: the one place that reads the settings and builds what services use.

Each function builds its ``Deps`` once per Lambda container, on first use (not at import, so
cold starts stay lean), and keeps it for the container's life::

    @wiring.once_per_container
    def deps() -> Deps:
        return wiring.build_deps()

Tests and the local tools re-point the application (another table, another Stripe) by changing
the environment and calling ``reset()``: every container's ``Deps`` is then built again
(``once_per_container`` and ``reset`` are ``common.containers``', re-exported here).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from common import tables
from common.config import Settings, settings
from common.containers import on_reset, once_per_container, reset
from common.gateways.events import EventBridgePublisher
from common.gateways.ses import SesGateway
from common.gateways.stripe import StripeGateway
from common.repos import (
    AccountRepository,
    AvailabilityViewRepository,
    BookingRepository,
    CatalogRepository,
    HousekeepingRecords,
    InventoryRepository,
    LimitCounters,
    MigrationStore,
    NotificationRecords,
    PaymentRecords,
    PromoRepository,
    ReviewRepository,
    Table,
    WishlistRepository,
)
from common.security import Argon2Passwords, JwtTokens
from common.services.deps import Deps, TtlCache

__all__ = ['build_deps', 'now', 'once_per_container', 'reset']

_lock = threading.Lock()
# The catalogue cache belongs to the process (a Lambda container is one): every Deps built in it
# shares it, so an admin change clears what every function of the process would serve (the local
# gateway runs them all in one process, as the docs promise: docs/admin.md).
_catalog_cache: TtlCache | None = None


def now() -> datetime:
    return datetime.now(UTC)


def build_deps(current: Settings | None = None) -> Deps:
    """DynamoDB repositories, the Stripe, EventBridge and SES gateways, tokens and passwords, wired
    to ``current`` (the process settings by default). Cheap: SDK clients are made on first use."""
    current = current or settings()
    tables.configure(
        current.table_name, current.dynamodb_endpoint_url, current.aws_region, current.dynamodb_max_pool_connections
    )
    table = Table()
    retention = current.inventory_retention_days
    return Deps(
        settings=current,
        catalog=CatalogRepository(table, retention),
        inventory=InventoryRepository(table, retention),
        view=AvailabilityViewRepository(table),
        bookings=BookingRepository(table, current.pending_shards),
        payments=PaymentRecords(table),
        promos=PromoRepository(table),
        accounts=AccountRepository(table),
        limits=LimitCounters(table),
        reviews=ReviewRepository(table),
        wishlist=WishlistRepository(table),
        housekeeping=HousekeepingRecords(table),
        notifications=NotificationRecords(table),
        migrations=MigrationStore(table),
        stripe=StripeGateway(current),
        events=EventBridgePublisher(current),
        mailer=SesGateway(current),
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


def _forget_catalog_cache() -> None:
    global _catalog_cache
    with _lock:
        _catalog_cache = None


on_reset(_forget_catalog_cache)
