"""Every date a client can send, on every route that takes one (read from the OpenAPI document, so
a date parameter added later is covered): any date from 0001-01-01 to 9999-12-31, next to any
partner date, answers a 4xx problem or a success, never a 500; outside the accepted range it is
refused with 422 before any arithmetic (``9999-12-31`` used to overflow the calendar and reports)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from common.domain import EARLIEST_DATE, LATEST_DATE, Role
from tests.support import factories
from tests.support.api import Api
from tests.support.routes import ApiRoute, api_routes, minimal, resolve

pytestmark = pytest.mark.usefixtures('shared_aws')

# A date parameter's partner: the other end of its range, set next to it so range checks pass and
# the request reaches the arithmetic.
PARTNERS = {
    'check_in': 'check_out',
    'check_out': 'check_in',
    'from': 'to',
    'to': 'from',
    'start_date': 'end_date',
    'end_date': 'start_date',
}


def _is_date(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    schema = resolve(schema, components)
    options = schema.get('anyOf') or schema.get('oneOf') or [schema]
    return any(resolve(o, components).get('format') == 'date' for o in options)


@dataclass(frozen=True)
class DateParameter:
    route: ApiRoute
    where: str  # query | path | body
    name: str

    @property
    def id(self) -> str:
        return f'{self.route.id} {self.where}:{self.name}'

    @property
    def partner(self) -> str | None:
        other = PARTNERS.get(self.name)
        names = {p['name'] for p in self.route.operation.get('parameters', [])}
        names |= set((self.route.body_schema or {}).get('properties', {}))
        return other if other in names else None


def date_parameters() -> list[DateParameter]:
    found = []
    for route in api_routes():
        for parameter in route.operation.get('parameters', []):
            if _is_date(parameter.get('schema', {}), route.components):
                found.append(DateParameter(route, parameter['in'], parameter['name']))
        for name, schema in ((route.body_schema or {}).get('properties') or {}).items():
            if _is_date(schema, route.components):
                found.append(DateParameter(route, 'body', name))
    return found


DATE_PARAMETERS = date_parameters()


@dataclass(frozen=True)
class World:
    paths: dict[str, str]
    guest: str
    admin: str


@pytest.fixture(scope='module')
def world(shared_aws: None) -> Iterator[World]:
    hotel = factories.hotel()
    room_type = factories.room_type(hotel)
    rule = factories.rule(hotel, ('percent', 10))
    guest = factories.user()
    held = factories.booking(guest.id, room_type, datetime.now(UTC).date() + timedelta(days=5))
    admin = factories.user(role=Role.ADMIN)
    yield World(
        paths={'room_type_id': room_type.id, 'hotel_id': hotel.id, 'rule_id': rule.id, 'booking_id': held.id},
        guest=factories.token(guest.id),
        admin=factories.token(admin.id, Role.ADMIN),
    )


def _send(api: Api, world: World, parameter: DateParameter, values: dict[str, str]):
    route = parameter.route
    query: dict[str, Any] = {}
    for spec in route.operation.get('parameters', []):
        if spec['in'] == 'query' and spec.get('required'):
            query[spec['name']] = minimal(spec.get('schema', {}), route.components)
    body: dict[str, Any] | None = None
    if route.body_schema is not None:
        body = dict(route.bodies()[0])
    paths = dict(world.paths)
    for name, value in values.items():
        where = 'body' if body is not None and name in (route.body_schema or {}).get('properties', {}) else None
        if parameter.where == 'path' and name == parameter.name:
            paths[name] = value
        elif where == 'body':
            assert body is not None
            body[name] = value
        else:
            query[name] = value
    token = world.admin if route.is_admin else world.guest if route.needs_auth else None
    return api.request(route.method, route.url(**paths), body, token=token, query=query or None)


def test_every_date_parameter_is_found():
    """The walk below covers the routes that take dates (a sanity check of the OpenAPI reading)."""
    names = {p.id for p in DATE_PARAMETERS}
    for expected in (
        'GET /api/rooms/search query:check_in',
        'GET /api/room-types/{room_type_id}/calendar query:from',
        'POST /api/bookings body:check_out',
        'PUT /api/admin/room-types/{room_type_id}/inventory body:start_date',
        'GET /api/admin/pricing/preview query:check_in',
        'GET /api/admin/reports/occupancy query:to',
        'GET /api/admin/bookings query:from',
        'POST /api/admin/price-rules body:end_date',
    ):
        assert expected in names, sorted(names)


@pytest.mark.parametrize('parameter', DATE_PARAMETERS, ids=[p.id for p in DATE_PARAMETERS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.dates(), offset=st.integers(min_value=-400, max_value=400))
@example(value=date(9999, 12, 31), offset=1)
@example(value=date(9999, 12, 31), offset=-1)
@example(value=date(1, 1, 1), offset=1)
@example(value=date(1, 1, 1), offset=-1)
@example(value=LATEST_DATE, offset=1)
@example(value=LATEST_DATE, offset=-1)
@example(value=EARLIEST_DATE, offset=1)
@example(value=EARLIEST_DATE, offset=-1)
def test_any_date_answers_a_4xx_or_a_success_never_a_500(
    api: Api, world: World, parameter: DateParameter, value: date, offset: int
):
    values = {parameter.name: value.isoformat()}
    partner = parameter.partner
    if partner is not None:
        try:
            values[partner] = (value + timedelta(days=offset)).isoformat()
        except OverflowError:
            values[partner] = value.isoformat()
    reply = _send(api, world, parameter, values)
    assert reply.status < 500, (parameter.id, values, reply.body[:300])
    assert reply.status == 200 or reply.header('Content-Type') in ('application/problem+json', 'application/json')
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        assert (reply.status, reply.code) == (422, 'validation_error'), (parameter.id, values, reply.body[:300])
        assert LATEST_DATE.isoformat() in reply.body.decode()


def test_the_far_future_calendar_that_used_to_answer_500(api: Api, world: World):
    reply = api.get(f'/api/room-types/{world.paths["room_type_id"]}/calendar', query={'from': '9999-12-31'})
    assert (reply.status, reply.code) == (422, 'validation_error')
    assert reply.json['errors'][0]['loc'] == ['query', 'from']
    report = api.get('/api/admin/reports/occupancy', query={'from': '9999-12-01'}, token=world.admin)
    assert (report.status, report.code) == (422, 'validation_error')
