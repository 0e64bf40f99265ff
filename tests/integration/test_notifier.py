"""NotifierFunction against moto (DynamoDB and SES v2): each integration event, as the publisher
derives it from the booking's writes, gives the right emails to the right people with the
booking's own figures; the .ics is a calendar invitation a library reads back; each email goes
out once however often the event arrives; SES failures are retried, recorded or raised."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine

from common.domain import (
    BookingStatus,
    CancellationPolicy,
    Payment,
    Penalty,
    Principal,
    Refund,
    RefundQuote,
    RefundStatus,
    Role,
)
from common.notifications.compose import Recipient
from common.notifications.rendering import Formats
from common.notifications.service import EmailInProgress
from common.observability import logger
from common.ports import EmailClaim, EmailDeferred
from common.services import accounts, bookings, holds, refunds
from common.tables import NotificationItem
from functions.notifier import app
from local.gateway import LambdaContext
from tests.support import factories, mail
from tests.support.deps import deps
from tests.support.mail import SENDER, Watched

HOTEL_DESK = 'reservations@harbour.example'
WEB = 'https://book.harbour.example'
money = Formats('en_GB').money
POLICY = CancellationPolicy(48, Penalty('first_night'))  # the default CANCELLATION_* settings


@pytest.fixture
def notifier(aws, override_settings):
    override_settings(WEB_BASE_URL=WEB, SENDER_EMAIL=SENDER)
    app.deps.cache_clear()
    wired = app.deps()
    wired.mailer.client.create_email_identity(EmailIdentity=SENDER)  # type: ignore[attr-defined]
    yield wired
    app.deps.cache_clear()


def deliver(event: dict) -> dict:
    """What Lambda does with an EventBridge rule's event: the handler, once."""
    return app.lambda_handler(event, LambdaContext('NotifierFunction', timeout_seconds=30))


class Scene:
    """A hotel with a notification address, a room type, and a guest who books it."""

    def __init__(self, timezone: str = 'Europe/Lisbon', name: str = 'Ada Lovelace', *, desk: str | None = HOTEL_DESK):
        hotel = factories.hotel(timezone=timezone)
        self.hotel = deps().catalog.update_hotel(hotel.id, {'notification_email': desk, 'phone': '+351 213 000 123'})
        self.room_type = factories.room_type(self.hotel, base_price=12000, open_days=400)
        self.guest_email = f'{factories.unique("guest")}@example.com'
        self.guest = accounts.register(deps(), self.guest_email, 'correct horse battery', name, datetime.now(UTC))
        self.principal = Principal(self.guest.id, Role.GUEST)

    def book(self, check_in: date, nights: int = 3, rooms: int = 1) -> Watched:
        request = bookings.HoldRequest(self.room_type.id, check_in, check_in + timedelta(days=nights), 2, rooms)
        held = bookings.hold(deps(), self.principal, request, datetime.now(UTC))
        return Watched(held.id)

    def confirm(self, watch: Watched) -> None:
        booking = deps().bookings.get(watch.booking_id)
        paid = Payment('pi_test', 'succeeded', booking.total_amount, booking.currency)
        deps().bookings.transition(
            booking, [BookingStatus.PENDING], BookingStatus.CONFIRMED, datetime.now(UTC), payment=paid
        )
        watch.step()

    def cancel(self, watch: Watched, at: datetime) -> RefundQuote:
        """A guest's cancellation as the service writes it: the refund owed, then recorded."""
        booking = deps().bookings.get(watch.booking_id)
        figures = POLICY.quote(booking, self.hotel, at)
        refunds.owe_on_cancel(deps(), booking, figures.amount, figures.penalty, 'cancelled_by_guest', at)
        watch.step()
        record_made(booking.id, 're_test_1', at)
        watch.step()
        return figures


def records() -> list[NotificationItem]:
    """The notifier's records of sent emails (a test-only scan)."""
    return list(NotificationItem.scan(NotificationItem.pk.startswith('NOTIFICATION#')))


def soon(days: int = 30) -> date:
    return datetime.now(UTC).date() + timedelta(days=days)


# ---------------------------------------------------------------- each event type


