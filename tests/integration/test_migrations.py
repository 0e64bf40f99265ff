"""The numbered data migrations (issue 23) on moto, over data written before each change: each
brings old items to the current shape once, a run stopped half-way is finished by the next, and
what the API writes meanwhile is kept."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from common.config import settings
from common.domain import Booking, BookingStatus, Hotel, Role, RoomType
from common.migration import Change, MigrationBusy
from common.migrations import MIGRATIONS
from common.repos import MigrationStore, Table
from common.sale_window import night_expires_at
from common.services import migrations
from common.tables import BookingItem, HotelItem, InventoryItem, MigrationItem, RoomTypeItem, RuleRefItem
from local import migrate
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps

pytestmark = pytest.mark.usefixtures('aws')

NOW = datetime.now(UTC)


@dataclass
class Legacy:
    """Data as an earlier version wrote it: no arrival keys (nor arrival partitions), rule
    references, room-type counts, night TTLs or default allotments."""

    hotel: Hotel
    room_types: list[RoomType]
    bookings: list[Booking]
    rule_ids: list[str]
    nights: int


def _strip(model: Any, key: tuple[str, str], *attributes: Any) -> None:
    model(*key).update(actions=[a.remove() for a in attributes])


def legacy_world(bookings: int = 6) -> Legacy:
    hotel = factories.hotel()
    room_types = [factories.room_type(hotel, total_rooms=bookings, open_days=8) for _ in range(2)]
    held = [
        factories.booking(f'guest-{i}', room_types[i % 2], NOW.date() + timedelta(days=1 + i % 5), nights=1)
        for i in range(bookings)
    ]
    rules = [factories.rule(hotel, ('percent', 10), priority=i) for i in range(3)]
    for booking in held:
        _strip(
            BookingItem,
            BookingItem.key(booking.id),
            BookingItem.arrival_month,
            BookingItem.arrival_key,
            BookingItem.arrival_partition,
        )
    for rule in rules:
        RuleRefItem(*RuleRefItem.key(rule.id)).delete()
    _strip(HotelItem, HotelItem.key(hotel.id), HotelItem.room_types)
    for room_type in room_types:
        _strip(RoomTypeItem, RoomTypeItem.key(room_type.id), RoomTypeItem.default_allotment)
        for night in deps().inventory.all_nights(room_type.id):
            _strip(InventoryItem, InventoryItem.key(room_type.id, night.date.isoformat()), InventoryItem.ttl)
    return Legacy(hotel, room_types, held, [r.id for r in rules], nights=2 * 8)


@dataclass
class Audit:
    lines: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, line: dict[str, Any]) -> None:
        self.lines.append(json.loads(json.dumps(line)))  # JSON-ready as it comes

    def per_item(self, migration_id: str) -> Counter[str]:
        return Counter(
            json.dumps(line['key'], sort_keys=True) for line in self.lines if line['migration'] == migration_id
        )


class Store(MigrationStore):
    """The real repository, with a hook called before each write (a crash, or the API, lands there)."""

    def __init__(self, before_write: Callable[[Change], None] | None = None) -> None:
        super().__init__(Table())
        self.before_write = before_write

    def apply(self, change: Change) -> bool:
        if self.before_write:
            self.before_write(change)
        return super().apply(change)


def run(
    store: MigrationStore | None = None, audit: Audit | None = None, now: datetime | None = None, **kwargs: Any
) -> migrations.RunReport:
    clock = (lambda: now) if now else (lambda: datetime.now(UTC))
    wired = replace(deps(), migrations=store or Store(), clock=clock)
    return migrations.run(
        wired,
        MIGRATIONS,
        owner=kwargs.pop('owner', 'test-run'),
        audit=audit if audit is not None else Audit(),
        **kwargs,
    )


def changed(report: migrations.RunReport) -> dict[str, int]:
    return {m.migration_id: m.changed for m in report.migrations}


def assert_current_shape(world: Legacy) -> None:
    """What the API reads works again on the old data."""
    for booking in world.bookings:
        item = BookingItem.get(*BookingItem.key(booking.id))
        assert (item.arrival_month, item.arrival_key, item.arrival_partition) == (
            booking.check_in.strftime('%Y-%m'),
            f'{booking.check_in.isoformat()}#{booking.id}',
            f'{booking.hotel_id}#{booking.check_in.strftime("%Y-%m")}',
        )
    listed = deps().bookings.list_by_arrival(
        [world.hotel.id], NOW.date(), NOW.date() + timedelta(days=10), now=NOW, limit=100
    )
    assert {b.id for b in listed.items} >= {b.id for b in world.bookings}
    assert all(deps().catalog.get_rule(rule_id).hotel_id == world.hotel.id for rule_id in world.rule_ids)
    assert HotelItem.get(*HotelItem.key(world.hotel.id)).room_types == 2
    for room_type in world.room_types:
        assert RoomTypeItem.get(*RoomTypeItem.key(room_type.id)).default_allotment == room_type.total_rooms
        for item in InventoryItem.query(InventoryItem.partition(room_type.id)):
            assert item.ttl == night_expires_at(date.fromisoformat(item.sk), settings().inventory_retention_days)


def test_the_migrations_bring_old_data_to_the_current_shape_and_a_second_run_changes_nothing():
    # Given data an earlier version wrote
    world = legacy_world()
    audit = Audit()
    # When the migrations run
    first = run(audit=audit, page_size=7)
    # Then every old item changed once, with an audit line, in order of the migrations
    assert first.complete
    assert changed(first) == {
        '0001-booking-arrival-keys': 6,
        '0002-price-rule-references': 3,
        '0003-hotel-room-type-counts': 1,
        '0004-inventory-ttl': world.nights,
        '0005-room-type-default-allotment': 2,
        '0006-booking-arrival-partitions': 6,
    }
    assert len(audit.lines) == sum(changed(first).values())
    assert [line['migration'] for line in audit.lines] == sorted(line['migration'] for line in audit.lines)
    assert all(count == 1 for m in MIGRATIONS for count in audit.per_item(m.id).values())
    assert_current_shape(world)
    # When they run again: each is done and is not even scanned
    again = run(audit=audit)
    assert [m.status for m in again.migrations] == ['already done'] * len(MIGRATIONS)
    assert len(audit.lines) == sum(changed(first).values())


def test_each_migration_run_again_from_the_start_finds_nothing_to_change():
    # Given old data, migrated
    legacy_world()
    run()
    for migration in MIGRATIONS:
        # When one migration's record is removed and the migrations run again (a second run of it)
        MigrationItem(*MigrationItem.key(migration.id)).delete()
        audit = Audit()
        report = run(audit=audit)
        # Then it scans everything again and changes nothing
        [again] = [m for m in report.migrations if m.migration_id == migration.id]
        assert (again.status, again.changed, audit.lines) == ('done', 0, []), migration.id


def test_a_migration_stopped_half_way_finishes_on_the_next_run_with_every_item_changed_once():
    # Given 25 old bookings, and a run that crashes before its 10th write (page of 4: in the
    # middle of its third page)
    world = legacy_world(bookings=25)
    audit = Audit()
    writes = Counter[str]()

    def crash_at_the_tenth(change: Change) -> None:
        writes['all'] += 1
        if writes['all'] == 10:
            raise ConnectionError('the process died')

    with pytest.raises(ConnectionError):
        run(Store(crash_at_the_tenth), audit, page_size=4)
    assert len(audit.lines) == 9
    state = Store().state('0001-booking-arrival-keys')
    assert state is not None and state.status == 'running' and state.last_key is not None
    # When the migrations run again (the crashed run freed its lease on the way out)
    report = run(audit=audit, page_size=4)
    # Then the scan went on from the last page recorded, and every booking changed exactly once
    assert report.complete
    assert audit.per_item('0001-booking-arrival-keys') == Counter(
        {json.dumps({'pk': f'BOOKING#{b.id}', 'sk': 'META'}, sort_keys=True): 1 for b in world.bookings}
    )
    assert_current_shape(world)


def test_a_run_with_a_budget_stops_and_the_next_run_continues():
    legacy_world(bookings=10)
    first = run(page_size=3, max_items=5)
    assert not first.complete
    assert [m.status for m in first.migrations] == ['stopped']  # later migrations wait for it
    rest = run(page_size=3)
    assert (
        rest.complete and changed(first)['0001-booking-arrival-keys'] + changed(rest)['0001-booking-arrival-keys'] == 10
    )


def test_bookings_the_api_writes_during_a_migration_are_neither_lost_nor_migrated_twice(api: Api):
    # Given six old bookings
    world = legacy_world()
    guest = factories.token('guest-2')
    target = world.bookings[2]
    fresh: list[str] = []

    def api_meanwhile(change: Change) -> None:
        # When, just before the migration writes booking 2, its guest cancels it through the API,
        # and another guest books (the API writes the new booking with its arrival keys)
        if getattr(change, 'key', {}).get('pk') == f'BOOKING#{target.id}' and not fresh:
            assert api.post(f'/api/bookings/{target.id}/cancel', token=guest).status == 200
            check_in, check_out = factories.stay(days_ahead=3, nights=1)
            made = api.hold(world.room_types[0].id, check_in, check_out, token=factories.token('guest-new'))
            assert made.status == 201
            fresh.append(made.json['id'])

    audit = Audit()
    report = run(Store(api_meanwhile), audit, page_size=2)
    # Then the cancellation is kept (the migration set only its own attributes) and the booking
    # has its keys; the new booking was not touched; each old booking changed once
    assert report.complete and fresh
    cancelled = deps().bookings.get(target.id)
    assert cancelled.status is BookingStatus.CANCELLED
    assert BookingItem.get(*BookingItem.key(target.id)).arrival_key == f'{target.check_in.isoformat()}#{target.id}'
    keys = audit.per_item('0001-booking-arrival-keys')
    assert sorted(keys) == sorted(
        json.dumps({'pk': f'BOOKING#{b.id}', 'sk': 'META'}, sort_keys=True) for b in world.bookings
    )
    assert set(keys.values()) == {1}
    new = BookingItem.get(*BookingItem.key(fresh[0]))
    assert new.arrival_key.endswith(fresh[0]) and new.status == 'PENDING'


def test_a_room_type_patched_between_the_read_and_the_write_is_read_and_planned_again(api: Api):
    # Given an old room type of 6 rooms
    world = legacy_world()
    room_type = world.room_types[0]
    admin = factories.token('admin-1', Role.ADMIN)
    patched: list[int] = []

    def admin_meanwhile(change: Change) -> None:
        # When an admin changes its total_rooms just before the migration writes its default
        if getattr(change, 'key', {}).get('pk') == f'ROOMTYPE#{room_type.id}' and not patched:
            reply = api.patch(f'/api/admin/room-types/{room_type.id}', {'total_rooms': 9}, token=admin)
            assert reply.status == 200
            patched.append(9)

    audit = Audit()
    run(Store(admin_meanwhile), audit)
    # Then the first write failed its guard, and the item read again got the new total
    item = RoomTypeItem.get(*RoomTypeItem.key(room_type.id))
    assert (item.total_rooms, item.default_allotment) == (9, 9)
    [line] = [line for line in audit.lines if line['key']['pk'] == f'ROOMTYPE#{room_type.id}']
    assert line['set'] == {'default_allotment': 9} and line['before'] == {'default_allotment': None}


def test_a_dry_run_reports_what_would_change_and_writes_nothing():
    world = legacy_world()
    audit = Audit()
    report = run(audit=audit, dry_run=True)
    assert report.dry_run and [m.status for m in report.migrations] == ['dry run'] * len(MIGRATIONS)
    assert changed(report)['0001-booking-arrival-keys'] == 6 and all(line['dry_run'] for line in audit.lines)
    # nothing written: no records, the old items as they were
    assert list(MigrationItem.scan(MigrationItem.pk.startswith(MigrationItem.PREFIX))) == []
    assert BookingItem.get(*BookingItem.key(world.bookings[0].id)).arrival_key is None


def test_a_second_run_while_the_first_holds_a_migration_is_refused_until_its_lease_lapses():
    legacy_world()
    store = Store()
    store.claim('0001-booking-arrival-keys', 'first-run', datetime.now(UTC), migrations.LEASE)
    with pytest.raises(MigrationBusy):
        run(store, owner='second-run')
    # a lapsed lease (the first run died) is taken over
    later = datetime.now(UTC) + migrations.LEASE + timedelta(seconds=1)
    report = run(store, now=later, owner='second-run')
    assert report.complete


def test_make_migrate_lists_dry_runs_and_runs_the_migrations_with_an_audit_file(tmp_path, capsys):
    legacy_world()
    table = settings().table_name
    assert migrate.main(['--table', table, '--list']) == 0
    assert '0001-booking-arrival-keys' in capsys.readouterr().out
    dry = tmp_path / 'dry.jsonl'
    assert migrate.main(['--table', table, '--dry-run', '--audit-log', str(dry)]) == 0
    assert 'dry run, nothing written' in capsys.readouterr().out
    assert len(dry.read_text().splitlines()) == 6 + 3 + 1 + 16 + 2 + 6
    done = tmp_path / 'run.jsonl'
    assert migrate.main(['--table', table, '--audit-log', str(done)]) == 0
    assert 'all done' in capsys.readouterr().out
    lines = [json.loads(line) for line in done.read_text().splitlines()]
    assert len(lines) == 34 and not any(line['dry_run'] for line in lines)
    assert migrate.main(['--table', table]) == 0  # again: nothing to do


def test_the_arrival_partition_backfill_stopped_half_way_resumes_and_a_second_run_changes_nothing():
    # Given 12 bookings the previous release wrote (arrival keys, no arrival partition): the
    # hotel_arrivals index does not list them
    hotel = factories.hotel()
    room_type = factories.room_type(hotel, total_rooms=12, open_days=8)
    held = [
        factories.booking(f'guest-{i}', room_type, NOW.date() + timedelta(days=1 + i % 5), nights=1) for i in range(12)
    ]
    for booking in held:
        _strip(BookingItem, BookingItem.key(booking.id), BookingItem.arrival_partition)
    span = (NOW.date(), NOW.date() + timedelta(days=10))

    def listed() -> set[str]:
        return {b.id for b in deps().bookings.list_by_arrival([hotel.id], *span, now=NOW, limit=100).items}

    assert listed() == set()
    migration = '0006-booking-arrival-partitions'
    audit, writes = Audit(), Counter[str]()

    def crash_at_the_seventh(change: Change) -> None:
        writes['all'] += 1
        if writes['all'] == 7:
            raise ConnectionError('the process died')

    # When the backfill dies in the middle of its second page of 5
    with pytest.raises(ConnectionError):
        run(Store(crash_at_the_seventh), audit, page_size=5)
    state = Store().state(migration)
    assert state is not None and state.status == 'running' and state.last_key is not None
    assert len(listed()) == 6
    # Then the next run continues from the last page recorded: every booking changed exactly once
    assert run(audit=audit, page_size=5).complete
    assert audit.per_item(migration) == Counter(
        {json.dumps({'pk': f'BOOKING#{b.id}', 'sk': 'META'}, sort_keys=True): 1 for b in held}
    )
    assert listed() == {b.id for b in held}
    # And run again from the start (its record removed), it scans and changes nothing
    MigrationItem(*MigrationItem.key(migration)).delete()
    again = Audit()
    [report] = [m for m in run(audit=again).migrations if m.migration_id == migration]
    assert (report.status, report.changed, again.lines) == ('done', 0, [])
