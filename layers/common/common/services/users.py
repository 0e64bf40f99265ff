"""A signed-in guest's own profile and wishlist. Everything is keyed by the caller's id from the
token, never by an id in the request: there is no other user's data to reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from common import errors
from common.domain import Principal, RoomType, User, WishlistEntry
from common.ports import PROFILE_FIELDS
from common.services import catalog
from common.services.deps import Deps


@dataclass(frozen=True)
class WishlistItem:
    entry: WishlistEntry
    room_type: RoomType


def profile(deps: Deps, caller: Principal) -> User:
    return deps.accounts.get_user(caller.user_id)


def update_profile(deps: Deps, caller: Principal, changes: dict[str, str | None]) -> User:
    """Change name, phone or address; anything else is refused (the HTTP model already refuses it,
    this is the rule itself)."""
    refused = sorted(set(changes) - PROFILE_FIELDS)
    if refused:
        raise errors.Unprocessable(f'{", ".join(refused)} cannot be changed here')
    if 'name' in changes and not changes['name']:
        raise errors.Unprocessable('name cannot be removed')
    return deps.accounts.update_profile(caller.user_id, changes)


def wishlist(deps: Deps, caller: Principal) -> list[WishlistItem]:
    """Newest first, each with the room type's current name and base price. A room type removed
    from the catalogue since it was added drops out of the list."""
    types = catalog.room_types(deps)
    entries = sorted(deps.wishlist.list(caller.user_id), key=lambda e: (e.added_at, e.room_type_id), reverse=True)
    return [WishlistItem(e, types[e.room_type_id]) for e in entries if e.room_type_id in types]


def add_to_wishlist(deps: Deps, caller: Principal, room_type_id: str, now: datetime) -> tuple[WishlistItem, bool]:
    """Idempotent: (item, True) when added, (the existing item, False) when it already was there."""
    room_type = catalog.room_type(deps, room_type_id)  # NotFound for an unknown room type
    entry, created = deps.wishlist.add(caller.user_id, room_type.id, now)
    return WishlistItem(entry, room_type), created


def remove_from_wishlist(deps: Deps, caller: Principal, room_type_id: str) -> None:
    deps.wishlist.remove(caller.user_id, room_type_id)
