"""moto's DynamoDB transactions, one table snapshot each instead of one per item.

moto 5.2's ``transact_write_items`` deep-copies the whole table once per item of the transaction
(to roll back on a cancelled transaction), all before it writes anything: a 100-night transaction
on a table with a few hundred nights copied tens of thousands of items, seconds per transaction.
Every copy is of the same, untouched table, so handing out the first copy again is exactly what
moto meant; the rollback keeps its snapshot. Tests only (moto is not in the Lambda package).
"""

from __future__ import annotations

import copy as _copy
import threading
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.table import Table

_local = threading.local()


class _CopyOncePerTransaction:
    """Stands in for the ``copy`` module inside moto.dynamodb.models."""

    @staticmethod
    def deepcopy(obj: Any, memo: dict[int, Any] | None = None) -> Any:
        snapshots: dict[int, Any] | None = getattr(_local, 'snapshots', None)
        if snapshots is None or not isinstance(obj, Table):
            return _copy.deepcopy(obj, memo)
        if id(obj) not in snapshots:
            snapshots[id(obj)] = _copy.deepcopy(obj, memo)
        return snapshots[id(obj)]


def install() -> None:
    """Idempotent."""
    backend = dynamodb_models.DynamoDBBackend
    original = backend.transact_write_items
    if getattr(original, 'snapshots_once', False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _local.snapshots = {}
        try:
            original(self, transact_items)
        finally:
            _local.snapshots = None

    transact_write_items.snapshots_once = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    dynamodb_models.copy = _CopyOncePerTransaction  # type: ignore[assignment]
