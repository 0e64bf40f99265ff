"""The invariant auditor: are the books right? An offline check (``make audit``, and after every
integration and end-to-end test), never a request path: it scans the table.

Inventory, for every night of every room type::

    allotment == available + rooms held by PENDING and CONFIRMED bookings,  0 <= available <= allotment

A PENDING hold past its ``hold_expires_at`` that nobody has released yet is over (search shows its
rooms as available, the next hold that wants them releases it): it is neither sold nor revenue. Its
rooms are still out of ``available`` in the table until that release, which moves them back in one
transaction with the status, so the equation above holds at every instant; a violation says how
many of the rooms held belong to such holds (``due``), and ``make audit`` counts them.

Hold slots: every PENDING booking that took one of its account's hold slots has exactly its entry
in the account's slots, and every entry names such a booking (a slot given back exactly once).

Payments, from what each booking records (DESIGN §5, §9):

- a CONFIRMED booking has a succeeded PaymentIntent of its total, and no refund;
- a CANCELLED or EXPIRED booking whose PaymentIntent succeeded has a refund recorded, and
  refund + penalty == what was paid: the policy's penalty when a guest cancelled (none before
  the free-cancellation deadline, CANCELLATION_PENALTY after), none at all otherwise (an expiry,
  a late payment, a payment on a cancelled booking are refunded in full);
- no refund larger than what was paid; a refund Stripe reports ``failed`` is reported too
  (money not returned: a person has to act);
- refunds made outside the engine (the Stripe Dashboard, ``Booking.refunded_outside``) count:
  refund + penalty + refunded outside == paid; a CONFIRMED booking refunded in full outside is
  reported (its webhook should have cancelled it);
- payment work the engine stopped retrying (``Booking.attention``) and an open dispute are
  reported: a person has to act on them.

With ``stripe=True`` (a Stripe client is configured) each recorded PaymentIntent is also read
back from Stripe: its status and amount must match, Stripe must not have refunded more than the
booking records, and a PaymentIntent that succeeded at Stripe for a CANCELLED/EXPIRED booking
must be refunded (a payment whose webhook never arrived would otherwise be kept).

A refund recorded as ``pending`` is owed, not missing: the client's retry, a refund event or the
sweeper makes it. The auditor reports it only if Stripe already refunded MORE than it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from common import errors
from common.domain import HOLDING_STATUSES, NOT_REFUNDED, Booking, BookingStatus, RefundStatus
from common.sale_window import kept_from
from common.services.deps import Deps

ENDED = frozenset({BookingStatus.CANCELLED, BookingStatus.EXPIRED})


@dataclass(frozen=True)
class Violation:
    """An inventory night whose books do not balance."""

    room_type_id: str
    night: date
    allotment: int
    available: int
    held: int
    due: int = 0  # of ``held``: rooms of PENDING holds past their expiry, not released yet

    def __str__(self) -> str:
        due = f' ({self.due} by holds past their expiry)' if self.due else ''
        return (
            f'{self.room_type_id} {self.night}: allotment {self.allotment} != '
            f'available {self.available} + held {self.held}{due}'
        )


@dataclass(frozen=True)
class SlotViolation:
    """An account's hold slots that do not match its PENDING holds."""

    user_id: str
    booking_id: str
    reason: str

    def __str__(self) -> str:
        return f'hold slots of {self.user_id}: booking {self.booking_id} {self.reason}'


@dataclass(frozen=True)
class PaymentViolation:
    """A booking whose money does not match its status."""

    booking_id: str
    status: str
    reason: str

    def __str__(self) -> str:
        return f'booking {self.booking_id} ({self.status}): {self.reason}'


def _in_range(booking: Booking, start: date | None, end: date | None) -> bool:
    return not ((start and booking.check_out <= start) or (end and booking.check_in >= end))


def held_rooms(bookings: Iterable[Booking]) -> dict[tuple[str, date], int]:
    held: dict[tuple[str, date], int] = defaultdict(int)
    for booking in bookings:
        if booking.status in HOLDING_STATUSES:
            for night in booking.nightly:
                held[(booking.room_type_id, night.date)] += booking.rooms
    return held


def due_holds(bookings: Iterable[Booking], now: datetime) -> list[Booking]:
    """PENDING holds past their expiry that nobody has released yet (their rooms are available)."""
    return [b for b in bookings if b.hold_has_expired(now)]


