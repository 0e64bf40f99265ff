"""The search view's storage: the fake and the DynamoDB repository (moto) keep the same cells."""

from __future__ import annotations

from datetime import date, timedelta

from common.domain import InventoryNight
from common.ports import ViewKey
from common.services.deps import Deps

DAY = date(2027, 5, 1)


def cell(room_type_id: str, day: date, available: int, allotment: int = 5, stop: bool = False) -> InventoryNight:
    return InventoryNight(room_type_id, day, allotment, available, stop)


def test_cells_are_set_replaced_and_removed_one_room_type_at_a_time(deps: Deps):
    key = ViewKey.of('Lisbon', 'h1', DAY)
    deps.view.write(key, {'a': cell('a', DAY, 3), 'b': cell('b', DAY, 0, stop=True)}, 1)
    deps.view.write(key, {'a': cell('a', DAY, 2)}, 1)  # another batch: b untouched
    deps.view.write(
        ViewKey.of('lisbon', 'h1', DAY + timedelta(days=1)), {'a': cell('a', DAY + timedelta(days=1), 5)}, 1
    )
    deps.view.write(ViewKey.of('Porto', 'h9', DAY), {'p': cell('p', DAY, 1)}, 1)
    found = sorted(deps.view.read('LISBON', DAY, DAY + timedelta(days=2)), key=lambda n: (n.date, n.room_type_id))
    assert found == [cell('a', DAY, 2), cell('b', DAY, 0, stop=True), cell('a', DAY + timedelta(days=1), 5)]
    assert deps.view.read('lisbon', DAY, DAY + timedelta(days=1)) == [cell('a', DAY, 2), cell('b', DAY, 0, stop=True)]
    deps.view.write(key, {'b': None, 'zz-never-there': None}, 1)
    assert deps.view.read('lisbon', DAY, DAY + timedelta(days=1)) == [cell('a', DAY, 2)]
    assert deps.view.read('lisbon', DAY, DAY) == []


def test_a_write_of_more_cells_than_one_expression_takes_is_whole(deps: Deps):
    key = ViewKey.of('Faro', 'h2', DAY)
    deps.view.write(key, {f'type-{i:03d}': cell(f'type-{i:03d}', DAY, i % 7) for i in range(450)}, 1)
    assert len(deps.view.read('faro', DAY, DAY + timedelta(days=1))) == 450


def test_items_are_read_by_key_whatever_is_missing(deps: Deps):
    one, other = ViewKey.of('Lisbon', 'h1', DAY), ViewKey.of('Lisbon', 'h1', DAY + timedelta(days=1))
    deps.view.write(one, {'a': cell('a', DAY, 3)}, 1)
    deps.view.write(other, {'a': cell('a', DAY + timedelta(days=1), 1)}, 1)
    missing = ViewKey.of('Lisbon', 'h1', DAY + timedelta(days=2))
    keys = [one, missing, *[ViewKey('lisbon', DAY + timedelta(days=d), 3) for d in range(120)], other]
    assert sorted(deps.view.read_items(keys), key=lambda n: n.date) == [
        cell('a', DAY, 3),
        cell('a', DAY + timedelta(days=1), 1),
    ]
