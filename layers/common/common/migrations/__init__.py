"""Numbered data migrations, run in order by ``make migrate`` (common/services/migrations.py).

To add one: a module ``mNNNN_<what>.py`` defining ``MIGRATION`` (see ``common/migration.py`` and
the ones below), appended to ``MIGRATIONS``. A migration that ran is never edited: a fix is a new
one. Migrations know the table's shapes (``common.tables``): they sit with the storage adapters.
"""

from __future__ import annotations

from common.migration import Migration
from common.migrations import (
    m0001_booking_arrival_keys,
    m0002_price_rule_references,
    m0003_hotel_room_type_counts,
    m0004_inventory_ttl,
    m0005_room_type_default_allotment,
    m0006_booking_arrival_partitions,
)

MIGRATIONS: tuple[Migration, ...] = (
    m0001_booking_arrival_keys.MIGRATION,
    m0002_price_rule_references.MIGRATION,
    m0003_hotel_room_type_counts.MIGRATION,
    m0004_inventory_ttl.MIGRATION,
    m0005_room_type_default_allotment.MIGRATION,
    m0006_booking_arrival_partitions.MIGRATION,
)
