"""Reviews through the real handlers: posted on a booking (bookings function), listed per room type
(search function), counted on the room type in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from common.domain import BookingStatus
from tests.support import factories
from tests.support.api import Api
from tests.support.counting import count_calls
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances

pytestmark = pytest.mark.usefixtures('aws')

TODAY = datetime.now(UTC).date()


@pytest.fixture
def room():
    # In Auckland (UTC+13 in summer, +12 in winter) the date changes long before it does in UTC.
    hotel = factories.hotel(timezone='Pacific/Auckland')
    return factories.room_type(hotel, total_rooms=8, open_from=TODAY - timedelta(days=1), open_days=12)


@pytest.fixture
def guest():
    user = factories.user(email='ada@example.com', name='Ada Lovelace')
    return user


def stayed(user_id: str, room, nights: int = 2, starts_in: int = 2):
    """A CONFIRMED booking (confirmed through the domain's guarded transition)."""
    return factories.confirmed(factories.booking(user_id, room, TODAY + timedelta(days=starts_in), nights=nights))


def after_checkout(booking, days: int = 1) -> datetime:
    """Noon in Auckland, ``days`` after the check-out date."""
    local_noon = datetime.combine(booking.check_out + timedelta(days=days), datetime.min.time()).replace(hour=12)
    return local_noon.replace(tzinfo=ZoneInfo('Pacific/Auckland')).astimezone(UTC)


def post_review(api: Api, booking_id: str, user_id: str, body: dict | None = None):
    return api.post(
        f'/api/bookings/{booking_id}/review', body or {'rating': 4, 'comment': 'Lovely'}, token=factories.token(user_id)
    )


def test_a_guest_reviews_a_finished_stay_once_and_the_room_type_counts_it(api: Api, room, guest):
    booking = stayed(guest.id, room)
    with time_machine.travel(after_checkout(booking), tick=False):
        reply = post_review(api, booking.id, guest.id, {'rating': 4, 'comment': '  Quiet room, great view.  '})
        again = post_review(api, booking.id, guest.id, {'rating': 1})
    assert reply.status == 201, reply.json
    assert reply.json == {
        'id': reply.json['id'],
        'room_type_id': room.id,
        'rating': 4,
        'comment': 'Quiet room, great view.',
        'author': 'Ada',
        'created_at': reply.json['created_at'],
    }
    assert (again.status, again.code) == (409, 'already_reviewed')
    shown = api.get(f'/api/room-types/{room.id}').json
    assert (shown['average_rating'], shown['review_count']) == (4.0, 1)
    listed = api.get(f'/api/room-types/{room.id}/reviews').json
    assert listed == {'items': [reply.json], 'next_cursor': None}
    for private in (booking.id, guest.id, guest.email, 'Lovelace'):
        assert private not in api.get(f'/api/room-types/{room.id}/reviews').body.decode()


def test_the_hotels_time_zone_decides_not_utc(api: Api, room, guest):
    booking = stayed(guest.id, room)
    half_past_midnight_in_auckland = after_checkout(booking) - timedelta(hours=11, minutes=30)
    assert half_past_midnight_in_auckland.date() == booking.check_out, 'in UTC it is still the check-out date'
    with time_machine.travel(half_past_midnight_in_auckland, tick=False):
        assert post_review(api, booking.id, guest.id).status == 201


@pytest.mark.parametrize('status', [BookingStatus.PENDING, BookingStatus.CANCELLED, BookingStatus.EXPIRED])
def test_only_confirmed_stays_can_be_reviewed(api: Api, room, guest, status):
    booking = factories.booking(guest.id, room, TODAY + timedelta(days=2))
    if status is not BookingStatus.PENDING:
        deps().bookings.transition(booking, [BookingStatus.PENDING], status, datetime.now(UTC), release_rooms=True)
    with time_machine.travel(after_checkout(booking), tick=False):
        reply = post_review(api, booking.id, guest.id)
    assert (reply.status, reply.code) == (409, 'invalid_state')
    assert deps().catalog.get_room_type(room.id).review_count == 0
    assert_inventory_balances()


@pytest.mark.parametrize(
    'body',
    [
        {'rating': 0},
        {'rating': 6},
        {'rating': '5'},
        {'rating': 4.5},
        {'rating': True},
        {'comment': 'no rating'},
        {'rating': 3, 'comment': 'x' * 2001},
        {'rating': 3, 'comment': 'bell\x07'},
        {'rating': 3, 'author': 'The Management'},
        {'rating': 3, 'room_type_id': 'another-room'},
    ],
)
def test_bad_reviews_are_refused_and_count_nothing(api: Api, room, guest, body):
    booking = stayed(guest.id, room)
    with time_machine.travel(after_checkout(booking), tick=False):
        reply = post_review(api, booking.id, guest.id, body)
    assert (reply.status, reply.code) == (422, 'validation_error')
    assert deps().catalog.get_room_type(room.id).review_count == 0


def test_a_review_is_one_transaction_with_the_counters(api: Api, room, guest, monkeypatch):
    booking = stayed(guest.id, room)
    with time_machine.travel(after_checkout(booking), tick=False), count_calls(monkeypatch) as calls:
        assert post_review(api, booking.id, guest.id).status == 201
    # session, booking, hotel, the reviewer's name; then booking guard + review + counters at once
    assert calls.calls == {'GetItem': 4, 'TransactWriteItems': 1}


def test_reviews_are_listed_newest_first_a_page_at_a_time(api: Api, room):
    start = after_checkout(stayed('someone', room, nights=1))
    posted = []
    for i in range(5):
        user = factories.user(email=f'p{i}@example.com', name=f'Poster{i}')
        booking = stayed(user.id, room, nights=1)
        with time_machine.travel(start + timedelta(minutes=i), tick=False):
            posted.append(post_review(api, booking.id, user.id, {'rating': 1 + i}).json['id'])
    first = api.get(f'/api/room-types/{room.id}/reviews', query={'limit': 2}).json
    second = api.get(f'/api/room-types/{room.id}/reviews', query={'limit': 2, 'cursor': first['next_cursor']}).json
    third = api.get(f'/api/room-types/{room.id}/reviews', query={'limit': 2, 'cursor': second['next_cursor']}).json
    seen = [r['id'] for page in (first, second, third) for r in page['items']]
    assert seen == posted[::-1]
    assert (
        third['next_cursor'] is None
        or api.get(f'/api/room-types/{room.id}/reviews', query={'cursor': third['next_cursor']}).json['items'] == []
    )


def test_review_listings_refuse_unknown_room_types_and_foreign_cursors(api: Api, room):
    assert api.get('/api/room-types/no-such-room/reviews').code == 'not_found'
    other = factories.room_type(factories.hotel(), open_days=0)
    cursor_of_bookings = 'eyJnc2kxcGsiOnsiUyI6IlVTRVIjYWxpY2UjQk9PS0lOR1MifX0'
    for forged in (cursor_of_bookings, 'not-base64!'):
        reply = api.get(f'/api/room-types/{other.id}/reviews', query={'cursor': forged})
        assert (reply.status, reply.code) == (400, 'invalid_cursor')
    assert api.get(f'/api/room-types/{room.id}/reviews', query={'limit': 0}).code == 'validation_error'
