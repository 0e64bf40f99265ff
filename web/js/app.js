// The guest site: one page, routed in the browser. Pages that need an account send a signed-out
// visitor to sign in and back.
import { html, render, useEffect, useState } from './html.js';
import { renew, session, signOut } from './api.js';
import { interceptLinks, navigate, useLocation, withQuery } from './router.js';
import { Loading } from './ui.js';
import { SignInPage, SignUpPage } from './pages/account.js';
import { BookingPage, BookingsPage, CheckoutPage, WishlistPage } from './pages/bookings.js';
import { RoomPage } from './pages/room.js';
import { SearchPage } from './pages/search.js';

const ROUTES = [
  [/^\/$/, SearchPage],
  [/^\/rooms\/([^/]+)$/, RoomPage],
  [/^\/signin$/, SignInPage],
  [/^\/signup$/, SignUpPage],
  [/^\/bookings$/, BookingsPage, { auth: true }],
  [/^\/bookings\/([^/]+)\/pay$/, CheckoutPage, { auth: true }],
  [/^\/bookings\/([^/]+)$/, BookingPage, { auth: true }],
  [/^\/wishlist$/, WishlistPage, { auth: true }],
];

function useSession() {
  const [, setVersion] = useState(0);
  useEffect(() => session.subscribe(() => setVersion((n) => n + 1)), []);
  return session;
}

function Header({ path }) {
  const current = useSession();
  const link = (href, text) => html`<a href=${href} aria-current=${path === href ? 'page' : undefined}>${text}</a>`;
  const out = async () => {
    await signOut();
    navigate('/');
  };
  return html`<header class="site-header">
    <div class="bar">
      <a class="brand" href="/">Book a stay</a>
      <nav aria-label="Main">
        ${link('/', 'Search')}
        ${current.signedIn && link('/bookings', 'My bookings')}
        ${current.signedIn && link('/wishlist', 'Wishlist')}
        ${current.signedIn
          ? html`<button type="button" class="link" onClick=${out}>Sign out${current.user ? html`<span class="who"> (${current.user.name})</span>` : ''}</button>`
          : link(withQuery('/signin', { next: path === '/signin' ? '/' : path }), 'Sign in')}
      </nav>
    </div>
  </header>`;
}

function NotFound() {
  return html`<h1>Page not found</h1><p><a href="/">Search rooms</a></p>`;
}

function App({ ready }) {
  const { path, query } = useLocation();
  const current = useSession();
  const match = ROUTES.map(([pattern, page, options]) => [path.match(pattern), page, options]).find(([found]) => found);
  const [found, Page, options] = match || [null, NotFound, {}];
  const needsSignIn = options?.auth && ready && !current.signedIn;
  useEffect(() => {
    if (needsSignIn) navigate(withQuery('/signin', { next: path + location.search }), { replace: true });
  }, [needsSignIn, path]);
  let content;
  if (options?.auth && !ready) content = html`<${Loading} />`;
  else if (needsSignIn) content = null;
  else content = html`<${Page} key=${path} id=${found?.[1] && decodeURIComponent(found[1])} query=${query} />`;
  return html`<a class="skip" href="#main">Skip to content</a>
    <${Header} path=${path} />
    <main id="main">${content}</main>
    <footer class="site-footer"><p>Prices include every night of your stay. Payments by Stripe.</p></footer>`;
}

const root = document.getElementById('app');
root.textContent = '';
interceptLinks(document.body, (path) => path !== '/admin' && !path.startsWith('/admin/'));
render(html`<${App} ready=${false} />`, root);
// Signed in from an earlier visit? The refresh cookie answers (the page cannot read it).
renew()
  .catch(() => {})
  .finally(() => render(html`<${App} ready=${true} />`, root));
