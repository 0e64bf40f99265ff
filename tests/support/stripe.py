"""Stripe in tests: localstripe (a real, stateful Stripe server) and the real SDK.

The test talks to localstripe as the guest's browser (Stripe.js) or the Stripe dashboard would.
Events are those localstripe itself generated, delivered to our webhook with a signature from
the SDK's own signing helper. For the events localstripe never sends (refunds, cancellations) the
envelope is built around a real object read back from localstripe. Nothing of Stripe's API is faked.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import stripe

from tests.support.api import Api, Reply

TEST_KEY = 'sk_test_localstripe_0123456789'
WEBHOOK_SECRET = 'whsec_test_0123456789abcdefghijklmnop'


@dataclass
class StripeTest:
    url: str
    key: str = TEST_KEY
    webhook_secret: str = WEBHOOK_SECRET
    client: stripe.StripeClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = stripe.StripeClient(self.key, base_addresses={'api': self.url}, max_network_retries=0)

    # -------------------------------------------------- as the guest's browser / the dashboard

    def intent(self, payment_intent_id: str) -> dict[str, Any]:
        return self.client.v1.payment_intents.retrieve(payment_intent_id).to_dict()

    def pay(self, payment_intent_id: str, payment_method: str = 'pm_card_visa') -> dict[str, Any]:
        """Confirm as Stripe.js would (localstripe: attach the method, then confirm)."""
        self.client.v1.payment_intents.update(payment_intent_id, params={'payment_method': payment_method})
        return self.client.v1.payment_intents.confirm(payment_intent_id).to_dict()

    def refunds(self, payment_intent_id: str) -> list[dict[str, Any]]:
        listed = self.client.v1.refunds.list(params={'payment_intent': payment_intent_id, 'limit': 100})
        return [r.to_dict() for r in listed.data]

    def refund(self, refund_id: str) -> dict[str, Any]:
        return self.client.v1.refunds.retrieve(refund_id).to_dict()

    # -------------------------------------------------- events

    def event_for(self, payment_intent_id: str, event_type: str) -> dict[str, Any]:
        """The event localstripe generated for this PaymentIntent (what it POSTs to webhooks)."""
        listed = self.client.v1.events.list(params={'type': event_type, 'limit': 100})
        for event in listed.auto_paging_iter():
            if event.data.object['id'] == payment_intent_id:
                return event.to_dict()
        raise AssertionError(f'localstripe has no {event_type} event for {payment_intent_id}')

    def event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """An event localstripe never sends, around a real object read from localstripe."""
        return {
            'id': f'evt_{uuid.uuid4().hex[:24]}',
            'object': 'event',
            'api_version': '2024-06-20',
            'created': int(time.time()),
            'livemode': False,
            'pending_webhooks': 1,
            'type': event_type,
            'data': {'object': obj},
        }

    def signature(self, payload: str, timestamp: int | None = None, secret: str | None = None) -> str:
        return stripe.WebhookSignature.generate_signature_header(payload, secret or self.webhook_secret, timestamp)

    def deliver(self, api: Api, event: dict[str, Any], *, timestamp: int | None = None) -> Reply:
        """POST the event to our webhook through the gateway, signed as Stripe signs it."""
        payload = json.dumps(event, indent=2, sort_keys=True)
        return api.post(
            '/api/webhook',
            raw=payload.encode(),
            headers={
                'Content-Type': 'application/json; charset=utf-8',
                'Stripe-Signature': self.signature(payload, timestamp),
            },
        )
