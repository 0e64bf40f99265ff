// Search: city, dates, guests and rooms; every room type with its photo, capacity, amenities,
// rating, price per night and total; sold-out types greyed with the nights that are full.
import { html, useState } from '../html.js';
import { get, loadCatalogue } from '../api.js';
import { addDays, amenity, day, list, money, nightsBetween, plural, today } from '../format.js';
import { navigate, withQuery } from '../router.js';
import { Field, Loading, PageTitle, Photo, Problem, Rating, useLoad } from '../ui.js';

export function stayFrom(query) {
  const checkIn = query.get('check_in') || addDays(today(), 14);
  const checkOut = query.get('check_out') || addDays(checkIn, 3);
  return {
    city: query.get('city') ?? '',
    check_in: checkIn,
    check_out: checkOut,
    guests: Number(query.get('guests') || 2),
    rooms: Number(query.get('rooms') || 1),
  };
}

export function stayQuery(stay) {
  return { check_in: stay.check_in, check_out: stay.check_out, guests: stay.guests, rooms: stay.rooms };
}

export function SearchForm({ stay, cities, onSearch, compact = false }) {
  const [form, setForm] = useState(stay);
  const [problem, setProblem] = useState(null);
  const set = (name) => (event) => setForm({ ...form, [name]: event.target.value });
  const submit = (event) => {
    event.preventDefault();
    if (form.check_out <= form.check_in) {
      setProblem('Check-out must be after check-in.');
      return;
    }
    setProblem(null);
    onSearch({ ...form, guests: Number(form.guests), rooms: Number(form.rooms) });
  };
  return html`<form class=${`search-form${compact ? ' compact' : ''}`} onSubmit=${submit} aria-label="Search rooms">
    ${cities &&
    html`<${Field} id="city" label="Where">
      <select id="city" name="city" value=${form.city} onChange=${set('city')}>
        <option value="">Any city</option>
        ${cities.map((city) => html`<option value=${city}>${city}</option>`)}
      </select>
    <//>`}
    <${Field} id="check_in" label="Check-in" type="date" required min=${today()} value=${form.check_in}
      onInput=${set('check_in')} />
    <${Field} id="check_out" label="Check-out" type="date" required min=${addDays(form.check_in, 1)}
      value=${form.check_out} onInput=${set('check_out')} error=${problem} />
    <${Field} id="guests" label="Guests" type="number" min="1" max="20" required value=${form.guests}
      onInput=${set('guests')} />
    <${Field} id="rooms" label="Rooms" type="number" min="1" max="9" required value=${form.rooms}
      onInput=${set('rooms')} />
    <button class="primary" type="submit">Search</button>
  </form>`;
}

/** Nights a room type cannot sell for the stay (from its calendar): the reason it is greyed. */
async function fullNights(roomTypeId, stay) {
  const calendar = await get(withQuery(`/room-types/${roomTypeId}/calendar`, { from: stay.check_in, to: stay.check_out }));
  return calendar.nights.filter((night) => night.stop_sell || night.available < stay.rooms).map((night) => night.date);
}

/** The search's results a page at a time (the API's cursor), up to `pages` pages of 50. */
async function pagesOf(query, pages = 4) {
  let found = await get(withQuery('/rooms/search', { ...query, limit: 50 }));
  const results = [...found.results];
  for (let page = 1; page < pages && found.next_cursor; page += 1) {
    found = await get(withQuery('/rooms/search', { ...query, limit: 50, cursor: found.next_cursor }));
    results.push(...found.results);
  }
  return { ...found, results };
}

async function search(stay) {
  const [found, catalogue] = await Promise.all([
    pagesOf({ ...stayQuery(stay), city: stay.city, include_sold_out: true }),
    loadCatalogue(),
  ]);
  const soldOut = found.results.filter((result) => result.available_rooms < stay.rooms && !result.restriction);
  const nights = await Promise.all(soldOut.map((result) => fullNights(result.room_type_id, stay).catch(() => [])));
  const full = new Map(soldOut.map((result, i) => [result.room_type_id, nights[i]]));
  return { ...found, catalogue, full };
}

function Nightly({ result }) {
  return html`<details class="nightly">
    <summary>${plural(result.nightly.length, 'night')}: price per night</summary>
    <ul>
      ${result.nightly.map(
        (night) => html`<li><span>${day(night.date)}</span><span>${money(night.price, result.currency)}</span></li>`,
      )}
    </ul>
  </details>`;
}

/** Which rate the price is (the hotel's default), how many there are, and the taxes and fees inside it. */
function RateNote({ result }) {
  const best = (result.offers || []).find((o) => o.rate_plan_id === result.rate_plan_id);
  if (!best) return null;
  const extra = best.breakdown.total - best.breakdown.room_charge;
  const rates = result.offers.length > 1 ? ` · ${result.offers.length} rates` : '';
  return html`<p class="muted small rate-note">${best.name}${rates}${extra > 0 ? html`<br />incl. ${money(extra, result.currency)} taxes and fees` : ''}</p>`;
}

function unavailableReason(result, full) {
  if (result.restriction === 'min_stay') return 'Arrivals on this date need a longer stay.';
  if (result.restriction === 'closed_to_arrival') return 'No arrivals on this date.';
  if (result.restriction) return 'Not bookable for these dates.';
  const nights = full.get(result.room_type_id) || [];
  return nights.length ? `Sold out on ${list(nights.map(day))}` : 'Sold out for these dates';
}

export function ResultCard({ result, stay, catalogue, full }) {
  const roomType = catalogue.roomTypes.get(result.room_type_id);
  const bookable = result.available_rooms >= stay.rooms && !result.restriction;
  const href = withQuery(`/rooms/${result.room_type_id}`, stayQuery(stay));
  const headingId = `result-${result.room_type_id}`;
  return html`<li class=${`result${bookable ? '' : ' unavailable'}`} aria-labelledby=${headingId}>
    <${Photo} roomType=${roomType} name=${result.name} />
    <div class="result-body">
      <h2 id=${headingId}><a href=${href}>${result.name}</a></h2>
      <p class="muted">${result.hotel_name} · ${result.city}</p>
      ${roomType?.description && html`<p>${roomType.description}</p>`}
      <p class="facts">
        <span>Sleeps ${result.capacity}</span>
        <${Rating} roomType=${roomType} />
      </p>
      <ul class="chips" aria-label="Amenities">
        ${result.amenities.map((code) => html`<li>${amenity(code)}</li>`)}
      </ul>
      <${Nightly} result=${result} />
    </div>
    <div class="result-price">
      ${bookable
        ? html`<p class="total"><span class="amount">${money(result.total_price, result.currency)}</span>
              <span class="muted">total for ${plural(stay.rooms, 'room')}</span></p>
            <${RateNote} result=${result} />
            <p class="left">${result.available_rooms <= 3 ? `Only ${result.available_rooms} left` : `${result.available_rooms} available`}</p>
            <a class="button primary" href=${href} aria-describedby=${headingId}>View and book</a>`
        : html`<p class="sold-out-label">${unavailableReason(result, full)}</p>
            <p class="muted">From ${money(result.total_price, result.currency)}</p>
            <a class="button" href=${href} aria-describedby=${headingId}>See other dates</a>`}
    </div>
  </li>`;
}

export function SearchPage({ query }) {
  const stay = stayFrom(query);
  const key = withQuery('', { ...stayQuery(stay), city: stay.city });
  const cities = useLoad(() => loadCatalogue().then((c) => [...new Set([...c.hotels.values()].map((h) => h.city))].sort()), []);
  const results = useLoad(() => search(stay), [key]);
  const onSearch = (next) => navigate(withQuery('/', { city: next.city, ...stayQuery(next) }));
  const nights = nightsBetween(stay.check_in, stay.check_out);
  return html`<section class="hero">
      <${PageTitle} title="Find a room">Find your room</${PageTitle}>
      <p class="lede">Real prices for every night, no surprises at checkout.</p>
      <${SearchForm} key=${key} stay=${stay} cities=${cities.data || []} onSearch=${onSearch} />
    </section>
    <section aria-labelledby="results-heading" aria-busy=${results.loading ? 'true' : 'false'}>
      <h2 id="results-heading" class="results-heading">
        ${`${stay.city || 'All cities'} · ${day(stay.check_in)} – ${day(stay.check_out)} · ${plural(nights, 'night')}, ${plural(stay.guests, 'guest')}`}
      </h2>
      ${results.loading && html`<${Loading} what="Searching" />`}
      <${Problem} error=${results.error} />
      ${results.data &&
      !results.loading &&
      (results.data.results.length
        ? html`<ul class="results">
            ${results.data.results.map(
              (result) => html`<${ResultCard} key=${result.room_type_id} result=${result} stay=${stay}
                catalogue=${results.data.catalogue} full=${results.data.full} />`,
            )}
          </ul>`
        : html`<p>No room can take ${plural(stay.guests, 'guest')} in ${plural(stay.rooms, 'room')} here. Try fewer guests or more rooms.</p>`)}
    </section>`;
}
