"""Fair holds and instant release through the real bookings and search handlers, against moto:
the answers (429 problems, Retry-After), Idempotency-Key replays, and DynamoDB calls per request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from common.config import settings
from common.domain import BookingStatus
from tests.support import factories
from tests.support.api import Api
from tests.support.counting import count_calls
from tests.support.deps import deps

pytestmark = pytest.mark.usefixtures('aws')


@pytest.fixture
def room():
    return factories.room_type(factories.hotel(), total_rooms=1)


def test_a_fourth_unpaid_hold_gets_429_too_many_holds_until_the_oldest_expires(api: Api, override_settings):
    override_settings(MAX_ACTIVE_HOLDS_PER_USER=3)
    room = factories.room_type(factories.hotel(), total_rooms=9)
    token = factories.token('hoarder')
    held = [api.hold(room.id, *factories.stay(days_ahead=3 + 2 * i, nights=1), token=token) for i in range(3)]
    assert [h.status for h in held] == [201, 201, 201]
    sent = datetime.now(UTC)
    refused = api.hold(room.id, *factories.stay(days_ahead=20, nights=1), token=token)
    answered = datetime.now(UTC)
    assert (refused.status, refused.code) == (429, 'too_many_holds')
    assert refused.header('Content-Type') == 'application/problem+json'
    # Retry-After: the seconds from the refusal until the oldest hold expires
    oldest = datetime.fromisoformat(held[0].json['hold_expires_at'])
    assert (
        (oldest - answered).total_seconds() <= int(refused.header('Retry-After')) <= (oldest - sent).total_seconds() + 1
    )
    assert refused.json['max_active_holds'] == 3


def test_an_idempotency_key_replay_does_not_count_twice(api: Api, room, override_settings):
    override_settings(HOLDS_PER_USER_PER_HOUR=2, MAX_ACTIVE_HOLDS_PER_USER=0)
    room = factories.room_type(factories.hotel(), total_rooms=9)
    token = factories.token('replayer')
    body = {'room_type_id': room.id, 'check_in': factories.stay(3)[0], 'check_out': factories.stay(3)[1], 'guests': 1}
    first = api.post('/api/bookings', body, token=token, headers={'Idempotency-Key': 'k-1'})
    replays = [api.post('/api/bookings', body, token=token, headers={'Idempotency-Key': 'k-1'}) for _ in range(3)]
    assert {r.json['id'] for r in replays} == {first.json['id']}
    assert api.hold(room.id, *factories.stay(5), token=token).status == 201  # the second attempt
    third = api.hold(room.id, *factories.stay(7), token=token)
    assert (third.status, third.code) == (429, 'too_many_hold_attempts')
    assert int(third.header('Retry-After')) <= 3600


def test_hold_attempts_per_client_ip(api: Api, override_settings):
    override_settings(HOLDS_PER_IP_PER_HOUR=2)
    room = factories.room_type(factories.hotel(), total_rooms=9)
    ip = '198.51.100.23'
    replies = [
        api.post(
            '/api/bookings',
            {
                'room_type_id': room.id,
                'check_in': factories.stay(3 + i)[0],
                'check_out': factories.stay(3 + i)[1],
                'guests': 1,
            },
            token=factories.token(),
            source_ip=ip,
        )
        for i in range(3)
    ]
    assert [(r.status, r.code) for r in replies] == [(201, None), (201, None), (429, 'too_many_hold_attempts')]


def test_a_hold_costs_the_same_calls_as_before_and_a_refusal_looks_for_due_holds_once(api: Api, room, monkeypatch):
    token = factories.token()
    stay = factories.stay(days_ahead=3, nights=2)
    # A hold: its slot and both attempt windows ride in its one transaction
    with count_calls(monkeypatch) as hold:
        assert api.hold(room.id, *stay, token=token).status == 201
    assert hold.calls == {'GetItem': 3, 'Query': 1, 'TransactWriteItems': 1}
    # Sold out with nothing due: one Query per pending shard, and the refused attempt counted
    with count_calls(monkeypatch) as refused:
        assert api.hold(room.id, *stay, token=factories.token()).code == 'sold_out'
    shards = settings().pending_shards
    assert refused.calls == {'GetItem': 3, 'Query': 1 + shards, 'TransactWriteItems': 1, 'UpdateItem': 2}


def test_a_due_hold_is_released_by_the_hold_it_stands_in_the_way_of(api: Api, room, monkeypatch):
    stay = factories.stay(days_ahead=3, nights=2)
    first = api.hold(room.id, *stay, token=factories.token()).json
    at_expiry = time_machine.travel(factories.after_expiry(first, seconds=0), tick=False)
    with at_expiry, count_calls(monkeypatch) as calls:
        second = api.hold(room.id, *stay, token=factories.token())
    assert second.status == 201
    assert deps().bookings.get(first['id']).status is BookingStatus.EXPIRED
    # refused, the index's due holds (a Query per shard), the release, the hold again
    assert calls['TransactWriteItems'] == 3
    assert calls['Query'] == 1 + settings().pending_shards


def test_search_counts_the_rooms_of_a_due_hold_and_costs_nothing_more_when_nothing_is_short(
    api: Api, room, monkeypatch
):
    stay = factories.stay(days_ahead=3, nights=2)
    query = {'check_in': stay[0], 'check_out': stay[1]}
    with count_calls(monkeypatch) as quiet:
        assert [r['available_rooms'] for r in api.get('/api/rooms/search', query=query).json['results']] == [1]
    held = api.hold(room.id, *stay, token=factories.token()).json
    assert api.get('/api/rooms/search', query=query).json['results'] == []
    at_expiry = time_machine.travel(factories.after_expiry(held, seconds=0), tick=False)
    with at_expiry, count_calls(monkeypatch) as short:
        found = api.get('/api/rooms/search', query=query).json['results']
    assert [r['available_rooms'] for r in found] == [1]
    assert short.calls == {'Query': quiet['Query'] + settings().pending_shards}
    assert deps().bookings.get(held['id']).status is BookingStatus.PENDING  # search changes nothing


def test_the_api_document_names_the_429s_of_a_hold(api: Api):
    responses = api.get('/api/openapi.json').json['paths']['/api/bookings']['post']['responses']
    assert '`too_many_holds`' in responses['429']['description']
    assert '`too_many_hold_attempts`' in responses['429']['description']
