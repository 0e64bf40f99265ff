"""A signed-in guest's own profile and wishlist. Everything is keyed by the caller's id from the
token, never by an id in the request: there is no other user's data to reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from common import errors, repos
from common.domain import Principal, RoomType, User, WishlistEntry
from common.services import catalog

CHANGEABLE = frozenset({'name', 'phone', 'address'})


@dataclass(frozen=True)
class WishlistItem:
    entry: WishlistEntry
    room_type: RoomType


def profile(caller: Principal) -> User:
    return repos.get_user(caller.user_id)


def update_profile(caller: Principal, changes: dict[str, str | None]) -> User:
    """Change name, phone or address; anything else is refused (the HTTP model already refuses it,
    this is the rule itself)."""
    refused = sorted(set(changes) - CHANGEABLE)
    if refused:
        raise errors.Unprocessable(f'{", ".join(refused)} cannot be changed here')
    if 'name' in changes and not changes['name']:
        raise errors.Unprocessable('name cannot be removed')
    return repos.update_profile(caller.user_id, changes)


def wishlist(caller: Principal) -> list[WishlistItem]:
    """Newest first, each with the room type's current name and base price. A room type removed
    from the catalogue since it was added drops out of the list."""
    types = catalog.room_types()
    entries = sorted(repos.list_wishes(caller.user_id), key=lambda e: (e.added_at, e.room_type_id), reverse=True)
    return [WishlistItem(e, types[e.room_type_id]) for e in entries if e.room_type_id in types]


def add_to_wishlist(caller: Principal, room_type_id: str, now: datetime) -> tuple[WishlistItem, bool]:
    """Idempotent: (item, True) when added, (the existing item, False) when it already was there."""
    room_type = catalog.room_type(room_type_id)  # NotFound for an unknown room type
    entry, created = repos.add_wish(caller.user_id, room_type.id, now)
    return WishlistItem(entry, room_type), created


def remove_from_wishlist(caller: Principal, room_type_id: str) -> None:
    repos.remove_wish(caller.user_id, room_type_id)
