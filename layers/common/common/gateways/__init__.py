"""Gateways to the outside world, each behind a port of ``common.ports``: Stripe
(``StripeGateway``, the only importer of ``stripe``) and the EventBridge bus (``EventBridgePublisher``).

Both are built by the composition root with the settings they need and create their SDK clients
on first use, never at import (cold starts stay lean)."""
