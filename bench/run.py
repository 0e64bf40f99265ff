"""Benchmarks (`make bench`; not a test): prints figures and writes bench/README.md.

1. Per route: p50/p95 of the real handler in-process (API Gateway event -> response) against the
   ministack DynamoDB, vs raw boto3 replaying exactly the DynamoDB calls that handler made.
2. DynamoDB calls and consumed capacity units per operation, for stays of 1, 7 and 30 nights.
3. Cold import of each function's handler module vs `import boto3` alone (fresh interpreters).
4. Deployment package size per function (zipped code + the shared layer), when `sam build` ran.

Figures depend on the machine and its load; compare the ratios. BENCH_RUNS sets the runs.
"""

from __future__ import annotations

import copy
import functools
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get('BENCH_RUNS', '200'))
REPORT = ROOT / 'bench' / 'README.md'
CAPACITY_OPERATIONS = {
    'GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'TransactGetItems',
    'BatchWriteItem', 'BatchGetItem', 'Scan',
}  # fmt: skip
lines: list[str] = []

# What the figures above led to (kept in the report: the before/after of each fix, measured by this
# script on the same 2-core machine; the tables above are the current state).
FINDINGS = """
## What was fixed, before and after

| finding | before | after |
| --- | --- | --- |
| The layer shipped no bytecode (built with `--no-compile`, `__pycache__` removed, as the build machine had no Python 3.12). Lambda's `/opt` is read-only, so every cold start compiled every module it imported | BookingsFunction 513 ms cold import (4.6x boto3) | 235 ms (2.1x): the layer Makefile compiles it with a python3.12 (unchecked-hash .pyc). Layer 7.8 MB -> 15.1 MB zipped, 29 -> 46 MB unzipped (limit 250 MB) |
| The X-Ray SDK was imported with tracing off, and the Stripe SDK and powertools' idempotency at import in every function | 390-598 ms (3.3-5.1x boto3, tracing off, loaded machine) | tracing off: no X-Ray SDK (a stand-in Tracer); Stripe and idempotency imported on first use |
| `common.http` imported powertools' OpenAPI models (pydantic models of the whole OpenAPI spec) for the bearer scheme: about 50 ms per cold start that only the docs function needs | SearchFunction 268 ms | 232 ms: the scheme is a plain dict, validated when a document is generated |
| The traced figure was taken outside Lambda, where the X-Ray SDK builds an X-Ray API client at import for its sampler (aws-xray-sdk-python#273, #311) | 327 ms traced (2.9x) | 262 ms (2.3x) with `LAMBDA_TASK_ROOT` set, the path a Lambda takes (local sampler, no client) |

What remains above 2x boto3 in the API functions (about 120 ms over boto3, `python -X importtime`):
pydantic (import about 37 ms, then about 40 ms for the first model's schema build, which powertools'
validation needs anyway), powertools' event_handler (about 30 ms: its package imports every
resolver, AppSync's asyncio included), our own models and settings (about 25 ms). Deferring the
models' build would only move that cost into the first request, and Lambda gives the init phase a
full vCPU whatever the memory size, so it stays at import.

The handler overhead is about 0.8 ms a request over raw boto3 (JWT check, routing, validation,
PynamoDB's deserialisation into models, the response's serialisation): 1.1-1.3x against
ministack's 1.3 ms GetItem; against DynamoDB's few milliseconds per call in a region it is smaller.
"""


def out(text: str = '') -> None:
    print(text, flush=True)
    lines.append(text)


@functools.cache
def _token_keys() -> tuple[str, str]:
    from common.security import key_set, new_signing_key

    private, public = new_signing_key('bench')
    return private, key_set(public)


def _env() -> dict[str, str]:
    signing_key, public_keys = _token_keys()
    env = {
        **os.environ,
        'PYTHONPATH': f'{ROOT}:{ROOT / "layers" / "common"}',
        'AWS_DEFAULT_REGION': 'us-east-1',
        'AWS_ACCESS_KEY_ID': 'bench',
        'AWS_SECRET_ACCESS_KEY': 'bench',
        'JWT_SIGNING_KEY': signing_key,
        'JWT_PUBLIC_KEYS': public_keys,
        'POWERTOOLS_METRICS_DISABLED': 'true',
        'POWERTOOLS_LOG_LEVEL': 'WARNING',
    }
    env.pop('PYTHONDONTWRITEBYTECODE', None)  # Lambda loads bytecode caches; so do we here
    return env


