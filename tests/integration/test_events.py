"""`make events-check`: every sample event under events/ goes through its function's handler, as
`sam local invoke -e events/<function>/<case>.json` would run it, against moto (DynamoDB,
EventBridge, SQS) and localstripe, at the instant the events were sent (local.events.ANCHOR).

The check seeds what the events refer to (the demo hotel of local/seed.py, Ada's account, the
admin) and, per event, fills its ${PLACEHOLDERS}: a fresh guest's tokens, a booking of theirs in
the state the event needs, a paid PaymentIntent, the webhook signature.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from moto import mock_aws

from common import wiring
from common.domain import (
    Adjustment,
    BookingStatus,
    Hotel,
    PlanRestrictions,
    PriceRule,
    Principal,
    PromoCode,
    RatePlan,
    Role,
    RoomType,
)
from common.services import accounts, audit, bookings, cancellation, checkout, holds
from functions.notifier import app as notifier_app
from local import cfn, events, seed
from local.gateway import LambdaContext, http_response
from tests.support import factories, mail
from tests.support.deps import deps
from tests.support.fixtures import assert_inventory_balances, create_tables, point_dynamodb_at
from tests.support.stripe import StripeTest

SAMPLES = events.samples()
API_SAMPLES = [s for s in SAMPLES if s.case is not None]
ADMIN_EMAIL, ADMIN_PASSWORD = 'admin@example.com', 'events-check-admin-password'
ADA_EMAIL, ADA_PASSWORD = 'ada@example.com', 'correct horse battery'
CLIENT_IP = events.GUEST_IP


def _now():
    return deps().clock()


@pytest.fixture(scope='module')
def world() -> Iterator[None]:
    """moto with the demo catalogue as of the events' instant: hotels, room types with a few
    weeks of inventory around the stays, the price rules, the admin and Ada."""
    with time_machine.travel(events.ANCHOR, tick=True), mock_aws():
        point_dynamodb_at(None, 'hotel-booking-events', 'hotel-booking-events-idempotency')
        create_tables(None)
        now = _now()
        for hotel in seed.HOTELS:
            deps().catalog.put_hotel(hotel, create=True)
        for room_type in seed.ROOM_TYPES:
            deps().catalog.put_room_type(room_type, create=True)
            factories.open_nights(room_type, now.date() - timedelta(days=30), 75)
        seed.put_terms(deps(), now.date())
        accounts.register(deps(), ADMIN_EMAIL, ADMIN_PASSWORD, 'Hotel Admin', now, role=Role.ADMIN)
        accounts.register(deps(), ADA_EMAIL, ADA_PASSWORD, 'Ada Lovelace', now)
        notifier_app.deps.cache_clear()
        boto3.client('sesv2', region_name='us-east-1').create_email_identity(EmailIdentity=deps().settings.sender_email)
        yield
        notifier_app.deps.cache_clear()
    point_dynamodb_at(None, 'hotel-booking-test', 'hotel-booking-idempotency-test')


@dataclass
class Given:
    """The values one event's placeholders take, prepared through the real services."""

    stripe: StripeTest
    values: dict[str, str] = field(default_factory=dict)

    def guest(self) -> Principal:
        email = f'guest-{uuid.uuid4().hex[:8]}@example.com'
        user = accounts.register(deps(), email, 'correct horse battery', 'Guest', _now())
        pair = accounts.login(deps(), email, 'correct horse battery', _now(), client_ip=CLIENT_IP)
        self.values.update(GUEST_TOKEN=pair.access, REFRESH_TOKEN=pair.refresh, USER_ID=user.id)
        return Principal(user.id, Role.GUEST)

    def admin(self) -> None:
        self.values['ADMIN_TOKEN'] = accounts.login(
            deps(), ADMIN_EMAIL, ADMIN_PASSWORD, _now(), client_ip=CLIENT_IP
        ).access

    def booking(self, guest: Principal, check_in: date | None = None, nights: int = 3) -> str:
        start = check_in or date.fromisoformat(events.CHECK_IN)
        request = bookings.HoldRequest('lisbon-deluxe-king', start, start + timedelta(days=nights), 2, 1)
        held = bookings.hold(deps(), guest, request, _now())
        self.values['BOOKING_ID'] = held.id
        return held.id

    def prepare(self, name: str | None) -> None:
        guest = Principal(self.values['USER_ID'], Role.GUEST) if 'USER_ID' in self.values else None
        if name == 'booking':
            self.booking(guest)
        elif name == 'paid_booking':
            booking_id = self.booking(guest)
            paid = checkout.checkout(deps(), guest, booking_id, _now(), auto_confirm=True)
            assert paid.booking.status is BookingStatus.CONFIRMED
        elif name == 'payment_intent':
            guest = self.guest()
            booking_id = self.booking(guest)
            intent = checkout.checkout(deps(), guest, booking_id, _now()).payment.payment_intent_id
            self.stripe.pay(intent)
            self.values['PAYMENT_INTENT_ID'] = intent
        elif name == 'ended_stay':
            stayed = _now().date() - timedelta(days=5)
            with time_machine.travel(events.ANCHOR - timedelta(days=10), tick=False):
                booking_id = self.booking(guest, stayed, nights=2)
                deps().bookings.transition(
                    deps().bookings.get(booking_id), [BookingStatus.PENDING], BookingStatus.CONFIRMED, _now()
                )
        elif name == 'empty_hotel':
            deps().catalog.put_hotel(
                Hotel('porto-annex', 'Porto Annex', 'Porto', 'Rua Nova 2', 'Europe/Lisbon', 15, 'EUR'), create=True
            )
        elif name == 'unbooked_room_type':
            attic = RoomType(
                'lisbon-attic-single', 'lisbon-harbour', 'Attic Single', 'Under the roof.', capacity=1,
                base_price=8000, currency='EUR', total_rooms=2,
            )  # fmt: skip
            deps().catalog.put_room_type(attic, create=True)
            factories.open_nights(attic, _now().date(), 10)
        elif name == 'spare_rule':
            deps().catalog.put_rule(
                PriceRule('lisbon-spring-promo', 'lisbon-harbour', 'Spring promo', Adjustment('percent', -10))
            )
        elif name == 'spare_rate_plan':
            plan = RatePlan(
                'lisbon-harbour', 'LASTMIN', 'Last minute', restrictions=PlanRestrictions(max_advance_days=3)
            )
            deps().catalog.create_plan(plan)
        elif name == 'spare_promo':
            deps().promos.create(PromoCode('lisbon-harbour', 'UNUSED', 'amount', 1000))
        else:
            assert name in (None, 'ada'), f'unknown given: {name}'


