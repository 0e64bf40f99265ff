"""Sample events for `sam local invoke` and for `make events-check`: one realistic API Gateway
REST proxy event per route of template.yaml (more for the interesting refusals), the EventBridge
schedule of the sweeper and of housekeeping, a DynamoDB stream batch for the publisher, and the
bus events that make each email of the notifier.

The events are generated from the catalogue below, so they stay in step with the template:

    python -m local.events --write      # (re)write events/<function>/<case>.json and events/README.md
    python -m local.events --check      # exit 1 if a file is missing, stale or left over
    python -m local.events render events/bookings/get.json   # fill ${PLACEHOLDERS} from the env

What cannot be fixed in a file is a ``${PLACEHOLDER}``: access tokens (they expire), booking ids
(the server chooses them), a PaymentIntent id and the webhook's ``Stripe-Signature`` (computed
over the body with ``STRIPE_WEBHOOK_SECRET`` when rendered). Everything else is a realistic
value: the demo hotel of `make run` (local/seed.py), stays in March 2027, and the request time
``ANCHOR``; `make events-check` runs each event at that instant (tests/integration/test_events.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from local import cfn
from local.gateway import proxy_event

EVENTS_DIR = cfn.ROOT / 'events'
# The instant every event was "sent" at; the stays below are two weeks later.
ANCHOR = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
STAGE = 'dev'
ACCOUNT = '123456789012'
REGION = 'us-east-1'
API_ID = 'h0t3lb00k1'
DOMAIN = f'{API_ID}.execute-api.{REGION}.amazonaws.com'
GUEST_IP, STRIPE_IP = '198.51.100.7', '3.18.12.63'  # a documentation address; one of Stripe's webhook IPs
CLIENT_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'
STRIPE_AGENT = 'Stripe/1.0 (+https://stripe.com/docs/webhooks)'
_NAMESPACE = uuid.UUID('6f0f9d4e-3c55-4c4e-9a53-0d2c52a7e0b1')

PLACEHOLDER = re.compile(r'\$\{([A-Z][A-Z0-9_]*)\}')
GUEST = 'Bearer ${GUEST_TOKEN}'
ADMIN = 'Bearer ${ADMIN_TOKEN}'
CHECK_IN, CHECK_OUT = '2027-03-12', '2027-03-15'
# What the demo hotel charges for that stay of lisbon-deluxe-king (Fri and Sat +20 %).
STAY_TOTAL = 21600 + 21600 + 18000


@dataclass(frozen=True)
class Case:
    """One API event: what is sent, what it shows, and the status `make events-check` expects.

    ``given`` names what the check prepares first (tests/integration/test_events.py), e.g. a
    booking of the caller for ``${BOOKING_ID}``.
    """

    name: str
    method: str
    path: str
    expect: int
    about: str
    query: dict[str, str] | None = None
    body: Any = None
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    given: str | None = None
    code: str | None = None  # the problem's code, for a refusal
    source_ip: str = GUEST_IP
    agent: str = CLIENT_AGENT


def _stripe_event() -> dict[str, Any]:
    """A payment_intent.succeeded as Stripe sends it (trimmed to the fields that matter)."""
    return {
        'id': 'evt_3QxHotelBooking0001',
        'object': 'event',
        'api_version': '2024-06-20',
        'created': int(ANCHOR.timestamp()),
        'livemode': False,
        'pending_webhooks': 1,
        'request': {'id': None, 'idempotency_key': None},
        'type': 'payment_intent.succeeded',
        'data': {
            'object': {
                'id': '${PAYMENT_INTENT_ID}',
                'object': 'payment_intent',
                'amount': STAY_TOTAL,
                'amount_received': STAY_TOTAL,
                'currency': 'eur',
                'status': 'succeeded',
                'payment_method_types': ['card'],
                'metadata': {'booking_id': '${BOOKING_ID}', 'user_id': '${USER_ID}'},
                'last_payment_error': None,
                'livemode': False,
            }
        },
    }


HOLD = {'room_type_id': 'lisbon-deluxe-king', 'check_in': CHECK_IN, 'check_out': CHECK_OUT, 'guests': 2}
BOOKING = '/api/bookings/${BOOKING_ID}'

CASES: dict[str, tuple[Case, ...]] = {
    'search': (
        Case('health', 'GET', '/api/health', 200, 'liveness: the stage name'),
        Case('site_config', 'GET', '/api/config', 200, "the web client's Stripe.js settings (publishable key, URL)"),
        Case('list_hotels', 'GET', '/api/hotels', 200, 'hotels in one city', query={'city': 'Lisbon'}),
        Case('get_hotel', 'GET', '/api/hotels/lisbon-harbour', 200, 'one hotel'),
        Case('list_room_types', 'GET', '/api/room-types', 200, "a hotel's room types", {'hotel_id': 'lisbon-harbour'}),
        Case('get_room_type', 'GET', '/api/room-types/lisbon-deluxe-king', 200, 'one room type'),
        Case(
            'calendar',
            'GET',
            '/api/room-types/lisbon-deluxe-king/calendar',
            200,
            'availability and price per night for March',
            {'from': '2027-03-01', 'to': '2027-04-01'},
        ),
        Case(
            'search',
            'GET',
            '/api/rooms/search',
            200,
            'room types that can take two guests for three nights in Lisbon',
            {'check_in': CHECK_IN, 'check_out': CHECK_OUT, 'guests': '2', 'city': 'Lisbon'},
        ),
        Case(
            'search_promo',
            'GET',
            '/api/rooms/search',
            200,
            "offers per rate plan with the hotel's promo code applied where it fits",
            {
                'check_in': CHECK_IN,
                'check_out': CHECK_OUT,
                'guests': '2',
                'hotel_id': 'lisbon-harbour',
                'promo': 'welcome10',
            },
        ),
        Case(
            'search_unknown_promo',
            'GET',
            '/api/rooms/search',
            422,
            'a promo code that does not exist: 422 promo_unknown, never ignored',
            {'check_in': CHECK_IN, 'check_out': CHECK_OUT, 'guests': '2', 'promo': 'NOSUCHCODE'},
            code='promo_unknown',
        ),
        Case(
            'search_invalid_dates',
            'GET',
            '/api/rooms/search',
            422,
            'check-out before check-in: 422 invalid_dates',
            {'check_in': CHECK_OUT, 'check_out': CHECK_IN, 'guests': '2'},
            code='invalid_dates',
        ),
        Case(
            'list_reviews',
            'GET',
            '/api/room-types/lisbon-deluxe-king/reviews',
            200,
            'published reviews, newest first',
            {'limit': '10'},
        ),
    ),
    'bookings': (
        Case(
            'create',
            'POST',
            '/api/bookings',
            201,
            'hold a room for three nights (retry-safe with Idempotency-Key)',
            body=HOLD,
            token=GUEST,
            headers={'Idempotency-Key': '5f0c8a52-retry-1'},
        ),
        Case(
            'create_non_refundable',
            'POST',
            '/api/bookings',
            201,
            'hold the non-refundable rate with a promo code',
            body={**HOLD, 'rate_plan_id': 'NR', 'promo_code': 'welcome10'},
            token=GUEST,
        ),
        Case(
            'create_sold_out',
            'POST',
            '/api/bookings',
            409,
            'more rooms than are left: 409 sold_out with the nights',
            body={**HOLD, 'room_type_id': 'lisbon-family-suite', 'guests': 4, 'rooms': 4},
            token=GUEST,
            code='sold_out',
        ),
        Case(
            'create_unauthenticated',
            'POST',
            '/api/bookings',
            401,
            'no token: 401 unauthorized',
            body=HOLD,
            code='unauthorized',
        ),
        Case('list', 'GET', '/api/bookings', 200, "the caller's bookings, newest first", {'limit': '10'}, token=GUEST),
        Case('get', 'GET', BOOKING, 200, 'one booking of the caller', token=GUEST, given='booking'),
        Case('cancel', 'POST', f'{BOOKING}/cancel', 200, 'cancel an unpaid hold', token=GUEST, given='booking'),
        Case(
            'cancel_paid',
            'POST',
            f'{BOOKING}/cancel',
            200,
            'cancel a paid booking 11 days ahead: full refund through Stripe',
            token=GUEST,
            given='paid_booking',
        ),
        Case(
            'refund_quote',
            'GET',
            f'{BOOKING}/refund-quote',
            200,
            'what cancelling now would refund',
            token=GUEST,
            given='paid_booking',
        ),
        Case(
            'review',
            'POST',
            f'{BOOKING}/review',
            201,
            'review a stay that has ended',
            body={'rating': 5, 'comment': 'Quiet room, lovely view of the river.'},
            token=GUEST,
            given='ended_stay',
        ),
    ),
    'checkout': (
        Case(
            'checkout',
            'POST',
            f'{BOOKING}/checkout',
            200,
            "the booking's PaymentIntent and client_secret for Stripe.js",
            body={'auto_confirm': False},
            token=GUEST,
            headers={'Idempotency-Key': '0c3e1f9a-pay-1'},
            given='booking',
        ),
        Case(
            'auto_confirm',
            'POST',
            f'{BOOKING}/checkout',
            200,
            'test mode: pay with pm_card_visa and answer CONFIRMED',
            body={'auto_confirm': True},
            token=GUEST,
            given='booking',
        ),
    ),
    'webhook': (
        Case(
            'payment_succeeded',
            'POST',
            '/api/webhook',
            200,
            "Stripe's payment_intent.succeeded confirms the booking",
            body=_stripe_event(),
            headers={'Stripe-Signature': '${STRIPE_SIGNATURE}'},
            given='payment_intent',
            source_ip=STRIPE_IP,
            agent=STRIPE_AGENT,
        ),
        Case(
            'forged_signature',
            'POST',
            '/api/webhook',
            400,
            'a body not signed with the endpoint secret: 400 invalid_signature, nothing changes',
            body=_stripe_event(),
            headers={'Stripe-Signature': f't={int(ANCHOR.timestamp())},v1={"0" * 64}'},
            given='payment_intent',
            agent=STRIPE_AGENT,
            code='invalid_signature',
        ),
    ),
    'auth': (
        Case(
            'register',
            'POST',
            '/api/auth/register',
            201,
            'create a guest account',
            body={'email': 'grace@example.com', 'password': 'correct horse battery staple', 'name': 'Grace Hopper'},
        ),
        Case(
            'login',
            'POST',
            '/api/auth/login',
            200,
            'an access and a refresh token',
            body={'email': 'ada@example.com', 'password': 'correct horse battery'},
            given='ada',
        ),
        Case(
            'login_wrong_password',
            'POST',
            '/api/auth/login',
            401,
            'a wrong password: 401 invalid_credentials',
            body={'email': 'ada@example.com', 'password': 'not the password'},
            given='ada',
            code='invalid_credentials',
        ),
        Case(
            'refresh', 'POST', '/api/auth/refresh', 200, 'rotate the token pair', body={'refresh': '${REFRESH_TOKEN}'}
        ),
        Case(
            'logout',
            'POST',
            '/api/auth/logout',
            204,
            "end the refresh token's session",
            body={'refresh': '${REFRESH_TOKEN}'},
            token=GUEST,
        ),
        Case('logout_all', 'POST', '/api/auth/logout-all', 204, 'end every session of the caller', token=GUEST),
    ),
    'users': (
        Case('get_me', 'GET', '/api/users/me', 200, "the caller's profile", token=GUEST),
        Case(
            'patch_me',
            'PATCH',
            '/api/users/me',
            200,
            'change the phone',
            body={'phone': '+351 912 345 678'},
            token=GUEST,
        ),
        Case(
            'change_password',
            'POST',
            '/api/users/me/password',
            204,
            'change the password; every other session ends',
            body={'current_password': 'correct horse battery', 'new_password': 'a new horse, a new battery'},
            token=GUEST,
            given='ada',
        ),
        Case('get_wishlist', 'GET', '/api/users/me/wishlist', 200, 'saved room types', token=GUEST),
        Case(
            'add_to_wishlist',
            'POST',
            '/api/users/me/wishlist',
            201,
            'save a room type',
            body={'room_type_id': 'lisbon-deluxe-king'},
            token=GUEST,
        ),
        Case(
            'remove_from_wishlist',
            'DELETE',
            '/api/users/me/wishlist/lisbon-deluxe-king',
            204,
            'forget a saved room type (idempotent)',
            token=GUEST,
        ),
    ),
    'docs': (
        Case('openapi', 'GET', '/api/openapi.json', 200, 'the merged OpenAPI 3.1 document'),
        Case('swagger_ui', 'GET', '/api/docs', 200, 'Swagger UI'),
        Case('redoc', 'GET', '/api/redoc', 200, 'ReDoc'),
        Case('asset', 'GET', '/api/docs/assets/swagger-ui.css', 200, "Swagger UI's stylesheet (pinned package)"),
    ),
    'admin': (
        Case('list_hotels', 'GET', '/api/admin/hotels', 200, 'every hotel', token=ADMIN),
        Case(
            'create_hotel',
            'POST',
            '/api/admin/hotels',
            201,
            'a new hotel (the admin picks the slug)',
            body={
                'id': 'porto-riverside',
                'name': 'Riverside Porto',
                'city': 'Porto',
                'address': 'Cais da Ribeira 1',
                'timezone': 'Europe/Lisbon',
                'check_in_hour': 15,
                'check_out_hour': 11,
                'currency': 'EUR',
                'phone': '+351 222 000 111',
                'notification_email': 'reservations@riverside-porto.example',
            },
            token=ADMIN,
        ),
        Case('get_hotel', 'GET', '/api/admin/hotels/lisbon-harbour', 200, 'one hotel', token=ADMIN),
        Case(
            'update_hotel',
            'PATCH',
            '/api/admin/hotels/lisbon-harbour',
            200,
            'change the check-in hour and where booking notices go',
            body={'check_in_hour': 14, 'notification_email': 'bookings@harbour-view-lisbon.example'},
            token=ADMIN,
        ),
        Case(
            'delete_hotel',
            'DELETE',
            '/api/admin/hotels/porto-annex',
            204,
            'delete a hotel with no room types',
            token=ADMIN,
            given='empty_hotel',
        ),
        Case(
            'list_room_types',
            'GET',
            '/api/admin/room-types',
            200,
            "a hotel's room types",
            {'hotel_id': 'lisbon-harbour'},
            token=ADMIN,
        ),
        Case(
            'create_room_type',
            'POST',
            '/api/admin/room-types',
            201,
            'a new room type; opens its allotment for the sale window',
            body={
                'id': 'lisbon-garden-double',
                'hotel_id': 'lisbon-harbour',
                'name': 'Garden Double',
                'description': 'Double room over the inner garden.',
                'capacity': 2,
                'base_price': 14000,
                'total_rooms': 6,
                'view_type': 'garden',
                'amenities': ['wifi', 'air-conditioning'],
            },
            token=ADMIN,
        ),
        Case('get_room_type', 'GET', '/api/admin/room-types/lisbon-deluxe-king', 200, 'one room type', token=ADMIN),
        Case(
            'update_room_type',
            'PATCH',
            '/api/admin/room-types/lisbon-deluxe-king',
            200,
            'change the base price and amenities',
            body={'base_price': 18500, 'amenities': ['wifi', 'air-conditioning', 'minibar', 'balcony', 'bathtub']},
            token=ADMIN,
        ),
        Case(
            'delete_room_type',
            'DELETE',
            '/api/admin/room-types/lisbon-attic-single',
            204,
            'delete a room type nobody has booked',
            token=ADMIN,
            given='unbooked_room_type',
        ),
        Case(
            'hotel_inventory',
            'GET',
            '/api/admin/hotels/lisbon-harbour/inventory',
            200,
            "the inventory grid: every room type's allotment, available, sold, held and stop-sell for March",
            {'from': '2027-03-01', 'to': '2027-04-01'},
            token=ADMIN,
        ),
        Case(
            'set_inventory',
            'PUT',
            '/api/admin/room-types/lisbon-deluxe-king/inventory',
            200,
            'ten rooms on sale for three nights',
            body={'start_date': CHECK_IN, 'end_date': CHECK_OUT, 'allotment': 10},
            token=ADMIN,
        ),
        Case(
            'list_price_rules',
            'GET',
            '/api/admin/price-rules',
            200,
            "a hotel's rules",
            {'hotel_id': 'lisbon-harbour'},
            token=ADMIN,
        ),
        Case(
            'create_price_rule',
            'POST',
            '/api/admin/price-rules',
            201,
            'Easter +25 % on every room type of the hotel',
            body={
                'name': 'Easter',
                'hotel_id': 'lisbon-harbour',
                'start_date': '2027-03-26',
                'end_date': '2027-03-29',
                'adjustment': {'type': 'percent', 'value': 25},
                'priority': 15,
            },
            token=ADMIN,
        ),
        Case('get_price_rule', 'GET', '/api/admin/price-rules/lisbon-weekend', 200, 'one rule', token=ADMIN),
        Case(
            'update_price_rule',
            'PATCH',
            '/api/admin/price-rules/lisbon-weekend',
            200,
            'weekend nights +25 % instead of +20 %',
            body={'adjustment': {'type': 'percent', 'value': 25}},
            token=ADMIN,
        ),
        Case(
            'delete_price_rule',
            'DELETE',
            '/api/admin/price-rules/lisbon-spring-promo',
            204,
            'delete a rule',
            token=ADMIN,
            given='spare_rule',
        ),
        Case(
            'pricing_preview',
            'GET',
            '/api/admin/pricing/preview',
            200,
            "each night's price with every rule step",
            {'room_type_id': 'lisbon-deluxe-king', 'check_in': CHECK_IN, 'check_out': CHECK_OUT, 'rooms': '1'},
            token=ADMIN,
        ),
        Case(
            'list_rate_plans',
            'GET',
            '/api/admin/hotels/lisbon-harbour/rate-plans',
            200,
            "the hotel's rate plans: Flexible, Non-refundable, Bed & breakfast",
            token=ADMIN,
        ),
        Case(
            'create_rate_plan',
            'POST',
            '/api/admin/hotels/lisbon-harbour/rate-plans',
            201,
            'half board: Flexible + 35.00 per guest per night',
            body={
                'code': 'HB',
                'name': 'Half board',
                'description': 'Breakfast and dinner for every guest.',
                'meal_plan': 'half_board',
                'parent_code': 'FLEX',
                'derivation': {'type': 'per_guest', 'value': 3500},
                'cancellation': {'type': 'free_until', 'free_hours': 72, 'penalty': 'percent', 'percent': 50},
                'restrictions': {'min_stay': 2},
            },
            token=ADMIN,
        ),
        Case('get_rate_plan', 'GET', '/api/admin/hotels/lisbon-harbour/rate-plans/NR', 200, 'one plan', token=ADMIN),
        Case(
            'update_rate_plan',
            'PATCH',
            '/api/admin/hotels/lisbon-harbour/rate-plans/NR',
            200,
            'non-refundable 12 % below Flexible, booked at least 3 days ahead',
            body={'derivation': {'type': 'percent', 'value': -12}, 'restrictions': {'min_advance_days': 3}},
            token=ADMIN,
        ),
        Case(
            'delete_rate_plan',
            'DELETE',
            '/api/admin/hotels/lisbon-harbour/rate-plans/LASTMIN',
            204,
            'delete a plan nothing derives from (bookings keep their copy of its terms)',
            token=ADMIN,
            given='spare_rate_plan',
        ),
        Case(
            'get_taxes',
            'GET',
            '/api/admin/hotels/lisbon-harbour/taxes',
            200,
            "the hotel's VAT, city tax and fees",
            token=ADMIN,
        ),
        Case(
            'put_taxes',
            'PUT',
            '/api/admin/hotels/lisbon-harbour/taxes',
            200,
            'VAT 6 % inside the prices, city tax 4.00 per guest per night (7 nights at most, under 13 free)',
            body={
                'vat_percent': 6,
                'prices_include_vat': True,
                'city_tax': {'per_guest_night': 400, 'max_nights': 7, 'exempt_under_age': 13},
                'fees': [],
            },
            token=ADMIN,
        ),
        Case(
            'list_promo_codes',
            'GET',
            '/api/admin/hotels/lisbon-harbour/promo-codes',
            200,
            "the hotel's promo codes",
            token=ADMIN,
        ),
        Case(
            'create_promo_code',
            'POST',
            '/api/admin/hotels/lisbon-harbour/promo-codes',
            201,
            '15 % off spring stays of 2 nights or more, 100 uses, one per guest',
            body={
                'code': 'SPRING27',
                'kind': 'percent',
                'value': 15,
                'valid_until': '2027-04-30',
                'stay_from': '2027-03-01',
                'stay_until': '2027-05-31',
                'min_nights': 2,
                'rate_plans': ['FLEX', 'BB'],
                'max_uses': 100,
                'max_uses_per_guest': 1,
            },
            token=ADMIN,
        ),
        Case(
            'get_promo_code',
            'GET',
            '/api/admin/hotels/lisbon-harbour/promo-codes/WELCOME10',
            200,
            'one promo code and its uses',
            token=ADMIN,
        ),
        Case(
            'update_promo_code',
            'PATCH',
            '/api/admin/hotels/lisbon-harbour/promo-codes/WELCOME10',
            200,
            'raise the total uses',
            body={'max_uses': 1000},
            token=ADMIN,
        ),
        Case(
            'delete_promo_code',
            'DELETE',
            '/api/admin/hotels/lisbon-harbour/promo-codes/UNUSED',
            204,
            'delete a code no booking uses',
            token=ADMIN,
            given='spare_promo',
        ),
        Case(
            'list_bookings',
            'GET',
            '/api/admin/bookings',
            200,
            'bookings checking in in March, CONFIRMED and PENDING',
            {'from': '2027-03-01', 'to': '2027-04-01', 'status': 'CONFIRMED,PENDING'},
            token=ADMIN,
        ),
        Case(
            'list_bookings_as_guest',
            'GET',
            '/api/admin/bookings',
            403,
            "a guest's token on an admin route: 403 forbidden",
            token=GUEST,
            code='forbidden',
        ),
        Case(
            'occupancy',
            'GET',
            '/api/admin/reports/occupancy',
            200,
            'occupancy, revenue, ADR and RevPAR for March',
            {'from': '2027-03-01', 'to': '2027-04-01', 'hotel_id': 'lisbon-harbour'},
            token=ADMIN,
        ),
    ),
}


def _id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, '/'.join(parts))


def route_for(method: str, path: str) -> cfn.Route:
    for route in cfn.routes():
        if route.method == method and route.pattern.match(path):
            return route
    raise LookupError(f'no route of template.yaml serves {method} {path}')


def function_folder(route_or_function: cfn.Route | str) -> str:
    """The events/ folder of a function: its handler's package (functions.search.app -> search)."""
    function = route_or_function.function if isinstance(route_or_function, cfn.Route) else route_or_function
    module, _ = cfn.handler_location(cfn.functions()[function]['Properties'])
    return module.split('.')[-2]