def inventory_violations(
    deps: Deps, start: date | None = None, end: date | None = None, bookings: list[Booking] | None = None
) -> list[Violation]:
    """Every night (optionally in [start, end)) where the books do not balance. Nights older than
    the retention are not looked at: TTL may or may not have deleted them yet."""
    kept = kept_from(deps.clock(), deps.settings.inventory_retention_days)
    start = max(start or kept, kept)
    bookings = list(deps.bookings.scan()) if bookings is None else bookings
    held = held_rooms(bookings)
    due = held_rooms(due_holds(bookings, deps.clock()))
    found = []
    seen: set[tuple[str, date]] = set()
    for night in deps.inventory.scan():
        if (start and night.date < start) or (end and night.date >= end):
            continue
        key = (night.room_type_id, night.date)
        seen.add(key)
        rooms = held.get(key, 0)
        if night.allotment != night.available + rooms or not 0 <= night.available <= night.allotment:
            found.append(
                Violation(night.room_type_id, night.date, night.allotment, night.available, rooms, due.get(key, 0))
            )
    for (room_type_id, night_date), rooms in held.items():
        if (room_type_id, night_date) not in seen and not (
            (start and night_date < start) or (end and night_date >= end)
        ):
            found.append(Violation(room_type_id, night_date, 0, 0, rooms, due.get((room_type_id, night_date), 0)))
    return sorted(found, key=lambda v: (v.room_type_id, v.night))


def slot_violations(deps: Deps, bookings: list[Booking] | None = None) -> list[SlotViolation]:
    """Hold slots in use that do not match the PENDING holds that took them (both ways)."""
    bookings = list(deps.bookings.scan()) if bookings is None else bookings
    expected = {(b.user_id, b.slot) for b in bookings if b.status is BookingStatus.PENDING and b.hold_slot}
    stored = {(user_id, slot) for user_id, slots in deps.bookings.scan_hold_slots() for slot in slots}
    found = [
        SlotViolation(u, s.booking_id, 'holds a slot but is not a PENDING hold that took one')
        for u, s in stored - expected
    ]
    found += [SlotViolation(u, s.booking_id, 'is a PENDING hold without its slot') for u, s in expected - stored]
    return sorted(found, key=lambda v: (v.user_id, v.booking_id))


def _policy_penalties(deps: Deps, booking: Booking, paid: int) -> set[int]:
    """Penalties the cancellation policy allows for a guest's cancel: none (before the deadline)
    or the configured penalty (after it)."""
    return {0, deps.settings.cancellation_policy.penalty.kept(booking, paid)}


def booking_payment_problems(deps: Deps, booking: Booking) -> list[str]:
    """What is wrong with one booking's recorded money (empty when nothing is)."""
    payment, refund, status = booking.payment, booking.refund, booking.status
    problems = []
    if refund is not None and payment is None:
        problems.append(f'refund of {refund.amount} {refund.currency} recorded without a payment')
    if status is BookingStatus.CONFIRMED:
        if payment is None:
            problems.append('CONFIRMED without a payment')
        elif not payment.succeeded:
            problems.append(f'CONFIRMED but PaymentIntent {payment.payment_intent_id} is {payment.status}')
        elif (payment.amount, payment.currency) != (booking.total_amount, booking.currency):
            problems.append(
                f'paid {payment.amount} {payment.currency} for a total of {booking.total_amount} {booking.currency}'
            )
        if refund is not None:
            problems.append(f'CONFIRMED with a refund of {refund.amount} recorded')
        if payment is not None and booking.refunded_outside >= payment.amount:
            problems.append(f'CONFIRMED but refunded in full outside the engine ({booking.refunded_outside})')
    if booking.attention is not None:
        attention = booking.attention
        problems.append(f'{attention.work.value} needs a person since {attention.since:%Y-%m-%d}: {attention.reason}')
    if booking.dispute is not None and not booking.dispute.closed:
        dispute = booking.dispute
        problems.append(f'dispute {dispute.id} open ({dispute.status}, {dispute.reason}) on {dispute.amount}')
    if payment is None or not payment.succeeded or status not in ENDED:
        return problems
    paid, outside = payment.amount, booking.refunded_outside
    if refund is None:
        problems.append(
            f'paid {paid} {payment.currency} (PaymentIntent {payment.payment_intent_id}), no refund recorded'
        )
        return problems
    if refund.amount > paid:
        problems.append(f'refund of {refund.amount} is larger than the {paid} paid')
    elif refund.amount < 0 or refund.penalty < 0 or refund.amount + refund.penalty + outside != paid:
        given_back = f' + refunded outside {outside}' if outside else ''
        problems.append(f'refund {refund.amount} + penalty {refund.penalty}{given_back} != {paid} paid')
    elif refund.reason == 'cancelled_by_guest' and status is BookingStatus.CANCELLED:
        allowed = _policy_penalties(deps, booking, paid)
        # What staff gave back outside comes out of the penalty first (CancellationPolicy.quote).
        if refund.penalty not in allowed and not (outside and refund.penalty <= max(allowed)):
            problems.append(f'penalty {refund.penalty} is not one the policy allows ({sorted(allowed)})')
    elif refund.penalty != 0:
        problems.append(f'penalty {refund.penalty} kept on a {refund.reason or "refund"} that must be in full')
    if refund.status is RefundStatus.FAILED:
        problems.append(f'refund {refund.stripe_refund_id} failed at Stripe: the money was not returned')
    return problems