@pytest.mark.usefixtures('notifier')
def test_a_confirmed_booking_sends_the_guest_a_confirmation_and_the_hotel_a_notice():
    # Given a guest's confirmed booking of two rooms
    scene = Scene()
    watch = scene.book(soon(), nights=3, rooms=2)
    scene.confirm(watch)
    booking = deps().bookings.get(watch.booking_id)
    # When its BookingConfirmed reaches the notifier
    summary = deliver(watch.of('BookingConfirmed'))
    # Then the guest and the hotel each got one email
    assert sorted(summary['sent']) == ['guest_confirmed', 'hotel_new_booking']
    [guest] = mail.to(scene.guest_email)
    [desk] = mail.to(HOTEL_DESK)
    assert guest.subject.startswith(f'Booking confirmed: {scene.hotel.name}')
    assert desk.subject.startswith('New booking: Test Room x 2')
    assert guest.sender == f'{scene.hotel.name} <{SENDER}>'
    assert guest.headers['Reply-To'] == HOTEL_DESK
    # with the booking's own figures: each night for both rooms, the total paid
    for night in booking.nightly:
        assert money(night.price * 2, 'EUR') in guest.text and money(night.price * 2, 'EUR') in guest.html
    assert f'Total paid   {money(booking.total_amount, "EUR")}' in guest.text
    assert booking.id in guest.text and f'{WEB}/bookings/{booking.id}' in guest.text
    assert '+351 213 000 123' in guest.text
    assert f'paid {money(booking.total_amount, "EUR")}' in desk.text and 'Ada Lovelace' in desk.text
    # and the cancellation terms of the refund quote's rule (48 hours, then the first night)
    terms = POLICY.terms(booking, scene.hotel)
    assert terms.penalty_after_deadline == booking.nightly[0].price * 2
    deadline = Formats('en_GB').moment(terms.deadline.astimezone(scene.hotel.tz))
    assert f'Free cancellation until {deadline}.' in guest.text
    assert f'keeps {money(terms.penalty_after_deadline, "EUR")}' in guest.text
    # the guest's email carries the invitation, the hotel's does not
    assert list(guest.attachments) == ['invite.ics'] and desk.attachments == {}
    assert guest.content_types['invite.ics'] == 'text/calendar; method=REQUEST'


def test_the_invitation_is_the_stay_in_the_hotels_zone_across_a_daylight_saving_change(notifier):
    # Given a Lisbon stay over the night clocks go forward (Sunday 28 March 2027, 01:00 UTC)
    with time_machine.travel(datetime(2027, 3, 1, 9, tzinfo=UTC), tick=True):
        scene = Scene('Europe/Lisbon')
        watch = scene.book(date(2027, 3, 27), nights=2)
        scene.confirm(watch)
        deliver(watch.of('BookingConfirmed'))
    [guest] = mail.to(scene.guest_email)
    calendar = icalendar.Calendar.from_ical(guest.attachments['invite.ics'])
    [event] = calendar.walk('VEVENT')
    lisbon = ZoneInfo('Europe/Lisbon')
    # Then DTSTART/DTEND are the check-in (15:00) and check-out (11:00) instants, with the zone
    assert event.decoded('dtstart') == datetime(2027, 3, 27, 15, tzinfo=lisbon)
    assert event.decoded('dtend') == datetime(2027, 3, 29, 11, tzinfo=lisbon)
    assert event['dtstart'].params['TZID'] == 'Europe/Lisbon'
    # which are 15:00 UTC (winter) and 10:00 UTC (summer): 43 hours, not 44
    assert event.decoded('dtstart').astimezone(UTC) == datetime(2027, 3, 27, 15, tzinfo=UTC)
    assert event.decoded('dtend').astimezone(UTC) == datetime(2027, 3, 29, 10, tzinfo=UTC)
    # and the calendar carries the zone's rules for those dates
    [zone] = calendar.walk('VTIMEZONE')
    assert zone['TZID'] == 'Europe/Lisbon'
    assert zone.to_tz().utcoffset(datetime(2027, 3, 29, 11)) == timedelta(hours=1)
    assert (calendar['METHOD'], event['STATUS'], event['UID']) == (
        'REQUEST',
        'CONFIRMED',
        f'{watch.booking_id}@hotel-booking',
    )
    assert str(event['ORGANIZER']) == f'mailto:{SENDER}' and str(event['ATTENDEE']) == f'mailto:{scene.guest_email}'


