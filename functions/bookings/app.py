"""A guest's bookings: hold rooms, list, read, cancel, review."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http, idempotency
from common.config import settings
from common.models.api import BookingOut, BookingPage, HoldBody, RefundQuoteOut, ReviewBody, ReviewOut
from common.observability import bind_booking, count, logger, metrics, tracer
from common.services import bookings, cancellation, reviews

app = http.make_app()

BookingId = Annotated[str, Path(max_length=64)]
AUTH = [{'bearerAuth': []}]


@app.post(
    '/api/bookings',
    tags=['bookings'],
    security=AUTH,
    responses={201: {'description': 'Rooms held', 'content': {'application/json': {'model': BookingOut}}}},
)
def create_booking(body: HoldBody) -> Response[BookingOut]:
    """Hold rooms for BOOKING_HOLD_SECONDS; send an ``Idempotency-Key`` header to retry safely."""
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
        http.idempotency_key(app),
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


@app.get('/api/bookings', tags=['bookings'], security=AUTH)
def list_bookings(
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> BookingPage:
    """The caller's bookings, newest first."""
    caller = http.principal(app)
    page = bookings.list_own(caller, limit or settings().page_size_default, cursor)
    now = http.now()
    return BookingPage(items=[BookingOut.from_domain(b, now) for b in page.items], next_cursor=page.next_cursor)


@app.get('/api/bookings/<booking_id>', tags=['bookings'], security=AUTH)
def get_booking(booking_id: BookingId) -> BookingOut:
    caller = http.principal(app)
    bind_booking(booking_id)
    return BookingOut.from_domain(bookings.get_own(caller, booking_id), http.now())


@app.post('/api/bookings/<booking_id>/cancel', tags=['bookings'], security=AUTH)
def cancel_booking(booking_id: BookingId) -> BookingOut:
    """Safe to retry: a cancelled booking answers the same (and a refund still owed is made)."""
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


@app.get('/api/bookings/<booking_id>/refund-quote', tags=['bookings'], security=AUTH)
def refund_quote(booking_id: BookingId) -> RefundQuoteOut:
    """What cancelling now would refund and keep (48-hour rule in the hotel's time zone)."""
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
    responses={201: {'description': 'Review published', 'content': {'application/json': {'model': ReviewOut}}}},
)
def review_booking(booking_id: BookingId, body: ReviewBody) -> Response[ReviewOut]:
    """Rate a CONFIRMED stay of yours once its check-out date has passed (hotel time); once per booking."""
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
