"""Load test (`make load`; not part of `make test`): a flash sale on the local stack, then the auditor.

Starts `make run`'s process on free ports (ministack, localstripe, the gateway, the sweeper),
creates a hotel with one scarce room type through the admin API, signs in LOAD_CLIENTS guests,
and lets them loose for LOAD_SECONDS, each in a closed loop (no think time):

    80%  GET  /api/rooms/search             a stay in the sale's week (1-3 nights)
    20%  the guest's next step with the scarce room type:
         no booking yet  -> POST /api/bookings                  (201, or 409 sold_out)
         PENDING         -> POST /api/bookings/{id}/checkout    auto_confirm (70%)
                            POST /api/bookings/{id}/cancel      (15%)
                            walk away: the hold expires          (15%, the sweeper releases it)
         CONFIRMED       -> POST /api/bookings/{id}/cancel      (50%: refund at Stripe), or keep it

Then it waits for the last holds to expire and runs the auditor (inventory, payments, Stripe).
It fails (exit 1) on any oversold night, any 5xx, any connection error, any violation.

The abandoned-checkout flash sale (``--scenario abandoned``): LOAD_CLIENTS guests want one night
of a room type with LOAD_ROOMS rooms; each tries to hold one (again after a short pause when sold
out) until it has one; half of those who get one pay at once, the other half walk away and their
hold expires. The sweeper runs every 60 s, as the template's schedule does. It reports how long
each expired hold's room took to be sold again (from its ``hold_expires_at`` to the
``created_at`` of the next hold that got a room), rooms sold, and the auditor's result.
``--baseline REF`` runs the same sale against the stack of another commit (``git archive``), e.g.
the code before instant release: ``python -m bench.load --scenario abandoned --baseline arch``.

    make load                                     # both scenarios: 200 clients, 60 s and 120 s
    LOAD_CLIENTS=50 LOAD_SECONDS=20 make load     # a quick one
    python -m bench.load --clients 200 --seconds 60 --rooms 10 --json load.json
    python -m bench.load --scenario abandoned --seconds 120 [--baseline arch]

Figures: throughput and p50/p95/p99 per route. Everything runs on this machine, so the clients
compete with the server for the same cores, and ministack serialises DynamoDB requests: the
figures describe this laptop, not DynamoDB (docs/capacity.md says what DynamoDB would allow).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / 'layers' / 'common')]

SEARCH, BOOK, CHECKOUT, CANCEL = (
    'GET /api/rooms/search',
    'POST /api/bookings',
    'POST /api/bookings/{id}/checkout',
    'POST /api/bookings/{id}/cancel',
)
ROUTES = (SEARCH, BOOK, CHECKOUT, CANCEL)
PASSWORD = 'load test password'  # noqa: S105 (throwaway accounts on a throwaway stack)


# ---------------------------------------------------------------- measurements


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    codes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    connection_errors: Counter[str] = field(default_factory=Counter)
    answered_at: list[float] = field(default_factory=list)
    started: list[tuple[float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, route: str, status: int, seconds: float, code: str | None) -> None:
        with self.lock:
            now = time.monotonic()
            self.answered_at.append(now)
            self.started.append((now - seconds, seconds))
            self.latencies[route].append(seconds)
            self.statuses[route][status] += 1
            if code:
                self.codes[route][code] += 1

    def failed_to_connect(self, route: str) -> None:
        with self.lock:
            self.connection_errors[route] += 1


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# ---------------------------------------------------------------- HTTP


class Client:
    """One keep-alive connection, as one browser tab would hold."""

    def __init__(self, base: str, stats: Stats | None = None, timeout: float = 60.0) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or '127.0.0.1', parts.port or 80
        self.timeout = timeout
        self.stats = stats
        self.token: str | None = None
        self._connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._connection

    def call(
        self, method: str, path: str, body: Any = None, *, route: str | None = None, query: dict | None = None
    ) -> tuple[int, Any]:
        headers = {'Accept': 'application/json'}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers['Content-Type'] = 'application/json'
        if self.token:
            headers['Authorization'] = f'Bearer {self.token}'
        target = f'{path}?{urlencode(query)}' if query else path
        started = time.perf_counter()
        try:
            connection = self._connect()
            connection.request(method, target, body=payload, headers=headers)
            reply = connection.getresponse()
            raw = reply.read()
        except (OSError, http.client.HTTPException):
            if self._connection is not None:
                self._connection.close()
            self._connection = None
            if self.stats and route:
                self.stats.failed_to_connect(route)
            return 0, None
        elapsed = time.perf_counter() - started
        data = json.loads(raw) if raw else None
        code = data.get('code') if isinstance(data, dict) and reply.status >= 400 else None
        if self.stats and route:
            self.stats.record(route, reply.status, elapsed, code)
        return reply.status, data

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()


# ---------------------------------------------------------------- the scenario


@dataclass
class Sale:
    base: str
    hotel_id: str
    city: str
    room_type_id: str
    rooms: int
    first_night: date
    window_nights: int = 7

    def stay(self, rng: random.Random) -> tuple[str, str]:
        check_in = self.first_night + timedelta(days=rng.randrange(self.window_nights))
        nights = rng.choice((1, 1, 2, 3))
        return check_in.isoformat(), (check_in + timedelta(days=nights)).isoformat()


def prepare(base: str, admin_email: str, admin_password: str, rooms: int) -> Sale:
    """The sale's hotel and its scarce room type, created through the admin API."""
    admin = Client(base)
    status, tokens = admin.call('POST', '/api/auth/login', {'email': admin_email, 'password': admin_password})
    assert status == 200, tokens
    admin.token = tokens['access']
    suffix = uuid.uuid4().hex[:6]
    hotel = {
        'id': f'flash-{suffix}',
        'name': 'Flash Sale Hotel',
        'city': f'Loadtown {suffix}',
        'timezone': 'UTC',
        'currency': 'EUR',
    }
    status, created = admin.call('POST', '/api/admin/hotels', hotel)
    assert status == 201, created
    room_type = {
        'id': f'flash-{suffix}-double',
        'hotel_id': hotel['id'],
        'name': 'Flash Double',
        'capacity': 2,
        'base_price': 9900,
        'total_rooms': rooms,
    }
    status, created = admin.call('POST', '/api/admin/room-types', room_type)
    assert status == 201, created
    admin.close()
    first_night = datetime.now(UTC).date() + timedelta(days=30)
    return Sale(base, hotel['id'], hotel['city'], room_type['id'], rooms, first_night)


