"""The hotel console (/admin/) in Debian's Chromium against `make run`: the seeded admin creates a
hotel and a room type, sets an allotment range and a stop-sell night in the grid (the guest search
changes), creates a weekend rule (the preview and the guest's price change), sees a guest's booking
in arrivals and in the occupancy chart, and is refused an allotment below the booked rooms on those
nights; a visitor gets the sign-in form and a guest's account is refused; the grid with 10 room
types x 90 nights, by keyboard. No request leaves this machine and axe finds nothing serious on any
console page (desktop and phone).

`make web-screenshots` runs the first test with UPDATE_WEB_SCREENSHOTS=1 for docs/screenshots.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_web_journey import PASSWORD, _account
from tests.e2e.test_web_security import FIRST_LOAD_BUDGET
from tests.support import factories
from tests.support.browser import Site, gzip_size
from tests.support.fixtures import E2E_TARGET, LocalStack, point_dynamodb_at

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(E2E_TARGET == 'emulated', reason='the site is served by make run (docs/run-emulated.md)'),
]
TODAY = datetime.now(UTC).date()  # the test hotel's time zone is Lisbon's: UTC or one hour ahead


def _day(d: date) -> str:
    """As the console and the site write a night: "Fri 12 Jun"."""
    return d.strftime('%a %-d %b')


def _cell(site: Site, room_type_id: str, night: date):
    return site.page.locator(f'tr[data-room-type="{room_type_id}"] td[data-date="{night.isoformat()}"]')


def _focus(site: Site, room_type_id: str, night: date):
    """Click a night's cell and wait until it has the keyboard focus (keys go there next)."""
    cell = _cell(site, room_type_id, night)
    cell.click()
    expect(cell).to_be_focused()
    return cell


def _sign_in_to_console(site: Site, email: str, password: str) -> None:
    site.open('/admin/')
    site.page.get_by_role('heading', name='Sign in to the hotel console').wait_for()
    site.page.get_by_label('Email').fill(email)
    site.page.get_by_label('Password').fill(password)
    site.page.get_by_role('button', name='Sign in').click()


def _book(stack: LocalStack, room_type_id: str, check_in: date, nights: int, *, pay: bool) -> dict:
    _, token = _account(stack.url)
    headers = {'Authorization': f'Bearer {token}'}
    body = {
        'room_type_id': room_type_id,
        'check_in': check_in.isoformat(),
        'check_out': (check_in + timedelta(days=nights)).isoformat(),
        'guests': 2,
    }
    held = requests.post(f'{stack.url}/api/bookings', json=body, headers=headers, timeout=10)
    assert held.status_code == 201, held.text
    if not pay:
        return held.json()
    paid = requests.post(
        f'{stack.url}/api/bookings/{held.json()["id"]}/checkout',
        json={'auto_confirm': True},
        headers=headers,
        timeout=15,
    )
    assert paid.status_code == 200 and paid.json()['status'] == 'CONFIRMED', paid.text
    return held.json()