@pytest.mark.usefixtures('notifier')
def test_a_cancellation_sends_the_refund_and_a_calendar_cancel_of_the_same_invitation():
    # Given a confirmed booking the guest cancels 30 hours before check-in (the first night kept)
    scene = Scene()
    watch = scene.book(soon(), nights=3)
    scene.confirm(watch)
    deliver(watch.of('BookingConfirmed'))
    check_in_at = scene.hotel.check_in_instant(watch_booking(watch).check_in)
    figures = scene.cancel(watch, check_in_at - timedelta(hours=30))
    assert figures.penalty > 0 and figures.amount > 0
    # When the BookingCancelled and then the RefundIssued arrive
    deliver(watch.of('BookingCancelled'))
    deliver(watch.of('RefundIssued'))
    confirmation, cancelled, refunded = mail.to(scene.guest_email)
    [_, desk] = mail.to(HOTEL_DESK)
    # Then the guest is told the refund and what was kept, and the hotel gets one line
    assert cancelled.subject.startswith('Booking cancelled:')
    assert f'Refund       {money(figures.amount, "EUR")}' in cancelled.text
    assert f'Kept         {money(figures.penalty, "EUR")}' in cancelled.text
    assert 'within 5 to 10 business days' in cancelled.text
    assert desk.subject.startswith('Cancelled:')
    assert f'refunded {money(figures.amount, "EUR")}, kept {money(figures.penalty, "EUR")}' in desk.text
    # and the refund email names its amount and its Stripe reference
    assert refunded.subject == f'Refund of {money(figures.amount, "EUR")} for your booking at {scene.hotel.name}'
    assert 're_test_1' in refunded.text and 'You cancelled this booking.' in refunded.text
    # and the .ics cancels the invitation: same UID, a later SEQUENCE, METHOD:CANCEL
    invite = icalendar.Calendar.from_ical(confirmation.attachments['invite.ics'])
    cancel = icalendar.Calendar.from_ical(cancelled.attachments['cancellation.ics'])
    [added], [removed] = invite.walk('VEVENT'), cancel.walk('VEVENT')
    assert (cancel['METHOD'], removed['STATUS']) == ('CANCEL', 'CANCELLED')
    assert removed['UID'] == added['UID']
    assert removed.decoded('sequence') > added.decoded('sequence')
    assert cancelled.content_types['cancellation.ics'] == 'text/calendar; method=CANCEL'


def watch_booking(watch: Watched):
    return deps().bookings.get(watch.booking_id)


@pytest.mark.usefixtures('notifier')
def test_an_expired_hold_tells_the_guest_nothing_was_charged_with_a_search_for_the_same_stay():
    scene = Scene()
    watch = scene.book(soon(), nights=2)
    booking = watch_booking(watch)
    holds.expire(deps(), booking, booking.hold_expires_at + timedelta(seconds=1), call_stripe=False)
    watch.step()
    assert deliver(watch.of('BookingExpired'))['sent'] == ['guest_expired']
    [expired] = mail.to(scene.guest_email)
    assert expired.subject == f'Your hold at {scene.hotel.name} has expired: nothing was charged'
    assert 'Nothing was charged.' in expired.text
    query = f'city={scene.hotel.city}&check_in={booking.check_in}&check_out={booking.check_out}&guests=2&rooms=1'
    assert f'{WEB}/?{query}' in expired.text
    assert mail.to(HOTEL_DESK) == [] and expired.attachments == {}


def record_made(booking_id: str, refund_id: str, at: datetime) -> None:
    """The refund made at Stripe, recorded as ``refunds.settle`` records it (under its lease)."""
    owed = deps().bookings.get(booking_id).refund
    lease = deps().bookings.claim_refund(booking_id, at, 60)
    assert owed is not None and lease is not None
    made = replace(owed, stripe_refund_id=refund_id, status=RefundStatus.SUCCEEDED)
    assert deps().bookings.record_refund(booking_id, lease, made, 0, at)


