// Payment (with the hold's countdown), the booking itself (confirmation, cancel with the refund
// quote first, review after the stay), and the guest's list of bookings.
import { html, useEffect, useState } from '../html.js';
import { api, get, loadCatalogue, post } from '../api.js';
import { STATUS_WORDS, day, fullDay, money, nightsBetween, plural, reference, today, when } from '../format.js';
import { navigate } from '../router.js';
import { CardForm } from '../stripe.js';
import { Field, Loading, Notice, PageTitle, Problem, useLoad } from '../ui.js';

function useNow(everyMs = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

function Summary({ booking, catalogue }) {
  const roomType = catalogue.roomTypes.get(booking.room_type_id);
  const hotel = catalogue.hotels.get(booking.hotel_id);
  const nights = nightsBetween(booking.check_in, booking.check_out);
  return html`<section class="panel summary" aria-labelledby="summary-heading">
    <h2 id="summary-heading">${roomType ? roomType.name : booking.room_type_id}</h2>
    <p class="muted">${hotel ? `${hotel.name}, ${hotel.city}` : booking.hotel_id}</p>
    <dl class="facts-list">
      <dt>Check-in</dt><dd>${fullDay(booking.check_in)}${hotel ? `, from ${hotel.check_in_hour}:00` : ''}</dd>
      <dt>Check-out</dt><dd>${fullDay(booking.check_out)}</dd>
      <dt>Guests</dt><dd>${plural(booking.guests, 'guest')}, ${plural(booking.rooms, 'room')}</dd>
    </dl>
    <ul class="breakdown" aria-label="Price per night">
      ${booking.nightly.map((night) => html`<li><span>${day(night.date)}</span><span>${money(night.price * booking.rooms, booking.currency)}</span></li>`)}
    </ul>
    <p class="total"><span>Total, ${plural(nights, 'night')}</span> <span class="amount">${money(booking.total_amount, booking.currency)}</span></p>
  </section>`;
}

function Countdown({ expiresAt, onExpired }) {
  const now = useNow();
  const left = Math.max(0, Math.floor((Date.parse(expiresAt) - now) / 1000));
  useEffect(() => {
    if (left === 0) onExpired();
  }, [left === 0]);
  const minutes = Math.floor(left / 60);
  const seconds = String(left % 60).padStart(2, '0');
  return html`<p class=${`countdown${left < 120 ? ' urgent' : ''}`}>
    Your rooms are held for <strong role="timer" aria-live="off">${minutes}:${seconds}</strong>${' '}
    <span class="visually-hidden">minutes</span>(until ${when(expiresAt)}).
  </p>`;
}

function Expired() {
  return html`<div class="problem-box" role="alert">
    <h2>This hold has expired</h2>
    <p>The time to pay has run out and the rooms are back on sale. Nothing was charged.</p>
    <p><a class="button primary" href="/">Search again</a></p>
  </div>`;
}

export function CheckoutPage({ id }) {
  const loaded = useLoad(() => Promise.all([get(`/bookings/${id}`, { auth: true }), loadCatalogue(), get('/config')]), [id]);
  const [expired, setExpired] = useState(false);
  // Paid or cancelled already (a second tab, the back button): the booking's own page says so.
  const settled = ['CONFIRMED', 'CANCELLED'].includes(loaded.data?.[0].status);
  useEffect(() => {
    if (settled) navigate(`/bookings/${id}`, { replace: true });
  }, [settled]);
  if (loaded.loading || settled) return html`<${Loading} />`;
  if (loaded.error) return html`<${PageTitle} title="Payment">Payment</${PageTitle}><${Problem} error=${loaded.error} />`;
  const [booking, catalogue, config] = loaded.data;
  const isExpired = expired || booking.status === 'EXPIRED';
  booking.amountText = money(booking.total_amount, booking.currency);
  return html`<${PageTitle} title="Payment">Confirm and pay</${PageTitle}>
    <div class="checkout-layout">
      <${Summary} booking=${booking} catalogue=${catalogue} />
      <div class="panel">
        ${isExpired
          ? html`<${Expired} />`
          : html`<${Countdown} expiresAt=${booking.hold_expires_at} onExpired=${() => setExpired(true)} />
              <${CardForm} booking=${booking} config=${config} disabled=${isExpired} />`}
        <p class="small"><a href=${`/bookings/${id}`}>Booking details and cancellation</a></p>
      </div>
    </div>`;
}

// -------------------------------------------------------------------- one booking

const WAITING = ['succeeded', 'processing', 'requires_capture'];

function useBooking(id, waitForPayment) {
  const [state, setState] = useState({ booking: null, error: null, waiting: false });
  useEffect(() => {
    let live = true;
    let timer = null;
    let tries = 0;
    const load = async () => {
      try {
        const booking = await get(`/bookings/${id}`, { auth: true });
        // After paying, the webhook confirms the booking a moment later: look again until it has.
        const waiting =
          booking.status === 'PENDING' && (waitForPayment || WAITING.includes(booking.payment?.status)) && tries < 90;
        if (!live) return;
        setState({ booking, error: null, waiting });
        if (waiting) {
          tries += 1;
          timer = setTimeout(load, 1000);
        }
      } catch (error) {
        if (live) setState({ booking: null, error, waiting: false });
      }
    };
    load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id]);
  return [state, (booking) => setState({ booking, error: null, waiting: false })];
}

function StatusBanner({ booking, waiting }) {
  if (booking.status === 'CONFIRMED') {
    return html`<${Notice} kind="success"><strong>Your booking is confirmed.</strong> We look forward to welcoming you.<//>`;
  }
  if (waiting) {
    return html`<${Notice}><span class="spinner" aria-hidden="true"></span> Payment received. Confirming your booking…<//>`;
  }
  if (booking.status === 'PENDING') {
    return html`<${Notice} kind="warning">Not paid yet: your rooms are held until ${when(booking.hold_expires_at)}.${' '}
      <a href=${`/bookings/${booking.id}/pay`}>Pay now</a><//>`;
  }
  if (booking.status === 'EXPIRED') {
    return html`<${Notice} kind="warning">This hold expired before it was paid; its rooms are back on sale. Nothing was charged.${' '}
      <a href="/">Search again</a><//>`;
  }
  return html`<${Notice}>This booking is cancelled.<//>`;
}

const POLICY_WORDS = {
  full_refund: 'Free cancellation: you get everything you paid back.',
  late_cancellation: 'Late cancellation: the first night is kept, the rest is refunded.',
  no_charge: 'Nothing was charged: cancelling releases the rooms.',
};

function Cancel({ booking, onCancelled }) {
  const [step, setStep] = useState({ name: 'idle', quote: null, error: null });
  const ask = async () => {
    setStep({ name: 'quoting', quote: null, error: null });
    try {
      setStep({ name: 'confirm', quote: await get(`/bookings/${booking.id}/refund-quote`, { auth: true }), error: null });
    } catch (error) {
      setStep({ name: 'idle', quote: null, error });
    }
  };
  const cancel = async () => {
    setStep({ ...step, name: 'cancelling', error: null });
    try {
      onCancelled(await post(`/bookings/${booking.id}/cancel`, {}, { auth: true }));
    } catch (error) {
      setStep({ ...step, name: 'confirm', error });
    }
  };
  const quote = step.quote;
  return html`<section class="panel cancel" aria-labelledby="cancel-heading">
    <h2 id="cancel-heading">Cancel this booking</h2>
    ${step.name === 'idle' || step.name === 'quoting'
      ? html`<button type="button" onClick=${ask} disabled=${step.name === 'quoting'} aria-describedby="cancel-problem">
          ${step.name === 'quoting' ? 'Checking the refund…' : 'Cancel booking…'}
        </button>`
      : html`<div class="quote" role="region" aria-label="Refund if you cancel now">
          <p>${POLICY_WORDS[quote.policy]}</p>
          <dl class="facts-list">
            <dt>You paid</dt><dd>${money(quote.paid, quote.currency)}</dd>
            <dt>Kept by the hotel</dt><dd>${money(quote.penalty, quote.currency)}</dd>
            <dt>Refund</dt><dd><strong class="refund-amount">${money(quote.amount, quote.currency)}</strong></dd>
          </dl>
          ${quote.policy !== 'no_charge' && html`<p class="muted small">Free cancellation until ${when(quote.deadline)}; cancellation possible until ${when(quote.cancellable_until)}.</p>`}
          <div class="actions">
            <button class="danger" type="button" onClick=${cancel} disabled=${step.name === 'cancelling'} aria-describedby="cancel-problem">
              ${step.name === 'cancelling' ? 'Cancelling…' : 'Yes, cancel'}
            </button>
            <button type="button" onClick=${() => setStep({ name: 'idle', quote: null, error: null })}>Keep my booking</button>
          </div>
        </div>`}
    <${Problem} error=${step.error} id="cancel-problem" />
  </section>`;
}

function Refund({ booking }) {
  const refund = booking.refund;
  if (!refund) return null;
  const words = { succeeded: 'sent to your card', pending: 'on its way to your card', failed: 'failed: the hotel will contact you' };
  const kept = refund.penalty ? ` (${money(refund.penalty, refund.currency)} kept)` : '';
  return html`<p class="refund" role="status">Refund of <strong>${money(refund.amount, refund.currency)}</strong> ${words[refund.status] || refund.status}${kept}.</p>`;
}

function Review({ booking }) {
  const [values, setValues] = useState({ rating: '5', comment: '' });
  const [state, setState] = useState({ busy: false, error: null, done: false });
  const submit = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null, done: false });
    try {
      await post(`/bookings/${booking.id}/review`, { rating: Number(values.rating), comment: values.comment }, { auth: true });
      setState({ busy: false, error: null, done: true });
    } catch (error) {
      setState({ busy: false, error, done: false });
    }
  };
  if (state.done) return html`<${Notice} kind="success">Thank you for your review.<//>`;
  return html`<form class="panel" onSubmit=${submit} aria-labelledby="review-heading">
    <h2 id="review-heading">How was your stay?</h2>
    <${Field} id="rating" label="Rating">
      <select id="rating" value=${values.rating} onChange=${(e) => setValues({ ...values, rating: e.target.value })}>
        ${[5, 4, 3, 2, 1].map((n) => html`<option value=${n}>${n} out of 5</option>`)}
      </select>
    <//>
    <${Field} id="comment" label="Comment (optional)">
      <textarea id="comment" maxlength="2000" rows="3" value=${values.comment}
        onInput=${(e) => setValues({ ...values, comment: e.target.value })}></textarea>
    <//>
    <button class="primary" type="submit" disabled=${state.busy} aria-describedby="review-problem">Send review</button>
    <${Problem} error=${state.error} id="review-problem" />
  </form>`;
}

