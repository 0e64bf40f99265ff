"""The `deps` fixture every contract test runs twice: on the fakes and on DynamoDB (moto)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from common import wiring
from common.services.deps import Deps
from tests.fakes import fake_deps
from tests.support.fixtures import create_tables, point_dynamodb_at


@pytest.fixture(params=['fake', 'dynamodb'])
def deps(request: pytest.FixtureRequest) -> Iterator[Deps]:
    if request.param == 'fake':
        yield fake_deps()
        return
    with mock_aws():
        point_dynamodb_at(None, 'contract', 'contract-idempotency')
        create_tables(None)
        yield wiring.build_deps()
    point_dynamodb_at(None, 'hotel-booking-test', 'hotel-booking-idempotency-test')
