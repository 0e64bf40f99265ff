"""``Idempotency-Key`` support on top of powertools Idempotency (DynamoDB-backed).

The key is scoped to the caller and the operation; the request body is the payload that must
match on a replay (a different body with the same key is refused with 422
``idempotency_key_reused``). A failure is not remembered, so a retry after an error runs again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from common import errors
from common.config import settings
from common.lazy import lazy_import

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from aws_lambda_powertools.utilities.typing import LambdaContext

# powertools' idempotency (and boto3 with it) is imported on the first request that sends an
# Idempotency-Key, not at cold start (one thread imports; concurrent first imports of powertools
# packages can see partially initialised modules).
_idempotency = lazy_import('aws_lambda_powertools.utilities.idempotency')
_exceptions = lazy_import('aws_lambda_powertools.utilities.idempotency.exceptions')


@lru_cache(maxsize=1)
def _store() -> DynamoDBPersistenceLayer:
    import boto3  # the idempotency store is the only boto3 user on the request path

    current = settings()
    client = boto3.client('dynamodb', endpoint_url=current.dynamodb_endpoint_url, region_name=current.aws_region)
    store: DynamoDBPersistenceLayer = _idempotency.DynamoDBPersistenceLayer(
        table_name=current.idempotency_table_name, boto3_client=client
    )
    return store


def reset() -> None:
    """Forget the store's client (tests and the local run re-point DynamoDB)."""
    _store.cache_clear()


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
    config = _idempotency.IdempotencyConfig(
        event_key_jmespath='key',
        payload_validation_jmespath='payload',
        expires_after_seconds=settings().idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )
    if context is not None:
        config.register_lambda_context(context)

    @_idempotency.idempotent_function(
        data_keyword_argument='request', persistence_store=_store(), config=config, key_prefix=operation
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
