"""Stripe behind a small typed interface: the ONLY module that imports ``stripe``.

It hands out plain domain values (``PaymentIntent``, ``StripeRefund``, ``StripeEvent``) and turns
Stripe's errors into domain errors once:

- a declined card -> ``PaymentDeclined`` (402, with Stripe's decline code and message);
- network failures, rate limits, Stripe 5xx, a concurrent request on one idempotency key ->
  ``PaymentProviderUnavailable`` (503 + Retry-After: the caller retries, nothing was decided);
- anything else Stripe refuses -> ``PaymentProviderError`` (502), logged with Stripe's request id.

The same code talks to real Stripe (``STRIPE_API_BASE`` unset) and to localstripe. localstripe
ignores idempotency keys, so nothing here relies on them for correctness: they are sent (real
Stripe honours them) but every caller is idempotent on its own (see services/refunds.py).
Secrets are never logged: only operation names, error classes, codes and request ids.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from common import errors
from common.domain import Dispute, IntentStatus, PaymentIntent, RefundStatus, StripeEvent, StripeRefund
from common.lazy import lazy_import
from common.observability import count, logger, traced

if TYPE_CHECKING:
    from common.config import Settings

# The SDK is a large import (~90 ms); most requests of a function that may call Stripe do not.
stripe = lazy_import('stripe')

TEST_KEY_PREFIXES = ('sk_test_', 'rk_test_')
LIVE_KEY_PREFIXES = ('sk_live_', 'rk_live_')
LIVE_STAGES = frozenset({'prod'})  # the one stage that takes real money


def key_fits_stage(key: str, stage: str) -> bool:
    """prod takes a live key only, every other stage a test key only: a prod stack given the dev
    key would "confirm" bookings paid with 4242, a dev stack given the live key would charge cards."""
    return key.startswith(LIVE_KEY_PREFIXES if stage in LIVE_STAGES else TEST_KEY_PREFIXES)


AMOUNT_REFUSALS: dict[str, type[errors.TotalNotPayable]] = {
    'amount_too_small': errors.TotalBelowMinimum,
    'amount_too_large': errors.TotalAboveMaximum,
}


def _secret(value: str | None, param: str | None, what: str) -> str:
    if value:
        return value
    if param:
        from aws_lambda_powertools.utilities import parameters  # only in AWS: keeps cold starts lean

        fetched = parameters.get_parameter(param, decrypt=True, max_age=300)
        if isinstance(fetched, str) and fetched:
            return fetched
    # Fail closed, and say so in the logs (without any value).
    logger.error('stripe secret not configured', secret=what)
    raise errors.PaymentProviderUnavailable('Payments are not configured on this server')


@contextmanager
def _calling(operation: str) -> Iterator[None]:
    """Every Stripe call: one X-Ray subsegment named after the operation (the SDK's HTTP request,
    traced by the ``requests`` patch, nests inside it), and Stripe's errors mapped once."""
    with traced(f'stripe.{operation}', stripe_operation=operation), _mapping_errors(operation):
        yield


@contextmanager
def _mapping_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except stripe.CardError as exc:
        decline_code = getattr(exc.error, 'decline_code', None) if exc.error else None
        logger.info('card declined', operation=operation, code=exc.code, decline_code=decline_code)
        raise errors.PaymentDeclined(
            exc.user_message or 'The card was declined',
            decline_code=decline_code or exc.code or 'card_declined',
        ) from None
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.IdempotencyError) as exc:
        logger.warning('stripe unavailable', operation=operation, error=type(exc).__name__)
        raise errors.PaymentProviderUnavailable(retry_after=5) from exc
    except stripe.StripeError as exc:
        status = exc.http_status or 0
        if exc.code in AMOUNT_REFUSALS and operation == 'create_payment_intent':
            # A total Stripe will not charge (common/money.py checks it first; this covers a
            # currency whose minimum moves with the exchange rate): the client's 422, not a 502.
            logger.info('stripe refused the amount', operation=operation, code=exc.code)
            raise AMOUNT_REFUSALS[exc.code](exc.user_message or 'Stripe refused the amount') from None
        if status >= 500 or status == 0:
            logger.warning('stripe unavailable', operation=operation, error=type(exc).__name__, status=status)
            raise errors.PaymentProviderUnavailable(retry_after=5, server_error=status >= 500) from exc
        logger.error(
            'stripe refused a request',
            operation=operation,
            error=type(exc).__name__,
            status=status,
            code=exc.code,
            request_id=exc.request_id,
        )
        raise errors.PaymentProviderError(stripe_code=exc.code) from exc


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if isinstance(obj, stripe.StripeObject) else dict(obj or {})


