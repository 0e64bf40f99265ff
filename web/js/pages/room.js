// A room type: photo, details, a calendar of prices and availability, reviews, the wishlist, and
// the booking panel (the quote for the chosen stay; booking holds the rooms and goes to payment).
import { html, useState } from '../html.js';
import { ApiError, api, get, loadCatalogue, post, session } from '../api.js';
import { addDays, amenity, day, explain, isoDate, money, moneyShort, parseDate, plural, today, when } from '../format.js';
import { navigate, withQuery } from '../router.js';
import { Loading, PageTitle, Photo, PriceLines, Problem, Rating, useLoad } from '../ui.js';
import { SearchForm, stayFrom, stayQuery } from './search.js';

const MONTH = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function monthStart(iso) {
  return `${iso.slice(0, 7)}-01`;
}

function nextMonth(iso) {
  const date = parseDate(iso);
  date.setUTCMonth(date.getUTCMonth() + 1, 1);
  return isoDate(date);
}

/** One month of nights: price, and whether the chosen number of rooms is still for sale. */
function Month({ first, nights, stay, currency }) {
  const byDate = new Map(nights.map((night) => [night.date, night]));
  const offset = (parseDate(first).getUTCDay() + 6) % 7; // Monday first
  const end = nextMonth(first);
  const cells = [];
  for (let i = 0; i < offset; i += 1) cells.push(html`<td aria-hidden="true"></td>`);
  for (let date = first; date < end; date = addDays(date, 1)) {
    const night = byDate.get(date);
    const inStay = date >= stay.check_in && date < stay.check_out;
    const full = night && (night.stop_sell || night.available < stay.rooms);
    const label = !night
      ? `${day(date)}: not on sale`
      : full
        ? `${day(date)}: full`
        : `${day(date)}: ${money(night.price, currency)}, ${plural(night.available, 'room')} left`;
    cells.push(html`<td class=${[inStay && 'in-stay', full && 'full', !night && 'closed'].filter(Boolean).join(' ')}>
      <span class="visually-hidden">${label}${inStay ? ' (your stay)' : ''}</span>
      <span aria-hidden="true" class="date">${Number(date.slice(8))}</span>
      <span aria-hidden="true" class="price">${night ? (full ? 'Full' : moneyShort(night.price, currency)) : '–'}</span>
    </td>`);
  }
  const rows = [];
  for (let i = 0; i < cells.length; i += 7) rows.push(html`<tr>${cells.slice(i, i + 7)}</tr>`);
  return html`<table class="month">
    <caption>${MONTH.format(parseDate(first))}</caption>
    <thead><tr>${WEEKDAYS.map((name) => html`<th scope="col" abbr=${name}>${name.slice(0, 2)}</th>`)}</tr></thead>
    <tbody>${rows}</tbody>
  </table>`;
}

function Calendar({ roomTypeId, stay, currency, version }) {
  const [first, setFirst] = useState(monthStart(stay.check_in));
  const second = nextMonth(first);
  const nights = useLoad(
    () => get(withQuery(`/room-types/${roomTypeId}/calendar`, { from: first, to: nextMonth(second) })),
    [roomTypeId, first, version],
  );
  const earliest = monthStart(today());
  return html`<section class="calendar" aria-labelledby="calendar-heading">
    <div class="calendar-head">
      <h2 id="calendar-heading">Prices and availability</h2>
      <div class="calendar-nav">
        <button type="button" onClick=${() => setFirst(monthStart(addDays(first, -1)))} disabled=${first <= earliest}>
          <span aria-hidden="true">‹</span> Earlier
        </button>
        <button type="button" onClick=${() => setFirst(second)}>Later <span aria-hidden="true">›</span></button>
      </div>
    </div>
    <p class="muted legend">
      Price per night for one room. <span class="key in-stay">Your stay</span> <span class="key full">Full</span>
    </p>
    ${nights.loading && html`<${Loading} what="Loading the calendar" />`}
    <${Problem} error=${nights.error} />
    ${nights.data &&
    html`<div class="months">
      <${Month} first=${first} nights=${nights.data.nights} stay=${stay} currency=${currency} />
      <${Month} first=${second} nights=${nights.data.nights} stay=${stay} currency=${currency} />
    </div>`}
  </section>`;
}

