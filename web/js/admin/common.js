// What every console page shares: the hotels (loaded once, the one being worked on remembered),
// admin problems in words, money typed in major units, and a delete that asks first.
import { html, useEffect, useState } from '../html.js';
import { api, get } from '../api.js';
import { day, explain, list, plural } from '../format.js';
import { PageTitle } from '../ui.js';

export const SITE = 'Hotel console';

export function Title({ children }) {
  return html`<${PageTitle} site=${SITE} title=${typeof children === 'string' ? children : undefined}>${children}</${PageTitle}>`;
}

export const adminGet = (path) => get(`/admin${path}`, { auth: true });
export const adminSend = (method, path, body) => api(method, `/admin${path}`, { auth: true, body });

// ------------------------------------------------------------------ hotels

const CHOSEN = 'hotel-booking:admin-hotel';
let hotels = null; // Promise of the hotel list
const listeners = new Set();
let chosen = localStorage.getItem(CHOSEN);

export function reloadHotels() {
  hotels = adminGet('/hotels').then((found) => found.items);
  hotels.catch(() => {
    hotels = null;
  });
  for (const listener of listeners) listener();
  return hotels;
}

export function chooseHotel(id) {
  chosen = id;
  localStorage.setItem(CHOSEN, id);
  for (const listener of listeners) listener();
}

/** {hotels, hotel (the one chosen, else the first), error}; re-renders when either changes. */
export function useHotels() {
  const [state, setState] = useState({ hotels: null, error: null });
  useEffect(() => {
    let live = true;
    const load = () =>
      (hotels || reloadHotels()).then(
        (items) => live && setState({ hotels: items, error: null }),
        (error) => live && setState({ hotels: null, error }),
      );
    const listener = () => load();
    listeners.add(listener);
    load();
    return () => {
      live = false;
      listeners.delete(listener);
    };
  }, []);
  const found = state.hotels || [];
  const hotel = found.find((h) => h.id === chosen) || found[0] || null;
  return { ...state, hotel };
}

// ------------------------------------------------------------------ words

function nightList(dates) {
  const shown = dates.slice(0, 8).map(day);
  return dates.length > 8 ? `${shown.join(', ')} and ${dates.length - 8} more` : list(shown);
}

/** An admin API problem in words: what was refused and what to do. */
export function explainAdmin(error) {
  const problem = error?.problem || {};
  switch (error?.code) {
    case 'forbidden':
      return 'This account is not allowed to use the hotel console.';
    case 'already_exists':
      return `${problem.detail || 'Something with this id already exists'}. Choose another id.`;
    case 'has_bookings': {
      const nights = problem.nights || [];
      const count = problem.held_nights || nights.length;
      return `Bookings still hold rooms of this room type on ${plural(count, 'night')}${nights.length ? ` (${nightList(nights)})` : ''}. Cancel them or let the stays end, then delete it.`;
    }
    case 'hotel_not_empty':
      return 'This hotel still has room types. Delete its room types first.';
    case 'allotment_below_held': {
      const nights = problem.nights || [];
      return `Refused: more rooms are booked than the new allotment on ${nightList(nights.map((n) => n.date))}. Nothing was changed.`;
    }
    case 'inventory_conflict':
      return 'Bookings landed while this change was being made; nothing was changed. Look at the figures again and retry.';
    case 'invalid_reference':
      return problem.detail || 'It refers to something that does not exist.';
    case 'conflict':
      return `${problem.detail || 'Someone else changed this at the same time.'} Reload and try again.`;
    case 'range_too_long':
    case 'invalid_dates':
      return problem.detail || 'These dates cannot be used.';
    default:
      return explain(error);
  }
}

/** Validation messages by field name, from a problem's `errors[].loc`. */
export function fieldProblems(error) {
  const found = {};
  if (error?.code !== 'validation_error') return found;
  for (const entry of error.problem.errors || []) {
    const loc = (entry.loc || []).filter((part) => !['body', 'query', 'path'].includes(part));
    const name = loc.find((part) => typeof part === 'string');
    if (name && !found[name]) found[name] = entry.msg.replace(/^Value error, /, '');
  }
  return found;
}

// ------------------------------------------------------------------ money typed by people

const digitsCache = new Map();
export function fractionDigits(currency) {
  if (!digitsCache.has(currency)) {
    digitsCache.set(currency, new Intl.NumberFormat('en-GB', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits);
  }
  return digitsCache.get(currency);
}

/** 12000 EUR -> "120.00" for an input. */
export function toInput(amount, currency) {
  const digits = fractionDigits(currency);
  return (amount / 10 ** digits).toFixed(digits);
}

/** "120.5" EUR -> 12050; NaN when it is not an amount. */
export function fromInput(text, currency) {
  const digits = fractionDigits(currency);
  const clean = String(text).trim().replace(',', '.');
  if (!/^-?\d+(\.\d+)?$/.test(clean)) return Number.NaN;
  return Math.round(Number(clean) * 10 ** digits);
}

// ------------------------------------------------------------------ delete, after asking

/** A delete button that asks in place ("Delete X?" Yes / Keep) and shows the API's refusal. */
export function DeleteButton({ what, onDelete, id }) {
  const [state, setState] = useState({ asking: false, busy: false, error: null });
  const confirm = async () => {
    setState({ asking: true, busy: true, error: null });
    try {
      await onDelete();
      setState({ asking: false, busy: false, error: null });
    } catch (error) {
      setState({ asking: false, busy: false, error });
    }
  };
  return html`<span class="delete-control">
    ${state.asking
      ? html`<span class="ask" role="group" aria-label=${`Delete ${what}?`}>
          <span>Delete ${what}?</span>
          <button type="button" class="danger small-button" onClick=${confirm} disabled=${state.busy}>Yes, delete</button>
          <button type="button" class="small-button" onClick=${() => setState({ asking: false, busy: false, error: null })}>Keep</button>
        </span>`
      : html`<button type="button" class="small-button" aria-label=${`Delete ${what}`} aria-describedby=${state.error ? `${id}-problem` : undefined}
          onClick=${() => setState({ asking: true, busy: false, error: null })}>Delete</button>`}
    ${state.error && html`<p class="problem" role="alert" id=${`${id}-problem`}>${explainAdmin(state.error)}</p>`}
  </span>`;
}

export const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
