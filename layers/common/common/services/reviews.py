"""Reviews: a guest rates a stay they had, once; anyone reads a room type's reviews.

The review and the room type's ``rating_sum``/``review_count`` are written in one transaction
(``ReviewRepository.create``), so the average shown on the room type always matches the reviews,
however many are posted at the same moment; nothing is ever recomputed by scanning.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from common import errors
from common.domain import BookingStatus, Principal, Review
from common.ports import Page
from common.services import bookings, catalog
from common.services.deps import Deps
from common.timeutil import stored_precision


def _first_name(deps: Deps, user_id: str) -> str:
    try:
        name = deps.accounts.get_user(user_id).name
    except errors.NotFound:
        return 'Guest'
    return (name.split() or ['Guest'])[0]


def post(deps: Deps, caller: Principal, booking_id: str, rating: int, comment: str, now: datetime) -> Review:
    """Review a CONFIRMED stay of the caller's whose check-out date has passed at the hotel.

    Someone else's booking answers 404 like a missing one; a second review of the same booking
    is refused with ``already_reviewed`` (also when two arrive at once: the key decides).
    """
    booking = bookings.get_own(deps, caller, booking_id)
    if booking.status is not BookingStatus.CONFIRMED:
        raise errors.InvalidState(f'Only a CONFIRMED stay can be reviewed; this booking is {booking.status.value}')
    hotel = catalog.hotel(deps, booking.hotel_id)
    today = hotel.today(now)
    if today <= booking.check_out:
        opens = booking.check_out + timedelta(days=1)
        raise errors.StayNotEnded(
            f'This stay can be reviewed from {opens.isoformat()} ({hotel.timezone})', reviews_open_on=opens.isoformat()
        )
    review = Review(
        id=str(uuid.uuid4()),
        booking_id=booking.id,
        room_type_id=booking.room_type_id,
        hotel_id=booking.hotel_id,
        user_id=caller.user_id,
        author=_first_name(deps, caller.user_id),
        rating=rating,
        comment=comment,
        stayed_check_in=booking.check_in,
        created_at=stored_precision(now),
    )
    deps.reviews.create(review)
    return review


def for_room_type(deps: Deps, room_type_id: str, limit: int | None, cursor: str | None) -> Page[Review]:
    """A room type's reviews, newest first (404 for an unknown room type)."""
    room_type = catalog.room_type(deps, room_type_id)
    return deps.reviews.list_for_room_type(room_type.id, limit or deps.settings.page_size_default, cursor)
