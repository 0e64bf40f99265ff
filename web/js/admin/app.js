// The hotel console at /admin/: one page, routed in the browser, for accounts with the admin role.
// A signed-out visitor gets the sign-in form, a guest's account a refusal; the API checks the role
// on every request whatever this page shows.
import { html, render, useEffect, useState } from '../html.js';
import { renew, session, signIn, signOut } from '../api.js';
import { explain } from '../format.js';
import { interceptLinks, navigate, useLocation } from '../router.js';
import { Field, Loading, Problem } from '../ui.js';
import { Title, chooseHotel, useHotels } from './common.js';
import { BookingsPage } from './bookings.js';
import { HotelsPage } from './hotels.js';
import { InventoryPage } from './inventory.js';
import { RulesPage } from './rules.js';

// The report page loads its chart library only when opened.
const ReportPage = lazy(() => import('./report.js').then((module) => module.ReportPage));

const PAGES = [
  ['/admin/', 'Inventory', InventoryPage],
  ['/admin/rules', 'Price rules', RulesPage],
  ['/admin/bookings', 'Arrivals', BookingsPage],
  ['/admin/reports', 'Occupancy', ReportPage],
  ['/admin/hotels', 'Hotels and rooms', HotelsPage],
];

function lazy(load) {
  let Loaded = null;
  return function Lazy(props) {
    const [, setReady] = useState(Boolean(Loaded));
    const [error, setError] = useState(null);
    useEffect(() => {
      if (!Loaded) load().then((component) => {
        Loaded = component;
        setReady(true);
      }, setError);
    }, []);
    if (error) return html`<${Problem} error=${'This page could not be loaded. Check your connection and reload.'} />`;
    return Loaded ? html`<${Loaded} ...${props} />` : html`<${Loading} />`;
  };
}

function useSession() {
  const [, setVersion] = useState(0);
  useEffect(() => session.subscribe(() => setVersion((n) => n + 1)), []);
  return session;
}

function HotelPicker() {
  const { hotels, hotel } = useHotels();
  if (!hotels || !hotels.length) return null;
  return html`<div class="hotel-picker">
    <label for="current-hotel">Hotel</label>
    <select id="current-hotel" value=${hotel?.id} onChange=${(event) => chooseHotel(event.target.value)}>
      ${hotels.map((h) => html`<option value=${h.id}>${h.name} (${h.city})</option>`)}
    </select>
  </div>`;
}

function Header({ path, admin }) {
  const current = useSession();
  const out = async () => {
    await signOut();
    navigate('/admin/');
  };
  return html`<header class="site-header console-header">
    <div class="bar">
      <a class="brand" href="/admin/">Hotel console</a>
      ${admin && html`<${HotelPicker} />`}
      ${current.signedIn &&
      html`<button type="button" class="link sign-out" onClick=${out}>Sign out<span class="who"> (${current.user?.email})</span></button>`}
    </div>
    ${admin &&
    html`<nav aria-label="Console" class="console-nav">
      ${PAGES.map(
        ([href, name]) => html`<a href=${href} aria-current=${path === href || (href !== '/admin/' && path.startsWith(href)) ? 'page' : undefined}>${name}</a>`,
      )}
    </nav>`}
  </header>`;
}

function SignIn() {
  const [values, setValues] = useState({ email: '', password: '' });
  const [state, setState] = useState({ busy: false, error: null });
  const submit = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null });
    try {
      await signIn(values.email, values.password);
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  const set = (name) => (event) => setValues({ ...values, [name]: event.target.value });
  return html`<div class="narrow panel">
    <${Title}>Sign in to the hotel console</${Title}>
    <form onSubmit=${submit} novalidate>
      <${Field} id="email" label="Email" type="email" autocomplete="username" required value=${values.email} onInput=${set('email')} />
      <${Field} id="password" label="Password" type="password" autocomplete="current-password" required value=${values.password} onInput=${set('password')} />
      <${Problem} error=${state.error && explain(state.error)} />
      <button class="primary wide" type="submit" disabled=${state.busy}>${state.busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
    <p class="muted small">For hotel staff. Guests book on <a href="/">the booking site</a>.</p>
  </div>`;
}

function NotAllowed({ user }) {
  return html`<div class="narrow panel">
    <${Title}>Not allowed</${Title}>
    <p role="alert">You are signed in as <strong>${user?.email || 'a guest'}</strong>, an account without access to the hotel console.
      Sign out and sign in with a staff account, or go to <a href="/">the booking site</a>.</p>
  </div>`;
}

function NotFound() {
  return html`<${Title}>Page not found</${Title}><p><a href="/admin/">Back to the inventory</a></p>`;
}

function App({ ready }) {
  const { path, query } = useLocation();
  const current = useSession();
  const admin = current.signedIn && current.user?.role === 'admin';
  const page = path === '/admin' ? '/admin/' : path.replace(/\/$/, '') || '/admin/';
  const found = PAGES.find(([href]) => href === page || href === `${page}/`);
  let content;
  if (!ready) content = html`<${Loading} />`;
  else if (!current.signedIn) content = html`<${SignIn} />`;
  else if (!admin) content = html`<${NotAllowed} user=${current.user} />`;
  else if (!found) content = html`<${NotFound} />`;
  else {
    const Page = found[2];
    content = html`<${Page} key=${found[0]} query=${query} />`;
  }
  return html`<a class="skip" href="#main">Skip to content</a>
    <${Header} path=${found ? found[0] : path} admin=${admin} />
    <main id="main" class="console-main">${content}</main>`;
}

const root = document.getElementById('app');
root.textContent = '';
interceptLinks(document.body, (path) => path === '/admin' || path.startsWith('/admin/'));
render(html`<${App} ready=${false} />`, root);
renew()
  .catch(() => {})
  .finally(() => render(html`<${App} ready=${true} />`, root));
