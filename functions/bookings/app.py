"""A guest's bookings: hold rooms, list, read, cancel, refund quote, review."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http, idempotency, metrics, observability, wiring
from common.models.api import BookingOut, BookingPage, HoldBody, RefundQuoteOut, ReviewBody, ReviewOut
from common.observability import bind_booking, logger
from common.services import bookings, cancellation, reviews
from common.services.deps import Deps

app = http.make_app()

BookingId = Annotated[str, Path(max_length=64, description='The `id` of one of your bookings')]
# What refuses a stay (search answers the same): the hotel's calendar and rules, read at run time.
STAY_REFUSALS = (
    errors.InvalidDates,
    errors.StayTooLong,
    errors.NotOnSale,
    errors.TooManyGuests,
    errors.MinStay,
    errors.ClosedToArrival,
)
# A rate plan's restrictions and a promo code that cannot be used (search answers them too).
RATE_REFUSALS = (
    errors.RatePlanUnavailable,
    errors.MaxStay,
    errors.ClosedToDeparture,
    errors.MinAdvance,
    errors.MaxAdvance,
    errors.PromoUnknown,
    errors.PromoNotYetValid,
    errors.PromoExpired,
    errors.PromoExhausted,
    errors.PromoNotApplicable,
)
# A total no card payment can take (common/money.py): refused when held, and at checkout.
PAYABLE_REFUSALS = (errors.TotalBelowMinimum, errors.TotalAboveMaximum, errors.TotalNotPayable)


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@app.post(
    '/api/bookings',
    tags=['bookings'],
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
        '`min_stay` / `closed_to_arrival` restrictions, and a total a card payment can take (`total_below_minimum`, '
        "`total_above_maximum`, `total_not_payable`: Stripe's per-currency limits, which the problem names). "
        'Each is a 422 with its own `code`.\n\n'
        'Rate plans (docs/pricing.md): `rate_plan_id` books one of the offers search lists (default: the room '
        "type's default plan; 422 `rate_plan_unavailable`), its restrictions apply (`min_stay`, `max_stay`, "
        '`closed_to_arrival`, `closed_to_departure`, `min_advance_booking`, `max_advance_booking`) and its terms '
        'are kept in the booking (`rate_plan`): a later edit of the plan never changes its refund. `promo_code` '
        '(any case) takes one use of the code in the same transaction; a code that cannot be used is a 422 with '
        'its own `code` (`promo_unknown`, `promo_not_yet_valid`, `promo_expired`, `promo_exhausted`, '
        '`promo_guest_limit`, `promo_not_applicable`), never ignored. `total_amount` is what checkout charges; '
        '`breakdown` lists its parts (room charge, fees, VAT, city tax).\n\n'
        'An account holds at most MAX_ACTIVE_HOLDS_PER_USER unpaid bookings at once (429 `too_many_holds`, '
        '`Retry-After` until its oldest hold expires), and hold attempts are limited per account and per client '
        'IP per hour (429 `too_many_hold_attempts`). Rooms of a hold past its `hold_expires_at` are on sale '
        'again at once.\n\n'
        'Send an `Idempotency-Key` to retry safely: the same key and body answer the first result again '
        '(a replay counts against no limit).'
    ),
    responses={201: {'description': 'Rooms held', 'content': {'application/json': {'model': BookingOut}}}},
    openapi_extensions=http.problems(
        *STAY_REFUSALS,
        *RATE_REFUSALS,
        errors.PromoGuestLimit,
        *PAYABLE_REFUSALS,
        errors.NotFound,
        errors.SoldOut,
        errors.TooManyHolds,
        errors.TooManyHoldAttempts,
        errors.IdempotencyKeyReused,
        errors.IdempotencyInProgress,
    ),
)
def create_booking(body: HoldBody, idempotency_key: http.IdempotencyKey = None) -> Response[BookingOut]:
    caller = http.caller(app)
    now = deps().clock()
    client_ip = http.client_ip(app)

    def hold() -> dict[str, Any]:
        request = bookings.HoldRequest(**body.model_dump())
        booking = bookings.hold(deps(), caller, request, now, client_ip=client_ip)
        bind_booking(booking.id)
        logger.info('hold created', room_type_id=booking.room_type_id, nights=len(booking.nightly), rooms=booking.rooms)
        metrics.record(booking)
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
        body=BookingOut.model_validate(result),  # the first answer, also when replayed
        headers={'Location': f'/api/bookings/{result["id"]}'},
    )


@app.get(
    '/api/bookings',
    tags=['bookings'],
    summary='List your bookings',
    description='Your bookings, newest first, a page at a time: pass `next_cursor` back as `cursor` for the '
    'next page. A cursor is opaque and only valid as `next_cursor` produced it (400 `invalid_cursor`).',
    openapi_extensions=http.problems(errors.InvalidCursor),
)
def list_bookings(limit: http.PageSize = None, cursor: http.Cursor = None) -> BookingPage:
    page = bookings.list_own(deps(), http.caller(app), limit, cursor)
    return BookingPage.from_domain(page, deps().clock())


@app.get(
    '/api/bookings/<booking_id>',
    tags=['bookings'],
    summary='Read one of your bookings',
    description='Its status as of now (a PENDING booking past `hold_expires_at` reads EXPIRED), the locked '
    "nightly prices, and its payment and refund. Someone else's booking answers 404, like one that does not exist.",
    openapi_extensions=http.problems(errors.NotFound),
)
def get_booking(booking_id: BookingId) -> BookingOut:
    bind_booking(booking_id)
    return BookingOut.from_domain(bookings.get_own(deps(), http.caller(app), booking_id), deps().clock())


@app.post(
    '/api/bookings/<booking_id>/cancel',
    tags=['bookings'],
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
    bind_booking(booking_id)
    now = deps().clock()
    cancelled = cancellation.cancel(deps(), http.caller(app), booking_id, now)
    if cancelled.completed:
        logger.info('booking cancelled', refund=cancelled.booking.refund.amount if cancelled.booking.refund else 0)
    metrics.record(cancelled)
    return BookingOut.from_domain(cancelled.booking, now)


@app.get(
    '/api/bookings/<booking_id>/refund-quote',
    tags=['bookings'],
    summary='What cancelling now would refund',
    description="The refund and penalty if the booking were cancelled now, by the policy in the hotel's time "
    'zone: `deadline` is the last instant with a full refund, `cancellable_until` the check-in instant.',
    openapi_extensions=http.problems(
        errors.NotFound, errors.HoldExpired, errors.TooLateToCancel, errors.AlreadyCancelled, errors.InvalidState
    ),
)
def refund_quote(booking_id: BookingId) -> RefundQuoteOut:
    bind_booking(booking_id)
    return RefundQuoteOut.from_domain(cancellation.refund_quote(deps(), http.caller(app), booking_id, deps().clock()))


@app.post(
    '/api/bookings/<booking_id>/review',
    tags=['bookings'],
    summary='Review a stay',
    description='Rate a CONFIRMED stay of yours from the day after its check-out date (hotel time; 409 '
    '`stay_not_ended` before), once per booking (409 `already_reviewed`). Published with your first name only.',
    responses={201: {'description': 'Review published', 'content': {'application/json': {'model': ReviewOut}}}},
    openapi_extensions=http.problems(errors.NotFound, errors.InvalidState, errors.StayNotEnded, errors.AlreadyReviewed),
)
def review_booking(booking_id: BookingId, body: ReviewBody) -> Response[ReviewOut]:
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
