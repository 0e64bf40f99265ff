"""Idempotency-Key under concurrent first use, against the ministack DynamoDB server.

The local gateway (and so `make run` and every race test) runs concurrent invocations as threads
of one process, sharing the idempotency store. powertools marks a store configured before it sets
the key's JMESPath, so a thread arriving in that moment hashed the same key another way: one
Idempotency-Key, two holds (seen once in CI under load). The slow JMESPath compile below widens
that moment from microseconds to a fifth of a second."""

from __future__ import annotations

import threading
import time
from typing import Any

import jmespath
import pytest

from common import errors, idempotency
from local.gateway import LambdaContext
from tests.support.race import race

pytestmark = [pytest.mark.ministack, pytest.mark.usefixtures('on_ministack')]


def test_concurrent_first_uses_of_the_store_run_the_operation_once(monkeypatch: pytest.MonkeyPatch):
    compile_ = jmespath.compile

    def slow_compile(expression: str) -> Any:
        time.sleep(0.2)
        return compile_(expression)

    monkeypatch.setattr('aws_lambda_powertools.utilities.idempotency.persistence.base.jmespath.compile', slow_compile)
    runs: list[int] = []
    lock = threading.Lock()

    def compute(i: int) -> dict[str, Any]:
        with lock:
            runs.append(i)
        time.sleep(0.3)  # still running when the others arrive
        return {'booking': i}

    def attempt(i: int) -> object:
        try:
            context = LambdaContext('BookingsFunction')
            return idempotency.once('hold', 'guest-1', 'once', {'nights': 2}, lambda: compute(i), context)
        except errors.IdempotencyInProgress as refused:
            return refused

    answers = race(6, attempt)
    assert len(runs) == 1
    done = [a for a in answers if isinstance(a, dict)]
    assert done and all(a == {'booking': runs[0]} for a in done)  # the others were told to retry
    # and each operation keeps its own key: the same Idempotency-Key on another operation runs it
    assert idempotency.once(
        'cancel', 'guest-1', 'once', {}, lambda: {'cancelled': True}, LambdaContext('BookingsFunction')
    ) == {'cancelled': True}