def api_event(folder: str, case: Case) -> dict[str, Any]:
    """The proxy event API Gateway (REST, stage ``dev``) sends for this request."""
    route = route_for(case.method, case.path)
    found = route.pattern.match(case.path)
    assert found is not None
    request_id = str(_id(folder, case.name))
    sent_at = ANCHOR + timedelta(milliseconds=_id(folder, case.name, 'ms').int % 1000)
    headers = {
        'Accept': 'application/json' if case.agent != STRIPE_AGENT else '*/*; q=0.5, application/xml',
        'Host': DOMAIN,
        'User-Agent': case.agent,
        'X-Amzn-Trace-Id': f'Root=1-{int(sent_at.timestamp()):08x}-{_id(folder, case.name, "trace").hex[:24]}',
        'X-Forwarded-For': case.source_ip,
        'X-Forwarded-Port': '443',
        'X-Forwarded-Proto': 'https',
    }
    body = b''
    if case.body is not None:
        body = json.dumps(case.body, indent=2 if folder == 'webhook' else None).encode()
        headers['Content-Type'] = 'application/json; charset=utf-8' if folder == 'webhook' else 'application/json'
    if case.token:
        headers['Authorization'] = case.token
    headers.update(case.headers)
    query = urlencode(case.query or {})
    event = proxy_event(route, case.method, case.path, query, headers, body, found.groupdict(), case.source_ip)
    context = event['requestContext']
    context.update(
        {
            'resourceId': _id(folder, route.path).hex[:6],
            'extendedRequestId': _id(folder, case.name, 'ext').hex[:16].upper() + '=',
            'requestTime': sent_at.strftime('%d/%b/%Y:%H:%M:%S +0000'),
            'path': f'/{STAGE}{case.path}',
            'accountId': ACCOUNT,
            'stage': STAGE,
            'domainPrefix': API_ID,
            'requestTimeEpoch': int(sent_at.timestamp() * 1000),
            'requestId': request_id,
            'domainName': DOMAIN,
            'apiId': API_ID,
            'identity': {
                'cognitoIdentityPoolId': None,
                'accountId': None,
                'cognitoIdentityId': None,
                'caller': None,
                'sourceIp': case.source_ip,
                'principalOrgId': None,
                'accessKey': None,
                'cognitoAuthenticationType': None,
                'cognitoAuthenticationProvider': None,
                'userArn': None,
                'userAgent': case.agent,
                'user': None,
            },
        }
    )
    return event