def sign_in(base: str, clients: int, stats: Stats) -> list[Client]:
    def one(n: int) -> Client:
        client = Client(base, stats)
        email = f'load-{uuid.uuid4().hex[:10]}-{n}@example.com'
        status, body = client.call('POST', '/api/auth/register', {'email': email, 'password': PASSWORD, 'name': 'Load'})
        assert status == 201, body
        status, tokens = client.call('POST', '/api/auth/login', {'email': email, 'password': PASSWORD})
        assert status == 200, tokens
        client.token = tokens['access']
        return client

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, range(clients)))


@dataclass
class Outcomes:
    held: int = 0
    sold_out: int = 0
    confirmed: int = 0
    cancelled_pending: int = 0
    cancelled_confirmed: int = 0
    abandoned: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


def guest(client: Client, sale: Sale, deadline: float, seed: int, outcomes: Outcomes) -> None:
    rng = random.Random(seed)
    booking: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        if rng.random() < 0.8:
            check_in, check_out = sale.stay(rng)
            query = {'check_in': check_in, 'check_out': check_out, 'guests': 1, 'city': sale.city}
            client.call('GET', '/api/rooms/search', route=SEARCH, query=query)
            continue
        if booking is None:
            check_in, check_out = sale.stay(rng)
            body = {'room_type_id': sale.room_type_id, 'check_in': check_in, 'check_out': check_out, 'guests': 1}
            status, reply = client.call('POST', '/api/bookings', body, route=BOOK)
            if status == 201:
                booking = reply
                outcomes.add('held')
            elif status == 409 and reply and reply.get('code') == 'sold_out':
                outcomes.add('sold_out')
            continue
        if booking['status'] == 'PENDING':
            roll = rng.random()
            if roll < 0.7:
                path = f'/api/bookings/{booking["id"]}/checkout'
                status, reply = client.call('POST', path, {'auto_confirm': True}, route=CHECKOUT)
                if status == 200 and reply['status'] == 'CONFIRMED':
                    booking = {**booking, 'status': 'CONFIRMED'}
                    outcomes.add('confirmed')
                elif status == 409:
                    booking = None  # expired meanwhile (hold_expired), or it moved on
            elif roll < 0.85:
                status, _ = client.call('POST', f'/api/bookings/{booking["id"]}/cancel', route=CANCEL)
                if status == 200:
                    outcomes.add('cancelled_pending')
                if status in (200, 409):
                    booking = None
            else:
                outcomes.add('abandoned')
                booking = None  # the sweeper expires it
            continue
        if rng.random() < 0.5:
            status, _ = client.call('POST', f'/api/bookings/{booking["id"]}/cancel', route=CANCEL)
            if status == 200:
                outcomes.add('cancelled_confirmed')
        booking = None


