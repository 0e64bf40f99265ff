"""``Idempotency-Key`` support on top of powertools Idempotency (DynamoDB-backed).

The key is scoped to the caller and the operation; the request body is the payload that must
match on a replay (a different body with the same key is refused with 422
``idempotency_key_reused``). A failure is not remembered, so a retry after an error runs again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from common import errors
from common.config import settings
from common.lazy import lazy_import

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

# powertools' idempotency (and boto3 with it) is imported on the first request that sends an
# Idempotency-Key, not at cold start (one thread imports; concurrent first imports of powertools
# packages can see partially initialised modules).
_idempotency = lazy_import('aws_lambda_powertools.utilities.idempotency')
_exceptions = lazy_import('aws_lambda_powertools.utilities.idempotency.exceptions')


_stores: dict[str, DynamoDBPersistenceLayer] = {}
_stores_lock = threading.Lock()


def _config(context: LambdaContext | None) -> IdempotencyConfig:
    config: IdempotencyConfig = _idempotency.IdempotencyConfig(
        event_key_jmespath='key',
        payload_validation_jmespath='payload',
        expires_after_seconds=settings().idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )
    if context is not None:
        config.register_lambda_context(context)
    return config


def _store(operation: str) -> DynamoDBPersistenceLayer:
    """The operation's store, configured before any request uses it.

    powertools configures a store on its first use and marks it configured before it sets the
    key's JMESPath: a second thread using the store in that moment hashes the same key another
    way (a second hold for one Idempotency-Key, seen in the local gateway, which runs concurrent
    invocations as threads of one process), and each use renames the store's key prefix, which
    concurrent operations sharing one store would swap. One store per operation, configured once
    under a lock, has neither problem; in Lambda (one invocation at a time) nothing changes."""
    with _stores_lock:
        found = _stores.get(operation)
        if found is None:
            import boto3  # the idempotency store is the only boto3 user on the request path

            current = settings()
            client = boto3.client(
                'dynamodb', endpoint_url=current.dynamodb_endpoint_url, region_name=current.aws_region
            )
            found = _idempotency.DynamoDBPersistenceLayer(
                table_name=current.idempotency_table_name, boto3_client=client
            )
            found.configure(_config(None), key_prefix=operation)
            _stores[operation] = found
        return found


def reset() -> None:
    """Forget the stores and their client (tests and the local run re-point DynamoDB)."""
    with _stores_lock:
        _stores.clear()


def once(
    operation: str,
    caller: str,
    key: str | None,
    payload: dict[str, Any],
    compute: Callable[[], dict[str, Any]],
    context: LambdaContext | None,
) -> dict[str, Any]:
    """Run ``compute`` once per (operation, caller, key); replays get the first result."""
    if key is None:
        return compute()
    config = _config(context)

    @_idempotency.idempotent_function(
        data_keyword_argument='request', persistence_store=_store(operation), config=config, key_prefix=operation
    )
    def run(request: dict[str, Any]) -> dict[str, Any]:
        return compute()

    try:
        result: dict[str, Any] = run(request={'key': f'{caller}:{key}', 'payload': payload})
        return result
    except _exceptions.IdempotencyValidationError:
        raise errors.IdempotencyKeyReused() from None
    except _exceptions.IdempotencyAlreadyInProgressError:
        raise errors.IdempotencyInProgress() from None
