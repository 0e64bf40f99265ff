"""Business metrics are named once (common/metrics.py): each service result and refusal maps to
its metric, with the same dimensions wherever it happens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common import errors, metrics
from common.domain import Booking, BookingStatus, NightPrice, Payment
from common.services.outcomes import Cancelled, CheckoutResult, EventResult, Outcome, ReconcileReport, SweepReport

AT = datetime(2027, 1, 1, tzinfo=UTC)
BOOKING = Booking(
    'b1', 'u1', 'h', 'rt', AT.date(), AT.date(), 1, 1, 'EUR', 100, (NightPrice(AT.date(), 100),),
    BookingStatus.CONFIRMED, AT, AT, AT,
)  # fmt: skip


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, dict[str, str]]]:
    seen: list[tuple[str, int, dict[str, str]]] = []
    monkeypatch.setattr(metrics, 'count', lambda name, value=1, **dims: seen.append((name, value, dims)))
    return seen


@pytest.mark.parametrize(
    ('result', 'expected'),
    [
        (BOOKING, [('BookingHeld', 1, {})]),
        (Cancelled(BOOKING, completed=True, refund_issued=True), [
            ('BookingCancelled', 1, {}), ('RefundIssued', 1, {'path': 'cancellation'})]),
        (Cancelled(BOOKING, completed=False, refund_issued=False), []),
        (CheckoutResult(BOOKING, Payment('pi', 'succeeded', 100, 'EUR'), BookingStatus.CONFIRMED, True, Outcome.CONFIRMED), [
            ('PaymentIntentCreated', 1, {}), ('BookingConfirmed', 1, {'path': 'auto_confirm'})]),
        (EventResult('evt', 'payment_intent.succeeded', Outcome.LATE_PAYMENT_CONFIRMED), [
            ('WebhookEvent', 1, {'event_type': 'payment_intent.succeeded', 'outcome': 'late_payment_confirmed'}),
            ('BookingConfirmed', 1, {'path': 'late_payment'})]),
        (CheckoutResult(BOOKING, Payment('pi', 'succeeded', 90, 'EUR'), BookingStatus.CANCELLED, False, Outcome.PAYMENT_MISMATCH_REFUNDED), [
            ('PaymentMismatch', 1, {})]),
        (EventResult('evt', 'payment_intent.succeeded', Outcome.PAYMENT_MISMATCH_REFUNDED), [
            ('WebhookEvent', 1, {'event_type': 'payment_intent.succeeded', 'outcome': 'payment_mismatch_refunded'}),
            ('RefundIssued', 1, {'path': 'payment_mismatch'}), ('PaymentMismatch', 1, {})]),
        (EventResult('evt', 'payment_intent.succeeded', Outcome.WRONG_MODE), [
            ('WebhookEvent', 1, {'event_type': 'payment_intent.succeeded', 'outcome': 'wrong_mode'}),
            ('PaymentMismatch', 1, {})]),
        (EventResult('evt', 'refund.failed', Outcome.REFUND_FAILED), [
            ('WebhookEvent', 1, {'event_type': 'refund.failed', 'outcome': 'refund_failed'}), ('RefundFailed', 1, {})]),
        (SweepReport(expired=2, confirmed=1, refunds_settled=1, complete=False), [
            ('BookingExpired', 2, {}), ('SweepFailures', 0, {}), ('PaymentIntentsLeftOpen', 0, {}),
            ('FollowupFailures', 0, {}), ('PaymentNeedsAttention', 0, {}),
            ('BookingConfirmed', 1, {'path': 'sweeper'}), ('RefundIssued', 1, {'path': 'sweeper'}),
            ('SweepIncomplete', 1, {})]),
        (EventResult('evt', 'charge.dispute.created', Outcome.DISPUTE_OPENED), [
            ('WebhookEvent', 1, {'event_type': 'charge.dispute.created', 'outcome': 'dispute_opened'}),
            ('DisputeOpened', 1, {})]),
        (ReconcileReport(AT.date(), examined=10, at_risk=2, amounts={'GBP': 300, 'EUR': 100}), [
            ('MoneyAtRisk', 2, {}), ('MoneyAtRiskAmount', 100, {'currency': 'EUR'}),
            ('MoneyAtRiskAmount', 300, {'currency': 'GBP'})]),
        (ReconcileReport(AT.date(), complete=False), [('MoneyAtRisk', 0, {}), ('ReconcileIncomplete', 1, {})]),
    ],
    ids=[
        'held', 'cancelled', 'cancel repeated', 'auto-confirmed', 'late payment',
        'server-side mismatch', 'webhook mismatch', 'wrong mode', 'refund failed', 'sweep',
        'dispute', 'reconciled', 'reconcile incomplete',
    ],
)  # fmt: skip
def test_each_result_is_its_business_metric(counted, result, expected):
    metrics.record(result)
    assert counted == expected


def test_refusals_that_are_business_events_are_counted_and_others_are_not(counted):
    metrics.refused(errors.SoldOut())
    metrics.refused(errors.InvalidSignature())
    metrics.refused(errors.NotFound())
    assert counted == [
        ('SoldOutRefusals', 1, {}),
        ('WebhookEvent', 1, {'event_type': 'unverified', 'outcome': 'invalid_signature'}),
    ]


def test_a_result_without_a_metric_is_a_programming_error():
    with pytest.raises(TypeError):
        metrics.record(object())