def run_load(sale: Sale, clients: list[Client], seconds: float) -> tuple[float, Outcomes]:
    outcomes = Outcomes()
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    threads = [
        threading.Thread(target=guest, args=(c, sale, deadline, n, outcomes), daemon=True)
        for n, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return time.monotonic() - started, outcomes


# ---------------------------------------------------------------- the abandoned-checkout sale


@dataclass
class Abandoned:
    """What the guests of the abandoned-checkout sale saw (server instants, from the answers)."""

    holds: list[tuple[datetime, str]] = field(default_factory=list)  # (created_at, booking id)
    walked_away: list[datetime] = field(default_factory=list)  # hold_expires_at of unpaid holds
    paid: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    ended: datetime = field(default_factory=lambda: datetime.now(UTC))
    lock: threading.Lock = field(default_factory=threading.Lock)


def abandoning_guest(client: Client, sale: Sale, deadline: float, seed: int, seen: Abandoned) -> None:
    """Tries to hold the sale's night until it gets a room; then pays (half of them) or walks away."""
    rng = random.Random(seed)
    night = sale.first_night
    body = {
        'room_type_id': sale.room_type_id,
        'check_in': night.isoformat(),
        'check_out': (night + timedelta(days=1)).isoformat(),
        'guests': 1,
    }
    while time.monotonic() < deadline:
        status, reply = client.call('POST', '/api/bookings', body, route=BOOK)
        if status != 201:
            with seen.lock:
                seen.refusals[reply.get('code', str(status)) if isinstance(reply, dict) else str(status)] += 1
            time.sleep(0.5 + rng.random())  # a guest who is told "sold out" tries again a moment later
            continue
        with seen.lock:
            seen.holds.append((datetime.fromisoformat(reply['created_at']), reply['id']))
        if rng.random() < 0.5:
            path = f'/api/bookings/{reply["id"]}/checkout'
            status, paid = client.call('POST', path, {'auto_confirm': True}, route=CHECKOUT)
            if status == 200 and paid['status'] == 'CONFIRMED':
                with seen.lock:
                    seen.paid += 1
                return
        with seen.lock:
            seen.walked_away.append(datetime.fromisoformat(reply['hold_expires_at']))
        return


# An expiry this close to the end of the sale may not be followed by a sweep before it ends: its
# room is left out of the figures (a sweep every 60 s, plus its own time).
TOO_LATE_TO_TELL = timedelta(seconds=65)


def resale_delays(seen: Abandoned) -> tuple[list[float], int]:
    """Seconds from each walked-away hold's expiry to the next hold that got a room (each hold
    matched to one expiry, earliest first), and how many expired rooms were not sold again."""
    holds = sorted(created for created, _ in seen.holds)
    delays, used, unsold = [], 0, 0
    for expiry in sorted(e for e in seen.walked_away if e <= seen.ended - TOO_LATE_TO_TELL):
        while used < len(holds) and holds[used] < expiry:
            used += 1
        if used == len(holds):
            unsold += 1
            continue
        delays.append((holds[used] - expiry).total_seconds())
        used += 1
    return delays, unsold


def run_abandoned(sale: Sale, clients: list[Client], seconds: float) -> Abandoned:
    seen = Abandoned()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=abandoning_guest, args=(c, sale, deadline, n, seen), daemon=True)
        for n, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    seen.ended = datetime.now(UTC)
    return seen


