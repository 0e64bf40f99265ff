"""The local stack (`make run`'s process) over real HTTP: the README's walk-through."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import requests

from tests.support import factories
from tests.support.fixtures import ROOT, LocalStack, wait_for

pytestmark = pytest.mark.e2e
WALKTHROUGH = ROOT / 'docs' / 'walkthrough.sh'


def test_the_walkthrough_script_books_pays_and_cancels(local_stack: LocalStack):
    # The README's walk-through is docs/walkthrough.sh: run it as a newcomer would, with POSIX sh.
    env = {**os.environ, 'B': f'{local_stack.url}/api'}
    env.pop('EMAIL', None)
    for _ in range(2):  # a second run books again (a new guest and Idempotency-Key each time)
        run = subprocess.run(['sh', str(WALKTHROUGH)], env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        lines = run.stdout.splitlines()
        assert re.search(r': PENDING, until ', run.stdout), run.stdout
        assert any(line.strip().startswith('CONFIRMED: ') for line in lines), run.stdout
        assert re.search(r'^   CANCELLED, refund \d+ \w+$', run.stdout, re.M), run.stdout


def test_the_readme_shows_the_walkthrough_script_as_it_is():
    readme = (ROOT / 'README.md').read_text()
    section = readme.split('## Walk-through', 1)[1]
    shown = section.split('```sh', 1)[1].split('```', 1)[0].strip().splitlines()
    script = WALKTHROUGH.read_text().splitlines()
    assert shown and all(line in script for line in shown), [line for line in shown if line not in script]


def test_register_login_search_book_get_cancel(local_stack: LocalStack):
    base = f'{local_stack.url}/api'
    session = requests.Session()
    email = f'{factories.unique("guest")}@example.com'

    registered = session.post(
        f'{base}/auth/register', json={'email': email, 'password': 'a long password', 'name': 'Guest'}, timeout=10
    )
    assert registered.status_code == 201, registered.text
    tokens = session.post(f'{base}/auth/login', json={'email': email, 'password': 'a long password'}, timeout=10).json()
    session.headers['Authorization'] = f'Bearer {tokens["access"]}'

    check_in, check_out = factories.stay(days_ahead=20, nights=2)
    found = session.get(
        f'{base}/rooms/search',
        params={'check_in': check_in, 'check_out': check_out, 'guests': 2, 'city': 'Lisbon'},
        timeout=10,
    )
    assert found.status_code == 200
    results = found.json()['results']
    assert results and all(r['city'] == 'Lisbon' for r in results)
    choice = results[0]

    booked = session.post(
        f'{base}/bookings',
        json={'room_type_id': choice['room_type_id'], 'check_in': check_in, 'check_out': check_out, 'guests': 2},
        headers={'Idempotency-Key': factories.unique('key')},
        timeout=10,
    )
    assert booked.status_code == 201, booked.text
    booking = booked.json()
    assert booking['status'] == 'PENDING'
    assert booking['total_amount'] == choice['total_price']

    fetched = session.get(f'{base}/bookings/{booking["id"]}', timeout=10)
    assert fetched.json()['id'] == booking['id']
    listed = session.get(f'{base}/bookings/', timeout=10).json()['items']
    assert [b['id'] for b in listed] == [booking['id']]

    def held_in_search() -> bool:
        after = session.get(
            f'{base}/rooms/search',
            params={'check_in': check_in, 'check_out': check_out, 'guests': 2, 'city': 'Lisbon'},
            timeout=10,
        )
        same = next(r for r in after.json()['results'] if r['room_type_id'] == choice['room_type_id'])
        return same['available_rooms'] == choice['available_rooms'] - 1

    # search reads the availability view, which follows the stream within seconds (docs/search-view.md)
    wait_for(held_in_search, 15, 'the hold shown by search')

    cancelled = session.post(f'{base}/bookings/{booking["id"]}/cancel', timeout=10)
    assert cancelled.status_code == 200
    assert cancelled.json()['status'] == 'CANCELLED'


def test_errors_over_http_are_problem_json(local_stack: LocalStack):
    reply = requests.post(f'{local_stack.url}/api/bookings', json={}, timeout=10)
    assert reply.status_code == 401
    assert reply.headers['Content-Type'] == 'application/problem+json'
    assert reply.json()['code'] == 'unauthorized'
    missing = requests.get(f'{local_stack.url}/api/nope', timeout=10)
    assert missing.status_code == 404 and missing.json()['code'] == 'route_not_found'


def test_the_seeded_admin_can_log_in(local_stack: LocalStack):
    reply = requests.post(
        f'{local_stack.url}/api/auth/login',
        json={'email': local_stack.admin_email, 'password': local_stack.admin_password},
        timeout=10,
    )
    assert reply.status_code == 200


def test_a_second_stack_runs_beside_the_first_and_stops_all_its_children(local_stack: LocalStack, tmp_path):
    import os
    import re
    import time

    from tests.support.fixtures import start_local_stack, stop_local_stack

    second = start_local_stack(tmp_path)
    try:
        assert second.url != local_stack.url
        assert requests.get(f'{second.url}/api/health', timeout=5).status_code == 200
        assert requests.get(f'{local_stack.url}/api/health', timeout=5).status_code == 200
        child = int(re.search(r'ministack, pid (\d+)', second.log()).group(1))
    finally:
        stop_local_stack(second)
    assert second.process.returncode == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f'ministack child {child} still running after the stack stopped')
    assert requests.get(f'{local_stack.url}/api/health', timeout=5).status_code == 200


def test_the_auditor_finds_the_local_books_balanced(local_stack: LocalStack):
    import os
    import re
    import subprocess
    import sys

    endpoint, table = re.search(r'make audit ENDPOINT=(\S+) TABLE=(\S+)', local_stack.log()).groups()
    # ministack's root credentials (make run-emulated enforces IAM; other keys are refused)
    credentials = {'AWS_ACCESS_KEY_ID': 'test', 'AWS_SECRET_ACCESS_KEY': 'test'}
    env = {k: v for k, v in os.environ.items() if k not in ('AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN')}
    run = subprocess.run(
        [sys.executable, '-m', 'local.audit', '--endpoint', endpoint, '--table', table],
        env={**env, **credentials},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert '0 violation(s)' in run.stdout
