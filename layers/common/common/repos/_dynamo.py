"""The plumbing every repository shares, and only repositories: retries with jitter, storage
errors translated into domain errors, guarded single-item writes, transactions and cursors.

Translation rules: ``DoesNotExist`` -> ``NotFound``; a guard that did not hold -> ``False`` from
the ``*_if`` writes (the repository says what that means: ``SoldOut``, ``InvalidState``...);
throttling, DynamoDB 5xx or transaction conflicts that outlast the retries ->
``ServiceUnavailable`` (503 with Retry-After).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar, cast

from pynamodb.connection import Connection
from pynamodb.exceptions import (
    DeleteError,
    DoesNotExist,
    GetError,
    PutError,
    PynamoDBException,
    QueryError,
    ScanError,
    TransactWriteError,
    UpdateError,
)
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from common import errors, retry, tables
from common.domain import TRANSACTION_ITEM_LIMIT

T = TypeVar('T')

_TRANSIENT_CODES = frozenset(
    {
        'ProvisionedThroughputExceededException',
        'ThrottlingException',
        'RequestLimitExceeded',
        'TransactionInProgressException',
        'InternalServerError',
        'ServiceUnavailable',
    }
)

_sleep = time.sleep  # tests replace it to record the back-off instead of waiting


def transient(exc: PynamoDBException) -> bool:
    """Throttling, a DynamoDB 5xx, or a transaction conflict: nothing was decided, a retry may work."""
    return exc.cause_response_code in _TRANSIENT_CODES or conflict(exc)


def conflict(exc: PynamoDBException) -> bool:
    """Another transaction touched one of our items at the same instant (TransactionConflict)."""
    if isinstance(exc, TransactWriteError):
        return any(r is not None and r.code == 'TransactionConflict' for r in exc.cancellation_reasons)
    return False


def conditional_failed(exc: PynamoDBException) -> bool:
    """A single-item write whose condition did not hold: nothing was written."""
    return exc.cause_response_code == 'ConditionalCheckFailedException'


def failed_guards(exc: TransactWriteError) -> list[int]:
    """The indexes of the transaction's items whose condition did not hold."""
    return [i for i, r in enumerate(exc.cancellation_reasons) if r is not None and r.code == 'ConditionalCheckFailed']


def with_retries(call: Callable[[], T]) -> T:
    """Run a DynamoDB call; retry transaction conflicts here, with full jitter, and report what
    still fails for a transient reason as 503 (``ServiceUnavailable``, with Retry-After).

    Throttling and DynamoDB 5xx are NOT retried here: botocore already retried them with its
    own jittered back-off (``tables._Meta.max_retry_attempts``). Retrying again on top would
    multiply the attempts (and the time, past the Lambda timeout) under the very overload that
    caused them. A transaction conflict is never retried by botocore: another transaction
    touched the same item at the same instant and nothing was written, so trying again is safe.
    """
    for attempt in range(retry.ATTEMPTS):
        try:
            return call()
        except PynamoDBException as exc:
            if conflict(exc) and attempt < retry.ATTEMPTS - 1:
                _sleep(retry.backoff(attempt))
                continue
            if transient(exc):
                raise errors.ServiceUnavailable('The database is busy; retry shortly') from exc
            raise
    raise AssertionError('unreachable')


def strings(values: Iterable[object] | None) -> tuple[str, ...]:
    """A ListAttribute of UnicodeAttribute as strings (PynamoDB types its elements as the
    attribute class; they are the stored values)."""
    return tuple(str(v) for v in values or ())


def numbers(values: Iterable[object] | None) -> tuple[int, ...]:
    """A ListAttribute of NumberAttribute as ints (see ``strings``)."""
    return tuple(int(cast(float, v)) for v in values or ())


