"""Business metrics, named in one place: what a service did (its result, or the domain error it
refused with) becomes the CloudWatch metric of that business event.

Handlers call ``record(result)`` with what a service returned; refusals are recorded by the HTTP
edge's error mapping (``refused``), so no handler repeats a metric name. Names and dimensions are
documented in docs/observability.md (CloudWatch matches alarms on the exact dimension set).
"""

from __future__ import annotations

from functools import singledispatch

from common import errors
from common.domain import Booking, IntegrationEvent, Review, User
from common.observability import count
from common.ports import EmailDeferred
from common.services.outcomes import (
    Cancelled,
    CheckoutResult,
    EventResult,
    NotificationReport,
    Outcome,
    ReconcileReport,
    RollReport,
    SweepReport,
)

# The business events some payment outcomes are: the same metric (and path) wherever they happen.
CONFIRMED_BY = {Outcome.CONFIRMED: 'webhook', Outcome.LATE_PAYMENT_CONFIRMED: 'late_payment'}
REFUNDED_BY = {
    Outcome.LATE_PAYMENT_REFUNDED: 'late_payment',
    Outcome.PAYMENT_REFUNDED: 'cancelled_before_payment',
    Outcome.STRAY_PAYMENT_REFUNDED: 'stray_payment',
    Outcome.PAYMENT_MISMATCH_REFUNDED: 'payment_mismatch',
}

# Refusals that are business events in their own right: error class -> (metric, dimensions).
REFUSALS: dict[type[errors.DomainError], tuple[str, dict[str, str]]] = {
    errors.SoldOut: ('SoldOutRefusals', {}),
    errors.TooManyHolds: ('HoldRefused', {'reason': 'too_many_holds'}),
    errors.TooManyHoldAttempts: ('HoldRefused', {'reason': 'too_many_hold_attempts'}),
    errors.PaymentDeclined: ('PaymentDeclined', {}),
    errors.TooManyLoginAttempts: ('LoginThrottled', {}),
    errors.InvalidCredentials: ('LoginFailed', {}),
    errors.RefreshTokenReused: ('RefreshTokenReused', {}),
    # Many of these: a rotated endpoint secret not yet in SSM, or someone probing the URL.
    errors.InvalidSignature: ('WebhookEvent', {'event_type': 'unverified', 'outcome': 'invalid_signature'}),
}


def refused(exc: errors.DomainError) -> None:
    """A request refused with ``exc``: its metric, if the refusal is a business event."""
    found = REFUSALS.get(type(exc))
    if found is not None:
        name, dimensions = found
        count(name, 1, **dimensions)


@singledispatch
def record(result: object) -> None:
    raise TypeError(f'no metric for {type(result).__name__}')


@record.register
def _held(booking: Booking) -> None:
    count('BookingHeld')


@record.register
def _cancelled(result: Cancelled) -> None:
    if result.completed:
        count('BookingCancelled')
    if result.refund_issued:
        count('RefundIssued', path='cancellation')


@record.register
def _checkout(result: CheckoutResult) -> None:
    if result.created:
        count('PaymentIntentCreated')
    if result.outcome is Outcome.CONFIRMED:
        count('BookingConfirmed', path='auto_confirm')
    elif result.outcome is Outcome.PAYMENT_MISMATCH_REFUNDED:  # confirmed on the server, not the booking's money
        count('PaymentMismatch')


@record.register
def _webhook(result: EventResult) -> None:
    count('WebhookEvent', event_type=result.event_type, outcome=result.outcome.value)
    if result.outcome in CONFIRMED_BY:
        count('BookingConfirmed', path=CONFIRMED_BY[result.outcome])
    elif result.outcome in REFUNDED_BY:
        count('RefundIssued', path=REFUNDED_BY[result.outcome])
    elif result.outcome is Outcome.REFUND_FAILED:
        count('RefundFailed')  # the RefundFailedAlarm: someone has to act
    elif result.outcome is Outcome.DISPUTE_OPENED:
        count('DisputeOpened')  # the DisputeOpenedAlarm: evidence is due within days
    if result.outcome in (Outcome.PAYMENT_MISMATCH_REFUNDED, Outcome.WRONG_MODE):
        count('PaymentMismatch')  # the PaymentMismatchAlarm: money or configuration is wrong


@record.register
def _swept(report: SweepReport) -> None:
    # Zeros too: the alarms and the dashboard see a run that did nothing.
    count('BookingExpired', report.expired)
    count('SweepFailures', report.failed)
    count('PaymentIntentsLeftOpen', report.payments_left_open)
    count('FollowupFailures', report.followups_failed)
    count('PaymentNeedsAttention', report.needs_attention)  # the alarm: a person has to act
    confirmed = report.confirmed + report.late_payments_confirmed  # a payment won the race, or came late
    if confirmed:
        count('BookingConfirmed', confirmed, path='sweeper')
    refunded = report.refunds_settled + report.late_payments_refunded  # refunds nobody retried, late payments
    if refunded:
        count('RefundIssued', refunded, path='sweeper')
    if not (report.complete and report.followups_complete):
        count('SweepIncomplete')


@record.register
def _registered(user: User) -> None:
    count('UserRegistered')


@record.register
def _reviewed(review: Review) -> None:
    count('ReviewPosted')


@record.register
def _published(event: IntegrationEvent) -> None:
    count(f'Published{event.detail_type}')


@record.register
def _rolled(report: RollReport) -> None:
    # Zeros too: the shortfall alarm treats a day without a data point as a missed run.
    count('NightsOpened', report.nights_opened)
    count('SaleWindowShort', len(report.short))
    if not report.complete:
        count('HousekeepingIncomplete')


@record.register
def _notified(report: NotificationReport) -> None:
    for kind in report.sent:
        count('EmailSent', kind=kind)
    if report.duplicates:
        count('EmailDuplicate', len(report.duplicates))
    if report.rejected:
        count('EmailRejected', len(report.rejected))  # the EmailRejectedAlarm


@record.register
def _deferred(deferred: EmailDeferred) -> None:
    # SES still throttled or failing after the client's retries: Lambda retries the event.
    count('EmailDeferred', code=deferred.code)


@record.register
def _reconciled(report: ReconcileReport) -> None:
    # The pass's figures so far, published by every run: the MoneyAtRiskAlarm (above 0) stays on
    # while a case is open. The amount is per currency (minor units do not add across currencies).
    count('MoneyAtRisk', report.at_risk)
    for currency, amount in sorted(report.amounts.items()):
        count('MoneyAtRiskAmount', amount, currency=currency)
    if not report.complete:
        count('ReconcileIncomplete')
