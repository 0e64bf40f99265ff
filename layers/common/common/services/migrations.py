"""Run the numbered data migrations in order (issue 23; ``make migrate``, docs/data-model.md).

For each migration not done yet: take its lease, walk its items page by page from the last key
recorded, plan each item and write the change guarded by what the plan read; record the page's
last key (renewing the lease) before the next page; mark it done at the end of the scan. A later
migration never starts before an earlier one is done.

- **Idempotent**: a plan returns None for an item that needs nothing, so a second run changes
  nothing; a done migration is not even scanned again.
- **Resumable**: stopped anywhere (budget, Ctrl-C, a crash), the next run continues from the last
  page recorded; the items of the unfinished page that were already changed need nothing now, so
  each item is changed once.
- **Safe while the API serves**: every write is conditional on the values its plan read and sets
  only the migration's own attributes; an API write in between fails the guard, the item is read
  again and planned anew (and the API's write is kept).
- **Audited**: one line per item changed (``audit``), with the key, what was set and the values
  it replaced. ``dry_run`` plans without writing anything (not even the records) and reports each
  item that would change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from common import errors
from common.migration import Change, Context, Item, Migration, MigrationState, PutIfAbsent, key_of
from common.ports import MigrationStore
from common.services.deps import Deps

LEASE = timedelta(minutes=5)
_REPLANS = 3


@dataclass
class MigrationReport:
    migration_id: str
    description: str
    status: str  # done | already done | stopped | dry run
    examined: int = 0
    changed: int = 0  # this run (dry run: would change)


@dataclass
class RunReport:
    dry_run: bool
    migrations: list[MigrationReport] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.dry_run or all(m.status in ('done', 'already done') for m in self.migrations)


class MigrationConflict(errors.Conflict):
    """An item kept changing under a migration (its guard failed on every attempt)."""


def run(
    deps: Deps,
    migrations: Sequence[Migration],
    *,
    owner: str,
    audit: Callable[[dict[str, Any]], None],
    dry_run: bool = False,
    page_size: int = 100,
    max_items: int | None = None,
) -> RunReport:
    """Run (or, ``dry_run``, plan) every migration not done yet, in order; stop after ``max_items``
    items examined in this run (the next run continues)."""
    _check_order(migrations)
    store, clock, retention_days = deps.migrations, deps.clock, deps.settings.inventory_retention_days
    report = RunReport(dry_run)
    budget = [max_items]
    for migration in migrations:
        state = store.state(migration.id)
        if state is not None and state.status == 'done':
            report.migrations.append(MigrationReport(migration.id, migration.description, 'already done'))
            continue
        context = Context(store, clock(), retention_days)
        if dry_run:
            report.migrations.append(_plan_only(migration, store, state, context, audit, page_size))
            continue
        result = _run_one(migration, store, clock, context, owner, audit, page_size, budget)
        report.migrations.append(result)
        if result.status != 'done':
            break  # later migrations wait for this one
    return report


def _check_order(migrations: Sequence[Migration]) -> None:
    ids = [m.id for m in migrations]
    if ids != sorted(ids) or len(set(ids)) != len(ids):
        raise ValueError(f'migration ids must be unique and in order: {ids}')


def _run_one(
    migration: Migration,
    store: MigrationStore,
    clock: Callable[[], datetime],
    context: Context,
    owner: str,
    audit: Callable[[dict[str, Any]], None],
    page_size: int,
    budget: list[int | None],
) -> MigrationReport:
    result = MigrationReport(migration.id, migration.description, 'stopped')
    state = store.claim(migration.id, owner, clock(), LEASE)
    try:
        while True:
            if budget[0] is not None and budget[0] <= 0:
                return result
            items, last = store.scan_page(migration.items, state.last_key, page_size)
            changed = sum(_migrate(migration, store, item, context, audit) for item in items)
            result.examined, result.changed = result.examined + len(items), result.changed + changed
            if budget[0] is not None:
                budget[0] -= len(items)
            state = replace(state, last_key=last, examined=state.examined + len(items), changed=state.changed + changed)
            store.save(state, owner, clock(), LEASE, done=last is None)
            if last is None:
                result.status = 'done'
                return result
    finally:
        if result.status != 'done':
            store.release(migration.id, owner)


def _migrate(
    migration: Migration, store: MigrationStore, item: Item, context: Context, audit: Callable[[dict[str, Any]], None]
) -> bool:
    """Plan and apply one item; read it again and plan anew when the guard fails. True if changed."""
    for _ in range(_REPLANS):
        change = migration.plan(item, context)
        if change is None:
            return False
        if store.apply(change):
            audit(_audit_line(migration, item, change, dry_run=False))
            return True
        fresh = store.get(key_of(item))
        if fresh is None:  # deleted meanwhile: nothing to migrate
            return False
        item = fresh
    raise MigrationConflict(f'{migration.id}: {key_of(item)} kept changing; run the migration again')


def _plan_only(
    migration: Migration,
    store: MigrationStore,
    state: MigrationState | None,
    context: Context,
    audit: Callable[[dict[str, Any]], None],
    page_size: int,
) -> MigrationReport:
    result = MigrationReport(migration.id, migration.description, 'dry run')
    start = state.last_key if state else None
    while True:
        items, start = store.scan_page(migration.items, start, page_size)
        for item in items:
            result.examined += 1
            change = migration.plan(item, context)
            if change is not None:
                result.changed += 1
                audit(_audit_line(migration, item, change, dry_run=True))
        if start is None:
            return result


def _audit_line(migration: Migration, item: Item, change: Change, *, dry_run: bool) -> dict[str, Any]:
    """One item's change as JSON-ready values (DynamoDB numbers come back as Decimal)."""
    line: dict[str, Any] = {'migration': migration.id, 'dry_run': dry_run}
    if isinstance(change, PutIfAbsent):
        line.update(key=key_of(change.item), put=dict(change.item), requires=dict(change.requires))
    else:
        line.update(
            key=dict(change.key),
            set=dict(change.set),
            remove=list(change.remove),
            before={name: item.get(name) for name in (*change.set, *change.remove)},
        )
    plain: dict[str, Any] = _plain(line)
    return plain


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value
