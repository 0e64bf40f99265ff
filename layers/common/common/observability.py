"""Logger, Tracer and Metrics shared by every function (service name from POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(log_uncaught_exceptions=True)
tracer = Tracer()
metrics = Metrics(namespace='HotelBooking')