def handler_of(sample: events.Sample) -> Any:
    module, attribute = cfn.handler_location(cfn.functions()[sample.function]['Properties'])
    return getattr(importlib.import_module(module), attribute)


def invoke(sample: events.Sample, event: dict[str, Any]) -> dict[str, Any]:
    """What `sam local invoke <Function> -e <file>` does: the handler, the event, a context."""
    properties = cfn.functions()[sample.function]['Properties']
    timeout = float(properties.get('Timeout') or cfn.load()['Globals']['Function']['Timeout'])
    return handler_of(sample)(event, LambdaContext(sample.function, timeout_seconds=timeout))


@pytest.mark.parametrize('sample', API_SAMPLES, ids=lambda s: f'{s.folder}/{s.name}')
def test_each_api_event_answers_its_status(world, stripe_local: StripeTest, sample: events.Sample):
    # Given what the event refers to
    case = sample.case
    assert case is not None
    given = Given(stripe_local)
    names = events.placeholders(json.loads(sample.path.read_text()))
    if {'GUEST_TOKEN', 'REFRESH_TOKEN'} & set(names) or case.given in ('booking', 'paid_booking', 'ended_stay'):
        given.guest()
    if 'ADMIN_TOKEN' in names:
        given.admin()
    given.prepare(case.given)
    # When the file's event, its placeholders filled, goes to the function's handler
    event = events.render(json.loads(sample.path.read_text()), given.values, stripe_local.webhook_secret)
    result = invoke(sample, event)
    # Then it answers the status the catalogue promises, errors as problem+json with their code
    status, headers, body = http_response(result)
    assert status == sample.expect, body[:500]
    if status >= 400:
        assert headers['Content-Type'] == 'application/problem+json'
        assert json.loads(body)['code'] == case.code