@pytest.mark.usefixtures('notifier')
def test_a_late_payment_refunded_in_full_explains_why():
    # Given an expired hold whose payment landed after its rooms were sold: refunded in full
    scene = Scene()
    watch = scene.book(soon(), nights=1)
    booking = watch_booking(watch)
    holds.expire(deps(), booking, booking.hold_expires_at + timedelta(seconds=1), call_stripe=False)
    watch.step()
    expired = watch_booking(watch)
    paid = Payment('pi_late', 'succeeded', expired.total_amount, 'EUR')
    owed = Refund(expired.total_amount, 0, 'EUR', RefundStatus.PENDING, reason='rooms_no_longer_available')
    now = datetime.now(UTC)
    deps().bookings.transition(expired, [BookingStatus.EXPIRED], BookingStatus.EXPIRED, now, payment=paid, refund=owed)
    record_made(expired.id, 're_late', now)
    watch.step()
    # When its RefundIssued arrives
    assert deliver(watch.of('RefundIssued'))['sent'] == ['guest_refunded']
    [refunded] = mail.to(scene.guest_email)
    assert money(expired.total_amount, 'EUR') in refunded.subject
    assert 'the rooms had been booked by someone else' in refunded.text


@pytest.mark.usefixtures('notifier')
def test_events_that_concern_nobody_send_nothing():
    scene = Scene()
    watch = scene.book(soon(), nights=1)  # BookingHeld: no email (the guest is paying right now)
    booking = watch_booking(watch)
    deps().bookings.transition(
        booking, [BookingStatus.PENDING], BookingStatus.CANCELLED, datetime.now(UTC), release_rooms=True
    )
    watch.step()  # a hold cancelled before paying: the guest saw it happen
    for event in watch.events:
        assert deliver(event)['sent'] == []
    assert mail.moto_outbox() == []


@pytest.mark.usefixtures('notifier')
def test_a_hotel_without_a_notification_address_gets_nothing_and_the_guest_still_does():
    scene = Scene(desk=None)
    watch = scene.book(soon())
    scene.confirm(watch)
    assert deliver(watch.of('BookingConfirmed'))['sent'] == ['guest_confirmed']


# ---------------------------------------------------------------- exactly once


@pytest.mark.usefixtures('notifier')
def test_the_same_event_delivered_twice_sends_each_email_once():
    scene = Scene()
    watch = scene.book(soon())
    scene.confirm(watch)
    event = watch.of('BookingConfirmed')
    first = deliver(event)
    # EventBridge delivers again (another envelope id, the same detail.event_id)
    again = deliver({**event, 'id': 'another-delivery'})
    assert len(first['sent']) == 2 and again['sent'] == []
    assert sorted(again['duplicates']) == ['guest_confirmed', 'hotel_new_booking']
    assert len(mail.moto_outbox()) == 2
    # the record holds no address: the recipient is a hash in the key
    sent = records()
    assert {r.state for r in sent} == {'sent'} and len(sent) == 2
    assert not any(scene.guest_email in str(r.serialize()) or HOTEL_DESK in str(r.serialize()) for r in sent)


@pytest.mark.usefixtures('notifier')
def test_a_delivery_that_finds_the_email_being_sent_fails_so_that_its_retry_skips_it():
    scene = Scene(desk=None)
    watch = scene.book(soon())
    scene.confirm(watch)
    event = watch.of('BookingConfirmed')
    # Given another delivery of the event claimed the guest's email a moment ago and is sending it
    detail = event['detail']
    recipient_key = Recipient(scene.guest_email, role='guest').key
    assert app.deps().notifications.claim(
        detail['event_id'], recipient_key, kind='guest_confirmed', booking_id=watch.booking_id,
        now=datetime.now(UTC), lease_seconds=120, ttl_seconds=3600,
    ) is EmailClaim.CLAIMED  # fmt: skip
    # Then this delivery fails (Lambda retries it later) and sends nothing
    with pytest.raises(EmailInProgress, match='another delivery is sending guest_confirmed'):
        deliver(event)
    assert mail.moto_outbox() == []
    # and once the other delivery's lease has lapsed (it died), a retry sends it
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=121), tick=False):
        assert deliver(event)['sent'] == ['guest_confirmed']
    assert len(mail.moto_outbox()) == 1


# ---------------------------------------------------------------- SES failures


