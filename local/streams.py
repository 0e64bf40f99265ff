"""Tail a DynamoDB stream and hand its records to a handler, as Lambda's event source mapping
does (used by the local run for the publisher, and by tests)."""

from __future__ import annotations

from typing import Any


class StreamTail:
    def __init__(self, streams_client: Any, stream_arn: str, iterator_type: str = 'TRIM_HORIZON') -> None:
        self.client = streams_client
        self.stream_arn = stream_arn
        self.iterator_type = iterator_type  # LATEST: only what is written from now on (a benchmark)
        self._iterators: dict[str, str | None] = {}

    def _discover(self) -> None:
        description = self.client.describe_stream(StreamArn=self.stream_arn)['StreamDescription']
        for shard in description.get('Shards', []):
            shard_id = shard['ShardId']
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self.client.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=self.iterator_type
                )['ShardIterator']

    def poll(self) -> list[dict[str, Any]]:
        """New records since the last poll, in order per shard."""
        self._discover()
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            answer = self.client.get_records(ShardIterator=iterator, Limit=1000)
            for record in answer.get('Records', []):
                records.append({**record, 'eventSourceARN': self.stream_arn})
            self._iterators[shard_id] = answer.get('NextShardIterator')
        return records


def lambda_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {'Records': records}
