"""API fuzzing: schemathesis generates requests for every operation of /api/openapi.json and
sends them over HTTP to the local stack, signed in as a guest. Every answer must be documented
(status code, content type, body schema) and none may be a 5xx. FUZZ_EXAMPLES raises the
examples per operation for a longer run: `FUZZ_EXAMPLES=1000 make fuzz`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import factories
from tests.support.fixtures import LocalStack, start_stack, stop_local_stack

pytestmark = pytest.mark.e2e
EXAMPLES = int(os.environ.get('FUZZ_EXAMPLES', '12'))
CHECKS = 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance'


@pytest.fixture(scope='module')
def fuzzed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of the fuzzer's own: as the admin it deletes and reshapes hotels, room types and
    inventory, which the other end-to-end tests on the shared stack rely on."""
    stack = start_stack(tmp_path_factory.mktemp('fuzzed'))
    try:
        yield stack
    finally:
        stop_local_stack(stack)


def _guest_token(stack: LocalStack) -> str:
    email = f'{factories.unique("fuzz")}@example.com'
    credentials = {'email': email, 'password': 'fuzzing password'}
    requests.post(f'{stack.url}/api/auth/register', json={**credentials, 'name': 'Fuzz'}, timeout=10).raise_for_status()
    return requests.post(f'{stack.url}/api/auth/login', json=credentials, timeout=10).json()['access']


def _admin_token(stack: LocalStack) -> str:
    credentials = {'email': stack.admin_email, 'password': stack.admin_password}
    return requests.post(f'{stack.url}/api/auth/login', json=credentials, timeout=10).json()['access']


@pytest.mark.parametrize(
    ('role', 'operations'),
    [
        # Every operation as a guest (admin operations then answer 403, as documented).
        ('guest', []),
        # The admin operations as an admin, so their bodies and parameters reach the domain: random
        # hotels, room types, price rules and inventory ranges, on a stack whose books are audited
        # after the test like every other.
        ('admin', ['--include-path-regex', '^/api/admin/']),
    ],
)
def test_every_operation_answers_as_documented(
    fuzzed_stack: LocalStack, tmp_path: Path, role: str, operations: list[str]
):
    schemathesis = Path(sys.executable).with_name('st')
    token = _admin_token(fuzzed_stack) if role == 'admin' else _guest_token(fuzzed_stack)
    run = subprocess.run(
        [
            str(schemathesis),
            'run',
            f'{fuzzed_stack.url}/api/openapi.json',
            '--url',
            fuzzed_stack.url,
            *operations,
            '--header',
            f'Authorization: Bearer {token}',
            '--checks',
            CHECKS,
            '--max-examples',
            str(EXAMPLES),
            '--seed',
            '20261125',
            '--workers',
            '2',
            '--request-timeout',
            '30',
            '--suppress-health-check',
            'all',
            '--report',
            'junit',
            '--report-dir',
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, 'SCHEMATHESIS_HOOKS': ''},
    )
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert 'operations' in summary.lower() or 'passed' in summary.lower(), summary
