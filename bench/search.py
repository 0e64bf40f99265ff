"""Search at scale (`make bench-search`; not a test): before (one inventory Query per room type) and
after (the availability view: one Query per city), in one run against ministack.

1. For a city of 5, 50 and 500 room types (local/seed_scale.py, 10 to a hotel) and stays of 1, 7
   and 30 nights: DynamoDB calls and consumed read capacity of one search page, and p50/p95 of the
   search handler in-process (API Gateway event -> response), warm (catalogue cached, as a warm
   Lambda has it).
2. The view's lag under load: guests hold and cancel rooms of the 500-room-type city from
   BENCH_LOAD_CLIENTS threads for BENCH_LOAD_SECONDS while the stream is tailed for
   SearchViewFunction as `make run` does (poll every 0.5 s, as Lambda's 1 s batching window
   would at most); lag = when the consumer wrote the record's view item - the record's
   ApproximateCreationDateTime.

BENCH_SEARCH_RUNS (default 20) requests per figure. Prints a markdown table and replaces the
"Search at scale" section of bench/README.md. Figures move with the machine's load; ministack
serialises DynamoDB requests, so the per-type path's latency here is a floor of what 500 Queries
cost, not what DynamoDB in a region would show (docs/search-view.md).
"""

from __future__ import annotations

import math
import os
import random
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get('BENCH_SEARCH_RUNS', '20'))
CLIENTS = int(os.environ.get('BENCH_LOAD_CLIENTS', '8'))
SECONDS = float(os.environ.get('BENCH_LOAD_SECONDS', '20'))
SIZES = tuple(int(s) for s in os.environ.get('BENCH_SIZES', '5,50,500').split(','))
NIGHTS = (1, 7, 30)
README = ROOT / 'bench' / 'README.md'
lines: list[str] = []


def out(text: str = '') -> None:
    print(text, flush=True)
    lines.append(text)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _value_size(value: dict[str, Any]) -> int:
    """DynamoDB's size of an attribute value (docs: "Item sizes and formats")."""
    kind, raw = next(iter(value.items()))
    if kind == 'S':
        return len(raw.encode())
    if kind == 'N':
        return (len(raw.strip('-').replace('.', '')) + 1) // 2 + 1
    if kind == 'BOOL' or kind == 'NULL':
        return 1
    if kind == 'L':
        return 3 + sum(_value_size(v) + 1 for v in raw)
    if kind == 'M':
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in raw.items())
    if kind == 'SS':
        return sum(len(v.encode()) for v in raw)
    return len(str(raw))


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


