"""Checkout: the booking's one Stripe PaymentIntent; ``auto_confirm`` (test mode) pays it at once."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http, idempotency, metrics, observability, wiring
from common.models.api import CheckoutBody, CheckoutOut
from common.observability import bind_booking, logger
from common.services import checkout as checkout_service
from common.services.deps import Deps

app = http.make_app()

BookingId = Annotated[str, Path(max_length=64, description='The `id` of one of your bookings')]


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()


@app.post(
    '/api/bookings/<booking_id>/checkout',
    tags=['payments'],
    summary='Pay for a booking',
    description="Creates the booking's one Stripe PaymentIntent (for the locked `total_amount`, in minor units) "
    "and answers its `client_secret` for Stripe.js; calling it again answers the same one. Stripe's "
    '`payment_intent.succeeded` webhook then confirms the booking.\n\n'
    '`{"payment_method": "pm_..."}` (created by Stripe.js from the guest\'s card) confirms it here: a declined '
    'card answers 402 `payment_declined`; `payment_status: requires_action` means Stripe.js must finish it '
    '(3-D Secure) and the webhook confirms the booking.\n\n'
    'Test mode only (a test-mode key and ALLOW_AUTO_CONFIRM, else 403 `auto_confirm_not_allowed`): '
    '`{"auto_confirm": true}` confirms it with `pm_card_visa` and answers with the booking CONFIRMED; with '
    "auto_confirm, `payment_method` may name another of Stripe's test methods (`pm_card_...`, e.g. "
    '`pm_card_chargeCustomerFail` to see a 402).\n\n'
    'Send an `Idempotency-Key` to retry safely.',
    openapi_extensions=http.problems(
        errors.NotFound,
        errors.AutoConfirmNotAllowed,
        errors.AlreadyPaid,
        errors.AlreadyCancelled,
        errors.HoldExpired,
        errors.InvalidState,
        errors.Conflict,
        errors.PaymentProcessing,
        errors.PaymentDeclined,
        errors.PaymentProviderUnavailable,
        errors.PaymentProviderError,
        errors.TotalBelowMinimum,
        errors.TotalAboveMaximum,
        errors.TotalNotPayable,
        errors.IdempotencyKeyReused,
        errors.IdempotencyInProgress,
    ),
)
def checkout(
    booking_id: BookingId,
    body: Annotated[CheckoutBody | None, Body()] = None,
    idempotency_key: http.IdempotencyKey = None,
) -> CheckoutOut:
    caller = http.caller(app)
    request = body or CheckoutBody()
    bind_booking(booking_id)
    now = deps().clock()

    def pay() -> dict[str, Any]:
        result = checkout_service.checkout(
            deps(),
            caller,
            booking_id,
            now,
            auto_confirm=request.auto_confirm,
            payment_method=request.payment_method,
        )
        metrics.record(result)
        logger.info('checkout', status=result.booking.status.value, payment_intent_id=result.payment.payment_intent_id)
        return CheckoutOut.from_domain(result).model_dump(mode='json')

    payload = {'booking_id': booking_id, **request.model_dump(mode='json')}
    result = idempotency.once('bookings.checkout', caller.user_id, idempotency_key, payload, pay, app.lambda_context)
    return CheckoutOut.model_validate(result)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.resolve(app, event, context, deps)
