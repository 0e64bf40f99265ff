"""Who may call what, for every route of the template: public routes are exactly the public list
of the design, everything else needs a signed-in caller, and /api/admin/... needs the admin role
(a guest gets 403 before anything else happens)."""

from __future__ import annotations

import pytest

from common.domain import Role
from tests.support import factories
from tests.support.api import Api
from tests.support.counting import count_calls
from tests.support.routes import BODY_METHODS, api_routes

pytestmark = pytest.mark.usefixtures('shared_aws')

ROUTES = api_routes()
ADMIN_ROUTES = [r for r in ROUTES if r.is_admin]
# DESIGN §6: the only routes anyone may call without a token.
PUBLIC = {
    'GET /api/health',
    'GET /api/hotels',
    'GET /api/hotels/{hotel_id}',
    'GET /api/room-types',
    'GET /api/room-types/{room_type_id}',
    'GET /api/room-types/{room_type_id}/calendar',
    'GET /api/room-types/{room_type_id}/reviews',
    'GET /api/rooms/search',
    'POST /api/auth/register',
    'POST /api/auth/login',
    'POST /api/auth/refresh',
    'POST /api/webhook',
    'GET /api/docs',
    'GET /api/openapi.json',
    # the API's own documentation (ReDoc and the pinned Swagger UI assets)
    'GET /api/redoc',
    'GET /api/docs/assets/{asset}',
    # what the web client needs before anyone signs in (Stripe's publishable key, Stripe.js URL)
    'GET /api/config',
}


def test_only_the_public_routes_of_the_design_take_no_token():
    open_routes = {r.id for r in ROUTES if not r.needs_auth}
    assert open_routes <= PUBLIC, f'routes without security=AUTH: {sorted(open_routes - PUBLIC)}'


@pytest.mark.parametrize('route', [r for r in ROUTES if r.needs_auth], ids=lambda r: r.id)
def test_a_protected_route_refuses_an_anonymous_caller_before_reading_the_body(api: Api, route):
    body = {'role': 'admin', 'nonsense': True} if route.method in BODY_METHODS else None
    reply = api.request(route.method, route.url(), body)
    assert (reply.status, reply.code) == (401, 'unauthorized')
    assert reply.header('WWW-Authenticate') == 'Bearer'
    assert 'errors' not in reply.json, 'no validation report for an anonymous caller'


@pytest.mark.skipif(not ADMIN_ROUTES, reason='no /api/admin/ routes in template.yaml yet')
@pytest.mark.parametrize('route', ADMIN_ROUTES, ids=lambda r: r.id)
def test_an_admin_route_refuses_a_guest_with_403_before_any_read(api: Api, route, monkeypatch):
    guest = factories.token(factories.user().id, role=Role.GUEST)
    bodies = route.bodies() or [None]
    for body in (*bodies, {'nonsense': True}):
        with count_calls(monkeypatch) as calls:
            reply = api.request(route.method, route.url(), body, token=guest)
        assert (reply.status, reply.code) == (403, 'forbidden'), (route.id, reply.body[:200])
        assert 'errors' not in reply.json
        assert calls.total == 0, f'{route.id} read {dict(calls.calls)} before refusing a guest'
    assert api.request(route.method, route.url(), bodies[0]).status == 401


@pytest.mark.skipif(not ADMIN_ROUTES, reason='no /api/admin/ routes in template.yaml yet')
def test_every_admin_route_declares_its_token():
    assert all(r.needs_auth for r in ADMIN_ROUTES), [r.id for r in ADMIN_ROUTES if not r.needs_auth]