class Billed:
    """Counts DynamoDB calls and the RCU DynamoDB would bill for them, from the items each Query
    returned (eventually consistent: a Query 0.5 per 4 KB of its items summed, at least 0.5; GetItem
    and each item of a BatchGetItem 0.5 per 4 KB of the item). ministack bills every Query 0.5
    whatever it reads, so this is computed."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.rcu = 0.0
        self.bytes = 0

    @contextmanager
    def recording(self) -> Iterator[Billed]:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        billed = self

        def recorded(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            answer = original(client, operation, params)
            if client.meta.service_model.service_name == 'dynamodb':
                per = 1.0 if params.get('ConsistentRead') else 0.5
                if operation == 'BatchGetItem':  # billed item by item
                    found = [i for items in answer.get('Responses', {}).values() for i in items]
                    size = sum(item_size(i) for i in found)
                    units = sum(max(1, math.ceil(item_size(i) / 4096)) * per for i in found) or per
                else:  # a Query sums its items first; a GetItem is its item
                    items = answer.get('Items', []) if operation == 'Query' else [answer.get('Item') or {}]
                    size = sum(item_size(i) for i in items)
                    units = max(1, math.ceil(size / 4096)) * per
                with lock:
                    billed.calls[operation] += 1
                    billed.bytes += size
                    billed.rcu += units
            return answer

        lock = threading.Lock()
        BaseClient._make_api_call = recorded  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]

    def summary(self) -> str:
        return ', '.join(f'{n} {op}' for op, n in sorted(self.calls.items()))


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / 'layers' / 'common')]
    from bench.run import _env

    for key, value in _env().items():
        os.environ.setdefault(key, value)
    os.environ['POWERTOOLS_LOG_LEVEL'] = 'WARNING'  # the load's thousands of requests, unlogged
    from local import emulators
    from local.gateway import free_port

    server = emulators.start_ministack(free_port())
    try:
        measure(server.url)
    finally:
        server.stop()
    write_report()


def measure(endpoint: str) -> None:
    import boto3

    from common import wiring
    from common.services import search
    from local import dynamo, seed_scale
    from tests.support.api import Api

    os.environ.update(
        {
            'DYNAMODB_ENDPOINT_URL': endpoint,
            'TABLE_NAME': f'bench-search-{uuid.uuid4().hex[:6]}',
            'IDEMPOTENCY_TABLE_NAME': 'bench-search-idem',
            'CATALOG_CACHE_SECONDS': '60',
            'POWERTOOLS_TRACE_DISABLED': 'true',
            'MAX_ACTIVE_HOLDS_PER_USER': '0',
            'HOLDS_PER_USER_PER_HOUR': '0',
            'HOLDS_PER_IP_PER_HOUR': '0',
        }
    )
    # Warm functions with the catalogue and pricing terms cached for the whole run (the setting
    # stops at 60 s and the bench runs longer): the figures are the search's own reads.
    from common.services.deps import TtlCache

    cache = TtlCache(3600)
    wiring._process_catalog_cache = lambda ttl_seconds: cache  # type: ignore[assignment]
    wiring.reset()
    deps = wiring.build_deps()
    dynamo.create_tables(boto3.client('dynamodb', endpoint_url=endpoint), dynamo.table_names())
    started = time.monotonic()
    for size in SIZES:
        seed_scale.create(deps, f'City{size}', size, per_hotel=10, days=40)
    out(
        f'Seeded cities of {", ".join(map(str, SIZES))} room types (40 nights each) in {time.monotonic() - started:.0f}s.'
    )
    api = Api(check_contract=False)
    today = datetime.now(UTC).date()
    original = search.search
    rows = []
    cases = [(str(size), nights, {'city': f'City{size}'}) for size in SIZES for nights in NIGHTS]
    big = SIZES[-1]
    cases += [(f'one hotel of {big}', nights, {'hotel_id': f'city{big}-0000'}) for nights in NIGHTS]
    for size, nights, where in cases:
        query = {
            **where,
            'check_in': (today + timedelta(days=2)).isoformat(),
            'check_out': (today + timedelta(days=2 + nights)).isoformat(),
            'include_sold_out': 'true',
        }
        figures = {}
        for label, path in (('before', search.search_per_type), ('after', original)):
            search.search = path  # the handler calls search.search
            try:
                reply = api.get('/api/rooms/search', query=query)  # warms the catalogue cache
                assert reply.status == 200, reply.body
                recorder = Billed()
                with recorder.recording():
                    assert api.get('/api/rooms/search', query=query).status == 200
                samples = []
                for _ in range(RUNS if size != str(big) or label == 'after' else max(5, RUNS // 4)):
                    t0 = time.perf_counter()
                    api.get('/api/rooms/search', query=query)
                    samples.append((time.perf_counter() - t0) * 1000)
            finally:
                search.search = original
            p50, p95 = percentiles(samples)
            figures[label] = (recorder.summary(), recorder.rcu, p50, p95, recorder.bytes)
        rows.append((size, nights, figures))
        before, after = figures['before'], figures['after']
        print(f'{size} types {nights} nights: before {before}, after {after}', flush=True)
    out()
    out('### One search page: DynamoDB calls, read capacity, handler latency (warm, ministack)')
    out()
    out(
        f'{RUNS} requests per figure ({max(5, RUNS // 4)} for {big} room types before); a page is 20 results; the '
        'catalogue and pricing terms are cached as in a warm Lambda. RCU as DynamoDB bills it, computed from the '
        'items each call returned (0.5 per 4 KB per Query, eventually consistent; ministack bills every Query 0.5 '
        'whatever its size, so its ReturnConsumedCapacity is not used here).'
    )
    out()
    out(
        '| room types | nights | before: calls | KB read | RCU | p50 ms | p95 ms | after: calls | KB read | RCU '
        '| p50 ms | p95 ms |'
    )
    out('| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |')
    for size, nights, figures in rows:
        b, a = figures['before'], figures['after']
        out(
            f'| {size} | {nights} | {b[0]} | {b[4] / 1024:.1f} | {b[1]:g} | {b[2]:.1f} | {b[3]:.1f} '
            f'| {a[0]} | {a[4] / 1024:.1f} | {a[1]:g} | {a[2]:.1f} | {a[3]:.1f} |'
        )
    out()
    out(
        'Before, a page costs one Query per room type (plus, where a room type is short, the due-hold Queries), '
        'its RCU and latency grow with the city; after, one Query of the city whatever its size, and the bytes '
        "read are about a fifth (a cell is ~26 B against a ~120 B inventory item). A hotel's page in the big "
        'city reads its own (night, shard) items by key, one BatchGetItem, instead of the whole city. What remains of the latency after is Python: offers and '
        'prices for every room type of the city (500 x 30 nights), the same work before and after; ministack '
        'serialises requests, so the per-type figures are a floor, not what 500 parallel Queries cost in AWS.'
    )
    lag(endpoint, api)


def lag(endpoint: str, api: Any) -> None:
    """Holds and cancels on the 500-room-type city while the consumer tails the stream."""
    from common import wiring
    from common.domain import Role, RoomType
    from functions.search_view import app as consumer
    from local.background import start_search_view
    from tests.support import factories

    deps = wiring.build_deps()
    types = [rt for rt in deps.catalog.list_room_types() if rt.hotel_id.startswith(f'city{SIZES[-1]}-')]
    today = datetime.now(UTC).date()
    city = deps.catalog.get_hotel(types[0].hotel_id).city
    probe_night = today + timedelta(days=30)  # a night the load never books
    stop = threading.Event()
    # From the stream's end: the seed's records are not load (seed_scale wrote the view already).
    thread = start_search_view(endpoint, os.environ['TABLE_NAME'], stop, every=0.5, latest=True)
    probe = RoomType('probe', types[0].hotel_id, 'Probe', '', 2, 100, 'EUR', 1_000_000)
    deps.catalog.put_room_type(probe, create=True)  # its nights reach the view through the stream
    deps.inventory.open_fresh(deps.catalog.get_room_type(probe.id), today, today + timedelta(days=39))
    deps.catalog_cache.clear()
    counts = {'holds': 0, 'cancels': 0, 'refused': 0}
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def guest(n: int) -> None:
        rng = random.Random(n)
        token = factories.token(f'load-guest-{n}', Role.GUEST)
        while time.monotonic() < deadline:
            rt = rng.choice(types)
            start = today + timedelta(days=rng.randint(2, 20))
            body = {
                'room_type_id': rt.id,
                'check_in': start.isoformat(),
                'check_out': (start + timedelta(days=rng.randint(1, 3))).isoformat(),
                'guests': 1,
            }
            reply = api.post('/api/bookings', body, token=token)
            if reply.status != 201:
                with lock:
                    counts['refused'] += 1
                continue
            with lock:
                counts['holds'] += 1
            if rng.random() < 0.5:
                api.post(f'/api/bookings/{reply.json["id"]}/cancel', token=token)
                with lock:
                    counts['cancels'] += 1

    staleness: list[float] = []

    def cell() -> int | None:
        found = [
            n for n in deps.view.read(city, probe_night, probe_night + timedelta(days=1)) if n.room_type_id == 'probe'
        ]
        return found[0].available if found else None

    def prober() -> None:
        """A hold of the probe room type, then the view read every 10 ms until it shows it: how
        long after a committed change search still shows the old count."""
        token = factories.token('load-prober', Role.GUEST)
        body = {
            'room_type_id': 'probe',
            'check_in': probe_night.isoformat(),
            'check_out': (probe_night + timedelta(days=1)).isoformat(),
            'guests': 1,
        }
        while time.monotonic() < deadline:
            before = cell()
            if before is None:
                time.sleep(0.1)
                continue
            reply = api.post('/api/bookings', body, token=token)
            committed = time.perf_counter()
            if reply.status != 201:
                continue
            while time.perf_counter() - committed < 30:
                now = cell()
                if now is not None and now < before:
                    staleness.append((time.perf_counter() - committed) * 1000)
                    break
                time.sleep(0.01)
            time.sleep(0.1)

    for _ in range(600):
        if cell() is not None:
            break
        time.sleep(0.1)
    consumer.recent_lags.clear()
    deadline = time.monotonic() + SECONDS
    clients = [threading.Thread(target=guest, args=(n,)) for n in range(CLIENTS)]
    clients.append(threading.Thread(target=prober))
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    time.sleep(2.0)  # the last records
    stop.set()
    thread.join(timeout=5)
    lags = sorted(consumer.recent_lags)
    out()
    out("### The view's lag under load (ministack, the stream tailed as `make run` does)")
    out()
    if not lags:
        out("No stream records were seen (is ministack's stream on?).")
        return
    p50, p99 = statistics.median(lags), lags[min(len(lags) - 1, round(0.99 * (len(lags) - 1)))]
    out(
        f'{CLIENTS} guests for {SECONDS:g} s on the 500-room-type city: {counts["holds"]} holds, '
        f'{counts["cancels"]} cancels, {counts["refused"]} refused; {len(lags)} inventory records.'
    )
    out()
    stale = sorted(staleness)
    s50 = statistics.median(stale) if stale else float('nan')
    s99 = stale[min(len(stale) - 1, round(0.99 * (len(stale) - 1)))] if stale else float('nan')
    out('| measure | samples | p50 ms | p99 ms | max ms |')
    out('| --- | ---: | ---: | ---: | ---: |')
    out(
        f'| hold committed -> search view shows it (probe) | {len(stale)} | {s50:.0f} | {s99:.0f} | {stale[-1] if stale else 0:.0f} |'
    )
    out(
        f'| SearchViewLag (consumer write - ApproximateCreationDateTime) | {len(lags)} | {p50:.0f} | {p99:.0f} | {lags[-1]:.0f} |'
    )
    out()
    out(
        'The probe holds a room of a room type the load never touches, then reads the view every 10 ms until it '
        'shows the room gone: the staleness a guest can see. SearchViewLag is what the consumer reports as a metric; '
        'the stream stamps ApproximateCreationDateTime in whole seconds (rounded down), so it reads up to 1 s more '
        "than the true lag. Locally the stream is polled every 0.5 s; in AWS add the event source mapping's "
        'batching window (1 s in template.yaml) and its polling (about 4 times a second per shard).'
    )


_SECTION = re.compile(r'## Search at scale:.*?(?=\n## |\n<!-- |\Z)', re.S)


def kept_section(report: str) -> str:
    """This bench's section of a README being regenerated by `make bench` (empty if none)."""
    found = _SECTION.search(report)
    return '\n' + found.group(0).rstrip('\n') + '\n' if found else ''


def write_report() -> None:
    section = '\n'.join(
        ['## Search at scale: per-type Queries vs the availability view (`make bench-search`)', '', *lines]
    )
    text = README.read_text() if README.exists() else '# Benchmarks\n'
    text = (
        _SECTION.sub(lambda _: section + '\n', text)
        if _SECTION.search(text)
        else text.rstrip() + '\n\n' + section + '\n'
    )
    README.write_text(text)


if __name__ == '__main__':
    main()