function Reviews({ roomTypeId }) {
  const reviews = useLoad(() => get(`/room-types/${roomTypeId}/reviews?limit=5`), [roomTypeId]);
  return html`<section aria-labelledby="reviews-heading">
    <h2 id="reviews-heading">Reviews</h2>
    <${Problem} error=${reviews.error} />
    ${reviews.data &&
    (reviews.data.items.length
      ? html`<ul class="reviews">
          ${reviews.data.items.map(
            (review) => html`<li>
              <p><span aria-hidden="true">${'★'.repeat(review.rating)}${'☆'.repeat(5 - review.rating)}</span>
                <span class="visually-hidden">${review.rating} out of 5</span>
                <span class="muted"> ${review.author || 'A guest'} · ${when(review.created_at)}</span></p>
              ${review.comment && html`<p>${review.comment}</p>`}
            </li>`,
          )}
        </ul>`
      : html`<p class="muted">No reviews yet.</p>`)}
  </section>`;
}

function Wishlist({ roomTypeId }) {
  const saved = useLoad(
    () => (session.signedIn ? get('/users/me/wishlist', { auth: true }) : Promise.resolve(null)),
    [roomTypeId, session.signedIn],
  );
  const [state, setState] = useState({ busy: false, error: null, saved: null });
  if (!session.signedIn || !saved.data) return null;
  const isSaved = state.saved ?? saved.data.items.some((item) => item.room_type_id === roomTypeId);
  const toggle = async () => {
    setState({ ...state, busy: true, error: null });
    try {
      if (isSaved) await api('DELETE', `/users/me/wishlist/${roomTypeId}`, { auth: true });
      else await post('/users/me/wishlist', { room_type_id: roomTypeId }, { auth: true });
      setState({ busy: false, error: null, saved: !isSaved });
    } catch (error) {
      setState({ busy: false, error, saved: isSaved });
    }
  };
  return html`<div class="wishlist-toggle">
    <button type="button" aria-pressed=${isSaved ? 'true' : 'false'} onClick=${toggle} disabled=${state.busy}>
      <span aria-hidden="true">${isSaved ? '♥' : '♡'}</span> ${isSaved ? 'Saved to your wishlist' : 'Save to wishlist'}
    </button>
    <${Problem} error=${state.error} />
  </div>`;
}

function BookingPanel({ roomType, stay, hotel, version, onRefused, rate, onRate }) {
  const quote = useLoad(
    () =>
      get(
        withQuery('/rooms/search', { ...stayQuery(stay), hotel_id: roomType.hotel_id, include_sold_out: true, limit: 100 }),
      ).then(
        (found) => found.results.find((result) => result.room_type_id === roomType.id) || null,
      ),
    [roomType.id, stay.check_in, stay.check_out, stay.guests, stay.rooms, version],
  );
  const [booking, setBooking] = useState({ busy: false, error: null });
  // The stay a hold just refused as sold out: the hold decides, and search (the availability
  // view) can take a second or two to show it, so the button stays off for that stay meanwhile.
  const [refused, setRefused] = useState(null);
  const stayKey = JSON.stringify(stayQuery(stay));
  const here = location.pathname + location.search;
  const book = async () => {
    if (!session.signedIn) {
      navigate(withQuery('/signin', { next: here }));
      return;
    }
    setBooking({ busy: true, error: null });
    try {
      const held = await post(
        '/bookings',
        { room_type_id: roomType.id, ...stayQuery(stay), ...(offer ? { rate_plan_id: offer.rate_plan_id } : {}) },
        { auth: true, headers: { 'Idempotency-Key': crypto.randomUUID() } },
      );
      navigate(`/bookings/${held.id}/pay`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        navigate(withQuery('/signin', { next: here }));
        return;
      }
      setBooking({ busy: false, error });
      // Sold out meanwhile: show the calendar and price as they are now.
      if (error.code === 'sold_out') {
        setRefused(stayKey);
        onRefused();
      }
    }
  };
  const result = quote.data;
  const offers = result?.offers || [];
  // The guest's rate (kept in the address, so signing in on the way keeps it), else the one the
  // search priced (the hotel's default plan); its price is what is charged.
  const offer = offers.find((o) => o.rate_plan_id === (rate || result.rate_plan_id)) || offers[0] || null;
  const priced = offer || result;
  const bookable = result && result.available_rooms >= stay.rooms && !result.restriction && refused !== stayKey;
  return html`<aside class="panel booking-panel" aria-labelledby="book-heading">
    <h2 id="book-heading">Your stay</h2>
    <p>${day(stay.check_in)} – ${day(stay.check_out)}<br />${plural(stay.guests, 'guest')}, ${plural(stay.rooms, 'room')}</p>
    ${quote.loading && html`<${Loading} what="Pricing your stay" />`}
    <${Problem} error=${quote.error} />
    ${!quote.loading && !result && !quote.error && html`<p class="problem" role="alert">This room cannot take ${plural(stay.guests, 'guest')} in ${plural(stay.rooms, 'room')}.</p>`}
    ${result &&
    html`${offers.length > 1 &&
      html`<fieldset class="plans"><legend>Rate</legend>
        ${offers.map((o) => html`<label class="plan">
          <input type="radio" name="rate-plan" value=${o.rate_plan_id} checked=${o === offer} onChange=${() => onRate(o.rate_plan_id)} />
          <span><strong>${o.name}</strong> · ${money(o.total_price, o.currency)}<br /><span class="muted small">${o.cancellation.summary}</span></span>
        </label>`)}
      </fieldset>`}
      <${PriceLines} nightly=${priced.nightly} breakdown=${offer?.breakdown} rooms=${stay.rooms} currency=${result.currency} />
      <p class="total"><span>Total</span> <span class="amount">${money(priced.total_price, result.currency)}</span></p>
      ${!bookable && html`<p class="problem" role="alert">${result.restriction ? explain({ code: result.restriction, problem: {} }) : 'Sold out for these dates: the calendar shows the full nights.'}</p>`}
      <button class="primary wide" type="button" onClick=${book} disabled=${!bookable || booking.busy}
        aria-describedby="book-problem">
        ${booking.busy ? 'Holding your rooms…' : session.signedIn ? 'Book and pay' : 'Sign in to book'}
      </button>
      <${Problem} error=${booking.error} id="book-problem" />
      <p class="muted small">Your rooms are held for 15 minutes while you pay. ${hotel ? `Check-in from ${hotel.check_in_hour}:00.` : ''}</p>`}
  </aside>`;
}

