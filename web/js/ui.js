// Small shared pieces: form fields with their errors, notices, loading, photos, ratings.
import { html, useEffect, useRef, useState } from './html.js';
import { explain } from './format.js';

/** A labelled input; its error (from the API) is shown under it and announced with it. */
export function Field({ id, label, error, hint, children, ...input }) {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return html`<div class=${`field${error ? ' invalid' : ''}`}>
    <label for=${id}>${label}</label>
    ${children || html`<input id=${id} name=${id} aria-invalid=${error ? 'true' : undefined} aria-describedby=${described} ...${input} />`}
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
  </div>`;
}

/** An API error in words, next to the action it concerns. */
export function Problem({ error, id }) {
  if (!error) return null;
  return html`<p class="problem" role="alert" id=${id}>${typeof error === 'string' ? error : explain(error)}</p>`;
}

export function Notice({ kind = 'info', children }) {
  return html`<div class=${`notice ${kind}`} role="status">${children}</div>`;
}

export function Loading({ what = 'Loading' }) {
  return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${what}…</p>`;
}

export function Photo({ roomType, name }) {
  const src = roomType?.images?.[0];
  if (src) return html`<img class="photo" src=${src} alt=${`Photo of the ${name}`} loading="lazy" />`;
  return html`<div class="photo placeholder" role="img" aria-label=${`${name}: no photo yet`}>
    <svg viewBox="0 0 48 32" aria-hidden="true" focusable="false">
      <path d="M4 26V12h6v-4h28v4h6v14h-4v-4H8v4z" fill="currentColor" opacity=".55" />
    </svg>
  </div>`;
}

export function Rating({ roomType }) {
  if (!roomType || !roomType.review_count) return html`<span class="rating muted">No reviews yet</span>`;
  const stars = Math.round(roomType.average_rating);
  return html`<span class="rating">
    <span aria-hidden="true">${'★'.repeat(stars)}${'☆'.repeat(5 - stars)}</span>
    <span class="visually-hidden">Rated ${roomType.average_rating.toFixed(1)} out of 5</span>
    <span aria-hidden="true"> ${roomType.average_rating.toFixed(1)}</span>
    <span class="muted"> (${roomType.review_count} review${roomType.review_count === 1 ? '' : 's'})</span>
  </span>`;
}

/** Run an async loader when `deps` change: {data, error, loading, reload}. */
export function useLoad(loader, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((previous) => ({ ...previous, loading: true, error: null }));
    loader().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((n) => n + 1) };
}

/** Focus a page's heading when it appears, so keyboard and screen-reader users start there. */
export function PageTitle({ children, title, site = 'Book a stay' }) {
  const ref = useRef(null);
  useEffect(() => {
    document.title = `${title || (typeof children === 'string' ? children : site)} · ${site}`;
    ref.current?.focus({ preventScroll: true });
  }, [title]);
  return html`<h1 tabindex="-1" ref=${ref}>${children}</h1>`;
}
