"""Sessions that end (issue 15) on fakes: an absolute lifetime, sign out everywhere, and a password
change that ends every other session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common import errors
from common.services import accounts
from tests.unit.services.world import world as make_world

PASSWORD = 'correct horse battery'
NEW_PASSWORD = 'a new horse, a new battery'


def world(**settings: object):
    w = make_world(**settings)
    w.f.clock.now = datetime.now(UTC).replace(microsecond=0)
    return w


def _signed_in(w, times: int = 1, email: str = 'ada@example.com'):
    if w.deps.accounts.find_user_by_email(email) is None:
        accounts.register(w.deps, email, PASSWORD, 'Ada', w.now)
    return [accounts.login(w.deps, email, PASSWORD, w.now) for _ in range(times)]


def _caller(w, pair):
    return accounts.authenticate(w.deps, f'Bearer {pair.access}', w.now)


def _live(w, pair) -> bool:
    try:
        _caller(w, pair)
    except errors.InvalidToken:
        return False
    return True


def test_refreshing_never_extends_a_session_past_its_absolute_lifetime():
    w = world(session_max_seconds=30 * 24 * 3600)
    [pair] = _signed_in(w)
    for days in (6, 6, 6, 6, 5):  # refreshed within each refresh token's 7 days, to day 29
        w.f.clock.advance(days=days)
        pair = accounts.refresh(w.deps, pair.refresh, w.now)
    assert pair.refresh_expires_in == 24 * 3600  # not 7 days: 30 days from sign-in
    w.f.clock.advance(days=1)
    with pytest.raises(errors.SessionExpired) as refused:
        accounts.refresh(w.deps, pair.refresh, w.now)
    assert (refused.value.status, refused.value.code) == (401, 'session_expired')


def test_sign_out_everywhere_ends_every_session_of_the_caller_at_once():
    w = world()
    phone, laptop, tablet = _signed_in(w, 3)
    [grace] = _signed_in(w, email='grace@example.com')
    rotated = accounts.refresh(w.deps, tablet.refresh, w.now)  # a rotated pair is the same session
    assert accounts.logout_all(w.deps, _caller(w, laptop), w.now) == 3
    for pair in (phone, laptop, rotated):
        assert not _live(w, pair)
        with pytest.raises(errors.InvalidToken):
            accounts.refresh(w.deps, pair.refresh, w.now)
    assert _live(w, grace)  # someone else's sessions are not touched
    [again] = _signed_in(w)  # a new sign-in works
    assert _live(w, again)


def test_a_password_change_ends_every_other_session_and_keeps_the_callers():
    w = world()
    mine, thief = _signed_in(w, 2)
    assert accounts.change_password(w.deps, _caller(w, mine), PASSWORD, NEW_PASSWORD, w.now) == 1
    assert _live(w, mine) and not _live(w, thief)
    assert accounts.refresh(w.deps, mine.refresh, w.now).access  # this session goes on
    with pytest.raises(errors.InvalidCredentials):
        accounts.login(w.deps, 'ada@example.com', PASSWORD, w.now)
    accounts.login(w.deps, 'ada@example.com', NEW_PASSWORD, w.now)


def test_a_password_change_needs_the_current_password_and_follows_the_rules():
    w = world(login_failures_per_email_and_ip=3)
    [pair] = _signed_in(w)
    caller = _caller(w, pair)
    with pytest.raises(errors.WeakPassword):
        accounts.change_password(w.deps, caller, PASSWORD, 'short', w.now)
    with pytest.raises(errors.WeakPassword):
        accounts.change_password(w.deps, caller, PASSWORD, 'ADA@example.com', w.now)
    for _ in range(3):
        with pytest.raises(errors.WrongPassword) as wrong:
            accounts.change_password(w.deps, caller, 'a wrong guess', NEW_PASSWORD, w.now, client_ip='192.0.2.1')
        assert wrong.value.status == 403  # not 401: the token is fine
    # a stolen token does not buy unlimited guesses: the sign-in limit of this address applies
    with pytest.raises(errors.TooManyLoginAttempts):
        accounts.change_password(w.deps, caller, PASSWORD, NEW_PASSWORD, w.now, client_ip='192.0.2.1')
    assert _live(w, pair)
    accounts.change_password(w.deps, caller, PASSWORD, NEW_PASSWORD, w.now, client_ip='198.51.100.1')


def test_a_session_signed_in_before_sessions_were_listed_still_ends_everywhere():
    w = world()
    [pair] = _signed_in(w)
    w.f.store.sessions.clear()  # as if signed in before this release
    caller = _caller(w, pair)
    assert accounts.logout_all(w.deps, caller, w.now) == 1
    assert not _live(w, pair)


def test_sessions_past_their_end_are_not_listed():
    w = world(session_max_seconds=3600)
    [pair] = _signed_in(w)
    assert w.deps.accounts.sessions(_caller(w, pair).user_id, w.now + timedelta(hours=2)) == []
