"""The local stand-in for the EventBridge schedule: invokes the sweeper's real handler (as
template.yaml declares it) with a real scheduled event every SWEEP_INTERVAL_SECONDS."""

from __future__ import annotations

import importlib
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from local import cfn
from local.gateway import LambdaContext

FUNCTION = 'ExpireSweeperFunction'


def scheduled_event(now: datetime, rule: str = 'hotel-booking-local-expire-sweeper') -> dict[str, Any]:
    """What EventBridge sends a Lambda target on a schedule."""
    return {
        'version': '0',
        'id': str(uuid.uuid4()),
        'detail-type': 'Scheduled Event',
        'source': 'aws.events',
        'account': '000000000000',
        'time': now.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'region': 'us-east-1',
        'resources': [f'arn:aws:events:us-east-1:000000000000:rule/{rule}'],
        'detail': {},
    }


def handler(function: str = FUNCTION) -> Any:
    """The handler template.yaml names for the function (functions.expire_sweeper.app.lambda_handler)."""
    module, attribute = cfn.handler_location(cfn.functions()[function]['Properties'])
    return getattr(importlib.import_module(module), attribute)


def timeout_seconds(function: str = FUNCTION) -> float:
    properties = cfn.functions()[function]['Properties']
    return float(properties.get('Timeout') or 10)


def invoke_scheduled(function: str, rule: str, now: datetime | None = None, **detail: Any) -> dict[str, Any]:
    """One scheduled run of a function of the template, as Lambda would run it."""
    event = scheduled_event(now or datetime.now(UTC), rule) | detail
    return handler(function)(event, LambdaContext(function, timeout_seconds=timeout_seconds(function)))


def invoke(now: datetime | None = None) -> dict[str, Any]:
    """One scheduled run of the sweeper."""
    return invoke_scheduled(FUNCTION, 'hotel-booking-local-expire-sweeper', now)


class Schedule(threading.Thread):
    """rate(SWEEP_INTERVAL_SECONDS): one run at a time, like a schedule with a short timeout."""

    def __init__(self, interval: float) -> None:
        super().__init__(name='sweeper-schedule', daemon=True)
        self.interval = interval
        self.stopped = threading.Event()
        self.runs = 0

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                summary = invoke()
                self.runs += 1
                if summary.get('expired') or summary.get('confirmed'):
                    print(f'sweeper: {summary}', flush=True)
            except Exception as exc:  # a failed run is logged; the next one tries again
                print(f'sweeper run failed: {type(exc).__name__}: {exc}', flush=True)

    def stop(self) -> None:
        self.stopped.set()
