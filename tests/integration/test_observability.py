"""Logs, metrics and traces of the real handlers (docs/observability.md): JSON lines correlated by
the API Gateway request id with the booking id appended, nothing secret or personal in them, one
EMF metric per business event with a fixed dimension set, DynamoDB and Stripe calls traced."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.context import Context
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter

from common.domain import BookingStatus, Role
from common.observability import TRACED_LIBRARIES, logger
from local import cfn, events
from local.gateway import Gateway, LambdaContext
from tests.integration.test_sweeper import run_sweeper
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.fixtures import point_stripe_at
from tests.support.logs import captured_logs
from tests.support.metrics import Metric
from tests.support.stripe import StripeTest

pytestmark = pytest.mark.usefixtures('aws')

SERVICE = {'service': 'test'}


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The application's JSON lines at DEBUG and every library's INFO and above, as one stream."""
    with captured_logs(logging.INFO) as stream:
        yield stream


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith('{')]
    stream.seek(0)
    stream.truncate()
    return lines


# ---------------------------------------------------------------- logs

# One event of every API function (from events/), with what its placeholders need.
ONE_EVENT_PER_FUNCTION = {
    s.function: s for s in reversed(events.samples()) if s.case is not None and 'STRIPE_SIGNATURE' not in str(s.event)
}


def _handler(function: str) -> Any:
    module, attribute = cfn.handler_location(cfn.functions()[function]['Properties'])
    return getattr(__import__(module, fromlist=[attribute]), attribute)


@pytest.mark.parametrize('function', sorted(ONE_EVENT_PER_FUNCTION))
def test_every_line_of_an_api_request_carries_its_request_id_and_nothing_of_the_one_before(
    function: str, log_lines: io.StringIO
):
    # Given an event of this function, and a key left appended by an earlier invocation
    sample = ONE_EVENT_PER_FUNCTION[function]
    values = {
        'GUEST_TOKEN': factories.token('guest-1'),
        'ADMIN_TOKEN': factories.token('admin-1', Role.ADMIN),
        'REFRESH_TOKEN': 'not-a-token',
        'BOOKING_ID': 'b-unknown',
        'PAYMENT_INTENT_ID': 'pi_unknown',
        'USER_ID': 'guest-1',
    }
    event = events.render(sample.event, values)
    logger.append_keys(booking_id='b-from-the-last-request')
    # When the function handles it
    _handler(function)(event, LambdaContext(function))
    # Then it logged its request line, and every line has this request's id and no stale key
    lines = json_lines(log_lines)
    request_id = event['requestContext']['requestId']
    [request] = [line for line in lines if line['message'] == 'request']
    assert (request['route'], request['method']) == (event['resource'], event['httpMethod'])
    assert all(line['correlation_id'] == request_id for line in lines), lines
    assert all(line.get('booking_id') != 'b-from-the-last-request' for line in lines), lines
    assert all(line['function_request_id'] for line in lines)


@pytest.fixture
def room():
    return factories.room_type(factories.hotel(), total_rooms=2, base_price=12000)


def _register_and_login(api: Api, email: str, password: str) -> dict:
    assert api.post('/api/auth/register', {'email': email, 'password': password, 'name': 'Ada Lovelace'}).status == 201
    reply = api.post('/api/auth/login', {'email': email, 'password': password})
    assert reply.status == 200
    return reply.json


