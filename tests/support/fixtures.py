"""Fixtures: moto for single-threaded tests, a ministack server for races, the local stack for e2e.

Servers are started on free ports, every wait is bounded, and each fixture stops exactly the
process it started (by PID), also when the test fails.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from moto import mock_aws

from common import idempotency, wiring
from common.services import audit
from local import dynamo, emulators
from local.gateway import free_port
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.stripe import StripeTest

ROOT = Path(__file__).resolve().parents[2]


def point_dynamodb_at(endpoint: str | None, table_name: str, idempotency_table_name: str) -> None:
    """Re-point every DynamoDB user (PynamoDB models, the idempotency store) and rebuild what the
    functions built from the settings (``wiring.reset``: their Deps, with the catalogue cache)."""
    os.environ['TABLE_NAME'] = table_name
    os.environ['IDEMPOTENCY_TABLE_NAME'] = idempotency_table_name
    if endpoint:
        os.environ['DYNAMODB_ENDPOINT_URL'] = endpoint
    else:
        os.environ.pop('DYNAMODB_ENDPOINT_URL', None)
    wiring.reset()
    wiring.build_deps()  # binds the PynamoDB models to the table, for tests that use them directly
    idempotency.reset()


def create_tables(endpoint: str | None) -> None:
    client = boto3.client('dynamodb', endpoint_url=endpoint, region_name='us-east-1')
    dynamo.create_tables(client, dynamo.table_names())


@pytest.fixture
def aws() -> Iterator[None]:
    """A fresh moto DynamoDB with the template's tables."""
    with mock_aws():
        point_dynamodb_at(None, 'hotel-booking-test', 'hotel-booking-idempotency-test')
        create_tables(None)
        yield
    wiring.reset()


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture(scope='session')
def ministack() -> Iterator[emulators.Emulator]:
    server = emulators.start_ministack(free_port())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def on_ministack(ministack: emulators.Emulator) -> Iterator[str]:
    """Fresh tables (unique names) on the shared ministack server, for tests that race threads."""
    suffix = uuid.uuid4().hex[:8]
    point_dynamodb_at(ministack.url, f'hb-{suffix}', f'hb-idem-{suffix}')
    create_tables(ministack.url)
    try:
        yield ministack.url
    finally:
        point_dynamodb_at(None, 'hotel-booking-test', 'hotel-booking-idempotency-test')


def assert_inventory_balances() -> None:
    """The inventory invariant: allotment = available + rooms held by PENDING/CONFIRMED bookings."""
    violations = audit.inventory_violations(deps())
    assert not violations, 'inventory does not balance:\n' + '\n'.join(map(str, violations))


def assert_books_balance(*, stripe: bool = False) -> None:
    """Every invariant the auditor knows (inventory and payments; with ``stripe``, compared with
    the Stripe the application is pointed at)."""
    violations = audit.all_violations(deps(), stripe=stripe)
    assert not violations, 'the auditor found:\n' + '\n'.join(map(str, violations))


# Which stack the end-to-end tests drive: 'local' (`make run`: the local gateway calls the handlers
# in-process) or 'emulated' (`make run-emulated`: template.yaml deployed into ministack's
# CloudFormation, requests through its API Gateway to Lambda processes, the EventBridge schedule).
E2E_TARGET = os.environ.get('E2E_TARGET', 'local')


