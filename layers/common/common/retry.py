"""The one retry policy: how many times a step that lost a race is tried, and the back-off.

Used by the storage layer (a DynamoDB transaction cancelled by a concurrent one) and by the
services' optimistic loops (a booking that moved between the read and the guarded write).
"""

from __future__ import annotations

import random

ATTEMPTS = 4


def backoff(attempt: int) -> float:
    """Full jitter: uniform in [0, 25 ms x 2^attempt] (25, 50, 100 ms caps)."""
    return random.uniform(0, 0.025 * 2**attempt)
