"""Logger, Tracer and Metrics shared by every function (service name from POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

# Reads publish no metric; powertools warns about that on every such invocation.
warnings.filterwarnings('ignore', message='No application metrics to publish')


class _NoTracer:
    """Stands in for powertools' Tracer when tracing is off (local run, tests, a stack deployed
    with tracing off). powertools imports the X-Ray SDK even when disabled, and the SDK builds a
    botocore client at import: about a third of a function's cold import."""

    @staticmethod
    def _passthrough(method: Callable[..., Any] | None = None, **_: Any) -> Any:
        return method if method is not None else (lambda decorated: decorated)

    capture_lambda_handler = capture_method = _passthrough

    def put_annotation(self, *_: Any, **__: Any) -> None:
        pass

    def put_metadata(self, *_: Any, **__: Any) -> None:
        pass


def _make_tracer() -> Any:
    if os.environ.get('POWERTOOLS_TRACE_DISABLED', '').lower() in ('1', 'true', 'yes', 'on'):
        return _NoTracer()
    from aws_lambda_powertools import Tracer

    return Tracer()


logger = Logger(log_uncaught_exceptions=True)
tracer = _make_tracer()
metrics = Metrics(namespace='HotelBooking')

# With POWERTOOLS_METRICS_DISABLED (local runs, tests) powertools 3.37 still collects metrics and
# prints the set when it reaches 100 values; drop them at the source instead.
_add_metric = metrics.add_metric


def _add_metric_unless_disabled(*args: Any, **kwargs: Any) -> None:
    if not is_metrics_disabled():
        _add_metric(*args, **kwargs)


metrics.add_metric = _add_metric_unless_disabled  # type: ignore[method-assign]
