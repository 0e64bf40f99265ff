"""Abuse limits: failed sign-ins per (email, client IP), per email and per client IP,
registrations per client IP, hold attempts per account and per client IP.

Each limit is a DynamoDB counter per fixed window aligned to the epoch (15-minute windows start
at :00, :15, ...), moved only by a conditional ADD (``hits < limit``), so the limit holds exactly
however many requests race: a request is counted BEFORE the expensive work and refused with 429
(``Retry-After`` = seconds to the end of the window) once the window is full.

Why fixed windows: one conditional UpdateItem per check and no read; the price is that a client
can spend one window's budget at its very end and the next at the start of the next (at most
twice the limit in a short burst), which for sign-in guessing (10 per email) changes nothing that
matters. A sliding-window estimate would add a read of the previous window to every check; a
sliding log one item per attempt.

Successful sign-ins give their hit back, so only failures count and successful traffic is never
limited by the application (API Gateway's stage throttling bounds volume). The email and IP are
hashed into the key: counter items hold no raw personal data, and expire by TTL.

Hold attempts take their hits inside the hold's own transaction (``window_hits``: a hold costs no
extra call), and a refused attempt takes them with ``take`` (services/bookings.py).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from common import errors
from common.ports import WindowHit
from common.services.deps import Deps

# Counters live this long after their window closes (TTL deletes late anyway; expiry is decided by
# the window in the key, never by TTL).
_KEEP_AFTER_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Limit:
    scope: str
    per_window: int  # 0 = off
    window_seconds: int
    refusal: type[errors.TooManyRequests]
    detail: str


@dataclass(frozen=True)
class Hit:
    """One unit taken from a window, which ``give_back`` can return."""

    scope: str
    subject_hash: str
    window_start: int


def login_failures_per_email_and_ip(deps: Deps) -> Limit:
    """The strict limit (10): one client guessing one account. The owner elsewhere is not affected."""
    current = deps.settings
    return Limit(
        'login-email-ip',
        current.login_failures_per_email_and_ip,
        current.login_failure_window_seconds,
        errors.TooManyLoginAttempts,
        'Too many failed sign-ins for this account from this address; try again later',
    )


def login_failures_per_email(deps: Deps) -> Limit:
    """The ceiling (100) on one account from everywhere: guesses spread over many addresses."""
    current = deps.settings
    return Limit(
        'login-email',
        current.login_failures_per_email,
        current.login_failure_window_seconds,
        errors.TooManyLoginAttempts,
        'Too many failed sign-ins for this account; try again later',
    )


def login_failures_per_ip(deps: Deps) -> Limit:
    current = deps.settings
    return Limit(
        'login-ip',
        current.login_failures_per_ip,
        current.login_failure_window_seconds,
        errors.TooManyLoginAttempts,
        'Too many failed sign-ins from this address; try again later',
    )


def registrations_per_ip(deps: Deps) -> Limit:
    current = deps.settings
    return Limit(
        'register-ip',
        current.registrations_per_ip,
        current.registration_window_seconds,
        errors.TooManyRegistrations,
        'Too many registrations from this address; try again later',
    )


def holds_per_user(deps: Deps) -> Limit:
    return Limit(
        'hold-user',
        deps.settings.holds_per_user_per_hour,
        3600,
        errors.TooManyHoldAttempts,
        'Too many booking attempts from this account this hour; try again later',
    )


def holds_per_ip(deps: Deps) -> Limit:
    return Limit(
        'hold-ip',
        deps.settings.holds_per_ip_per_hour,
        3600,
        errors.TooManyHoldAttempts,
        'Too many booking attempts from this address this hour; try again later',
    )


def _subject_hash(scope: str, subject: str) -> str:
    return hashlib.sha256(f'{scope}\n{subject}'.encode()).hexdigest()[:32]


def window_hits(checks: Sequence[tuple[Limit, str]], now: datetime) -> list[WindowHit]:
    """The hits ``checks`` would take at ``now``, for a transaction to take them (limits that are
    off are left out)."""
    hits = []
    stamp = now.timestamp()
    for limit, subject in checks:
        if limit.per_window <= 0:
            continue
        window_start = int(stamp // limit.window_seconds) * limit.window_seconds
        expires = window_start + limit.window_seconds + _KEEP_AFTER_WINDOW_SECONDS
        hits.append(
            WindowHit(limit.scope, _subject_hash(limit.scope, subject), window_start, limit.per_window, expires)
        )
    return hits


def refusal(checks: Sequence[tuple[Limit, str]], hit: WindowHit, now: datetime) -> errors.TooManyRequests:
    """The 429 of the limit whose window ``hit`` found full (``Retry-After``: the rest of it)."""
    limit = next(limit for limit, _ in checks if limit.scope == hit.scope)
    retry_after = max(1, math.ceil(hit.window_start + limit.window_seconds - now.timestamp()))
    return limit.refusal(limit.detail, retry_after=retry_after)


def take(deps: Deps, checks: Sequence[tuple[Limit, str]], now: datetime) -> list[Hit]:
    """Take one hit from each (limit, subject) in order; all or nothing.

    When a window is full, the hits already taken are given back and the limit's 429 is raised
    with ``Retry-After`` set to the seconds left in that window.
    """
    taken: list[Hit] = []
    for hit in window_hits(checks, now):
        if not deps.limits.take(hit.scope, hit.subject_hash, hit.window_start, hit.limit, hit.expires_at):
            give_back(deps, taken)
            raise refusal(checks, hit, now)
        taken.append(Hit(hit.scope, hit.subject_hash, hit.window_start))
    return taken


def give_back(deps: Deps, hits: Sequence[Hit]) -> None:
    for hit in hits:
        deps.limits.give_back(hit.scope, hit.subject_hash, hit.window_start)
