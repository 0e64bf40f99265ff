"""A guest's bookings: hold rooms, list, read, cancel, refund quote, review."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import http, idempotency, metrics, observability, wiring
from common.models.api import BookingOut, BookingPage, HoldBody, RefundQuoteOut, ReviewBody, ReviewOut
from common.observability import bind_booking, logger
from common.services import bookings, cancellation, reviews
from common.services.deps import Deps

app = http.make_app()

BookingId = Annotated[str, Path(max_length=64)]


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@app.post(
    '/api/bookings',
    tags=['bookings'],
    responses={201: {'description': 'Rooms held', 'content': {'application/json': {'model': BookingOut}}}},
)
def create_booking(body: HoldBody) -> Response[BookingOut]:
    """Hold rooms for BOOKING_HOLD_SECONDS; send an ``Idempotency-Key`` header to retry safely."""
    caller = http.caller(app)
    now = deps().clock()

    def hold() -> dict[str, Any]:
        booking = bookings.hold(deps(), caller, bookings.HoldRequest(**body.model_dump()), now)
        bind_booking(booking.id)
        logger.info('hold created', room_type_id=booking.room_type_id, nights=len(booking.nightly), rooms=booking.rooms)
        metrics.record(booking)
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
        body=BookingOut.model_validate(result),  # the first answer, also when replayed
        headers={'Location': f'/api/bookings/{result["id"]}'},
    )


@app.get('/api/bookings', tags=['bookings'])
def list_bookings(
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> BookingPage:
    """The caller's bookings, newest first."""
    page = bookings.list_own(deps(), http.caller(app), limit, cursor)
    return BookingPage.from_domain(page, deps().clock())


@app.get('/api/bookings/<booking_id>', tags=['bookings'])
def get_booking(booking_id: BookingId) -> BookingOut:
    bind_booking(booking_id)
    return BookingOut.from_domain(bookings.get_own(deps(), http.caller(app), booking_id), deps().clock())


@app.post('/api/bookings/<booking_id>/cancel', tags=['bookings'])
def cancel_booking(booking_id: BookingId) -> BookingOut:
    """Safe to retry: a cancelled booking answers the same (and a refund still owed is made)."""
    bind_booking(booking_id)
    now = deps().clock()
    cancelled = cancellation.cancel(deps(), http.caller(app), booking_id, now)
    if cancelled.completed:
        logger.info('booking cancelled', refund=cancelled.booking.refund.amount if cancelled.booking.refund else 0)
    metrics.record(cancelled)
    return BookingOut.from_domain(cancelled.booking, now)


@app.get('/api/bookings/<booking_id>/refund-quote', tags=['bookings'])
def refund_quote(booking_id: BookingId) -> RefundQuoteOut:
    """What cancelling now would refund and keep (48-hour rule in the hotel's time zone)."""
    bind_booking(booking_id)
    return RefundQuoteOut.from_domain(cancellation.refund_quote(deps(), http.caller(app), booking_id, deps().clock()))


@app.post(
    '/api/bookings/<booking_id>/review',
    tags=['bookings'],
    responses={201: {'description': 'Review published', 'content': {'application/json': {'model': ReviewOut}}}},
)
def review_booking(booking_id: BookingId, body: ReviewBody) -> Response[ReviewOut]:
    """Rate a CONFIRMED stay of yours once its check-out date has passed (hotel time); once per booking."""
    bind_booking(booking_id)
    review = reviews.post(deps(), http.caller(app), booking_id, body.rating, body.comment, deps().clock())
    logger.info('review posted', room_type_id=review.room_type_id, rating=review.rating)
    metrics.record(review)
    return Response(status_code=201, content_type='application/json', body=ReviewOut.from_domain(review))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.resolve(app, event, context, deps)