def schedule_event(folder: str = 'expire_sweeper', rule_suffix: str = 'expire-sweeper') -> dict[str, Any]:
    """What a function's EventBridge schedule sends it (the sweeper's EveryMinute, housekeeping's Daily)."""
    rule = f'hotel-booking-{STAGE}-{rule_suffix}'
    return {
        'version': '0',
        'id': str(_id(folder, 'schedule')),
        'detail-type': 'Scheduled Event',
        'source': 'aws.events',
        'account': ACCOUNT,
        'time': (ANCHOR + timedelta(minutes=1)).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'region': REGION,
        'resources': [f'arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}'],
        'detail': {},
    }


def stream_event() -> dict[str, Any]:
    """A stream batch as PublisherFunction gets it: a booking confirmed by its payment (MODIFY,
    NEW_AND_OLD_IMAGES). The images are the repository's own item mapping of a booking."""
    from common.domain import Booking, BookingStatus, NightPrice
    from common.repos.bookings import booking_item

    booking_id = str(_id('publisher', 'booking'))
    created = ANCHOR - timedelta(minutes=4)
    held = Booking(
        id=booking_id,
        user_id=str(_id('publisher', 'user')),
        hotel_id='lisbon-harbour',
        room_type_id='lisbon-deluxe-king',
        check_in=date.fromisoformat(CHECK_IN),
        check_out=date.fromisoformat(CHECK_OUT),
        guests=2,
        rooms=1,
        currency='EUR',
        total_amount=STAY_TOTAL,
        nightly=(
            NightPrice(date(2027, 3, 12), 21600, ('lisbon-weekend',)),
            NightPrice(date(2027, 3, 13), 21600, ('lisbon-weekend',)),
            NightPrice(date(2027, 3, 14), 18000, ()),
        ),
        status=BookingStatus.PENDING,
        hold_expires_at=created + timedelta(minutes=15),
        created_at=created,
        updated_at=created,
    )
    intent = 'pi_3QxHotelBooking0001'
    old = booking_item(held, shards=4)
    old.payment = {
        'payment_intent_id': intent,
        'status': 'requires_payment_method',
        'amount': STAY_TOTAL,
        'currency': 'EUR',
    }
    old.version = 2
    new = booking_item(replace(held, status=BookingStatus.CONFIRMED), shards=4)
    new.updated_at = ANCHOR.isoformat(timespec='milliseconds')
    new.payment = {'payment_intent_id': intent, 'status': 'succeeded', 'amount': STAY_TOTAL, 'currency': 'EUR'}
    new.version = 3
    keys = {'pk': {'S': new.pk}, 'sk': {'S': new.sk}}
    return _stream_batch('publisher', keys, new.serialize(), old.serialize(), '4700000000012345678901')


