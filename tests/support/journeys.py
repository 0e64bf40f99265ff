"""Steps many in-process tests take the same way: a guest holds a room and goes to checkout
through the API, and the sweeper runs once on its scheduled event (as `sam local invoke` would
with the sample in events/)."""

from __future__ import annotations

import json
from typing import Any

from common.domain import RoomType
from functions.expire_sweeper import app as sweeper_app
from local.gateway import LambdaContext
from tests.support import factories
from tests.support.api import Api, Reply
from tests.support.fixtures import ROOT


def book(api: Api, room: RoomType, token: str, days_ahead: int = 14, nights: int = 2) -> dict[str, Any]:
    """A hold of one room through POST /api/bookings; asserts it was created."""
    check_in, check_out = factories.stay(days_ahead=days_ahead, nights=nights)
    reply = api.hold(room.id, check_in, check_out, token=token)
    assert reply.status == 201, reply.json
    return reply.json


def checkout(api: Api, booking: dict[str, Any], token: str, auto_confirm: bool = False) -> Reply:
    return api.post(f'/api/bookings/{booking["id"]}/checkout', {'auto_confirm': auto_confirm}, token=token)


def run_sweeper(context: LambdaContext | None = None, timeout_seconds: int = 60) -> dict[str, Any]:
    """One scheduled run of the sweeper's handler with the sample event from events/."""
    event = json.loads((ROOT / 'events' / 'expire_sweeper' / 'schedule.json').read_text())
    context = context or LambdaContext('ExpireSweeperFunction', timeout_seconds=timeout_seconds)
    return sweeper_app.lambda_handler(event, context)
