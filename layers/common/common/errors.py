"""Domain errors. Each carries the HTTP status and the stable ``code`` clients can rely on.

They are mapped to RFC 9457 problem+json in exactly one place (``common.http``). Services raise
them; storage errors are translated into them in ``common.repos`` (its private ``_dynamo``).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = 'bad_request'
    title: ClassVar[str] = 'Bad request'

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)

    @property
    def headers(self) -> dict[str, str]:
        return {}


class BadRequest(DomainError):
    pass


class MalformedJson(DomainError):
    code = 'malformed_json'
    title = 'The request body is not valid JSON'


class InvalidCursor(DomainError):
    code = 'invalid_cursor'
    title = 'The pagination cursor is not valid'


class Unauthorized(DomainError):
    status = 401
    code = 'unauthorized'
    title = 'Authentication required'

    @property
    def headers(self) -> dict[str, str]:
        return {'WWW-Authenticate': 'Bearer'}


class InvalidToken(Unauthorized):
    code = 'invalid_token'
    title = 'The token is invalid or expired'


class SessionExpired(Unauthorized):
    """The sign-in session is older than SESSION_MAX_SECONDS: no refresh renews it."""

    code = 'session_expired'
    title = 'The session has ended; sign in again'


class InvalidCredentials(Unauthorized):
    code = 'invalid_credentials'
    title = 'Email or password is incorrect'


class Forbidden(DomainError):
    status = 403
    code = 'forbidden'
    title = 'You are not allowed to do this'


class NotFound(DomainError):
    status = 404
    code = 'not_found'
    title = 'Not found'


class WrongPassword(Forbidden):
    """The current password given to change it is not the account's (403, not 401: the caller's
    token is fine, and a client must not take it for an expired session)."""

    code = 'wrong_password'
    title = 'The current password is not right'


class Conflict(DomainError):
    status = 409
    code = 'conflict'
    title = 'The resource changed; retry'


class SoldOut(Conflict):
    code = 'sold_out'
    title = 'Not enough rooms left for every night of the stay'


class EmailTaken(Conflict):
    code = 'email_taken'
    title = 'An account with this email already exists'


class InvalidState(Conflict):
    code = 'invalid_state'
    title = 'The booking is not in a state that allows this'


class HoldExpired(Conflict):
    code = 'hold_expired'
    title = 'The hold on these rooms has expired'


class IdempotencyInProgress(Conflict):
    code = 'idempotency_in_progress'
    title = 'A request with this Idempotency-Key is still being processed'

    @property
    def headers(self) -> dict[str, str]:
        return {'Retry-After': '1'}


class PayloadTooLarge(DomainError):
    status = 413
    code = 'payload_too_large'
    title = 'The request body is too large'


class UnsupportedMediaType(DomainError):
    status = 415
    code = 'unsupported_media_type'
    title = 'Send the request body as application/json'


class Unprocessable(DomainError):
    status = 422
    code = 'validation_error'
    title = 'The request is not valid'


class InvalidDates(Unprocessable):
    code = 'invalid_dates'
    title = 'The dates of the stay are not valid'


class StayTooLong(Unprocessable):
    code = 'stay_too_long'
    title = 'The stay is longer than the maximum'


class TooManyGuests(Unprocessable):
    code = 'too_many_guests'
    title = 'The rooms cannot take this many guests'


class NotOnSale(Unprocessable):
    code = 'not_on_sale'
    title = 'Some nights of the stay are not on sale'


class MinStay(Unprocessable):
    code = 'min_stay'
    title = 'The stay is shorter than the minimum for this arrival date'


class ClosedToArrival(Unprocessable):
    code = 'closed_to_arrival'
    title = 'Arrival is not possible on this date'


class TotalNotPayable(Unprocessable):
    """A total a card payment cannot take (common/money.py: Stripe's per-currency rules)."""

    code = 'total_not_payable'
    title = 'The total cannot be paid by card'


class TotalBelowMinimum(TotalNotPayable):
    code = 'total_below_minimum'
    title = 'The total is below the smallest card payment in its currency'


class TotalAboveMaximum(TotalNotPayable):
    code = 'total_above_maximum'
    title = 'The total is above the largest card payment'


class IdempotencyKeyReused(Unprocessable):
    code = 'idempotency_key_reused'
    title = 'This Idempotency-Key was used with a different request'


class WeakPassword(Unprocessable):
    code = 'weak_password'
    title = 'The password does not meet the rules'


class TooManyRequests(DomainError):
    status = 429
    code = 'too_many_requests'
    title = 'Too many requests'

    def __init__(self, detail: str | None = None, *, retry_after: int = 60, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {'Retry-After': str(self.retry_after)}


class ServiceUnavailable(DomainError):
    """A dependency failed in a way a retry can fix (throttling, transaction conflicts, Stripe down)."""

    status = 503
    code = 'service_unavailable'
    title = 'Temporarily unavailable; retry shortly'

    def __init__(self, detail: str | None = None, *, retry_after: int = 2, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {'Retry-After': str(self.retry_after)}


# ------------------------------------------------------------------ admin (catalogue, inventory)


class AlreadyExists(Conflict):
    code = 'already_exists'
    title = 'A resource with this id already exists'


class InvalidReference(Unprocessable):
    code = 'invalid_reference'
    title = 'The request refers to something that does not exist or does not belong together'


class RangeTooLong(Unprocessable):
    code = 'range_too_long'
    title = 'The date range is longer than allowed'


class HasBookings(Conflict):
    code = 'has_bookings'
    title = 'Bookings still hold rooms of this room type'


class HotelNotEmpty(Conflict):
    code = 'hotel_not_empty'
    title = 'The hotel still has room types'


class AllotmentBelowHeld(Conflict):
    code = 'allotment_below_held'
    title = 'The new allotment is below the rooms already held on some nights'


class InventoryConflict(Conflict):
    code = 'inventory_conflict'
    title = 'The inventory changed while this request was applied; nothing was changed, retry'


# ---------------------------------------------------------------- payments


class PaymentDeclined(DomainError):
    """The card was declined; ``decline_code`` carries Stripe's reason (``insufficient_funds``...)."""

    status = 402
    code = 'payment_declined'
    title = 'The payment was declined'


class PaymentProviderUnavailable(ServiceUnavailable):
    """Stripe could not be reached, rate-limited us, or answered a 5xx: nothing was decided here.

    ``server_error``: Stripe answered with a 5xx. Stripe stores that answer under the request's
    idempotency key and replays it for about a day, so a retry must send a fresh key (after
    checking what the failed request may have done)."""

    code = 'payment_provider_unavailable'
    title = 'The payment provider is unavailable; retry shortly'

    def __init__(self, detail: str | None = None, *, retry_after: int = 2, server_error: bool = False) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.server_error = server_error


class PaymentProviderError(DomainError):
    """Stripe refused a request we did not expect it to refuse (logged with Stripe's request id).
    ``stripe_code`` is Stripe's reason (``charge_disputed``...), kept out of the client's answer."""

    status = 502
    code = 'payment_provider_error'
    title = 'The payment provider refused the request'

    def __init__(self, detail: str | None = None, *, stripe_code: str | None = None) -> None:
        super().__init__(detail)
        self.stripe_code = stripe_code


class AlreadyPaid(Conflict):
    code = 'already_paid'
    title = 'The booking is already paid'


class AlreadyCancelled(Conflict):
    code = 'already_cancelled'
    title = 'The booking is cancelled'


class TooLateToCancel(Conflict):
    code = 'too_late_to_cancel'
    title = 'The stay has started; it can no longer be cancelled'


class PaymentProcessing(Conflict):
    code = 'payment_processing'
    title = 'The payment is being processed; retry shortly'

    @property
    def headers(self) -> dict[str, str]:
        return {'Retry-After': '5'}


class AutoConfirmNotAllowed(Forbidden):
    code = 'auto_confirm_not_allowed'
    title = 'auto_confirm needs a Stripe test-mode key and ALLOW_AUTO_CONFIRM enabled'


class InvalidSignature(DomainError):
    code = 'invalid_signature'
    title = 'The Stripe-Signature header is missing, forged or stale'


class EventInProgress(Conflict):
    """Another delivery of the same Stripe event is being processed; Stripe retries later."""

    code = 'event_in_progress'
    title = 'This event is already being processed'

    @property
    def headers(self) -> dict[str, str]:
        return {'Retry-After': '5'}


# ------------------------------------------------------------------ accounts


class RefreshTokenReused(InvalidToken):
    """A rotated refresh token came back: its whole family is revoked (theft detection).

    Same code and title as any bad token: the caller learns nothing from the difference."""


class TooManyLoginAttempts(TooManyRequests):
    code = 'too_many_attempts'
    title = 'Too many failed sign-in attempts; try again later'


class TooManyRegistrations(TooManyRequests):
    code = 'too_many_registrations'
    title = 'Too many accounts created from this address; try again later'


# ------------------------------------------------------------------ fair holds


class TooManyHolds(TooManyRequests):
    """The caller already has MAX_ACTIVE_HOLDS_PER_USER unexpired, unpaid holds; ``Retry-After``
    is the time until the oldest of them expires."""

    code = 'too_many_holds'
    title = 'You already hold as many unpaid bookings as allowed; pay or cancel one, or wait'


class TooManyHoldAttempts(TooManyRequests):
    code = 'too_many_hold_attempts'
    title = 'Too many booking attempts; try again later'


class StayNotEnded(Conflict):
    code = 'stay_not_ended'
    title = 'A stay can be reviewed once its check-out date has passed'


class AlreadyReviewed(Conflict):
    code = 'already_reviewed'
    title = 'This booking already has a review'


# ------------------------------------------------------------------ rate plans and promo codes


class RatePlanUnavailable(Unprocessable):
    code = 'rate_plan_unavailable'
    title = 'The rate plan does not exist, is not on sale, or does not sell this room type'


class MaxStay(Unprocessable):
    code = 'max_stay'
    title = 'The stay is longer than the rate plan allows'


class ClosedToDeparture(Unprocessable):
    code = 'closed_to_departure'
    title = 'Departure is not possible on this date'


class MinAdvance(Unprocessable):
    code = 'min_advance_booking'
    title = 'The rate plan must be booked further ahead of arrival'


class MaxAdvance(Unprocessable):
    code = 'max_advance_booking'
    title = 'The rate plan cannot be booked this far ahead of arrival'


class PromoUnknown(Unprocessable):
    code = 'promo_unknown'
    title = 'The promo code does not exist'


class PromoNotYetValid(Unprocessable):
    code = 'promo_not_yet_valid'
    title = 'The promo code cannot be used yet'


class PromoExpired(Unprocessable):
    code = 'promo_expired'
    title = 'The promo code has expired'


class PromoExhausted(Unprocessable):
    code = 'promo_exhausted'
    title = 'The promo code has been used up'


class PromoGuestLimit(Unprocessable):
    code = 'promo_guest_limit'
    title = 'You have used this promo code as many times as it allows'


class PromoNotApplicable(Unprocessable):
    code = 'promo_not_applicable'
    title = 'The promo code does not apply to this stay or rate plan'


class PlanHasChildren(Conflict):
    code = 'rate_plan_has_derived_plans'
    title = 'Other rate plans derive their price from this one'


class PromoInUse(Conflict):
    code = 'promo_in_use'
    title = 'The promo code is used by bookings; deactivate it instead'