def inventory_stream_event() -> dict[str, Any]:
    """A stream batch as SearchViewFunction gets it (the template's INV# filter): a hold took one
    room of a night (MODIFY, NEW_AND_OLD_IMAGES); the images are the repository's item mapping."""
    from common.domain import RoomType
    from common.repos.inventory import night_item

    room_type = RoomType('lisbon-deluxe-king', 'lisbon-harbour', 'Deluxe King', '', 2, 18000, 'EUR', 8)
    night = date.fromisoformat(CHECK_IN)
    old = night_item(room_type, night, 8, 3, False, 400).serialize()
    new = night_item(room_type, night, 8, 2, False, 400).serialize()
    keys = {'pk': new['pk'], 'sk': new['sk']}
    return _stream_batch('search_view', keys, new, old, '4700000000012345678902')


def _stream_batch(
    function: str, keys: dict[str, Any], new: dict[str, Any], old: dict[str, Any], sequence: str
) -> dict[str, Any]:
    """One MODIFY record of the main table's stream (NEW_AND_OLD_IMAGES), as Lambda batches it."""
    stream = f'arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/hotel-booking-{STAGE}-MainTable-1X2Y3Z4W5V6U/stream/2027-02-01T00:00:00.000'
    return {
        'Records': [
            {
                'eventID': _id(function, 'record').hex,
                'eventName': 'MODIFY',
                'eventVersion': '1.1',
                'eventSource': 'aws:dynamodb',
                'awsRegion': REGION,
                'dynamodb': {
                    'ApproximateCreationDateTime': int(ANCHOR.timestamp()),
                    'Keys': keys,
                    'NewImage': new,
                    'OldImage': old,
                    'SequenceNumber': sequence,
                    'SizeBytes': len(json.dumps(new)) + len(json.dumps(old)),
                    'StreamViewType': 'NEW_AND_OLD_IMAGES',
                },
                'eventSourceARN': stream,
            }
        ]
    }


