"""Chargebacks (``charge.dispute.*``): recorded on the booking, alarmed, shown to admins.

A dispute is opened by the guest's bank, not by us, and it changes nothing in the booking's
state (the stay, the rooms, the refund owed): Stripe has already taken the disputed amount from
the balance, and what happens next is a person's decision (submit evidence in the Dashboard
before ``evidence_details.due_by``, or accept). The engine's part:

- record Stripe's latest word on it (``Booking.dispute``: id, status, reason, amount), so the
  admin booking list shows it and the reconciler reports it while it is open;
- ``Outcome.DISPUTE_OPENED`` on ``charge.dispute.created``: the ``DisputeOpened`` metric and its
  alarm (evidence is due within days);
- a refund still owed on a disputed charge is refused by Stripe (``charge_disputed``): the
  sweeper hands it to a person at once (services/followups.py), it is never retried blindly.

Events arrive in any order and may be processed twice at once: a closed dispute is final, and
the same status twice changes nothing (``BookingRepository.record_dispute``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from common.observability import logger
from common.services.deps import Deps
from common.services.outcomes import Outcome

DISPUTE_EVENTS = frozenset(
    {
        'charge.dispute.created',
        'charge.dispute.updated',
        'charge.dispute.closed',
        'charge.dispute.funds_withdrawn',
        'charge.dispute.funds_reinstated',
    }
)


def record(deps: Deps, booking_id: str, event_type: str, obj: dict[str, Any], now: datetime) -> Outcome:
    """Record a dispute event on the booking whose payment it disputes."""
    dispute = replace(deps.stripe.dispute_from_event(obj), updated_at=now)
    if not deps.bookings.record_dispute(booking_id, dispute):
        return Outcome.NO_CHANGE  # the same word again, or an older one after it closed
    fields: dict[str, Any] = {
        'booking_id': booking_id,
        'dispute_id': dispute.id,
        'status': dispute.status,
        'reason': dispute.reason,
        'amount': dispute.amount,
    }
    if dispute.closed:
        logger.warning('dispute closed', **fields)
        return Outcome.DISPUTE_CLOSED
    if event_type == 'charge.dispute.created':
        logger.error('dispute opened: evidence is due in the Stripe Dashboard', **fields)
        return Outcome.DISPUTE_OPENED
    logger.warning('dispute updated', **fields)
    return Outcome.DISPUTE_UPDATED
