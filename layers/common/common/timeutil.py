"""Instants are stored as fixed-width UTC ISO-8601 strings (milliseconds) so they sort
lexicographically."""

from __future__ import annotations

from datetime import UTC, date, datetime


def iso(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError('naive datetime: instants must be timezone-aware')
    return instant.astimezone(UTC).isoformat(timespec='milliseconds')


def stored_precision(instant: datetime) -> datetime:
    """``instant`` at the millisecond precision instants are stored with: a value a service
    answers with reads back exactly the same later."""
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def parse_instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def parse_date(value: str) -> date:
    return date.fromisoformat(value)