export function RoomPage({ id, query }) {
  const stay = stayFrom(query);
  const [version, setVersion] = useState(0);
  const loaded = useLoad(() => Promise.all([get(`/room-types/${id}`), loadCatalogue()]), [id]);
  const onSearch = (next) => navigate(withQuery(`/rooms/${id}`, stayQuery(next)), { replace: true });
  if (loaded.loading) return html`<${Loading} />`;
  if (loaded.error) return html`<${PageTitle} title="Room">Room not found</${PageTitle}><${Problem} error=${loaded.error} />`;
  const [roomType, catalogue] = loaded.data;
  const hotel = catalogue.hotels.get(roomType.hotel_id);
  return html`<p class="crumbs"><a href=${withQuery('/', { city: hotel?.city, ...stayQuery(stay) })}>‹ Back to results</a></p>
    <div class="room-layout">
      <div class="room-intro">
        <${PageTitle} title=${roomType.name}>${roomType.name}</${PageTitle}>
        <p class="muted">${hotel ? `${hotel.name} · ${hotel.address}` : ''}</p>
        <${Photo} roomType=${roomType} name=${roomType.name} />
        <p>${roomType.description}</p>
        <p class="facts"><span>Sleeps ${roomType.capacity}</span>${roomType.view_type && html`<span>${amenity(roomType.view_type)} view</span>`}<${Rating} roomType=${roomType} /></p>
        <ul class="chips" aria-label="Amenities">${roomType.amenities.map((code) => html`<li>${amenity(code)}</li>`)}</ul>
        <${Wishlist} roomTypeId=${id} />
      </div>
      <${BookingPanel} roomType=${roomType} stay=${stay} hotel=${hotel} version=${version}
        onRefused=${() => setVersion((n) => n + 1)} rate=${query.get('rate')}
        onRate=${(code) => navigate(withQuery(`/rooms/${id}`, { ...stayQuery(stay), rate: code }), { replace: true })} />
      <div class="room-more">
        <section aria-labelledby="dates-heading" class="change-dates">
          <h2 id="dates-heading">Dates and guests</h2>
          <${SearchForm} key=${JSON.stringify(stay)} stay=${stay} onSearch=${onSearch} compact />
        </section>
        <${Calendar} roomTypeId=${id} stay=${stay} currency=${roomType.currency} version=${version} />
        <${Reviews} roomTypeId=${id} />
      </div>
    </div>`;
}
