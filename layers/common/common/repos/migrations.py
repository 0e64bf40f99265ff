"""Storage of the data migrations (common/migrations): the table scan they walk, their guarded
writes, and each migration's record (``MIGRATION#{id}/STATE``): running or done, the last key of
the scan it finished, counts, and a lease so two runs never work on one migration at once.

Items are read and written raw (the low-level client, typed values converted with boto3's
serializers): a migration meets items of shapes the current models may not accept.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from common import retry
from common.migration import (
    ABSENT,
    Change,
    Item,
    ItemFilter,
    Key,
    MigrationBusy,
    MigrationState,
    PutIfAbsent,
    SetAttributes,
)
from common.repos._dynamo import Table
from common.tables import MigrationItem
from common.timeutil import iso, parse_instant

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer


@functools.cache
def _codec() -> tuple[TypeSerializer, TypeDeserializer]:
    # boto3 (with s3transfer and multiprocessing, ~85 modules) where a migration runs, never at a
    # function's cold start: every function imports common.repos, and so this module.
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def _raw(value: Any) -> dict[str, Any]:
    raw: dict[str, Any] = _codec()[0].serialize(
        int(value) if isinstance(value, Decimal) and value == int(value) else value
    )
    return raw


def _item(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _codec()[1].deserialize(value) for name, value in raw.items()}


class MigrationStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    @property
    def client(self) -> Any:
        return self._table.client()

    @property
    def table(self) -> str:
        return self._table.name

    # ------------------------------------------------------------ the items

    def scan_page(
        self, items: ItemFilter, start: dict[str, Any] | None, limit: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of the items a migration looks at (``limit`` items evaluated), and the key to
        continue from (None: the scan is done). Strongly consistent."""
        request: dict[str, Any] = {
            'TableName': self.table,
            'FilterExpression': items.expression,
            'Limit': limit,
            'ConsistentRead': True,
        }
        if items.values:
            request['ExpressionAttributeValues'] = {k: _raw(v) for k, v in items.values.items()}
        if items.names:
            request['ExpressionAttributeNames'] = dict(items.names)
        if start:
            request['ExclusiveStartKey'] = start
        page = self.client.scan(**request)
        return [_item(raw) for raw in page.get('Items', [])], page.get('LastEvaluatedKey')

    def get(self, key: Key) -> Item | None:
        found = self.client.get_item(
            TableName=self.table, Key={k: _raw(v) for k, v in key.items()}, ConsistentRead=True
        )
        return _item(found['Item']) if 'Item' in found else None

    def query_index(self, index: str, partition: tuple[str, str], sort_prefix: tuple[str, str]) -> list[Item]:
        request: dict[str, Any] = {
            'TableName': self.table,
            'IndexName': index,
            'KeyConditionExpression': '#p = :p AND begins_with(#s, :s)',
            'ExpressionAttributeNames': {'#p': partition[0], '#s': sort_prefix[0]},
            'ExpressionAttributeValues': {':p': _raw(partition[1]), ':s': _raw(sort_prefix[1])},
        }
        found: list[Item] = []
        while True:
            page = self.client.query(**request)
            found.extend(_item(raw) for raw in page.get('Items', []))
            if 'LastEvaluatedKey' not in page:
                return found
            request['ExclusiveStartKey'] = page['LastEvaluatedKey']

    def apply(self, change: Change) -> bool:
        """Write a planned change; False when its guard failed (the item changed or went since it
        was read, or another run made the change first): nothing was written."""
        if isinstance(change, SetAttributes):
            return self._set(change)
        return self._put_if_absent(change)

    def _set(self, change: SetAttributes) -> bool:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets, removes, guards = [], [], ['attribute_exists(pk)']
        for i, (name, value) in enumerate(change.set.items()):
            names[f'#s{i}'], values[f':s{i}'] = name, _raw(value)
            sets.append(f'#s{i} = :s{i}')
        for i, name in enumerate(change.remove):
            names[f'#r{i}'] = name
            removes.append(f'#r{i}')
        for i, (name, value) in enumerate(change.expect.items()):
            names[f'#e{i}'] = name
            if value is ABSENT:
                guards.append(f'attribute_not_exists(#e{i})')
            else:
                values[f':e{i}'] = _raw(value)
                guards.append(f'#e{i} = :e{i}')
        expression = ' '.join(
            part
            for part in (f'SET {", ".join(sets)}' if sets else '', f'REMOVE {", ".join(removes)}' if removes else '')
            if part
        )
        request = {
            'TableName': self.table,
            'Key': {k: _raw(v) for k, v in change.key.items()},
            'UpdateExpression': expression,
            'ConditionExpression': ' AND '.join(guards),
            'ExpressionAttributeNames': names,
        }
        if values:
            request['ExpressionAttributeValues'] = values
        try:
            self.client.update_item(**request)
        except ClientError as exc:
            if exc.response['Error']['Code'] == 'ConditionalCheckFailedException':
                return False
            raise
        return True

    def _put_if_absent(self, change: PutIfAbsent) -> bool:
        request = {
            'TransactItems': [
                {
                    'ConditionCheck': {
                        'TableName': self.table,
                        'Key': {k: _raw(v) for k, v in change.requires.items()},
                        'ConditionExpression': 'attribute_exists(pk)',
                    }
                },
                {
                    'Put': {
                        'TableName': self.table,
                        'Item': {k: _raw(v) for k, v in change.item.items()},
                        'ConditionExpression': 'attribute_not_exists(pk)',
                    }
                },
            ]
        }
        for attempt in range(retry.ATTEMPTS):
            try:
                self.client.transact_write_items(**request)
            except ClientError as exc:
                if exc.response['Error']['Code'] != 'TransactionCanceledException':
                    raise
                codes = [r.get('Code') for r in exc.response.get('CancellationReasons', [])]
                if 'ConditionalCheckFailed' in codes:
                    return False
                if 'TransactionConflict' in codes and attempt < retry.ATTEMPTS - 1:
                    time.sleep(retry.backoff(attempt))
                    continue
                raise
            return True
        raise AssertionError('unreachable')

    # ------------------------------------------------------------ each migration's record

    def state(self, migration_id: str) -> MigrationState | None:
        try:
            item = MigrationItem.get(*MigrationItem.key(migration_id), consistent_read=True)
        except MigrationItem.DoesNotExist:
            return None
        return MigrationState(
            migration_id=migration_id,
            status=item.status,
            last_key=json.loads(item.last_key) if item.last_key else None,
            examined=int(item.examined or 0),
            changed=int(item.changed or 0),
            started_at=parse_instant(item.started_at),
            finished_at=parse_instant(item.finished_at) if item.finished_at else None,
        )

    def claim(self, migration_id: str, owner: str, now: datetime, lease: timedelta) -> MigrationState:
        """Take the migration's lease (free, lapsed, or already ours); MigrationBusy if another run
        holds it. Creates the record on the first run."""
        record = MigrationItem(*MigrationItem.key(migration_id))
        free = (
            MigrationItem.lease_owner.does_not_exist()
            | (MigrationItem.lease_until < iso(now))
            | (MigrationItem.lease_owner == owner)
        )
        try:
            record.update(
                actions=[
                    MigrationItem.status.set(MigrationItem.status | 'running'),
                    MigrationItem.started_at.set(MigrationItem.started_at | iso(now)),
                    MigrationItem.examined.set(MigrationItem.examined | 0),
                    MigrationItem.changed.set(MigrationItem.changed | 0),
                    MigrationItem.updated_at.set(iso(now)),
                    MigrationItem.lease_owner.set(owner),
                    MigrationItem.lease_until.set(iso(now + lease)),
                ],
                condition=free,
            )
        except UpdateError as exc:
            if exc.cause_response_code == 'ConditionalCheckFailedException':
                held = MigrationItem.get(*MigrationItem.key(migration_id), consistent_read=True)
                raise MigrationBusy(
                    f'Migration {migration_id} is being run by {held.lease_owner} until {held.lease_until}'
                ) from None
            raise
        state = self.state(migration_id)
        assert state is not None
        return state

    def save(self, state: MigrationState, owner: str, now: datetime, lease: timedelta, *, done: bool = False) -> None:
        """Record progress (and renew the lease), or the end of the migration (and free the lease);
        MigrationBusy if the lease was lost to another run meanwhile."""
        actions: list[Action] = [
            MigrationItem.last_key.set(json.dumps(state.last_key, sort_keys=True))
            if state.last_key
            else MigrationItem.last_key.remove(),
            MigrationItem.examined.set(state.examined),
            MigrationItem.changed.set(state.changed),
            MigrationItem.updated_at.set(iso(now)),
        ]
        if done:
            actions += [
                MigrationItem.status.set('done'),
                MigrationItem.finished_at.set(iso(now)),
                MigrationItem.lease_owner.remove(),
                MigrationItem.lease_until.remove(),
            ]
        else:
            actions.append(MigrationItem.lease_until.set(iso(now + lease)))
        try:
            MigrationItem(*MigrationItem.key(state.migration_id)).update(
                actions=actions, condition=MigrationItem.lease_owner == owner
            )
        except UpdateError as exc:
            if exc.cause_response_code == 'ConditionalCheckFailedException':
                raise MigrationBusy(f'Migration {state.migration_id}: the lease was taken by another run') from None
            raise

    def release(self, migration_id: str, owner: str) -> None:
        """Free the lease if it is still ours (a run that stops early lets the next start at once)."""
        try:
            MigrationItem(*MigrationItem.key(migration_id)).update(
                actions=[MigrationItem.lease_owner.remove(), MigrationItem.lease_until.remove()],
                condition=MigrationItem.lease_owner == owner,
            )
        except (UpdateError, PutError) as exc:
            if exc.cause_response_code != 'ConditionalCheckFailedException':
                raise