export function BookingPage({ id, query }) {
  const [{ booking, error, waiting }, setBooking] = useBooking(id, query.get('paid') === '1');
  const catalogue = useLoad(loadCatalogue, []);
  if (error) return html`<${PageTitle} title="Booking">Booking</${PageTitle}><${Problem} error=${error} />`;
  if (!booking || !catalogue.data) return html`<${Loading} />`;
  const title = booking.status === 'CONFIRMED' ? 'Booking confirmed' : `Booking ${STATUS_WORDS[booking.status].toLowerCase()}`;
  const cancellable = ['PENDING', 'CONFIRMED'].includes(booking.status) && !waiting && booking.check_in >= today();
  const reviewable = booking.status === 'CONFIRMED' && booking.check_out <= today();
  return html`<${PageTitle} title=${title}>${title}</${PageTitle}>
    <p class="reference">Booking reference <strong>${reference(booking.id)}</strong>
      <span class=${`badge ${booking.status.toLowerCase()}`} data-status=${booking.status}>${STATUS_WORDS[booking.status]}</span></p>
    <${StatusBanner} booking=${booking} waiting=${waiting} />
    <${Refund} booking=${booking} />
    <div class="checkout-layout">
      <${Summary} booking=${booking} catalogue=${catalogue.data} />
      <div>
        ${cancellable && html`<${Cancel} booking=${booking} onCancelled=${setBooking} />`}
        ${reviewable && html`<${Review} booking=${booking} />`}
        <p><a href="/bookings">All my bookings</a></p>
      </div>
    </div>`;
}

