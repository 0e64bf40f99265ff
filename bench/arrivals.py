"""What the arrivals index costs its readers, and what a warm hold costs (`make bench-arrivals`; not
a test): prints a markdown section and writes it into bench/README.md (between its markers).

1. A month with 10,000 bookings over 50 hotels (200 each): the admin booking list, the occupancy
   report's bookings and the reconciler's walk, on the index as it was (`arrivals`, one partition
   per month for every hotel, the old repository's Queries replayed) and as it is
   (`hotel_arrivals`, one partition per hotel and month, the repository's own code).
2. DynamoDB calls of a hold through the real bookings handler: the catalogue cache off (every
   hold reads it) and warm (CATALOG_CACHE_SECONDS).

ministack (ARRIVALS_ON=moto: moto in-process, much slower for this). Neither moto nor ministack bills a Query by size (both answer a flat 0.5 RCU),
so read capacity is computed the way DynamoDB documents it: per Query page, the sizes of the items
it *evaluated* (before the filter), summed, rounded up to 4 KB, 0.5 RCU per 4 KB (eventually
consistent). The items evaluated are found by replaying each recorded Query page without its
FilterExpression (same Limit, same start key); the replays are not counted.
"""

from __future__ import annotations

import math
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / 'bench' / 'README.md'
BEGIN, END = '<!-- bench-arrivals: begin (make bench-arrivals) -->', '<!-- bench-arrivals: end -->'
HOTELS = int(os.environ.get('ARRIVALS_HOTELS', '50'))
BOOKINGS = int(os.environ.get('ARRIVALS_BOOKINGS', '10000'))


