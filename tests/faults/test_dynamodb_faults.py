"""DynamoDB overloaded or racing: throttling and TransactionConflict injected at the SDK boundary
(botocore's ``before-send``) on the booking, cancel and sweeper paths, through the real handlers
against moto. The outcome is always either done (retried with jittered back-off) or a 503 with
Retry-After and nothing half-written; the auditor checks the books after each test.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from common import errors
from common.domain import BookingStatus
from tests.support import factories
from tests.support.api import Api
from tests.support.deps import deps
from tests.support.faults import DynamoFaults, throughput_exceeded, touches
from tests.support.fixtures import assert_books_balance
from tests.support.journeys import run_sweeper

pytestmark = pytest.mark.usefixtures('aws')

ROOT = Path(__file__).resolve().parents[2]
SDK_ATTEMPTS = 3  # botocore standard mode: the call and 2 retries (tables._Meta.max_retry_attempts)
CONFLICT_ATTEMPTS = 4  # repos._with_retries


@pytest.fixture
def room():
    return factories.room_type(factories.hotel(), total_rooms=3, open_days=20)


def hold(api: Api, room, token: str, nights: int = 2):
    check_in, check_out = factories.stay(days_ahead=12, nights=nights)
    return api.hold(room.id, check_in, check_out, token=token)


def available(room) -> list[int]:
    check_in, check_out = factories.stay(days_ahead=12, nights=2)
    nights = deps().inventory.nights(
        room.id, datetime.fromisoformat(check_in).date(), datetime.fromisoformat(check_out).date(), consistent=True
    )
    return [n.available for n in nights]


def bookings_in_table() -> int:
    return len(list(deps().bookings.scan()))


# ---------------------------------------------------------------- holding rooms


@pytest.mark.parametrize('code', ['ThrottlingException', 'ProvisionedThroughputExceededException'])
def test_a_throttled_hold_is_retried_by_the_sdk_with_jittered_backoff(
    api: Api, room, dynamo_faults: DynamoFaults, code: str
):
    # Given DynamoDB throttles the hold's transaction twice
    dynamo_faults.fail('TransactWriteItems', code, times=2)
    # When a guest books
    reply = hold(api, room, factories.token())
    # Then botocore retried (waits drawn at random below 1 s, then 2 s) and the third attempt held the rooms
    assert reply.status == 201, reply.json
    assert dynamo_faults.count('TransactWriteItems') == 3
    assert len(dynamo_faults.sdk_backoff) == 2
    assert 0 <= dynamo_faults.sdk_backoff[0] <= 1 and 0 <= dynamo_faults.sdk_backoff[1] <= 2
    assert available(room) == [2, 2]
    assert_books_balance()


def test_a_hold_throttled_past_the_retries_answers_503_and_holds_nothing(api: Api, room, dynamo_faults: DynamoFaults):
    # Given the room type's partition stays throttled
    dynamo_faults.fail('TransactWriteItems', lambda body: throughput_exceeded('TransactWriteItems'))
    # When a guest books
    reply = hold(api, room, factories.token())
    # Then a clear 503 with Retry-After, after the SDK's attempts only (no retries piled on top)
    assert (reply.status, reply.code) == (503, 'service_unavailable')
    assert int(reply.header('Retry-After')) > 0
    assert reply.header('Content-Type') == 'application/problem+json'
    assert dynamo_faults.count('TransactWriteItems') == SDK_ATTEMPTS
    # And nothing is half-written: no booking, every night's rooms still on sale
    assert bookings_in_table() == 0
    assert available(room) == [3, 3]
    assert_books_balance()


def test_a_transaction_conflict_on_a_hold_is_retried_with_full_jitter(api: Api, room, dynamo_faults: DynamoFaults):
    # Given another transaction touches a night at the same instant, twice
    dynamo_faults.conflict(times=2)
    reply = hold(api, room, factories.token())
    # Then we retried (botocore never retries a cancelled transaction) after waits drawn at random
    # below 25 ms, then 50 ms, and the rooms are held once
    assert reply.status == 201, reply.json
    assert dynamo_faults.count('TransactWriteItems') == 3
    assert len(dynamo_faults.conflict_backoff) == 2
    assert 0 <= dynamo_faults.conflict_backoff[0] <= 0.025 and 0 <= dynamo_faults.conflict_backoff[1] <= 0.05
    assert bookings_in_table() == 1
    assert available(room) == [2, 2]
    assert_books_balance()


def test_a_hold_that_keeps_conflicting_answers_503_and_holds_nothing(api: Api, room, dynamo_faults: DynamoFaults):
    dynamo_faults.conflict()
    reply = hold(api, room, factories.token())
    assert (reply.status, reply.code) == (503, 'service_unavailable')
    assert reply.header('Retry-After')
    assert dynamo_faults.count('TransactWriteItems') == CONFLICT_ATTEMPTS
    assert bookings_in_table() == 0
    assert available(room) == [3, 3]
    assert_books_balance()


def test_a_hold_whose_answer_was_lost_is_retried_and_holds_the_rooms_once(api: Api, room, dynamo_faults: DynamoFaults):
    # Given DynamoDB applies the hold but its answer never arrives, so the SDK sends it again
    dynamo_faults.lose_answer('TransactWriteItems')
    reply = hold(api, room, factories.token())
    # Then the guest gets the booking (the retry finds its own booking already written), held once
    assert reply.status == 201, reply.json
    assert dynamo_faults.count('TransactWriteItems') == 2
    assert deps().bookings.get(reply.json['id']).status is BookingStatus.PENDING
    assert bookings_in_table() == 1
    assert available(room) == [2, 2]
    assert_books_balance()


def test_throttled_reads_answer_503_with_retry_after(api: Api, room, dynamo_faults: DynamoFaults):
    check_in, check_out = factories.stay(days_ahead=12, nights=2)
    dynamo_faults.fail('Query', 'ThrottlingException')
    reply = api.get('/api/rooms/search', query={'check_in': check_in, 'check_out': check_out, 'guests': 1})
    assert (reply.status, reply.code) == (503, 'service_unavailable')
    assert reply.header('Retry-After')


# ---------------------------------------------------------------- releasing rooms


def test_a_cancel_throttled_past_the_retries_changes_nothing_and_a_retry_completes_it(
    api: Api, room, dynamo_faults: DynamoFaults
):
    token = factories.token('guest')
    booking = hold(api, room, token).json
    # Given the release transaction is throttled
    rule = dynamo_faults.fail('TransactWriteItems', 'ThrottlingException')
    failed = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    # Then 503; the booking is still PENDING and still holds its rooms (both or neither moved)
    assert (failed.status, failed.code) == (503, 'service_unavailable')
    assert failed.header('Retry-After')
    assert deps().bookings.get(booking['id']).status is BookingStatus.PENDING
    assert available(room) == [2, 2]
    assert_books_balance()
    # When DynamoDB recovers and the guest retries
    dynamo_faults.rules.remove(rule)
    retried = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert retried.status == 200, retried.json
    assert retried.json['status'] == 'CANCELLED'
    assert available(room) == [3, 3]
    assert_books_balance()


def test_a_cancel_that_conflicts_once_is_retried_and_releases_the_rooms_once(
    api: Api, room, dynamo_faults: DynamoFaults
):
    token = factories.token('guest')
    booking = hold(api, room, token).json
    dynamo_faults.conflict(times=1, when=touches('BOOKING#'))
    reply = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    assert reply.status == 200, reply.json
    assert len(dynamo_faults.conflict_backoff) == 1
    assert available(room) == [3, 3]
    assert_books_balance()


def test_a_cancel_whose_answer_was_lost_still_answers_cancelled(api: Api, room, dynamo_faults: DynamoFaults):
    # Given the release is applied but its answer is lost: the SDK's retry fails the status guard
    token = factories.token('guest')
    booking = hold(api, room, token).json
    dynamo_faults.lose_answer('TransactWriteItems')
    reply = api.post(f'/api/bookings/{booking["id"]}/cancel', token=token)
    # Then the service reads the booking again and answers what happened: CANCELLED, released once
    assert reply.status == 200, reply.json
    assert reply.json['status'] == 'CANCELLED'
    assert available(room) == [3, 3]
    assert_books_balance()


# ---------------------------------------------------------------- the sweeper


def test_a_throttled_sweep_leaves_the_hold_whole_and_the_next_run_expires_it(
    api: Api, room, dynamo_faults: DynamoFaults
):
    token = factories.token('guest')
    booking = hold(api, room, token).json
    after_expiry = factories.after_expiry(booking)
    rule = dynamo_faults.fail('TransactWriteItems', 'ProvisionedThroughputExceededException')
    with time_machine.travel(after_expiry, tick=False):
        throttled = run_sweeper()
    # Then this run reports the failure and changes nothing
    assert (throttled['expired'], throttled['failed']) == (0, 1)
    assert deps().bookings.get(booking['id']).status is BookingStatus.PENDING
    assert available(room) == [2, 2]
    assert_books_balance()
    # When the next run finds DynamoDB well, the hold expires and the rooms are back on sale
    dynamo_faults.rules.remove(rule)
    with time_machine.travel(after_expiry + timedelta(minutes=1), tick=False):
        recovered = run_sweeper()
    assert (recovered['expired'], recovered['failed']) == (1, 0)
    assert deps().bookings.get(booking['id']).status is BookingStatus.EXPIRED
    assert available(room) == [3, 3]
    assert_books_balance()


def test_a_sweep_that_conflicts_with_a_guest_retries_and_expires_the_hold_once(
    api: Api, room, dynamo_faults: DynamoFaults
):
    booking = hold(api, room, factories.token('guest')).json
    dynamo_faults.conflict(times=2)
    with time_machine.travel(factories.after_expiry(booking), tick=False):
        summary = run_sweeper()
    assert (summary['expired'], summary['failed']) == (1, 0)
    assert len(dynamo_faults.conflict_backoff) == 2
    assert available(room) == [3, 3]
    assert_books_balance()


def test_a_sweep_whose_index_query_is_throttled_fails_and_the_next_run_does_the_work(
    api: Api, room, dynamo_faults: DynamoFaults
):
    booking = hold(api, room, factories.token('guest')).json
    after_expiry = factories.after_expiry(booking)
    rule = dynamo_faults.fail('Query', 'ThrottlingException')
    # The run fails as a whole (the Lambda error goes to the on-failure queue and its alarm)
    with time_machine.travel(after_expiry, tick=False), pytest.raises(errors.ServiceUnavailable):
        run_sweeper()
    assert deps().bookings.get(booking['id']).status is BookingStatus.PENDING
    dynamo_faults.rules.remove(rule)
    with time_machine.travel(after_expiry + timedelta(minutes=1), tick=False):
        assert run_sweeper()['expired'] == 1
    assert available(room) == [3, 3]
    assert_books_balance()
