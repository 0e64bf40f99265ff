"""The sale window and the retention of past nights: pure rules, no storage (issue 23).

- A room type sells ``SALE_WINDOW_DAYS`` ahead of its hotel's today: the nights ``today`` ..
  ``today + SALE_WINDOW_DAYS`` (both included) exist. Housekeeping opens one night more than
  that (``LEAD_NIGHTS``): a hotel's day can turn before the next daily run reaches it (a hotel
  east of UTC turns hours before a run at 00:15 UTC, a run can be late), and the window must
  still be whole until then.
- Nights long past are deleted by DynamoDB TTL. TTL deletes late (up to days), never early, so
  every night at or after ``kept_from(now)`` is guaranteed to be there if it was ever written;
  nights before it may or may not be: readers ignore them (TTL never decides anything).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from common.domain import Hotel

LEAD_NIGHTS = 1

# A night ends at most a day after its date at 00:00 UTC in any time zone (UTC-12 .. UTC+14);
# a second day keeps the expiry clear of every hotel's "today".
_NIGHT_END_MARGIN = timedelta(days=2)


def required_through(hotel: Hotel, now: datetime, window_days: int) -> date:
    """The last night that must be open at ``now`` (the window is short if any night up to it is missing)."""
    return hotel.today(now) + timedelta(days=window_days)


def open_through(hotel: Hotel, now: datetime, window_days: int) -> date:
    """The last night a run at ``now`` opens: the window, plus the lead that lasts until the next run."""
    return required_through(hotel, now, window_days) + timedelta(days=LEAD_NIGHTS)


def night_expires_at(night: date, retention_days: int) -> int:
    """The TTL (epoch seconds) of an inventory night: ``retention_days`` after the night ended."""
    moment = datetime.combine(night + timedelta(days=retention_days) + _NIGHT_END_MARGIN, time(), tzinfo=UTC)
    return int(moment.timestamp())


def kept_from(now: datetime, retention_days: int) -> date:
    """The first night still guaranteed to exist at ``now``: ``night_expires_at`` of any night on
    or after it is still ahead, since TTL never deletes before that instant."""
    return now.astimezone(UTC).date() - timedelta(days=retention_days)


def nights(first: date, last: date) -> Iterator[date]:
    """``first`` to ``last``, both included."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)
