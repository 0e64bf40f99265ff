"""Logger, Tracer and Metrics shared by every function (service name from POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

# Reads publish no metric; powertools warns about that on every such invocation.
warnings.filterwarnings('ignore', message='No application metrics to publish')

logger = Logger(log_uncaught_exceptions=True)
tracer = Tracer()
metrics = Metrics(namespace='HotelBooking')
