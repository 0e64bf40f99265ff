"""Holds that never outlive their expiry and that nobody can hoard, raced with real threads against
ministack (and localstripe), with time travel instead of waiting (docs/holds.md)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import stripe
import time_machine

from common.domain import BookingStatus
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_books_balance, point_stripe_at
from tests.support.race import race
from tests.support.stripe import StripeTest

pytestmark = [pytest.mark.ministack, pytest.mark.usefixtures('on_ministack')]


def available(room_type_id: str, check_in: str, check_out: str) -> list[int]:
    nights = deps().inventory.nights(
        room_type_id, date.fromisoformat(check_in), date.fromisoformat(check_out), consistent=True
    )
    return [n.available for n in nights]


def _body(room_type_id: str, stay: tuple[str, str]) -> dict:
    return {'room_type_id': room_type_id, 'check_in': stay[0], 'check_out': stay[1], 'guests': 1}


def test_the_last_room_held_past_its_expiry_is_sold_again_at_once_and_its_late_payment_refunded(
    api: Api, stripe_local: StripeTest
):
    # Given the last room, held with a PaymentIntent, and no sweeper at all
    room = factories.room_type(factories.hotel(), total_rooms=1)
    stay = factories.stay(days_ahead=10, nights=2)
    first_guest = factories.token('first')
    first = api.post('/api/bookings', _body(room.id, stay), token=first_guest).json
    pi = api.post(f'/api/bookings/{first["id"]}/checkout', token=first_guest).json['payment_intent_id']
    search = {'check_in': stay[0], 'check_out': stay[1]}
    assert api.get('/api/rooms/search', query=search).json['results'] == []
    # When time passes its hold_expires_at (no sweep has run)
    with time_machine.travel(factories.after_expiry(first, seconds=0), tick=False):
        # Then search shows the room available, and the first booking reads EXPIRED
        [found] = api.get('/api/rooms/search', query=search).json['results']
        assert found['available_rooms'] == 1
        first_guest = factories.token('first')
        assert api.get(f'/api/bookings/{first["id"]}', token=first_guest).json['status'] == 'EXPIRED'
        # And a second guest's hold gets 201 (Stripe unreachable at that moment: the first
        # PaymentIntent cannot be cancelled, the room is released anyway)
        point_stripe_at('http://127.0.0.1:9', stripe_local.key, stripe_local.webhook_secret)
        try:
            second = api.post('/api/bookings', _body(room.id, stay), token=factories.token('second'))
        finally:
            point_stripe_at(stripe_local.url, stripe_local.key, stripe_local.webhook_secret)
        assert second.status == 201, second.json
        assert deps().bookings.get(first['id']).status is BookingStatus.EXPIRED
        assert available(room.id, *stay) == [0, 0]
        assert_books_balance()
        # When the first guest's payment lands after all
        stripe_local.pay(pi)
        reply = stripe_local.deliver(api, stripe_local.event_for(pi, 'payment_intent.succeeded'))
    # Then it is refunded in full: the room is the second guest's
    assert reply.json['outcome'] == 'late_payment_refunded'
    stored = deps().bookings.get(first['id'])
    assert stored.status is BookingStatus.EXPIRED and stored.refund is not None
    assert (stored.refund.amount, stored.refund.penalty, stored.refund.reason) == (
        first['total_amount'],
        0,
        'rooms_no_longer_available',
    )
    assert [r['amount'] for r in stripe_local.refunds(pi)] == [first['total_amount']]
    assert_books_balance(stripe=True)


def test_a_due_hold_released_for_another_guest_cancels_its_payment_intent_first(api: Api, stripe_local: StripeTest):
    room = factories.room_type(factories.hotel(), total_rooms=1)
    stay = factories.stay(days_ahead=10, nights=1)
    first_guest = factories.token('first')
    first = api.post('/api/bookings', _body(room.id, stay), token=first_guest).json
    pi = api.post(f'/api/bookings/{first["id"]}/checkout', token=first_guest).json['payment_intent_id']
    with time_machine.travel(factories.after_expiry(first, seconds=0), tick=False):
        assert api.post('/api/bookings', _body(room.id, stay), token=factories.token('second')).status == 201
    assert stripe_local.intent(pi)['status'] == 'canceled'
    with pytest.raises(stripe.InvalidRequestError):
        stripe_local.pay(pi)  # the guest's card is never charged for a stay they no longer have


def test_forty_guests_racing_for_rooms_held_by_five_expired_holds_get_one_each(api: Api):
    # Given 5 rooms, all held by holds that expired a minute ago (not swept)
    room = factories.room_type(factories.hotel(), total_rooms=5)
    stay = factories.stay(days_ahead=10, nights=2)
    with time_machine.travel(datetime.now(UTC) - timedelta(minutes=16), tick=False):
        expired = [api.post('/api/bookings', _body(room.id, stay), token=factories.token(f'old-{i}')) for i in range(5)]
    assert [r.status for r in expired] == [201] * 5
    assert available(room.id, *stay) == [0, 0]
    tokens = [factories.token(f'guest-{i}') for i in range(40)]
    # When 40 guests want a room at once
    replies = race(40, lambda i: api.post('/api/bookings', _body(room.id, stay), token=tokens[i]))
    # Then exactly one 201 per room, every other answer sold out, no night below 0
    outcomes = Counter((r.status, r.code) for r in replies)
    assert outcomes == {(201, None): 5, (409, 'sold_out'): 35}, outcomes
    assert available(room.id, *stay) == [0, 0]
    # And each expired hold was released once (the books balance: a second release would not)
    assert {deps().bookings.get(r.json['id']).status for r in expired} == {BookingStatus.EXPIRED}
    assert_books_balance()


def test_one_account_with_a_cap_of_three_gets_three_holds_out_of_ten_parallel_tries(
    api: Api, stripe_local: StripeTest, override_settings
):
    override_settings(MAX_ACTIVE_HOLDS_PER_USER=3)
    room = factories.room_type(factories.hotel(), total_rooms=20)
    token = factories.token('hoarder')
    stays = [factories.stay(days_ahead=5 + i, nights=1) for i in range(20)]

    def hold(i: int, *, at: datetime | None = None):
        with time_machine.travel(at or datetime.now(UTC), tick=at is None):
            return api.post('/api/bookings', _body(room.id, stays[i]), token=factories.token('hoarder'))

    # 10 parallel holds by one account: exactly 3 held, 7 refused, none half-written
    replies = race(10, lambda i: api.post('/api/bookings', _body(room.id, stays[i]), token=token))
    outcomes = Counter((r.status, r.code) for r in replies)
    assert outcomes == {(201, None): 3, (429, 'too_many_holds'): 7}, outcomes
    refused = next(r for r in replies if r.status == 429)
    # Until the oldest hold expires, rounded up: a racing hold may have read the clock a fraction of
    # a second after the refused request, so its expiry can be 900.x s away (901).
    assert 0 < int(refused.header('Retry-After')) <= 901
    held = [r.json for r in replies if r.status == 201]
    assert sum(available(room.id, *s)[0] for s in stays[:10]) == 10 * 20 - 3
    # Cancelling one lets the next one through
    assert api.post(f'/api/bookings/{held[0]["id"]}/cancel', token=token).status == 200
    held[0] = hold(10).json
    assert hold(11).code == 'too_many_holds'
    # A paid booking does not count
    paid = api.post(f'/api/bookings/{held[1]["id"]}/checkout', {'auto_confirm': True}, token=token).json
    assert paid['status'] == 'CONFIRMED'
    held[1] = hold(12).json
    assert hold(13).code == 'too_many_holds'
    # An expired one frees its slot at once (no sweep): the oldest of the three is due
    oldest = min((h for h in held if h['status'] == 'PENDING'), key=lambda h: h['hold_expires_at'])
    at_expiry = factories.after_expiry(oldest, seconds=0)
    assert hold(14, at=at_expiry).status == 201
    assert deps().bookings.get(oldest['id']).status is BookingStatus.EXPIRED
    assert hold(15, at=at_expiry).code == 'too_many_holds'
    assert_books_balance(stripe=True)