def _intent(obj: Any) -> PaymentIntent:
    pi = _plain(obj)
    error = pi.get('last_payment_error')
    last_error = None
    if error:
        last_error = error.get('decline_code') or error.get('code') or error.get('message')
    return PaymentIntent(
        id=pi['id'],
        status=pi['status'],
        amount=int(pi['amount']),
        currency=str(pi['currency']).upper(),
        client_secret=pi.get('client_secret'),
        metadata={k: str(v) for k, v in _plain(pi.get('metadata')).items()},
        last_error=last_error,
        amount_received=None if pi.get('amount_received') is None else int(pi['amount_received']),
        livemode=bool(pi.get('livemode', False)),
    )


def _refund(obj: Any) -> StripeRefund:
    r = _plain(obj)
    return StripeRefund(
        id=r['id'],
        status=RefundStatus(r['status']),
        amount=int(r['amount']),
        currency=str(r['currency']).upper(),
        payment_intent=r.get('payment_intent'),
        metadata={k: str(v) for k, v in _plain(r.get('metadata')).items()},
    )


def dispute(obj: Any) -> Dispute:
    """A ``charge.dispute.*`` event's object (Stripe's Dispute); ``updated_at``: when Stripe made it."""
    d = _plain(obj)
    return Dispute(
        id=d['id'],
        status=str(d['status']),
        reason=str(d.get('reason') or 'unknown'),
        amount=int(d['amount']),
        currency=str(d['currency']).upper(),
        updated_at=datetime.fromtimestamp(int(d.get('created') or 0), UTC),
    )


