"""Demo data, written idempotently: two hotels in two cities, five room types with different
capacities and allotments, a year of inventory (the sale window, as housekeeping keeps it),
weekend and high-season rules, an admin."""

from __future__ import annotations

from datetime import date, datetime

from common import errors, wiring
from common.domain import Adjustment, Hotel, PriceRule, Role, RoomType
from common.sale_window import open_through
from common.services import accounts, housekeeping

HOTELS = (
    Hotel(
        'lisbon-harbour',
        'Harbour View Lisbon',
        'Lisbon',
        'Rua do Cais 12, 1200-109 Lisboa',
        'Europe/Lisbon',
        15,
        'EUR',
        check_out_hour=11,
        phone='+351 213 000 123',
        notification_email='reservations@harbour-view-lisbon.example',
    ),
    Hotel(
        'edinburgh-old-town',
        'Old Town Edinburgh',
        'Edinburgh',
        '12 Royal Mile, EH1 1QS',
        'Europe/London',
        14,
        'GBP',
        check_out_hour=10,
        phone='+44 131 496 0000',
        notification_email='frontdesk@old-town-edinburgh.example',
    ),
)

ROOM_TYPES = (
    RoomType(
        'lisbon-standard-double',
        'lisbon-harbour',
        'Standard Double',
        'Quiet double room over the old town.',
        capacity=2,
        base_price=12000,
        currency='EUR',
        total_rooms=20,
        view_type='city',
        amenities=('wifi', 'air-conditioning'),
    ),
    RoomType(
        'lisbon-deluxe-king',
        'lisbon-harbour',
        'Deluxe King',
        'King bed, balcony over the Tagus.',
        capacity=2,
        base_price=18000,
        currency='EUR',
        total_rooms=8,
        view_type='sea',
        amenities=('wifi', 'air-conditioning', 'minibar', 'balcony'),
    ),
    RoomType(
        'lisbon-family-suite',
        'lisbon-harbour',
        'Family Suite',
        'Two rooms, sleeps four, river view.',
        capacity=4,
        base_price=26000,
        currency='EUR',
        total_rooms=3,
        view_type='sea',
        amenities=('wifi', 'air-conditioning', 'kitchenette'),
    ),
    RoomType(
        'edinburgh-classic-twin',
        'edinburgh-old-town',
        'Classic Twin',
        'Two single beds, courtyard side.',
        capacity=2,
        base_price=9500,
        currency='GBP',
        total_rooms=12,
        view_type='courtyard',
        amenities=('wifi',),
    ),
    RoomType(
        'edinburgh-castle-suite',
        'edinburgh-old-town',
        'Castle Suite',
        'Suite facing the castle rock.',
        capacity=3,
        base_price=21000,
        currency='GBP',
        total_rooms=2,
        view_type='castle',
        amenities=('wifi', 'minibar', 'bathtub'),
    ),
)


def rules(today: date) -> list[PriceRule]:
    """Weekend rates for both hotels and a high season for each, this year's and next."""
    found = [
        PriceRule(
            'lisbon-weekend',
            'lisbon-harbour',
            'Weekend nights',
            Adjustment('percent', 20),
            priority=20,
            weekdays=(5, 6),
        ),
        PriceRule(
            'edinburgh-weekend',
            'edinburgh-old-town',
            'Weekend nights',
            Adjustment('percent', 15),
            priority=20,
            weekdays=(5, 6),
        ),
    ]
    for year in (today.year, today.year + 1):
        found.append(
            PriceRule(
                f'lisbon-summer-{year}',
                'lisbon-harbour',
                f'High season {year}',
                Adjustment('percent', 35),
                priority=10,
                start_date=date(year, 6, 15),
                end_date=date(year, 9, 15),
            )
        )
        found.append(
            PriceRule(
                f'edinburgh-festival-{year}',
                'edinburgh-old-town',
                f'Festival {year}',
                Adjustment('percent', 50),
                priority=10,
                start_date=date(year, 8, 1),
                end_date=date(year, 8, 31),
                min_stay=2,
            )
        )
    return found


def seed(now: datetime, admin_email: str, admin_password: str) -> dict[str, object]:
    """Create what is missing; existing data (and bookings against it) are left as they are."""
    deps = wiring.build_deps()
    existing_hotels = {h.id for h in deps.catalog.list_hotels()}
    for hotel in HOTELS:
        if hotel.id not in existing_hotels:
            deps.catalog.put_hotel(hotel, create=True)
    existing_types = {r.id for r in deps.catalog.list_room_types()}
    nights = 0
    for room_type in ROOM_TYPES:
        hotel = next(h for h in HOTELS if h.id == room_type.hotel_id)
        if room_type.id in existing_types:  # a table seeded before: open only what is missing
            nights += housekeeping.open_window(deps, room_type, hotel, now)
            continue
        # Created here, before the API serves or housekeeping runs: nobody else can write its
        # nights yet, so they go in batches (a conditional put per night took most of the start).
        deps.catalog.put_room_type(room_type, create=True)
        last = open_through(hotel, now, deps.settings.sale_window_days)
        nights += deps.inventory.open_fresh(room_type, hotel.today(now), last)
    for rule in rules(now.date()):
        deps.catalog.put_rule(rule)
    try:
        accounts.register(deps, admin_email, admin_password, 'Hotel Admin', now, role=Role.ADMIN)
        admin = 'created'
    except errors.EmailTaken:
        admin = 'exists'
    return {'hotels': len(HOTELS), 'room_types': len(ROOM_TYPES), 'nights_opened': nights, 'admin': admin}
