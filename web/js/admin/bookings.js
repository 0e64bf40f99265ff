// Bookings by arrival date: filters (dates, statuses, room type, order) and pages through the API's
// cursor. Statuses are those guests see (an unpaid hold past its expiry is EXPIRED).
import { html, useState } from '../html.js';
import { STATUS_WORDS, addDays, day, money, nightsBetween, plural, reference, today, when } from '../format.js';
import { withQuery } from '../router.js';
import { Field, Loading, Problem, useLoad } from '../ui.js';
import { Title, adminGet, explainAdmin, useHotels } from './common.js';

const STATUSES = ['PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED'];
const PAGE_SIZE = 20;

function Filters({ filters, roomTypes, onChange }) {
  const [values, setValues] = useState(filters);
  const set = (name) => (event) => setValues({ ...values, [name]: event.target.value });
  const toggle = (status) => (event) =>
    setValues({ ...values, statuses: event.target.checked ? [...values.statuses, status] : values.statuses.filter((s) => s !== status) });
  const submit = (event) => {
    event.preventDefault();
    onChange(values);
  };
  return html`<form class="panel filters" onSubmit=${submit} aria-label="Filter the bookings">
    <div class="filter-grid">
      <${Field} id="arrivals-from" label="Arriving from" type="date" value=${values.from} onInput=${set('from')} />
      <${Field} id="arrivals-to" label="Arriving before" type="date" value=${values.to} onInput=${set('to')} />
      <${Field} id="arrivals-room" label="Room type">
        <select id="arrivals-room" value=${values.room_type_id} onChange=${set('room_type_id')}>
          <option value="">Every room type</option>
          ${roomTypes.map((rt) => html`<option value=${rt.id}>${rt.name}</option>`)}
        </select>
      <//>
      <${Field} id="arrivals-order" label="Order">
        <select id="arrivals-order" value=${values.order} onChange=${set('order')}>
          <option value="asc">Earliest arrival first</option>
          <option value="desc">Latest arrival first</option>
        </select>
      <//>
    </div>
    <fieldset class="statuses">
      <legend>Status <span class="muted small">(none ticked: all)</span></legend>
      ${STATUSES.map(
        (status) => html`<label class="check"><input type="checkbox" checked=${values.statuses.includes(status)} onChange=${toggle(status)} /> ${STATUS_WORDS[status]}</label>`,
      )}
    </fieldset>
    <button type="submit" class="primary">Show bookings</button>
  </form>`;
}

export function BookingsPage() {
  const { hotel, error: hotelsError } = useHotels();
  const [filters, setFilters] = useState({ from: today(), to: addDays(today(), 31), room_type_id: '', order: 'asc', statuses: ['PENDING', 'CONFIRMED'] });
  const [cursors, setCursors] = useState([null]); // the cursor of each page seen so far
  const cursor = cursors[cursors.length - 1];
  const types = useLoad(() => (hotel ? adminGet(`/room-types?hotel_id=${encodeURIComponent(hotel.id)}`) : Promise.resolve({ items: [] })), [hotel?.id]);
  const page = useLoad(
    () =>
      hotel
        ? adminGet(
            withQuery('/bookings', {
              hotel_id: hotel.id,
              from: filters.from,
              to: filters.to,
              room_type_id: filters.room_type_id,
              status: filters.statuses.join(','),
              order: filters.order,
              limit: PAGE_SIZE,
              cursor,
            }),
          )
        : Promise.resolve(null),
    [hotel?.id, JSON.stringify(filters), cursor],
  );
  const names = new Map((types.data?.items || []).map((rt) => [rt.id, rt.name]));
  const apply = (next) => {
    setFilters(next);
    setCursors([null]);
  };
  const items = page.data?.items || [];
  return html`<${Title}>Arrivals${hotel ? html` <span class="muted title-hotel">· ${hotel.name}</span>` : ''}</${Title}>
    ${hotelsError && html`<${Problem} error=${explainAdmin(hotelsError)} />`}
    ${hotel && html`<${Filters} key=${hotel.id} filters=${filters} roomTypes=${types.data?.items || []} onChange=${apply} />`}
    <section aria-labelledby="arrivals-heading" aria-busy=${page.loading ? 'true' : 'false'}>
      <h2 id="arrivals-heading" class="results-heading">
        Bookings arriving ${day(filters.from)} – ${day(addDays(filters.to, -1))}${cursors.length > 1 ? `, page ${cursors.length}` : ''}
      </h2>
      ${page.loading && !page.data && html`<${Loading} what="Loading the bookings" />`}
      <${Problem} error=${page.error && explainAdmin(page.error)} />
      ${page.data &&
      (items.length
        ? html`<div class="table-scroll"><table class="data stack arrivals">
            <thead><tr><th scope="col">Arrival</th><th scope="col">Departure</th><th scope="col">Room type</th><th scope="col">Rooms</th>
              <th scope="col">Guests</th><th scope="col">Status</th><th scope="col" class="num">Total</th><th scope="col">Reference</th><th scope="col">Booked</th></tr></thead>
            <tbody>
              ${items.map(
                (booking) => html`<tr data-booking=${booking.id}>
                  <th scope="row">${day(booking.check_in)}</th>
                  <td data-label="Departure">${day(booking.check_out)} <span class="muted small">(${plural(nightsBetween(booking.check_in, booking.check_out), 'night')})</span></td>
                  <td data-label="Room type">${names.get(booking.room_type_id) || booking.room_type_id}</td>
                  <td data-label="Rooms">${booking.rooms}</td><td data-label="Guests">${booking.guests}</td>
                  <td data-label="Status"><span class=${`badge ${booking.status.toLowerCase()}`}>${STATUS_WORDS[booking.status] || booking.status}</span></td>
                  <td data-label="Total" class="num">${money(booking.total_amount, booking.currency)}</td>
                  <td data-label="Reference"><code>${reference(booking.id)}</code></td>
                  <td data-label="Booked" class="small">${when(booking.created_at)}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>`
        : html`<p>No bookings match.</p>`)}
      <nav class="pager actions" aria-label="Pages of bookings">
        <button type="button" disabled=${cursors.length === 1 || page.loading} onClick=${() => setCursors(cursors.slice(0, -1))}>
          <span aria-hidden="true">‹</span> Previous page
        </button>
        <button type="button" disabled=${!page.data?.next_cursor || page.loading} onClick=${() => setCursors([...cursors, page.data.next_cursor])}>
          Next page <span aria-hidden="true">›</span>
        </button>
      </nav>
    </section>`;
}
