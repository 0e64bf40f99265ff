"""Accounts: register, log in, rotate refresh tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from common import errors, repos, security
from common.config import settings
from common.domain import Role, User

MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(email: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise errors.WeakPassword(f'The password must have at least {MIN_PASSWORD_LENGTH} characters')
    if password.strip().lower() == normalise_email(email):
        raise errors.WeakPassword('The password must not be the email address')


def register(email: str, password: str, name: str, now: datetime, role: Role = Role.GUEST) -> User:
    email = normalise_email(email)
    check_password_rules(email, password)
    user = User(
        id=str(uuid.uuid4()),
        email=email,
        name=name.strip(),
        role=role,
        password_hash=security.hash_password(password),
        created_at=now,
    )
    repos.create_user(user)
    return user


def _pair(user_id: str, role: Role, now: datetime, family: str | None = None) -> TokenPair:
    access = security.issue(user_id, role, 'access', now)
    refresh = security.issue(user_id, role, 'refresh', now, family=family or uuid.uuid4().hex)
    return TokenPair(access=access.token, refresh=refresh.token, expires_in=settings().access_token_seconds)


def login(email: str, password: str, now: datetime) -> TokenPair:
    user = repos.find_user_by_email(normalise_email(email))
    if user is None:
        security.burn_verification_time(password)
        raise errors.InvalidCredentials()
    if not security.verify_password(user.password_hash, password):
        raise errors.InvalidCredentials()
    return _pair(user.id, user.role, now)


def refresh(refresh_token: str, now: datetime) -> TokenPair:
    """Rotate: the presented refresh token is spent (recorded until it would have expired) and
    a new pair of the same family is issued. A spent token presented again is refused."""
    claims = security.decode(refresh_token, 'refresh', now)
    try:
        user = repos.get_user(claims['sub'])
    except errors.NotFound:
        raise errors.InvalidToken() from None
    expires_at = datetime.fromtimestamp(claims['exp'], tz=now.tzinfo)
    if not repos.use_token_once(claims['jti'], user.id, 'rotated', expires_at):
        raise errors.InvalidToken()
    # The role comes from the stored user, not the old token: a demoted admin loses it here.
    return _pair(user.id, user.role, now, family=claims.get('fam'))
