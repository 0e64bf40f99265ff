"""The invariant auditor finds what is wrong, says which booking and why, and `make audit` exits 1.

These tests break the books on purpose (marked ``no_audit``: the automatic audit after each test
would report the damage they make)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from common.domain import BookingStatus, Payment, Refund
from common.services import audit
from common.tables import InventoryItem
from local import audit as audit_cli
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.stripe import StripeTest

pytestmark = [pytest.mark.usefixtures('aws'), pytest.mark.no_audit]

NOW = datetime.now(UTC)


@pytest.fixture
def room():
    return factories.room_type(factories.hotel(), total_rooms=3, open_days=20)


def held(room, nights: int = 2):
    return factories.booking('guest-1', room, NOW.date() + timedelta(days=10), nights=nights)


def reasons(found) -> list[tuple[str, str]]:
    return [(v.booking_id, v.reason) for v in found]


def test_balanced_books_have_no_violation(room):
    factories.confirmed(held(room))
    held(room)
    assert audit.all_violations(deps()) == []


def test_a_night_that_does_not_balance_is_reported_with_its_figures(room):
    booking = held(room)
    night = booking.nightly[0].date
    InventoryItem(*InventoryItem.key(room.id, night.isoformat())).update(actions=[InventoryItem.available.add(1)])
    [violation] = audit.inventory_violations(deps())
    assert (violation.room_type_id, violation.night, violation.allotment, violation.available, violation.held) == (
        room.id,
        night,
        3,
        3,
        1,
    )
    assert str(violation) == f'{room.id} {night}: allotment 3 != available 3 + held 1'


def test_a_confirmed_booking_without_a_succeeded_payment_of_its_total_is_reported(room):
    unpaid = held(room)
    deps().bookings.transition(unpaid, [BookingStatus.PENDING], BookingStatus.CONFIRMED, NOW)
    pending = held(room)
    deps().bookings.transition(
        pending,
        [BookingStatus.PENDING],
        BookingStatus.CONFIRMED,
        NOW,
        payment=Payment('pi_x', 'requires_payment_method', pending.total_amount, 'EUR'),
    )
    short = held(room)
    deps().bookings.transition(
        short, [BookingStatus.PENDING], BookingStatus.CONFIRMED, NOW, payment=Payment('pi_y', 'succeeded', 100, 'EUR')
    )
    assert reasons(audit.payment_violations(deps())) == sorted(
        [
            (unpaid.id, 'CONFIRMED without a payment'),
            (pending.id, 'CONFIRMED but PaymentIntent pi_x is requires_payment_method'),
            (short.id, f'paid 100 EUR for a total of {short.total_amount} EUR'),
        ]
    )


def cancelled_with(room, refund: Refund | None, status: BookingStatus = BookingStatus.CANCELLED):
    booking = factories.confirmed(held(room))
    deps().bookings.transition(booking, [BookingStatus.CONFIRMED], status, NOW, release_rooms=True, refund=refund)
    return booking


def test_money_kept_for_a_cancelled_or_expired_stay_is_reported(room):
    cancelled = cancelled_with(room, None)
    expired = cancelled_with(room, None, BookingStatus.EXPIRED)
    found = audit.payment_violations(deps())
    assert sorted(v.booking_id for v in found) == sorted([cancelled.id, expired.id])
    assert all('no refund recorded' in v.reason for v in found)
    assert {v.status for v in found} == {'CANCELLED', 'EXPIRED'}


def test_refunds_are_checked_against_what_was_paid_and_the_policy(room):
    paid = held(room).total_amount  # every test booking costs the same
    first_night = 10000
    full = cancelled_with(room, Refund(paid, 0, 'EUR', 'succeeded', 're_1', 'cancelled_by_guest'))
    late = cancelled_with(
        room, Refund(paid - first_night, first_night, 'EUR', 'succeeded', 're_2', 'cancelled_by_guest')
    )
    too_much = cancelled_with(room, Refund(paid + 1, 0, 'EUR', 'succeeded', 're_3', 'cancelled_by_guest'))
    odd_penalty = cancelled_with(room, Refund(paid - 1234, 1234, 'EUR', 'succeeded', 're_4', 'cancelled_by_guest'))
    expired_kept = cancelled_with(
        room, Refund(paid - 500, 500, 'EUR', 'succeeded', 're_5', 'rooms_no_longer_available'), BookingStatus.EXPIRED
    )
    failed = cancelled_with(room, Refund(paid, 0, 'EUR', 'failed', 're_6', 'cancelled_by_guest'))
    owed = cancelled_with(room, Refund(paid, 0, 'EUR', 'pending', None, 'cancelled_by_guest'))
    found = dict(reasons(audit.payment_violations(deps())))
    assert full.id not in found and late.id not in found and owed.id not in found  # owed is not missing
    assert found[too_much.id] == f'refund of {paid + 1} is larger than the {paid} paid'
    assert found[odd_penalty.id] == f'penalty 1234 is not one the policy allows ([0, {first_night}])'
    assert found[expired_kept.id] == 'penalty 500 kept on a rooms_no_longer_available that must be in full'
    assert found[failed.id] == 'refund re_6 failed at Stripe: the money was not returned'
    assert len(found) == 4


def test_the_stripe_cross_check_finds_what_the_table_cannot(api: Api, room, stripe_local: StripeTest):
    # Given a booking paid through Stripe, and a refund someone made in the Stripe dashboard
    token = factories.token('guest-1')
    check_in, check_out = factories.stay(days_ahead=10, nights=2)
    booking = api.hold(room.id, check_in, check_out, token=token).json
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', {'auto_confirm': True}, token=token).json[
        'payment_intent_id'
    ]
    assert audit.all_violations(deps(), stripe=True) == []
    stripe_local.client.v1.refunds.create(params={'payment_intent': pi, 'amount': 5000})
    # Then the table alone looks right; compared with Stripe it does not
    assert audit.payment_violations(deps()) == []
    assert reasons(audit.payment_violations(deps(), stripe=True)) == [
        (booking['id'], f'CONFIRMED but Stripe refunded 5000 of {pi}'),
        (booking['id'], 'Stripe refunded 5000, the booking records 0'),
    ]


def test_a_payment_that_succeeded_at_stripe_for_an_expired_booking_is_money_kept(
    api: Api, room, stripe_local: StripeTest
):
    # Given a booking whose PaymentIntent was left open at expiry, then paid, and the webhook lost
    token = factories.token('guest-1')
    check_in, check_out = factories.stay(days_ahead=10, nights=1)
    booking = api.hold(room.id, check_in, check_out, token=token).json
    pi = api.post(f'/api/bookings/{booking["id"]}/checkout', token=token).json['payment_intent_id']
    stored = deps().bookings.get(booking['id'])
    deps().bookings.transition(stored, [BookingStatus.PENDING], BookingStatus.EXPIRED, NOW, release_rooms=True)
    stripe_local.pay(pi)
    assert audit.payment_violations(deps()) == []  # the table says: never paid
    assert reasons(audit.payment_violations(deps(), stripe=True)) == [
        (booking['id'], f'paid at Stripe ({pi}) while EXPIRED, and not refunded')
    ]


def test_make_audit_prints_each_violation_and_exits_1(room, capsys, monkeypatch):
    booking = held(room)
    deps().bookings.transition(booking, [BookingStatus.PENDING], BookingStatus.CONFIRMED, NOW)
    monkeypatch.delenv('STRIPE_SECRET_KEY', raising=False)
    assert audit_cli.main(['--table', 'hotel-booking-test']) == 1
    out = capsys.readouterr().out
    assert f'booking {booking.id} (CONFIRMED): CONFIRMED without a payment' in out
    assert '1 violation(s) in hotel-booking-test (inventory, hold slots, payments)' in out
    deps().bookings.transition(
        replace(booking, status=BookingStatus.CONFIRMED),
        [BookingStatus.CONFIRMED],
        BookingStatus.CONFIRMED,
        NOW,
        payment=factories.paid(booking),
    )
    assert audit_cli.main(['--table', 'hotel-booking-test']) == 0
