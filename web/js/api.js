// The API client. Every error the API answers is RFC 9457 problem+json: it becomes an ApiError
// carrying the problem (code, detail, and fields such as sold-out nights) for the page to show in
// words next to what it concerns.
//
// Sessions: the access token lives in this module's memory only (never in storage). The refresh
// token never reaches script: with `X-Refresh-Token: cookie` the API keeps it in an HttpOnly,
// Secure, SameSite=Strict cookie scoped to /api/auth (docs/web.md). A page load asks /auth/refresh
// for a new access token; a timer renews it before it expires; a 401 renews it once and retries.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem.code || null;
  }
}

const COOKIE_MODE = { 'X-Refresh-Token': 'cookie' };
let access = null;
let renewTimer = null;
let renewing = null;
let user = null;
const listeners = new Set();

function changed() {
  for (const listener of listeners) listener();
}

export const session = {
  get signedIn() {
    return access !== null;
  },
  get user() {
    return user;
  },
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

async function send(method, path, { body, token, headers = {} } = {}) {
  const sent = { Accept: 'application/json, application/problem+json', ...headers };
  if (body !== undefined) sent['Content-Type'] = 'application/json';
  if (token) sent.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(`/api${path}`, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, {
      code: 'network',
      title: 'No connection',
      detail: 'The server could not be reached. Check your connection and try again.',
    });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const problem = data && typeof data === 'object' ? data : {};
    throw new ApiError(response.status, {
      title: response.statusText,
      detail: problem.message || `The server answered ${response.status}.`,
      ...problem,
    });
  }
  return data;
}

/** Call the API; `auth` adds the access token (renewed first when there is none yet). */
export async function api(method, path, { body, auth = false, headers } = {}) {
  if (!auth) return send(method, path, { body, headers });
  if (access === null) await renew();
  if (access === null) throw new ApiError(401, { code: 'signed_out', detail: 'Please sign in first.' });
  try {
    return await send(method, path, { body, headers, token: access });
  } catch (error) {
    if (error.status !== 401) throw error;
    await renew(); // the token expired, or the session ended elsewhere
    if (access === null) throw error;
    return send(method, path, { body, headers, token: access });
  }
}

export const get = (path, options) => api('GET', path, options);
export const post = (path, body, options) => api('POST', path, { ...options, body });

function adopt(pair) {
  localStorage.setItem(HINT, '1');
  access = pair.access;
  clearTimeout(renewTimer);
  // Renew a minute before the access token expires (15 minutes by default).
  renewTimer = setTimeout(renew, Math.max(pair.expires_in - 60, 30) * 1000);
}

async function loadUser() {
  try {
    user = await send('GET', '/users/me', { token: access });
  } catch {
    user = null;
  }
}

// Whether this browser had a session, so an anonymous visit does not ask /auth/refresh (which
// would answer 401). Not a secret: the session itself is the HttpOnly cookie.
const HINT = 'hotel-booking:signed-in';

function forget() {
  localStorage.removeItem(HINT);
  access = null;
  user = null;
  clearTimeout(renewTimer);
}

/** A new access token from the refresh cookie; signed out when the session has ended. Renewals
 * of every tab of the site take turns (a Web Lock): two at once would present the same refresh
 * token twice, which the API treats as theft and ends the session. */
export function renew() {
  if (renewing) return renewing;
  if (access === null && !localStorage.getItem(HINT)) return Promise.resolve();
  const once = async () => {
    try {
      adopt(await send('POST', '/auth/refresh', { body: {}, headers: COOKIE_MODE }));
      if (!user) await loadUser();
    } catch (error) {
      if (error.status === 0) throw error;
      forget();
    }
  };
  const locked = navigator.locks ? () => navigator.locks.request('hotel-booking-refresh', once) : once;
  renewing = locked().finally(() => {
    renewing = null;
    changed();
  });
  return renewing;
}

export async function signIn(email, password) {
  adopt(await send('POST', '/auth/login', { body: { email, password }, headers: COOKIE_MODE }));
  await loadUser();
  changed();
}

export async function signUp(name, email, password) {
  await send('POST', '/auth/register', { body: { name, email, password } });
  await signIn(email, password);
}

export async function signOut() {
  try {
    if (access !== null) await send('POST', '/auth/logout', { body: {}, token: access, headers: COOKIE_MODE });
  } catch {
    // Signed out here whatever the server said; an unreachable server ends the session on expiry.
  } finally {
    forget();
    changed();
  }
}

// The catalogue (hotels and room types: names, photos, ratings) changes rarely: once per page load.
let catalogue = null;
export function loadCatalogue() {
  catalogue ??= Promise.all([get('/hotels'), get('/room-types')])
    .then(([hotels, types]) => ({
      hotels: new Map(hotels.items.map((hotel) => [hotel.id, hotel])),
      roomTypes: new Map(types.items.map((type) => [type.id, type])),
    }))
    .catch((error) => {
      catalogue = null;
      throw error;
    });
  return catalogue;
}
