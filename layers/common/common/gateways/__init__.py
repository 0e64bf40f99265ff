"""Gateways to the outside world, each behind a port of ``common.ports``: Stripe
(``StripeGateway``, the only importer of ``stripe``), the EventBridge bus (``EventBridgePublisher``)
and Amazon SES (``SesGateway``).

Each is built by the composition root with the settings it needs and creates its SDK client on
first use, never at import (cold starts stay lean)."""