def test_a_booking_payment_and_cancellation_log_ids_but_no_secrets_or_personal_data(
    api: Api, room, stripe_local: StripeTest, log_lines: io.StringIO
):
    email, password, phone = 'ada.lovelace@example.com', 'Analytical-Engine-1843', '+351 912 345 678'
    # Given a guest who signs up, signs in and gives a phone number
    tokens = _register_and_login(api, email, password)
    access = tokens['access']
    assert api.patch('/api/users/me', {'phone': phone}, token=access).status == 200
    # When they book, pay (Stripe.js + the signed webhook), read and cancel (with a refund)
    check_in, check_out = factories.stay(days_ahead=20, nights=2)
    hold = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': 2}
    booking = api.post('/api/bookings', hold, token=access, headers={'Idempotency-Key': 'k-1'}).json
    paid = api.post(f'/api/bookings/{booking["id"]}/checkout', {}, token=access).json
    stripe_local.pay(paid['payment_intent_id'])
    event = stripe_local.event_for(paid['payment_intent_id'], 'payment_intent.succeeded')
    assert stripe_local.deliver(api, event).json['outcome'] == 'confirmed'
    assert api.get(f'/api/bookings/{booking["id"]}', token=access).status == 200
    cancelled = api.post(f'/api/bookings/{booking["id"]}/cancel', token=access).json
    assert cancelled['refund']['stripe_refund_id']
    refreshed = api.post('/api/auth/refresh', {'refresh': tokens['refresh']}).json
    assert api.post('/api/auth/logout', {'refresh': refreshed['refresh']}, token=refreshed['access']).status == 204
    # Then the logs say what happened to which booking...
    logs = log_lines.getvalue()
    lines = json_lines(log_lines)
    booking_lines = [line for line in lines if line.get('booking_id') == booking['id']]
    messages = {line['message'] for line in booking_lines}
    assert {'hold created', 'stripe event', 'booking cancelled', 'request'} <= messages, messages
    assert all(line['correlation_id'] for line in booking_lines)
    # ...and never a secret or a personal detail beyond ids
    secrets = {
        'email': email,
        'email local part': 'ada.lovelace',
        'name': 'Lovelace',
        'phone': '912 345 678',
        'password': password,
        'access token': access,
        'refresh token': tokens['refresh'],
        'rotated access token': refreshed['access'],
        'client secret': paid['client_secret'],
        'client secret marker': '_secret_',
        'stripe key': stripe_local.key,
        'webhook secret': stripe_local.webhook_secret,
        'jwt secret': 'test-only-secret',
        'card': '4242',
        'signature': 'v1=',
    }
    leaked = {what: value for what, value in secrets.items() if value in logs}
    assert not leaked, leaked


# ---------------------------------------------------------------- metrics, one test per business flow


def _book(api: Api, room, token: str, rooms: int = 1, days_ahead: int = 20) -> Any:
    check_in, check_out = factories.stay(days_ahead=days_ahead, nights=2)
    body = {'room_type_id': room.id, 'check_in': check_in, 'check_out': check_out, 'guests': rooms, 'rooms': rooms}
    return api.post('/api/bookings', body, token=token)


def test_a_hold_counts_booking_held_and_a_refusal_counts_sold_out(api: Api, room, emitted):
    token = factories.token()
    assert _book(api, room, token).status == 201
    assert emitted() == [Metric('BookingHeld', 1, SERVICE)]
    assert _book(api, room, token, rooms=2).status == 409
    assert emitted() == [Metric('SoldOutRefusals', 1, SERVICE)]


def test_a_replayed_hold_is_not_counted_again(api: Api, room, emitted):
    token = factories.token()
    body = {'room_type_id': room.id, 'check_in': factories.stay()[0], 'check_out': factories.stay()[1], 'guests': 1}
    first = api.post('/api/bookings', body, token=token, headers={'Idempotency-Key': 'same'})
    emitted()
    again = api.post('/api/bookings', body, token=token, headers={'Idempotency-Key': 'same'})
    assert first.json == again.json
    assert emitted() == []


def test_auto_confirm_counts_a_confirmation_by_auto_confirm(api: Api, room, stripe_local: StripeTest, emitted):
    token = factories.token()
    booking = _book(api, room, token).json
    emitted()
    reply = api.post(f'/api/bookings/{booking["id"]}/checkout', {'auto_confirm': True}, token=token)
    assert reply.json['status'] == 'CONFIRMED'
    found = emitted()
    assert Metric('BookingConfirmed', 1, {'path': 'auto_confirm', **SERVICE}) in found
    assert Metric('PaymentIntentCreated', 1, SERVICE) in found


def test_an_expiry_and_a_late_payment_count_expired_then_confirmed_late(
    api: Api, room, stripe_local: StripeTest, emitted
):
    # Given a hold with a PaymentIntent, expired by the sweeper while Stripe was unreachable
    token = factories.token()
    booking = _book(api, room, token).json
    intent = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    emitted()
    point_stripe_at('http://127.0.0.1:9', stripe_local.key, stripe_local.webhook_secret)
    try:
        with time_machine.travel(factories.after_expiry(booking)):
            run_sweeper()
    finally:
        point_stripe_at(stripe_local.url, stripe_local.key, stripe_local.webhook_secret)
    expired = emitted()
    assert Metric('BookingExpired', 1, SERVICE) in expired
    assert Metric('PaymentIntentsLeftOpen', 1, SERVICE) in expired
    # When the guest pays after all and the rooms are still free
    stripe_local.pay(intent)
    stripe_local.deliver(api, stripe_local.event_for(intent, 'payment_intent.succeeded'))
    # Then a late confirmation is counted, and the event by its type and outcome
    late = emitted()
    assert Metric('BookingConfirmed', 1, {'path': 'late_payment', **SERVICE}) in late
    outcome = {'event_type': 'payment_intent.succeeded', 'outcome': 'late_payment_confirmed', **SERVICE}
    assert Metric('WebhookEvent', 1, outcome) in late