def test_the_admin_runs_a_hotel_from_the_console(site: Site, local_stack: LocalStack):
    page = site.page
    suffix = factories.unique('c').split('-')[1]
    hotel_id, city, room_id = f'console-{suffix}', f'Porto {suffix}', f'river-king-{suffix}'

    # Sign in as the seeded admin: the inventory grid is the first page
    _sign_in_to_console(site, local_stack.admin_email, local_stack.admin_password)
    page.get_by_role('grid').wait_for()

    # A hotel, then a room type (the API's refusal of a taken id is shown in words)
    page.get_by_role('link', name='Hotels and rooms').click()
    page.get_by_role('button', name='New hotel').click()
    form = page.get_by_role('form', name='New hotel')
    form.get_by_label('Id').fill(hotel_id)
    form.get_by_label('Name').fill('Riverside Porto')
    form.get_by_label('City').fill(city)
    form.get_by_role('button', name='Create hotel').click()
    page.get_by_role('heading', name='Room types at Riverside Porto').wait_for()
    page.get_by_role('button', name='New room type').click()
    form = page.get_by_role('form', name='New room type')
    form.get_by_label('Id').fill('lisbon-deluxe-king')
    form.get_by_label('Name', exact=True).fill('River King')
    form.get_by_label('Base price per night (EUR)').fill('100')
    form.get_by_label('Rooms (allotment of every night)').fill('5')
    form.get_by_role('button', name='Create room type').click()
    form.get_by_role('alert').filter(has_text='Choose another id').wait_for()
    form.get_by_label('Id').fill(room_id)
    form.get_by_role('button', name='Create room type').click()
    page.get_by_text('River King created: 5 rooms on sale').wait_for()
    site.check('console-hotels')

    # The grid: three nights by keyboard (click, Shift+Right twice), allotment 3
    first = TODAY + timedelta(days=20)
    page.get_by_role('link', name='Inventory').click()
    _focus(site, room_id, first)
    page.keyboard.press('Shift+ArrowRight')
    page.keyboard.press('Shift+ArrowRight')
    expect(page.locator(f'tr[data-room-type="{room_id}"] td[aria-selected="true"]')).to_have_count(3)
    summary = page.locator('#selection-summary').inner_text()
    assert summary == f'River King, {_day(first)} \N{EN DASH} {_day(first + timedelta(2))} (3 nights)'
    page.keyboard.press('Enter')  # to the allotment field
    page.keyboard.type('3')
    page.keyboard.press('Enter')
    page.get_by_text('River King: Allotment 3 on 3 nights.').wait_for()
    _cell(site, room_id, first).filter(has_text='3/3').wait_for()
    # ...and the middle night stops selling
    _focus(site, room_id, first + timedelta(1))
    page.get_by_role('button', name='Stop sell').click()
    page.get_by_text('River King: Stop-sell on 1 night.').wait_for()
    expect(_cell(site, room_id, first + timedelta(1))).to_have_class(re.compile(r'\bstop\b'))
    assert 'stop-sell' in _cell(site, room_id, first + timedelta(1)).locator('.visually-hidden').inner_text()

    # The guest search sees both
    stay = f'check_in={first.isoformat()}&check_out={(first + timedelta(3)).isoformat()}&guests=2&rooms=1'
    card = page.get_by_role('listitem').filter(has=page.get_by_role('heading', name='River King'))

    def card_says(text: str, within: str = '') -> Callable[[], bool]:
        def says() -> bool:
            card.wait_for()  # the results have rendered
            found = card.locator(within) if within else card.get_by_text(text)
            return found.count() > 0 and text in found.first.inner_text()

        return says

    stop_sold = f'Sold out on {_day(first + timedelta(1))}'
    site.open_until(f'/?city={requests.utils.quote(city)}&{stay}', card_says(stop_sold, '.sold-out-label'), stop_sold)
    one_night = f'check_in={first.isoformat()}&check_out={(first + timedelta(1)).isoformat()}&guests=2&rooms=1'
    site.open_until(f'/?city={requests.utils.quote(city)}&{one_night}', card_says('Only 3 left'), 'Only 3 left')

    # A weekend rule: the preview explains it, and a guest pays it
    friday = TODAY + timedelta(days=7 + (4 - TODAY.weekday()) % 7)  # a Friday 7 to 13 days ahead
    site.open('/admin/rules')
    page.get_by_role('button', name='New rule').click()
    form = page.get_by_role('form', name='New price rule')
    form.get_by_label('Name').fill('Weekend')
    form.get_by_label('Percent').fill('20')
    form.get_by_label('Friday').check()
    form.get_by_label('Saturday').check()
    form.get_by_role('button', name='Create rule').click()
    page.get_by_text('Rule “Weekend” created.').wait_for()
    page.get_by_label('Check-in').fill(friday.isoformat())
    page.get_by_label('Check-out').fill((friday + timedelta(2)).isoformat())
    preview = page.get_by_role('region', name='Preview a stay')
    preview.locator('[data-total="24000"]').wait_for()
    steps = preview.get_by_role('list', name=f'How {_day(friday)} is priced').inner_text()
    assert 'Weekend (+20 %)' in steps and '€100.00 → €120.00' in steps
    site.check('console-rules', screenshot=True)
    weekend = f'check_in={friday.isoformat()}&check_out={(friday + timedelta(2)).isoformat()}&guests=2&rooms=1'
    site.open(f'/?city={requests.utils.quote(city)}&{weekend}')
    card = page.get_by_role('listitem').filter(has=page.get_by_role('heading', name='River King'))
    assert card.locator('.amount').inner_text() == '€240.00'

    # Guests book: one pays for the weekend, another holds a room on it, one more pays later on
    paid = _book(local_stack, room_id, friday, 2, pay=True)
    _book(local_stack, room_id, friday + timedelta(1), 1, pay=False)
    _book(local_stack, room_id, friday + timedelta(3), 3, pay=True)

    site.open('/admin/bookings')
    row = page.locator(f'tr[data-booking="{paid["id"]}"]')
    row.wait_for()
    assert 'Confirmed' in row.inner_text() and '€240.00' in row.inner_text()
    assert page.locator('tr[data-booking]').count() == 3
    site.check('console-arrivals')

    # The occupancy chart: the cursor on the Friday reads the whole hotel's occupancy (1 of 5 rooms)
    site.open('/admin/reports')
    page.locator('[data-kpi="sold"]').filter(has_text='5').wait_for()  # 2 + 3 room-nights sold
    assert page.locator('[data-kpi="revenue"]').inner_text() == '€540.00'  # 240 + 3 x 100
    chart = page.locator('.chart').first
    over = chart.locator('.u-over')
    box = over.bounding_box()
    shown_from = date.fromisoformat(page.get_by_label('From').input_value())  # the browser's today
    nights = 30
    index = (friday - shown_from).days
    page.mouse.move(box['x'] + box['width'] * index / (nights - 1), box['y'] + box['height'] / 2)
    legend = chart.locator('.u-legend .u-series').nth(1)  # after the night: the whole hotel
    assert legend.locator('.u-value').inner_text() == '20 %'
    assert chart.locator('.u-legend .u-series').first.locator('.u-value').inner_text() == _day(friday)
    friday_row = page.locator('#nights-table tbody tr').nth(index)
    assert friday_row.locator('th').inner_text() == _day(friday)
    assert [c.inner_text() for c in friday_row.locator('td').all()][:4] == ['5', '1', '0', '20.0 %']
    site.check('console-report', screenshot=True)

    # An allotment below the booked rooms is refused on exactly those nights
    site.open('/admin/')
    _focus(site, room_id, friday)
    page.keyboard.press('Shift+ArrowRight')
    expect(page.locator('td[aria-selected="true"]')).to_have_count(2)
    page.get_by_label('Allotment', exact=True).fill('1')
    page.get_by_role('button', name='Set allotment').click()
    refusal = page.get_by_role('alert').filter(has_text='Refused')
    refusal.wait_for()
    assert f'more rooms are booked than the new allotment on {_day(friday + timedelta(1))}' in refusal.inner_text()
    expect(_cell(site, room_id, friday + timedelta(1))).to_have_class(re.compile(r'\bconflict\b'))
    expect(_cell(site, room_id, friday)).not_to_have_class(re.compile(r'\bconflict\b'))
    assert 'refused: 2 rooms booked' in _cell(site, room_id, friday + timedelta(1)).inner_text()
    site.check('console-inventory', screenshot=True)


