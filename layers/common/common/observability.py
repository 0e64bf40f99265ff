"""Logger, Tracer and Metrics shared by every function (service name from POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

# Reads publish no metric; powertools warns about that on every such invocation.
warnings.filterwarnings('ignore', message='No application metrics to publish')

logger = Logger(log_uncaught_exceptions=True)
tracer = Tracer()
metrics = Metrics(namespace='HotelBooking')

# With POWERTOOLS_METRICS_DISABLED (local runs, tests) powertools 3.37 still collects metrics and
# prints the set when it reaches 100 values; drop them at the source instead.
_add_metric = metrics.add_metric


def _add_metric_unless_disabled(*args: Any, **kwargs: Any) -> None:
    if not is_metrics_disabled():
        _add_metric(*args, **kwargs)


metrics.add_metric = _add_metric_unless_disabled  # type: ignore[method-assign]