@dataclass
class LocalStack:
    url: str
    process: subprocess.Popen[bytes]
    admin_email: str
    admin_password: str
    log_path: Path
    stripe_url: str = ''
    kind: str = 'local'
    browser_url: str = ''  # where a browser opens the stack (the emulated one: host-style URL)
    hold_seconds: float = 900
    sweep_every: float = 60  # how often the sweeper runs
    web_url: str = ''  # the emulated stack's CloudFront distribution (the site from its bucket)

    def __post_init__(self) -> None:
        self.browser_url = self.browser_url or self.url

    def log(self) -> str:
        return self.log_path.read_text(errors='replace')[-4000:]

    def mailbox(self, to: str) -> list[dict]:
        """The emails SES (ministack's) took for ``to``: the local run's ``/_local/mailbox``; the
        emulated stack has no local gateway, so its ministack's own listing, read the same way."""
        if self.kind == 'emulated':
            from local import mailbox

            return mailbox.messages(re.match(r'(http://127\.0\.0\.1:\d+)', self.url).group(1), to)
        with urllib.request.urlopen(f'{self.url}/_local/mailbox?{urlencode({"to": to})}', timeout=10) as reply:  # noqa: S310
            return json.loads(reply.read())['messages']

    def wait_for_mail(self, to: str, count: int, seconds: float = 20.0, about: str = '') -> list[dict]:
        """At least ``count`` emails for ``to`` whose text mentions ``about`` (bounded wait: the
        stream, the bus and the notifier run in the background). A shared mailbox (the seeded
        hotel's desk gets every test's bookings) needs ``about``: the first mail is not ours."""
        deadline = time.monotonic() + seconds
        while True:
            found = [m for m in self.mailbox(to) if about in m['text']]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                subjects = [m['subject'] for m in found]
                raise AssertionError(f'{count} emails for {to} expected within {seconds:.0f}s, got {subjects}')
            time.sleep(0.25)

    def ministack_url(self, timeout: float = 10.0) -> str:
        """The stack's DynamoDB (ministack) endpoint, as its start-up banner prints it."""
        return self.audit_target(timeout)[0]

    def audit_target(self, timeout: float = 10.0) -> tuple[str, str]:
        """The stack's DynamoDB (ministack) endpoint and table, as its start-up banner prints them."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(r'make audit ENDPOINT=(\S+) TABLE=(\S+)', self.log_path.read_text(errors='replace'))
            if found:
                return found.group(1), found.group(2)
            if time.monotonic() > deadline:
                raise RuntimeError(f'no ministack endpoint in the local stack log:\n{self.log()}')
            time.sleep(0.1)


def wait_for(check: Callable[[], Any], seconds: float, what: str) -> Any:
    """``check()``'s first truthy value, polled for at most ``seconds`` (the local stack's
    background parts, e.g. the search view following the stream, answer within seconds)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'{what} did not happen within {seconds:.0f}s')
        time.sleep(0.25)


def start_stack(tmp_path: Path, hold_seconds: int | None = None, sweep_every: int | None = None) -> LocalStack:
    """The stack E2E_TARGET names; the emulated one takes the template's limits (holds of 30 s
    at least, the sweeper's rate(1 minute) schedule)."""
    if E2E_TARGET == 'emulated':
        return start_emulated_stack(tmp_path, hold_seconds=max(hold_seconds or 900, 30))
    env = {}
    if hold_seconds:
        env['BOOKING_HOLD_SECONDS'] = str(hold_seconds)
    if sweep_every:
        env['SWEEP_INTERVAL_SECONDS'] = str(sweep_every)
    stack = start_local_stack(tmp_path, **env)
    stack.hold_seconds, stack.sweep_every = hold_seconds or 900, sweep_every or 60
    return stack