def test_the_schedule_event_expires_a_hold_that_is_due(world, stripe_local: StripeTest):
    # Given a hold made 20 minutes before the schedule fires (holds last 15)
    given = Given(stripe_local)
    guest = given.guest()
    with time_machine.travel(events.ANCHOR - timedelta(minutes=19), tick=False):
        booking_id = given.booking(guest, date.fromisoformat(events.CHECK_IN) + timedelta(days=7), nights=1)
    # When the sweeper gets the schedule event from events/
    [sample] = [s for s in SAMPLES if s.folder == 'expire_sweeper']
    summary = invoke(sample, json.loads(sample.path.read_text()))
    # Then the hold is expired and its room is back on sale
    assert summary['expired'] >= 1 and summary['failed'] == 0, summary
    assert deps().bookings.get(booking_id).status is BookingStatus.EXPIRED


def test_the_daily_schedule_event_rolls_every_sale_window_forward(world, override_settings):
    # Given the demo room types, opened until a week after the events' instant
    override_settings(SALE_WINDOW_DAYS=45)
    # When housekeeping gets the schedule event from events/
    [sample] = [s for s in SAMPLES if s.folder == 'housekeeping']
    summary = invoke(sample, json.loads(sample.path.read_text()))
    # Then every room type has its window, and one night of lead, from its hotel's today
    assert summary['complete'] and summary['room_types'] >= len(seed.ROOM_TYPES), summary
    hotels = {h.id: h for h in seed.HOTELS}
    for room_type in seed.ROOM_TYPES:
        today = hotels[room_type.hotel_id].today(_now())
        nights = deps().inventory.nights(room_type.id, today, today + timedelta(days=47), consistent=True)
        assert [n.date for n in nights] == [today + timedelta(days=d) for d in range(47)]
    assert summary['nights_opened'] > 0
    assert_inventory_balances()


def test_the_reconciler_schedule_event_checks_every_booking_against_stripe(world, stripe_local: StripeTest):
    # Given a paid booking
    given = Given(stripe_local)
    given.guest()
    given.prepare('paid_booking')
    # When the reconciler gets the schedule event from events/, and again on demand
    [sample] = [s for s in SAMPLES if s.folder == 'reconciler']
    summary = invoke(sample, json.loads(sample.path.read_text()))
    # Then it read every booking of the window and found what the auditor finds (earlier tests of
    # the module write a stay without a payment on purpose), not the paid one; a second run that
    # day is one read
    at_risk = {v.booking_id for v in audit.payment_violations(deps(), stripe=True)}
    assert given.values['BOOKING_ID'] not in at_risk
    assert summary['complete'] and summary['examined'] >= 1 and summary['money_at_risk'] == len(at_risk), summary
    assert invoke(sample, json.loads(sample.path.read_text()))['already_done']
    assert invoke(sample, {**json.loads(sample.path.read_text()), 'again': True})['examined'] == summary['examined']


def test_the_stream_event_is_published_to_the_bus(world):
    # Given the bus, with a rule that copies the booking events to a queue
    [sample] = [s for s in SAMPLES if s.folder == 'publisher']
    bus = 'hotel-booking'
    region = 'us-east-1'
    bridge, sqs = boto3.client('events', region_name=region), boto3.client('sqs', region_name=region)
    bridge.create_event_bus(Name=bus)
    queue = sqs.create_queue(QueueName='booking-events')['QueueUrl']
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
    bridge.put_rule(Name='all-bookings', EventBusName=bus, EventPattern=json.dumps({'source': ['hotel-booking']}))
    bridge.put_targets(Rule='all-bookings', EventBusName=bus, Targets=[{'Id': 'queue', 'Arn': queue_arn}])
    wiring.reset()  # the publisher builds its EventBridge client (inside moto) again
    # When the publisher gets the stream batch from events/
    result = invoke(sample, json.loads(sample.path.read_text()))
    # Then no record failed and the queue got a BookingConfirmed for the booking
    assert result == {'batchItemFailures': []}
    [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)['Messages']
    published = json.loads(message['Body'])
    booking_id = sample.event['Records'][0]['dynamodb']['NewImage']['booking_id']['S']
    assert (published['detail-type'], published['detail']['booking_id']) == ('BookingConfirmed', booking_id)
    assert published['detail']['status'] == 'CONFIRMED'