def report_abandoned(seen: Abandoned, rooms: int, seconds: float) -> dict[str, Any]:
    delays, unsold = resale_delays(seen)
    figures = {
        'holds': len(seen.holds),
        'paid': seen.paid,
        'walked_away': len(seen.walked_away),
        'resold': len(delays),
        'not_resold_by_the_end': unsold,
        'delay_p50_s': round(percentile(delays, 50), 2),
        'delay_p99_s': round(percentile(delays, 99), 2),
        'delay_max_s': round(max(delays, default=0.0), 2),
        'refusals': dict(seen.refusals),
    }
    print(
        f'\nabandoned-checkout sale, {rooms} rooms, {seconds:g} s: {figures["holds"]} holds, '
        f'{figures["paid"]} rooms sold (paid), {figures["walked_away"]} walked away'
    )
    print(
        f'expiry -> room sold again: {figures["resold"]} resold, p50 {figures["delay_p50_s"]} s, '
        f'p99 {figures["delay_p99_s"]} s, max {figures["delay_max_s"]} s; '
        f'{unsold} expired room(s) not sold again (expiries in the last {TOO_LATE_TO_TELL.seconds} s left out)'
    )
    print(f'refusals: {figures["refusals"]}')
    return figures


# ---------------------------------------------------------------- report


def report(stats: Stats, elapsed: float) -> dict[str, Any]:
    rows = {}
    print(f'\n{"route":<34} {"requests":>8} {"req/s":>7} {"2xx":>6} {"4xx":>6} {"5xx":>4} {"conn":>4}'
          f' {"p50 ms":>7} {"p95 ms":>7} {"p99 ms":>7}')  # fmt: skip
    for route in (*ROUTES, 'total'):
        if route == 'total':
            samples = [s for r in ROUTES for s in stats.latencies[r]]
            statuses = sum((stats.statuses[r] for r in ROUTES), Counter())
            conn = sum(stats.connection_errors[r] for r in ROUTES)
        else:
            samples, statuses, conn = stats.latencies[route], stats.statuses[route], stats.connection_errors[route]
        ok = sum(n for s, n in statuses.items() if s < 400)
        client_errors = sum(n for s, n in statuses.items() if 400 <= s < 500)
        server_errors = sum(n for s, n in statuses.items() if s >= 500)
        row = {
            'requests': len(samples),
            'per_second': round(len(samples) / elapsed, 1),
            'ok': ok,
            'client_errors': client_errors,
            'server_errors': server_errors,
            'connection_errors': conn,
            'p50_ms': round(percentile(samples, 50) * 1000),
            'p95_ms': round(percentile(samples, 95) * 1000),
            'p99_ms': round(percentile(samples, 99) * 1000),
            'codes': dict(stats.codes.get(route, {})) if route != 'total' else {},
        }
        rows[route] = row
        print(f'{route:<34} {row["requests"]:>8} {row["per_second"]:>7} {ok:>6} {client_errors:>6} {server_errors:>4}'
              f' {conn:>4} {row["p50_ms"]:>7} {row["p95_ms"]:>7} {row["p99_ms"]:>7}')  # fmt: skip
    for route in ROUTES:
        if stats.codes.get(route):
            print(f'  {route}: {dict(stats.codes[route])}')
    answered = sorted(stats.answered_at)
    stall = max((b - a for a, b in itertools.pairwise(answered)), default=0.0)
    rows['longest_silence_s'] = round(stall, 2)
    print(f'longest time without a single answer: {stall:.2f} s')
    print('latency by the time a request was sent (the first seconds include every handler cold start):')
    first = min((t for t, _ in stats.started), default=0.0)
    for lo in range(0, int(elapsed) + 1, 10):
        bucket = [d for t, d in stats.started if lo <= t - first < lo + 10]
        if bucket:
            print(
                f'  {lo:>3}-{lo + 10:<3}s {len(bucket):>6} requests   p50 {percentile(bucket, 50) * 1000:>6.0f} ms'
                f'   p99 {percentile(bucket, 99) * 1000:>6.0f} ms   max {max(bucket) * 1000:>6.0f} ms'
            )
    return rows


