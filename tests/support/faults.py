"""Fault injection at the SDK boundaries (DynamoDB, Stripe), and a way to "kill the Lambda".

``DynamoFaults`` answers chosen DynamoDB calls the way the service does when it is overloaded
or loses a race: an HTTP 400 with DynamoDB's JSON error body (``ThrottlingException``,
``ProvisionedThroughputExceededException``, ``TransactionCanceledException`` with a
``TransactionConflict`` reason...). The answer is given in botocore's ``before-send`` event, so
botocore's own retry logic (standard mode, jittered back-off) and ours (``repos._dynamo.with_retries``)
run for real; every call that is not chosen reaches moto or ministack, which keep the data.
``lose_answer`` lets a call through and then makes the SDK send it again, as after a
connection reset: the write happened, its answer never arrived.

Back-off waits are recorded instead of slept (tests never wait on wall-clock time).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import stripe
from botocore.awsrequest import AWSResponse
from botocore.retries import standard
from moto.core.botocore_stubber import BotocoreStubber
from pynamodb.connection.base import Connection
from stripe import _http_client as stripe_http

from common.repos import _dynamo

DYNAMODB_ERROR = 'com.amazonaws.dynamodb.v20120810#'


class SimulatedCrash(BaseException):
    """The Lambda dies (timeout, OOM, SIGKILL): no ``except Exception`` or ``finally`` of ours
    runs its recovery, exactly as in a real crash."""


class _Raw(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def error_response(code: str, message: str, status: int = 400, **extra: Any) -> AWSResponse:
    body = json.dumps({'__type': DYNAMODB_ERROR + code, 'message': message, **extra}).encode()
    headers = {'x-amzn-RequestId': 'fault-injected', 'Content-Type': 'application/x-amz-json-1.0'}
    return AWSResponse('https://dynamodb.us-east-1.amazonaws.com/', status, headers, _Raw(body))


def throttling(operation: str) -> AWSResponse:
    return error_response('ThrottlingException', f'Rate of requests exceeds the allowed throughput ({operation})')


def throughput_exceeded(operation: str) -> AWSResponse:
    return error_response(
        'ProvisionedThroughputExceededException',
        'The level of configured provisioned throughput for the table was exceeded',
    )


def transaction_conflict(items: int, conflicting: int = 1) -> AWSResponse:
    """A TransactWriteItems cancelled because another transaction was touching item ``conflicting``."""
    reasons: list[dict[str, str]] = [{'Code': 'None'} for _ in range(items)]
    reasons[conflicting] = {'Code': 'TransactionConflict', 'Message': 'Transaction is ongoing for the item'}
    return error_response(
        'TransactionCanceledException',
        f'Transaction cancelled, please refer cancellation reasons for specific reasons '
        f'[{", ".join(r["Code"] for r in reasons)}]',
        CancellationReasons=reasons,
    )


@dataclass
class Rule:
    operation: str
    answer: Callable[[dict[str, Any]], AWSResponse]
    times: int | None  # None: every matching call
    when: Callable[[dict[str, Any]], bool]
    hits: int = 0

    def applies(self, operation: str, body: dict[str, Any]) -> bool:
        if operation != self.operation or (self.times is not None and self.hits >= self.times):
            return False
        return self.when(body)


@dataclass
class DynamoFaults:
    rules: list[Rule] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # every DynamoDB call sent, in order
    sdk_backoff: list[float] = field(default_factory=list)  # botocore's waits (throttling, 5xx)
    conflict_backoff: list[float] = field(default_factory=list)  # ours (transaction conflicts)
    lost: list[str] = field(default_factory=list)
    # Requests we answered (moto must not apply them), kept alive: an id() alone is reused once
    # its request is collected, and a later request with that id would reach neither us nor moto.
    answered: dict[int, Any] = field(default_factory=dict)

    def fail(
        self,
        operation: str,
        answer: Callable[[dict[str, Any]], AWSResponse] | str = 'ThrottlingException',
        *,
        times: int | None = None,
        when: Callable[[dict[str, Any]], bool] = lambda body: True,
    ) -> Rule:
        """Answer the next ``times`` (or every) ``operation`` call matching ``when`` with an error."""
        if isinstance(answer, str):
            code = answer
            answer = lambda body: error_response(code, f'{code} injected')  # noqa: E731
        rule = Rule(operation, answer, times, when)
        self.rules.append(rule)
        return rule

    def conflict(
        self,
        operation: str = 'TransactWriteItems',
        *,
        times: int | None = None,
        when: Callable[[dict[str, Any]], bool] = lambda body: True,
    ) -> Rule:
        """TransactionConflict on the call's second item (a night, for holds and releases)."""

        def answer(body: dict[str, Any]) -> AWSResponse:
            items = len(body.get('TransactItems', []))
            return transaction_conflict(items, conflicting=min(1, items - 1))

        return self.fail(operation, answer, times=times, when=when)

    def clear(self) -> None:
        self.rules.clear()

    def count(self, operation: str) -> int:
        return self.calls.count(operation)

    # ------------------------------------------------------------ botocore hooks

    def before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit('.', 1)[-1]
        self.calls.append(operation)
        body = json.loads(request.body or b'{}') if request.body else {}
        for rule in self.rules:
            if rule.applies(operation, body):
                rule.hits += 1
                self.answered[id(request)] = request
                return rule.answer(body)
        return None

    def needs_retry(self, response: Any, event_name: str, **_: Any) -> float | None:
        """Make the SDK send a call again after it succeeded: its answer was "lost"."""
        operation = event_name.rsplit('.', 1)[-1]
        if operation in self.lost and response is not None and response[0].status_code == 200:
            self.lost.remove(operation)
            return 0.0  # retry at once, with the same request (and ClientRequestToken)
        return None

    def lose_answer(self, operation: str) -> None:
        """The next successful ``operation`` is applied by DynamoDB but its answer never arrives;
        the SDK sends the same request again (as after a connection reset)."""
        self.lost.append(operation)