# The notifier's events: what the publisher puts on the bus, as the rule hands it to the function.
# (detail-type, file, status, previous status, version, refund, what it sends)
_FULL_REFUND = {'amount': STAY_TOTAL, 'penalty': 0, 'currency': 'EUR', 'reason': 'cancelled_by_guest'}
NOTIFIER_EVENTS: tuple[tuple[str, str, str, str, int, dict[str, Any] | None, str], ...] = (
    ('BookingConfirmed', 'booking_confirmed', 'CONFIRMED', 'PENDING', 3, None,
     "the guest's confirmation with invite.ics, and the hotel's new-booking notice"),
    ('BookingCancelled', 'booking_cancelled', 'CANCELLED', 'CONFIRMED', 4,
     {**_FULL_REFUND, 'status': 'pending', 'stripe_refund_id': None},
     "the guest's cancellation with its refund and cancellation.ics, and the hotel's notice"),
    ('RefundIssued', 'refund_issued', 'CANCELLED', 'CANCELLED', 5,
     {**_FULL_REFUND, 'status': 'succeeded', 'stripe_refund_id': '${REFUND_ID}'},
     "the guest's refund email"),
    ('BookingExpired', 'booking_expired', 'EXPIRED', 'PENDING', 2, None,
     "the guest's hold-expired email (nothing charged, search again)"),
)  # fmt: skip


