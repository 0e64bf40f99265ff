"""More service rules on fakes: admin validation, the pricing preview, refunds settled once, search
ordering, and the abuse limits across subjects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common import errors
from common.domain import BookingStatus, IntentStatus, RefundStatus, RoomType
from common.services import (
    accounts,
    admin,
    cancellation,
    catalog,
    checkout,
    refunds,
    reports,
    reviews,
    search,
    users,
    webhooks,
)
from common.services.outcomes import Outcome
from tests.unit.services.world import ADMIN, GUEST, world

HOTEL = {'id': 'porto', 'name': 'Riverside', 'city': 'Porto', 'currency': 'EUR'}


def test_a_new_hotel_takes_the_configured_time_zone_and_check_in_hour():
    w = world(hotel_timezone='Europe/Lisbon', check_in_hour=14)
    hotel = admin.create_hotel(w.deps, ADMIN, HOTEL)
    assert (hotel.timezone, hotel.check_in_hour) == ('Europe/Lisbon', 14)


@pytest.mark.parametrize('zone', ['Mars/Olympus', 'utc+1', ''])
def test_a_time_zone_must_be_an_iana_one(zone: str):
    w = world()
    with pytest.raises(errors.Unprocessable):
        admin.create_hotel(w.deps, ADMIN, {**HOTEL, 'timezone': zone or 'nope'})
    with pytest.raises(errors.Unprocessable):
        admin.update_hotel(w.deps, ADMIN, 'lisbon', {'timezone': zone or 'nope'})


def test_an_update_must_change_something():
    w = world()
    for update in (admin.update_hotel, admin.update_room_type):
        with pytest.raises(errors.Unprocessable):
            update(w.deps, ADMIN, 'lisbon' if update is admin.update_hotel else 'deluxe', {})


@pytest.mark.parametrize(
    ('start', 'end', 'fields', 'error'),
    [
        (5, 5, {'allotment': 3}, errors.InvalidDates),
        (-1, 3, {'allotment': 3}, errors.InvalidDates),
        (0, 400, {'allotment': 3}, errors.RangeTooLong),
        (1, 3, {}, errors.Unprocessable),
    ],
    ids=['empty range', 'past nights', 'too long', 'nothing to set'],
)
def test_inventory_changes_that_are_refused(start: int, end: int, fields: dict[str, int], error: type[Exception]):
    w = world()
    update = admin.InventoryUpdate(w.day(start), w.day(end), **fields)
    with pytest.raises(error):
        admin.set_inventory(w.deps, ADMIN, w.room.id, update, w.now)


def test_a_stop_sell_takes_nights_off_sale_at_once():
    w = world()
    admin.set_inventory(w.deps, ADMIN, w.room.id, admin.InventoryUpdate(w.day(10), w.day(11), stop_sell=True), w.now)
    with pytest.raises(errors.SoldOut):
        w.hold(10, 1)
    assert w.hold(11, 1).rooms == 1


def test_the_preview_explains_each_night_and_the_restriction_that_would_refuse_the_stay():
    w = world()
    w.rule(('percent', 20), id='r-weekend', priority=1)
    w.rule(('amount', -1000), id='r-promo', priority=2, min_stay=3)
    preview = admin.preview(w.deps, w.room.id, w.day(10), w.day(12))
    assert [n.price for n, _ in preview.nights] == [11000, 11000]
    assert [[s.rule.id for s in steps] for _, steps in preview.nights] == [['r-weekend', 'r-promo']] * 2
    assert preview.restriction is not None and preview.restriction.code == 'min_stay'
    with pytest.raises(errors.InvalidDates):
        admin.preview(w.deps, w.room.id, w.day(12), w.day(10))


def test_rules_of_a_room_type_are_its_own_and_its_hotels_global_ones_in_application_order():
    w = world()
    own = w.rule(('amount', 1), id='b-own', room_type_id=w.room.id, priority=2)
    everywhere = w.rule(('amount', 1), id='a-all', priority=2)
    w.rule(('amount', 1), id='c-other', room_type_id='other')
    assert [r.id for r in admin.list_rules(w.deps, room_type_id=w.room.id)] == [everywhere.id, own.id]
    assert admin.list_rules(w.deps, hotel_id='elsewhere', room_type_id=w.room.id) == []


def test_a_rule_for_a_room_type_of_another_hotel_is_refused():
    w = world()
    admin.create_hotel(w.deps, ADMIN, HOTEL)
    fields = {'name': 'x', 'hotel_id': 'porto', 'room_type_id': w.room.id, 'adjustment': {'type': 'amount', 'value': 1}}
    with pytest.raises(errors.InvalidReference):
        admin.create_rule(w.deps, ADMIN, fields, w.now)
    with pytest.raises(errors.Unprocessable):
        admin.create_rule(w.deps, ADMIN, {**fields, 'hotel_id': None, 'room_type_id': None}, w.now)


def test_report_ranges_default_to_a_month_from_today_and_refuse_backwards_ones():
    w = world()
    page = reports.list_bookings(w.deps, reports.BookingQuery(), w.now)
    assert page.items == []
    with pytest.raises(errors.InvalidDates):
        reports.list_bookings(w.deps, reports.BookingQuery(start=w.day(5), end=w.day(1)), w.now)
    with pytest.raises(errors.NotFound):
        reports.occupancy(w.deps, reports.OccupancyQuery(room_type_id='nope'), w.now)


def test_a_refund_is_not_made_while_another_caller_holds_its_lease():
    w = world()
    booking = w.owing_refund()
    assert w.deps.bookings.claim_refund(booking.id, w.now, 60) is not None  # another process, working
    assert refunds.settle(w.deps, booking.id, w.now).refund.stripe_refund_id is None  # type: ignore[union-attr]
    assert w.f.stripe.refunds == []


def test_a_refund_an_interrupted_attempt_made_at_stripe_is_recorded_not_made_again():
    w = world()
    booking = w.owing_refund()
    assert booking.payment is not None
    made = w.f.stripe.create_refund(
        payment_intent_id=booking.payment.payment_intent_id, amount=20000, metadata={'booking_id': booking.id},
        idempotency_key='k',
    )  # fmt: skip
    settled = refunds.settle(w.deps, booking.id, w.now)
    assert settled.refund is not None and settled.refund.stripe_refund_id == made.id
    assert len(w.f.stripe.refunds) == 1


def test_a_partial_refund_made_outside_the_engine_is_recorded_and_the_stay_kept():
    w = world()
    booking = w.paid()
    assert booking.payment is not None
    w.f.stripe.create_refund(
        payment_intent_id=booking.payment.payment_intent_id, amount=500, metadata={}, idempotency_key='k'
    )
    event = w.f.stripe.event(
        'charge.refunded', {'id': 'ch_1', 'object': 'charge', 'payment_intent': booking.payment.payment_intent_id}
    )
    assert webhooks.receive(w.deps, *event, w.now).outcome is Outcome.RECORDED
    stored = w.deps.bookings.get(booking.id)
    assert (stored.status, stored.refund, stored.refunded_outside) == (BookingStatus.CONFIRMED, None, 500)


def test_search_can_rank_by_availability():
    w = world()
    w.deps.catalog.put_room_type(RoomType('dorm', 'lisbon', 'Dorm', '', 2, 5000, 'EUR', 1), create=True)
    w.deps.inventory.open_fresh(w.deps.catalog.get_room_type('dorm'), w.now.date(), w.day(59))
    query = search.SearchQuery(check_in=w.day(10), check_out=w.day(11), sort='availability')
    assert [r.room_type.id for r in search.search(w.deps, query, w.now).results] == ['deluxe', 'dorm']
    by_price = search.SearchQuery(check_in=w.day(10), check_out=w.day(11))
    assert [r.room_type.id for r in search.search(w.deps, by_price, w.now).results] == ['dorm', 'deluxe']


def test_a_restricted_room_type_is_listed_with_its_reason_when_asked():
    w = world()
    w.rule(('amount', 0), closed_to_arrival=True)
    query = search.SearchQuery(check_in=w.day(10), check_out=w.day(11), include_sold_out=True)
    [shown] = search.search(w.deps, query, w.now).results
    assert (shown.available_rooms, shown.restriction) == (0, 'closed_to_arrival')


def test_failed_logins_per_address_are_limited_across_emails():
    w = world(login_failures_per_ip=2, login_failures_per_email=100)
    for i in range(2):
        with pytest.raises(errors.InvalidCredentials):
            accounts.login(w.deps, f'x{i}@example.com', 'wrong password!', w.now, client_ip='203.0.113.9')
    with pytest.raises(errors.TooManyLoginAttempts):
        accounts.login(w.deps, 'x9@example.com', 'wrong password!', w.now, client_ip='203.0.113.9')
    with pytest.raises(errors.InvalidCredentials):
        accounts.login(w.deps, 'x9@example.com', 'wrong password!', w.now, client_ip='198.51.100.7')


def test_a_payment_still_processing_at_stripe_holds_the_cancel():
    w = world()
    held = w.hold()
    intent = checkout.checkout(w.deps, GUEST, held.id, w.now).payment.payment_intent_id
    w.f.stripe.set_status(intent, IntentStatus.PROCESSING)
    with pytest.raises(errors.PaymentProcessing):
        cancellation.cancel(w.deps, GUEST, held.id, w.now)
    assert w.available() == [4, 4]


def test_a_late_cancellation_with_nothing_left_to_refund_records_none_owed():
    w = world(cancellation_penalty='full_stay')
    booking = w.paid(1, 2)
    refund = cancellation.cancel(w.deps, GUEST, booking.id, w.now).booking.refund
    assert refund is not None and (refund.amount, refund.penalty, refund.status) == (
        0,
        20000,
        RefundStatus.NOT_REQUIRED,
    )
    assert w.f.stripe.refunds == []


def test_a_hold_of_several_rooms_takes_each_of_them_on_every_night():
    w = world()
    booking = w.hold(10, 2, rooms=3)
    assert (booking.total_amount, w.available()) == (60000, [2, 2])


def test_a_room_type_whose_hotel_is_gone_is_not_found():
    w = world()
    del w.f.store.hotels['lisbon']
    with pytest.raises(errors.NotFound):
        catalog.require_room_type(w.deps, w.room.id)


def test_a_profile_of_an_unknown_user_is_not_found():
    w = world()
    with pytest.raises(errors.NotFound):
        users.profile(w.deps, GUEST)


def test_a_review_of_a_guest_without_a_profile_is_signed_guest():
    w = world()
    booking = w.paid(1, 1)
    review = reviews.post(w.deps, GUEST, booking.id, 5, '', w.now.replace(day=w.now.day + 5))
    assert review.author == 'Guest'


def test_cancelling_an_unpaid_confirmed_booking_releases_it_without_a_refund():
    w = world()
    held = w.hold()
    w.deps.bookings.transition(held, [held.status], held.status.__class__.CONFIRMED, w.now)
    result = cancellation.cancel(w.deps, GUEST, held.id, w.now)
    assert (result.booking.refund, w.available()) == (None, [5, 5])


def test_search_filters_on_view_and_hotel():
    w = world()
    w.deps.catalog.update_room_type(w.room.id, {'view_type': 'sea'})
    query = search.SearchQuery(check_in=w.day(10), check_out=w.day(11), view_type='city')
    assert search.search(w.deps, query, w.now).results == []
    sea = search.SearchQuery(check_in=w.day(10), check_out=w.day(11), view_type='sea', hotel_id='lisbon')
    assert len(search.search(w.deps, sea, w.now).results) == 1
    elsewhere = search.SearchQuery(check_in=w.day(10), check_out=w.day(11), hotel_id='porto')
    assert search.search(w.deps, elsewhere, w.now).results == []


def test_a_search_beyond_every_sale_window_says_so():
    w = world(sale_window_days=30)
    query = search.SearchQuery(check_in=w.day(40), check_out=w.day(41))
    with pytest.raises(errors.NotOnSale):
        search.search(w.deps, query, w.now)


def test_a_weak_password_is_refused_before_anything_is_counted_or_written():
    w = world(registrations_per_ip=1)
    with pytest.raises(errors.WeakPassword):
        accounts.register(w.deps, 'ada@example.com', 'short', 'Ada', w.now, client_ip='203.0.113.9')
    assert w.f.store.counters == {} and w.f.store.users == {}
    accounts.register(w.deps, 'ada@example.com', 'long enough password', 'Ada', w.now, client_ip='203.0.113.9')


def test_a_refresh_for_an_account_that_is_gone_is_refused():
    w = world()
    w.f.clock.now = datetime.now(UTC).replace(microsecond=0)  # PyJWT checks token times on the wall clock
    accounts.register(w.deps, 'ada@example.com', 'correct horse battery', 'Ada', w.now)
    pair = accounts.login(w.deps, 'ada@example.com', 'correct horse battery', w.now)
    w.f.store.users.clear()
    with pytest.raises(errors.InvalidToken):
        accounts.refresh(w.deps, pair.refresh, w.now)


def test_deleting_a_rule_that_is_gone_is_not_found():
    w = world()
    rule = w.rule(('amount', 1))
    admin.delete_rule(w.deps, ADMIN, rule.id)
    with pytest.raises(errors.NotFound):
        admin.delete_rule(w.deps, ADMIN, rule.id)