@pytest.fixture
def dynamo_faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoFaults]:
    """Fault injection on the application's DynamoDB clients (moto or ministack behind them)."""
    faults = DynamoFaults()
    original_delay = standard.ExponentialBackoff.delay_amount

    def recorded_delay(self: standard.ExponentialBackoff, context: Any) -> float:
        faults.sdk_backoff.append(original_delay(self, context))
        return 0.0

    monkeypatch.setattr(standard.ExponentialBackoff, 'delay_amount', recorded_delay)
    monkeypatch.setattr(_dynamo, '_sleep', faults.conflict_backoff.append)
    # botocore calls EVERY before-send handler and keeps the first answer: moto's would still
    # apply the write we answered with an error. Let it skip the requests we answered.
    moto_call = BotocoreStubber.__call__

    def moto_unless_answered(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        if faults.answered.get(id(request)) is request:
            return None
        return moto_call(self, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, '__call__', moto_unless_answered)
    # Hook every botocore client PynamoDB uses (one per model's connection), as it is first used.
    hooked: dict[int, Any] = {}
    client_of = Connection.client.fget
    assert client_of is not None

    def hooked_client(connection: Connection) -> Any:
        client = client_of(connection)
        if id(client) not in hooked:
            hooked[id(client)] = client
            client.meta.events.register_first('before-send.dynamodb', faults.before_send)
            client.meta.events.register_first('needs-retry.dynamodb', faults.needs_retry)
        return client

    monkeypatch.setattr(Connection, 'client', property(hooked_client))
    try:
        yield faults
    finally:
        for client in hooked.values():
            client.meta.events.unregister('before-send.dynamodb', faults.before_send)
            client.meta.events.unregister('needs-retry.dynamodb', faults.needs_retry)


def written_keys(body: dict[str, Any]) -> list[str]:
    """Partition keys of the items a call writes (UpdateItem, PutItem, TransactWriteItems)."""
    writes = [next(iter(i.values())) for i in body['TransactItems']] if 'TransactItems' in body else [body]
    return [(w.get('Key') or w.get('Item') or {}).get('pk', {}).get('S', '') for w in writes]


def touches(prefix: str) -> Callable[[dict[str, Any]], bool]:
    """``when=`` filter: the call writes an item whose partition key starts with ``prefix``."""
    return lambda body: any(k.startswith(prefix) for k in written_keys(body))


# ---------------------------------------------------------------- Stripe


# Stripe's paths, as the rules below match them
CREATE = r'/v1/payment_intents'
CONFIRM = r'/v1/payment_intents/[^/]+/confirm'
CANCEL = r'/v1/payment_intents/[^/]+/cancel'
REFUNDS = r'/v1/refunds'


@dataclass
class StripeRule:
    method: str
    path: re.Pattern[str]
    status: int | None  # None: the connection fails (Stripe unreachable)
    applied: bool  # Stripe did the work, then the answer was an error
    times: int | None
    code: str | None = None  # Stripe's error code in the body (``charge_disputed``, ``amount_too_small``)
    when: Callable[[str], bool] = lambda body: True  # on the form-encoded request body
    late: bool = False  # the request reaches Stripe only when the test says (``deliver_late``)
    hits: int = 0

    def applies(self, method: str, path: str, body: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        return method.upper() == self.method and self.path.fullmatch(path) is not None and self.when(body)


@dataclass
class StripeFaults:
    """Stripe failing for chosen requests, at the SDK's HTTP client: the SDK's own retries (and
    their back-off, recorded instead of slept) run, localstripe serves everything else."""

    rules: list[StripeRule] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # 'POST /v1/refunds', in order
    backoff: list[float] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)  # the Idempotency-Key of each call
    # Stripe stores a 5xx under the request's idempotency key and replays it for about a day
    # (localstripe ignores keys): with this on, a key that got a 5xx gets it again.
    replays_5xx: bool = False
    _poisoned: set[str] = field(default_factory=set)
    # Requests that "timed out" on our side but reach Stripe later (``deliver_late``)
    late: list[Callable[[], Any]] = field(default_factory=list)

    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int | None = 500,
        applied: bool = False,
        times: int | None = None,
        code: str | None = None,
        when: Callable[[str], bool] = lambda body: True,
    ) -> StripeRule:
        """``path`` is a regular expression on the URL path (``/v1/payment_intents/[^/]+/cancel``);
        ``when`` chooses by the request's form-encoded body; ``code`` is Stripe's error code (a 4xx
        ``invalid_request_error`` when given)."""
        rule = StripeRule(method.upper(), re.compile(path), status, applied, times, code, when)
        self.rules.append(rule)
        return rule

    def time_out_then_arrive(self, method: str, path: str, *, times: int | None = 1) -> StripeRule:
        """Our side times out (as if Stripe were unreachable) while the request is still on its
        way: Stripe carries it out only when the test calls ``deliver_late``."""
        rule = self.unreachable(method, path, times=times)
        rule.late = True
        return rule

    def deliver_late(self) -> None:
        while self.late:
            self.late.pop(0)()

    def refuse(self, method: str, path: str, code: str, **kwargs: Any) -> StripeRule:
        """Stripe refuses the request with a 400 and ``code`` (``charge_disputed``, ``amount_too_small``)."""
        return self.fail(method, path, status=400, code=code, **kwargs)

    def unreachable(self, method: str, path: str, *, times: int | None = None) -> StripeRule:
        return self.fail(method, path, status=None, times=times)

    def count(self, call: str) -> int:
        return sum(1 for c in self.calls if re.fullmatch(call, c))

    def answer(self, method: str, url: str, send: Callable[[], Any], post_data: Any = None, headers: Any = None) -> Any:
        path = urlsplit(url).path
        self.calls.append(f'{method.upper()} {path}')
        key = next((v for k, v in dict(headers or {}).items() if k.lower() == 'idempotency-key'), None)
        self.keys.append(key)
        body_sent = post_data.decode() if isinstance(post_data, bytes) else str(post_data or '')
        rule = next((r for r in self.rules if r.applies(method, path, body_sent)), None)
        if rule is None and key in self._poisoned:
            return self._error(500, None)  # Stripe replays the 5xx it stored for this key
        if rule is None:
            return send()
        rule.hits += 1
        if rule.late:
            self.late.append(send)
        elif rule.applied:
            send()  # Stripe did it; the answer is lost or replaced by an error
        if rule.status is None:
            raise stripe.APIConnectionError('Could not connect to Stripe (fault injected)', should_retry=True)
        if self.replays_5xx and key and rule.status >= 500:
            self._poisoned.add(key)
        return self._error(rule.status, rule.code)

    def _error(self, status: int, code: str | None) -> Any:
        error = {'type': 'api_error', 'message': 'An unknown error occurred (fault injected)'}
        if code:
            error = {'type': 'invalid_request_error', 'code': code, 'message': f'{code} (fault injected)'}
        body = json.dumps({'error': error})
        return body.encode(), status, {'request-id': 'req_fault_injected', 'Content-Type': 'application/json'}


@pytest.fixture
def stripe_faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFaults]:
    faults = StripeFaults()
    request = stripe.RequestsClient.request

    def faulty(self: stripe.RequestsClient, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        return faults.answer(method, url, lambda: request(self, method, url, headers, post_data), post_data, headers)

    original_sleep = stripe_http.HTTPClient._sleep_time_seconds

    def recorded_sleep(self: stripe_http.HTTPClient, num_retries: int) -> float:
        faults.backoff.append(original_sleep(self, num_retries))
        return 0.0

    monkeypatch.setattr(stripe.RequestsClient, 'request', faulty)
    monkeypatch.setattr(stripe_http.HTTPClient, '_sleep_time_seconds', recorded_sleep)
    yield faults
