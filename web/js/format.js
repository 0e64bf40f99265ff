// Words and numbers for people: money in minor units, ISO dates, and every API problem as a sentence.

const LOCALE = 'en-GB';
const digitsCache = new Map();

function fractionDigits(currency) {
  if (!digitsCache.has(currency)) {
    const options = new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).resolvedOptions();
    digitsCache.set(currency, options.maximumFractionDigits);
  }
  return digitsCache.get(currency);
}

/** 12000 EUR -> "€120.00" (amounts are integers in the currency's minor unit). */
export function money(amount, currency) {
  const digits = fractionDigits(currency);
  return new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).format(amount / 10 ** digits);
}

/** 36225 GBP -> "£362" (whole units, for tight spaces such as the calendar). */
export function moneyShort(amount, currency) {
  const digits = fractionDigits(currency);
  return new Intl.NumberFormat(LOCALE, { style: 'currency', currency, maximumFractionDigits: 0, minimumFractionDigits: 0 }).format(
    Math.round(amount / 10 ** digits),
  );
}

export function parseDate(iso) {
  const [year, month, day] = iso.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day));
}

export function isoDate(date) {
  return date.toISOString().slice(0, 10);
}

export function addDays(iso, days) {
  const date = parseDate(iso);
  date.setUTCDate(date.getUTCDate() + days);
  return isoDate(date);
}

export function today() {
  const now = new Date();
  return isoDate(new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate())));
}

export function nightsBetween(checkIn, checkOut) {
  return Math.round((parseDate(checkOut) - parseDate(checkIn)) / 86400000);
}

const shortDay = new Intl.DateTimeFormat(LOCALE, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
const longDay = new Intl.DateTimeFormat(LOCALE, {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});
const instant = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short' });

/** "2027-06-12" -> "Sat 12 Jun" */
export const day = (iso) => shortDay.format(parseDate(iso));
/** "2027-06-12" -> "Saturday 12 June 2027" */
export const fullDay = (iso) => longDay.format(parseDate(iso));
/** An ISO instant in the guest's own time zone. */
export const when = (iso) => instant.format(new Date(iso));

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

export function list(items) {
  return new Intl.ListFormat(LOCALE, { style: 'long', type: 'conjunction' }).format(items);
}

export function reference(bookingId) {
  return bookingId.replaceAll('-', '').slice(0, 8).toUpperCase();
}

export const STATUS_WORDS = {
  PENDING: 'Awaiting payment',
  CONFIRMED: 'Confirmed',
  CANCELLED: 'Cancelled',
  EXPIRED: 'Expired',
};

const AMENITIES = {
  wifi: 'Wi-Fi',
  'air-conditioning': 'Air conditioning',
  minibar: 'Minibar',
  balcony: 'Balcony',
  kitchenette: 'Kitchenette',
  bathtub: 'Bathtub',
};
export const amenity = (code) => AMENITIES[code] || code.replaceAll('-', ' ').replace(/^./, (c) => c.toUpperCase());

/** An API problem in words, for the guest: what happened and what to do. */
export function explain(error) {
  const problem = error.problem || {};
  switch (error.code) {
    case 'sold_out': {
      const nights = problem.nights || [];
      return nights.length
        ? `Sold out on ${list(nights.map(day))}. Try other dates or another room.`
        : 'Sold out for these dates. Try other dates or another room.';
    }
    case 'min_stay':
      return `Arrivals on this date need a stay of at least ${plural(problem.min_stay || 2, 'night')}.`;
    case 'closed_to_arrival':
      return 'Arrivals are not possible on this date. Choose another check-in date.';
    case 'too_many_holds':
      return 'You already have as many unpaid bookings as allowed. Pay for one or cancel it, then try again.';
    case 'hold_expired':
      return 'This hold has expired and its rooms are back on sale. Search again to book.';
    case 'too_many_guests':
      return problem.detail || 'Too many guests for this room. Add a room or choose a larger one.';
    case 'invalid_credentials':
      return 'The email or password is not right.';
    case 'email_taken':
      return 'An account with this email already exists. Sign in instead.';
    case 'too_many_attempts':
    case 'too_many_requests':
    case 'too_many_registrations':
      return `${problem.detail || 'Too many attempts.'} Please wait a little and try again.`;
    case 'payment_declined': {
      const why = (problem.detail || '').replace(/\.$/, '');
      return why && !/declined/i.test(why)
        ? `The card was declined: ${why}. Try another card.`
        : `${why || 'The card was declined'}. Try another card.`;
    }
    case 'too_late_to_cancel':
      return 'This booking can no longer be cancelled: the check-in time has passed.';
    case 'already_paid':
      return 'This booking is already paid.';
    case 'already_cancelled':
      return 'This booking is already cancelled.';
    case 'stay_not_ended':
      return 'You can review your stay once it has ended.';
    case 'already_reviewed':
      return 'You have already reviewed this stay. Thank you!';
    case 'invalid_token':
    case 'unauthorized':
    case 'signed_out':
      return 'Your session has ended. Please sign in again.';
    case 'validation_error': {
      const first = (problem.errors || [])[0];
      return first ? `${fieldName(first.loc)}: ${first.msg}` : problem.detail;
    }
    default:
      return problem.detail || problem.title || 'Something went wrong. Please try again.';
  }
}

function fieldName(loc = []) {
  const name = [...loc].reverse().find((part) => !['body', 'query', 'path'].includes(part)) || 'value';
  return String(name).replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());
}

/** A validation problem's messages by field name ({email: "..."}), for errors shown under inputs. */
export function fieldErrors(error) {
  const found = {};
  if (error?.code === 'validation_error') {
    for (const entry of error.problem.errors || []) {
      const name = [...(entry.loc || [])].reverse().find((part) => !['body', 'query', 'path'].includes(part));
      if (name && !found[name]) found[name] = entry.msg.replace(/^Value error, /, '');
    }
  }
  if (error?.code === 'weak_password') found.password = error.problem.detail;
  if (error?.code === 'email_taken') found.email = explain(error);
  return found;
}
