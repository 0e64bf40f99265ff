"""The same cases against each fake of tests/fakes.py and the DynamoDB repository it stands for
(on moto): the fakes that unit tests use cannot drift from what the table does.

The races themselves (two transactions at once) are proven against ministack in tests/concurrency.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from common import errors
from common.domain import (
    Adjustment,
    Attention,
    Booking,
    BookingStatus,
    Dispute,
    Followup,
    Hotel,
    NightPrice,
    Payment,
    PriceRule,
    Refund,
    RefundStatus,
    Review,
    Role,
    RoomType,
    User,
    Work,
)
from common.ports import (
    EmailClaim,
    EventClaim,
    GuardRefused,
    HoldSlot,
    NewNight,
    NightChange,
    PassProgress,
    ReconcileProgress,
    SlotsInUse,
    WindowHit,
)
from common.services.deps import Deps

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = NOW.date() + timedelta(days=5)
HOTEL = Hotel('h1', 'Harbour', 'Lisbon', 'Cais 1', 'UTC', 15, 'EUR')
ROOM = RoomType('rt1', 'h1', 'Deluxe', '', 2, 10000, 'EUR', 3)


def catalogue(deps: Deps, nights: int = 5) -> None:
    deps.catalog.put_hotel(HOTEL, create=True)
    deps.catalog.put_room_type(ROOM, create=True)
    deps.inventory.open_fresh(ROOM, DAY, DAY + timedelta(days=nights - 1))


def booking(booking_id: str = 'b1', *, start: date = DAY, nights: int = 2, rooms: int = 1, user: str = 'u1') -> Booking:
    return Booking(
        id=booking_id,
        user_id=user,
        hotel_id=HOTEL.id,
        room_type_id=ROOM.id,
        check_in=start,
        check_out=start + timedelta(days=nights),
        guests=rooms,
        rooms=rooms,
        currency='EUR',
        total_amount=10000 * nights * rooms,
        nightly=tuple(NightPrice(start + timedelta(days=i), 10000) for i in range(nights)),
        status=BookingStatus.PENDING,
        hold_expires_at=NOW + timedelta(minutes=15),
        created_at=NOW,
        updated_at=NOW,
    )


def available(deps: Deps, start: date = DAY, nights: int = 3) -> list[int]:
    return [n.available for n in deps.inventory.nights(ROOM.id, start, start + timedelta(days=nights))]


# ---------------------------------------------------------------- catalogue


def test_a_hotel_is_created_once_changed_in_place_and_kept_while_it_has_room_types(deps: Deps):
    deps.catalog.put_hotel(HOTEL, create=True)
    with pytest.raises(errors.AlreadyExists):
        deps.catalog.put_hotel(HOTEL, create=True)
    with pytest.raises(errors.NotFound):
        deps.catalog.put_hotel(replace(HOTEL, id='h2'), create=False)
    assert deps.catalog.update_hotel(HOTEL.id, {'name': 'Renamed'}).name == 'Renamed'
    with pytest.raises(errors.NotFound):
        deps.catalog.update_hotel('nope', {'name': 'x'})
    deps.catalog.put_room_type(ROOM, create=True)
    with pytest.raises(errors.HotelNotEmpty):
        deps.catalog.update_hotel(HOTEL.id, {'currency': 'USD'})
    with pytest.raises(errors.HotelNotEmpty):
        deps.catalog.delete_hotel(HOTEL.id)
    assert [h.id for h in deps.catalog.list_hotels()] == [HOTEL.id]


def test_a_room_type_needs_its_hotel_and_is_deleted_with_its_nights_and_rules(deps: Deps):
    with pytest.raises(errors.InvalidReference):
        deps.catalog.put_room_type(ROOM, create=True)
    catalogue(deps)
    with pytest.raises(errors.AlreadyExists):
        deps.catalog.put_room_type(ROOM, create=True)
    assert deps.catalog.update_room_type(ROOM.id, {'amenities': ['wifi']}).amenities == ('wifi',)
    rule = PriceRule('r1', HOTEL.id, 'Own', Adjustment('amount', 1), room_type_id=ROOM.id)
    deps.catalog.put_rule(rule)
    deps.catalog.delete_room_type(ROOM, deps.inventory.all_nights(ROOM.id))
    with pytest.raises(errors.NotFound):
        deps.catalog.get_room_type(ROOM.id)
    assert deps.inventory.all_nights(ROOM.id) == [] and deps.catalog.list_rules(HOTEL.id) == []
    deps.catalog.delete_hotel(HOTEL.id)


def test_a_room_type_with_rooms_held_is_not_deleted(deps: Deps):
    catalogue(deps)
    nights = deps.inventory.all_nights(ROOM.id)
    deps.bookings.create_hold(booking())  # lands after the caller read the nights
    with pytest.raises(errors.HasBookings):
        deps.catalog.delete_room_type(ROOM, nights)
    assert deps.catalog.get_room_type(ROOM.id) == replace(ROOM, default_allotment=ROOM.total_rooms)
    assert available(deps) == [2, 2, 3]


def test_a_price_rule_is_found_by_id_and_replaced_only_at_the_version_read(deps: Deps):
    catalogue(deps)
    rule = PriceRule('r1', HOTEL.id, 'Weekend', Adjustment('percent', 10), weekdays=(6, 7), version=1)
    deps.catalog.put_rule(rule, create=True)
    with pytest.raises(errors.AlreadyExists):
        deps.catalog.put_rule(rule, create=True)
    assert deps.catalog.get_rule('r1') == rule
    deps.catalog.replace_rule(replace(rule, priority=3, version=2), expected_version=1)
    with pytest.raises(errors.Conflict):
        deps.catalog.replace_rule(replace(rule, priority=4, version=2), expected_version=1)
    assert [r.priority for r in deps.catalog.list_rules(HOTEL.id)] == [3]
    deps.catalog.delete_rule(HOTEL.id, 'r1')
    with pytest.raises(errors.NotFound):
        deps.catalog.get_rule('r1')


# ---------------------------------------------------------------- inventory


def test_opening_creates_only_absent_nights_with_the_opening_allotment_and_never_resets_one(deps: Deps):
    catalogue(deps, nights=2)
    deps.bookings.create_hold(booking())  # a guest took a room of the nights that exist
    days = [DAY + timedelta(days=d) for d in range(4)]
    assert deps.inventory.open_nights([NewNight(ROOM, d) for d in days]) == [False, False, True, True]
    assert available(deps, nights=4) == [2, 2, 3, 3]
    five = replace(ROOM, default_allotment=2)
    assert deps.inventory.open_nights([NewNight(five, DAY + timedelta(days=4))]) == [True]
    assert [(n.allotment, n.available) for n in deps.inventory.nights(ROOM.id, DAY, DAY + timedelta(days=5))][3:] == [
        (3, 3),
        (2, 2),
    ]
    assert deps.inventory.existing_nights(ROOM.id, DAY + timedelta(days=1), DAY + timedelta(days=9)) == {
        DAY + timedelta(days=d) for d in (1, 2, 3, 4)
    }
    assert deps.inventory.existing_nights('other', DAY, DAY + timedelta(days=9)) == set()


def test_room_types_are_listed_by_hotel_then_id_after_a_cursor(deps: Deps):
    hotels = [HOTEL, replace(HOTEL, id='a-hotel', timezone='Asia/Tokyo')]
    for hotel in hotels:
        deps.catalog.put_hotel(hotel, create=True)
    for room_type in (
        replace(ROOM, id='twin'),
        replace(ROOM, id='king', default_allotment=5),
        replace(ROOM, id='suite', hotel_id='a-hotel'),
    ):
        deps.catalog.put_room_type(room_type, create=True)
    listed = list(deps.catalog.room_types_after(''))
    assert [key for key, _ in listed] == ['a-hotel#suite', 'h1#king', 'h1#twin']
    assert [rt.id for _, rt in deps.catalog.room_types_after('a-hotel#suite')] == ['king', 'twin']
    assert listed[1][1].allotment_of_new_nights == 5
    assert listed[2][1].allotment_of_new_nights == ROOM.total_rooms  # written with its default


def test_the_housekeeping_progress_only_moves_forward(deps: Deps):
    records = deps.housekeeping
    assert records.progress() is None
    day, run_at = NOW.date(), NOW
    started = PassProgress(day, run_at=run_at, since=run_at - timedelta(days=1), cursor='b#king', room_types=2)
    assert records.save_progress(started, NOW)
    assert records.progress() == started
    # a run behind it (an earlier cursor of the same day) does not set it back
    assert not records.save_progress(PassProgress(day, run_at=run_at, cursor='a#suite'), NOW)
    finished = PassProgress(day, run_at=run_at, since=run_at - timedelta(days=1), cursor='b#twin', complete=True)
    assert records.save_progress(finished, NOW)
    # once the day's pass finished, nothing of that day changes it; the next day starts a new one
    assert not records.save_progress(PassProgress(day, run_at=run_at, cursor='b#twin', complete=True), NOW)
    tomorrow = PassProgress(day + timedelta(days=1), run_at=run_at + timedelta(days=1), since=run_at)
    assert records.save_progress(tomorrow, NOW)
    assert records.progress() == tomorrow


def test_the_reconciliation_progress_only_moves_forward(deps: Deps):
    records = deps.payments
    assert records.reconcile_progress() is None
    day = NOW.date()
    started = ReconcileProgress(day, NOW, cursor='c2', pages=2, examined=50, at_risk=1, amounts={'EUR': 12000})
    assert records.save_reconcile_progress(started, NOW)
    assert records.reconcile_progress() == started
    # a run behind it (fewer pages of the same pass) does not set it back
    assert not records.save_reconcile_progress(replace(started, cursor='c1', pages=1), NOW)
    finished = replace(started, cursor='', pages=3, complete=True, examined=60)
    assert records.save_reconcile_progress(finished, NOW)
    # once finished, nothing of that pass changes it; a pass started later (on demand, the next day) does
    assert not records.save_reconcile_progress(replace(finished, pages=4), NOW)
    again = ReconcileProgress(day, NOW + timedelta(hours=2), cursor='c1', pages=1)
    assert records.save_reconcile_progress(again, NOW)
    assert records.reconcile_progress() == again


def test_an_inventory_plan_is_applied_whole_or_refused_whole(deps: Deps):
    catalogue(deps, nights=3)
    deps.bookings.create_hold(booking(rooms=2))
    before = {n.date: n for n in deps.inventory.all_nights(ROOM.id)}
    lower = [NightChange(DAY + timedelta(days=i), 1, False, before[DAY + timedelta(days=i)]) for i in range(3)]
    with pytest.raises(errors.AllotmentBelowHeld):
        deps.inventory.apply(ROOM, lower)
    assert available(deps) == [1, 1, 3]
    raise_and_open = [
        NightChange(DAY, 5, False, before[DAY]),
        NightChange(DAY + timedelta(days=3), 4, True, None),
    ]
    deps.inventory.apply(ROOM, raise_and_open)
    nights = deps.inventory.nights(ROOM.id, DAY, DAY + timedelta(days=4))
    assert [(n.allotment, n.available, n.stop_sell) for n in nights] == [
        (5, 3, False), (3, 1, False), (3, 3, False), (4, 4, True),
    ]  # fmt: skip
    with pytest.raises(errors.InventoryConflict):
        deps.inventory.apply(ROOM, raise_and_open)  # planned from what is no longer there


# ---------------------------------------------------------------- bookings


def test_a_hold_takes_every_night_or_none(deps: Deps):
    catalogue(deps, nights=3)
    deps.bookings.create_hold(booking('b1', rooms=3, nights=1))
    with pytest.raises(errors.SoldOut) as sold_out:
        deps.bookings.create_hold(booking('b2', nights=2))
    assert sold_out.value.extra == {'nights': [DAY.isoformat()]}
    with pytest.raises(errors.NotOnSale) as not_on_sale:
        deps.bookings.create_hold(booking('b3', start=DAY + timedelta(days=2), nights=2))
    assert not_on_sale.value.extra == {'nights': [(DAY + timedelta(days=3)).isoformat()]}
    assert available(deps) == [0, 3, 3]
    with pytest.raises(errors.NotFound):
        deps.bookings.get('b2')
    assert deps.bookings.get('b1').status is BookingStatus.PENDING


def test_a_transition_is_guarded_by_the_status_and_payment_it_expects(deps: Deps):
    catalogue(deps)
    held = booking()
    deps.bookings.create_hold(held)
    payment = Payment('pi_1', 'requires_payment_method', 20000, 'EUR', 'secret')
    assert deps.bookings.attach_payment(held.id, payment, NOW)
    assert not deps.bookings.attach_payment(held.id, replace(payment, payment_intent_id='pi_2'), NOW)
    with pytest.raises(errors.InvalidState):
        deps.bookings.transition(
            held, [BookingStatus.PENDING], BookingStatus.CANCELLED, NOW, expect_payment_intent=None
        )
    with pytest.raises(errors.InvalidState):
        deps.bookings.transition(held, [BookingStatus.CONFIRMED], BookingStatus.CANCELLED, NOW)
    paid = replace(payment, status='succeeded')
    deps.bookings.transition(
        held, [BookingStatus.PENDING], BookingStatus.CONFIRMED, NOW, expect_payment_intent='pi_1', payment=paid
    )
    stored = deps.bookings.get(held.id)
    assert (stored.status, stored.payment, stored.version) == (BookingStatus.CONFIRMED, paid, 3)
    deps.bookings.transition(stored, [BookingStatus.CONFIRMED], BookingStatus.CANCELLED, NOW, release_rooms=True)
    assert available(deps) == [3, 3, 3]


def test_taking_rooms_again_is_refused_when_they_were_sold(deps: Deps):
    catalogue(deps)
    held = booking(rooms=2)
    deps.bookings.create_hold(held)
    deps.bookings.transition(held, [BookingStatus.PENDING], BookingStatus.EXPIRED, NOW, release_rooms=True)
    deps.bookings.create_hold(booking('b2', rooms=2))
    with pytest.raises(errors.SoldOut):
        deps.bookings.transition(held, [BookingStatus.EXPIRED], BookingStatus.CONFIRMED, NOW, take_rooms=True)
    assert deps.bookings.get(held.id).status is BookingStatus.EXPIRED
    assert available(deps) == [1, 1, 3]


def test_a_hold_cannot_get_a_payment_once_it_has_expired(deps: Deps):
    catalogue(deps)
    held = booking()
    deps.bookings.create_hold(held)
    late = held.hold_expires_at
    assert not deps.bookings.attach_payment(held.id, Payment('pi', 'x', 1, 'EUR'), late)


def _owing(deps: Deps, amount: int = 20000, paid: int = 20000) -> Booking:
    """A CANCELLED booking owing ``amount`` of its ``paid`` payment, in the refund outbox."""
    catalogue(deps)
    held = booking()
    deps.bookings.create_hold(held)
    owed = Refund(amount, paid - amount, 'EUR', RefundStatus.PENDING, reason='cancelled_by_guest')
    deps.bookings.transition(
        held, [BookingStatus.PENDING], BookingStatus.CANCELLED, NOW, release_rooms=True,
        payment=Payment('pi_1', 'succeeded', paid, 'EUR'), refund=owed, followup=Followup(Work.REFUND, NOW),
    )  # fmt: skip
    return deps.bookings.get(held.id)


def test_an_owed_refund_is_claimed_by_one_caller_and_recorded_once_by_its_holder(deps: Deps):
    held = _owing(deps)
    lease = deps.bookings.claim_refund(held.id, NOW, 60)
    assert lease is not None and deps.bookings.claim_refund(held.id, NOW, 60) is None
    taken_over = deps.bookings.claim_refund(held.id, NOW + timedelta(seconds=61), 60)  # lapsed
    assert taken_over is not None
    made = Refund(20000, 0, 'EUR', RefundStatus.PENDING, 're_1', 'cancelled_by_guest')
    assert not deps.bookings.record_refund(held.id, lease, made, 0, NOW)  # no longer the holder
    assert not deps.bookings.bump_refund_key(held.id, lease)
    assert deps.bookings.bump_refund_key(held.id, taken_over)
    assert deps.bookings.record_refund(held.id, taken_over, replace(made, key_version=1), 0, NOW)
    assert not deps.bookings.record_refund(held.id, taken_over, replace(made, stripe_refund_id='re_2'), 0, NOW)
    assert deps.bookings.claim_refund(held.id, NOW + timedelta(hours=1), 60) is None  # no longer owed
    stored = deps.bookings.get(held.id)
    assert (stored.refund, stored.followup) == (replace(made, key_version=1), None)  # out of the outbox


def test_a_refunds_status_only_moves_forward(deps: Deps):
    held = _owing(deps)
    lease = deps.bookings.claim_refund(held.id, NOW, 60)
    assert lease is not None
    made = Refund(20000, 0, 'EUR', RefundStatus.PENDING, 're_1', 'cancelled_by_guest')
    assert deps.bookings.record_refund(held.id, lease, made, 0, NOW)
    assert deps.bookings.update_refund_status(held.id, 're_1', RefundStatus.SUCCEEDED, NOW)
    assert not deps.bookings.update_refund_status(held.id, 're_1', RefundStatus.SUCCEEDED, NOW)
    assert not deps.bookings.update_refund_status(held.id, 're_1', RefundStatus.PENDING, NOW)  # a late event
    assert not deps.bookings.update_refund_status(held.id, 're_2', RefundStatus.FAILED, NOW)  # not ours
    assert deps.bookings.update_refund_status(held.id, 're_1', RefundStatus.FAILED, NOW)  # failed at the bank
    refund = deps.bookings.get(held.id).refund
    assert refund is not None and refund.status is RefundStatus.FAILED


def test_the_outbox_lists_owed_work_by_due_time_and_each_change_is_guarded(deps: Deps):
    catalogue(deps, nights=10)
    for i, minutes in enumerate([30, 10, 20, 90]):
        b = booking(f'b{i}', start=DAY + timedelta(days=i), nights=1)
        deps.bookings.create_hold(b)
        work = Work.OPEN_INTENT if i == 3 else Work.REFUND
        deps.bookings.transition(
            b, [BookingStatus.PENDING], BookingStatus.EXPIRED, NOW, release_rooms=True,
            followup=Followup(work, NOW + timedelta(minutes=minutes)),
        )  # fmt: skip

    def due(work: Work, minutes: int) -> set[str]:
        """What is due (each shard's page comes earliest due first; the shards in turn)."""
        return {i for page in deps.bookings.due_followups(work, NOW + timedelta(minutes=minutes), 10) for i in page}

    assert due(Work.REFUND, 25) == {'b1', 'b2'}
    assert due(Work.OPEN_INTENT, 100) == {'b3'}
    later = Followup(Work.REFUND, NOW + timedelta(hours=2), 1, 'stripe_unavailable')
    assert deps.bookings.reschedule('b1', later, attempts_were=0)
    assert not deps.bookings.reschedule('b1', later, attempts_were=0)  # counted once
    assert deps.bookings.get('b1').followup == later
    assert due(Work.REFUND, 60) == {'b2', 'b0'}
    assert not deps.bookings.finish_followup('b2', Work.OPEN_INTENT)
    assert deps.bookings.finish_followup('b2', Work.REFUND)
    assert deps.bookings.get('b2').followup is None
    attention = Attention(Work.REFUND, 'charge_disputed', NOW)
    assert deps.bookings.flag_attention('b0', attention)
    assert not deps.bookings.flag_attention('b0', attention)
    stored = deps.bookings.get('b0')
    assert (stored.followup, stored.attention) == (None, attention)
    assert due(Work.REFUND, 24 * 60) == {'b1'}


def test_the_outbox_of_one_shard_comes_earliest_due_first(deps: Deps):
    catalogue(deps, nights=10)
    ids = [f'b{i}' for i in range(6)]
    for i, booking_id in enumerate(ids):
        b = booking(booking_id, start=DAY + timedelta(days=i), nights=1)
        deps.bookings.create_hold(b)
        deps.bookings.transition(
            b, [BookingStatus.PENDING], BookingStatus.EXPIRED, NOW, release_rooms=True,
            followup=Followup(Work.REFUND, NOW - timedelta(minutes=i)),
        )  # fmt: skip
    pages = list(deps.bookings.due_followups(Work.REFUND, NOW, 10))
    for page in pages:
        dues = [deps.bookings.get(i).followup.due_at for i in page]  # type: ignore[union-attr]
        assert dues == sorted(dues)
    assert sorted(i for page in pages for i in page) == ids


def test_a_new_intent_key_is_taken_once_and_only_before_a_payment_is_stored(deps: Deps):
    catalogue(deps)
    held = booking()
    deps.bookings.create_hold(held)
    assert deps.bookings.bump_intent_key(held.id, 0)
    assert not deps.bookings.bump_intent_key(held.id, 0)  # someone bumped it first
    assert deps.bookings.get(held.id).intent_key_version == 1
    assert deps.bookings.attach_payment(held.id, Payment('pi_1', 'requires_payment_method', 20000, 'EUR'), NOW)
    assert not deps.bookings.bump_intent_key(held.id, 1)


def test_a_dispute_is_recorded_and_a_closed_one_is_final(deps: Deps):
    catalogue(deps)
    held = booking()
    deps.bookings.create_hold(held)
    opened = Dispute('dp_1', 'needs_response', 'fraudulent', 20000, 'EUR', NOW)
    assert deps.bookings.record_dispute(held.id, opened)
    assert not deps.bookings.record_dispute(held.id, opened)  # the same word again
    lost = replace(opened, status='lost', updated_at=NOW + timedelta(days=30))
    assert deps.bookings.record_dispute(held.id, lost)
    assert not deps.bookings.record_dispute(held.id, replace(opened, status='under_review'))  # an older event
    assert deps.bookings.get(held.id).dispute == lost


def test_refunds_made_outside_are_recorded_as_they_grow(deps: Deps):
    held = _owing(deps, amount=15000)
    assert not deps.bookings.record_refunded_outside(held.id, 5000, 0, NOW)  # its own refund is not made yet
    lease = deps.bookings.claim_refund(held.id, NOW, 60)
    assert lease is not None
    made = Refund(15000, 5000, 'EUR', RefundStatus.SUCCEEDED, 're_1', 'cancelled_by_guest')
    assert deps.bookings.record_refund(held.id, lease, made, 0, NOW)
    assert deps.bookings.record_refunded_outside(held.id, 5000, 0, NOW)  # the penalty given back in the Dashboard
    assert not deps.bookings.record_refunded_outside(held.id, 3000, 2000, NOW)  # an older read
    stored = deps.bookings.get(held.id)
    assert stored.refunded_outside == 5000 and stored.refund == replace(made, penalty=0)


def test_due_holds_are_the_pending_ones_past_their_expiry(deps: Deps):
    catalogue(deps)
    due, later, confirmed = booking('due'), booking('later', nights=1), booking('confirmed', nights=1)
    later = replace(later, hold_expires_at=NOW + timedelta(hours=1))
    for b in (due, later, confirmed):
        deps.bookings.create_hold(b)
    deps.bookings.transition(confirmed, [BookingStatus.PENDING], BookingStatus.CONFIRMED, NOW)
    found = [b.id for page in deps.bookings.due_holds(NOW + timedelta(minutes=20), 10) for b in page]
    assert found == ['due']


def test_hold_slots_are_taken_with_the_hold_up_to_the_cap_and_given_back_by_leaving_pending(deps: Deps):
    catalogue(deps)
    cap = HoldSlot('u1', 2)
    first = replace(booking('s1', nights=1), hold_slot=True)
    second = replace(booking('s2', start=DAY + timedelta(days=1), nights=1), hold_slot=True)
    second = replace(second, hold_expires_at=NOW + timedelta(minutes=20))
    deps.bookings.create_hold(first, [cap])
    deps.bookings.create_hold(second, [cap])
    assert deps.bookings.get('s1').hold_slot is True
    assert deps.bookings.hold_slots('u1') == [first.slot, second.slot]
    # the cap is reached: the third is refused whole, naming the slots in use, oldest first
    with pytest.raises(SlotsInUse) as in_use:
        deps.bookings.create_hold(
            replace(booking('s3', start=DAY + timedelta(days=2), nights=1), hold_slot=True), [cap]
        )
    assert in_use.value.held == [first.slot, second.slot]
    assert available(deps) == [2, 2, 3]
    with pytest.raises(errors.NotFound):
        deps.bookings.get('s3')
    # confirming (no rooms move) and expiring (rooms move) both give the slot back
    deps.bookings.transition(first, [BookingStatus.PENDING], BookingStatus.CONFIRMED, NOW)
    assert deps.bookings.hold_slots('u1') == [second.slot]
    deps.bookings.transition(second, [BookingStatus.PENDING], BookingStatus.EXPIRED, NOW, release_rooms=True)
    assert deps.bookings.hold_slots('u1') == []
    assert list(deps.bookings.scan_hold_slots()) == []
    # a hold without a slot leaves the slots alone
    deps.bookings.create_hold(booking('s4', user='u2', nights=1))
    assert deps.bookings.hold_slots('u2') == []


def test_a_full_window_refuses_the_hold_whole(deps: Deps):
    catalogue(deps)
    hit = WindowHit('hold-user', 'abc', 3600, 1, 99999)
    deps.bookings.create_hold(booking('w1', nights=1), [hit])
    with pytest.raises(GuardRefused) as refused:
        deps.bookings.create_hold(booking('w2', nights=1), [hit])
    assert refused.value.guard == hit
    assert available(deps) == [2, 3, 3]
    assert deps.limits.take('hold-user', 'abc', 3600, 2, 99999)  # the same counter as the limits'
    assert not deps.limits.take('hold-user', 'abc', 3600, 2, 99999)


def test_a_refused_guard_is_reported_before_sold_out_nights(deps: Deps):
    catalogue(deps)
    deps.bookings.create_hold(booking('full', rooms=3, nights=1))
    deps.bookings.create_hold(
        replace(booking('a', start=DAY + timedelta(days=1), nights=1), hold_slot=True), [HoldSlot('u1', 1)]
    )
    with pytest.raises(SlotsInUse):
        deps.bookings.create_hold(replace(booking('b', nights=1), hold_slot=True), [HoldSlot('u1', 1)])


def test_stale_hold_slots_are_dropped(deps: Deps):
    catalogue(deps)
    held = replace(booking('d1', nights=1), hold_slot=True)
    deps.bookings.create_hold(held, [HoldSlot('u1', 3)])
    deps.bookings.drop_hold_slots('u1', [held.slot])
    deps.bookings.drop_hold_slots('u1', [held.slot])  # already gone: nothing happens
    deps.bookings.drop_hold_slots('nobody', [held.slot])
    assert deps.bookings.hold_slots('u1') == []


def test_due_holds_on_room_types_and_nights_are_the_pending_ones_past_expiry_overlapping_them(deps: Deps):
    catalogue(deps)
    early = replace(booking('early', nights=2), hold_expires_at=NOW)
    later = replace(booking('later', start=DAY + timedelta(days=1), nights=1), hold_expires_at=NOW + timedelta(hours=1))
    after = replace(booking('after', start=DAY + timedelta(days=3), nights=1), hold_expires_at=NOW)
    paid = replace(booking('paid', nights=1), hold_expires_at=NOW)
    for b in (early, later, after, paid):
        deps.bookings.create_hold(b)
    deps.bookings.transition(paid, [BookingStatus.PENDING], BookingStatus.CONFIRMED, NOW)

    def due(start: date, end: date, room_types=(ROOM.id,)) -> set[str]:
        return {b.id for b in deps.bookings.due_holds_on(list(room_types), start, end, NOW)}

    assert due(DAY, DAY + timedelta(days=5)) == {'early', 'after'}
    assert due(DAY + timedelta(days=1), DAY + timedelta(days=2)) == {'early'}  # its second night
    assert due(DAY + timedelta(days=2), DAY + timedelta(days=3)) == set()
    assert due(DAY, DAY + timedelta(days=5), room_types=('other',)) == set()
    assert due(DAY, DAY + timedelta(days=5), room_types=()) == set()


def test_a_users_bookings_come_newest_first_in_pages_of_their_own(deps: Deps):
    catalogue(deps, nights=10)
    for i in range(3):
        b = booking(f'b{i}', start=DAY + timedelta(days=i), nights=1)
        deps.bookings.create_hold(replace(b, created_at=NOW + timedelta(seconds=i)))
    deps.bookings.create_hold(booking('theirs', start=DAY + timedelta(days=5), nights=1, user='u2'))
    first = deps.bookings.list_for_user('u1', 2, None)
    second = deps.bookings.list_for_user('u1', 2, first.next_cursor)
    assert [b.id for b in first.items + second.items] == ['b2', 'b1', 'b0']
    with pytest.raises(errors.InvalidCursor):
        deps.bookings.list_for_user('u2', 2, first.next_cursor)


def test_bookings_by_arrival_filter_on_the_status_clients_see(deps: Deps):
    catalogue(deps, nights=10)
    expired = booking('b1', nights=1)
    later = replace(booking('b2', start=DAY + timedelta(days=1), nights=1), hold_expires_at=NOW + timedelta(hours=2))
    for b in (expired, later):
        deps.bookings.create_hold(b)
    when = NOW + timedelta(hours=1)  # b1's hold has passed, not yet swept

    def listed(*statuses: BookingStatus) -> list[str]:
        page = deps.bookings.list_by_arrival(
            [HOTEL.id], DAY, DAY + timedelta(days=5), now=when, statuses=frozenset(statuses)
        )
        return [b.id for b in page.items]

    assert listed(BookingStatus.EXPIRED) == ['b1']
    assert listed(BookingStatus.PENDING) == ['b2']
    assert listed(BookingStatus.PENDING, BookingStatus.EXPIRED) == ['b1', 'b2']
    holding = deps.bookings.holding_rooms([HOTEL.id], DAY, DAY + timedelta(days=1))
    assert [b.id for b in holding] == ['b1']  # stored PENDING: its rooms are held until swept


def test_bookings_by_arrival_of_several_hotels_merge_by_check_in_and_page_across_months(deps: Deps):
    # Two hotels (two partitions of the arrivals index per month), 40 days: at least two months
    other_hotel = replace(HOTEL, id='h2', name='Hill')
    other_room = replace(ROOM, id='rt2', hotel_id='h2')
    catalogue(deps, nights=40)
    deps.catalog.put_hotel(other_hotel, create=True)
    deps.catalog.put_room_type(other_room, create=True)
    deps.inventory.open_fresh(other_room, DAY, DAY + timedelta(days=39))
    made = []
    for i in range(40):
        b = booking(f'b{i:02d}', start=DAY + timedelta(days=i), nights=1)
        if i % 3:
            b = replace(b, hotel_id='h2', room_type_id='rt2')
        deps.bookings.create_hold(b)
        made.append(b)
    end = DAY + timedelta(days=40)

    def every_page(hotels: list[str], descending: bool = False) -> tuple[list[str], int]:
        ids, cursor, pages = [], None, 0
        while True:
            page = deps.bookings.list_by_arrival(
                hotels, DAY, end, now=NOW, limit=7, cursor=cursor, descending=descending
            )
            ids += [b.id for b in page.items]
            pages += 1
            if page.next_cursor is None:
                return ids, pages
            cursor = page.next_cursor

    both, pages = every_page(['h1', 'h2'])
    assert both == [b.id for b in made] and pages <= 40 // 7 + 2  # one order across hotels, no repeats
    assert every_page(['h2', 'h1'], descending=True)[0] == [b.id for b in reversed(made)]
    assert every_page(['h1'])[0] == [b.id for b in made if b.hotel_id == 'h1']  # only the hotels named
    assert every_page([])[0] == []
    held = deps.bookings.holding_rooms(['h2'], DAY + timedelta(days=1), DAY + timedelta(days=3))
    assert sorted(b.id for b in held) == ['b01', 'b02']
    first = deps.bookings.list_by_arrival(['h1', 'h2'], DAY, end, now=NOW, limit=7)
    with pytest.raises(errors.InvalidCursor):  # a cursor of another range
        deps.bookings.list_by_arrival(
            ['h1', 'h2'], DAY + timedelta(days=400), end + timedelta(days=400), now=NOW, cursor=first.next_cursor
        )


def test_bookings_by_arrival_of_skewed_hotels_page_the_same_whatever_the_page_size_and_filter(deps: Deps):
    # Three hotels, one with most bookings and one with a single late one: the merge reads a
    # little of each hotel at a time, so every page size must still give one exact order
    catalogue(deps, nights=20)
    rooms = {'h1': ROOM}
    for hotel_id in ('h2', 'h3'):
        deps.catalog.put_hotel(replace(HOTEL, id=hotel_id), create=True)
        rooms[hotel_id] = replace(ROOM, id=f'rt-{hotel_id}', hotel_id=hotel_id)
        deps.catalog.put_room_type(rooms[hotel_id], create=True)
        deps.inventory.open_fresh(rooms[hotel_id], DAY, DAY + timedelta(days=19))
    plan = [('h1', d) for d in range(0, 20, 2)] + [('h2', d) for d in range(12)] + [('h3', 19)]
    made = []
    for i, (hotel_id, day) in enumerate(plan):
        b = booking(f'b{i:02d}', start=DAY + timedelta(days=day), nights=1)
        b = replace(b, hotel_id=hotel_id, room_type_id=rooms[hotel_id].id)
        if i % 4 == 0:
            b = replace(b, hold_expires_at=NOW - timedelta(minutes=1))  # EXPIRED to clients
        deps.bookings.create_hold(b)
        made.append(b)
    end = DAY + timedelta(days=20)
    for statuses in (None, frozenset({BookingStatus.PENDING})):
        wanted = [b for b in made if statuses is None or b.effective_status(NOW) in statuses]
        for descending in (False, True):
            expected = [b.id for b in sorted(wanted, key=lambda b: (b.check_in, b.id), reverse=descending)]
            for limit in (1, 2, 5, 40):
                ids, cursor = [], None
                for _ in range(len(made) + 1):
                    page = deps.bookings.list_by_arrival(
                        ['h1', 'h2', 'h3'], DAY, end, now=NOW, statuses=statuses, limit=limit,
                        cursor=cursor, descending=descending,
                    )  # fmt: skip
                    ids += [b.id for b in page.items]
                    cursor = page.next_cursor
                    if cursor is None:
                        break
                assert ids == expected, (statuses, descending, limit)


# ---------------------------------------------------------------- payment records


def test_a_stripe_event_is_claimed_once_and_a_dead_claim_lapses(deps: Deps):
    assert deps.payments.claim_event('evt_1', 't', NOW, 60, 3600) is EventClaim.CLAIMED
    assert deps.payments.claim_event('evt_1', 't', NOW, 60, 3600) is EventClaim.IN_PROGRESS
    assert deps.payments.claim_event('evt_1', 't', NOW + timedelta(seconds=61), 60, 3600) is EventClaim.CLAIMED
    deps.payments.finish_event('evt_1', 'confirmed')
    assert deps.payments.claim_event('evt_1', 't', NOW + timedelta(hours=1), 60, 3600) is EventClaim.DONE
    assert deps.payments.claim_event('evt_2', 't', NOW, 60, 3600) is EventClaim.CLAIMED
    deps.payments.release_event('evt_2')
    assert deps.payments.claim_event('evt_2', 't', NOW, 60, 3600) is EventClaim.CLAIMED


# ---------------------------------------------------------------- accounts, limits


def test_an_email_belongs_to_one_user(deps: Deps):
    ada = User('u1', 'ada@example.com', 'Ada', Role.GUEST, 'hash', NOW)
    deps.accounts.create_user(ada)
    with pytest.raises(errors.EmailTaken):
        deps.accounts.create_user(replace(ada, id='u2'))
    assert deps.accounts.find_user_by_email('ada@example.com') == ada
    assert deps.accounts.find_user_by_email('grace@example.com') is None
    changed = deps.accounts.update_profile('u1', {'phone': '+44 1', 'name': 'Ada King'})
    assert (changed.name, changed.phone) == ('Ada King', '+44 1')
    assert deps.accounts.update_profile('u1', {'phone': None}).phone is None
    with pytest.raises(errors.NotFound):
        deps.accounts.update_profile('u9', {'name': 'x'})


def test_a_refresh_token_is_spent_once_and_a_revoked_session_spends_none(deps: Deps):
    until = NOW + timedelta(days=7)
    deps.accounts.spend_refresh_token('jti-1', 'fam-1', 'u1', until)
    with pytest.raises(errors.RefreshTokenReused):
        deps.accounts.spend_refresh_token('jti-1', 'fam-1', 'u1', until)
    assert not deps.accounts.family_revoked('fam-1')
    deps.accounts.revoke_family('fam-1', 'u1', 'logout', NOW, until)
    deps.accounts.revoke_family('fam-1', 'u1', 'again', NOW, until)
    assert deps.accounts.family_revoked('fam-1')
    with pytest.raises(errors.InvalidToken):
        deps.accounts.spend_refresh_token('jti-2', 'fam-1', 'u1', until)


def test_a_password_hash_changes_only_from_the_one_checked(deps: Deps):
    deps.accounts.create_user(User('u1', 'ada@example.com', 'Ada', Role.GUEST, 'hash-1', NOW))
    assert deps.accounts.change_password('u1', 'hash-1', 'hash-2')
    assert not deps.accounts.change_password('u1', 'hash-1', 'hash-3')  # lost the race
    assert deps.accounts.get_user('u1').password_hash == 'hash-2'
    assert not deps.accounts.change_password('u9', 'hash-1', 'hash-2')  # no such user: nothing created


def test_a_users_sessions_are_listed_until_they_end_or_are_forgotten(deps: Deps):
    deps.accounts.create_user(User('u1', 'ada@example.com', 'Ada', Role.GUEST, 'hash', NOW))
    deps.accounts.record_session('u1', 'fam-1', NOW, NOW + timedelta(days=30))
    deps.accounts.record_session('u1', 'fam-2', NOW, NOW + timedelta(hours=1))
    deps.accounts.record_session('u2', 'fam-3', NOW, NOW + timedelta(days=30))
    assert sorted(deps.accounts.sessions('u1', NOW)) == ['fam-1', 'fam-2']
    assert deps.accounts.sessions('u1', NOW + timedelta(hours=2)) == ['fam-1']  # past its end
    deps.accounts.forget_session('u1', 'fam-1')
    deps.accounts.forget_session('u1', 'fam-1')  # idempotent
    assert deps.accounts.sessions('u1', NOW) == ['fam-2']
    assert deps.accounts.get_user('u1').email == 'ada@example.com'  # the profile in the same partition is kept


def test_a_window_counts_up_to_its_limit_and_gives_back(deps: Deps):
    assert [deps.limits.take('s', 'x', 0, 2, 99) for _ in range(3)] == [True, True, False]
    deps.limits.give_back('s', 'x', 0)
    assert deps.limits.take('s', 'x', 0, 2, 99)
    assert deps.limits.take('s', 'x', 900, 2, 99)  # another window
    deps.limits.give_back('s', 'y', 0)  # nothing to give back: no error


# ---------------------------------------------------------------- reviews, wishlist


def test_a_confirmed_stay_is_reviewed_once_and_the_counters_follow(deps: Deps):
    catalogue(deps)
    held = booking()
    deps.bookings.create_hold(held)
    review = Review('r1', held.id, ROOM.id, HOTEL.id, 'u1', 'Ada', 4, 'Nice', DAY, NOW)
    with pytest.raises(errors.InvalidState):
        deps.reviews.create(review)  # still PENDING
    deps.bookings.transition(held, [BookingStatus.PENDING], BookingStatus.CONFIRMED, NOW)
    with pytest.raises(errors.InvalidState):
        deps.reviews.create(replace(review, user_id='u2'))
    deps.reviews.create(review)
    with pytest.raises(errors.AlreadyReviewed):
        deps.reviews.create(replace(review, id='r2'))
    room = deps.catalog.get_room_type(ROOM.id)
    assert (room.review_count, room.rating_sum) == (1, 4)
    assert [r.id for r in deps.reviews.list_for_room_type(ROOM.id, 10, None).items] == ['r1']


def test_a_wishlist_holds_a_room_type_once(deps: Deps):
    first, created = deps.wishlist.add('u1', 'rt1', NOW)
    again, created_again = deps.wishlist.add('u1', 'rt1', NOW + timedelta(days=1))
    assert (created, created_again, again) == (True, False, first)
    assert deps.wishlist.list('u1') == [first] and deps.wishlist.list('u2') == []
    deps.wishlist.remove('u1', 'rt1')
    deps.wishlist.remove('u1', 'rt1')
    assert deps.wishlist.list('u1') == []


# ---------------------------------------------------------------- notifications


def test_an_email_is_claimed_once_sent_once_and_a_dead_claim_lapses(deps: Deps):
    records = deps.notifications
    claim = {'kind': 'guest_confirmed', 'booking_id': 'b1', 'lease_seconds': 120, 'ttl_seconds': 86400}
    assert records.claim('e1', 'guest#a', now=NOW, **claim) is EmailClaim.CLAIMED
    assert records.claim('e1', 'guest#a', now=NOW, **claim) is EmailClaim.IN_PROGRESS
    assert records.claim('e1', 'hotel#b', now=NOW, **claim) is EmailClaim.CLAIMED  # another recipient
    # the holder died: its lease lapses and a retry takes the email over
    assert records.claim('e1', 'guest#a', now=NOW + timedelta(seconds=121), **claim) is EmailClaim.CLAIMED
    records.finish('e1', 'guest#a', sent=True, detail='message-1')
    assert records.claim('e1', 'guest#a', now=NOW + timedelta(days=1), **claim) is EmailClaim.SENT
    records.finish('e1', 'hotel#b', sent=False, detail='MessageRejected')
    assert records.claim('e1', 'hotel#b', now=NOW + timedelta(days=1), **claim) is EmailClaim.REJECTED


def test_a_released_claim_is_claimed_again_at_once_and_a_sent_one_is_never_released(deps: Deps):
    records = deps.notifications
    claim = {'kind': 'guest_confirmed', 'booking_id': 'b1', 'lease_seconds': 120, 'ttl_seconds': 86400}
    assert records.claim('e2', 'guest#a', now=NOW, **claim) is EmailClaim.CLAIMED
    records.release('e2', 'guest#a')
    assert records.claim('e2', 'guest#a', now=NOW, **claim) is EmailClaim.CLAIMED
    records.finish('e2', 'guest#a', sent=True, detail='message-2')
    records.release('e2', 'guest#a')
    assert records.claim('e2', 'guest#a', now=NOW, **claim) is EmailClaim.SENT