def test_a_visitor_gets_the_sign_in_form_and_a_guest_is_refused(
    site: Site, local_stack: LocalStack, capsys: pytest.CaptureFixture[str]
):
    email, token = _account(local_stack.url)
    loaded: dict[str, int] = {}

    def sized(response) -> None:
        if response.request.resource_type in ('script', 'stylesheet') and response.ok:
            loaded[response.url] = gzip_size(response.body())

    site.page.on('response', sized)
    site.open('/admin/bookings')
    site.page.get_by_role('heading', name='Sign in to the hotel console').wait_for()
    site.check('console-sign-in')
    # The first load is small and leaves the chart library to the report page
    total = sum(loaded.values())
    with capsys.disabled():
        print(f'\nfirst load of the console: {len(loaded)} JS/CSS files, {total / 1024:.1f} KiB gzipped')
    assert total <= FIRST_LOAD_BUDGET and not any('uplot' in url for url in loaded), loaded

    _sign_in_to_console(site, email, PASSWORD)
    refusal = site.page.get_by_role('alert').filter(has_text='without access to the hotel console')
    refusal.wait_for()
    assert email in refusal.inner_text()
    assert site.page.get_by_role('navigation', name='Console').count() == 0
    site.check('console-not-allowed')
    # The API refuses the guest's token whatever a page shows
    reply = requests.get(
        f'{local_stack.url}/api/admin/hotels', headers={'Authorization': f'Bearer {token}'}, timeout=10
    )
    assert (reply.status_code, reply.json()['code']) == (403, 'forbidden')


ROOM_TYPES, NIGHTS = 10, 90
DOM_BUDGET = 12_000  # elements on the whole page with the grid of 900 cells


