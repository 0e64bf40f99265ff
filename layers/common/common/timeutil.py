"""Instants are stored as fixed-width UTC ISO-8601 strings so they sort lexicographically."""

from __future__ import annotations

from datetime import UTC, date, datetime


def iso(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError('naive datetime: instants must be timezone-aware')
    return instant.astimezone(UTC).isoformat(timespec='milliseconds')


def parse_instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def parse_date(value: str) -> date:
    return date.fromisoformat(value)


def utcnow() -> datetime:
    return datetime.now(UTC)