# ------------------------------------------------------------------ cold imports


def _import_seconds(statement: str, env: dict[str, str], repeats: int = 9) -> float:
    code = f'import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)'
    subprocess.run([sys.executable, '-c', statement], env=env, check=True, cwd=ROOT, capture_output=True)
    samples = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, '-c', code], env=env, check=True, capture_output=True, text=True, cwd=ROOT
        )
        samples.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def _boto3_only_bytecode(env: dict[str, str]) -> str:
    """A bytecode cache holding only what boto3 and a DynamoDB client import: as on Lambda, where the
    runtime's boto3 is compiled and a layer built without bytecode is not (its /opt is read-only,
    so nothing compiled at a cold start is kept)."""
    prefix = tempfile.mkdtemp(prefix='bench-pycache-')
    prime = "import boto3; boto3.client('dynamodb', region_name='us-east-1')"
    subprocess.run([sys.executable, '-c', prime], env={**env, 'PYTHONPYCACHEPREFIX': prefix}, check=True, cwd=ROOT)
    return prefix


def cold_imports() -> None:
    from local import cfn

    out('## Cold import of each handler module (median of 9 fresh interpreters)')
    out()
    out('Tracing off is the local run and tests (`POWERTOOLS_TRACE_DISABLED=true`); tracing on is')
    out('Lambda with X-Ray (`Tracing: Active`), where the X-Ray SDK is imported at start. Both with')
    out('bytecode, as the layer ships it when built where Python 3.12 exists (layers/common/Makefile).')
    out('"No bytecode" is the layer without it (built on a machine without python3.12): every module')
    out('but boto3 compiled at each cold start.')
    out()
    out('| module | tracing off | x boto3 | tracing on | x boto3 | no bytecode | x boto3 |')
    out('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
    off = {**_env(), 'POWERTOOLS_TRACE_DISABLED': 'true'}
    # LAMBDA_TASK_ROOT: the X-Ray SDK then takes its Lambda path (the local sampler; elsewhere it
    # builds an X-Ray API client at import, about 90 ms that a Lambda never pays).
    on = {**_env(), 'POWERTOOLS_TRACE_DISABLED': 'false', 'LAMBDA_TASK_ROOT': str(ROOT)}
    uncompiled = {**off, 'PYTHONPYCACHEPREFIX': _boto3_only_bytecode(off), 'PYTHONDONTWRITEBYTECODE': '1'}
    try:
        baseline = _import_seconds('import boto3', off)
        out(f'| `boto3` alone | {baseline * 1000:.0f} ms | 1.00 | | | | |')
        for name, resource in sorted(cfn.functions().items()):
            module, _ = cfn.handler_location(resource['Properties'])
            figures = [_import_seconds(f'import {module}', env) for env in (off, on, uncompiled)]
            cells = ' | '.join(f'{seconds * 1000:.0f} ms | {seconds / baseline:.2f}' for seconds in figures)
            out(f'| {name} | {cells} |')
    finally:
        shutil.rmtree(uncompiled['PYTHONPYCACHEPREFIX'], ignore_errors=True)
    out()


# ------------------------------------------------------------------ tokens


def token_costs() -> None:
    """What checking a token costs a signed-in request (warm), and signing one (auth only)."""
    import jwt

    from common import wiring
    from common.domain import Role

    wiring.reset()
    tokens = wiring.build_deps().tokens
    now = datetime.now(UTC)
    access = tokens.issue('bench-user', Role.GUEST, 'access', now).token
    header = f'Bearer {access}'
    runs = 5000

    def timed(call: Callable[[], Any]) -> tuple[float, float]:
        for _ in range(200):
            call()
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
        return _percentiles(samples)

    secret = 'x' * 48
    legacy = jwt.encode({'sub': 'u'}, secret, algorithm='HS256')
    rows = [
        (
            'verify an access token (EdDSA: header, kid, signature, claims, times)',
            lambda: tokens.access_claims(header, now),
        ),
        ('sign one token (auth function only)', lambda: tokens.issue('bench-user', Role.GUEST, 'access', now)),
        ('for comparison: PyJWT HS256 decode', lambda: jwt.decode(legacy, secret, algorithms=['HS256'])),
    ]
    out(f'## Tokens: cost per request (warm, {runs} runs, microseconds)')
    out()
    out('| operation | p50 | p95 |')
    out('| --- | ---: | ---: |')
    for label, call in rows:
        p50, p95 = timed(call)
        out(f'| {label} | {p50 * 1000:.0f} | {p95 * 1000:.0f} |')
    first = _import_seconds('import jwt, cryptography.hazmat.primitives.asymmetric.ed25519', _env())
    out()
    out(f'Importing PyJWT with cryptography (on the first signed-in request of a container): {first * 1000:.0f} ms.')
    out()


# ------------------------------------------------------------------ DynamoDB calls


class Recorder:
    """Wraps botocore's client entry point: records each DynamoDB call and its consumed capacity."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.capacity: Counter[str] = Counter()

    @contextmanager
    def recording(self) -> Iterator[Recorder]:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        recorder = self

        def recorded(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != 'dynamodb':
                return original(client, operation, params)
            recorder.calls.append((operation, copy.deepcopy(params)))
            if operation in CAPACITY_OPERATIONS:
                params = {**params, 'ReturnConsumedCapacity': 'TOTAL'}
            answer = original(client, operation, params)
            consumed = answer.get('ConsumedCapacity')
            for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
                recorder.capacity[operation] += float(entry.get('CapacityUnits', 0))
            return answer

        BaseClient._make_api_call = recorded  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]

    def summary(self) -> str:
        counts = Counter(operation for operation, _ in self.calls)
        return ', '.join(f'{n} {op}' for op, n in sorted(counts.items()))

    @property
    def units(self) -> float:
        return sum(self.capacity.values())


def _fresh_booking_keys(params: dict[str, Any]) -> dict[str, Any]:
    """A replayed hold must create a new booking: new id in the Put and the request token."""
    params = copy.deepcopy(params)
    new_id = str(uuid.uuid4())
    for item in params.get('TransactItems', []):
        put = item.get('Put')
        if put and put['Item'].get('pk', {}).get('S', '').startswith('BOOKING#'):
            put['Item']['pk'] = {'S': f'BOOKING#{new_id}'}
            put['Item']['booking_id'] = {'S': new_id}
    if 'ClientRequestToken' in params:
        params['ClientRequestToken'] = new_id
    return params


def _snake(operation: str) -> str:
    return ''.join(f'_{c.lower()}' if c.isupper() else c for c in operation).lstrip('_')


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1000, ordered[max(int(len(ordered) * 0.95) - 1, 0)] * 1000


def _time(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    for _ in range(10):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return _percentiles(samples)


def handlers_vs_boto3(endpoint: str) -> None:
    import boto3

    from common import wiring
    from local import dynamo
    from tests.support import factories
    from tests.support.api import Api

    os.environ.update(
        {
            'DYNAMODB_ENDPOINT_URL': endpoint,
            'TABLE_NAME': 'bench',
            'IDEMPOTENCY_TABLE_NAME': 'bench-idem',
            'CATALOG_CACHE_SECONDS': '0',
            'POWERTOOLS_TRACE_DISABLED': 'true',
        }
    )
    # The timed routes hold hundreds of times as one guest: the fair-hold limits are off for them
    # (same calls; the slot and the windows are items of the same transaction), on for the tables.
    limits_off = {'MAX_ACTIVE_HOLDS_PER_USER': '0', 'HOLDS_PER_USER_PER_HOUR': '0', 'HOLDS_PER_IP_PER_HOUR': '0'}
    os.environ.update(limits_off)
    wiring.reset()
    wiring.build_deps()  # binds the tables to the bench table
    client = boto3.client('dynamodb', endpoint_url=endpoint)
    dynamo.create_tables(client, dynamo.table_names())
    hotel = factories.hotel('bench-hotel')
    room = factories.room_type(hotel, 'bench-room', total_rooms=1_000_000, open_days=60)
    api = Api()
    token = factories.token('bench-user')
    check_in = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    check_out = (datetime.now(UTC).date() + timedelta(days=5)).isoformat()
    hold = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 1}
    booking = api.post('/api/bookings', hold, token=token)
    assert booking.status == 201, booking.body
    booking_id = booking.json['id']
    routes: list[tuple[str, Callable[[], Any]]] = [
        ('POST /api/bookings', lambda: api.post('/api/bookings', hold, token=token)),
        ('GET /api/bookings/{id}', lambda: api.get(f'/api/bookings/{booking_id}', token=token)),
        (
            'GET /api/rooms/search',
            lambda: api.get('/api/rooms/search', query={'check_in': check_in, 'check_out': check_out}),
        ),
        (
            'GET /api/room-types/{id}/calendar',
            lambda: api.get(f'/api/room-types/{room.id}/calendar', query={'from': check_in, 'to': check_out}),
        ),
    ]
    out(f'## Handler in-process vs raw boto3 making the same DynamoDB calls (ministack, {RUNS} runs, ms)')
    out()
    out('| route | DynamoDB calls | handler p50 | p95 | boto3 p50 | p95 | ratio p50 |')
    out('| --- | --- | ---: | ---: | ---: | ---: | ---: |')
    for name, call in routes:
        with Recorder().recording() as recorder:
            reply = call()
        assert reply.status < 300, (name, reply.status, reply.body[:300])
        script = recorder.calls

        def replay(script: list[tuple[str, dict[str, Any]]] = script) -> None:
            for operation, params in script:
                getattr(client, _snake(operation))(
                    **(_fresh_booking_keys(params) if operation == 'TransactWriteItems' else params)
                )

        handler_p50, handler_p95 = _time(call, RUNS)
        raw_p50, raw_p95 = _time(replay, RUNS)
        out(
            f'| `{name}` | {recorder.summary()} | {handler_p50:.2f} | {handler_p95:.2f} | {raw_p50:.2f} | {raw_p95:.2f} | '
            f'{handler_p50 / raw_p50:.2f}x |'
        )
    out()

    for name in limits_off:
        os.environ.pop(name)
    wiring.reset()
    wiring.build_deps()

    out('## DynamoDB calls and consumed capacity per operation, by stay length')
    out()
    out('Capacity as DynamoDB bills it (ministack computes it the same way): reads 0.5 per 4 KB eventually')
    out('consistent / 1 strongly consistent, writes 1 per KB, transactional writes twice that.')
    out()
    out('| operation | nights | calls | capacity units |')
    out('| --- | ---: | --- | ---: |')
    for nights in (1, 7, 30):
        start = datetime.now(UTC).date() + timedelta(days=2)
        stay = {'check_in': start.isoformat(), 'check_out': (start + timedelta(days=nights)).isoformat()}
        token = factories.token()
        with Recorder().recording() as hold_calls:
            created = api.post('/api/bookings', {**stay, 'room_type_id': room.id, 'guests': 1}, token=token)
        assert created.status == 201, created.body
        with Recorder().recording() as search_calls:
            assert api.get('/api/rooms/search', query=stay).status == 200
        with Recorder().recording() as cancel_calls:
            assert api.post(f'/api/bookings/{created.json["id"]}/cancel', token=token).status == 200
        for label, recorder in (
            ('hold (POST /api/bookings)', hold_calls),
            ('search', search_calls),
            ('cancel a hold', cancel_calls),
        ):
            out(f'| {label} | {nights} | {recorder.summary()} | {recorder.units:g} |')
    out()
    due_holds_around(api, hotel)


def due_holds_around(api: Any, hotel: Any) -> None:
    """What instant release costs: a hold and a search with and without a due hold on their nights."""
    import time_machine

    from tests.support import factories

    room = factories.room_type(hotel, 'bench-last-room', total_rooms=1, open_days=10)
    start = datetime.now(UTC).date() + timedelta(days=3)
    stay = {'check_in': start.isoformat(), 'check_out': (start + timedelta(days=2)).isoformat()}
    hold = {**stay, 'room_type_id': room.id, 'guests': 1}
    search = {**stay, 'hotel_id': hotel.id}
    rows: list[tuple[str, Recorder]] = []

    def measure(label: str, call: Callable[[], Any], status: int) -> Any:
        with Recorder().recording() as recorder:
            reply = call()
        assert reply.status == status, (label, reply.status, reply.body[:300])
        rows.append((label, recorder))
        return reply

    measure('search, rooms left', lambda: api.get('/api/rooms/search', query=search), 200)
    first = measure(
        'hold, nothing due (the last room)', lambda: api.post('/api/bookings', hold, token=factories.token()), 201
    )
    measure('hold refused sold out, nothing due', lambda: api.post('/api/bookings', hold, token=factories.token()), 409)
    measure('search, sold out, nothing due', lambda: api.get('/api/rooms/search', query=search), 200)
    with time_machine.travel(factories.after_expiry(first.json, seconds=0), tick=False):
        measure('search, sold out but for a due hold', lambda: api.get('/api/rooms/search', query=search), 200)
        measure(
            'hold that releases a due hold first', lambda: api.post('/api/bookings', hold, token=factories.token()), 201
        )
    out('## DynamoDB calls with and without due holds around (instant release, docs/holds.md)')
    out()
    out('A room type with one room, a stay of 2 nights, the fair-hold limits on (defaults), no Stripe')
    out('PaymentIntent on the due hold (one would add its cancellation at Stripe). PENDING_SHARDS = 4.')
    out()
    out('| request | calls | capacity units |')
    out('| --- | --- | ---: |')
    for label, recorder in rows:
        out(f'| {label} | {recorder.summary()} | {recorder.units:g} |')
    out()


# ------------------------------------------------------------------ package sizes


def package_sizes() -> None:
    build = ROOT / '.aws-sam' / 'build'
    out('## Deployment package size per function (zipped, as uploaded)')
    out()
    if not build.exists():
        out('`.aws-sam/build` not found: run `make build` first to include package sizes.')
        out()
        return

    def zipped(folder: Path) -> tuple[int, int]:
        buffer, raw = io.BytesIO(), 0
        with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob('*')):
                if path.is_file():
                    raw += path.stat().st_size
                    archive.write(path, path.relative_to(folder))
        return buffer.tell(), raw

    out('| artifact | zipped | unzipped |')
    out('| --- | ---: | ---: |')
    for folder in sorted(p for p in build.iterdir() if p.is_dir()):
        size, raw = zipped(folder)
        out(f'| {folder.name} | {size / 1024:.0f} KB | {raw / 1024:.0f} KB |')
    out()
    out('Every function also loads the CommonLayer (shared, cached by Lambda per version).')
    out()


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / 'layers' / 'common')]
    for key, value in _env().items():
        os.environ.setdefault(key, value)
    out('# Benchmarks')
    out()
    out(f'Generated by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: Python {sys.version.split()[0]}, '
        f'{os.cpu_count()} CPUs, {RUNS} runs per figure. Numbers move with machine load; the ratios are what to compare.')  # fmt: skip
    out()
    cold_imports()
    token_costs()
    from local import emulators
    from local.gateway import free_port

    server = emulators.start_ministack(free_port())
    try:
        handlers_vs_boto3(server.url)
    finally:
        server.stop()
    package_sizes()
    for line in FINDINGS.strip('\n').splitlines():
        out(line)
    from bench import arrivals, search

    previous = REPORT.read_text() if REPORT.exists() else ''
    kept = arrivals.kept_section(previous) + search.kept_section(previous)  # other benches' sections stay
    REPORT.write_text('\n'.join(lines) + '\n' + kept)
    print(f'wrote {REPORT.relative_to(ROOT)}')


if __name__ == '__main__':
    main()
