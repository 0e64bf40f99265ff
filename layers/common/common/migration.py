"""What a data migration is (docs/data-model.md, "Migrations"): the vocabulary shared by the
numbered migrations (``common/migrations``, which know the table's shapes), the runner
(``services/migrations.py``) and the store they write through (the ``MigrationStore`` port).

A migration names the items it looks at (a Scan filter: it runs offline, never on a request
path) and *plans* each one: from the item as stored, the change it needs, or None. A change
says what it writes and what the item must still be for the write to be right
(``SetAttributes.expect``): the write is conditional on exactly that, so an API write landing
between the read and the write fails the guard instead of being overwritten, and the runner
reads the item again and plans anew. Only the attributes a migration owns are SET: nothing the
API writes meanwhile is lost.

A plan must return None for an item that needs nothing (already migrated, by this migration or by
the API's own new code): that is what makes every migration idempotent and resumable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from common import errors

Key = Mapping[str, str]  # {'pk': ..., 'sk': ...}
Item = Mapping[str, Any]  # an item as stored, deserialized (numbers are Decimal)


class _Absent:
    def __repr__(self) -> str:
        return 'ABSENT'


ABSENT: Any = _Absent()  # in ``expect``: the attribute must not exist


@dataclass(frozen=True)
class ItemFilter:
    """The items a migration looks at: a Scan ``FilterExpression`` with its values (``:name``)
    and names (``#name``, for reserved words such as ``ttl``)."""

    expression: str
    values: Mapping[str, Any] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SetAttributes:
    """SET ``set`` (and REMOVE ``remove``) on the item at ``key``, if it still exists and each
    attribute of ``expect`` still has that value (``ABSENT``: does not exist)."""

    key: Key
    set: Mapping[str, Any]
    expect: Mapping[str, Any]
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class PutIfAbsent:
    """Create ``item`` if no item has its key, and only while the item at ``requires`` exists
    (one transaction: a reference never outlives what it refers to)."""

    item: Item
    requires: Key


Change = SetAttributes | PutIfAbsent


class Reader(Protocol):
    """What a plan may read besides the item itself (strongly consistent where DynamoDB allows)."""

    def get(self, key: Key) -> Item | None: ...

    def query_index(self, index: str, partition: tuple[str, str], sort_prefix: tuple[str, str]) -> list[Item]: ...


@dataclass(frozen=True)
class Context:
    reader: Reader
    now: datetime
    retention_days: int


@dataclass(frozen=True)
class Migration:
    """``id`` starts with its number (``0001-...``): migrations run in that order, each once."""

    id: str
    description: str
    items: ItemFilter
    plan: Callable[[Item, Context], Change | None]


@dataclass(frozen=True)
class MigrationState:
    """A migration's record in the table."""

    migration_id: str
    status: str  # running | done
    last_key: dict[str, Any] | None  # the scan's LastEvaluatedKey (raw), None: from the start
    examined: int
    changed: int
    started_at: datetime
    finished_at: datetime | None = None


def key_of(item: Item) -> dict[str, str]:
    return {'pk': item['pk'], 'sk': item['sk']}


def describe(docstring: str | None) -> str:
    """A migration's description: the first paragraph of its module's docstring, on one line."""
    return ' '.join((docstring or '').split('\n\n')[0].split()).replace('``', '`')


class MigrationBusy(errors.Conflict):
    """Another run holds the migration's lease."""