def notifier_event(
    detail_type: str, status: str, previous: str, version: int, refund: dict[str, Any] | None
) -> dict[str, Any]:
    """What the BookingEmails rule hands NotifierFunction (the publisher's detail, schema 1)."""
    from common import integration_events
    from common.domain import EVENT_SOURCE

    occurred = ANCHOR + timedelta(minutes=version)
    detail = {
        'event_id': f'${{BOOKING_ID}}:{version}:{detail_type}',
        'schema_version': integration_events.SCHEMA_VERSION,
        'booking_id': '${BOOKING_ID}',
        'user_id': '${USER_ID}',
        'hotel_id': 'lisbon-harbour',
        'room_type_id': 'lisbon-deluxe-king',
        'check_in': CHECK_IN,
        'check_out': CHECK_OUT,
        'rooms': 1,
        'guests': 2,
        'currency': 'EUR',
        'total_amount': STAY_TOTAL,
        'status': status,
        'previous_status': previous,
        'version': version,
        'occurred_at': occurred.isoformat(timespec='milliseconds'),
        'hold_expires_at': (ANCHOR + timedelta(minutes=15)).isoformat(timespec='milliseconds'),
        'refund': refund,
    }
    return {
        'version': '0',
        'id': str(_id('notifier', detail_type)),
        'detail-type': detail_type,
        'source': EVENT_SOURCE,
        'account': ACCOUNT,
        'time': occurred.strftime('%Y-%m-%dT%H:%M:%SZ'),
        'region': REGION,
        'resources': [],
        'detail': detail,
    }


