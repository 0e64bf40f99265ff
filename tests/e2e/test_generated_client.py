"""The OpenAPI document is enough to drive the API: a Python client generated from it (by
openapi-python-client, pinned in requirements/dev.in) registers, signs in, searches, holds, pays
and cancels against the local stack, with nothing but the generated code and the document."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from tests.support.fixtures import LocalStack

pytestmark = pytest.mark.e2e

CONFIG = """\
project_name_override: hotel-booking-client
package_name_override: hotel_client
post_hooks: []
"""


@pytest.fixture
def hotel_client(local_stack: LocalStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The generated package, importable as ``hotel_client``."""
    document = requests.get(f'{local_stack.url}/api/openapi.json', timeout=30).json()
    (tmp_path / 'openapi.json').write_text(json.dumps(document))
    (tmp_path / 'config.yaml').write_text(CONFIG)
    generated = subprocess.run(
        [
            str(Path(sys.executable).with_name('openapi-python-client')),
            'generate',
            '--path',
            str(tmp_path / 'openapi.json'),
            '--config',
            str(tmp_path / 'config.yaml'),
            '--meta',
            'none',
            '--output-path',
            str(tmp_path / 'hotel_client'),
            '--fail-on-warning',  # a schema it cannot turn into types fails the test
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert generated.returncode == 0, generated.stdout[-3000:] + generated.stderr[-3000:]
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module('hotel_client')
    for name in [m for m in sys.modules if m == 'hotel_client' or m.startswith('hotel_client.')]:
        del sys.modules[name]


def test_a_generated_client_books_pays_and_cancels(local_stack: LocalStack, hotel_client):
    from hotel_client.api.auth import login, register
    from hotel_client.api.bookings import cancel_booking, create_booking, get_booking
    from hotel_client.api.payments import checkout
    from hotel_client.api.search import search_rooms
    from hotel_client.models import (
        BookingOut,
        CheckoutBody,
        HoldBody,
        LoginBody,
        Problem,
        RegisterBody,
        SearchOut,
        TokenPairOut,
        UserOut,
    )

    guest = hotel_client.Client(base_url=local_stack.url, raise_on_unexpected_status=True)
    email, password = f'client-{uuid.uuid4().hex[:12]}@example.com', 'generated client password'

    user = register.sync(client=guest, body=RegisterBody(email=email, password=password, name='Client'))
    assert isinstance(user, UserOut) and user.email == email
    tokens = login.sync(client=guest, body=LoginBody(email=email, password=password))
    assert isinstance(tokens, TokenPairOut)
    signed_in = hotel_client.AuthenticatedClient(
        base_url=local_stack.url, token=tokens.access, raise_on_unexpected_status=True
    )

    check_in = date.today() + timedelta(days=40)
    check_out = check_in + timedelta(days=2)
    found = search_rooms.sync(client=guest, check_in=check_in, check_out=check_out, guests=2, city='Lisbon')
    assert isinstance(found, SearchOut) and found.results
    room = found.results[0]

    hold = HoldBody(room_type_id=room.room_type_id, check_in=check_in, check_out=check_out, guests=2)
    booking = create_booking.sync(client=signed_in, body=hold, idempotency_key=str(uuid.uuid4()))
    assert isinstance(booking, BookingOut), booking
    assert (booking.status.value, booking.total_amount) == ('PENDING', room.total_price)
    assert get_booking.sync(client=signed_in, booking_id=booking.id).id == booking.id

    paid = checkout.sync(client=signed_in, booking_id=booking.id, body=CheckoutBody(auto_confirm=True))
    assert (paid.status.value, paid.amount) == ('CONFIRMED', booking.total_amount), paid

    cancelled = cancel_booking.sync(client=signed_in, booking_id=booking.id)
    assert isinstance(cancelled, BookingOut), cancelled
    assert cancelled.status.value == 'CANCELLED'
    assert cancelled.refund.amount == paid.amount  # weeks before check-in: a full refund

    # A refusal comes back as the document's Problem, with its stable code.
    again = checkout.sync(client=signed_in, booking_id=booking.id, body=CheckoutBody(auto_confirm=True))
    assert isinstance(again, Problem) and again.code.value == 'already_cancelled'
