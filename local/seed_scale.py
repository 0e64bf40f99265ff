"""`make seed-scale N=500`: a city of many hotels and room types, with a year of inventory, on the
local run's table (for the search benchmark and for trying the site at scale).

    make seed-scale N=500 ENDPOINT=http://127.0.0.1:4566 TABLE=hotel-booking   # the local run's table
    python -m local.seed_scale --endpoint URL --table NAME --room-types 500 [--city Scaleton]
        [--per-hotel 10] [--days 365]

Creates ``N`` room types, ``--per-hotel`` to a hotel, in one city, each with ``--days`` nights
from today (BatchWriteItem: the room types are new, nobody can have booked them), then writes the
city's search view from that inventory (the stream consumer of `make run` would get there too; this
way the view is whole when the command returns). Safe to repeat: hotels and room types that exist
are left as they are (and their inventory with them).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta

from common.domain import Hotel, RoomType
from common.services import search_view
from common.services.deps import Deps
from local import target

AMENITIES = ('wifi', 'balcony', 'bathtub', 'desk', 'kitchenette', 'air-conditioning')
VIEWS = ('city', 'sea', 'garden', None)


def slug(city: str) -> str:
    return ''.join(c if c.isalnum() else '-' for c in city.casefold()).strip('-')


def catalogue(city: str, room_types: int, per_hotel: int) -> list[tuple[Hotel, list[RoomType]]]:
    """The hotels and room types of the scale city: varied capacity, prices, amenities and ratings,
    so filters and orders have something to sort."""
    hotels = []
    prefix = slug(city)
    for h in range((room_types + per_hotel - 1) // per_hotel):
        hotel = Hotel(f'{prefix}-{h:04d}', f'{city} Hotel {h + 1}', city, f'{h + 1} Scale Street', 'UTC', 15, 'EUR')
        types = []
        for r in range(min(per_hotel, room_types - h * per_hotel)):
            n = h * per_hotel + r
            types.append(
                RoomType(
                    f'{hotel.id}-r{r:02d}',
                    hotel.id,
                    f'Room {r + 1}',
                    'A room of the scale city',
                    capacity=1 + n % 4,
                    base_price=6000 + (n * 7919) % 30000,
                    currency='EUR',
                    total_rooms=1 + n % 12,
                    view_type=VIEWS[n % len(VIEWS)],
                    amenities=tuple(a for i, a in enumerate(AMENITIES) if (n >> i) % 2 or i == 0),
                    rating_sum=18 + (n * 31) % 28 if n % 5 else 0,  # averages of 2 to 5 stars
                    review_count=9 if n % 5 else 0,
                )
            )
        hotels.append((hotel, types))
    return hotels


def create(deps: Deps, city: str, room_types: int, per_hotel: int = 10, days: int = 365) -> dict[str, int]:
    """Create what is missing of the scale city; write its search view. Returns what it did."""
    now = deps.clock()
    existing_hotels = {h.id for h in deps.catalog.list_hotels()}
    existing_types = {r.id for r in deps.catalog.list_room_types()}
    new_types: list[RoomType] = []
    hotels = catalogue(city, room_types, per_hotel)
    for hotel, types in hotels:
        if hotel.id not in existing_hotels:
            deps.catalog.put_hotel(hotel, create=True)
        for room_type in types:
            if room_type.id not in existing_types:
                deps.catalog.put_room_type(room_type, create=True)
                new_types.append(room_type)
    first = now.astimezone(UTC).date()
    last = first + timedelta(days=days - 1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        nights = sum(pool.map(lambda rt: deps.inventory.open_fresh(rt, first, last), new_types))
    deps.catalog_cache.clear()
    items = search_view.rebuild(deps, city)
    return {'hotels': len(hotels), 'room_types': room_types, 'new_room_types': len(new_types), 'nights': nights,
            'view_items': items}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target.add_arguments(parser, default_table='hotel-booking')
    parser.add_argument('--room-types', type=int, default=500)
    parser.add_argument('--city', default='Scaleton')
    parser.add_argument('--per-hotel', type=int, default=10)
    parser.add_argument('--days', type=int, default=365)
    args = parser.parse_args(argv)
    table = target.apply(parser, args)
    for name, value in (('POWERTOOLS_METRICS_DISABLED', 'true'), ('POWERTOOLS_TRACE_DISABLED', 'true')):
        os.environ.setdefault(name, value)
    os.environ.setdefault('POWERTOOLS_LOG_LEVEL', 'WARNING')
    from common import wiring

    started = time.monotonic()
    done = create(wiring.build_deps(), args.city, args.room_types, args.per_hotel, args.days)
    print(
        f'{table}: {args.city}: {done["hotels"]} hotels, {done["room_types"]} room types '
        f'({done["new_room_types"]} new, {done["nights"]} nights opened), {done["view_items"]} search view items, '
        f'in {time.monotonic() - started:.0f}s. Try /api/rooms/search?city={args.city}&check_in=...&check_out=...'
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
