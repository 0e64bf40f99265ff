"""A hotel's promo codes. Their uses move only inside the booking transactions (``repos.bookings``):
here they are created, read, edited (never ``uses``) and deleted (only while nothing uses them)."""

from __future__ import annotations

import contextlib
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from common import errors
from common.domain import PromoCode
from common.repos._dynamo import Table, failed_guards, strings
from common.tables import HotelItem, PromoGuestItem, PromoItem
from common.timeutil import iso, parse_date, parse_instant


def _date(value: str | None) -> Any:
    return parse_date(value) if value else None


def promo(item: PromoItem) -> PromoCode:
    return PromoCode(
        hotel_id=item.hotel_id,
        code=item.code,
        kind=item.kind,
        value=int(item.value),
        description=item.description or '',
        valid_from=_date(item.valid_from),
        valid_until=_date(item.valid_until),
        stay_from=_date(item.stay_from),
        stay_until=_date(item.stay_until),
        min_nights=int(item.min_nights) if item.min_nights is not None else None,
        rate_plans=strings(item.rate_plans),
        max_uses=int(item.max_uses) if item.max_uses is not None else None,
        max_uses_per_guest=int(item.max_uses_per_guest) if item.max_uses_per_guest is not None else None,
        active=bool(item.active),
        uses=int(item.uses or 0),
        version=int(item.version or 0),
        updated_at=parse_instant(item.updated_at) if item.updated_at else None,
        updated_by=item.updated_by,
    )


def _values(value: PromoCode) -> dict[str, Any]:
    """Every attribute an admin sets (not ``uses``: only the booking transactions move it)."""
    return {
        'hotel_id': value.hotel_id,
        'code': value.code,
        'kind': str(value.kind),
        'value': value.value,
        'description': value.description,
        'valid_from': value.valid_from.isoformat() if value.valid_from else None,
        'valid_until': value.valid_until.isoformat() if value.valid_until else None,
        'stay_from': value.stay_from.isoformat() if value.stay_from else None,
        'stay_until': value.stay_until.isoformat() if value.stay_until else None,
        'min_nights': value.min_nights,
        'rate_plans': list(value.rate_plans),
        'max_uses': value.max_uses,
        'max_uses_per_guest': value.max_uses_per_guest,
        'active': value.active,
        'version': value.version,
        'updated_at': iso(value.updated_at) if value.updated_at else None,
        'updated_by': value.updated_by,
    }


class PromoRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def list(self, hotel_id: str) -> list[PromoCode]:
        query = PromoItem.query(PromoItem.partition(hotel_id), consistent_read=True)
        return sorted((promo(i) for i in self._table.read(query)), key=lambda p: p.code)

    def get(self, hotel_id: str, code: str) -> PromoCode:
        """Strongly consistent: ``uses`` as of now."""
        return promo(self._table.get(PromoItem, PromoItem.key(hotel_id, code), 'Promo code', consistent=True))

    def find(self, hotel_id: str, code: str) -> PromoCode | None:
        try:
            return self.get(hotel_id, code)
        except errors.NotFound:
            return None

    def guest_uses(self, hotel_id: str, code: str, user_id: str) -> int:
        try:
            item = self._table.get(PromoGuestItem, PromoGuestItem.key(hotel_id, code, user_id), 'Uses', consistent=True)
        except errors.NotFound:
            return 0
        return int(item.uses or 0)

    def create(self, value: PromoCode) -> None:
        """A new code (unique within the hotel), while its hotel exists (one transaction)."""
        item = PromoItem(*PromoItem.key(value.hotel_id, value.code), uses=0, **_values(value))

        def write(tx: TransactWrite) -> None:
            tx.condition_check(HotelItem, HotelItem.key(value.hotel_id)[0], 'META', condition=HotelItem.pk.exists())
            tx.save(item, condition=PromoItem.pk.does_not_exist())  # index 1

        try:
            self._table.transact(write)
        except TransactWriteError as exc:
            failed = failed_guards(exc)
            if 0 in failed:
                raise errors.InvalidReference(f'Hotel {value.hotel_id} not found') from None
            if 1 in failed:
                raise errors.AlreadyExists(f'Promo code {value.code} already exists') from None
            raise

    def replace(self, value: PromoCode, expected_version: int) -> None:
        """SET what an admin changes, if nobody changed the code since it was read; ``uses`` keeps
        moving with bookings meanwhile."""
        item = PromoItem(*PromoItem.key(value.hotel_id, value.code))
        actions = [
            getattr(PromoItem, name).remove() if v is None else getattr(PromoItem, name).set(v)
            for name, v in _values(value).items()
            if name not in ('hotel_id', 'code')
        ]
        unchanged = PromoItem.version == expected_version
        if not self._table.update_if(item, actions, PromoItem.pk.exists() & unchanged):
            self.get(value.hotel_id, value.code)  # NotFound when it was deleted meanwhile
            raise errors.Conflict('The promo code changed while it was being updated; retry')

    def delete(self, hotel_id: str, code: str) -> None:
        """Only while no booking holds a use of it (``uses = 0``, in the same write): a code that
        paid bookings used stays, deactivated, so what they were given stays explained."""
        item = PromoItem(*PromoItem.key(hotel_id, code))
        if not self._table.delete_if(item, PromoItem.pk.exists() & (PromoItem.uses == 0)):
            current = self.get(hotel_id, code)  # NotFound when it is gone
            raise errors.PromoInUse(f'{current.uses} bookings use promo code {code}; deactivate it instead')

    def delete_all(self, hotel_id: str) -> None:
        """A deleted hotel's codes (nothing can book at a hotel without room types)."""
        for found in self.list(hotel_id):
            with contextlib.suppress(errors.NotFound):
                self._table.delete_if(PromoItem(*PromoItem.key(hotel_id, found.code)), PromoItem.pk.exists())