def start_emulated_stack(tmp_path: Path, hold_seconds: int = 900, timeout: float = 240) -> LocalStack:
    """`make run-emulated`'s process (ministack + localstripe, the stack deployed); returns once
    it printed its READY line (bounded wait)."""
    log_path = tmp_path / f'emulated-{uuid.uuid4().hex[:8]}.log'
    # A clean environment: ministack hands its own to the function processes (the tests' AWS_*,
    # JWT_SECRET, POWERTOOLS_* must not reach them).
    env = {
        **{k: v for k, v in os.environ.items() if k in ('PATH', 'HOME', 'LANG', 'TMPDIR', 'EMULATOR_PYTHON')},
        'MINISTACK_PORT': str(free_port()),
        'LOCALSTRIPE_PORT': str(free_port()),
        'ADMIN_EMAIL': 'admin@example.com',
        'ADMIN_PASSWORD': 'e2e-admin-password',
        'BOOKING_HOLD_SECONDS': str(hold_seconds),
        'PYTHONUNBUFFERED': '1',
    }
    with log_path.open('wb') as log:
        process = subprocess.Popen(
            [sys.executable, '-m', 'local.emulated'],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    stack = LocalStack('', process, 'admin@example.com', 'e2e-admin-password', log_path, kind='emulated')
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'emulated stack exited early:\n{stack.log()}')
        ready = [line for line in log_path.read_text(errors='replace').splitlines() if line.startswith('READY ')]
        if ready:
            fields = dict(part.split('=', 1) for part in ready[0].split()[1:])
            stack.url, stack.browser_url, stack.stripe_url = fields['url'], fields['browser_url'], fields['stripe_url']
            stack.web_url = fields.get('web_url', '-').replace('-', '')
            stack.hold_seconds, stack.sweep_every = hold_seconds, 60
            return stack
        time.sleep(0.5)
    stop_local_stack(stack)
    raise RuntimeError(f'emulated stack not ready in {timeout:.0f}s:\n{stack.log()}')