def test_a_cancellation_with_a_refund_is_counted_once_however_often_it_is_retried(
    api: Api, room, stripe_local: StripeTest, emitted
):
    token = factories.token()
    booking = _book(api, room, token).json
    api.post(f'/api/bookings/{booking["id"]}/checkout', {'auto_confirm': True}, token=token)
    emitted()
    first = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    again = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert first.status == again.status == 200
    assert first.json['refund']['stripe_refund_id']
    assert emitted() == [
        Metric('RefundIssued', 1, {'path': 'cancellation', **SERVICE}),
        Metric('BookingCancelled', 1, SERVICE),
    ]


def test_a_forged_webhook_is_counted_as_an_unverified_event(api: Api, stripe_local: StripeTest, emitted):
    event = stripe_local.event('payment_intent.succeeded', {'id': 'pi_x', 'object': 'payment_intent'})
    reply = api.post('/api/webhook', raw=json.dumps(event).encode(), headers={'Stripe-Signature': 't=1,v1=00'})
    assert reply.status == 400
    unverified = {'event_type': 'unverified', 'outcome': 'invalid_signature', **SERVICE}
    assert emitted() == [Metric('WebhookEvent', 1, unverified)]


def test_every_count_is_declared_with_one_dimension_set():
    """The names, dimensions and alarms in docs/observability.md and template.yaml agree."""
    template = cfn.load()
    resources = template['Resources']
    alarms = [r['Properties'] for r in resources.values() if r['Type'] == 'AWS::CloudWatch::Alarm']
    ours = [a for a in alarms if a.get('Namespace') == 'HotelBooking']
    # Each alarm on our metrics names exactly the dimension set the code emits (else it never fires).
    emitted_with = {'RefundFailed': {'service'}, 'SweepFailures': {'service'}, 'SaleWindowShort': {'service'}}
    emitted_with['EmailRejected'] = {'service'}
    emitted_with['PaymentMismatch'] = {'service'}
    emitted_with |= {name: {'service'} for name in ('DisputeOpened', 'PaymentNeedsAttention', 'MoneyAtRisk')}
    emitted_with['WebhookEvent'] = {'service', 'event_type', 'outcome'}
    emitted_with['SearchViewLag'] = {'service'}  # functions/search_view: metrics.add_metric, no dimensions
    for alarm in ours:
        assert {d['Name'] for d in alarm['Dimensions']} == emitted_with[alarm['MetricName']], alarm['MetricName']
    dashboard = resources['Dashboard']['Properties']['DashboardBody'].value
    for name in ('BookingHeld', 'SoldOutRefusals', 'BookingConfirmed', 'BookingExpired', 'BookingCancelled'):
        assert name in dashboard
    assert 'RefundIssued' in dashboard and 'WebhookEvent' in dashboard
    assert 'NightsOpened' in dashboard and 'SaleWindowShort' in dashboard


# ---------------------------------------------------------------- traces


class _Captured(UDPEmitter):
    """Keeps the segments X-Ray would send to its daemon."""

    def __init__(self) -> None:
        super().__init__()
        self.segments: list[dict[str, Any]] = []

    def send_entity(self, entity: Any) -> None:
        self.segments.append(json.loads(entity.serialize()))


@pytest.fixture
def xray(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Captured]:
    """X-Ray on, as in Lambda (Tracing: Active), with the libraries the Tracer patches; the
    segments are kept instead of sent. Off again afterwards (the patches then pass through)."""
    emitter = _Captured()
    # Tests run with tracing off, where common.observability uses a stand-in without the X-Ray
    # SDK; here the real Tracer takes its place, as in Lambda.
    from aws_lambda_powertools import Tracer

    from common import observability

    real = Tracer(patch_modules=TRACED_LIBRARIES)
    monkeypatch.setattr(observability, 'tracer', real)
    monkeypatch.setattr(real, 'disabled', False)
    global_sdk_config.set_sdk_enabled(True)
    xray_recorder.configure(emitter=emitter, sampling=False, context=Context(), context_missing='LOG_ERROR')
    real.patch(TRACED_LIBRARIES)
    try:
        yield emitter
    finally:
        global_sdk_config.set_sdk_enabled(False)


