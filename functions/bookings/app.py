"""A guest's bookings: hold rooms, list, read, cancel, review."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http, idempotency
from common.config import settings
from common.models.api import BookingOut, BookingPage, HoldBody, RefundQuoteOut, ReviewBody, ReviewOut
from common.observability import bind_booking, count, logger, metrics, tracer
from common.services import bookings, cancellation, reviews

app = http.make_app()

BookingId = Annotated[str, Path(max_length=64, description='The `id` of one of your bookings')]
AUTH = [{'bearerAuth': []}]
# What refuses a stay (search answers the same): the hotel's calendar and rules, read at run time.
STAY_REFUSALS = (
    errors.InvalidDates,
    errors.StayTooLong,
    errors.NotOnSale,
    errors.TooManyGuests,
    errors.MinStay,
    errors.ClosedToArrival,
)


@app.post(
    '/api/bookings',
    tags=['bookings'],
    security=AUTH,
    summary='Hold rooms for a stay',
    description=(
        'Holds `rooms` rooms of a room type for every night from `check_in` to `check_out` (exclusive) in one '
        'transaction: all nights or none (409 `sold_out` lists the nights short of rooms). The booking is '
        'PENDING and its price locked for BOOKING_HOLD_SECONDS (15 minutes by default); pay it with '
        '`POST /api/bookings/{booking_id}/checkout` before `hold_expires_at`, or it expires and the rooms go '
        'back on sale.\n\n'
        'Rules a schema cannot state: `check_out` after `check_in`, `check_in` not before today at the '
        'hotel, at most MAX_STAY_NIGHTS nights, every night inside the sale window (`not_on_sale`), `guests` '
        "at most the room type's capacity times `rooms` (`too_many_guests`), and the price rules' "
        '`min_stay` / `closed_to_arrival` restrictions. Each is a 422 with its own `code`.\n\n'
        'Send an `Idempotency-Key` to retry safely: the same key and body answer the first result again.'
    ),
    responses={201: {'description': 'Rooms held', 'content': {'application/json': {'model': BookingOut}}}},
    openapi_extensions=http.problems(
        *STAY_REFUSALS,
        errors.NotFound,
        errors.SoldOut,
        errors.IdempotencyKeyReused,
        errors.IdempotencyInProgress,
    ),
)
def create_booking(body: HoldBody, idempotency_key: http.IdempotencyKey = None) -> Response[BookingOut]:
    caller = http.principal(app)
    now = http.now()

    def hold() -> dict:
        request = bookings.HoldRequest(**body.model_dump())
        try:
            booking = bookings.hold(caller, request, now)
        except errors.SoldOut:
            count('SoldOutRefusals')
            raise
        bind_booking(booking.id)
        logger.info('hold created', room_type_id=booking.room_type_id, nights=len(booking.nightly), rooms=booking.rooms)
        count('BookingHeld')
        return BookingOut.from_domain(booking, now).model_dump(mode='json')

    result = idempotency.once(
        'bookings.create',
        caller.user_id,
        idempotency_key,
        body.model_dump(mode='json'),
        hold,
        app.lambda_context,
    )
    bind_booking(result['id'])  # also when the Idempotency-Key replayed the first answer
    return Response(
        status_code=201,
        content_type='application/json',
        body=result,
        headers={'Location': f'/api/bookings/{result["id"]}'},
    )


@app.get(
    '/api/bookings',
    tags=['bookings'],
    security=AUTH,
    summary='List your bookings',
    description='Your bookings, newest first, a page at a time: pass `next_cursor` back as `cursor` for the '
    'next page. A cursor is opaque and only valid as `next_cursor` produced it (400 `invalid_cursor`).',
    openapi_extensions=http.problems(errors.InvalidCursor),
)
def list_bookings(limit: http.PageSize = None, cursor: http.Cursor = None) -> BookingPage:
    caller = http.principal(app)
    page = bookings.list_own(caller, limit or settings().page_size_default, cursor)
    now = http.now()
    return BookingPage(items=[BookingOut.from_domain(b, now) for b in page.items], next_cursor=page.next_cursor)


@app.get(
    '/api/bookings/<booking_id>',
    tags=['bookings'],
    security=AUTH,
    summary='Read one of your bookings',
    description='Its status as of now (a PENDING booking past `hold_expires_at` reads EXPIRED), the locked '
    "nightly prices, and its payment and refund. Someone else's booking answers 404, like one that does not exist.",
    openapi_extensions=http.problems(errors.NotFound),
)
def get_booking(booking_id: BookingId) -> BookingOut:
    caller = http.principal(app)
    bind_booking(booking_id)
    return BookingOut.from_domain(bookings.get_own(caller, booking_id), http.now())


@app.post(
    '/api/bookings/<booking_id>/cancel',
    tags=['bookings'],
    security=AUTH,
    summary='Cancel a booking',
    description='A PENDING booking is released (its PaymentIntent cancelled, nothing charged). A CONFIRMED one '
    'is refunded by the cancellation policy: in full until CANCELLATION_FREE_HOURS (48) before the check-in '
    'instant at the hotel, then less the penalty; from check-in on, 409 `too_late_to_cancel`. '
    '`GET .../refund-quote` shows the figures first. Safe to retry: a cancelled booking answers the same '
    '(and a refund still owed is made).',
    openapi_extensions=http.problems(
        errors.NotFound,
        errors.HoldExpired,
        errors.TooLateToCancel,
        errors.AlreadyCancelled,
        errors.AlreadyPaid,
        errors.PaymentProcessing,
        errors.InvalidState,
        errors.Conflict,
        errors.PaymentProviderUnavailable,
        errors.PaymentProviderError,
    ),
)
def cancel_booking(booking_id: BookingId) -> BookingOut:
    caller = http.principal(app)
    bind_booking(booking_id)
    now = http.now()
    cancelled = bookings.cancel(caller, booking_id, now)
    booking = cancelled.booking
    if cancelled.completed:
        logger.info('booking cancelled', refund=booking.refund.amount if booking.refund else 0)
        count('BookingCancelled')
    if cancelled.refund_issued:
        count('RefundIssued', path='cancellation')
    return BookingOut.from_domain(booking, now)


@app.get(
    '/api/bookings/<booking_id>/refund-quote',
    tags=['bookings'],
    security=AUTH,
    summary='What cancelling now would refund',
    description="The refund and penalty if the booking were cancelled now, by the policy in the hotel's time "
    'zone: `deadline` is the last instant with a full refund, `cancellable_until` the check-in instant.',
    openapi_extensions=http.problems(
        errors.NotFound, errors.HoldExpired, errors.TooLateToCancel, errors.AlreadyCancelled, errors.InvalidState
    ),
)
def refund_quote(booking_id: BookingId) -> RefundQuoteOut:
    caller = http.principal(app)
    bind_booking(booking_id)
    figures = cancellation.refund_quote(caller, booking_id, http.now())
    return RefundQuoteOut(
        booking_id=figures.booking_id,
        amount=figures.amount,
        penalty=figures.penalty,
        paid=figures.paid,
        currency=figures.currency,
        policy=figures.policy,  # type: ignore[arg-type]
        deadline=figures.deadline,
        cancellable_until=figures.cancellable_until,
    )


@app.post(
    '/api/bookings/<booking_id>/review',
    tags=['bookings'],
    security=AUTH,
    summary='Review a stay',
    description='Rate a CONFIRMED stay of yours from the day after its check-out date (hotel time; 409 '
    '`stay_not_ended` before), once per booking (409 `already_reviewed`). Published with your first name only.',
    responses={201: {'description': 'Review published', 'content': {'application/json': {'model': ReviewOut}}}},
    openapi_extensions=http.problems(errors.NotFound, errors.InvalidState, errors.StayNotEnded, errors.AlreadyReviewed),
)
def review_booking(booking_id: BookingId, body: ReviewBody) -> Response[ReviewOut]:
    bind_booking(booking_id)
    review = reviews.post(http.principal(app), booking_id, body.rating, body.comment, http.now())
    logger.info('review posted', room_type_id=review.room_type_id, rating=review.rating)
    count('ReviewPosted')
    return Response(
        status_code=201, content_type='application/json', body=ReviewOut.from_domain(review).model_dump(mode='json')
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return http.resolve(app, event, context)
