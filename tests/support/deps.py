"""The application's dependencies as a test uses them: what the functions use, wired to the table
and Stripe the test points at. ``wiring.reset()`` (every re-point does it) rebuilds them."""

from __future__ import annotations

from common import wiring
from common.services.deps import Deps


@wiring.once_per_container
def deps() -> Deps:
    return wiring.build_deps()
