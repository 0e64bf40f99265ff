"""An unpaid hold running out on the payment page: the countdown reaches zero and the page says
the hold expired (and so does the booking, read again), on a stack whose holds last seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.test_web_journey import PASSWORD, _account, _day
from tests.support.browser import Site
from tests.support.fixtures import E2E_TARGET, LocalStack, start_stack, stop_local_stack

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(E2E_TARGET == 'emulated', reason='the site is served by make run (docs/run-emulated.md)'),
]
HOLD_SECONDS = 12  # time to sign in and reach the payment page, not much more


@pytest.fixture
def short_holds(tmp_path: Path) -> Iterator[LocalStack]:
    stack = start_stack(tmp_path, hold_seconds=HOLD_SECONDS, sweep_every=2)
    try:
        yield stack
    finally:
        stop_local_stack(stack)


def test_the_payment_page_shows_a_hold_that_expired(page: Any, short_holds: LocalStack):
    site = Site(page, short_holds.browser_url)
    email, token = _account(short_holds.url)
    site.open('/signin?next=/bookings')
    page.get_by_label('Email').fill(email)
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Sign in').click()
    page.get_by_role('heading', name='My bookings').wait_for()
    held = requests.post(
        f'{short_holds.url}/api/bookings',
        json={'room_type_id': 'lisbon-family-suite', 'check_in': _day(60), 'check_out': _day(62), 'guests': 2},
        headers={'Authorization': f'Bearer {token}'},
        timeout=10,
    )
    assert held.status_code == 201, held.text

    site.open(f'/bookings/{held.json()["id"]}/pay')
    page.get_by_role('timer').wait_for()
    expired = page.get_by_role('heading', name='This hold has expired')
    expired.wait_for(timeout=(HOLD_SECONDS + 10) * 1000)
    assert page.get_by_role('button', name='Pay').count() == 0  # the card form is gone
    site.check('expired-hold')

    # Read again, the booking itself says so
    page.reload()
    expired.wait_for()
    site.open(f'/bookings/{held.json()["id"]}')
    page.get_by_text('This hold expired before it was paid').wait_for()
    assert page.locator('[data-status]').get_attribute('data-status') == 'EXPIRED'
    assert site.blocked == [] and site.errors == []
