"""The demo data `make run` seeds (local/seed.py), on the ministack DynamoDB server: two hotels
with a year of nights is thousands of writes, 90 s on moto, a few seconds there."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local import seed
from tests.integration.test_auth import login, verified
from tests.support.api import Api

pytestmark = [pytest.mark.ministack, pytest.mark.usefixtures('on_ministack')]


def test_the_seeded_admin_gets_the_admin_role(api: Api):
    summary = seed.seed(datetime.now(UTC), 'root@example.com', 'an admin password')
    assert summary['admin'] == 'created'
    claims = verified(login(api, 'root@example.com', 'an admin password').json['access'])
    assert claims['role'] == 'admin'
    assert seed.seed(datetime.now(UTC), 'root@example.com', 'an admin password')['admin'] == 'exists'
