"""What the web client relies on from the API: the refresh token in an HttpOnly cookie (cookie
mode), the site configuration, and paying with a payment method Stripe.js created.

The browser side (page script cannot read the cookie) is in tests/e2e/test_web_security.py.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from common import repos
from tests.support import factories
from tests.support.api import Api, Reply
from tests.support.stripe import StripeTest

pytestmark = pytest.mark.usefixtures('aws')

PASSWORD = 'correct horse battery'
COOKIE_MODE = {'X-Refresh-Token': 'cookie'}


def _account(api: Api, email: str = 'ada@example.com') -> None:
    reply = api.post('/api/auth/register', {'email': email, 'password': PASSWORD, 'name': 'Ada'})
    assert reply.status == 201, reply.json


def _set_cookie(reply: Reply) -> SimpleCookie:
    raw = reply.header('Set-Cookie')
    assert raw, f'no Set-Cookie in {reply.headers}'
    jar = SimpleCookie()
    jar.load(raw)
    return jar


def _cookie_login(api: Api) -> tuple[dict, str]:
    reply = api.post('/api/auth/login', {'email': 'ada@example.com', 'password': PASSWORD}, headers=COOKIE_MODE)
    assert reply.status == 200, reply.json
    return reply.json, _set_cookie(reply)['__Secure-refresh'].value


def test_in_cookie_mode_the_refresh_token_is_only_in_an_httponly_strict_cookie_scoped_to_auth(api: Api):
    _account(api)
    reply = api.post('/api/auth/login', {'email': 'ada@example.com', 'password': PASSWORD}, headers=COOKIE_MODE)

    assert reply.status == 200 and reply.json['refresh'] is None and reply.json['access']
    cookie = _set_cookie(reply)['__Secure-refresh']
    assert cookie.value.count('.') == 2  # a JWT
    assert cookie['httponly'] and cookie['secure']
    assert cookie['samesite'] == 'Strict' and cookie['path'] == '/api/auth'
    assert int(cookie['max-age']) == 7 * 24 * 3600
    assert reply.header('Cache-Control') == 'no-store'


def test_refresh_and_logout_take_the_token_from_the_cookie_and_rotate_it(api: Api):
    _account(api)
    _, first = _cookie_login(api)

    refreshed = api.post('/api/auth/refresh', {}, headers={**COOKIE_MODE, 'Cookie': f'__Secure-refresh={first}'})
    assert refreshed.status == 200 and refreshed.json['refresh'] is None
    second = _set_cookie(refreshed)['__Secure-refresh'].value
    assert second != first

    # The spent cookie again is a reuse: the session is revoked, as in body mode.
    reused = api.post('/api/auth/refresh', {}, headers={**COOKIE_MODE, 'Cookie': f'__Secure-refresh={first}'})
    assert (reused.status, reused.code) == (401, 'invalid_token')
    assert api.get('/api/users/me', token=refreshed.json['access']).status == 401


def test_logout_in_cookie_mode_ends_the_session_and_clears_the_cookie(api: Api):
    _account(api)
    pair, token = _cookie_login(api)

    reply = api.post(
        '/api/auth/logout', {}, token=pair['access'], headers={**COOKIE_MODE, 'Cookie': f'__Secure-refresh={token}'}
    )

    assert reply.status == 204
    cleared = _set_cookie(reply)['__Secure-refresh']
    assert cleared.value == '' and cleared['max-age'] == '0' and cleared['path'] == '/api/auth'
    assert api.get('/api/users/me', token=pair['access']).status == 401


def test_the_cookie_is_ignored_without_the_header(api: Api):
    """A request another site makes the browser send carries the cookie (were SameSite to let it)
    but cannot add a custom header without a preflight: without the header the cookie is unused."""
    _account(api)
    _, token = _cookie_login(api)

    reply = api.post('/api/auth/refresh', {}, headers={'Cookie': f'__Secure-refresh={token}'})

    assert (reply.status, reply.code) == (401, 'invalid_token')
    again = api.post('/api/auth/refresh', {}, headers={**COOKIE_MODE, 'Cookie': f'__Secure-refresh={token}'})
    assert again.status == 200  # not spent by the refused request


def test_body_mode_is_unchanged_for_api_clients(api: Api):
    _account(api)
    login = api.post('/api/auth/login', {'email': 'ada@example.com', 'password': PASSWORD})
    assert login.status == 200 and login.json['refresh'] and login.header('Set-Cookie') is None
    refreshed = api.post('/api/auth/refresh', {'refresh': login.json['refresh']})
    assert refreshed.status == 200 and refreshed.json['refresh'] and refreshed.header('Set-Cookie') is None


@pytest.mark.parametrize('headers', [{}, COOKIE_MODE, {**COOKIE_MODE, 'Cookie': 'other=1; __Secure-refresh'}])
def test_a_refresh_without_a_token_is_refused(api: Api, headers):
    reply = api.post('/api/auth/refresh', {}, headers=headers)
    assert (reply.status, reply.code) == (401, 'invalid_token')


def test_an_unknown_refresh_mode_is_refused(api: Api):
    reply = api.post('/api/auth/refresh', {'refresh': 'x.y.z'}, headers={'X-Refresh-Token': 'localStorage'})
    assert (reply.status, reply.code) == (422, 'validation_error')


def test_site_config_names_stripe_js_and_the_publishable_key(api: Api, override_settings):
    assert api.get('/api/config').json == {'stripe_publishable_key': None, 'stripe_js_url': 'https://js.stripe.com/v3/'}

    override_settings(STRIPE_PUBLISHABLE_KEY='pk_test_abc', STRIPE_JS_URL='http://127.0.0.1:8420/js.stripe.com/v3/')

    assert api.get('/api/config').json == {
        'stripe_publishable_key': 'pk_test_abc',
        'stripe_js_url': 'http://127.0.0.1:8420/js.stripe.com/v3/',
    }


# ------------------------------------------------------------------ paying with a card from Stripe.js


@pytest.fixture
def room():
    return factories.room_type(factories.hotel(), total_rooms=3, base_price=12000)


def _card(stripe_test: StripeTest, number: str) -> str:
    """What the card form does in the browser: localstripe's Stripe.js stand-in tokenises the
    card with the publishable key (POST /v1/tokens); a PaymentIntent accepts the token's card."""
    import requests

    reply = requests.post(
        f'{stripe_test.url}/v1/tokens',
        data={
            'card[number]': number,
            'card[exp_month]': '12',
            'card[exp_year]': '2030',
            'card[cvc]': '123',
            'key': 'pk_test_web',
        },
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    return reply.json()['card']['id']


def _hold(api: Api, room, token: str) -> dict:
    check_in, check_out = factories.stay(days_ahead=20, nights=2)
    reply = api.hold(room.id, check_in, check_out, token=token)
    assert reply.status == 201, reply.json
    return reply.json


def test_a_card_from_stripe_js_pays_on_the_server(api: Api, room, stripe_local: StripeTest, override_settings):
    override_settings(ALLOW_AUTO_CONFIRM='false')  # not the test shortcut: a real card payment
    token = factories.token()
    booking = _hold(api, room, token)

    reply = api.post(
        f'/api/bookings/{booking["id"]}/checkout',
        {'payment_method': _card(stripe_local, '4242424242424242')},
        token=token,
    )

    assert reply.status == 200, reply.json
    assert (reply.json['status'], reply.json['payment_status']) == ('CONFIRMED', 'succeeded')
    assert repos.get_booking(booking['id']).status.value == 'CONFIRMED'


def test_a_declined_card_from_stripe_js_answers_402_and_the_hold_stays(api: Api, room, stripe_local: StripeTest):
    token = factories.token()
    booking = _hold(api, room, token)

    reply = api.post(
        f'/api/bookings/{booking["id"]}/checkout',
        {'payment_method': _card(stripe_local, '4000000000000341')},
        token=token,
    )

    assert (reply.status, reply.code) == (402, 'payment_declined')
    stored = repos.get_booking(booking['id'])
    assert stored.status.value == 'PENDING' and stored.payment.last_error == 'card_declined'


def test_a_card_that_needs_3d_secure_is_left_for_stripe_js(api: Api, room, stripe_local: StripeTest):
    token = factories.token()
    booking = _hold(api, room, token)

    reply = api.post(
        f'/api/bookings/{booking["id"]}/checkout',
        {'payment_method': _card(stripe_local, '4000002500003155')},
        token=token,
    )

    assert reply.status == 200
    assert (reply.json['status'], reply.json['payment_status']) == ('PENDING', 'requires_action')
    assert reply.json['client_secret']