class StripeGateway:
    """Stripe for the engine; one SDK client per key and endpoint, built on first use (a key
    rotated in SSM gets a new client)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ configuration

    def secret_key(self) -> str:
        current = self._settings
        key = _secret(current.stripe_secret_key, current.stripe_secret_key_param, 'STRIPE_SECRET_KEY')
        if not key_fits_stage(key, current.stage):
            # Fail closed: no payment is taken or confirmed with it. Logged (never the key) and
            # counted: the StripeKeyModeAlarm.
            logger.error(
                'stripe key of the wrong mode for this stage: payments refused',
                stage=current.stage,
                key_mode='live'
                if key.startswith(LIVE_KEY_PREFIXES)
                else 'test'
                if key.startswith(TEST_KEY_PREFIXES)
                else 'unknown',
            )
            count('StripeKeyWrongMode')
            raise errors.PaymentProviderUnavailable('Payments are not configured on this server')
        return key

    def webhook_secret(self) -> str:
        current = self._settings
        return _secret(current.stripe_webhook_secret, current.stripe_webhook_secret_param, 'STRIPE_WEBHOOK_SECRET')

    def is_test_mode(self) -> bool:
        """True for a test-mode key (``sk_test_``/``rk_test_``): what auto_confirm requires."""
        return self.secret_key().startswith(TEST_KEY_PREFIXES)

    def client(self) -> Any:
        key = self.secret_key()
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                current = self._settings
                base_addresses = {'api': current.stripe_api_base} if current.stripe_api_base else {}
                found = stripe.StripeClient(
                    key,
                    base_addresses=base_addresses,
                    max_network_retries=current.stripe_max_network_retries,
                    http_client=stripe.RequestsClient(timeout=current.stripe_timeout_seconds),
                )
                self._clients[key] = found
        return found

    # ------------------------------------------------------------ PaymentIntents

    def create_payment_intent(
        self, *, amount: int, currency: str, metadata: dict[str, str], idempotency_key: str
    ) -> PaymentIntent:
        # Cards only: the server-side test confirmation (auto_confirm) then needs no return_url.
        params: dict[str, Any] = {
            'amount': amount,
            'currency': currency.lower(),
            'payment_method_types': ['card'],
            'metadata': metadata,
        }
        with _calling('create_payment_intent'):
            pi = self.client().v1.payment_intents.create(params=params, options={'idempotency_key': idempotency_key})
        return _intent(pi)

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        with _calling('retrieve_payment_intent'):
            return _intent(self.client().v1.payment_intents.retrieve(payment_intent_id))

    def confirm_with_test_method(self, payment_intent_id: str, payment_method: str) -> PaymentIntent:
        """Confirm server-side with a Stripe test payment method (``pm_card_visa``).

        The method is attached first, then confirmed: localstripe does not implement
        ``confirm(payment_method=...)``, and the two calls mean the same to real Stripe.
        """
        with _calling('confirm_payment_intent'):
            payment_intents = self.client().v1.payment_intents
            payment_intents.update(payment_intent_id, params={'payment_method': payment_method})
            return _intent(payment_intents.confirm(payment_intent_id))

    def cancel_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        """Cancel unless Stripe already decided otherwise; returns the PaymentIntent as it now is.

        Stripe serialises operations on one PaymentIntent, so a cancel and a confirmation racing
        each other cannot both win: whichever status comes back here is the truth.
        """
        payment_intents = self.client().v1.payment_intents
        try:
            with _calling('cancel_payment_intent'):
                return _intent(payment_intents.cancel(payment_intent_id))
        except errors.PaymentProviderError:
            # Not cancelable (already canceled, succeeded or processing): read what it is.
            current = self.retrieve_payment_intent(payment_intent_id)
            if current.status in (IntentStatus.CANCELED, IntentStatus.SUCCEEDED, IntentStatus.PROCESSING):
                return current
            raise

    # ------------------------------------------------------------ refunds

    def refunds_for(self, payment_intent_id: str) -> list[StripeRefund]:
        with _calling('list_refunds'):
            listed = self.client().v1.refunds.list(params={'payment_intent': payment_intent_id, 'limit': 100})
        return [_refund(r) for r in listed.data]

    def create_refund(
        self, *, payment_intent_id: str, amount: int, metadata: dict[str, str], idempotency_key: str
    ) -> StripeRefund:
        """Create a refund, with NO retry inside the SDK: a retried POST whose first attempt Stripe
        carried out (its answer lost or a 500) is only safe if Stripe honours the idempotency key,
        and nothing may depend on that (localstripe ignores it: a second refund). The caller's own
        retry looks up the refunds that exist before creating one (services/refunds.settle)."""
        params = {'payment_intent': payment_intent_id, 'amount': amount, 'metadata': metadata}
        options = {'idempotency_key': idempotency_key, 'max_network_retries': 0}
        with _calling('create_refund'):
            return _refund(self.client().v1.refunds.create(params=params, options=options))

    def retrieve_refund(self, refund_id: str) -> StripeRefund:
        with _calling('retrieve_refund'):
            return _refund(self.client().v1.refunds.retrieve(refund_id))

    # ------------------------------------------------------------ webhooks

    def verify_event(self, payload: bytes, signature: str | None) -> StripeEvent:
        """Check ``Stripe-Signature`` on the exact bytes received (300 s tolerance), then parse.

        Verification comes first: an unsigned body is refused before it is even parsed.
        """
        try:
            text = payload.decode('utf-8')
        except UnicodeDecodeError:
            raise errors.InvalidSignature('The body is not UTF-8') from None
        try:
            stripe.WebhookSignature.verify_header(
                text, signature, self.webhook_secret(), self._settings.stripe_webhook_tolerance_seconds
            )
        except stripe.SignatureVerificationError:
            raise errors.InvalidSignature() from None
        try:
            data = json.loads(text)
        except ValueError:
            raise errors.MalformedJson('The event is not JSON') from None
        try:
            obj = data['data']['object']
            event = StripeEvent(
                id=str(data['id']),
                type=str(data['type']),
                created=int(data.get('created') or 0),
                livemode=bool(data.get('livemode', False)),
                object=obj,
            )
        except (KeyError, TypeError, ValueError):
            raise errors.BadRequest('The body is not a Stripe event') from None
        if not isinstance(obj, dict) or not event.id.startswith('evt_'):
            raise errors.BadRequest('The body is not a Stripe event')
        return event

    def intent_from_event(self, obj: dict[str, Any]) -> PaymentIntent:
        return _intent(obj)

    def dispute_from_event(self, obj: dict[str, Any]) -> Dispute:
        return dispute(obj)