// -------------------------------------------------------------------- my bookings

export function BookingsPage() {
  const [pages, setPages] = useState({ items: [], cursor: null, error: null, loading: true });
  const load = async (cursor) => {
    setPages((previous) => ({ ...previous, loading: true, error: null }));
    try {
      const page = await get(`/bookings?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { auth: true });
      setPages((previous) => ({ items: [...(cursor ? previous.items : []), ...page.items], cursor: page.next_cursor, error: null, loading: false }));
    } catch (error) {
      setPages((previous) => ({ ...previous, error, loading: false }));
    }
  };
  useEffect(() => {
    load(null);
  }, []);
  const catalogue = useLoad(loadCatalogue, []);
  return html`<${PageTitle} title="My bookings">My bookings</${PageTitle}>
    <${Problem} error=${pages.error || catalogue.error} />
    ${catalogue.data &&
    (pages.items.length
      ? html`<ul class="booking-list">
          ${pages.items.map((booking) => {
            const roomType = catalogue.data.roomTypes.get(booking.room_type_id);
            return html`<li class="panel">
              <div>
                <h2><a href=${`/bookings/${booking.id}`}>${roomType ? roomType.name : booking.room_type_id}</a></h2>
                <p class="muted">${day(booking.check_in)} – ${day(booking.check_out)} · ${plural(booking.guests, 'guest')} · ref. ${reference(booking.id)}</p>
              </div>
              <div class="booking-side">
                <span class=${`badge ${booking.status.toLowerCase()}`}>${STATUS_WORDS[booking.status]}</span>
                <span class="amount">${money(booking.total_amount, booking.currency)}</span>
              </div>
            </li>`;
          })}
        </ul>`
      : !pages.loading && html`<p>No bookings yet. <a href="/">Find a room</a></p>`)}
    ${pages.loading && html`<${Loading} />`}
    ${pages.cursor && !pages.loading && html`<button type="button" onClick=${() => load(pages.cursor)}>Show older bookings</button>`}`;
}

// -------------------------------------------------------------------- wishlist

export function WishlistPage() {
  const list = useLoad(() => get('/users/me/wishlist', { auth: true }), []);
  const [removed, setRemoved] = useState({ ids: [], error: null });
  const remove = async (roomTypeId) => {
    try {
      await api('DELETE', `/users/me/wishlist/${roomTypeId}`, { auth: true });
      setRemoved({ ids: [...removed.ids, roomTypeId], error: null });
    } catch (error) {
      setRemoved({ ...removed, error });
    }
  };
  const items = (list.data?.items || []).filter((item) => !removed.ids.includes(item.room_type_id));
  return html`<${PageTitle} title="Wishlist">Your wishlist</${PageTitle}>
    ${list.loading && html`<${Loading} />`}
    <${Problem} error=${list.error || removed.error} />
    ${list.data &&
    (items.length
      ? html`<ul class="booking-list">
          ${items.map(
            (item) => html`<li class="panel">
              <div>
                <h2><a href=${`/rooms/${item.room_type_id}`}>${item.name}</a></h2>
                <p class="muted">From ${money(item.base_price, item.currency)} a night · saved ${when(item.added_at)}</p>
              </div>
              <button type="button" onClick=${() => remove(item.room_type_id)} aria-label=${`Remove ${item.name} from the wishlist`}>Remove</button>
            </li>`,
          )}
        </ul>`
      : html`<p>Nothing saved yet. Tap “Save to wishlist” on a room to keep it here.</p>`)}`;
}
