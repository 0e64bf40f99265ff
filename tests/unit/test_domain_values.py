"""Value objects and single-entity rules of the domain (common/domain.py), and the small pure helpers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from common import retry
from common.domain import (
    Booking,
    BookingStatus,
    NightPrice,
    Payment,
    Penalty,
    Refund,
    RefundStatus,
    Stay,
    has_stripe_refund,
    refund_owed,
)
from common.services.deps import TtlCache
from common.timeutil import iso, parse_instant, stored_precision

AT = datetime(2027, 1, 1, tzinfo=UTC)
BOOKING = Booking(
    'b1', 'u1', 'h', 'rt', date(2027, 2, 1), date(2027, 2, 3), 2, 2, 'EUR', 40000,
    (NightPrice(date(2027, 2, 1), 12000), NightPrice(date(2027, 2, 2), 8000)),
    BookingStatus.PENDING, AT + timedelta(minutes=15), AT, AT,
)  # fmt: skip


@pytest.mark.parametrize(
    ('text', 'kept'), [('first_night', 24000), ('none', 0), ('full_stay', 40000), ('percent:25', 10000)]
)
def test_each_penalty_keeps_its_share_of_what_was_paid(text: str, kept: int):
    assert Penalty.parse(text).kept(BOOKING, 40000) == kept


def test_a_penalty_never_keeps_more_than_was_paid_and_rounds_half_up():
    assert Penalty.parse('first_night').kept(BOOKING, 1000) == 1000
    assert Penalty.parse('percent:50').kept(BOOKING, 3) == 2


@pytest.mark.parametrize('text', ['percent:101', 'half', 'percent:'])
def test_an_unknown_penalty_is_refused(text: str):
    with pytest.raises(ValueError):
        Penalty.parse(text)


def test_a_refund_is_owed_until_stripe_has_it_whatever_stripe_then_calls_it():
    owed = replace(BOOKING, refund=Refund(100, 0, 'EUR', RefundStatus.PENDING))
    created = replace(owed, refund=replace(owed.refund, stripe_refund_id='re_1'))  # type: ignore[type-var]
    assert refund_owed(owed) and not has_stripe_refund(owed)
    assert not refund_owed(created) and has_stripe_refund(created)  # Stripe's own 'pending'
    assert not refund_owed(BOOKING)
    assert not refund_owed(replace(owed, refund=Refund(0, 100, 'EUR', RefundStatus.NOT_REQUIRED)))


def test_what_was_paid_is_a_succeeded_payment_only():
    assert BOOKING.paid == 0
    assert replace(BOOKING, payment=Payment('pi', 'processing', 40000, 'EUR')).paid == 0
    assert replace(BOOKING, payment=Payment('pi', 'succeeded', 40000, 'EUR')).paid == 40000


def test_an_unpaid_hold_past_its_expiry_is_seen_expired_before_it_is_swept():
    expiry = BOOKING.hold_expires_at
    assert BOOKING.as_seen_at(expiry - timedelta(seconds=1)).status is BookingStatus.PENDING
    assert BOOKING.as_seen_at(expiry).status is BookingStatus.EXPIRED
    confirmed = replace(BOOKING, status=BookingStatus.CONFIRMED)
    assert confirmed.as_seen_at(expiry + timedelta(days=1)) is confirmed


def test_a_stay_counts_its_nights_check_out_excluded():
    stay = Stay(date(2027, 2, 27), date(2027, 3, 2))
    assert stay.nights == 3
    assert list(stay.dates()) == [date(2027, 2, 27), date(2027, 2, 28), date(2027, 3, 1)]


def test_instants_are_stored_in_milliseconds_and_read_back_the_same():
    instant = datetime(2027, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert stored_precision(instant).microsecond == 123000
    assert parse_instant(iso(instant)) == stored_precision(instant)
    with pytest.raises(ValueError):
        iso(datetime(2027, 1, 1))  # naive


def test_the_retry_back_off_is_full_jitter_under_a_doubling_cap():
    for attempt in range(retry.ATTEMPTS):
        assert all(0 <= retry.backoff(attempt) <= 0.025 * 2**attempt for _ in range(50))


def test_a_cache_of_zero_seconds_reads_every_time():
    reads = []
    cache = TtlCache(0)
    for _ in range(2):
        cache.get('k', lambda: reads.append(1))
    assert (len(reads), cache.enabled) == (2, False)
