"""Mass assignment: every JSON body of every route in the template refuses fields it does not
declare, privileged ones above all (``role``, ``status``, ``total_amount``, ``user_id``...), at
the top level and inside nested objects, with 422 and nothing written. Bodies are built from each
route's own schema, so routes added later are covered."""

from __future__ import annotations

from typing import Any

import pytest

from common import tables
from common.domain import Role
from tests.support import factories
from tests.support.api import Api
from tests.support.routes import BODY_METHODS, ApiRoute, api_routes

pytestmark = pytest.mark.usefixtures('shared_aws')

BODY_ROUTES = [r for r in api_routes() if r.method in BODY_METHODS and r.body_schema is not None]
# Named by the issue; never a field a guest may send.
PRIVILEGED = {'role': 'admin', 'status': 'CONFIRMED', 'total_amount': 1, 'user_id': 'someone-else'}
# Server-owned fields of our resources; refused wherever a route does not declare them.
SERVER_OWNED = {
    'is_admin': True,
    'password_hash': '$argon2id$v=19$m=8,t=1,p=1$x$y',
    'version': 99,
    'payment': {'status': 'succeeded'},
    'refund': None,
    'created_at': '2000-01-01T00:00:00Z',
    'hold_expires_at': '2999-01-01T00:00:00Z',
    'review_count': 1000,
    'rating_sum': 5000,
    'available': 100,
}


def _token(route: ApiRoute) -> str | None:
    if not route.needs_auth:
        return None
    return factories.token(role=Role.ADMIN if route.is_admin else Role.GUEST)


def _item_count() -> int:
    return tables.BookingItem.count()  # every item of the table: the hash key has no condition here


def _objects(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Paths to every JSON object inside ``value`` (the body itself included)."""
    found = []
    if isinstance(value, dict):
        found.append(path)
        for key, inner in value.items():
            found.extend(_objects(inner, (*path, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(_objects(inner, (*path, index)))
    return found


def _with(body: Any, path: tuple[str | int, ...], name: str, value: Any) -> Any:
    if not path:
        return {**body, name: value}
    copy = list(body) if isinstance(body, list) else dict(body)
    copy[path[0]] = _with(body[path[0]], path[1:], name, value)
    return copy


def _refused_for(reply, name: str) -> bool:
    if (reply.status, reply.code) != (422, 'validation_error'):
        return False
    return any(name in [str(p) for p in e.get('loc', [])] or name in e.get('msg', '') for e in reply.json['errors'])


def test_there_are_body_routes_to_check():
    ids = {r.id for r in BODY_ROUTES}
    assert {'POST /api/bookings', 'POST /api/auth/register', 'PATCH /api/users/me'} <= ids


@pytest.mark.parametrize('route', BODY_ROUTES, ids=lambda r: r.id)
def test_undeclared_and_privileged_fields_are_refused_and_nothing_is_written(api: Api, route: ApiRoute):
    declared = set((route.body_schema or {}).get('properties', {}))
    if not route.is_admin:
        assert not declared & set(PRIVILEGED), f'{route.id} lets a guest send {declared & set(PRIVILEGED)}'
    body = route.bodies()[0]
    token = _token(route)
    before = _item_count()
    accepted = {}
    for name, value in {**PRIVILEGED, **SERVER_OWNED, 'x_unknown_field': 'x'}.items():
        if name in declared:
            continue  # an admin resource field (admins may set what their own routes declare)
        reply = api.request(route.method, route.url(), {**body, name: value}, token=token)
        if not _refused_for(reply, name):
            accepted[name] = (reply.status, reply.body[:200])
    for path in _objects(body)[1:]:  # nested objects refuse unknown fields too
        reply = api.request(route.method, route.url(), _with(body, path, 'x_unknown_field', 1), token=token)
        if not _refused_for(reply, 'x_unknown_field'):
            accepted['.'.join(map(str, path))] = (reply.status, reply.body[:200])
    assert not accepted, f'{route.id} did not refuse: {accepted}'
    assert _item_count() == before, 'a refused request wrote something'


def test_a_profile_patch_cannot_change_email_or_role_and_says_so(api: Api):
    user = factories.user()
    token = factories.token(user.id)
    for field, value in (('email', 'evil@example.com'), ('role', 'admin'), ('password', 'a new password')):
        reply = api.patch('/api/users/me', {'name': 'Ada', field: value}, token=token)
        assert (reply.status, reply.code) == (422, 'validation_error'), field
        assert f'{field} cannot be changed' in reply.json['detail']
    profile = api.get('/api/users/me', token=token).json
    assert (profile['email'], profile['role'], profile['name']) == (user.email, 'guest', 'Ada Lovelace')