# ------------------------------------------------------------------ what a read costs


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute value (docs: "Item sizes and formats")."""
    (kind, raw), *_ = value.items()
    if kind == 'S':
        return len(raw.encode())
    if kind == 'N':
        digits = len(str(raw).lstrip('-').replace('.', '').lstrip('0')) or 1
        return math.ceil(digits / 2) + 1
    if kind == 'B':
        return len(raw)
    if kind in ('BOOL', 'NULL'):
        return 1
    if kind == 'L':
        return 3 + sum(1 + attribute_size(v) for v in raw)
    if kind == 'M':
        return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in raw.items())
    if kind == 'SS':
        return sum(len(v.encode()) for v in raw)
    if kind == 'NS':
        return sum(attribute_size({'N': v}) for v in raw)
    return 0


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


@dataclass
class Cost:
    calls: Counter[str] = field(default_factory=Counter)
    rcu: float = 0.0
    evaluated: int = 0
    returned: int = 0

    def add_page(self, evaluated: list[dict[str, Any]], returned: int) -> None:
        """One Query page: billed on the items it read, summed, rounded up to 4 KB."""
        size = sum(item_size(i) for i in evaluated)
        self.rcu += 0.5 * max(1, math.ceil(size / 4096))
        self.evaluated += len(evaluated)
        self.returned += returned

    def row(self) -> str:
        calls = ', '.join(f'{n} {op}' for op, n in sorted(self.calls.items()))
        return f'{calls} | {self.evaluated:,} | {self.returned:,} | {self.rcu:,.1f}'


@contextmanager
def measured() -> Iterator[Cost]:
    """Record every DynamoDB call; for each Query page, the capacity DynamoDB would bill."""
    import boto3
    from botocore.client import BaseClient

    cost = Cost()
    original = BaseClient._make_api_call
    replay = boto3.client('dynamodb', region_name='us-east-1', endpoint_url=os.environ.get('DYNAMODB_ENDPOINT_URL'))
    pages: list[tuple[dict[str, Any], int]] = []

    def recorded(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        answer = original(client, operation, params)
        if client.meta.service_model.service_name == 'dynamodb' and client is not replay:
            cost.calls[operation] += 1
            if operation == 'Query' and 'FilterExpression' in params:
                pages.append((dict(params), answer.get('Count', 0)))
            elif operation == 'Query':  # unfiltered: the items returned are the items read
                cost.add_page([dict(i) for i in answer['Items']], len(answer['Items']))
        return answer

    BaseClient._make_api_call = recorded  # type: ignore[method-assign]
    try:
        yield cost
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    for params, returned in pages:
        bare = {k: v for k, v in params.items() if k not in ('FilterExpression', 'Select')}
        names = bare.get('ExpressionAttributeNames', {})
        values = bare.get('ExpressionAttributeValues', {})
        key_text = bare.get('KeyConditionExpression', '')
        bare['ExpressionAttributeNames'] = {k: v for k, v in names.items() if k in key_text} or None
        bare['ExpressionAttributeValues'] = {k: v for k, v in values.items() if k in key_text} or None
        bare = {k: v for k, v in bare.items() if v is not None}
        cost.add_page(replay.query(**bare)['Items'], returned)


# ------------------------------------------------------------------ the old index, replayed


def _old_between(start: date, end: date) -> tuple[str, str]:
    return start.isoformat(), f'{(end - timedelta(days=1)).isoformat()}#~'


def _months(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f'{year:04d}-{month:02d}')
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


class OldArrivals:
    """The Queries the repository made on the `arrivals` index before it was sharded (one
    partition per month, hotel and status as filters), made with boto3."""

    def __init__(self, table: str) -> None:
        import boto3

        self.client = boto3.client(
            'dynamodb', region_name='us-east-1', endpoint_url=os.environ.get('DYNAMODB_ENDPOINT_URL')
        )
        self.table = table

    def _query(
        self, month: str, bounds: tuple[str, str], filters: str | None, values: dict[str, Any], **extra: Any
    ) -> Any:
        return self.client.query(
            TableName=self.table,
            IndexName='arrivals',
            KeyConditionExpression='arrival_month = :m AND arrival_key BETWEEN :a AND :b',
            ExpressionAttributeValues={':m': {'S': month}, ':a': {'S': bounds[0]}, ':b': {'S': bounds[1]}, **values},
            **({'FilterExpression': filters} if filters else {}),
            **extra,
        )

    def list_page(
        self, hotel_id: str | None, start: date, end: date, limit: int, cursor: Any = None
    ) -> tuple[int, Any]:
        """One page of the admin list (the old list_by_arrival: pages of max(limit, 100) items
        evaluated, until ``limit`` match)."""
        found = 0
        months = _months(start, end - timedelta(days=1))
        index, key = cursor if cursor else (0, None)
        filters, values = ('hotel_id = :h', {':h': {'S': hotel_id}}) if hotel_id else (None, {})
        while index < len(months) and found < limit:
            extra = {'Limit': max(limit, 100)} | ({'ExclusiveStartKey': key} if key else {})
            answer = self._query(months[index], _old_between(start, end), filters, values, **extra)
            taken = min(len(answer['Items']), limit - found)
            found += taken
            key = answer.get('LastEvaluatedKey')
            if taken < len(answer['Items']):  # the page filled inside this answer: continue after it
                key = {k: answer['Items'][taken - 1][k] for k in ('pk', 'sk', 'arrival_month', 'arrival_key')}
            if key is None:
                index += 1
        return found, ((index, key) if index < len(months) else None)

    def holding_rooms(self, hotel_id: str, start: date, end: date) -> int:
        """The old report's bookings: every month partition from 95 nights before ``start``,
        filtered to the hotel's PENDING/CONFIRMED stays leaving after ``start``."""
        from common.domain import MAX_STAY_HARD_LIMIT

        earliest = start - timedelta(days=MAX_STAY_HARD_LIMIT)
        found = 0
        for month in _months(earliest, end - timedelta(days=1)):
            key = None
            while True:
                answer = self._query(
                    month,
                    _old_between(earliest, end),
                    'check_out > :s AND #st IN (:p, :c) AND hotel_id = :h',
                    {':s': {'S': start.isoformat()}, ':p': {'S': 'PENDING'}, ':c': {'S': 'CONFIRMED'},
                     ':h': {'S': hotel_id}},
                    ExpressionAttributeNames={'#st': 'status'},
                    **({'ExclusiveStartKey': key} if key else {}),
                )  # fmt: skip
                found += len(answer['Items'])
                key = answer.get('LastEvaluatedKey')
                if key is None:
                    break
        return found


# ------------------------------------------------------------------ the scenario


