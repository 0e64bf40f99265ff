"""What one housekeeping run costs for N room types (`make bench-housekeeping`, HK_ROOM_TYPES=200;
not a test): DynamoDB calls, consumed capacity and wall time against ministack, for the room-type
creations (whole windows), the daily steady state, a pass that reads every window, and a second
run the same day. Prints a markdown table; figures move with the machine's load.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOM_TYPES = int(os.environ.get('HK_ROOM_TYPES', '200'))


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / 'layers' / 'common')]
    from bench.run import _env

    for key, value in _env().items():
        os.environ.setdefault(key, value)
    from local import emulators
    from local.gateway import free_port

    server = emulators.start_ministack(free_port())
    try:
        _measure(server.url)
    finally:
        server.stop()


def _measure(endpoint: str) -> None:
    import boto3

    from bench.run import Recorder
    from common import wiring
    from common.domain import Hotel, RoomType
    from common.services import housekeeping
    from local import dynamo
    from tests.support.fixtures import point_dynamodb_at

    point_dynamodb_at(endpoint, f'hk-{uuid.uuid4().hex[:6]}', 'hk-idempotency')
    dynamo.create_tables(boto3.client('dynamodb', endpoint_url=endpoint), dynamo.table_names())

    deps = wiring.build_deps()
    config = deps.settings
    hotels = [Hotel(f'hotel-{i}', 'Hotel', 'City', '', zone, 15, 'EUR') for i, zone in enumerate(('UTC', 'Asia/Tokyo'))]
    for hotel in hotels:
        deps.catalog.put_hotel(hotel, create=True)
    day = date.today()
    while (day + timedelta(days=1)).toordinal() % housekeeping.VERIFY_EVERY_DAYS == 0:
        day += timedelta(days=1)
    created = datetime(day.year, day.month, day.day, 0, 5, tzinfo=UTC)
    rows = []

    def step(name: str, action: object) -> None:
        recorder = Recorder()
        started = time.perf_counter()
        with recorder.recording():
            result = action()  # type: ignore[operator]
        elapsed = time.perf_counter() - started
        calls = Counter(op for op, _ in recorder.calls)
        units = sum(recorder.capacity.values())
        rows.append(
            (name, ', '.join(f'{n} {op}' for op, n in sorted(calls.items())), f'{units:.0f}', f'{elapsed:.2f}', result)
        )

    def create_all() -> str:
        opened = 0
        for i in range(ROOM_TYPES):
            room_type = RoomType(f'rt-{i:04d}', hotels[i % 2].id, 'Room', '', 2, 10000, 'EUR', 5)
            deps.catalog.put_room_type(room_type, create=True)
            opened += housekeeping.open_window(deps, room_type, hotels[i % 2], created)
        return f'{opened} nights'

    def run(at: datetime, **kwargs: bool) -> str:
        report = housekeeping.roll(deps, at, **kwargs)
        return f'{report.nights_opened} nights opened, {report.room_types} room types'

    step(f'create {ROOM_TYPES} room types (their windows)', create_all)
    first_pass = datetime(day.year, day.month, day.day, 0, 15, tzinfo=UTC)
    step('first pass (reads every window)', lambda: run(first_pass))
    next_day = first_pass + timedelta(days=1)
    step('next day (steady state)', lambda: run(next_day))
    step('second run the same day', lambda: run(next_day + timedelta(hours=1)))
    step('AGAIN=1 the same day (reads every window)', lambda: run(next_day + timedelta(hours=2), again=True))
    print(f'## Housekeeping, {ROOM_TYPES} room types, SALE_WINDOW_DAYS={config.sale_window_days} (ministack)\n')
    print('| run | DynamoDB calls | capacity units | seconds | result |')
    print('| --- | --- | --- | --- | --- |')
    for row in rows:
        print('| ' + ' | '.join(str(cell) for cell in row) + ' |')


if __name__ == '__main__':
    main()