def chunks(items: Sequence[T], size: int = TRANSACTION_ITEM_LIMIT) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class Table:
    """The application table as every repository uses it: the PynamoDB models bound to it (by
    ``tables.configure``, from the composition root) and the connection transactions go through."""

    def connection(self) -> Connection:
        return tables.BookingItem._get_connection().connection

    @property
    def name(self) -> str:
        return str(tables.BookingItem.Meta.table_name)

    def client(self) -> Any:
        """The low-level botocore client (for raw items: the data migrations)."""
        return self.connection().client

    def get(self, model: type[Model], key: tuple[str, str], what: str, *, consistent: bool = False) -> Any:
        """One item; ``NotFound`` (``{what} not found``) when there is none."""
        try:
            return with_retries(lambda: model.get(*key, consistent_read=consistent))
        except DoesNotExist:
            raise errors.NotFound(f'{what} not found') from None
        except GetError as exc:
            raise errors.ServiceUnavailable() from exc

    def exists(self, model: type[Model], key: tuple[str, str], *, consistent: bool = False) -> bool:
        try:
            self.get(model, key, 'Item', consistent=consistent)
        except errors.NotFound:
            return False
        return True

    def read(self, results: Iterable[T]) -> list[T]:
        """Run a query or scan to the end (PynamoDB reads lazily); transient failures are 503."""
        try:
            return list(results)
        except (QueryError, ScanError) as exc:
            if transient(exc):
                raise errors.ServiceUnavailable() from exc
            raise

    def stream(self, results: Iterable[T]) -> Iterator[T]:
        """A query or scan read lazily, page by page (a caller may stop early); transient failures
        are 503."""
        try:
            yield from results
        except (QueryError, ScanError) as exc:
            if transient(exc):
                raise errors.ServiceUnavailable() from exc
            raise

    def save_if(self, item: Model, condition: Any) -> bool:
        """Put ``item`` if ``condition`` holds; False (nothing written) when it does not."""
        try:
            with_retries(lambda: item.save(condition=condition))
        except PutError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def update_if(self, item: Model, actions: list[Any], condition: Any) -> bool:
        """Update ``item`` if ``condition`` holds; False (nothing written) when it does not.
        On success ``item`` holds the stored attributes after the update."""
        try:
            with_retries(lambda: item.update(actions=actions, condition=condition))
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def delete_if(self, item: Model, condition: Any) -> bool:
        try:
            with_retries(lambda: item.delete(condition=condition))
        except DeleteError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def transact(self, build: Callable[[TransactWrite], object], token: str | None = None) -> None:
        """One TransactWriteItems built by ``build``, retried on transaction conflicts. With a
        ``token`` (the ClientRequestToken; ``new_token()`` for a fresh one) a retry of a call whose
        answer was lost is not applied twice. Raises ``TransactWriteError`` when a guard fails
        (see ``failed_guards``)."""

        def write() -> None:
            with TransactWrite(connection=self.connection(), client_request_token=token) as tx:
                build(tx)

        with_retries(write)


def new_token() -> str:
    return uuid.uuid4().hex


# ---------------------------------------------------------------- cursors


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    return _encode(last_evaluated_key)


def _encode(value: object) -> str:
    raw = json.dumps(value, separators=(',', ':'), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip('=')


def _decode(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise errors.InvalidCursor() from None


def _string_key(key: object, allowed: set[str] | None = None) -> bool:
    return (
        isinstance(key, dict)
        and (allowed is None or set(key) <= allowed)
        and all(isinstance(v, dict) and set(v) == {'S'} and isinstance(v['S'], str) for v in key.values())
    )


def decode_cursor(cursor: str | None, partition_attr: str, partition_value: str) -> dict[str, Any] | None:
    """A client's cursor, checked to belong to the same listing (a forged one cannot page
    through someone else's partition)."""
    if not cursor:
        return None
    key = _decode(cursor)
    if not isinstance(key, dict) or key.get(partition_attr) != {'S': partition_value}:
        raise errors.InvalidCursor()
    if not _string_key(key):
        raise errors.InvalidCursor()
    return key


def encode_month_cursor(month: str, after: str) -> str:
    """A cursor over several month partitions (of one or many hotels): the month and the sort key
    of the last item returned, so the next page reads after it in every partition of the month."""
    return _encode({'m': month, 'a': after})


def decode_month_cursor(cursor: str, months: list[str]) -> tuple[int, str]:
    """The index of the cursor's month in ``months`` and the sort key to continue after, which
    must belong to that month (``YYYY-MM-DD#...``)."""
    decoded = _decode(cursor)
    if not isinstance(decoded, dict) or decoded.get('m') not in months:
        raise errors.InvalidCursor('The cursor does not belong to this date range')
    after = decoded.get('a')
    if not isinstance(after, str) or not after.startswith(f'{decoded["m"]}-') or set(decoded) != {'m', 'a'}:
        raise errors.InvalidCursor()
    return months.index(decoded['m']), after
