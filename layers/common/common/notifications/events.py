"""The EventBridge events the notifier takes: the publisher's integration events (docs/events.md).

They carry ids and figures, never personal data: the notifier reads the guest's address and
name, and the hotel's, from the table when it sends (docs/notifications.md says why).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common import domain

HANDLED = frozenset(
    {
        domain.BOOKING_CONFIRMED,
        domain.BOOKING_CANCELLED,
        domain.BOOKING_EXPIRED,
        domain.REFUND_ISSUED,
    }
)


class RefundDetail(BaseModel):
    model_config = ConfigDict(extra='ignore', frozen=True)

    amount: int
    penalty: int = 0
    currency: str
    status: str
    stripe_refund_id: str | None = None
    reason: str | None = None


class BookingEventDetail(BaseModel):
    """``detail`` of BookingConfirmed/Cancelled/Expired and RefundIssued, schema version 1."""

    model_config = ConfigDict(extra='ignore', frozen=True)

    event_id: str = Field(min_length=1, max_length=200)
    schema_version: Literal['1']
    booking_id: str = Field(min_length=1, max_length=100)
    user_id: str
    hotel_id: str
    room_type_id: str
    check_in: date
    check_out: date
    rooms: int
    guests: int
    currency: str
    total_amount: int
    status: str
    previous_status: str | None = None
    version: int
    occurred_at: datetime
    hold_expires_at: datetime | None = None
    refund: RefundDetail | None = None


class BusEvent(BaseModel):
    """The EventBridge envelope a rule hands its Lambda target."""

    model_config = ConfigDict(extra='ignore', frozen=True, populate_by_name=True)

    id: str
    source: str
    detail_type: str = Field(alias='detail-type')
    time: datetime | None = None
    detail: dict[str, object]

    @property
    def handled(self) -> bool:
        return self.source == domain.EVENT_SOURCE and self.detail_type in HANDLED

    def booking_detail(self) -> BookingEventDetail:
        return BookingEventDetail.model_validate(self.detail)
