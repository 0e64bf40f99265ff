"""The API contract: /api/openapi.json says exactly what the API accepts and answers.

schemathesis runs ALL its checks (not only "no server error": schema-valid requests accepted,
invalid ones refused, every status, header, content type and body as documented, 405 with Allow
for an undeclared method, required headers, auth not ignored, resources there after they are
created and gone after they are deleted) over every operation as a guest, and over the admin
operations as the admin, against a local stack of its own. A failure passes only when it is one
of the documented exceptions in tests/e2e/contract_exceptions.py, each with its reason.

CONTRACT_EXAMPLES raises the examples per operation for a longer run:
`CONTRACT_EXAMPLES=500 make contract`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from common.openapi import error_codes
from tests.e2e import contract_exceptions
from tests.support import factories
from tests.support.api import Api
from tests.support.fixtures import ROOT, LocalStack, start_stack, stop_local_stack

pytestmark = pytest.mark.e2e
EXAMPLES = int(os.environ.get('CONTRACT_EXAMPLES', '10'))
SEED = os.environ.get('CONTRACT_SEED', '20261125')


@pytest.fixture(scope='module')
def contract_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of the test's own: as the admin it deletes and reshapes hotels, room types and
    inventory, which the other end-to-end tests on the shared stack rely on. Its books are audited
    when it stops, like every stack's."""
    stack = start_stack(tmp_path_factory.mktemp('contract'))
    try:
        yield stack
    finally:
        stop_local_stack(stack)


def _guest_token(stack: LocalStack) -> str:
    credentials = {'email': f'{factories.unique("contract")}@example.com', 'password': 'contract password'}
    requests.post(f'{stack.url}/api/auth/register', json={**credentials, 'name': 'Contract'}, timeout=10)
    return requests.post(f'{stack.url}/api/auth/login', json=credentials, timeout=10).json()['access']


def _admin_token(stack: LocalStack) -> str:
    credentials = {'email': stack.admin_email, 'password': stack.admin_password}
    return requests.post(f'{stack.url}/api/auth/login', json=credentials, timeout=10).json()['access']


def keep_the_contract(contract_stack: LocalStack, tmp_path: Path, role: str, operations: list[str]) -> None:
    """schemathesis, all checks, as ``role`` over ``operations`` (all when empty); fails on any
    failure that is not a documented exception. Guest and admin runs are two test modules, so the
    suite's two workers run them at the same time (each on a stack of its own)."""
    token = _admin_token(contract_stack) if role == 'admin' else _guest_token(contract_stack)
    met = tmp_path / 'exceptions.ndjson'
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name('st')),
            'run',
            f'{contract_stack.url}/api/openapi.json',
            '--url',
            contract_stack.url,
            *operations,
            # Signing out everywhere ends the run's own session: every later call would be 401
            # (it has its own tests: tests/integration/test_auth.py).
            '--exclude-path',
            '/api/auth/logout-all',
            '--header',
            f'Authorization: Bearer {token}',
            '--checks',
            'all',
            '--max-examples',
            str(EXAMPLES),
            '--seed',
            SEED,
            # One worker: two threads in hypothesis's ast.parse hit CPython 3.11's
            # "AST constructor recursion depth mismatch" SystemError (CI, 2026-11-29).
            '--workers',
            '1',
            '--request-timeout',
            '30',
            '--suppress-health-check',
            'all',
            '--report',
            'junit',
            '--report-dir',
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **os.environ,
            'SCHEMATHESIS_HOOKS': 'tests.e2e.contract_exceptions',
            'CONTRACT_EXCEPTIONS_LOG': str(met),
        },
    )
    (tmp_path / 'schemathesis.txt').write_text(run.stdout + run.stderr)
    if met.exists():  # which documented exceptions this run met (shown with -s or on failure)
        seen = Counter(tuple(json.loads(line).values()) for line in met.read_text().splitlines())
        print(f'documented exceptions met ({role}):', *(f'  {n} x {key}' for key, n in seen.most_common()), sep='\n')
    # On failure: each failure (what was sent, what came back, how to reproduce) and the summary.
    failures = run.stdout.partition('= FAILURES =')[2].partition('= WARNINGS =')[0]
    summary = run.stdout.rpartition('= SUMMARY =')[2]
    assert run.returncode == 0, f'{failures[:12000]}\n{summary}\n{run.stderr[-2000:]}'


# schemathesis runs with one worker (see keep_the_contract): on a loaded 2-core machine a run passed
# the suite's 300 s default; the subprocess keeps its own 900 s bound.
@pytest.mark.timeout(960)
def test_every_operation_keeps_the_contract_as_a_guest(contract_stack: LocalStack, tmp_path: Path):
    # Every operation as a guest (the admin operations then answer 403, as documented).
    keep_the_contract(contract_stack, tmp_path, 'guest', [])


def test_every_documented_exception_names_an_operation_and_a_code_of_the_document():
    document = Api().get('/api/openapi.json').json
    operations = {f'{method.upper()} {path}' for path, item in document['paths'].items() for method in item}
    codes = {code for group in error_codes().values() for code in group}
    for exception in contract_exceptions.EXCEPTIONS:
        named = set(exception.operations) - {contract_exceptions.ANY_OPERATION}
        assert named <= operations, exception
        assert exception.code in codes, exception
        assert exception.reason, exception
        for operation in named:
            path, method = operation.split(' ', 1)[1], operation.split(' ', 1)[0].lower()
            documented = document['paths'][path][method]['responses']
            answered = {c for response in documented.values() for c in response.get('x-problem-codes', [])}
            assert exception.code in answered, f'{operation} does not document {exception.code}'
