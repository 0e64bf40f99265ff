"""The local gateway runs many requests at once on threads of one process; each must see only its
own event, as each Lambda process would (powertools keeps the current request on a class)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from common.domain import Review
from common.repos import AccountRepository
from common.services import reviews
from tests.support import factories
from tests.support.api import Api


def test_concurrent_requests_never_see_each_others_body_or_token(api: Api, monkeypatch):
    # Given a session check slow enough that every request is between reading its token and
    # reading its body while the others start
    def slow_session_check(repository: AccountRepository, family: str) -> bool:
        time.sleep(0.05)
        return False

    def echo(deps, caller, booking_id, rating, comment, now):
        return Review('r', booking_id, 'rt', 'h', caller.user_id, caller.user_id, rating, comment, date.today(), now)

    monkeypatch.setattr(AccountRepository, 'family_revoked', slow_session_check)
    monkeypatch.setattr(reviews, 'post', echo)
    barrier = threading.Barrier(10, timeout=30)

    def send(i: int):
        barrier.wait()
        body = {'rating': 1 + i % 5, 'comment': f'from guest {i}'}
        return api.post(f'/api/bookings/b{i}/review', body, token=factories.token(f'guest-{i}'))

    # When ten guests post at once
    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(send, range(10)))
    # Then each request was validated with its own body and authorised with its own token
    seen = [(r.json['author'], r.json['rating'], r.json['comment']) for r in replies]
    assert seen == [(f'guest-{i}', 1 + i % 5, f'from guest {i}') for i in range(10)]
