"""One moto DynamoDB per module for the suites that walk every route: each request only reads
or is refused, so sharing the tables is safe, and it saves building them for every route."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from common import wiring
from tests.support.fixtures import create_tables, point_dynamodb_at


@pytest.fixture(scope='module')
def shared_aws() -> Iterator[None]:
    with mock_aws():
        point_dynamodb_at(None, 'hotel-booking-test', 'hotel-booking-idempotency-test')
        create_tables(None)
        yield
    wiring.reset()
