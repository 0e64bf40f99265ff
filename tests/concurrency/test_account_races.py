"""Account races with real threads against ministack: the abuse limits hold exactly, concurrent
reviews keep the room type's counters right, and a refresh token raced by two holders ends the
session (DESIGN §11: moto is not safe for concurrent transactions)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from common.security import Argon2Passwords
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances
from tests.support.race import race

pytestmark = [pytest.mark.ministack, pytest.mark.usefixtures('on_ministack')]

PASSWORD = 'correct horse battery'


def test_thirty_racing_wrong_passwords_get_exactly_the_limit_of_guesses(api: Api, override_settings, monkeypatch):
    override_settings(LOGIN_FAILURES_PER_EMAIL=10)
    user = factories.user(email='target@example.com')
    checked = Counter()
    real = Argon2Passwords.verify
    monkeypatch.setattr(Argon2Passwords, 'verify', lambda self, *a: checked.update(['verify']) or real(self, *a))
    replies = race(30, lambda i: api.post('/api/auth/login', {'email': user.email, 'password': f'guess {i:04d}!'}))
    outcomes = Counter((r.status, r.code) for r in replies)
    assert outcomes == {(401, 'invalid_credentials'): 10, (429, 'too_many_attempts'): 20}, outcomes
    assert checked['verify'] == 10, 'no password was checked beyond the limit'


def test_racing_registrations_from_one_address_create_exactly_the_limit(api: Api, override_settings):
    override_settings(REGISTRATIONS_PER_IP=5)
    replies = race(
        16,
        lambda i: api.post('/api/auth/register', {'email': f'bot{i}@example.com', 'password': PASSWORD, 'name': 'Bot'}),
    )
    assert Counter(r.status for r in replies) == {201: 5, 429: 11}


def _after_stay(room, nights: int = 1) -> datetime:
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=2 + nights + 1), datetime.min.time(), UTC)


def test_concurrent_reviews_of_one_room_type_are_all_counted(api: Api):
    room = factories.room_type(factories.hotel(), total_rooms=20, open_days=10)
    guests = [factories.user(email=f'g{i}@example.com', name=f'G{i}') for i in range(16)]
    check_in = datetime.now(UTC).date() + timedelta(days=2)
    bookings = [factories.confirmed(factories.booking(g.id, room, check_in, nights=1)) for g in guests]
    ratings = [1 + i % 5 for i in range(16)]
    with time_machine.travel(_after_stay(room) + timedelta(hours=12), tick=True):
        tokens = [factories.token(g.id) for g in guests]
        replies = race(
            16,
            lambda i: api.post(f'/api/bookings/{bookings[i].id}/review', {'rating': ratings[i]}, token=tokens[i]),
        )
    assert [r.status for r in replies] == [201] * 16, [r.body[:200] for r in replies if r.status != 201]
    stored = deps().catalog.get_room_type(room.id)
    assert [r.json['rating'] for r in replies] == ratings
    assert (stored.review_count, stored.rating_sum) == (16, sum(ratings))
    assert len(deps().reviews.list_for_room_type(room.id, 100, None).items) == 16
    assert_inventory_balances()


def test_one_booking_reviewed_many_times_at_once_counts_once(api: Api):
    room = factories.room_type(factories.hotel(), total_rooms=2, open_days=10)
    guest = factories.user()
    booking = factories.confirmed(factories.booking(guest.id, room, datetime.now(UTC).date() + timedelta(days=2), 1))
    with time_machine.travel(_after_stay(room) + timedelta(hours=12), tick=True):
        token = factories.token(guest.id)
        replies = race(8, lambda i: api.post(f'/api/bookings/{booking.id}/review', {'rating': 5}, token=token))
    assert Counter((r.status, r.code) for r in replies) == {(201, None): 1, (409, 'already_reviewed'): 7}
    stored = deps().catalog.get_room_type(room.id)
    assert (stored.review_count, stored.rating_sum) == (1, 5)


def test_a_refresh_token_raced_by_two_holders_ends_the_session(api: Api):
    guest = factories.user()
    tokens = api.post('/api/auth/login', {'email': guest.email, 'password': PASSWORD}).json
    replies = race(8, lambda i: api.post('/api/auth/refresh', {'refresh': tokens['refresh']}))
    winners = [r for r in replies if r.status == 200]
    assert len(winners) == 1
    assert {(r.status, r.code) for r in replies if r.status != 200} == {(401, 'invalid_token')}
    # the losers' replay revoked the session: the winner's new tokens do not work either
    assert api.post('/api/auth/refresh', {'refresh': winners[0].json['refresh']}).status == 401
    assert api.get('/api/users/me', token=winners[0].json['access']).status == 401
