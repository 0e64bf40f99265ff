"""Accounts: register, sign in, rotate and revoke tokens, and who is calling.

Sessions: a sign-in starts a session (the refresh-token family ``fam``, carried by both tokens
of every pair). Refreshing spends the presented refresh token (``TOKEN#jti``) and issues a pair of
the same session. A spent refresh token presented again means two parties hold it: the whole
session is revoked (``FAMILY#fam``), the thief's tokens and the owner's alike, and both must sign
in again. Signing out revokes the session too. Every authenticated request checks its session
with one GetItem, so revocation takes effect at once, not when the access token expires.

A session ends ``SESSION_MAX_SECONDS`` after its sign-in however often it is refreshed (the
tokens' ``auth_time``). Each sign-in lists its session under the user, so "sign out everywhere"
and a password change can revoke every session of the user at once (the latter all but the
caller's own).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from common import errors
from common.domain import MIN_PASSWORD_LENGTH, Principal, Role, User
from common.observability import logger
from common.services import limits
from common.services.deps import Deps
from common.timeutil import stored_precision

# Added to a revocation's lifetime so a token signed by a Lambda whose clock runs a little ahead
# still expires before its session's revocation does.
_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int  # seconds the access token is valid for
    refresh_expires_in: int  # and the refresh token (both end with the session at the latest)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(email: str, password: str) -> None:
    """Length first (the rule that matters), then nothing guessable from the email."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise errors.WeakPassword(
            f'The password must have at least {MIN_PASSWORD_LENGTH} characters (it has {len(password)})',
            rule='min_length',
            min_length=MIN_PASSWORD_LENGTH,
        )
    folded = password.strip().casefold()
    email = normalise_email(email)
    local_part = email.partition('@')[0]
    if folded in (email, local_part):
        raise errors.WeakPassword(
            'The password must not be the email address or its part before the @', rule='not_email'
        )


def register(
    deps: Deps,
    email: str,
    password: str,
    name: str,
    now: datetime,
    role: Role = Role.GUEST,
    client_ip: str | None = None,
) -> User:
    """Create an account. From the API ``client_ip`` is set and counts against the registrations
    limit (every attempt that reaches the write, taken or not, so the limit also bounds probing
    for registered emails); internal callers (the demo seed) pass none."""
    email = normalise_email(email)
    check_password_rules(email, password)
    if client_ip is not None:
        limits.take(deps, [(limits.registrations_per_ip(deps), client_ip)], now)
    user = User(
        id=str(uuid.uuid4()),
        email=email,
        name=name.strip(),
        role=role,
        password_hash=deps.passwords.hash(password),
        created_at=stored_precision(now),  # the answer's created_at reads back the same later
    )
    deps.accounts.create_user(user)
    return user


def _pair(
    deps: Deps, user_id: str, role: Role, now: datetime, family: str | None = None, started: datetime | None = None
) -> TokenPair:
    """A pair of the session ``family`` that signed in at ``started`` (a new one: now)."""
    family = family or uuid.uuid4().hex
    access = deps.tokens.issue(user_id, role, 'access', now, family=family, session_started=started or now)
    refresh = deps.tokens.issue(user_id, role, 'refresh', now, family=family, session_started=started or now)
    return TokenPair(
        access=access.token,
        refresh=refresh.token,
        expires_in=int(access.expires_at.timestamp()) - int(now.timestamp()),
        refresh_expires_in=int(refresh.expires_at.timestamp()) - int(now.timestamp()),
    )


def login(deps: Deps, email: str, password: str, now: datetime, client_ip: str = 'unknown') -> TokenPair:
    """Check the password and start a session.

    The attempt is counted against the failure limits BEFORE the password is checked (so racing
    guesses cannot overshoot a limit) and given back if it succeeds: per (email, client IP)
    strictly, per client IP (spraying) and per email with a high ceiling (many addresses), so a
    stranger's wrong guesses lock out the stranger, not the owner signing in from their own
    address. An unknown email is counted and timed like a wrong password: neither reveals which
    emails exist.
    """
    email = normalise_email(email)
    checks = [
        (limits.login_failures_per_email_and_ip(deps), f'{email}\n{client_ip}'),
        (limits.login_failures_per_ip(deps), client_ip),
        (limits.login_failures_per_email(deps), email),
    ]
    hits = limits.take(deps, checks, now)
    user = deps.accounts.find_user_by_email(email)
    if user is None:
        deps.passwords.burn_verification_time(password)
        raise errors.InvalidCredentials()
    if not deps.passwords.verify(user.password_hash, password):
        raise errors.InvalidCredentials()
    limits.give_back(deps, hits)
    family = uuid.uuid4().hex
    session_end = now + timedelta(seconds=deps.settings.session_max_seconds) + _CLOCK_SKEW
    deps.accounts.record_session(user.id, family, now, session_end)
    return _pair(deps, user.id, user.role, now, family=family)


def _revocation_until(deps: Deps, now: datetime) -> datetime:
    """A session's tokens all expire before this: refresh tokens are the longest-lived."""
    return now + timedelta(seconds=deps.settings.refresh_token_seconds) + _CLOCK_SKEW


