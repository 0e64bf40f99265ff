"""Which emails an integration event makes, to whom, and with which figures. Pure: no I/O.

| event | guest | hotel (``notification_email``) |
| --- | --- | --- |
| BookingConfirmed | confirmation, with an .ics invitation (REQUEST) | new booking |
| BookingCancelled (it was CONFIRMED) | cancellation, refund, .ics CANCEL | cancellation |
| BookingExpired | the hold ended, nothing charged, search again | — |
| RefundIssued | the refund, and why | — |

A PENDING hold the guest cancels (nothing was paid) gets no email: the guest saw it happen.
Figures are the booking's own (nightly prices, total paid) and the event's (the refund); the
cancellation deadline and penalty are ``CancellationPolicy.terms`` (domain), the refund quote's rule.
Everything is stated as of the event (``occurred_at``), so a retried event renders the same email.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode

from common import domain
from common.domain import Booking, CancellationPolicy, Hotel, RoomType, User
from common.notifications.events import BookingEventDetail, RefundDetail

Role = Literal['guest', 'hotel']


class Kind(enum.StrEnum):
    """One kind of email; also the name of its templates (``templates/<kind>.*``)."""

    GUEST_CONFIRMED = 'guest_confirmed'
    GUEST_CANCELLED = 'guest_cancelled'
    GUEST_EXPIRED = 'guest_expired'
    GUEST_REFUNDED = 'guest_refunded'
    HOTEL_NEW_BOOKING = 'hotel_new_booking'
    HOTEL_CANCELLED = 'hotel_cancelled'


@dataclass(frozen=True)
class Party:
    address: str
    name: str | None = None


@dataclass(frozen=True)
class Recipient(Party):
    role: Role = 'guest'

    @property
    def key(self) -> str:
        """Who, in the dedupe record: the role and a hash of the address (no address stored)."""
        digest = hashlib.sha256(self.address.strip().lower().encode()).hexdigest()[:32]
        return f'{self.role}#{digest}'


@dataclass(frozen=True)
class Invite:
    """An iTIP (RFC 5546) calendar message for the stay: REQUEST adds it, CANCEL removes it."""

    method: Literal['REQUEST', 'CANCEL']
    uid: str  # the same for every message about one booking
    sequence: int  # the booking's version at the event: a later message supersedes an earlier one
    start: datetime  # the check-in instant, in the hotel's zone
    end: datetime  # the check-out instant, in the hotel's zone
    stamp: datetime
    summary: str
    location: str
    description: str
    url: str | None
    organizer: Party
    attendee: Party


@dataclass(frozen=True)
class Message:
    kind: Kind
    booking_id: str
    recipient: Recipient
    sender_name: str  # the From display name
    reply_to: str | None
    context: Mapping[str, Any]  # what its templates read (strictly: a missing name is an error)
    invite: Invite | None = None


@dataclass(frozen=True)
class Facts:
    """What the table says when the event is handled."""

    booking: Booking
    hotel: Hotel
    room_type: RoomType | None
    guest: User | None


@dataclass(frozen=True)
class ComposeSettings:
    sender_email: str
    web_base_url: str  # '' = no links
    policy: CancellationPolicy  # CANCELLATION_FREE_HOURS and CANCELLATION_PENALTY
    engine_name: str = 'Hotel booking engine'  # the From name of the hotel's notices


@dataclass(frozen=True)
class NightLine:
    date: date
    price: int  # one room
    amount: int  # every room


@dataclass(frozen=True)
class Stay:
    reference: str
    room_type: str
    rooms: int
    guests: int
    check_in: date
    check_out: date
    nights: int
    check_in_at: datetime  # hotel zone
    check_out_at: datetime  # hotel zone
    nightly: tuple[NightLine, ...]
    currency: str
    total: int


@dataclass(frozen=True)
class Terms:
    """Free cancellation until ``free_until``; from then until ``cancellable_until``, cancelling
    keeps ``penalty``; after check-in it is refused."""

    free_until: datetime  # hotel zone
    cancellable_until: datetime  # hotel zone
    penalty: int
    already_late: bool  # the deadline had passed when the booking was confirmed


REFUND_REASONS = {
    'cancelled_by_guest': 'You cancelled this booking.',
    'booking_cancelled_before_payment': 'Your payment arrived after the booking had been cancelled.',
    'rooms_no_longer_available': (
        'Your payment arrived after your hold had expired, and the rooms had been booked by someone else meanwhile.'
    ),
    'stay_already_started': 'Your payment arrived after your hold had expired and after the stay had begun.',
}
OTHER_REFUND_REASON = 'A payment for this booking was refunded.'


def postal_address(hotel: Hotel) -> str:
    """The address, with the city when the address does not already name it."""
    parts = [hotel.address.strip()]
    if hotel.city and hotel.city.casefold() not in hotel.address.casefold():
        parts.append(hotel.city)
    return ', '.join(p for p in parts if p)


def stay_of(booking: Booking, hotel: Hotel, room_type: RoomType | None) -> Stay:
    tz = hotel.tz
    return Stay(
        reference=booking.id,
        room_type=room_type.name if room_type else booking.room_type_id,
        rooms=booking.rooms,
        guests=booking.guests,
        check_in=booking.check_in,
        check_out=booking.check_out,
        nights=booking.stay.nights,
        check_in_at=hotel.check_in_instant(booking.check_in).astimezone(tz),
        check_out_at=hotel.check_out_instant(booking.check_out).astimezone(tz),
        nightly=tuple(NightLine(n.date, n.price, n.price * booking.rooms) for n in booking.nightly),
        currency=booking.currency,
        total=booking.total_amount,
    )


def terms_of(booking: Booking, hotel: Hotel, settings: ComposeSettings, at: datetime) -> Terms:
    told = settings.policy.terms(booking, hotel)
    return Terms(
        free_until=told.deadline.astimezone(hotel.tz),
        cancellable_until=told.cancellable_until.astimezone(hotel.tz),
        penalty=told.penalty_after_deadline,
        already_late=at > told.deadline,
    )


def paid(booking: Booking) -> int:
    """What the guest paid: the PaymentIntent's amount once it succeeded (the locked total)."""
    return booking.paid or booking.total_amount


