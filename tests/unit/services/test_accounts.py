"""Accounts and abuse limits (services/accounts.py, limits.py) on fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common import errors
from common.domain import Role
from common.services import accounts, limits
from tests.unit.services.world import world as make_world

PASSWORD = 'correct horse battery'


def world(**settings: object):
    w = make_world(**settings)
    w.f.clock.now = datetime.now(UTC).replace(microsecond=0)
    return w


def _registered(w, email: str = 'ada@example.com', role: Role = Role.GUEST):
    return accounts.register(w.deps, email, PASSWORD, ' Ada Lovelace ', w.now, role=role)


def test_an_email_registers_once_normalised_and_the_password_is_hashed():
    w = world()
    user = _registered(w, ' Ada@Example.COM ')
    assert (user.email, user.name) == ('ada@example.com', 'Ada Lovelace')
    assert PASSWORD not in user.password_hash
    with pytest.raises(errors.EmailTaken):
        _registered(w, 'ADA@example.com')


def test_registrations_per_address_are_limited():
    w = world(registrations_per_ip=2)
    for i in range(2):
        accounts.register(w.deps, f'g{i}@example.com', PASSWORD, 'G', w.now, client_ip='203.0.113.9')
    with pytest.raises(errors.TooManyRegistrations) as refused:
        accounts.register(w.deps, 'g3@example.com', PASSWORD, 'G', w.now, client_ip='203.0.113.9')
    assert refused.value.retry_after > 0
    accounts.register(w.deps, 'g4@example.com', PASSWORD, 'G', w.now, client_ip='198.51.100.1')


def test_failed_logins_are_limited_per_email_and_a_success_gives_its_attempt_back():
    w = world(login_failures_per_email=3)
    _registered(w)
    for _ in range(2):
        with pytest.raises(errors.InvalidCredentials):
            accounts.login(w.deps, 'ada@example.com', 'wrong password!', w.now)
    for _ in range(3):  # successes never use up the limit
        accounts.login(w.deps, 'ada@example.com', PASSWORD, w.now)
    with pytest.raises(errors.InvalidCredentials):
        accounts.login(w.deps, 'ada@example.com', 'wrong password!', w.now)
    with pytest.raises(errors.TooManyLoginAttempts):
        accounts.login(w.deps, 'ada@example.com', PASSWORD, w.now)


def test_a_stranger_locks_out_the_stranger_and_many_addresses_meet_the_ceiling():
    w = world(login_failures_per_email_and_ip=10, login_failures_per_email=25, login_failures_per_ip=100)
    _registered(w)
    refused = 0
    for _ in range(30):
        try:
            accounts.login(w.deps, 'ada@example.com', 'wrong password!', w.now, client_ip='203.0.113.66')
        except errors.TooManyLoginAttempts:
            refused += 1
        except errors.InvalidCredentials:
            pass
    assert refused == 20  # ten guesses, then 429 for the stranger only
    accounts.login(w.deps, 'ada@example.com', PASSWORD, w.now, client_ip='198.51.100.20')  # the owner signs in
    # guesses spread over many addresses stop at the per-email ceiling (10 counted above + 15)
    for i in range(15):
        with pytest.raises(errors.InvalidCredentials):
            accounts.login(w.deps, 'ada@example.com', 'wrong password!', w.now, client_ip=f'192.0.2.{i}')
    with pytest.raises(errors.TooManyLoginAttempts):
        accounts.login(w.deps, 'ada@example.com', PASSWORD, w.now, client_ip='198.51.100.20')


def test_an_unknown_email_is_refused_like_a_wrong_password():
    w = world()
    with pytest.raises(errors.InvalidCredentials):
        accounts.login(w.deps, 'nobody@example.com', PASSWORD, w.now)


def test_a_limit_of_zero_is_off():
    w = world(login_failures_per_email=0, login_failures_per_ip=0)
    limit = limits.login_failures_per_email(w.deps)
    assert limits.take(w.deps, [(limit, 'x')] * 50, w.now) == []
    assert w.f.store.counters == {}


def test_a_refresh_rotates_the_pair_and_a_replayed_token_signs_the_session_out():
    w = world()
    _registered(w)
    pair = accounts.login(w.deps, 'ada@example.com', PASSWORD, w.now)
    rotated = accounts.refresh(w.deps, pair.refresh, w.now)
    with pytest.raises(errors.RefreshTokenReused):
        accounts.refresh(w.deps, pair.refresh, w.now)  # someone else had a copy
    with pytest.raises(errors.InvalidToken):
        accounts.refresh(w.deps, rotated.refresh, w.now)  # the whole session is revoked
    with pytest.raises(errors.InvalidToken):
        accounts.authenticate(w.deps, f'Bearer {rotated.access}', w.now)


def test_logout_ends_only_the_callers_own_session():
    w = world()
    ada = _registered(w)
    grace = _registered(w, 'grace@example.com')
    pair = accounts.login(w.deps, 'ada@example.com', PASSWORD, w.now)
    other = accounts.login(w.deps, 'grace@example.com', PASSWORD, w.now)
    caller = accounts.authenticate(w.deps, f'Bearer {pair.access}', w.now)
    assert caller.user_id == ada.id
    with pytest.raises(errors.InvalidToken):
        accounts.logout(w.deps, caller, other.refresh, w.now)
    accounts.logout(w.deps, caller, pair.refresh, w.now)
    accounts.logout(w.deps, caller, pair.refresh, w.now)  # idempotent
    with pytest.raises(errors.InvalidToken):
        accounts.authenticate(w.deps, f'Bearer {pair.access}', w.now)
    assert accounts.authenticate(w.deps, f'Bearer {other.access}', w.now).user_id == grace.id


def test_a_guest_token_is_refused_the_admin_role_before_the_session_is_read():
    w = world()
    _registered(w)
    pair = accounts.login(w.deps, 'ada@example.com', PASSWORD, w.now)
    w.f.store.revoked_families.add('anything')  # would be read on the way
    with pytest.raises(errors.Forbidden):
        accounts.authenticate(w.deps, f'Bearer {pair.access}', w.now, required_role=Role.ADMIN)
    with pytest.raises(errors.Unauthorized):
        accounts.authenticate(w.deps, None, w.now)
