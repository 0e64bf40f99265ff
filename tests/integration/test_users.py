"""Profile and wishlist through the real users handler (API Gateway events) against moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from common.domain import RoomType
from tests.support import factories
from tests.support.api import Api
from tests.support.counting import count_calls
from tests.support.deps import deps

pytestmark = pytest.mark.usefixtures('aws')


@pytest.fixture
def ada():
    user = factories.user(email='ada@example.com', name='Ada Lovelace')
    return user, factories.token(user.id)


@pytest.fixture
def rooms() -> list[RoomType]:
    hotel = factories.hotel()
    return [
        factories.room_type(hotel, 'cheap-single', base_price=5000, open_days=0),
        factories.room_type(hotel, 'grand-suite', base_price=40000, open_days=0),
    ]


def test_me_shows_the_callers_own_profile_and_never_the_password(api: Api, ada):
    user, token = ada
    reply = api.get('/api/users/me', token=token)
    assert reply.status == 200
    assert reply.json == {
        'id': user.id,
        'email': 'ada@example.com',
        'name': 'Ada Lovelace',
        'role': 'guest',
        'created_at': reply.json['created_at'],
        'phone': None,
        'address': None,
    }
    assert 'argon2' not in reply.body.decode()


def test_patch_changes_only_the_fields_sent(api: Api, ada):
    _, token = ada
    first = api.patch(
        '/api/users/me', {'phone': ' +351 912 345 678 ', 'address': 'Rua do Cais 12, Lisboa'}, token=token
    )
    assert first.status == 200
    assert (first.json['name'], first.json['phone']) == ('Ada Lovelace', '+351 912 345 678')
    second = api.patch('/api/users/me', {'name': 'Ada King'}, token=token)
    assert (second.json['name'], second.json['phone'], second.json['address']) == (
        'Ada King',
        '+351 912 345 678',
        'Rua do Cais 12, Lisboa',
    )
    cleared = api.patch('/api/users/me', {'phone': None}, token=token)
    assert (cleared.json['phone'], cleared.json['address']) == (None, 'Rua do Cais 12, Lisboa')
    assert api.get('/api/users/me', token=token).json == cleared.json
    assert api.patch('/api/users/me', {}, token=token).json == cleared.json


def test_a_patch_costs_one_write_and_the_session_check(api: Api, ada, monkeypatch):
    _, token = ada
    with count_calls(monkeypatch) as calls:
        assert api.patch('/api/users/me', {'name': 'Ada King'}, token=token).status == 200
    assert calls.calls == {'GetItem': 1, 'UpdateItem': 1}


BAD_PATCHES = [
    ('email', {'email': 'evil@example.com'}),
    ('role', {'role': 'admin'}),
    ('password', {'password': 'a new password!'}),
    ('unknown field', {'nickname': 'A'}),
    ('name removed', {'name': None}),
    ('empty name', {'name': '   '}),
    ('name too long', {'name': 'A' * 101}),
    ('phone with letters', {'phone': 'call me maybe'}),
    ('address with control characters', {'address': 'Rua\x00 12'}),
    ('name not a string', {'name': 42}),
    ('not an object', ['name']),
]


@pytest.mark.parametrize(('case', 'body'), BAD_PATCHES, ids=[c for c, _ in BAD_PATCHES])
def test_bad_patches_are_refused_and_change_nothing(api: Api, ada, case, body):
    user, token = ada
    before = deps().accounts.get_user(user.id)
    reply = api.patch('/api/users/me', body, token=token)
    assert (reply.status, reply.code) == (422, 'validation_error'), reply.json
    assert deps().accounts.get_user(user.id) == before


def test_a_token_of_a_user_that_does_not_exist_finds_no_profile(api: Api):
    reply = api.get('/api/users/me', token=factories.token('ghost'))
    assert (reply.status, reply.code) == (404, 'not_found')
    assert api.patch('/api/users/me', {'name': 'Ghost'}, token=factories.token('ghost')).code == 'not_found'


def test_the_wishlist_adds_idempotently_and_lists_newest_first_with_current_prices(api: Api, ada, rooms):
    _, token = ada
    cheap, grand = rooms
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        added = api.post('/api/users/me/wishlist', {'room_type_id': cheap.id}, token=token)
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert api.post('/api/users/me/wishlist', {'room_type_id': grand.id}, token=token).status == 201
        again = api.post('/api/users/me/wishlist', {'room_type_id': cheap.id}, token=token)
    assert added.status == 201
    assert added.json == {
        'room_type_id': cheap.id,
        'hotel_id': cheap.hotel_id,
        'name': 'Test Room',
        'base_price': 5000,
        'currency': 'EUR',
        'added_at': added.json['added_at'],
    }
    assert (again.status, again.json) == (200, added.json), 'adding twice keeps the first entry'
    # the admin changes a price: the wishlist shows the current one
    deps().catalog.put_room_type(RoomType(**{**vars(grand), 'base_price': 45000}), create=False)
    listed = api.get('/api/users/me/wishlist', token=token).json['items']
    assert [(i['room_type_id'], i['base_price']) for i in listed] == [(grand.id, 45000), (cheap.id, 5000)]


@pytest.mark.parametrize(
    ('body', 'status', 'code'),
    [
        ({'room_type_id': 'no-such-room'}, 404, 'not_found'),
        ({'room_type_id': '../etc'}, 422, 'validation_error'),
        ({}, 422, 'validation_error'),
        ({'room_type_id': 'cheap-single', 'user_id': 'someone-else'}, 422, 'validation_error'),
    ],
)
def test_bad_wishlist_additions_are_refused_and_add_nothing(api: Api, ada, rooms, body, status, code):
    _, token = ada
    reply = api.post('/api/users/me/wishlist', body, token=token)
    assert (reply.status, reply.code) == (status, code)
    assert api.get('/api/users/me/wishlist', token=token).json == {'items': []}
