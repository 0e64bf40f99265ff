"""The 48-hour rule (DESIGN §9): pure figures from a booking, its hotel and the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from common import errors
from common.domain import (
    Booking,
    BookingStatus,
    CancellationPolicy,
    CancellationTerms,
    Hotel,
    NightPrice,
    Payment,
    Penalty,
    RefundQuote,
)

LISBON = Hotel('h', 'Harbour', 'Lisbon', 'Cais 1', 'Europe/Lisbon', 15, 'EUR')
NEW_YORK = Hotel('ny', 'Midtown', 'New York', '5th Ave', 'America/New_York', 16, 'USD')


def quote(booking: Booking, hotel: Hotel, now: datetime, *, free_hours: int, rule: str) -> RefundQuote:
    return CancellationPolicy(free_hours, Penalty.parse(rule)).quote(booking, hotel, now)


def terms(booking: Booking, hotel: Hotel, *, free_hours: int, rule: str) -> CancellationTerms:
    return CancellationPolicy(free_hours, Penalty.parse(rule)).terms(booking, hotel)


def penalty(booking: Booking, paid: int, rule: str) -> int:
    return Penalty.parse(rule).kept(booking, paid)


def confirmed(check_in: date, prices: tuple[int, ...] = (15000, 12000, 12000), rooms: int = 2) -> Booking:
    nightly = tuple(NightPrice(check_in + timedelta(days=i), p) for i, p in enumerate(prices))
    total = sum(prices) * rooms
    at = datetime(2027, 1, 1, tzinfo=UTC)
    return Booking(
        id='b1',
        user_id='u1',
        hotel_id='h',
        room_type_id='rt',
        check_in=check_in,
        check_out=check_in + timedelta(days=len(prices)),
        guests=rooms,
        rooms=rooms,
        currency='EUR',
        total_amount=total,
        nightly=nightly,
        status=BookingStatus.CONFIRMED,
        hold_expires_at=at,
        created_at=at,
        updated_at=at,
        payment=Payment('pi_1', 'succeeded', total, 'EUR'),
    )


def test_the_check_in_instant_is_the_hotels_check_in_hour_in_its_own_time_zone():
    booking = confirmed(date(2027, 7, 10))  # Lisbon is UTC+1 in summer
    figures = quote(booking, LISBON, datetime(2027, 7, 1, tzinfo=UTC), free_hours=48, rule='first_night')
    assert figures.cancellable_until == datetime(2027, 7, 10, 14, tzinfo=UTC)
    assert figures.deadline == datetime(2027, 7, 8, 14, tzinfo=UTC)


def test_cancelling_48_hours_or_more_before_check_in_refunds_everything():
    booking = confirmed(date(2027, 7, 10))
    at_deadline = datetime(2027, 7, 8, 14, tzinfo=UTC)
    figures = quote(booking, LISBON, at_deadline, free_hours=48, rule='first_night')
    assert (figures.amount, figures.penalty, figures.policy) == (78000, 0, 'full_refund')


def test_cancelling_later_keeps_the_first_night_for_each_room():
    booking = confirmed(date(2027, 7, 10))
    one_second_late = datetime(2027, 7, 8, 14, 0, 1, tzinfo=UTC)
    figures = quote(booking, LISBON, one_second_late, free_hours=48, rule='first_night')
    assert (figures.penalty, figures.amount, figures.policy) == (2 * 15000, 78000 - 30000, 'late_cancellation')


def test_cancelling_at_or_after_the_check_in_instant_is_refused():
    booking = confirmed(date(2027, 7, 10))
    with pytest.raises(errors.TooLateToCancel):
        quote(booking, LISBON, datetime(2027, 7, 10, 14, tzinfo=UTC), free_hours=48, rule='first_night')
    figures = quote(booking, LISBON, datetime(2027, 7, 10, 13, 59, 59, tzinfo=UTC), free_hours=48, rule='first_night')
    assert figures.policy == 'late_cancellation'


def test_the_deadline_counts_real_hours_across_a_daylight_saving_change():
    # New York springs forward on 2027-03-14: 48 real hours before 16:00 EDT on the 15th is 15:00 EST on the 13th.
    booking = confirmed(date(2027, 3, 15), prices=(10000,), rooms=1)
    figures = quote(booking, NEW_YORK, datetime(2027, 3, 1, tzinfo=UTC), free_hours=48, rule='first_night')
    assert figures.cancellable_until == datetime(2027, 3, 15, 20, tzinfo=UTC)
    assert figures.deadline == datetime(2027, 3, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ('rule', 'kept'),
    [('first_night', 30000), ('none', 0), ('full_stay', 78000), ('percent:10', 7800), ('percent:100', 78000)],
)
def test_the_penalty_rule_is_configurable(rule, kept):
    assert penalty(confirmed(date(2027, 7, 10)), 78000, rule) == kept


def test_percent_penalties_round_half_up_to_the_minor_unit():
    assert penalty(confirmed(date(2027, 7, 10)), 1005, 'percent:10') == 101  # 100.5 -> 101


def test_the_penalty_never_exceeds_what_was_paid():
    one_night = confirmed(date(2027, 7, 10), prices=(20000,), rooms=1)
    figures = quote(one_night, LISBON, datetime(2027, 7, 9, tzinfo=UTC), free_hours=48, rule='first_night')
    assert (figures.amount, figures.penalty) == (0, 20000)
    assert penalty(one_night, 5000, 'first_night') == 5000


def test_an_unpaid_booking_costs_nothing_to_cancel():
    booking = confirmed(date(2027, 7, 10))
    unpaid = Booking(**{**vars(booking), 'status': BookingStatus.PENDING, 'payment': None})
    figures = quote(unpaid, LISBON, datetime(2027, 7, 9, tzinfo=UTC), free_hours=48, rule='first_night')
    assert (figures.amount, figures.penalty, figures.paid, figures.policy) == (0, 0, 0, 'no_charge')


@pytest.mark.parametrize('rule', ['first_night', 'none', 'full_stay', 'percent:30'])
@pytest.mark.parametrize('free_hours', [48, 24, 1])
def test_the_terms_a_guest_is_told_are_what_cancelling_after_the_deadline_would_keep(rule, free_hours):
    booking = confirmed(date(2027, 3, 28))  # Lisbon changes to summer time that night
    told = terms(booking, LISBON, free_hours=free_hours, rule=rule)
    late = quote(booking, LISBON, told.deadline + timedelta(seconds=1), free_hours=free_hours, rule=rule)
    in_time = quote(booking, LISBON, told.deadline, free_hours=free_hours, rule=rule)
    assert (told.deadline, told.cancellable_until) == (late.deadline, late.cancellable_until)
    assert (told.penalty_after_deadline, told.paid, told.currency) == (late.penalty, late.paid, 'EUR')
    assert in_time.policy == 'full_refund'


def test_with_no_free_window_the_terms_have_no_late_penalty_and_end_at_check_in():
    booking = confirmed(date(2027, 7, 10))
    told = terms(booking, LISBON, free_hours=0, rule='first_night')
    assert told.deadline == told.cancellable_until == datetime(2027, 7, 10, 14, tzinfo=UTC)
    assert told.penalty_after_deadline == 0
