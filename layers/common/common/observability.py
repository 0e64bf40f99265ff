"""Logger, Tracer and Metrics shared by every function (service name from POWERTOOLS_SERVICE_NAME).

- Logs: JSON lines; API functions inject the API Gateway request id as ``correlation_id`` and
  clear appended keys between invocations; ``bind_booking`` adds the booking id.
- Traces: X-Ray through powertools' Tracer; ``trace_handler`` never records a handler's response or
  error (tokens, client secrets, personal data would be kept as metadata). ``botocore`` is patched (boto3 and PynamoDB, which
  calls DynamoDB through a botocore client) and ``requests`` (the Stripe SDK's HTTP client, see
  gateways/stripe.py), nothing else: patching ``httplib`` too would record every call twice.
- Metrics: CloudWatch EMF in the HotelBooking namespace with the ``service`` dimension; ``count``
  adds a metric with dimensions of its own (``path``, ``outcome``...). See docs/observability.md.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

# Reads publish no metric; powertools warns about that on every such invocation.
warnings.filterwarnings('ignore', message='No application metrics to publish')

TRACED_LIBRARIES = ('botocore', 'requests')


class _NoTracer:
    """Stands in for powertools' Tracer when tracing is off (local run, tests, a stack deployed
    with tracing off). powertools imports the X-Ray SDK even when disabled, and the SDK builds a
    botocore client at import: about a third of a function's cold import."""

    @staticmethod
    def _passthrough(method: Callable[..., Any] | None = None, **_: Any) -> Any:
        return method if method is not None else (lambda decorated: decorated)

    capture_lambda_handler = capture_method = _passthrough

    disabled = True

    def put_annotation(self, *_: Any, **__: Any) -> None:
        pass

    def put_metadata(self, *_: Any, **__: Any) -> None:
        pass


def _make_tracer() -> Any:
    if os.environ.get('POWERTOOLS_TRACE_DISABLED', '').lower() in ('1', 'true', 'yes', 'on'):
        return _NoTracer()
    from aws_lambda_powertools import Tracer

    return Tracer(patch_modules=TRACED_LIBRARIES)


logger = Logger(log_uncaught_exceptions=True)
tracer = _make_tracer()
metrics = Metrics(namespace='HotelBooking')

# With POWERTOOLS_METRICS_DISABLED (local runs, tests) powertools 3.37 still collects metrics and
# prints the set when it reaches 100 values; drop them at the source instead.
_add_metric = metrics.add_metric


def _add_metric_unless_disabled(*args: Any, **kwargs: Any) -> None:
    if not is_metrics_disabled():
        _add_metric(*args, **kwargs)


metrics.add_metric = _add_metric_unless_disabled  # type: ignore[method-assign]  # on purpose: see above


def trace_handler(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Every function's handler: its X-Ray subsegment, WITHOUT the response or the error as metadata.

    powertools records both by default, and X-Ray keeps them for 30 days for anyone allowed
    ``xray:BatchGetTraces``: login and refresh answers carry tokens, checkout's the PaymentIntent's
    client secret, profiles personal data. Set here in code (the template also sets
    ``POWERTOOLS_TRACER_CAPTURE_RESPONSE``/``_ERROR`` to false), so no deployment can turn it back on."""
    decorated: Callable[..., Any] = tracer.capture_lambda_handler(handler, capture_response=False, capture_error=False)
    return decorated


def trace_method(method: Callable[..., Any]) -> Callable[..., Any]:
    """A traced inner step, likewise without its return value or error."""
    decorated: Callable[..., Any] = tracer.capture_method(method, capture_response=False, capture_error=False)
    return decorated


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """A count metric; with ``dimensions`` it gets them on top of ``service`` (its own EMF line,
    written at once), without it joins the invocation's metrics (written when the handler ends).

    Each business metric has ONE dimension set, always the same: CloudWatch matches alarms and
    dashboards on the exact set."""
    if is_metrics_disabled():
        return
    if not dimensions:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        return
    with single_metric(
        name=name, unit=MetricUnit.Count, value=value, namespace=metrics.namespace, default_dimensions=dimensions
    ):
        pass


def bind_booking(booking_id: str) -> None:
    """Every later log line of this invocation carries the booking id, and so does its trace
    (an X-Ray annotation: searchable with ``annotation.booking_id = "..."``)."""
    logger.append_keys(booking_id=booking_id)
    tracer.put_annotation('booking_id', booking_id)


@contextlib.contextmanager
def traced(name: str, **annotations: str) -> Iterator[None]:
    """A named X-Ray subsegment around a block (no-op when tracing is off, as in tests and locally)."""
    if tracer.disabled:
        yield
        return
    with tracer.provider.in_subsegment(f'## {name}') as subsegment:
        for key, value in annotations.items():
            subsegment.put_annotation(key, value)
        yield
