"""The reconciler's DynamoDB reads on moto (services/reconciler.py): the arrivals index a page at a
time, one progress write per page, never a Scan; the seeded case reported, and only it."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from common.domain import Booking, BookingStatus, NightPrice
from common.services import audit, reconciler
from tests.support import factories
from tests.support.counting import count_calls
from tests.support.deps import deps

pytestmark = pytest.mark.usefixtures('aws')


def _booking(now: datetime, days_ahead: int, status: BookingStatus, hotel_id: str) -> Booking:
    check_in = now.date() + timedelta(days=days_ahead)
    return factories.overwrite(
        Booking(
            id=factories.unique('b'),
            user_id='guest',
            hotel_id=hotel_id,
            room_type_id='rt',
            check_in=check_in,
            check_out=check_in + timedelta(days=1),
            guests=1,
            rooms=1,
            currency='EUR',
            total_amount=12000,
            nightly=(NightPrice(check_in, 12000),),
            status=status,
            hold_expires_at=now - timedelta(hours=1),
            created_at=now - timedelta(hours=2),
            updated_at=now - timedelta(hours=1),
        )
    )


@pytest.mark.no_audit  # a CONFIRMED booking without a payment, on purpose: the reconciler must find it
def test_a_pass_reads_the_arrivals_index_a_page_at_a_time_never_scans_and_reports_the_seeded_case(monkeypatch):
    now = datetime.now(UTC)
    hotels = [factories.hotel().id for _ in range(2)]
    for i in range(60):  # expired unpaid holds over two months, two hotels: nothing wrong with them
        _booking(now, 1 + i, BookingStatus.EXPIRED, hotels[i % 2])
    bad = _booking(now, 20, BookingStatus.CONFIRMED, hotels[1])  # a stay nobody paid for
    current = deps().settings
    with count_calls(monkeypatch) as calls:
        report = reconciler.reconcile(deps(), now, stripe=False)
    assert (report.complete, report.examined, report.at_risk) == (True, 61, 1)
    assert report.cases == [(bad.id, 'CONFIRMED without a payment')]
    assert {v.booking_id for v in audit.payment_violations(deps())} == {bad.id}  # the same checks
    pages = math.ceil(61 / current.reconcile_page_size)
    first = now.date() - timedelta(days=current.reconcile_lookback_days)
    last = now.date() + timedelta(days=current.sale_window_days + 1)
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    assert calls['Scan'] == 0
    assert (calls['GetItem'], calls['PutItem']) == (1, pages)  # the progress: read once, written per page
    # the hotel list once, then hotel by hotel each month partition of the window, and a Query
    # more where a page ends inside a partition
    partitions = len(hotels) * months
    assert calls['Query'] <= 1 + partitions + pages
    print(f'\nreconciler, 61 bookings: {dict(calls.calls)} ({months} months x {len(hotels)} hotels)')
    # A second run that day: one read
    with count_calls(monkeypatch) as again:
        assert reconciler.reconcile(deps(), now, stripe=False).already_done
    assert again.total == 1
