"""Benchmarks (run on demand: `make bench`; not a test). Prints figures, asserts nothing.

1. Cold import of each function's handler module vs `import boto3` alone (fresh interpreters).
2. p50/p95 of the booking and search handlers (in-process, real API Gateway events) against the
   ministack DynamoDB, vs raw boto3 making the same DynamoDB calls against the same server.
3. DynamoDB calls per request for stays of 1, 7 and 30 nights.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get('BENCH_RUNS', '200'))


def _env() -> dict[str, str]:
    env = {
        **os.environ,
        'PYTHONPATH': f'{ROOT}:{ROOT / "layers" / "common"}',
        'AWS_DEFAULT_REGION': 'us-east-1',
        'AWS_ACCESS_KEY_ID': 'bench',
        'AWS_SECRET_ACCESS_KEY': 'bench',
        'JWT_SECRET': 'bench-only-secret-0123456789abcdefghijklmnopq',
        'POWERTOOLS_TRACE_DISABLED': 'true',
        'POWERTOOLS_METRICS_DISABLED': 'true',
        'POWERTOOLS_LOG_LEVEL': 'WARNING',
    }
    env.pop('PYTHONDONTWRITEBYTECODE', None)  # Lambda ships bytecode caches warm; so do we here
    return env


def _import_seconds(statement: str, repeats: int = 7) -> float:
    code = f'import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)'
    subprocess.run([sys.executable, '-c', statement], env=_env(), check=True, cwd=ROOT)  # warm the .pyc cache
    samples = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, '-c', code], env=_env(), check=True, capture_output=True, text=True, cwd=ROOT
        )
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


def cold_imports() -> None:
    from local import cfn

    print('\n## Cold import (median of 7 fresh interpreters, .pyc warm)')
    baseline = _import_seconds('import boto3')
    print(f'  {"boto3 alone":<28} {baseline * 1000:7.1f} ms   1.00x')
    for name, resource in sorted(cfn.functions().items()):
        module, _ = cfn.handler_location(resource['Properties'])
        seconds = _import_seconds(f'import {module}')
        print(f'  {name:<28} {seconds * 1000:7.1f} ms   {seconds / baseline:.2f}x')


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def _time(call: Callable[[], Any], runs: int = RUNS) -> tuple[float, float]:
    for _ in range(10):
        call()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t)
    return _percentiles(samples)


def handler_overhead(endpoint: str) -> None:
    import boto3

    from common import tables
    from common.config import settings
    from local import dynamo
    from local.gateway import Gateway
    from tests.support import factories
    from tests.support.api import Api
    from tests.support.counting import count_calls

    os.environ.update(
        {
            'DYNAMODB_ENDPOINT_URL': endpoint,
            'TABLE_NAME': 'bench',
            'IDEMPOTENCY_TABLE_NAME': 'bench-idem',
            'CATALOG_CACHE_SECONDS': '0',
        }
    )
    settings.cache_clear()
    tables.configure(table_name='bench', host=endpoint)
    client = boto3.client('dynamodb', endpoint_url=endpoint)
    dynamo.create_tables(client, dynamo.table_names())
    hotel = factories.hotel('bench-hotel')
    room = factories.room_type(hotel, 'bench-room', total_rooms=1_000_000, open_days=60)
    api = Api(Gateway())
    token = factories.token('bench-user')
    check_in = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    check_out = (datetime.now(UTC).date() + timedelta(days=5)).isoformat()
    body = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 1}

    def book() -> None:
        assert api.post('/api/bookings', body, token=token).status == 201

    def search() -> None:
        assert api.get('/api/rooms/search', query={'check_in': check_in, 'check_out': check_out}).status == 200

    def raw_book() -> None:
        key = lambda pk, sk: {'pk': {'S': pk}, 'sk': {'S': sk}}  # noqa: E731
        client.get_item(TableName='bench', Key=key('ROOMTYPE#bench-room', 'META'), ConsistentRead=False)
        client.get_item(TableName='bench', Key=key('HOTEL#bench-hotel', 'META'), ConsistentRead=False)
        client.query(
            TableName='bench',
            KeyConditionExpression='pk = :pk AND begins_with(sk, :r)',
            ExpressionAttributeValues={':pk': {'S': 'HOTEL#bench-hotel'}, ':r': {'S': 'RULE#'}},
        )
        booking_id = str(uuid.uuid4())
        nights = [(datetime.now(UTC).date() + timedelta(days=3 + i)).isoformat() for i in range(2)]
        items: list[dict[str, Any]] = [
            {
                'Put': {
                    'TableName': 'bench',
                    'Item': {**key(f'BOOKING#{booking_id}', 'META'), 'status': {'S': 'PENDING'}},
                    'ConditionExpression': 'attribute_not_exists(pk)',
                }
            }
        ]
        for night in nights:
            items.append(
                {
                    'Update': {
                        'TableName': 'bench',
                        'Key': key('INV#bench-room', night),
                        'UpdateExpression': 'SET available = available - :r',
                        'ConditionExpression': 'available >= :r AND stop_sell = :f',
                        'ExpressionAttributeValues': {':r': {'N': '1'}, ':f': {'BOOL': False}},
                    }
                }
            )
        client.transact_write_items(TransactItems=items, ClientRequestToken=booking_id)

    def raw_search() -> None:
        client.query(
            TableName='bench',
            IndexName='gsi1',
            KeyConditionExpression='gsi1pk = :p',
            ExpressionAttributeValues={':p': {'S': 'HOTELS'}},
        )
        client.query(
            TableName='bench',
            IndexName='gsi1',
            KeyConditionExpression='gsi1pk = :p',
            ExpressionAttributeValues={':p': {'S': 'ROOMTYPES'}},
        )
        client.query(
            TableName='bench',
            KeyConditionExpression='pk = :pk AND begins_with(sk, :r)',
            ExpressionAttributeValues={':pk': {'S': 'HOTEL#bench-hotel'}, ':r': {'S': 'RULE#'}},
        )
        client.query(
            TableName='bench',
            KeyConditionExpression='pk = :pk AND sk BETWEEN :a AND :b',
            ExpressionAttributeValues={':pk': {'S': 'INV#bench-room'}, ':a': {'S': check_in}, ':b': {'S': check_out}},
        )

    print(f'\n## Handler vs raw boto3, same DynamoDB calls, ministack, {RUNS} runs (ms)')
    print(f'  {"route":<24} {"handler p50":>11} {"p95":>7} {"boto3 p50":>10} {"p95":>7} {"ratio p50":>10}')
    for name, handler, raw in (('POST /api/bookings', book, raw_book), ('GET /api/rooms/search', search, raw_search)):
        h50, h95 = _time(handler)
        r50, r95 = _time(raw)
        print(f'  {name:<24} {h50:11.2f} {h95:7.2f} {r50:10.2f} {r95:7.2f} {h50 / r50:9.2f}x')

    print('\n## DynamoDB calls per request (stay length in nights)')
    import pytest

    patch = pytest.MonkeyPatch()
    for nights in (1, 7, 30):
        start = datetime.now(UTC).date() + timedelta(days=2)
        stay = {'check_in': start.isoformat(), 'check_out': (start + timedelta(days=nights)).isoformat()}
        with count_calls(patch) as booking_calls:
            assert api.post('/api/bookings', {**stay, 'room_type_id': room.id, 'guests': 1}, token=token).status == 201
        with count_calls(patch) as search_calls:
            assert api.get('/api/rooms/search', query=stay).status == 200
        print(f'  {nights:>2} nights  booking {dict(booking_calls.calls)}  search {dict(search_calls.calls)}')


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / 'layers' / 'common')]
    for key, value in _env().items():
        os.environ.setdefault(key, value)
    print(f'# bench — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs')
    cold_imports()
    from local import emulators
    from local.gateway import free_port

    server = emulators.start_ministack(free_port())
    try:
        handler_overhead(server.url)
    finally:
        server.stop()
    print(json.dumps({'note': 'figures vary with machine load; compare ratios, not absolutes'}))


if __name__ == '__main__':
    main()
