"""Entity rules: hotel time, expiry on read, configuration limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from common.config import MAX_STAY_HARD_LIMIT, Settings, _from_environ
from common.domain import Booking, BookingStatus, Hotel

NOW = datetime(2027, 3, 10, 14, 59, tzinfo=UTC)


def a_booking(status: BookingStatus = BookingStatus.PENDING, expires: datetime = NOW) -> Booking:
    return Booking(
        id='b1', user_id='u1', hotel_id='h1', room_type_id='r1', check_in=date(2027, 4, 1), check_out=date(2027, 4, 2),
        guests=1, rooms=1, currency='EUR', total_amount=100, nightly=(), status=status,
        hold_expires_at=expires, created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def test_an_unpaid_hold_past_its_expiry_reads_as_expired_before_the_sweeper_runs():
    booking = a_booking(expires=NOW + timedelta(minutes=1))
    assert booking.effective_status(NOW) is BookingStatus.PENDING
    assert booking.effective_status(NOW + timedelta(minutes=1)) is BookingStatus.EXPIRED
    assert booking.as_seen_at(NOW + timedelta(minutes=2)).status is BookingStatus.EXPIRED
    assert a_booking(BookingStatus.CONFIRMED).effective_status(NOW + timedelta(days=1)) is BookingStatus.CONFIRMED


def test_today_and_the_check_in_instant_are_in_the_hotels_time_zone():
    tokyo = Hotel('t', 'Tokyo', 'Tokyo', '', 'Asia/Tokyo', 15, 'JPY')
    late_evening_utc = datetime(2027, 3, 10, 20, 0, tzinfo=UTC)  # already the 11th in Tokyo
    assert tokyo.today(late_evening_utc) == date(2027, 3, 11)
    instant = tokyo.check_in_instant(date(2027, 3, 12))
    assert instant.astimezone(UTC) == datetime(2027, 3, 12, 6, 0, tzinfo=UTC)


def test_configuration_comes_from_the_environment_with_limits():
    settings = _from_environ({'BOOKING_HOLD_SECONDS': '5', 'MAX_STAY_NIGHTS': '30'})
    assert settings.max_stay_nights == 30
    with pytest.raises(ValidationError):
        _from_environ({'MAX_STAY_NIGHTS': str(MAX_STAY_HARD_LIMIT + 1)})
    with pytest.raises(ValidationError):
        _from_environ({'SESSION_MAX_SECONDS': '600', 'ACCESS_TOKEN_SECONDS': '900'})
    assert Settings().booking_hold_seconds == 900
    assert 'x' * 40 not in repr(_from_environ({'JWT_SIGNING_KEY': 'x' * 40}))
