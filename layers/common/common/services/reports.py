"""Admin reads over bookings: the booking list by arrival date and the occupancy report.

Both read the arrivals index (bookings by hotel and check-in month, then date), which is eventually
consistent: a booking made in the last second may not show yet. Inventory figures come from the
table itself. Nothing here decides availability.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from common import errors
from common.domain import Booking, BookingStatus, Hotel, InventoryNight, RoomType
from common.ports import Page
from common.sale_window import kept_from
from common.services import availability, catalog
from common.services.deps import Deps

MAX_LIST_DAYS = 366
DEFAULT_LIST_DAYS = 31
MAX_REPORT_DAYS = 366
MAX_REPORT_ROWS = 20_000  # nights x room types; keeps the answer well under Lambda's 6 MB
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix='report')


def _range(start: date | None, end: date | None, now: datetime, default_days: int, max_days: int) -> tuple[date, date]:
    start = start or now.date()
    end = end or start + timedelta(days=default_days)
    if end <= start:
        raise errors.InvalidDates('to must be after from (to is exclusive)')
    if (end - start).days > max_days:
        raise errors.RangeTooLong(f'The range covers at most {max_days} days', max_days=max_days)
    return start, end


# ---------------------------------------------------------------- booking list


def parse_statuses(raw: str | None) -> frozenset[BookingStatus] | None:
    """The ``status`` filter: a comma-separated list of statuses (any case); None for no filter."""
    if not raw:
        return None
    allowed = ', '.join(s.value for s in BookingStatus)
    try:
        statuses = frozenset(BookingStatus(s.strip().upper()) for s in raw.split(',') if s.strip())
    except ValueError:
        raise errors.Unprocessable(f'status must be a comma-separated list of {allowed}') from None
    if not statuses:  # ',' names no status: a filter matching nothing is a client's mistake
        raise errors.Unprocessable(f'status must name at least one of {allowed}')
    return statuses


def hotels_to_read(deps: Deps, hotel_id: str | None, room_type_id: str | None) -> list[str]:
    """Whose partitions of the arrivals index a listing reads (one per hotel and month): the hotel
    named, else the room type's hotel, else every hotel of the catalogue (cached). Bookings of a
    deleted hotel are listed only by naming it."""
    if hotel_id:
        return [hotel_id]
    if room_type_id:
        found = catalog.room_types(deps).get(room_type_id)
        if found is None:
            try:
                found = deps.catalog.get_room_type(room_type_id)
            except errors.NotFound:
                found = None
        if found is not None:
            return [found.hotel_id]
    return sorted(catalog.hotels(deps))


@dataclass(frozen=True)
class BookingQuery:
    start: date | None = None  # check-in from (inclusive); default today (UTC)
    end: date | None = None  # check-in to (exclusive); default start + 31 days
    statuses: frozenset[BookingStatus] | None = None
    hotel_id: str | None = None
    room_type_id: str | None = None
    limit: int | None = None  # default PAGE_SIZE_DEFAULT
    cursor: str | None = None
    descending: bool = False


def list_bookings(deps: Deps, query: BookingQuery, now: datetime) -> Page[Booking]:
    """Bookings by check-in date (then booking id); statuses as clients see them (an unpaid hold
    past its expiry counts as EXPIRED)."""
    start, end = _range(query.start, query.end, now, DEFAULT_LIST_DAYS, MAX_LIST_DAYS)
    return deps.bookings.list_by_arrival(
        hotels_to_read(deps, query.hotel_id, query.room_type_id),
        start,
        end,
        now=now,
        statuses=query.statuses,
        room_type_id=query.room_type_id,
        limit=query.limit or deps.settings.page_size_default,
        cursor=query.cursor,
        descending=query.descending,
    )


# ---------------------------------------------------------------- occupancy


def _ratio(numerator: int, denominator: int, scale: int = 1) -> Decimal | None:
    if not denominator:
        return None
    return Decimal(numerator * scale) / Decimal(denominator)


def percent(part: int, whole: int) -> float | None:
    value = _ratio(part, whole, 100)
    return None if value is None else float(value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP))


def money_ratio(amount: int, count: int) -> int | None:
    value = _ratio(amount, count)
    return None if value is None else int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class NightFigures:
    date: date
    allotment: int
    available: int
    stop_sell: bool
    sold: int  # rooms of CONFIRMED bookings
    held: int  # rooms of unexpired PENDING bookings (unpaid holds, until paid, cancelled or expired)
    revenue: int  # room revenue of CONFIRMED bookings: locked night amounts without taxes
    revenue_by_plan: dict[str, int] = field(default_factory=dict)  # the same, per rate plan code

    @property
    def occupancy(self) -> float | None:
        return percent(self.sold, self.allotment)

    @property
    def adr(self) -> int | None:
        return money_ratio(self.revenue, self.sold)

    @property
    def revpar(self) -> int | None:
        return money_ratio(self.revenue, self.allotment)


@dataclass
class Totals:
    allotment: int = 0
    sold: int = 0
    held: int = 0
    revenue: int = 0
    revenue_by_plan: dict[str, int] = field(default_factory=dict)

    def add(self, other: NightFigures | Totals) -> None:
        self.allotment += other.allotment
        self.sold += other.sold
        self.held += other.held
        self.revenue += other.revenue
        for plan, amount in other.revenue_by_plan.items():
            self.revenue_by_plan[plan] = self.revenue_by_plan.get(plan, 0) + amount

    @property
    def occupancy(self) -> float | None:
        return percent(self.sold, self.allotment)

    @property
    def adr(self) -> int | None:
        """Average daily rate: room revenue per room-night sold."""
        return money_ratio(self.revenue, self.sold)

    @property
    def revpar(self) -> int | None:
        """Revenue per available room-night (the allotment)."""
        return money_ratio(self.revenue, self.allotment)


@dataclass(frozen=True)
class RoomTypeOccupancy:
    room_type: RoomType
    nights: list[NightFigures]
    totals: Totals


@dataclass(frozen=True)
class HotelOccupancy:
    hotel_id: str
    currency: str
    totals: Totals
    nights: dict[date, Totals] = field(default_factory=dict)  # every room type of the hotel, per night


@dataclass(frozen=True)
class OccupancyQuery:
    start: date | None = None
    end: date | None = None  # exclusive
    hotel_id: str | None = None
    room_type_id: str | None = None


@dataclass(frozen=True)
class OccupancyReport:
    start: date
    end: date
    room_types: list[RoomTypeOccupancy] = field(default_factory=list)
    hotels: list[HotelOccupancy] = field(default_factory=list)


# Bookings made before rate plans (no terms): their revenue is listed under this key.
NO_PLAN = 'STANDARD'


def _figures(
    nights: list[InventoryNight], bookings: list[Booking], start: date, end: date, now: datetime | None
) -> list[NightFigures]:
    """With ``now``, a hold past its expiry that nobody has released yet is over: its rooms count
    as available (as search shows them), neither held nor sold. Without, the nights as stored (such
    a hold still held). Either way allotment = available + sold + held on every night, at every
    instant."""
    sold: dict[date, int] = defaultdict(int)
    held: dict[date, int] = defaultdict(int)
    revenue: dict[date, int] = defaultdict(int)
    by_plan: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for booking in bookings:
        status = booking.status if now is None else booking.effective_status(now)
        price = booking.price
        plan = booking.rate_plan_id or NO_PLAN
        for night in booking.nightly:
            if not start <= night.date < end:
                continue
            if status is BookingStatus.CONFIRMED:
                sold[night.date] += booking.rooms
                revenue[night.date] += price.night_revenue(night)
                by_plan[night.date][plan] += price.night_revenue(night)
            elif status is BookingStatus.PENDING:
                held[night.date] += booking.rooms
    due = availability.releasable(bookings, now) if now is not None else {}
    return [
        NightFigures(
            date=n.date,
            allotment=n.allotment,
            available=availability.released(n, due.get((n.room_type_id, n.date), 0)).available,
            stop_sell=n.stop_sell,
            sold=sold[n.date],
            held=held[n.date],
            revenue=revenue[n.date],
            revenue_by_plan=dict(sorted(by_plan[n.date].items())),
        )
        for n in nights
    ]


def _room_types(deps: Deps, hotel_id: str | None, room_type_id: str | None, days: int) -> list[RoomType]:
    room_types = [
        rt
        for rt in deps.catalog.list_room_types()
        if (hotel_id is None or rt.hotel_id == hotel_id) and (room_type_id is None or rt.id == room_type_id)
    ]
    if room_type_id is not None and not room_types:
        raise errors.NotFound('Room type not found')
    room_types.sort(key=catalog.admin_order)
    rows = len(room_types) * days
    if rows > MAX_REPORT_ROWS:
        raise errors.RangeTooLong(
            f'The report would have {rows} rows (at most {MAX_REPORT_ROWS}); narrow the dates or filter by hotel_id',
            max_rows=MAX_REPORT_ROWS,
        )
    return room_types


def _nights_of(
    deps: Deps,
    room_types: list[RoomType],
    start: date,
    end: date,
    *,
    room_type_id: str | None,
    now: datetime | None,
    consistent: bool = False,
) -> list[list[NightFigures]]:
    """Each room type's nights with what is sold and held on them (``_figures``: at ``now``, or
    as stored): one inventory Query per room type (in parallel) and the bookings holding rooms in
    the range from the arrivals index (one Query per hotel of these room types and check-in month,
    from ``MAX_STAY_HARD_LIMIT`` nights before ``start``)."""
    inventories = list(
        _pool.map(lambda rt: deps.inventory.nights(rt.id, start, end, consistent=consistent), room_types)
    )
    hotel_ids = sorted({rt.hotel_id for rt in room_types})  # only theirs: one index partition per hotel and month
    bookings = deps.bookings.holding_rooms(hotel_ids, start, end, room_type_id=room_type_id) if hotel_ids else []
    by_room_type: dict[str, list[Booking]] = defaultdict(list)
    for booking in bookings:
        by_room_type[booking.room_type_id].append(booking)
    return [
        _figures(nights, by_room_type[rt.id], start, end, now)
        for rt, nights in zip(room_types, inventories, strict=True)
    ]


def occupancy(deps: Deps, query: OccupancyQuery, now: datetime) -> OccupancyReport:
    """Per night and room type: allotment, available, sold, held, occupancy and revenue, with
    totals (occupancy, ADR, RevPAR) per room type and per hotel, and per night per hotel.

    Reads: the room types (1 Query) and ``_nights_of``. PENDING holds count as held until their
    expiry, then as available (docs/holds.md), so allotment = available + sold + held on every
    night.
    """
    start, end = _range(query.start, query.end, now, DEFAULT_LIST_DAYS, MAX_REPORT_DAYS)
    kept = kept_from(now, deps.settings.inventory_retention_days)
    if start < kept:  # TTL may have deleted some of those nights, or not yet: never report from them
        raise errors.InvalidDates(f'Nights before {kept.isoformat()} are no longer kept (INVENTORY_RETENTION_DAYS)')
    room_types = _room_types(deps, query.hotel_id, query.room_type_id, (end - start).days)
    figures_of = _nights_of(deps, room_types, start, end, room_type_id=query.room_type_id, now=now)

    report = OccupancyReport(start=start, end=end)
    hotel_totals: dict[str, HotelOccupancy] = {}
    for room_type, figures in zip(room_types, figures_of, strict=True):
        totals = Totals()
        hotel = hotel_totals.setdefault(
            room_type.hotel_id, HotelOccupancy(room_type.hotel_id, room_type.currency, Totals())
        )
        for night in figures:
            totals.add(night)
            hotel.nights.setdefault(night.date, Totals()).add(night)
        report.room_types.append(RoomTypeOccupancy(room_type, figures, totals))
        hotel.totals.add(totals)
    for hotel in hotel_totals.values():
        report.hotels.append(replace(hotel, nights=dict(sorted(hotel.nights.items()))))
    return report


# ---------------------------------------------------------------- the inventory grid


MAX_GRID_DAYS = 366
DEFAULT_GRID_DAYS = 28


@dataclass(frozen=True)
class InventoryGrid:
    hotel: Hotel
    today: date  # the hotel's: earlier nights cannot change
    start: date
    end: date  # exclusive
    rows: list[tuple[RoomType, list[NightFigures]]]


def inventory_grid(deps: Deps, hotel_id: str, start: date | None, end: date | None, now: datetime) -> InventoryGrid:
    """A hotel's room types x nights as staff edit them: allotment, available, stop-sell (read
    strongly consistent: what the next PUT will be checked against) and the rooms sold and held,
    counted as in the occupancy report but as stored: a hold past its expiry not released yet is
    still held here, as the next PUT's guards see it (until a hold or the sweeper releases it,
    within a minute). Nights not opened yet are absent."""
    hotel = deps.catalog.get_hotel(hotel_id)
    today = hotel.today(now)
    start, end = _range(start or today, end, now, DEFAULT_GRID_DAYS, MAX_GRID_DAYS)
    room_types = _room_types(deps, hotel_id, None, (end - start).days)
    figures_of = _nights_of(deps, room_types, start, end, room_type_id=None, now=None, consistent=True)
    rows = list(zip(room_types, figures_of, strict=True))
    return InventoryGrid(hotel=hotel, today=today, start=start, end=end, rows=rows)