def test_the_inventory_stream_event_writes_the_search_view(world):
    [sample] = [s for s in SAMPLES if s.folder == 'search_view']
    # When the search view's consumer gets the stream batch from events/
    assert invoke(sample, json.loads(sample.path.read_text())) == {'batchItemFailures': []}
    # Then the city's view has the night as the record's new image left it
    night = date.fromisoformat(events.CHECK_IN)
    [cell] = [
        n
        for n in deps().view.read('Lisbon', night, night + timedelta(days=1))
        if n.room_type_id == 'lisbon-deluxe-king'
    ]
    assert (cell.allotment, cell.available, cell.stop_sell) == (8, 2, False)


def test_the_inventory_balances_after_every_event(world):
    # One audit of the module's table (a scan: too slow to repeat after each event).
    assert_inventory_balances()


NOTIFIER_SAMPLES = [s for s in SAMPLES if s.folder == 'notifier']
# What each sample sends, and the state its booking must be in.
EMAILS = {
    'booking_confirmed': ('paid_booking', ['guest_confirmed', 'hotel_new_booking']),
    'booking_cancelled': ('cancelled_booking', ['guest_cancelled', 'hotel_cancelled']),
    'refund_issued': ('cancelled_booking', ['guest_refunded']),
    'booking_expired': ('expired_booking', ['guest_expired']),
}


@pytest.mark.parametrize('sample', NOTIFIER_SAMPLES, ids=lambda s: f'{s.folder}/{s.name}')
def test_each_notifier_event_sends_its_emails(world, stripe_local: StripeTest, sample: events.Sample):
    # Given a guest's booking in the state the event is about (paid through localstripe)
    given = Given(stripe_local)
    guest = given.guest()
    state, kinds = EMAILS[sample.name]
    # A stay of its own (the module's earlier events hold and pay the events' own dates)
    check_in = date.fromisoformat(events.CHECK_IN) + timedelta(days=14 + 3 * NOTIFIER_SAMPLES.index(sample))
    booking_id = given.booking(guest, check_in)
    if state in ('paid_booking', 'cancelled_booking'):
        paid = checkout.checkout(deps(), guest, booking_id, _now(), auto_confirm=True)
        assert paid.booking.status is BookingStatus.CONFIRMED
    if state == 'cancelled_booking':
        cancelled = cancellation.cancel(deps(), guest, booking_id, _now()).booking
        given.values['REFUND_ID'] = cancelled.refund.stripe_refund_id
    if state == 'expired_booking':
        held = deps().bookings.get(booking_id)
        holds.expire(deps(), held, held.hold_expires_at + timedelta(seconds=1))
    sent_before = len(mail.moto_outbox())
    # When the file's event, its placeholders filled, goes to NotifierFunction's handler
    event = events.render(json.loads(sample.path.read_text()), given.values)
    summary = invoke(sample, event)
    # Then it sends the emails the catalogue says, to the guest and the hotel's desk
    assert sorted(summary['sent']) == kinds
    new = mail.moto_outbox()[sent_before:]
    guest_email = deps().accounts.get_user(given.values['USER_ID']).email
    desk = deps().catalog.get_hotel('lisbon-harbour').notification_email  # (the admin samples change it)
    assert sorted(m.to[0] for m in new) == sorted(guest_email if k.startswith('guest') else desk for k in kinds)
    # and the same event again sends nothing more
    assert invoke(sample, event)['sent'] == []
