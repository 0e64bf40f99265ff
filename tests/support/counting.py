"""Count the AWS calls a piece of code makes, per operation (botocore's client entry point)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.client import BaseClient


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def __getitem__(self, operation: str) -> int:
        return self.calls[operation]


@contextmanager
def count_calls(monkeypatch: pytest.MonkeyPatch, service: str = 'dynamodb') -> Iterator[CallCounter]:
    counter = CallCounter()
    original = BaseClient._make_api_call

    def counted(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == service:
            counter.record(operation_name)
        return original(client, operation_name, api_params)

    with monkeypatch.context() as patch:
        patch.setattr(BaseClient, '_make_api_call', counted)
        yield counter