def start_local_stack(tmp_path: Path, root: Path = ROOT, **env: str) -> LocalStack:
    """`make run`'s process on a free port; returns once /api/health answers (bounded wait).
    ``root``: the checkout whose code it runs (bench/load.py compares with a baseline's)."""
    port = free_port()
    stripe_port = free_port()
    log_path = tmp_path / f'local-run-{port}.log'
    settings_env = {
        'PORT': str(port),
        'LOCALSTRIPE_PORT': str(stripe_port),
        'ADMIN_EMAIL': 'admin@example.com',
        'ADMIN_PASSWORD': 'e2e-admin-password',
        'PYTHONUNBUFFERED': '1',
        **env,
    }
    clean_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('DYNAMODB_ENDPOINT_URL', 'TABLE_NAME') and not k.startswith('STRIPE_')
    }
    with log_path.open('wb') as log:
        process = subprocess.Popen(
            [sys.executable, '-m', 'local.run'],
            cwd=root,
            env={**clean_env, **settings_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    stack = LocalStack(
        f'http://127.0.0.1:{port}',
        process,
        'admin@example.com',
        'e2e-admin-password',
        log_path,
        stripe_url=f'http://127.0.0.1:{stripe_port}',
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'local stack exited early:\n{stack.log()}')
        try:
            with urllib.request.urlopen(f'{stack.url}/api/health', timeout=2) as reply:  # noqa: S310
                if reply.status == 200:
                    return stack
        except OSError:
            time.sleep(0.2)
    stop_local_stack(stack, audit_first=False)
    raise RuntimeError(f'local stack did not become healthy in 60s:\n{stack.log()}')


def stop_local_stack(stack: LocalStack, *, audit_first: bool = True) -> None:
    """Stop the stack (by PID); first, while it still runs, audit its books (it raises after the
    stack is stopped, so a failing audit never leaks the processes)."""
    violations: list[object] = []
    if audit_first and stack.process.poll() is None:
        violations = audit_local_stack(stack)
    try:
        _terminate(stack)
    finally:
        assert not violations, 'the auditor found, before stopping the stack:\n' + '\n'.join(map(str, violations))


def _terminate(stack: LocalStack) -> None:
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGTERM)
        try:
            # about 3 s on a quiet machine (the stream tailers, the server, then ministack and
            # localstripe each stop); a CI run on two busy cores once needed more than 15
            stack.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait(timeout=5)


@pytest.fixture(scope='session')
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = start_stack(tmp_path_factory.mktemp('stack'))
    try:
        yield stack
    finally:
        stop_local_stack(stack)


# ---------------------------------------------------------------- Stripe (localstripe)


@pytest.fixture(scope='session')
def localstripe() -> Iterator[emulators.Emulator]:
    """One localstripe server for the session (free port, stopped by PID)."""
    server = emulators.start_localstripe(free_port())
    try:
        yield server
    finally:
        server.stop()


def point_stripe_at(api_base: str | None, key: str | None, webhook_secret: str | None) -> None:
    for name, value in (
        ('STRIPE_API_BASE', api_base),
        ('STRIPE_SECRET_KEY', key),
        ('STRIPE_WEBHOOK_SECRET', webhook_secret),
    ):
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    wiring.reset()


@pytest.fixture
def stripe_local(localstripe: emulators.Emulator) -> Iterator[StripeTest]:
    """The application's Stripe settings pointed at localstripe, with a test key and secret."""
    stripe_test = StripeTest(localstripe.url)
    point_stripe_at(localstripe.url, stripe_test.key, stripe_test.webhook_secret)
    try:
        yield stripe_test
    finally:
        point_stripe_at(None, None, None)


@pytest.fixture
def override_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``override_settings(LOGIN_FAILURES_PER_EMAIL=3)``: set env vars and re-read the settings;
    both are restored after the test."""

    def apply(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, str(value))
        wiring.reset()

    yield apply
    wiring.reset()  # runs before monkeypatch restores the env; the next read sees it restored


# ---------------------------------------------------------------- the auditor after every test


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == 'call':
        item.stash[_CALL_FAILED] = report.failed
    return report


def audit_local_stack(stack: LocalStack) -> list[object]:
    """The auditor, in this process, on a local stack's ministack table (and its localstripe).

    The stack keeps working while it is read (its sweeper, Stripe's webhooks), and a scan is no
    snapshot: a transaction landing between the scan of the bookings and that of the nights looks
    like a violation. Only what a second audit a moment later finds again is reported.

    The emulated stack (`make run-emulated`) is not audited here: its ministack enforces IAM with
    its own root credentials, which this process does not hold (`make audit` prints them)."""
    if stack.kind == 'emulated':
        return []
    endpoint, table = stack.audit_target()
    point_dynamodb_at(endpoint, table, f'{table}-idempotency')
    point_stripe_at(stack.stripe_url, 'sk_test_auditor', None)
    try:
        first = audit.all_violations(deps(), stripe=True)
        if not first:
            return []
        time.sleep(1)
        again = {str(v) for v in audit.all_violations(deps(), stripe=True)}
        return [v for v in first if str(v) in again]
    finally:
        point_stripe_at(None, None, None)
        point_dynamodb_at(None, 'hotel-booking-test', 'hotel-booking-idempotency-test')


@pytest.fixture(autouse=True)
def audited(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that used moto (``aws``), a ministack table (``on_ministack``) or the local
    stack: the invariant auditor (inventory and payments, and Stripe where the test used
    localstripe). Skipped when the test itself failed (its own failure says more) and for tests
    marked ``no_audit`` (those that break the books on purpose, to see the auditor find it).

    Cheap: the tables are the test's own (a few items); the local stack's is scanned once per test.
    """
    names = request.fixturenames
    if request.node.get_closest_marker('no_audit'):
        yield
        return
    # Set up what the audit reads BEFORE this fixture's yield, so it is torn down after the audit.
    store = next((name for name in ('aws', 'on_ministack') if name in names), None)
    if store:
        request.getfixturevalue(store)
    stripe_test = request.getfixturevalue('stripe_local') if store and 'stripe_local' in names else None
    yield
    if request.node.stash.get(_CALL_FAILED, True):
        return
    if store:
        if stripe_test is not None:  # the test may have pointed the application elsewhere
            point_stripe_at(stripe_test.url, stripe_test.key, stripe_test.webhook_secret)
        violations = audit.all_violations(deps(), stripe=stripe_test is not None)
    else:
        stacks = [v for v in request.node.funcargs.values() if isinstance(v, LocalStack)]
        violations = [v for stack in stacks if stack.process.poll() is None for v in audit_local_stack(stack)]
    assert not violations, 'the auditor found, after the test:\n' + '\n'.join(map(str, violations))