def test_the_grid_of_10_room_types_by_90_nights_works_by_keyboard(
    site: Site, local_stack: LocalStack, capsys: pytest.CaptureFixture[str]
):
    # Written straight to the stack's table (the API would open a whole sale window per room type)
    hotel_id = factories.unique('grid-hotel')
    endpoint, table = local_stack.audit_target()
    point_dynamodb_at(endpoint, table, f'{table}-idempotency')
    try:
        hotel = factories.hotel(hotel_id, timezone='Europe/Lisbon', city='Gridville')
        for n in range(ROOM_TYPES):
            factories.room_type(
                hotel, f'{hotel_id}-{n:02d}', total_rooms=8, open_from=TODAY - timedelta(days=1), open_days=92
            )
    finally:
        point_dynamodb_at(None, 'hotel-booking-test', 'hotel-booking-idempotency-test')

    page = site.page
    _sign_in_to_console(site, local_stack.admin_email, local_stack.admin_password)
    page.get_by_role('grid').wait_for()
    page.get_by_label('Hotel', exact=True).select_option(hotel_id)
    page.locator(f'tr[data-room-type="{hotel_id}-00"]').wait_for()
    started = page.evaluate('performance.now()')
    page.get_by_label('Show', exact=True).select_option(str(NIGHTS))
    page.locator('td[role="gridcell"]').nth(ROOM_TYPES * NIGHTS - 1).wait_for()
    shown_ms = page.evaluate('performance.now()') - started
    assert page.locator('td[role="gridcell"]').count() == ROOM_TYPES * NIGHTS
    grid = page.get_by_role('grid')
    assert (grid.get_attribute('aria-rowcount'), grid.get_attribute('aria-colcount')) == ('12', '91')
    elements = page.evaluate('document.getElementsByTagName("*").length')

    # One tab stop; arrows move it, and each press renders and focuses the next cell
    page.locator('#cell-0-0').click()
    expect(page.locator('#cell-0-0')).to_be_focused()
    assert page.locator('td[tabindex="0"]').count() == 1
    key_ms = page.evaluate(
        """async () => {
            const times = [];
            for (let i = 0; i < 40; i += 1) {  // 31 to the right, 9 down: never against an edge
                const before = document.activeElement;
                const started = performance.now();
                const key = i % 4 === 3 && i < 36 ? 'ArrowDown' : 'ArrowRight';
                before.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
                while (document.activeElement === before && performance.now() - started < 2000) {
                    await new Promise(r => setTimeout(r, 0));
                }
                times.push(performance.now() - started);
            }
            times.sort((a, b) => a - b);
            return {median: times[20], worst: times[39]};
        }"""
    )
    active = page.evaluate('document.activeElement.id')
    assert active == 'cell-9-31' and page.locator('td[tabindex="0"]').get_attribute('id') == active
    # Shift+End: the rest of the row; Shift+Space: the room type's nights; Ctrl+Space: the night
    selected = page.locator('td[aria-selected="true"]')
    page.keyboard.press('Shift+End')
    expect(selected).to_have_count(NIGHTS - 31)
    expect(page.locator(f'#cell-9-{NIGHTS - 1}')).to_be_focused()
    page.keyboard.press('Shift+Space')
    expect(selected).to_have_count(NIGHTS)
    page.keyboard.press('Control+Space')
    expect(selected).to_have_count(ROOM_TYPES)
    last_night = date.fromisoformat(page.locator(f'#cell-0-{NIGHTS - 1}').get_attribute('data-date'))
    assert page.locator('#selection-summary').inner_text() == f'10 room types, {_day(last_night)} (1 night)'
    started = page.evaluate('performance.now()')
    page.evaluate(
        """() => new Promise(resolve => {
            const box = document.querySelector('.grid-scroll');
            box.scrollLeft = box.scrollWidth;
            requestAnimationFrame(() => requestAnimationFrame(resolve));
        })"""
    )
    scroll_ms = page.evaluate('performance.now()') - started
    with capsys.disabled():
        print(
            f'\ninventory grid {ROOM_TYPES} x {NIGHTS}: {elements} DOM elements; 3 months shown in {shown_ms:.0f} ms '
            f'(API included); arrow key to focused cell: median {key_ms["median"]:.1f} ms, worst {key_ms["worst"]:.1f} ms; '
            f'scroll to the end: {scroll_ms:.0f} ms'
        )
    assert elements <= DOM_BUDGET