def nights_sold(stack_endpoint: str, sale: Sale) -> list[tuple[str, int, int]]:
    """(night, allotment, rooms held by PENDING/CONFIRMED bookings) for the sale's nights."""
    from common import wiring
    from common.domain import HOLDING_STATUSES
    from tests.support.fixtures import point_dynamodb_at

    point_dynamodb_at(stack_endpoint, 'hotel-booking', 'hotel-booking-idempotency')
    deps = wiring.build_deps()
    end = sale.first_night + timedelta(days=sale.window_nights + 3)
    nights = deps.inventory.nights(sale.room_type_id, sale.first_night, end, consistent=True)
    held: Counter[date] = Counter()
    statuses: Counter[str] = Counter()
    for booking in deps.bookings.scan():
        if booking.room_type_id != sale.room_type_id:
            continue
        statuses[booking.status.value] += 1
        if booking.status in HOLDING_STATUSES:
            for night in booking.nightly:
                held[night.date] += booking.rooms
    print(f'\nbookings of the sale by final status: {dict(statuses)}')
    return [(n.date.isoformat(), n.allotment, held[n.date]) for n in nights]


def baseline_checkout(ref: str) -> Path:
    """The code of another commit (``git archive``) in a temporary directory, to run its stack."""
    import subprocess

    target = Path(tempfile.mkdtemp(prefix=f'hotel-baseline-{ref.replace("/", "-")}-'))
    archive = subprocess.run(['git', 'archive', ref], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(['tar', '-x', '-C', str(target)], input=archive, check=True)
    return target


def mixed(args: argparse.Namespace, root: Path, workdir: Path, failures: list[str]) -> dict[str, Any]:
    from tests.support.fixtures import audit_local_stack, start_local_stack, stop_local_stack

    sweep_every = 5
    env = {
        **COMMON_ENV,
        'BOOKING_HOLD_SECONDS': str(args.hold_seconds),
        'SWEEP_INTERVAL_SECONDS': str(sweep_every),
        'SALE_WINDOW_DAYS': str(args.sale_window_days),
    }
    print(f'starting the local stack (log in {workdir}) ...', flush=True)
    stack = start_local_stack(workdir, root, **env)
    try:
        sale = prepare(stack.url, stack.admin_email, stack.admin_password, args.rooms)
        setup_stats = Stats()
        print(f'signing in {args.clients} guests ...', flush=True)
        clients = sign_in(stack.url, args.clients, setup_stats)
        stats = Stats()
        for client in clients:
            client.stats = stats
        print(
            f'{args.clients} clients for {args.seconds:g} s on {sale.room_type_id} '
            f'({args.rooms} rooms a night, {sale.window_nights}-night sale window, holds last {args.hold_seconds} s)',
            flush=True,
        )
        elapsed, outcomes = run_load(sale, clients, args.seconds)
        for client in clients:
            client.close()
        rows = report(stats, elapsed)
        print(
            f'\noutcomes: {outcomes.held} holds, {outcomes.sold_out} sold-out refusals, {outcomes.confirmed} paid, '
            f'{outcomes.cancelled_pending} holds cancelled, {outcomes.cancelled_confirmed} paid stays cancelled '
            f'(refunded), {outcomes.abandoned} walked away'
        )
        settle = args.hold_seconds + 3 * sweep_every
        print(f'waiting {settle} s for the last holds to expire and webhooks to land ...', flush=True)
        time.sleep(settle)
        endpoint = stack.ministack_url()
        sold = nights_sold(endpoint, sale)
        oversold = [n for n in sold if n[2] > n[1]]
        print('night        allotment  held')
        for night, allotment, held in sold[: sale.window_nights + 2]:
            print(f'{night}  {allotment:>9}  {held:>4}')
        violations = audited(stack, audit_local_stack)
        total = rows['total']
        if oversold:
            failures.append(f'{len(oversold)} oversold night(s): {oversold}')
        if total['server_errors']:
            failures.append(f'{total["server_errors"]} 5xx answers')
        if total['connection_errors']:
            failures.append(f'{total["connection_errors"]} connection errors')
        if violations:
            failures.append(f'{len(violations)} audit violation(s)')
        if 'Traceback' in stack.log_path.read_text(errors='replace'):
            failures.append(f'a traceback in the stack log ({stack.log_path})')
        return {
            'clients': args.clients,
            'seconds': round(elapsed, 1),
            'rooms': args.rooms,
            'routes': rows,
            'outcomes': {k: v for k, v in vars(outcomes).items() if k != 'lock'},
            'oversold_nights': len(oversold),
            'violations': len(violations),
        }
    finally:
        stop_local_stack(stack, audit_first=False)


def abandoned(args: argparse.Namespace, root: Path, workdir: Path, failures: list[str]) -> dict[str, Any]:
    from tests.support.fixtures import audit_local_stack, start_local_stack, stop_local_stack

    seconds = args.abandoned_seconds
    env = {
        **COMMON_ENV,
        'BOOKING_HOLD_SECONDS': str(args.hold_seconds),
        'SWEEP_INTERVAL_SECONDS': '60',  # the template's rate(1 minute)
        'SALE_WINDOW_DAYS': '60',
        # Guests told "sold out" try again every second or so, for minutes, all from 127.0.0.1.
        'HOLDS_PER_USER_PER_HOUR': '0',
    }
    print(f'starting the local stack from {root} (log in {workdir}) ...', flush=True)
    stack = start_local_stack(workdir, root, **env)
    try:
        sale = prepare(stack.url, stack.admin_email, stack.admin_password, args.rooms)
        print(f'signing in {args.clients} guests ...', flush=True)
        clients = sign_in(stack.url, args.clients, Stats())
        stats = Stats()
        for client in clients:
            client.stats = stats
        print(
            f'{args.clients} guests for {seconds:g} s want one night of {sale.room_type_id} ({args.rooms} rooms); '
            f'holds last {args.hold_seconds} s, half the holders never pay, a sweep every 60 s',
            flush=True,
        )
        seen = run_abandoned(sale, clients, seconds)
        for client in clients:
            client.close()
        rows = report(stats, seconds)
        figures = report_abandoned(seen, args.rooms, seconds)
        violations = audited(stack, audit_local_stack)
        if rows['total']['server_errors']:
            failures.append(f'{rows["total"]["server_errors"]} 5xx answers')
        if violations:
            failures.append(f'{len(violations)} audit violation(s)')
        return {**figures, 'routes': rows, 'violations': len(violations)}
    finally:
        stop_local_stack(stack, audit_first=False)


def audited(stack: Any, audit_local_stack: Any) -> list[object]:
    started = time.monotonic()
    violations: list[object] = audit_local_stack(stack)
    print(
        f'\nauditor (inventory, hold slots, payments, Stripe): {len(violations)} violation(s) '
        f'in {time.monotonic() - started:.1f} s'
    )
    for violation in violations[:50]:
        print(f'  {violation}')
    return violations


COMMON_ENV = {
    # Abuse limits are per client IP, and every load client is 127.0.0.1: 0 turns them off.
    'LOGIN_FAILURES_PER_IP': '0',
    'REGISTRATIONS_PER_IP': '0',
    'HOLDS_PER_IP_PER_HOUR': '0',
    # The sale is about rooms, not password hashing: argon2id at its lowest allowed cost.
    'PASSWORD_HASH_MEMORY_KIB': '8192',
    'PASSWORD_HASH_TIME_COST': '1',
    'POWERTOOLS_LOG_LEVEL': 'ERROR',
}
SCENARIOS = {'mixed': mixed, 'abandoned': abandoned}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--scenario',
        choices=[*SCENARIOS, 'both'],
        default=os.environ.get('LOAD_SCENARIO', 'both'),
        help='mixed (search, hold, pay, cancel, walk away), abandoned (the abandoned-checkout sale), or both',
    )
    parser.add_argument('--clients', type=int, default=int(os.environ.get('LOAD_CLIENTS', '200')))
    parser.add_argument('--seconds', type=float, default=float(os.environ.get('LOAD_SECONDS', '60')))
    parser.add_argument(
        '--abandoned-seconds', type=float, default=float(os.environ.get('LOAD_ABANDONED_SECONDS', '120'))
    )
    parser.add_argument('--rooms', type=int, default=int(os.environ.get('LOAD_ROOMS', '10')))
    parser.add_argument('--hold-seconds', type=int, default=int(os.environ.get('LOAD_HOLD_SECONDS', '20')))
    parser.add_argument(
        '--sale-window-days',
        type=int,
        default=int(os.environ.get('LOAD_SALE_WINDOW_DAYS', '365')),
        help='nights opened per room type (SALE_WINDOW_DAYS): the size of each inventory partition',
    )
    parser.add_argument('--baseline', help='run the stack of this git commit instead (git archive)')
    parser.add_argument('--json', type=Path, help='also write the figures to this file')
    args = parser.parse_args(argv)

    for name, value in (
        ('AWS_ACCESS_KEY_ID', 'local'),
        ('AWS_SECRET_ACCESS_KEY', 'local'),
        ('AWS_DEFAULT_REGION', 'us-east-1'),
    ):
        os.environ.setdefault(name, value)
    # The emulators of this checkout (a baseline's archive has no virtualenvs).
    os.environ.setdefault('EMULATOR_PYTHON', str(ROOT / '.venv-emu' / 'bin' / 'python'))
    import local  # noqa: F401 - layers/common on sys.path

    root = baseline_checkout(args.baseline) if args.baseline else ROOT
    failures: list[str] = []
    results: dict[str, Any] = {}
    for name in SCENARIOS if args.scenario == 'both' else [args.scenario]:
        workdir = Path(tempfile.mkdtemp(prefix=f'hotel-load-{name}-'))
        print(f'\n=== {name} ===', flush=True)
        results[name] = SCENARIOS[name](args, root, workdir, failures)
    if args.json:
        args.json.write_text(json.dumps({'baseline': args.baseline, **results}, indent=2))
    print(
        '\n'
        + (
            'FAILED: ' + '; '.join(failures)
            if failures
            else 'OK: no oversell, no 5xx, no connection errors, books balance'
        )
    )
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
