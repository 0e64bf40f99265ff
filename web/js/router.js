// Routing in the browser with the History API: /rooms/lisbon-deluxe-king is the page, served as
// index.html (the local gateway and the CloudFront function both do so for extension-less paths).
import { useEffect, useState } from './html.js';

const EVENT = 'hotel-booking:navigate';

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(EVENT));
}

export function currentLocation() {
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

export function useLocation() {
  const [where, setWhere] = useState(currentLocation);
  useEffect(() => {
    const update = () => setWhere(currentLocation());
    window.addEventListener('popstate', update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return where;
}

/** Same-origin links navigate in place (no reload: the access token lives in memory), those to
 * the paths this page serves (`serves(path)`): the guest site and the console are two pages, and a
 * link from one to the other loads it. */
export function interceptLinks(root, serves = () => true) {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    const link = event.target.closest('a[href]');
    if (!link || link.target || link.hasAttribute('download')) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/') || !serves(url.pathname)) return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}

export function withQuery(path, values) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
