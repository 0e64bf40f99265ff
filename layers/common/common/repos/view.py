"""The search view (issue 17, docs/search-view.md): one item per city, night and hotel shard, each
room type of the shard one attribute ``r:{room_type_id}`` = ``"{available}:{allotment}:{stop_sell}"``.

Attributes named by room type do not fit a PynamoDB model, so this repository speaks to the
botocore client the models share (same connection pool, same retries). Reads are ONE Query of the
city's partition over the stay's key range (more only past DynamoDB's 1 MB page). Writes are one
UpdateItem per view item, ``SET`` of absolute values and ``REMOVE`` of deleted room types: two
writers setting different room types of the same item never clash, and a replay writes the same
values again.

Also here: the stream record of an inventory night, read into an ``InventoryChange`` (the stream's
raw image format is storage detail, like the items themselves).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from botocore.exceptions import ClientError

from common import errors, retry
from common.domain import InventoryNight
from common.ports import InventoryChange, ViewKey
from common.repos._dynamo import _TRANSIENT_CODES, Table
from common.tables import AvailabilityViewKeys, InventoryItem
from common.timeutil import parse_date

Keys = AvailabilityViewKeys
# UpdateExpression is at most 4 KB: ``#aNN = :vNN, `` is at most 14 characters, so 100 cells (plus
# the TTL) stay well inside it (moto's expression parser recurses past about 150). A bigger change
# of one item is several UpdateItems; a batch rarely changes 100 room types of one hotel shard.
CELLS_PER_UPDATE = 100


def encode_cell(night: InventoryNight) -> str:
    return f'{night.available}:{night.allotment}:{int(night.stop_sell)}'


def decode_cell(room_type_id: str, day: date, value: str) -> InventoryNight:
    available, allotment, stop_sell = value.split(':')
    return InventoryNight(room_type_id, day, int(allotment), int(available), stop_sell == '1')


def _cells(item: Mapping[str, Any]) -> list[InventoryNight]:
    day = parse_date(item['sk']['S'].partition('#')[0])
    prefix = len(Keys.CELL_PREFIX)
    return [
        decode_cell(name[prefix:], day, value['S'])
        for name, value in item.items()
        if name.startswith(Keys.CELL_PREFIX) and 'S' in value
    ]


def _unavailable(exc: ClientError) -> bool:
    return exc.response.get('Error', {}).get('Code') in _TRANSIENT_CODES


class AvailabilityViewRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def read(self, city: str, start: date, end: date) -> list[InventoryNight]:
        if end <= start:
            return []
        last = (end - timedelta(days=1)).isoformat()
        params: dict[str, Any] = {
            'TableName': self._table.name,
            'KeyConditionExpression': 'pk = :pk AND sk BETWEEN :from AND :to',
            'ExpressionAttributeValues': {
                ':pk': {'S': Keys.partition(city)},
                ':from': {'S': start.isoformat()},
                ':to': {'S': f'{last}#~'},
            },
        }
        found: list[InventoryNight] = []
        client = self._table.client()
        while True:
            try:
                answer = client.query(**params)
            except ClientError as exc:
                if _unavailable(exc):
                    raise errors.ServiceUnavailable() from exc
                raise
            for item in answer.get('Items', []):
                found.extend(_cells(item))
            if 'LastEvaluatedKey' not in answer:
                return found
            params['ExclusiveStartKey'] = answer['LastEvaluatedKey']

    def read_items(self, keys: Sequence[ViewKey]) -> list[InventoryNight]:
        """BatchGetItem of the items (100 a call), eventually consistent; keys DynamoDB leaves
        unprocessed (throttling) are asked again with jittered back-off, then 503."""
        found: list[InventoryNight] = []
        client = self._table.client()
        keys = list(dict.fromkeys(keys))  # DynamoDB refuses a request naming a key twice
        for start in range(0, len(keys), 100):
            wanted: list[dict[str, Any]] = [
                {'pk': {'S': Keys.partition(k.city)}, 'sk': {'S': Keys.sort_key(k.night.isoformat(), k.shard)}}
                for k in keys[start : start + 100]
            ]
            for attempt in range(retry.ATTEMPTS):
                try:
                    answer = client.batch_get_item(RequestItems={self._table.name: {'Keys': wanted}})
                except ClientError as exc:
                    if _unavailable(exc):
                        raise errors.ServiceUnavailable() from exc
                    raise
                for item in answer.get('Responses', {}).get(self._table.name, []):
                    found.extend(_cells(item))
                wanted = answer.get('UnprocessedKeys', {}).get(self._table.name, {}).get('Keys', [])
                if not wanted:
                    break
                time.sleep(retry.backoff(attempt))
            else:
                raise errors.ServiceUnavailable('The database is busy; retry shortly')
        return found

    def write(self, key: ViewKey, cells: Mapping[str, InventoryNight | None], expires_at: int) -> None:
        ordered = sorted(cells.items())
        client = self._table.client()
        for start in range(0, len(ordered), CELLS_PER_UPDATE):
            chunk = ordered[start : start + CELLS_PER_UPDATE]
            names: dict[str, str] = {'#ttl': 'ttl'}
            values: dict[str, Any] = {':ttl': {'N': str(expires_at)}}
            sets, removes = ['#ttl = :ttl'], []
            for i, (room_type_id, night) in enumerate(chunk):
                names[f'#a{i}'] = f'{Keys.CELL_PREFIX}{room_type_id}'
                if night is None:
                    removes.append(f'#a{i}')
                else:
                    values[f':v{i}'] = {'S': encode_cell(night)}
                    sets.append(f'#a{i} = :v{i}')
            expression = 'SET ' + ', '.join(sets) + (' REMOVE ' + ', '.join(removes) if removes else '')
            try:
                client.update_item(
                    TableName=self._table.name,
                    Key={
                        'pk': {'S': Keys.partition(key.city)},
                        'sk': {'S': Keys.sort_key(key.night.isoformat(), key.shard)},
                    },
                    UpdateExpression=expression,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
            except ClientError as exc:
                if _unavailable(exc):
                    raise errors.ServiceUnavailable() from exc
                raise


# ---------------------------------------------------------------- the stream's records


def _image_night(image: Mapping[str, Any]) -> InventoryNight:
    return InventoryNight(
        room_type_id=image['room_type_id']['S'],
        date=parse_date(image['night']['S']),
        allotment=int(image['allotment']['N']),
        available=int(image['available']['N']),
        stop_sell=bool(image.get('stop_sell', {}).get('BOOL', False)),
    )


def inventory_change(record: Mapping[str, Any]) -> InventoryChange | None:
    """The inventory night a stream record (NEW_AND_OLD_IMAGES) leaves; None for any other item."""
    stream = record.get('dynamodb', {})
    pk = stream.get('Keys', {}).get('pk', {}).get('S', '')
    if not pk.startswith(InventoryItem.PREFIX):
        return None
    new, old = stream.get('NewImage'), stream.get('OldImage')
    image = new or old
    if not image or 'hotel_id' not in image:
        return None
    night = _image_night(new) if record.get('eventName') != 'REMOVE' and new else None
    return InventoryChange(
        room_type_id=image['room_type_id']['S'],
        hotel_id=image['hotel_id']['S'],
        date=parse_date(image['night']['S']),
        night=night,
    )


def changes_of(records: Sequence[Mapping[str, Any]]) -> list[tuple[int, InventoryChange]]:
    """The inventory changes of a batch, each with its record's position (for partial failures)."""
    found = []
    for i, record in enumerate(records):
        change = inventory_change(record)
        if change is not None:
            found.append((i, change))
    return found