@dataclass(frozen=True)
class Sample:
    """One file under events/."""

    folder: str
    name: str
    event: dict[str, Any]
    about: str
    expect: int | None = None  # API events: the status
    case: Case | None = None

    @property
    def path(self) -> Path:
        return EVENTS_DIR / self.folder / f'{self.name}.json'

    @property
    def function(self) -> str:
        """The template's logical id of the function that gets this event."""
        return next(name for name in cfn.functions() if function_folder(name) == self.folder)

    def text(self) -> str:
        return json.dumps(self.event, indent=2) + '\n'


def samples() -> list[Sample]:
    found = [
        Sample(folder, case.name, api_event(folder, case), case.about, case.expect, case)
        for folder, cases in CASES.items()
        for case in cases
    ]
    found.append(Sample('expire_sweeper', 'schedule', schedule_event(), 'the EventBridge schedule (every minute)'))
    found.append(
        Sample(
            'housekeeping',
            'schedule',
            schedule_event('housekeeping', 'housekeeping'),
            "the daily schedule: opens the nights that came into every room type's sale window",
        )
    )
    found.append(
        Sample(
            'reconciler',
            'schedule',
            schedule_event('reconciler', 'reconciler'),
            "the hourly schedule: continues the day's reconciliation pass (bookings' money against Stripe)",
        )
    )
    found.append(Sample('publisher', 'booking_confirmed', stream_event(), 'a stream record: PENDING -> CONFIRMED'))
    found.append(
        Sample('search_view', 'night_held', inventory_stream_event(), 'a stream record: a hold took a room of a night')
    )
    for detail_type, name, status, previous, version, refund, about in NOTIFIER_EVENTS:
        event = notifier_event(detail_type, status, previous, version, refund)
        found.append(Sample('notifier', name, event, f'{detail_type}: {about}'))
    return found


def placeholders(event: Mapping[str, Any]) -> list[str]:
    return sorted(set(PLACEHOLDER.findall(json.dumps(event))))


