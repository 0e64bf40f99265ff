"""Who reads which partitions of the arrivals index (one per hotel and check-in month): the admin
list, the occupancy report and the reconciler name only the hotels they need, and the reconciler
walks them hotel by hotel, resumably (services/reports.py, services/reconciler.py, on fakes)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from common.domain import Booking, Hotel, RoomType
from common.services import bookings, reconciler, reports
from tests.unit.services.world import GUEST, World, world


def _second_hotel(w: World, hotel_id: str = 'porto') -> RoomType:
    hotel = Hotel(hotel_id, 'Ribeira', 'Porto', 'Cais 2', 'UTC', 15, 'EUR')
    room = RoomType(f'{hotel_id}-double', hotel.id, 'Double', '', 2, 9000, 'EUR', 5)
    w.deps.catalog.put_hotel(hotel, create=True)
    w.deps.catalog.put_room_type(room, create=True)
    room = w.deps.catalog.get_room_type(room.id)
    w.deps.inventory.open_fresh(room, w.now.date(), w.now.date() + timedelta(days=59))
    return room


def _hold(w: World, room: RoomType, start: int) -> Booking:
    request = bookings.HoldRequest(room.id, w.day(start), w.day(start + 1), 1)
    return bookings.hold(w.deps, GUEST, request, w.now)


def test_the_admin_list_reads_the_hotel_named_or_the_room_types_hotel_or_every_hotel():
    w = world()
    porto = _second_hotel(w)
    mine, theirs = _hold(w, w.room, 10), _hold(w, porto, 11)
    reads = w.deps.bookings.arrival_reads
    since = w.day(0)

    def listed(**filters: str) -> list[str]:
        page = reports.list_bookings(w.deps, reports.BookingQuery(start=since, **filters), w.now)  # type: ignore[arg-type]
        return [b.id for b in page.items]

    assert listed(hotel_id='lisbon') == [mine.id] and reads[-1] == {'lisbon'}
    assert listed(room_type_id=porto.id) == [theirs.id] and reads[-1] == {'porto'}
    assert listed() == [mine.id, theirs.id] and reads[-1] == {'lisbon', 'porto'}  # by check-in across hotels
    assert listed(room_type_id='gone') == [] and reads[-1] == {'lisbon', 'porto'}  # a deleted room type


def test_the_occupancy_report_of_one_hotel_reads_only_its_partitions():
    w = world()
    porto = _second_hotel(w)
    _hold(w, w.room, 10)
    _hold(w, porto, 10)
    query = reports.OccupancyQuery(start=w.day(10), end=w.day(11), hotel_id='porto')
    report = reports.occupancy(w.deps, query, w.now)
    assert w.deps.bookings.arrival_reads[-1] == {'porto'}
    assert [(h.hotel_id, h.totals.held) for h in report.hotels] == [('porto', 1)]
    everything = reports.occupancy(w.deps, replace(query, hotel_id=None), w.now)
    assert w.deps.bookings.arrival_reads[-1] == {'lisbon', 'porto'}
    assert sorted((h.hotel_id, h.totals.held) for h in everything.hotels) == [('lisbon', 1), ('porto', 1)]


def test_the_reconciler_walks_hotel_by_hotel_resumes_where_it_stopped_and_skips_a_hotel_deleted_meanwhile():
    w = world(reconcile_page_size=2, reconcile_max_bookings=2, max_active_holds_per_user=0)
    porto = _second_hotel(w)
    zurich = _second_hotel(w, 'zurich')
    for start in (10, 12, 14):
        _hold(w, w.room, start)
    for start in (11, 13):
        _hold(w, porto, start)
    for start in (15, 17):
        _hold(w, zurich, start)
    first = reconciler.reconcile(w.deps, w.now)
    assert (first.examined, first.complete) == (2, False)
    second = reconciler.reconcile(w.deps, w.now)  # lisbon's third booking, then porto's first
    assert (second.examined, second.complete) == (2, False)
    # every listing named one hotel (one partition per month), never the platform
    assert all(len(hotels) == 1 for hotels in w.deps.bookings.arrival_reads)
    del w.f.store.hotels['porto']  # gone from the catalogue (as after a deletion) in the middle of its bookings
    rest = reconciler.reconcile(w.deps, w.now)
    assert (rest.examined, rest.complete) == (2, True)  # on with zurich's two from their start: none read twice