@pytest.mark.usefixtures('notifier')
def test_ses_throttling_is_retried_by_the_client_and_then_fails_the_event_for_lambda_to_retry(ses_faults):
    scene = Scene(desk=None)
    watch = scene.book(soon())
    scene.confirm(watch)
    event = watch.of('BookingConfirmed')
    faults = ses_faults(app.deps().mailer.client)
    # Given SES throttling every call
    faults.always = lambda: mail.ses_error('TooManyRequestsException', 429, 'Maximum sending rate exceeded.')
    # When the event arrives: the client tries SES_MAX_ATTEMPTS times, backing off, then gives up
    with pytest.raises(EmailDeferred, match='TooManyRequestsException'):
        deliver(event)
    assert faults.sends == 4 and len(faults.backoff) == 3
    # and the claim is released: Lambda's retry (after SES recovered) sends the email, once
    faults.always = None
    assert records() == []
    assert deliver(event)['sent'] == ['guest_confirmed']
    assert deliver(event)['sent'] == []
    assert len(mail.moto_outbox()) == 1


@pytest.mark.usefixtures('notifier')
def test_a_throttle_that_clears_within_the_clients_retries_sends_once(ses_faults):
    scene = Scene(desk=None)
    watch = scene.book(soon())
    scene.confirm(watch)
    faults = ses_faults(app.deps().mailer.client)
    faults.answers = [lambda: mail.ses_error('TooManyRequestsException', 429)] * 2 + [
        lambda: mail.ses_error('InternalFailure', 500)
    ]
    assert deliver(watch.of('BookingConfirmed'))['sent'] == ['guest_confirmed']
    assert faults.sends == 4 and len(mail.moto_outbox()) == 1


@pytest.mark.usefixtures('notifier')
def test_a_refused_address_is_recorded_counted_and_logged_masked_never_retried(ses_faults, caplog, emitted):
    scene = Scene()
    watch = scene.book(soon())
    scene.confirm(watch)
    event = watch.of('BookingConfirmed')
    faults = ses_faults(app.deps().mailer.client)
    # Given SES refusing the guest's address for good (the hotel's goes through)
    faults.answers = [lambda: mail.ses_error('MessageRejected', 400, f'Illegal address: {scene.guest_email}')]
    with caplog.at_level(logging.INFO, logger=logger.name):
        summary = deliver(event)
    assert (summary['sent'], summary['rejected']) == (['hotel_new_booking'], ['guest_confirmed'])
    assert faults.sends == 2  # no retry of a refusal
    # Then it is counted (the EmailRejectedAlarm) and logged without the address
    assert ('EmailRejected', 1) in [(m.name, m.value) for m in emitted()]
    lines = '\n'.join(logger.registered_formatter.format(r) for r in caplog.records)
    assert scene.guest_email not in lines and HOTEL_DESK not in lines and 'Ada Lovelace' not in lines
    assert '"recipient":"g***@e***.com"' in lines.replace(' ', '') and '"code":"MessageRejected"' in lines.replace(
        ' ', ''
    )
    # and a redelivery does not try it again
    assert sorted(deliver(event)['duplicates']) == ['guest_confirmed', 'hotel_new_booking']
    assert faults.sends == 2


@pytest.mark.usefixtures('notifier')
def test_an_unverified_sender_is_the_deployments_fault_and_fails_the_event(override_settings):
    scene = Scene(desk=None)
    watch = scene.book(soon())
    scene.confirm(watch)
    override_settings(SENDER_EMAIL='nobody-verified-me@hotel-booking.example')
    app.deps.cache_clear()
    with pytest.raises(EmailDeferred, match='SenderNotVerified'):
        deliver(watch.of('BookingConfirmed'))
    assert records() == []  # nothing recorded: the event can be sent once it is fixed


# ---------------------------------------------------------------- what a guest typed


@pytest.mark.usefixtures('notifier')
def test_a_name_with_markup_arrives_escaped_in_the_html_and_as_typed_in_the_text():
    name = '<script>alert("x")</script> & <b>Bob</b>'
    scene = Scene(name=name)
    watch = scene.book(soon())
    scene.confirm(watch)
    deliver(watch.of('BookingConfirmed'))
    [guest] = mail.to(scene.guest_email)
    [desk] = mail.to(HOTEL_DESK)
    for html in (guest.html, desk.html):
        assert '<script>' not in html and '<b>Bob</b>' not in html
        assert '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Bob&lt;/b&gt;' in html
    assert f'Hello {name},' in guest.text
