"""The admin API's catalogue (hotels, room types, price rules) through the real admin handler
(API Gateway events from the local gateway) against moto."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from common import errors, wiring
from common.config import settings
from common.domain import Role
from common.observability import logger
from common.sale_window import LEAD_NIGHTS
from common.tables import HotelItem, PriceRuleItem, RoomTypeItem, RuleRefItem
from local import cfn
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps

ADMIN_ROUTES = [r for r in cfn.routes() if r.path.startswith('/api/admin/')]
HOTEL = {'id': 'porto', 'name': 'Riverside', 'city': 'Porto', 'currency': 'EUR', 'timezone': 'Europe/Lisbon'}
ROOM = {'id': 'river-king', 'hotel_id': 'porto', 'name': 'River King', 'capacity': 2, 'base_price': 15000}


@pytest.fixture
def admin() -> str:
    return factories.token('admin-7', Role.ADMIN)


KINDS = {
    HotelItem: ('HOTEL#', 'META'),
    RoomTypeItem: ('ROOMTYPE#', 'META'),
    PriceRuleItem: ('HOTEL#', 'RULE#'),
    RuleRefItem: ('RULE#', 'REF'),
}


def count(model) -> int:
    """Items of one kind in the single table (a test-only scan)."""
    pk_prefix, sk_prefix = KINDS[model]
    return sum(1 for _ in model.scan(model.pk.startswith(pk_prefix) & model.sk.startswith(sk_prefix)))


# ---------------------------------------------------------------- authorisation


def test_the_template_declares_every_admin_route_of_the_design():
    declared = {(r.method, r.path) for r in ADMIN_ROUTES}
    assert declared == {
        ('GET', '/api/admin/hotels'),
        ('POST', '/api/admin/hotels'),
        ('GET', '/api/admin/hotels/{hotel_id}'),
        ('PATCH', '/api/admin/hotels/{hotel_id}'),
        ('DELETE', '/api/admin/hotels/{hotel_id}'),
        ('GET', '/api/admin/room-types'),
        ('POST', '/api/admin/room-types'),
        ('GET', '/api/admin/room-types/{room_type_id}'),
        ('PATCH', '/api/admin/room-types/{room_type_id}'),
        ('DELETE', '/api/admin/room-types/{room_type_id}'),
        ('GET', '/api/admin/hotels/{hotel_id}/inventory'),
        ('PUT', '/api/admin/room-types/{room_type_id}/inventory'),
        ('GET', '/api/admin/price-rules'),
        ('POST', '/api/admin/price-rules'),
        ('GET', '/api/admin/price-rules/{rule_id}'),
        ('PATCH', '/api/admin/price-rules/{rule_id}'),
        ('DELETE', '/api/admin/price-rules/{rule_id}'),
        ('GET', '/api/admin/pricing/preview'),
        ('GET', '/api/admin/hotels/{hotel_id}/rate-plans'),
        ('POST', '/api/admin/hotels/{hotel_id}/rate-plans'),
        ('GET', '/api/admin/hotels/{hotel_id}/rate-plans/{code}'),
        ('PATCH', '/api/admin/hotels/{hotel_id}/rate-plans/{code}'),
        ('DELETE', '/api/admin/hotels/{hotel_id}/rate-plans/{code}'),
        ('GET', '/api/admin/hotels/{hotel_id}/taxes'),
        ('PUT', '/api/admin/hotels/{hotel_id}/taxes'),
        ('GET', '/api/admin/hotels/{hotel_id}/promo-codes'),
        ('POST', '/api/admin/hotels/{hotel_id}/promo-codes'),
        ('GET', '/api/admin/hotels/{hotel_id}/promo-codes/{code}'),
        ('PATCH', '/api/admin/hotels/{hotel_id}/promo-codes/{code}'),
        ('DELETE', '/api/admin/hotels/{hotel_id}/promo-codes/{code}'),
        ('GET', '/api/admin/bookings'),
        ('GET', '/api/admin/reports/occupancy'),
    }
    assert {r.function for r in ADMIN_ROUTES} == {'AdminFunction'}


@pytest.mark.parametrize('route', ADMIN_ROUTES, ids=lambda r: f'{r.method} {r.path}')
def test_every_admin_route_refuses_a_guest_with_403_and_no_token_with_401(api: Api, route: cfn.Route):
    # No database here (no moto): a route that read anything before checking the caller would fail.
    path = re.sub(r'\{\w+\}', 'some-id', route.path)
    # A body that would fail validation: the caller is checked first, so it is never reported.
    body = {'unknown_field': True} if route.method in {'POST', 'PUT', 'PATCH'} else None
    anonymous = api.request(route.method, path, body)
    assert (anonymous.status, anonymous.code) == (401, 'unauthorized')
    assert anonymous.header('WWW-Authenticate') == 'Bearer'
    guest = api.request(route.method, path, body, token=factories.token('guest-1', Role.GUEST))
    assert (guest.status, guest.code) == (403, 'forbidden')
    assert 'errors' not in guest.json


# ---------------------------------------------------------------- hotels


@pytest.mark.usefixtures('aws')
def test_an_admin_creates_reads_lists_updates_and_deletes_a_hotel(api: Api, admin: str):
    created = api.post('/api/admin/hotels', HOTEL, token=admin)
    assert created.status == 201, created.json
    assert created.header('Location') == '/api/admin/hotels/porto'
    assert created.json == {
        **HOTEL,
        'address': '',
        'check_in_hour': settings().check_in_hour,
        'check_out_hour': settings().check_out_hour,
        'phone': None,
        'notification_email': None,
    }
    assert api.get('/api/admin/hotels/porto', token=admin).json == created.json
    assert [h['id'] for h in api.get('/api/admin/hotels', token=admin).json['items']] == ['porto']

    changed = api.request('PATCH', '/api/admin/hotels/porto', {'city': 'Gaia', 'check_in_hour': 14}, token=admin)
    assert changed.status == 200
    assert (changed.json['city'], changed.json['check_in_hour'], changed.json['name']) == ('Gaia', 14, 'Riverside')
    # the public catalogue (another function, same warm process) sees it at once
    assert api.get('/api/hotels', query={'city': 'gaia'}).json['items'][0]['id'] == 'porto'

    assert api.request('DELETE', '/api/admin/hotels/porto', token=admin).status == 204
    assert api.get('/api/admin/hotels/porto', token=admin).code == 'not_found'
    assert api.request('DELETE', '/api/admin/hotels/porto', token=admin).code == 'not_found'


@pytest.mark.usefixtures('aws')
@pytest.mark.parametrize(
    ('body', 'status', 'code'),
    [
        ({**HOTEL, 'timezone': 'Mars/Olympus'}, 422, 'validation_error'),
        ({**HOTEL, 'currency': 'euro'}, 422, 'validation_error'),
        ({**HOTEL, 'id': 'Not A Slug'}, 422, 'validation_error'),
        ({**HOTEL, 'check_in_hour': 24}, 422, 'validation_error'),
        ({**HOTEL, 'check_in_hour': '15'}, 422, 'validation_error'),
        ({**HOTEL, 'check_out_hour': 24}, 422, 'validation_error'),
        ({**HOTEL, 'room_types': 0}, 422, 'validation_error'),
        ({k: v for k, v in HOTEL.items() if k != 'name'}, 422, 'validation_error'),
        ({**HOTEL, 'phone': 'call us'}, 422, 'validation_error'),
        ({**HOTEL, 'notification_email': 'reservations'}, 422, 'validation_error'),
        ({**HOTEL, 'notification_email': 'a@b.com\nBcc: x@y.com'}, 422, 'validation_error'),
    ],
    ids=[
        'timezone',
        'currency',
        'slug',
        'hour',
        'hour as text',
        'check-out hour',
        'unknown field',
        'missing name',
        'phone',
        'email',
        'header injection',
    ],
)
def test_a_bad_hotel_is_refused_and_nothing_is_written(api: Api, admin: str, body, status, code):
    reply = api.post('/api/admin/hotels', body, token=admin)
    assert (reply.status, reply.code) == (status, code)
    assert reply.header('Content-Type') == 'application/problem+json'
    assert count(HotelItem) == 0


@pytest.mark.usefixtures('aws')
def test_a_hotel_has_a_phone_for_guests_and_a_notification_email_for_its_staff_only(api: Api, admin: str):
    contact = {'phone': '+351 222 000 111', 'notification_email': 'reservations@riverside.example'}
    created = api.post('/api/admin/hotels', {**HOTEL, **contact, 'check_out_hour': 12}, token=admin)
    assert created.status == 201, created.json
    assert {k: created.json[k] for k in (*contact, 'check_out_hour')} == {**contact, 'check_out_hour': 12}
    # guests see the phone and the check-out hour, never where the staff's notices go
    public = api.get('/api/hotels/porto').json
    assert (public['phone'], public['check_out_hour']) == (contact['phone'], 12)
    assert 'notification_email' not in public
    # null clears them
    cleared = api.request('PATCH', '/api/admin/hotels/porto', {'phone': None, 'notification_email': None}, token=admin)
    assert (cleared.json['phone'], cleared.json['notification_email']) == (None, None)
    assert deps().catalog.get_hotel('porto').notification_email is None


@pytest.mark.usefixtures('aws')
def test_a_hotel_change_is_logged_with_its_addresses_masked(api: Api, admin: str, caplog):
    api.post('/api/admin/hotels', HOTEL, token=admin)
    change = {'phone': '+351 222 000 111', 'notification_email': 'reservations@riverside.example'}
    with caplog.at_level(logging.INFO, logger=logger.name):
        assert api.request('PATCH', '/api/admin/hotels/porto', change, token=admin).status == 200
    text = '\n'.join(logger.registered_formatter.format(r) for r in caplog.records)
    assert 'reservations@riverside.example' not in text and '222 000 111' not in text
    [line] = [json.loads(logger.registered_formatter.format(r)) for r in caplog.records if r.msg == 'admin change']
    assert line['changes'] == {'phone': '***11', 'notification_email': 'r***@r***.example'}


@pytest.mark.usefixtures('aws')
def test_a_hotel_id_is_taken_once(api: Api, admin: str):
    assert api.post('/api/admin/hotels', HOTEL, token=admin).status == 201
    again = api.post('/api/admin/hotels', {**HOTEL, 'name': 'Other'}, token=admin)
    assert (again.status, again.code) == (409, 'already_exists')
    assert api.get('/api/admin/hotels/porto', token=admin).json['name'] == 'Riverside'


@pytest.mark.usefixtures('aws')
@pytest.mark.parametrize(
    'body',
    [
        {},
        {'name': None},
        {'timezone': 'Nowhere/City'},
        {'id': 'renamed'},
        {'check_in_hour': -1},
        {'check_out_hour': None},
        {'notification_email': 'not an address'},
    ],
    ids=['empty', 'null name', 'bad timezone', 'id is not patchable', 'hour', 'null check-out hour', 'email'],
)
def test_a_bad_hotel_patch_changes_nothing(api: Api, admin: str, body):
    api.post('/api/admin/hotels', HOTEL, token=admin)
    reply = api.request('PATCH', '/api/admin/hotels/porto', body, token=admin)
    assert (reply.status, reply.code) == (422, 'validation_error')
    assert api.get('/api/admin/hotels/porto', token=admin).json['timezone'] == 'Europe/Lisbon'


@pytest.mark.ministack  # a year of nights deleted and put back: seconds on ministack, 20 s on moto
@pytest.mark.usefixtures('on_ministack')
def test_a_hotel_with_room_types_keeps_its_currency_and_cannot_be_deleted(api: Api, admin: str):
    api.post('/api/admin/hotels', HOTEL, token=admin)
    api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 2}, token=admin)
    rule = api.post(
        '/api/admin/price-rules',
        {'name': 'All', 'hotel_id': 'porto', 'adjustment': {'type': 'amount', 'value': 5}},
        token=admin,
    ).json

    currency = api.request('PATCH', '/api/admin/hotels/porto', {'currency': 'GBP'}, token=admin)
    assert (currency.status, currency.code) == (409, 'hotel_not_empty')
    refused = api.request('DELETE', '/api/admin/hotels/porto', token=admin)
    assert (refused.status, refused.code) == (409, 'hotel_not_empty')
    assert api.get('/api/admin/hotels/porto', token=admin).json['currency'] == 'EUR'

    assert api.request('DELETE', '/api/admin/room-types/river-king', token=admin).status == 204
    assert api.request('PATCH', '/api/admin/hotels/porto', {'currency': 'GBP'}, token=admin).json['currency'] == 'GBP'
    assert api.request('DELETE', '/api/admin/hotels/porto', token=admin).status == 204
    # its price rules went with it
    assert api.get(f'/api/admin/price-rules/{rule["id"]}', token=admin).code == 'not_found'
    assert (count(PriceRuleItem), count(RuleRefItem)) == (0, 0)


# ---------------------------------------------------------------- room types


@pytest.fixture
def porto(api: Api, admin: str) -> dict:
    return api.post('/api/admin/hotels', HOTEL, token=admin).json


@pytest.mark.usefixtures('aws')
def test_creating_a_room_type_opens_its_allotment_for_the_whole_sale_window(api: Api, admin: str, porto):
    created = api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 4, 'amenities': ['wifi']}, token=admin)
    assert created.status == 201, created.json
    assert created.header('Location') == '/api/admin/room-types/river-king'
    assert created.json['currency'] == 'EUR' and created.json['total_rooms'] == 4
    assert created.json['default_allotment'] == 4  # total_rooms when not given
    nights = deps().inventory.all_nights('river-king')
    today = datetime.now(UTC).astimezone(deps().catalog.get_hotel('porto').tz).date()
    # the window, and the one night of lead the daily housekeeping keeps (common.sale_window)
    last = today + timedelta(days=settings().sale_window_days + LEAD_NIGHTS)
    assert (nights[0].date, nights[-1].date, len(nights)) == (today, last, (last - today).days + 1)
    assert {(n.allotment, n.available, n.stop_sell) for n in nights} == {(4, 4, False)}
    # bookable at once through the public API
    check_in, check_out = factories.stay(days_ahead=3, nights=2)
    found = api.get('/api/rooms/search', query={'check_in': check_in, 'check_out': check_out, 'hotel_id': 'porto'})
    assert [r['room_type_id'] for r in found.json['results']] == ['river-king']


@pytest.mark.usefixtures('aws')
@pytest.mark.parametrize(
    ('change', 'status', 'code'),
    [
        ({'hotel_id': 'nowhere'}, 422, 'invalid_reference'),
        ({'currency': 'GBP'}, 422, 'validation_error'),
        ({'capacity': 0}, 422, 'validation_error'),
        ({'base_price': -1}, 422, 'validation_error'),
        ({'base_price': 150.5}, 422, 'validation_error'),
        ({'total_rooms': None}, 422, 'validation_error'),
        ({'default_allotment': -1}, 422, 'validation_error'),
        ({'default_allotment': 10_001}, 422, 'validation_error'),
        ({'default_allotment': '4'}, 422, 'validation_error'),
        ({'images': ['http://insecure.example/x.jpg']}, 422, 'validation_error'),
        ({'average_rating': 5}, 422, 'validation_error'),
    ],
    ids=[
        'unknown hotel',
        'other currency',
        'capacity',
        'negative price',
        'float price',
        'null rooms',
        'negative default allotment',
        'huge default allotment',
        'string default allotment',
        'http',
        'rating',
    ],
)
def test_a_bad_room_type_is_refused_and_nothing_is_written(api: Api, admin: str, porto, change, status, code):
    reply = api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 3, **change}, token=admin)
    assert (reply.status, reply.code) == (status, code)
    assert count(RoomTypeItem) == 0
    assert deps().inventory.all_nights('river-king') == []


@pytest.mark.usefixtures('aws')
def test_a_room_type_id_is_taken_once(api: Api, admin: str, porto):
    assert api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 3}, token=admin).status == 201
    again = api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 9}, token=admin)
    assert (again.status, again.code) == (409, 'already_exists')
    assert {n.allotment for n in deps().inventory.all_nights('river-king')} == {3}
    assert deps().catalog.get_hotel('porto') and HotelItem.get(*HotelItem.key('porto')).room_types == 1


@pytest.mark.usefixtures('aws')
def test_default_allotment_is_the_allotment_of_nights_opened_later_and_existing_nights_keep_theirs(
    api: Api, admin: str, porto
):
    api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 3}, token=admin)
    # total_rooms alone is the room count: new nights keep the default the room type was created with
    changed = api.request(
        'PATCH', '/api/admin/room-types/river-king', {'total_rooms': 5, 'view_type': None}, token=admin
    )
    assert changed.status == 200
    assert (changed.json['total_rooms'], changed.json['view_type'], changed.json['name']) == (5, None, 'River King')
    assert changed.json['default_allotment'] == 3
    changed = api.request('PATCH', '/api/admin/room-types/river-king', {'default_allotment': 4}, token=admin)
    assert (changed.status, changed.json['default_allotment']) == (200, 4)
    assert {n.allotment for n in deps().inventory.all_nights('river-king')} == {3}
    # a night opened afterwards (here by the inventory endpoint) gets the new default
    far = date.today() + timedelta(days=settings().sale_window_days + 10)
    api.request(
        'PUT',
        '/api/admin/room-types/river-king/inventory',
        {'start_date': far.isoformat(), 'end_date': (far + timedelta(days=1)).isoformat(), 'stop_sell': False},
        token=admin,
    )
    assert deps().inventory.nights('river-king', far, far + timedelta(days=1))[0].allotment == 4


@pytest.mark.usefixtures('aws')
def test_a_room_type_created_with_a_default_allotment_opens_its_window_with_it(api: Api, admin: str, porto):
    created = api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 6, 'default_allotment': 4}, token=admin)
    assert (created.status, created.json['total_rooms'], created.json['default_allotment']) == (201, 6, 4)
    assert {(n.allotment, n.available) for n in deps().inventory.all_nights('river-king')} == {(4, 4)}


@pytest.mark.usefixtures('aws')
@pytest.mark.parametrize(
    'body',
    [
        {},
        {'name': None},
        {'hotel_id': 'other'},
        {'currency': 'GBP'},
        {'capacity': 'two'},
        {'rating_sum': 9},
        {'default_allotment': None},
        {'default_allotment': -2},
    ],
)
def test_a_bad_room_type_patch_changes_nothing(api: Api, admin: str, porto, body):
    api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 3}, token=admin)
    reply = api.request('PATCH', '/api/admin/room-types/river-king', body, token=admin)
    assert (reply.status, reply.code) == (422, 'validation_error')
    assert api.get('/api/admin/room-types/river-king', token=admin).json['name'] == 'River King'


@pytest.mark.usefixtures('aws')
def test_a_patch_keeps_review_counts_written_meanwhile(api: Api, admin: str, porto):
    api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 3}, token=admin)
    # a review lands (another function moves the rating counters in place)
    RoomTypeItem(*RoomTypeItem.key('river-king')).update(
        actions=[RoomTypeItem.rating_sum.add(5), RoomTypeItem.review_count.add(1)]
    )
    api.request('PATCH', '/api/admin/room-types/river-king', {'base_price': 16000}, token=admin)
    after = api.get('/api/admin/room-types/river-king', token=admin).json
    assert (after['base_price'], after['review_count'], after['average_rating']) == (16000, 1, 5.0)


@pytest.mark.ministack  # a year of nights deleted and put back: seconds on ministack, 20 s on moto
@pytest.mark.usefixtures('on_ministack')
def test_a_room_type_with_rooms_held_cannot_be_deleted_until_they_are_released(api: Api, admin: str, porto):
    api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 3}, token=admin)
    own_rule = api.post(
        '/api/admin/price-rules',
        {'name': 'Own', 'room_type_id': 'river-king', 'adjustment': {'type': 'amount', 'value': 100}},
        token=admin,
    ).json
    guest = factories.token('guest-9')
    check_in, check_out = factories.stay(days_ahead=4, nights=2)
    booking = api.post(
        '/api/bookings',
        {'room_type_id': 'river-king', 'check_in': check_in, 'check_out': check_out, 'guests': 2},
        token=guest,
    ).json

    refused = api.request('DELETE', '/api/admin/room-types/river-king', token=admin)
    assert (refused.status, refused.code) == (409, 'has_bookings')
    assert refused.json['nights'] == [check_in, (date.fromisoformat(check_in) + timedelta(days=1)).isoformat()]
    assert len(deps().inventory.all_nights('river-king')) == settings().sale_window_days + LEAD_NIGHTS + 1

    assert api.post(f'/api/bookings/{booking["id"]}/cancel', token=guest).json['status'] == 'CANCELLED'
    assert api.request('DELETE', '/api/admin/room-types/river-king', token=admin).status == 204
    assert deps().inventory.all_nights('river-king') == []
    assert api.get('/api/room-types/river-king').code == 'not_found'
    assert api.get(f'/api/admin/price-rules/{own_rule["id"]}', token=admin).code == 'not_found'
    # the guest's history stays readable (bookings carry what they need)
    assert api.get(f'/api/bookings/{booking["id"]}', token=guest).json['room_type_id'] == 'river-king'
    again = api.post(
        '/api/bookings',
        {'room_type_id': 'river-king', 'check_in': check_in, 'check_out': check_out, 'guests': 2},
        token=guest,
    )
    assert again.code == 'not_found'
    assert HotelItem.get(*HotelItem.key('porto')).room_types == 0


@pytest.mark.ministack  # a year of nights deleted and put back: seconds on ministack, 20 s on moto
@pytest.mark.usefixtures('on_ministack')
def test_a_hold_that_lands_while_a_room_type_is_deleted_stops_the_deletion_and_nothing_is_lost(admin: str):
    # Given the admin's check saw nothing held (a consistent read) ...
    hotel = factories.hotel()
    room = factories.room_type(hotel, total_rooms=2, open_days=250)
    seen = deps().inventory.all_nights(room.id)
    # ... and then a guest holds a room on a night in the third block of 100 nights
    night = seen[210].date
    booking = factories_booking(room.id, night)
    # When the deletion runs on what the admin saw
    with pytest.raises(errors.HasBookings):
        deps().catalog.delete_room_type(room, seen)
    # Then it stops, puts back the nights it had already deleted, and keeps the room type
    after = deps().inventory.all_nights(room.id)
    assert len(after) == 250
    assert [n.available for n in after if n.date == night] == [1]
    assert deps().catalog.get_room_type(room.id).id == room.id
    assert deps().bookings.get(booking.id).status.value == 'PENDING'


def factories_booking(room_type_id: str, night: date):
    from common.domain import Principal
    from common.services import bookings

    request = bookings.HoldRequest(room_type_id, night, night + timedelta(days=1), guests=1)
    return bookings.hold(deps(), Principal('guest-race', Role.GUEST), request, datetime.now(UTC))


# ---------------------------------------------------------------- price rules


WEEKEND = {
    'name': 'Weekend',
    'hotel_id': 'porto',
    'weekdays': [6, 5],
    'adjustment': {'type': 'percent', 'value': 20},
    'priority': 20,
}


@pytest.mark.usefixtures('aws')
def test_an_admin_manages_price_rules_with_server_assigned_ids(api: Api, admin: str, porto):
    api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 3}, token=admin)
    created = api.post('/api/admin/price-rules', WEEKEND, token=admin)
    assert created.status == 201, created.json
    rule = created.json
    assert re.fullmatch(r'rule-[0-9a-f]{16}', rule['id'])
    assert created.header('Location') == f'/api/admin/price-rules/{rule["id"]}'
    assert (rule['weekdays'], rule['room_type_id'], rule['version'], rule['updated_by']) == ([5, 6], None, 1, 'admin-7')
    assert api.get(f'/api/admin/price-rules/{rule["id"]}', token=admin).json == rule

    season = api.post(
        '/api/admin/price-rules',
        {
            'name': 'Season',
            'room_type_id': 'river-king',
            'start_date': '2027-06-01',
            'end_date': '2027-06-01',
            'adjustment': {'type': 'fixed', 'value': 30000},
            'priority': 10,
            'min_stay': 2,
        },
        token=admin,
    ).json
    assert season['hotel_id'] == 'porto'  # from its room type
    listed = api.get('/api/admin/price-rules', query={'hotel_id': 'porto'}, token=admin).json['items']
    assert [r['id'] for r in listed] == [season['id'], rule['id']]  # application order: by priority
    for_type = api.get('/api/admin/price-rules', query={'room_type_id': 'river-king'}, token=admin).json['items']
    assert {r['id'] for r in for_type} == {season['id'], rule['id']}

    patched = api.request(
        'PATCH', f'/api/admin/price-rules/{rule["id"]}', {'weekdays': None, 'priority': 5}, token=admin
    )
    assert patched.status == 200
    assert (patched.json['weekdays'], patched.json['priority'], patched.json['version']) == (None, 5, 2)
    assert patched.json['name'] == 'Weekend'

    assert api.request('DELETE', f'/api/admin/price-rules/{rule["id"]}', token=admin).status == 204
    assert api.get(f'/api/admin/price-rules/{rule["id"]}', token=admin).code == 'not_found'
    assert api.request('DELETE', f'/api/admin/price-rules/{rule["id"]}', token=admin).code == 'not_found'


@pytest.mark.usefixtures('aws')
@pytest.mark.parametrize(
    ('change', 'code'),
    [
        ({'start_date': '2027-06-02', 'end_date': '2027-06-01'}, 'validation_error'),
        ({'weekdays': [0]}, 'validation_error'),
        ({'weekdays': [8]}, 'validation_error'),
        ({'weekdays': []}, 'validation_error'),
        ({'adjustment': {'type': 'percent', 'value': -101}}, 'validation_error'),
        ({'adjustment': {'type': 'fixed', 'value': -1}}, 'validation_error'),
        ({'adjustment': {'type': 'multiply', 'value': 2}}, 'validation_error'),
        ({'adjustment': {'type': 'percent', 'value': 12.5}}, 'validation_error'),
        ({'adjustment': {'type': 'percent', 'value': 10, 'cap': 5}}, 'validation_error'),
        ({'id': 'my-own-id'}, 'validation_error'),
        ({'colour': 'red'}, 'validation_error'),
        ({'min_stay': 0}, 'validation_error'),
        ({'closed_to_arrival': 'yes'}, 'validation_error'),
        ({'start_date': '01/06/2027'}, 'validation_error'),
        ({'hotel_id': None}, 'validation_error'),
        ({'hotel_id': 'nowhere'}, 'invalid_reference'),
        ({'room_type_id': 'no-such-type'}, 'invalid_reference'),
        ({'room_type_id': 'lisbon-room'}, 'invalid_reference'),
    ],
    ids=lambda v: json.dumps(v) if isinstance(v, dict) else v,
)
def test_a_bad_rule_is_refused_with_422_and_nothing_is_written(api: Api, admin: str, porto, change, code):
    lisbon = factories.hotel('lisbon')
    factories.room_type(lisbon, 'lisbon-room', open_days=0)
    reply = api.post('/api/admin/price-rules', {**WEEKEND, **change}, token=admin)
    assert (reply.status, reply.code) == (422, code), reply.json
    assert (count(PriceRuleItem), count(RuleRefItem)) == (0, 0)


@pytest.mark.usefixtures('aws')
@pytest.mark.parametrize(
    'body',
    [
        {'end_date': '2027-05-31'},  # before the stored start date
        {'adjustment': {'type': 'percent', 'value': -200}},
        {'hotel_id': 'lisbon'},
        {'room_type_id': 'lisbon-room'},
        {'name': None},
        {'priority': None},
        {},
    ],
)
def test_a_bad_rule_patch_changes_nothing(api: Api, admin: str, porto, body):
    lisbon = factories.hotel('lisbon')
    factories.room_type(lisbon, 'lisbon-room', open_days=0)
    rule = api.post('/api/admin/price-rules', {**WEEKEND, 'start_date': '2027-06-01'}, token=admin).json
    reply = api.request('PATCH', f'/api/admin/price-rules/{rule["id"]}', body, token=admin)
    assert reply.status == 422
    assert api.get(f'/api/admin/price-rules/{rule["id"]}', token=admin).json == rule


@pytest.mark.usefixtures('aws')
def test_a_rule_changed_by_someone_else_meanwhile_is_a_conflict_not_a_lost_update(admin: str, porto):
    from common.domain import Principal
    from common.services import admin as admin_service

    rule = admin_service.create_rule(
        deps(),
        Principal('a', Role.ADMIN),
        {**WEEKEND, 'adjustment': {'type': 'percent', 'value': 20}},
        datetime.now(UTC),
    )
    stale = deps().catalog.get_rule(rule.id)
    admin_service.update_rule(deps(), Principal('b', Role.ADMIN), rule.id, {'priority': 1}, datetime.now(UTC))
    with pytest.raises(errors.Conflict) as refused:
        deps().catalog.replace_rule(stale, expected_version=stale.version)
    assert refused.value.code == 'conflict'  # not a subclass: the rule changed, nothing else
    assert deps().catalog.get_rule(rule.id).priority == 1


@pytest.mark.usefixtures('aws')
def test_a_new_rule_prices_search_at_once_even_with_the_warm_cache_on(api: Api, admin: str, porto, monkeypatch):
    monkeypatch.setenv('CATALOG_CACHE_SECONDS', '30')
    wiring.reset()
    try:
        api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 3}, token=admin)
        check_in, check_out = factories.stay(days_ahead=3, nights=1)
        query = {'check_in': check_in, 'check_out': check_out, 'hotel_id': 'porto'}
        assert api.get('/api/rooms/search', query=query).json['results'][0]['total_price'] == 15000  # now cached
        rule = api.post(
            '/api/admin/price-rules',
            {'name': 'Up', 'hotel_id': 'porto', 'adjustment': {'type': 'amount', 'value': 1000}},
            token=admin,
        ).json
        result = api.get('/api/rooms/search', query=query).json['results'][0]
        assert (result['total_price'], result['nightly'][0]['rule_ids']) == (16000, [rule['id']])
        api.request('PATCH', '/api/admin/room-types/river-king', {'base_price': 20000}, token=admin)
        assert api.get('/api/rooms/search', query=query).json['results'][0]['total_price'] == 21000
    finally:
        monkeypatch.delenv('CATALOG_CACHE_SECONDS')
        wiring.reset()


# ---------------------------------------------------------------- audit log


@pytest.mark.usefixtures('aws')
def test_every_admin_change_is_logged_with_the_admin_id(api: Api, admin: str, caplog):
    with caplog.at_level(logging.INFO, logger=logger.name):
        api.post('/api/admin/hotels', HOTEL, token=admin)
        api.post('/api/admin/price-rules', WEEKEND, token=admin)
        api.post('/api/admin/hotels', {**HOTEL, 'timezone': 'Bad/Zone'}, token=admin)  # refused: not a change
    # each record as the powertools JSON line CloudWatch receives
    lines = [json.loads(logger.registered_formatter.format(r)) for r in caplog.records]
    changes = [line for line in lines if line['message'] == 'admin change']
    assert [(c['admin_id'], c['action']) for c in changes] == [
        ('admin-7', 'hotel.create'),
        ('admin-7', 'price_rule.create'),
    ]
    assert changes[0]['hotel_id'] == 'porto' and changes[0]['level'] == 'INFO'
    assert changes[1]['rule']['adjustment'] == {'type': 'percent', 'value': 20}
    assert changes[1]['correlation_id']  # the API Gateway request id


@pytest.mark.usefixtures('aws')
def test_a_restriction_only_rule_needs_no_adjustment_and_refuses_short_arrivals(api: Api, admin: str, porto):
    api.post('/api/admin/room-types', {**ROOM, 'total_rooms': 3}, token=admin)
    check_in, check_out = factories.stay(days_ahead=6, nights=1)
    created = api.post(
        '/api/admin/price-rules',
        {
            'name': 'Two nights min',
            'room_type_id': 'river-king',
            'start_date': check_in,
            'end_date': check_in,
            'min_stay': 2,
        },
        token=admin,
    )
    assert created.status == 201, created.json
    assert created.json['adjustment'] == {'type': 'amount', 'value': 0}
    refused = api.post(
        '/api/bookings',
        {'room_type_id': 'river-king', 'check_in': check_in, 'check_out': check_out, 'guests': 1},
        token=factories.token(),
    )
    assert (refused.status, refused.code) == (422, 'min_stay')
    cta = api.request(
        'PATCH',
        f'/api/admin/price-rules/{created.json["id"]}',
        {'min_stay': None, 'closed_to_arrival': True},
        token=admin,
    )
    assert (cta.json['min_stay'], cta.json['closed_to_arrival']) == (None, True)
    refused = api.post(
        '/api/bookings',
        {'room_type_id': 'river-king', 'check_in': check_in, 'check_out': check_out, 'guests': 1},
        token=factories.token(),
    )
    assert (refused.status, refused.code) == (422, 'closed_to_arrival')


@pytest.mark.usefixtures('aws')
def test_the_hotel_delete_itself_is_guarded_by_its_room_type_count():
    # the write's own guard, for a room type created after the service's listing was read
    hotel = factories.hotel()
    factories.room_type(hotel, open_days=0)
    with pytest.raises(errors.HotelNotEmpty):
        deps().catalog.delete_hotel(hotel.id)
    assert deps().catalog.get_hotel(hotel.id) == hotel
