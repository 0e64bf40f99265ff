"""Read the CloudWatch metrics (EMF) a handler printed, as CloudWatch would."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from common.observability import metrics


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    dimensions: dict[str, str]


def parse(output: str) -> list[Metric]:
    """Every metric of every EMF document (a JSON line with ``_aws``) in ``output``, in order."""
    found = []
    for line in output.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        document = json.loads(line)
        for directive in document['_aws']['CloudWatchMetrics']:
            [dimension_set] = directive['Dimensions']  # one set per metric: alarms match it exactly
            dimensions = {name: document[name] for name in dimension_set}
            for metric in directive['Metrics']:
                values = document[metric['Name']]
                total = sum(values) if isinstance(values, list) else values
                found.append(Metric(metric['Name'], total, dimensions))
    return found


@pytest.fixture
def emitted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[[], list[Metric]]]:
    """Metrics switched on for the test; ``emitted()`` returns those printed since the last call."""
    monkeypatch.setenv('POWERTOOLS_METRICS_DISABLED', 'false')
    metrics.clear_metrics()  # disabled metrics are never flushed, so never cleared
    capsys.readouterr()

    def read() -> list[Metric]:
        return parse(capsys.readouterr().out)

    yield read
    metrics.clear_metrics()
