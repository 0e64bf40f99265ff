"""The search view converges to the inventory through the table's stream (ministack: moto has no
DescribeStream), after holds, a cancellation, an expiry, an admin allotment change and a room
type's deletion; search then answers from it what the per-type path answers.

One test, a few seconds: the aggregation itself is tested pure (tests/unit/services/test_search_view.py).
"""

from __future__ import annotations

from datetime import date, timedelta

import boto3
import pytest
import time_machine

from common.config import settings
from common.domain import Role
from common.services import search, search_view
from local import sweeper
from local.gateway import LambdaContext
from local.streams import StreamTail, lambda_event
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps

pytestmark = [pytest.mark.ministack]


def test_the_view_follows_holds_cancels_expiries_admin_changes_and_deletions(api: Api, on_ministack):
    from functions.search_view import app as consumer

    table = boto3.client('dynamodb', endpoint_url=on_ministack).describe_table(TableName=settings().table_name)
    tail = StreamTail(boto3.client('dynamodbstreams', endpoint_url=on_ministack), table['Table']['LatestStreamArn'])

    def drain() -> None:
        records = [r for r in tail.poll() if r['dynamodb']['Keys']['pk']['S'].startswith('INV#')]
        assert consumer.lambda_handler(lambda_event(records), LambdaContext('SearchViewFunction')) == {
            'batchItemFailures': []
        }

    hotel = factories.hotel()
    kept = factories.room_type(hotel, total_rooms=3, open_days=12)
    gone = factories.room_type(hotel, total_rooms=2, open_days=12)
    check_in, check_out = factories.stay(days_ahead=3, nights=2)
    admin = factories.token('admin-1', Role.ADMIN)
    cancelled = api.hold(kept.id, check_in, check_out, token=factories.token('guest-2')).json
    api.post(f'/api/bookings/{cancelled["id"]}/cancel', token=factories.token('guest-2'))
    expiring = api.hold(gone.id, check_in, check_out, token=factories.token('guest-3')).json
    drain()  # a first batch, then more changes on top of what it wrote
    with time_machine.travel(factories.after_expiry(expiring)):
        assert sweeper.invoke()['expired'] == 1
    first = api.hold(kept.id, check_in, check_out, token=factories.token('guest-1')).json
    start = date.fromisoformat(check_in)
    body = {'start_date': start.isoformat(), 'end_date': (start + timedelta(days=1)).isoformat(), 'allotment': 5}
    assert api.request('PUT', f'/api/admin/room-types/{kept.id}/inventory', body, token=admin).status == 200
    assert api.delete(f'/api/admin/room-types/{gone.id}', token=admin).status == 204
    drain()

    end = start + timedelta(days=12)
    stored = [(hotel.id, n) for n in deps().inventory.nights(kept.id, start - timedelta(days=5), end)]
    expected = search_view.fresh(stored, lambda _: hotel.city)
    assert sorted(deps().view.read(hotel.city, start - timedelta(days=5), end), key=lambda n: n.date) == [
        n for key in sorted(expected, key=lambda k: k.night) for n in expected[key].values()
    ]
    night = deps().view.read(hotel.city, start, start + timedelta(days=1))
    assert [(n.room_type_id, n.allotment, n.available) for n in night] == [(kept.id, 5, 4)]  # one hold kept
    assert first['status'] == 'PENDING'

    query = search.SearchQuery(check_in=start, check_out=date.fromisoformat(check_out), city=hotel.city)
    now = deps().clock()
    viewed, per_type = search.search(deps(), query, now), search.search_per_type(deps(), query, now)
    assert [(r.room_type.id, r.available_rooms) for r in viewed.results] == [(kept.id, 2)]
    assert [(r.room_type.id, r.available_rooms) for r in per_type.results] == [(kept.id, 2)]
