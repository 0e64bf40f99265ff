"""Broken object-level authorisation: every route of the template that takes a booking id, called
by another guest, answers exactly what an unknown id answers (404), shows none of the booking's
data and changes nothing. The routes come from template.yaml, so routes added later are covered;
request bodies are built from each route's own schema."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import factories
from tests.support.api import Api, Reply
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances
from tests.support.routes import ApiRoute, api_routes

pytestmark = pytest.mark.usefixtures('aws')

BOOKING_ROUTES = [r for r in api_routes() if '{booking_id}' in r.path and not r.is_admin]


def call(api: Api, route: ApiRoute, booking_id: str, token: str) -> Reply:
    """The route with a body its schema accepts (the first candidate that passes validation)."""
    bodies = route.bodies() or [None]
    reply = None
    for body in bodies:
        reply = api.request(route.method, route.url(booking_id=booking_id), body, token=token)
        if reply.code != 'validation_error':
            return reply
    assert reply is not None
    return reply


@pytest.fixture
def room():
    return factories.room_type(factories.hotel(), total_rooms=4, open_days=6)


def test_every_booking_route_is_checked():
    paths = {r.id for r in BOOKING_ROUTES}
    assert {'GET /api/bookings/{booking_id}', 'POST /api/bookings/{booking_id}/cancel'} <= paths
    assert 'POST /api/bookings/{booking_id}/review' in paths


@pytest.mark.parametrize('confirmed', [False, True], ids=['pending', 'confirmed'])
@pytest.mark.parametrize('route', BOOKING_ROUTES, ids=[r.id for r in BOOKING_ROUTES])
def test_another_guests_booking_is_not_found_and_nothing_leaks_or_changes(api: Api, room, route, confirmed):
    # Given Alice's booking (held, or confirmed and already stayed: every route has something to do)
    alice = factories.user(email='alice@example.com', name='Alice Owner')
    booking = factories.booking(alice.id, room, datetime.now(UTC).date() + timedelta(days=2), nights=2)
    if confirmed:
        booking = factories.confirmed(booking)
    before = deps().bookings.get(booking.id)
    mallory = factories.token(factories.user(email='mallory@example.com', name='Mallory').id)
    # When Mallory calls the route with Alice's booking id, and with an id that does not exist
    stolen = call(api, route, booking.id, mallory)
    unknown = call(api, route, str(uuid.uuid4()), mallory)
    # Then both answers are the same 404, with nothing of Alice's booking in it
    assert (stolen.status, stolen.code) == (404, 'not_found'), stolen.body[:300]
    assert stolen.json == unknown.json, 'a difference would tell Mallory which ids exist'
    text = stolen.body.decode()
    leaked = [v for v in (booking.id, alice.id, alice.email, 'Alice', room.id, booking.hotel_id) if v in text]
    assert not leaked
    # and nothing changed
    assert deps().bookings.get(booking.id) == before
    assert deps().catalog.get_room_type(room.id).review_count == 0
    assert_inventory_balances()


def test_the_owner_reaches_the_same_booking_so_the_404s_above_are_about_ownership(api: Api, room):
    alice = factories.user(email='alice@example.com')
    booking = factories.booking(alice.id, room, datetime.now(UTC).date() + timedelta(days=2))
    reply = api.get(f'/api/bookings/{booking.id}', token=factories.token(alice.id))
    assert reply.status == 200
    assert reply.json['id'] == booking.id


def test_another_guests_bookings_are_not_listed(api: Api, room):
    alice = factories.user(email='alice@example.com')
    factories.booking(alice.id, room, datetime.now(UTC).date() + timedelta(days=2))
    mallory = factories.token(factories.user(email='mallory@example.com').id)
    assert api.get('/api/bookings', token=mallory).json == {'items': [], 'next_cursor': None}


def test_an_admin_token_does_not_open_guest_booking_routes_of_others(api: Api, room):
    # Booking routes are the guest's own; staff use /api/admin/... (their own checks and audit).
    from common.domain import Role

    alice = factories.user(email='alice@example.com')
    booking = factories.booking(alice.id, room, datetime.now(UTC).date() + timedelta(days=2))
    reply = api.get(f'/api/bookings/{booking.id}', token=factories.token(role=Role.ADMIN))
    assert (reply.status, reply.code) == (404, 'not_found')