def stripe_problems(deps: Deps, booking: Booking) -> list[str]:
    """The booking's recorded PaymentIntent and refund, compared with Stripe's own records."""
    payment, refund, status = booking.payment, booking.refund, booking.status
    if payment is None:
        return []
    try:
        intent = deps.stripe.retrieve_payment_intent(payment.payment_intent_id)
        # Only money taken can be refunded (and localstripe cannot list refunds of an unpaid intent).
        refunds = deps.stripe.refunds_for(intent.id) if intent.succeeded or refund is not None else []
    except errors.PaymentProviderError:
        return [f'PaymentIntent {payment.payment_intent_id} not found at Stripe']
    problems = []
    refunded = sum(r.amount for r in refunds if r.status not in NOT_REFUNDED)
    recorded = (refund.amount if refund is not None else 0) + booking.refunded_outside
    if intent.amount != payment.amount or intent.currency != payment.currency.upper():
        problems.append(
            f'Stripe has {intent.amount} {intent.currency} on {intent.id}, booking records {payment.amount} {payment.currency}'
        )
    if status is BookingStatus.CONFIRMED:
        if not intent.succeeded:
            problems.append(f'CONFIRMED but Stripe says PaymentIntent {intent.id} is {intent.status}')
        if refunded > booking.refunded_outside:
            problems.append(f'CONFIRMED but Stripe refunded {refunded} of {intent.id}')
    if refunded > intent.amount:
        problems.append(f'Stripe refunded {refunded}, more than the {intent.amount} paid')
    elif refunded > recorded:
        problems.append(f'Stripe refunded {refunded}, the booking records {recorded}')
    if status in ENDED and intent.succeeded and refund is None and refunded < intent.amount:
        problems.append(f'paid at Stripe ({intent.id}) while {status.value}, and not refunded')
    if refund is not None and refund.stripe_refund_id:
        at_stripe = next((r for r in refunds if r.id == refund.stripe_refund_id), None)
        if at_stripe is None:
            problems.append(f'refund {refund.stripe_refund_id} not found at Stripe on {intent.id}')
        elif at_stripe.amount != refund.amount:
            problems.append(f'refund {at_stripe.id} is {at_stripe.amount} at Stripe, {refund.amount} recorded')
    return problems


def payment_violations(
    deps: Deps,
    start: date | None = None,
    end: date | None = None,
    *,
    stripe: bool = False,
    bookings: list[Booking] | None = None,
) -> list[PaymentViolation]:
    """Every booking (whose stay overlaps [start, end), if given) whose money does not match its
    status; with ``stripe`` also compared with Stripe."""
    found = []
    for booking in deps.bookings.scan() if bookings is None else bookings:
        if not _in_range(booking, start, end):
            continue
        problems = booking_payment_problems(deps, booking)
        if stripe:
            problems += stripe_problems(deps, booking)
        found += [PaymentViolation(booking.id, booking.status.value, p) for p in problems]
    return sorted(found, key=lambda v: (v.booking_id, v.reason))


def all_violations(
    deps: Deps, start: date | None = None, end: date | None = None, *, stripe: bool = False
) -> list[Violation | SlotViolation | PaymentViolation]:
    """Every check the auditor knows, from one scan of the bookings."""
    bookings = list(deps.bookings.scan())
    return [
        *inventory_violations(deps, start, end, bookings=bookings),
        *slot_violations(deps, bookings),
        *payment_violations(deps, start, end, stripe=stripe, bookings=bookings),
    ]