def manage_url(settings: ComposeSettings, booking_id: str) -> str | None:
    base = settings.web_base_url.rstrip('/')
    return f'{base}/bookings/{quote(booking_id)}' if base else None


def search_url(settings: ComposeSettings, booking: Booking, hotel: Hotel) -> str | None:
    """The guest site's search (web/js/pages/search.js) for the same stay in the hotel's city."""
    base = settings.web_base_url.rstrip('/')
    if not base:
        return None
    query = {
        'city': hotel.city,
        'check_in': booking.check_in.isoformat(),
        'check_out': booking.check_out.isoformat(),
        'guests': booking.guests,
        'rooms': booking.rooms,
    }
    return f'{base}/?{urlencode(query)}'


def invite(
    method: Literal['REQUEST', 'CANCEL'],
    detail: BookingEventDetail,
    facts: Facts,
    stay: Stay,
    settings: ComposeSettings,
    guest: Party,
) -> Invite:
    hotel = facts.hotel
    link = manage_url(settings, stay.reference)
    rooms = f'{stay.rooms} rooms' if stay.rooms > 1 else '1 room'
    description = f'Booking {stay.reference}: {stay.room_type}, {rooms}, {stay.guests} guests.'
    if hotel.phone:
        description += f' Hotel phone: {hotel.phone}.'
    if link:
        description += f' Manage it: {link}'
    return Invite(
        method=method,
        uid=f'{stay.reference}@{domain.EVENT_SOURCE}',
        sequence=detail.version,
        start=stay.check_in_at,
        end=stay.check_out_at,
        stamp=detail.occurred_at,
        summary=f'Stay at {hotel.name}',
        location=f'{hotel.name}, {postal_address(hotel)}',
        description=description,
        url=link,
        organizer=Party(settings.sender_email, hotel.name),
        attendee=guest,
    )


def compose(detail_type: str, detail: BookingEventDetail, facts: Facts, settings: ComposeSettings) -> list[Message]:
    """The emails one integration event makes (none for an event that concerns nobody)."""
    booking, hotel = facts.booking, facts.hotel
    stay = stay_of(booking, hotel, facts.room_type)
    guest = Recipient(facts.guest.email, facts.guest.name, 'guest') if facts.guest else None
    staff = Recipient(hotel.notification_email, hotel.name, 'hotel') if hotel.notification_email else None
    common: dict[str, Any] = {
        'hotel': hotel,
        'hotel_address': postal_address(hotel),
        'stay': stay,
        'guest_name': facts.guest.name if facts.guest else None,
        'manage_url': manage_url(settings, booking.id),
    }
    found: list[Message] = []

    def to_guest(kind: Kind, invite_method: Literal['REQUEST', 'CANCEL'] | None = None, **context: Any) -> None:
        if guest is None:
            return
        calendar = invite(invite_method, detail, facts, stay, settings, guest) if invite_method else None
        found.append(
            Message(kind, booking.id, guest, hotel.name, hotel.notification_email, {**common, **context}, calendar)
        )

    def to_hotel(kind: Kind, **context: Any) -> None:
        if staff is not None:
            found.append(Message(kind, booking.id, staff, settings.engine_name, None, {**common, **context}))

    if detail_type == domain.BOOKING_CONFIRMED:
        context = {'paid': paid(booking), 'terms': terms_of(booking, hotel, settings, detail.occurred_at)}
        to_guest(Kind.GUEST_CONFIRMED, 'REQUEST', **context)
        to_hotel(Kind.HOTEL_NEW_BOOKING, **context)
    elif detail_type == domain.BOOKING_CANCELLED and detail.previous_status == 'CONFIRMED':
        refund = detail.refund or RefundDetail(amount=0, penalty=0, currency=booking.currency, status='not_required')
        to_guest(Kind.GUEST_CANCELLED, 'CANCEL', refund=refund, paid=paid(booking))
        to_hotel(Kind.HOTEL_CANCELLED, refund=refund, paid=paid(booking))
    elif detail_type == domain.BOOKING_EXPIRED:
        to_guest(Kind.GUEST_EXPIRED, search_url=search_url(settings, booking, hotel))
    elif detail_type == domain.REFUND_ISSUED and detail.refund is not None:
        reason = REFUND_REASONS.get(detail.refund.reason or '', OTHER_REFUND_REASON)
        to_guest(Kind.GUEST_REFUNDED, refund=detail.refund, reason=reason)
    return found