def _subsegments(entity: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for child in entity.get('subsegments', []):
        yield child
        yield from _subsegments(child)


def test_dynamodb_and_stripe_calls_are_traced(api: Api, room, stripe_local: StripeTest, xray: _Captured):
    # Given a guest's hold (each invocation under a segment, as Lambda opens one)
    token = factories.token()
    xray_recorder.begin_segment('bookings')
    booking = _book(api, room, token).json
    xray_recorder.end_segment()
    # When they check out with auto_confirm
    xray_recorder.begin_segment('checkout')
    reply = api.post(f'/api/bookings/{booking["id"]}/checkout', {'auto_confirm': True}, token=token)
    xray_recorder.end_segment()
    assert reply.status == 200, reply.json
    # Then each DynamoDB call (through PynamoDB) and each Stripe call is a subsegment
    segment = xray.segments[-1]
    found = list(_subsegments(segment))
    dynamodb = [s['aws']['operation'] for s in found if s.get('namespace') == 'aws' and s['name'] == 'dynamodb']
    assert {'GetItem', 'UpdateItem'} <= set(dynamodb), dynamodb
    stripe_ops = [s for s in found if s['name'].startswith('## stripe.')]
    assert {s['name'] for s in stripe_ops} >= {'## stripe.create_payment_intent', '## stripe.confirm_payment_intent'}
    for operation in stripe_ops:
        requests = [s for s in operation.get('subsegments', []) if s.get('namespace') == 'remote']
        assert requests, operation  # confirming is two requests (attach the method, confirm)
        assert all(r['http']['request']['url'].startswith(f'{stripe_local.url}/v1/payment_intents') for r in requests)
        assert operation['annotations']['stripe_operation'] == operation['name'].removeprefix('## stripe.')
    # and the booking id is an annotation of the trace, to find it by booking
    assert deps().bookings.get(booking['id']).status is BookingStatus.CONFIRMED
    annotated = [s for s in [segment, *found] if s.get('annotations', {}).get('booking_id') == booking['id']]
    assert annotated


def _invoked(name: str, call: Any) -> Any:
    """One invocation under its own segment, as Lambda opens one per invocation."""
    xray_recorder.begin_segment(name)
    try:
        return call()
    finally:
        xray_recorder.end_segment()


def test_traces_keep_no_token_client_secret_email_or_password(room, stripe_local: StripeTest, xray: _Captured):
    """X-Ray keeps a trace's metadata 30 days for anyone with xray:BatchGetTraces: what sign-in,
    refresh, profile and checkout answer (tokens, the PaymentIntent's client secret, personal data)
    and what they were sent must not be in it."""
    # Given handlers decorated as in Lambda: fresh module copies, imported with X-Ray on
    api = Api(Gateway(fresh_modules=True))
    email, password, name = f'{factories.unique("trace")}@example.com', 'trace-password-123', 'Grace Hopper'
    # When a guest signs up, signs in (body and cookie mode), reads their profile, refreshes, books
    # and pays
    body = {'email': email, 'password': password, 'name': name}
    assert _invoked('auth', lambda: api.post('/api/auth/register', body)).status == 201
    credentials = {'email': email, 'password': password}
    pair = _invoked('auth', lambda: api.post('/api/auth/login', credentials)).json
    in_cookie = _invoked(
        'auth', lambda: api.post('/api/auth/login', credentials, headers={'X-Refresh-Token': 'cookie'})
    )
    cookie_token = in_cookie.header('Set-Cookie').split(';')[0].split('=', 1)[1]
    assert _invoked('users', lambda: api.get('/api/users/me', token=pair['access'])).json['email'] == email
    rotated = _invoked('auth', lambda: api.post('/api/auth/refresh', {'refresh': pair['refresh']})).json
    booking = _invoked('bookings', lambda: _book(api, room, rotated['access'])).json
    paid = _invoked(
        'checkout', lambda: api.post(f'/api/bookings/{booking["id"]}/checkout', {}, token=rotated['access'])
    ).json
    # Then every handler was traced, and none of it is in any segment
    everything = json.dumps(xray.segments)
    handlers = [s for segment in xray.segments for s in _subsegments(segment) if s['name'] == '## lambda_handler']
    assert len(handlers) == len(xray.segments) == 7
    secrets = {
        'access token': pair['access'],
        'refresh token': pair['refresh'],
        'cookie refresh token': cookie_token,
        'rotated access token': rotated['access'],
        'rotated refresh token': rotated['refresh'],
        'client secret': paid['client_secret'],
        'email': email,
        'password': password,
        'name': name,
    }
    found = [what for what, value in secrets.items() if value and value in everything]
    assert not found, f'in the traces: {found}'
    metadata = [s.get('metadata', {}) for segment in xray.segments for s in [segment, *_subsegments(segment)]]
    recorded = {key for m in metadata for namespace in m.values() for key in namespace}
    assert not {key for key in recorded if key.endswith((' response', ' error'))}, recorded