def _end_sessions(deps: Deps, user_id: str, now: datetime, reason: str, keep: str = '', also: str = '') -> int:
    """Revoke every listed session of the user but ``keep`` (and ``also``, one the list may not
    have: signed in before sessions were listed). One PutItem and one DeleteItem per session."""
    families = [f for f in dict.fromkeys([*deps.accounts.sessions(user_id, now), also]) if f and f != keep]
    until = _revocation_until(deps, now)
    for family in families:
        deps.accounts.revoke_family(family, user_id, reason, now, until)
        deps.accounts.forget_session(user_id, family)
    return len(families)


def logout_all(deps: Deps, caller: Principal, now: datetime) -> int:
    """Sign out everywhere: every session of the caller, this one included, ends at once (their
    access tokens are refused on the next request). Returns how many sessions ended."""
    ended = _end_sessions(deps, caller.user_id, now, 'logout-all', also=caller.session)
    logger.info('signed out everywhere', user_id=caller.user_id, sessions=ended)
    return ended


def change_password(
    deps: Deps, caller: Principal, current_password: str, new_password: str, now: datetime, client_ip: str = 'unknown'
) -> int:
    """Change the caller's password and end every other session (a thief's included); the
    caller's own session goes on. Returns how many sessions ended.

    The current password is checked under the same failure limit as signing in from this address
    (per email and client IP): a stolen access token does not buy unlimited guesses. The new one
    follows the password rules (422 ``weak_password``); the hash is replaced only if it is still
    the one checked (two changes racing: one wins, the other 409).
    """
    user = deps.accounts.get_user(caller.user_id)
    hits = limits.take(deps, [(limits.login_failures_per_email_and_ip(deps), f'{user.email}\n{client_ip}')], now)
    if not deps.passwords.verify(user.password_hash, current_password):
        raise errors.WrongPassword()
    limits.give_back(deps, hits)
    check_password_rules(user.email, new_password)
    if not deps.accounts.change_password(user.id, user.password_hash, deps.passwords.hash(new_password)):
        raise errors.Conflict('The password changed meanwhile; sign in again')
    ended = _end_sessions(deps, user.id, now, 'password-changed', keep=caller.session)
    logger.info('password changed', user_id=user.id, sessions_ended=ended)
    return ended


def refresh(deps: Deps, refresh_token: str, now: datetime) -> TokenPair:
    """Rotate: the presented refresh token is spent (recorded until it would have expired) and
    a new pair of the same session is issued. A spent token presented again revokes the session."""
    claims = deps.tokens.decode(refresh_token, 'refresh', now)
    expires_at = datetime.fromtimestamp(claims['exp'], tz=UTC)
    try:
        deps.accounts.spend_refresh_token(claims['jti'], claims['fam'], claims['sub'], expires_at)
    except errors.RefreshTokenReused:
        until = _revocation_until(deps, now)
        deps.accounts.revoke_family(claims['fam'], claims['sub'], 'refresh-token-reused', now, until)
        logger.warning('refresh token reused: session revoked', user_id=claims['sub'])
        raise
    try:
        user = deps.accounts.get_user(claims['sub'])
    except errors.NotFound:
        raise errors.InvalidToken() from None
    # The role comes from the stored user, not the old token: a demoted admin loses it here. The
    # session keeps its sign-in time: no refresh extends it past SESSION_MAX_SECONDS.
    started = datetime.fromtimestamp(claims['auth_time'], tz=UTC)
    return _pair(deps, user.id, user.role, now, family=claims['fam'], started=started)


def logout(deps: Deps, caller: Principal, refresh_token: str, now: datetime) -> None:
    """End the session of ``refresh_token``: its refresh and access tokens stop working at once.

    Idempotent (signing out twice, or with an already rotated token of the session, is fine);
    the refresh token must be the caller's own.
    """
    claims = deps.tokens.decode(refresh_token, 'refresh', now)
    if claims['sub'] != caller.user_id:
        raise errors.InvalidToken()
    deps.accounts.revoke_family(claims['fam'], claims['sub'], 'logout', now, _revocation_until(deps, now))


def authenticate(deps: Deps, authorization: str | None, now: datetime, required_role: Role | None = None) -> Principal:
    """The caller of a request: a valid access token whose session is not revoked.

    The revocation check is one strongly consistent GetItem per authenticated request. The
    alternative, trusting the token until it expires, would leave a signed-out or stolen session
    working for up to ACCESS_TOKEN_SECONDS (15 minutes); a single-digit-millisecond read is the
    cheaper price. A token without ``required_role`` is refused (403) before that read: probing
    admin routes with a guest token costs no database call.
    """
    claims = deps.tokens.access_claims(authorization, now)
    if required_role is not None and claims['role'] != required_role.value:
        raise errors.Forbidden(f'This needs the {required_role.value} role')
    if deps.accounts.family_revoked(claims['fam']):
        raise errors.InvalidToken()
    return deps.tokens.principal(claims)
