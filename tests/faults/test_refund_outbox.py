"""Issue 22, point 5: the refund outbox never starves. 150 refunds that Stripe refuses for good (a
disputed charge) sit before a good one; one sweep hands the 150 to a person and makes the good one.

On ministack rather than moto: the same DynamoDB calls, about five times faster at this count
(moto serialises every answer in Python), with real refunds owed on real localstripe payments.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from common.domain import Booking, BookingStatus, Followup, NightPrice, Payment, Refund, RefundStatus, Work
from common.services import reconciler
from tests.support import factories
from tests.support.deps import deps
from tests.support.faults import REFUNDS, StripeFaults
from tests.support.journeys import run_sweeper
from tests.support.stripe import StripeTest

pytestmark = pytest.mark.usefixtures('on_ministack')

ROOT = Path(__file__).resolve().parents[2]


def paid_intent(stripe_local: StripeTest, booking_id: str, amount: int) -> str:
    created = stripe_local.client.v1.payment_intents.create(
        params={
            'amount': amount,
            'currency': 'eur',
            'payment_method_types': ['card'],
            'metadata': {'booking_id': booking_id},
        }
    )
    stripe_local.pay(created.id)
    return created.id


def seeded_refund_owed(stripe_local: StripeTest, room, due_at: datetime, *, nights_ahead: int) -> Booking:
    """A CANCELLED booking whose whole payment (real, at localstripe) is owed back, due at ``due_at``."""
    booking_id = str(uuid.uuid4())
    check_in = datetime.now(UTC).date() + timedelta(days=nights_ahead)
    booking = Booking(
        id=booking_id,
        user_id='guest',
        hotel_id=room.hotel_id,
        room_type_id=room.id,
        check_in=check_in,
        check_out=check_in + timedelta(days=1),
        guests=1,
        rooms=1,
        currency='EUR',
        total_amount=12000,
        nightly=(NightPrice(check_in, 12000),),
        status=BookingStatus.CANCELLED,
        hold_expires_at=due_at - timedelta(hours=1),
        created_at=due_at - timedelta(hours=1),
        updated_at=due_at,
        payment=Payment(paid_intent(stripe_local, booking_id, 12000), 'succeeded', 12000, 'EUR'),
        refund=Refund(12000, 0, 'EUR', RefundStatus.PENDING, reason='cancelled_by_guest'),
        followup=Followup(Work.REFUND, due_at),
    )
    return factories.overwrite(booking)


@pytest.fixture
def room():
    return factories.room_type(factories.hotel(currency='EUR'), total_rooms=1, base_price=12000, open_days=40)


@pytest.mark.no_audit  # the 150 are money a person has to act on: the reconciler reports each (asserted at the end)
def test_5_with_150_refunds_failing_for_good_the_good_refund_behind_them_is_still_made(
    room, stripe_local: StripeTest, stripe_faults: StripeFaults
):
    start = datetime.now(UTC) - timedelta(hours=2)
    disputed = [
        seeded_refund_owed(stripe_local, room, start + timedelta(seconds=i), nights_ahead=10) for i in range(150)
    ]
    good = seeded_refund_owed(stripe_local, room, start + timedelta(minutes=30), nights_ahead=10)
    refused = {b.payment.payment_intent_id for b in disputed}
    stripe_faults.refuse(
        'POST', REFUNDS, 'charge_disputed', when=lambda body: parse_qs(body)['payment_intent'][0] in refused
    )
    summary = run_sweeper(timeout_seconds=600)
    assert (summary['refunds_settled'], summary['needs_attention'], summary['followups_complete']) == (1, 150, True)
    [made] = stripe_local.refunds(good.payment.payment_intent_id)
    assert deps().bookings.get(good.id).refund.stripe_refund_id == made['id']
    flagged = deps().bookings.get(disputed[0].id)
    assert (flagged.followup, flagged.attention.reason) == (None, 'charge_disputed')
    # The next runs do not look at them again: a person has to (the reconciler lists them)
    calls = len(stripe_faults.calls)
    assert run_sweeper()['needs_attention'] == 0
    assert len(stripe_faults.calls) == calls
    # The reconciler reports each of them, and only them, until a person acts
    report = reconciler.reconcile(deps(), datetime.now(UTC), stripe=False)
    assert report.complete and report.at_risk == 150
    assert {booking_id for booking_id, _ in report.cases} == {b.id for b in disputed}