def _seed(month_start: date) -> tuple[list[str], date]:
    """HOTELS hotels with one room type each, BOOKINGS confirmed bookings checking in during the
    month (1-3 nights, spread evenly over the hotels), written in bulk with the repository's own
    item shape (both arrival keys: the old index and the new one are filled alike)."""
    from common.domain import Booking, BookingStatus, Hotel, NightPrice, Payment, RoomType
    from common.repos.bookings import booking_item
    from common.tables import BookingItem
    from tests.support.deps import deps

    catalog = deps().catalog
    hotels = [f'hotel-{i:03d}' for i in range(HOTELS)]
    for hotel_id in hotels:
        catalog.put_hotel(Hotel(hotel_id, 'Hotel', 'City', 'Street 1', 'UTC', 15, 'EUR'), create=True)
        catalog.put_room_type(RoomType(f'{hotel_id}-rt', hotel_id, 'Double', '', 2, 10000, 'EUR', 300), create=True)
    days = 28
    now = datetime.combine(month_start, datetime.min.time(), UTC) - timedelta(days=20)
    with BookingItem.batch_write() as batch:
        for i in range(BOOKINGS):
            hotel_id = hotels[i % HOTELS]
            check_in = month_start + timedelta(days=(i // HOTELS) % days)
            nights = 1 + i % 3
            booking = Booking(
                id=str(uuid.uuid4()),
                user_id=f'guest-{i}',
                hotel_id=hotel_id,
                room_type_id=f'{hotel_id}-rt',
                check_in=check_in,
                check_out=check_in + timedelta(days=nights),
                guests=2,
                rooms=1,
                currency='EUR',
                total_amount=10000 * nights,
                nightly=tuple(NightPrice(check_in + timedelta(days=n), 10000) for n in range(nights)),
                status=BookingStatus.CONFIRMED,
                hold_expires_at=now + timedelta(minutes=15),
                created_at=now,
                updated_at=now,
                payment=Payment(f'pi_{i}', 'succeeded', 10000 * nights, 'EUR'),
            )
            batch.save(booking_item(booking, 4))
    return hotels, month_start + timedelta(days=days)


def _with_old_index(table: str) -> None:
    import boto3

    client = boto3.client('dynamodb', region_name='us-east-1', endpoint_url=os.environ.get('DYNAMODB_ENDPOINT_URL'))
    client.update_table(
        TableName=table,
        AttributeDefinitions=[{'AttributeName': 'arrival_month', 'AttributeType': 'S'},
                              {'AttributeName': 'arrival_key', 'AttributeType': 'S'}],
        GlobalSecondaryIndexUpdates=[{'Create': {
            'IndexName': 'arrivals',
            'KeySchema': [{'AttributeName': 'arrival_month', 'KeyType': 'HASH'},
                          {'AttributeName': 'arrival_key', 'KeyType': 'RANGE'}],
            'Projection': {'ProjectionType': 'ALL'},
        }}],
    )  # fmt: skip


def arrivals_rows() -> list[str]:
    from common.services import reconciler
    from tests.support.deps import deps

    table = deps().settings.table_name
    _with_old_index(table)
    today = datetime.now(UTC).date()
    month_start = (today.replace(day=1) + timedelta(days=62)).replace(day=1)
    started = time.perf_counter()
    hotels, month_end = _seed(month_start)
    seeded = time.perf_counter() - started
    print(f'seeded {BOOKINGS} bookings in {seeded:.1f} s', file=sys.stderr, flush=True)
    old = OldArrivals(table)
    hotel = hotels[len(hotels) // 2]
    now = datetime.now(UTC)
    rows: list[tuple[str, str, Cost]] = []

    def measure(what: str, index: str, action: Callable[[], Any]) -> None:
        began = time.perf_counter()
        with measured() as cost:
            action()
        rows.append((what, index, cost))
        print(f'{what}, {index}: {time.perf_counter() - began:.1f} s', file=sys.stderr, flush=True)

    def new_list(hotel_ids: list[str], limit: int, every_page: bool) -> None:
        cursor = None
        while True:
            page = deps().bookings.list_by_arrival(
                hotel_ids, month_start, month_end, now=now, limit=limit, cursor=cursor
            )
            cursor = page.next_cursor
            if not every_page or cursor is None:
                return

    def old_list(hotel_id: str | None, limit: int, every_page: bool) -> None:
        cursor = None
        while True:
            _, cursor = old.list_page(hotel_id, month_start, month_end, limit, cursor)
            if not every_page or cursor is None:
                return

    per_hotel = BOOKINGS // HOTELS
    measure('admin list, one hotel, first page of 20', '`arrivals` (before)', lambda: old_list(hotel, 20, False))
    measure('admin list, one hotel, first page of 20', '`hotel_arrivals`', lambda: new_list([hotel], 20, False))
    label = f'admin list, one hotel, its whole month ({per_hotel} bookings, pages of 100)'
    measure(label, '`arrivals` (before)', lambda: old_list(hotel, 100, True))
    measure(label, '`hotel_arrivals`', lambda: new_list([hotel], 100, True))
    label = f'admin list, every hotel ({HOTELS}), first page of 20'
    measure(label, '`arrivals` (before)', lambda: old_list(None, 20, False))
    measure(label, '`hotel_arrivals`', lambda: new_list(hotels, 20, False))
    label = "occupancy report, one hotel, the month: its bookings' reads"
    measure(label, '`arrivals` (before)', lambda: old.holding_rooms(hotel, month_start, month_end))
    measure(label, '`hotel_arrivals`', lambda: deps().bookings.holding_rooms([hotel], month_start, month_end))
    label = f'reconciler: every booking of the month ({BOOKINGS:,}), pages of 25'
    measure(label, '`arrivals` (before)', lambda: old_list(None, 25, True))

    def walk() -> None:
        cursor = ''
        while True:
            page = reconciler.next_page(deps(), sorted(hotels), cursor, month_start, month_end, now, 25)
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    measure(label, '`hotel_arrivals`', walk)
    out = [
        f'A month with {BOOKINGS:,} CONFIRMED bookings over {HOTELS} hotels ({per_hotel} each, 1-3 nights, '
        f'about {_mean_size(hotel, f"{month_start:%Y-%m}"):,} bytes each), {os.environ.get("ARRIVALS_ON", "ministack")}; seeded in {seeded:.0f} s. "Items read": items the '
        'Queries read before their filter (what DynamoDB bills); RCU computed from their sizes (module docstring).',
        '',
        '| read | index | DynamoDB calls | items read | items DynamoDB returned (after filters) | RCU |',
        '| --- | --- | --- | ---: | ---: | ---: |',
    ]
    out += [f'| {what} | {index} | {cost.row()} |' for what, index, cost in rows]
    return out


def _mean_size(hotel_id: str, month: str) -> int:
    """The mean size of one hotel's bookings of the month, as DynamoDB counts it."""
    import boto3

    from tests.support.deps import deps

    client = boto3.client('dynamodb', region_name='us-east-1', endpoint_url=os.environ.get('DYNAMODB_ENDPOINT_URL'))
    items = client.query(
        TableName=deps().settings.table_name,
        IndexName='hotel_arrivals',
        KeyConditionExpression='arrival_partition = :p',
        ExpressionAttributeValues={':p': {'S': f'{hotel_id}#{month}'}},
    )['Items']
    return round(sum(item_size(i) for i in items) / max(1, len(items)))


def hold_rows() -> list[str]:
    """A hold through the real bookings handler, as the warm hold test makes it."""
    from common import wiring
    from tests.support import factories
    from tests.support.api import Api

    rows = ['| hold (`POST /api/bookings`), 2 nights | catalogue cache | DynamoDB calls |', '| --- | --- | --- |']
    for label, seconds in (('off (`CATALOG_CACHE_SECONDS=0`: every hold reads it)', '0'), ('warm (5 s default)', '60')):
        os.environ['CATALOG_CACHE_SECONDS'] = seconds
        wiring.reset()
        room = factories.room_type(factories.hotel(), total_rooms=5)
        token = factories.token()
        api = Api()
        assert api.hold(room.id, *factories.stay(days_ahead=3, nights=2), token=token).status == 201
        with measured() as cost:
            assert api.hold(room.id, *factories.stay(days_ahead=6, nights=2), token=token).status == 201
        calls = ', '.join(f'{n} {op}' for op, n in sorted(cost.calls.items()))
        before_after = 'before' if seconds == '0' else 'after'
        rows.append(f'| {before_after} | {label} | {calls} |')
    os.environ['CATALOG_CACHE_SECONDS'] = '0'
    wiring.reset()
    return rows


def _sections() -> list[str]:
    return [*hold_rows(), '', *arrivals_rows()]


def kept_section(report: str) -> str:
    """This bench's section of a README being regenerated by `make bench` (empty if none)."""
    if BEGIN not in report or END not in report:
        return ''
    return '\n' + BEGIN + report.split(BEGIN, 1)[1].split(END, 1)[0] + END + '\n'


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / 'layers' / 'common')]
    from moto import mock_aws

    import tests.conftest  # noqa: F401  - the test environment: moto credentials, table names
    from tests.support.fixtures import create_tables, point_dynamodb_at

    lines = [BEGIN, '', '## The arrivals index and the warm hold (`make bench-arrivals`)', '']
    lines.append(f'Generated on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}.')
    lines.append('')
    if os.environ.get('ARRIVALS_ON', 'ministack') == 'moto':
        with mock_aws():
            point_dynamodb_at(None, 'bench-arrivals', 'bench-arrivals-idempotency')
            create_tables(None)
            lines += _sections()
    else:  # moto reads a GSI over the whole table per Query: minutes for this month
        from local import emulators
        from local.gateway import free_port

        server = emulators.start_ministack(free_port())
        try:
            point_dynamodb_at(server.url, 'bench-arrivals', 'bench-arrivals-idempotency')
            create_tables(server.url)
            lines += _sections()
        finally:
            server.stop()
    lines += ['', END]
    text = '\n'.join(lines)
    print(text)
    current = REPORT.read_text() if REPORT.exists() else ''
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        current = head + text + rest.split(END, 1)[1]
    else:
        current = current.rstrip('\n') + '\n\n' + text + '\n'
    REPORT.write_text(current)
    print(f'wrote {REPORT.relative_to(ROOT)}')


if __name__ == '__main__':
    main()