def render(
    event: Mapping[str, Any],
    values: Mapping[str, str],
    webhook_secret: str | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """The event with every ``${NAME}`` replaced by ``values[NAME]``; ``${STRIPE_SIGNATURE}`` is
    computed over the rendered body, signed with ``webhook_secret`` as Stripe signs it."""
    missing = [n for n in placeholders(event) if n not in values and n != 'STRIPE_SIGNATURE']
    if missing:
        raise KeyError(f'no value for {", ".join(missing)}')

    def fill(found: re.Match[str]) -> str:
        name = found.group(1)
        if name == 'STRIPE_SIGNATURE':
            return found.group(0)
        return json.dumps(str(values[name]))[1:-1]  # escaped for the JSON string it sits in

    rendered = json.loads(PLACEHOLDER.sub(fill, json.dumps(event)))
    if 'STRIPE_SIGNATURE' in placeholders(rendered):
        if not webhook_secret:
            raise KeyError('no value for STRIPE_WEBHOOK_SECRET (to sign the body)')
        signature = _stripe_signature(rendered.get('body') or '', webhook_secret, timestamp)
        rendered = json.loads(json.dumps(rendered).replace('${STRIPE_SIGNATURE}', signature))
    return rendered


def _stripe_signature(payload: str, secret: str, timestamp: int | None) -> str:
    import hashlib
    import hmac

    # https://docs.stripe.com/webhooks#verify-manually: v1 = HMAC-SHA256(secret, "t.payload").
    at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f'{at}.{payload}'.encode(), hashlib.sha256).hexdigest()
    return f't={at},v1={digest}'


def readme(found: list[Sample]) -> str:
    lines = [
        '# Sample events',
        '',
        'Generated by `python -m local.events --write` from its catalogue and template.yaml (do not edit:',
        '`make events-check` fails on a stale file). Every route of the template has at least one API Gateway',
        'REST proxy event; `make events-check` runs each through its handler against moto and localstripe',
        'at the request time of the events and checks the status below.',
        '',
        '`${NAME}` placeholders are what a file cannot fix: fill them from the environment with',
        '`python -m local.events render <file>` (it signs the webhook body with `STRIPE_WEBHOOK_SECRET`):',
        '',
        '```sh',
        'GUEST_TOKEN=... BOOKING_ID=... python -m local.events render events/bookings/get.json > /tmp/event.json',
        'sam local invoke BookingsFunction -e /tmp/event.json',
        '```',
        '',
        '| event | function | request | status | placeholders | what it shows |',
        '| --- | --- | --- | --- | --- | --- |',
    ]
    for sample in found:
        case = sample.case
        request = f'`{case.method} {case.path}`' if case else '—'
        names = ', '.join(f'`{n}`' for n in placeholders(sample.event)) or '—'
        status = str(sample.expect) if sample.expect else '—'
        lines.append(
            f'| [{sample.folder}/{sample.name}]({sample.folder}/{sample.name}.json) | {sample.function} '
            f'| {request} | {status} | {names} | {sample.about} |'
        )
    return '\n'.join(lines) + '\n'


def _expected_files() -> dict[Path, str]:
    found = samples()
    files = {s.path: s.text() for s in found}
    files[EVENTS_DIR / 'README.md'] = readme(found)
    return files


def stale() -> list[str]:
    """Files under events/ that differ from what the catalogue generates (or should not be there)."""
    expected = _expected_files()
    problems = [
        f'{p.relative_to(cfn.ROOT)}: {"missing" if not p.exists() else "stale"}'
        for p, text in expected.items()
        if not p.exists() or p.read_text() != text
    ]
    left_over = set(EVENTS_DIR.rglob('*.json')) - set(expected)
    problems += [f'{p.relative_to(cfn.ROOT)}: not generated (remove it)' for p in sorted(left_over)]
    return problems


def write() -> list[Path]:
    expected = _expected_files()
    for path in set(EVENTS_DIR.rglob('*.json')) - set(expected):
        path.unlink()
    for path, text in expected.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return sorted(expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m local.events', description=__doc__.split('\n\n')[0])
    parser.add_argument('--write', action='store_true', help='(re)write events/ from the catalogue')
    parser.add_argument('--check', action='store_true', help='exit 1 if events/ is not what --write would write')
    sub = parser.add_subparsers(dest='command')
    render_cmd = sub.add_parser('render', help='print an event with its ${PLACEHOLDERS} filled from the environment')
    render_cmd.add_argument('file', type=Path)
    args = parser.parse_args(argv)
    if args.command == 'render':
        event = json.loads(args.file.read_text())
        try:
            rendered = render(event, os.environ, os.environ.get('STRIPE_WEBHOOK_SECRET'))
        except KeyError as exc:
            print(f'{args.file}: {exc.args[0]} (set it in the environment)', file=sys.stderr)
            return 1
        print(json.dumps(rendered, indent=2))
        return 0
    if args.write:
        written = write()
        print(f'{len(written)} files under {EVENTS_DIR.relative_to(cfn.ROOT)}/')
        return 0
    problems = stale()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print('run: python -m local.events --write', file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
