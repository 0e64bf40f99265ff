"""What services did, as plain values: what the edge answers with and maps to business metrics
(``common.metrics``). Kept apart from the services so the edge can name them without importing
every service."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from common.domain import Booking, BookingStatus, Payment


class Outcome(enum.StrEnum):
    """What a payment or refund event (or a test-mode confirmation) did to its booking."""

    CONFIRMED = 'confirmed'
    LATE_PAYMENT_CONFIRMED = 'late_payment_confirmed'
    LATE_PAYMENT_REFUNDED = 'late_payment_refunded'
    PAYMENT_REFUNDED = 'payment_refunded'  # paid after the booking was cancelled
    STRAY_PAYMENT_REFUNDED = 'stray_payment_refunded'
    # The booking's own PaymentIntent, but not the money it was made for (amount, currency or
    # mode): never confirmed, refunded in full, alarmed (docs/payments.md).
    PAYMENT_MISMATCH_REFUNDED = 'payment_mismatch_refunded'
    WRONG_MODE = 'wrong_mode'  # a live event reaching a test-mode stack or the reverse: not acted on
    RECORDED = 'recorded'
    REFUND_FAILED = 'refund_failed'
    CANCELLED_REFUNDED_OUTSIDE = 'cancelled_refunded_outside'  # refunded in full in the Dashboard
    DISPUTE_OPENED = 'dispute_opened'
    DISPUTE_UPDATED = 'dispute_updated'
    DISPUTE_CLOSED = 'dispute_closed'
    NO_CHANGE = 'no_change'
    DUPLICATE = 'duplicate'
    IGNORED = 'ignored'
    UNKNOWN_BOOKING = 'unknown_booking'


@dataclass(frozen=True)
class Cancelled:
    """A cancel's answer, and what this request completed (for metrics: a retry that only
    repeats the answer completes nothing)."""

    booking: Booking
    completed: bool  # this request finished the cancellation (status change, or the refund it still owed)
    refund_issued: bool  # this request created the Stripe refund


@dataclass(frozen=True)
class CheckoutResult:
    booking: Booking
    payment: Payment
    status: BookingStatus  # as the client sees it now (an unpaid hold past its expiry is EXPIRED)
    created: bool  # this call created the PaymentIntent
    outcome: Outcome | None = None  # what the test-mode confirmation did


@dataclass(frozen=True)
class EventResult:
    """A Stripe webhook delivery, processed (or recognised as a duplicate)."""

    event_id: str
    event_type: str
    outcome: Outcome
    booking_id: str | None = None


@dataclass
class SweepReport:
    """One run of the sweeper."""

    expired: int = 0
    confirmed: int = 0  # the payment had won the race
    moved: int = 0  # changed by someone else first (a cancel, a payment, another sweeper)
    failed: int = 0  # a dependency failed for it: left for a later run
    payments_left_open: int = 0  # expired, but Stripe could not cancel the PaymentIntent
    complete: bool = True  # False: stopped early (time or batch limit); the next run continues
    stripe_available: bool = True  # False after the first Stripe outage seen in this run
    booking_ids: list[str] = field(default_factory=list, repr=False)
    # The work owed on bookings (services/followups.py)
    refunds_settled: int = 0  # owed refunds nobody had retried, now made
    intents_closed: int = 0  # PaymentIntents left open, now cancelled at Stripe
    late_payments_confirmed: int = 0  # ... found paid: rooms held again, booking confirmed
    late_payments_refunded: int = 0  # ... found paid: refunded in full
    followups_failed: int = 0  # failed this time, pushed back
    needs_attention: int = 0  # handed to a person (Stripe keeps refusing)
    followups_complete: bool = True  # False: stopped by the phase's time or batch; the next run continues

    @property
    def examined(self) -> int:
        return self.expired + self.confirmed + self.moved + self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            'examined': self.examined,
            'expired': self.expired,
            'confirmed': self.confirmed,
            'moved': self.moved,
            'failed': self.failed,
            'payments_left_open': self.payments_left_open,
            'complete': self.complete,
            'refunds_settled': self.refunds_settled,
            'intents_closed': self.intents_closed,
            'late_payments_confirmed': self.late_payments_confirmed,
            'late_payments_refunded': self.late_payments_refunded,
            'followups_failed': self.followups_failed,
            'needs_attention': self.needs_attention,
            'followups_complete': self.followups_complete,
        }


_SHORT_LISTED = 50  # room types named in a housekeeping summary (the count is always whole)


@dataclass
class RollReport:
    """One run of the daily housekeeping pass."""

    day: date
    room_types: int = 0
    nights_opened: int = 0
    # Room types whose window had a missing night (up to SALE_WINDOW_DAYS ahead) when the run
    # reached them: a run was missed or failed. Their windows are whole again after this run.
    short: list[str] = field(default_factory=list)
    read_windows: bool = False  # this pass reads every window
    complete: bool = True  # False: stopped by its budget; the next run continues
    already_done: bool = False  # the day's pass had finished before: nothing to do

    def as_dict(self) -> dict[str, Any]:
        return {
            'day': self.day.isoformat(),
            'room_types': self.room_types,
            'nights_opened': self.nights_opened,
            'short': len(self.short),
            'short_room_types': self.short[:_SHORT_LISTED],
            'read_windows': self.read_windows,
            'complete': self.complete,
            'already_done': self.already_done,
        }


@dataclass
class NotificationReport:
    """One integration event handled by the notifier: the kinds of email sent, already sent, refused."""

    event_id: str | None = None
    detail_type: str | None = None
    sent: list[str] = field(default_factory=list)  # kinds
    duplicates: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    skipped: str | None = None  # why nothing was sent

    def as_dict(self) -> dict[str, Any]:
        return {
            'event_id': self.event_id,
            'detail_type': self.detail_type,
            'sent': self.sent,
            'duplicates': self.duplicates,
            'rejected': self.rejected,
            'skipped': self.skipped,
        }


@dataclass
class ReconcileReport:
    """One run of the daily reconciliation pass (services/reconciler.py). ``at_risk`` and
    ``amounts`` are the pass's so far (its total once complete): the ``MoneyAtRisk`` metrics."""

    day: date
    examined: int = 0  # bookings read by this run
    at_risk: int = 0  # bookings whose money and status disagree, in the pass so far
    amounts: dict[str, int] = field(default_factory=dict)  # their payments, by currency
    cases: list[tuple[str, str]] = field(default_factory=list, repr=False)  # (booking id, reason) found by this run
    complete: bool = True  # False: stopped by its budget; the next run continues
    already_done: bool = False  # the day's pass had finished before: nothing read

    def as_dict(self) -> dict[str, Any]:
        return {
            'day': self.day.isoformat(),
            'examined': self.examined,
            'money_at_risk': self.at_risk,
            'amounts': dict(self.amounts),
            'found_by_this_run': len(self.cases),
            'complete': self.complete,
            'already_done': self.already_done,
        }
