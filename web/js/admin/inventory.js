// The inventory grid: room types x nights of one hotel, each cell the night's rooms free of its
// allotment, what is sold and held, and stop-sell. A grid in the ARIA sense (one tab stop, arrow
// keys between cells, Shift to select a range, labelled cells); the selected nights change in
// one action from the bar above it, and a refusal (allotment_below_held) marks the nights it names.
import { Component, html, useEffect, useRef, useState } from '../html.js';
import { addDays, day, fullDay, parseDate, plural } from '../format.js';
import { withQuery } from '../router.js';
import { Loading, Notice, Problem, useLoad } from '../ui.js';
import { Title, adminGet, adminSend, explainAdmin, useHotels } from './common.js';

const RANGES = [
  [28, '4 weeks'],
  [90, '3 months'],
];
const MONTH = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const SHORT_MONTH = new Intl.DateTimeFormat('en-GB', { month: 'short', timeZone: 'UTC' });
const WEEKDAY = new Intl.DateTimeFormat('en-GB', { weekday: 'short', timeZone: 'UTC' });

/** The hotel's today, in its own time zone (the API says the same in `today`). */
function hotelToday(hotel) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: hotel.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

function dateRange(start, days) {
  return Array.from({ length: days }, (_, i) => addDays(start, i));
}

function shiftMonth(iso, months) {
  const date = parseDate(iso);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

const clamp = (value, low, high) => Math.max(low, Math.min(high, value));

function rect(a, b) {
  return { r0: Math.min(a.r, b.r), r1: Math.max(a.r, b.r), c0: Math.min(a.c, b.c), c1: Math.max(a.c, b.c) };
}

/** What a cell says to a screen reader (the row and column headers give room type and date). */
function describe(night, conflict, past) {
  if (!night) return 'not on sale: night not opened';
  const parts = [`${night.available} of ${night.allotment} free`, `${night.sold} sold`, `${night.held} held`];
  if (night.stop_sell) parts.push('stop-sell');
  if (conflict) parts.push(`refused: ${plural(conflict.held, 'room')} booked`);
  if (past) parts.push('past');
  return parts.join(', ');
}

/** One room type's row. Re-renders only when its nights, its part of the selection, the active
 * cell in it or its refusals change: moving through 10 x 90 cells touches one or two rows. */
class GridRow extends Component {
  shouldComponentUpdate(next) {
    const p = this.props;
    return (
      p.row !== next.row ||
      p.dates !== next.dates ||
      p.selFrom !== next.selFrom ||
      p.selTo !== next.selTo ||
      p.activeCol !== next.activeCol ||
      p.conflicts !== next.conflicts
    );
  }

  render({ r, row, dates, selFrom, selTo, activeCol, conflicts, today, byDate }) {
    return html`<tr aria-rowindex=${r + 3} data-room-type=${row.room_type_id}>
      <th scope="row" role="rowheader" class="room-head" aria-colindex="1">
        <span class="room-name">${row.name}</span>
        <span class="muted small">${plural(row.total_rooms, 'room')}</span>
      </th>
      ${dates.map((date, c) => {
        const night = byDate.get(date);
        const conflict = conflicts?.get(date);
        const past = date < today;
        const selected = c >= selFrom && c <= selTo;
        const booked = night ? night.sold + night.held : 0;
        const classes = ['cell'];
        if (selected) classes.push('selected');
        if (!night) classes.push('closed');
        else if (night.stop_sell) classes.push('stop');
        if (night && night.available === 0 && !night.stop_sell) classes.push('full');
        if (conflict) classes.push('conflict');
        if (past) classes.push('past');
        if (date.endsWith('-01')) classes.push('month-start');
        const weekday = parseDate(date).getUTCDay();
        if (weekday === 0 || weekday === 6) classes.push('weekend');
        return html`<td role="gridcell" id=${`cell-${r}-${c}`} data-r=${r} data-c=${c} data-date=${date} class=${classes.join(' ')}
          tabindex=${activeCol === c ? 0 : -1} aria-selected=${selected ? 'true' : 'false'} aria-colindex=${c + 2}>
          <span class="visually-hidden">${describe(night, conflict, past)}</span>
          ${night
            ? html`<span class="fig" aria-hidden="true"><b>${night.available}</b>/${night.allotment}</span>
                ${booked > 0 &&
                html`<span class="fill" aria-hidden="true"
                  ><i class="sold" style=${{ width: `${(100 * night.sold) / Math.max(night.allotment, booked)}%` }}></i
                  ><i class="held" style=${{ width: `${(100 * night.held) / Math.max(night.allotment, booked)}%` }}></i
                ></span>`}`
            : html`<span class="fig" aria-hidden="true">–</span>`}
        </td>`;
      })}
    </tr>`;
  }
}

function Header({ dates }) {
  const months = [];
  for (const date of dates) {
    const key = date.slice(0, 7);
    if (months.length && months[months.length - 1].key === key) months[months.length - 1].span += 1;
    else months.push({ key, span: 1, first: date });
  }
  let column = 2;
  return html`<thead>
    <tr aria-rowindex="1" class="month-row">
      <td class="corner" aria-colindex="1"></td>
      ${months.map((month) => {
        const name = (month.span < 3 ? SHORT_MONTH : MONTH).format(parseDate(month.first));
        const cell = html`<th scope="colgroup" role="columnheader" colspan=${month.span} aria-colindex=${column}>
          <span class="month-label" aria-label=${MONTH.format(parseDate(month.first))}>${name}</span></th>`;
        column += month.span;
        return cell;
      })}
    </tr>
    <tr aria-rowindex="2" class="day-row">
      <th scope="col" role="columnheader" class="corner" aria-colindex="1">Room type</th>
      ${dates.map((date, c) => {
        const weekday = parseDate(date).getUTCDay();
        return html`<th scope="col" role="columnheader" aria-colindex=${c + 2}
          class=${`day-head${weekday === 0 || weekday === 6 ? ' weekend' : ''}`}>
          <abbr title=${fullDay(date)} aria-label=${day(date)}>${WEEKDAY.format(parseDate(date))}<br />${Number(date.slice(8))}</abbr>
        </th>`;
      })}
    </tr>
  </thead>`;
}

function selectionWords(rows, dates, sel) {
  const types = rows.slice(sel.r0, sel.r1 + 1).map((row) => row.name);
  const nights = sel.c1 - sel.c0 + 1;
  const when = nights === 1 ? day(dates[sel.c0]) : `${day(dates[sel.c0])} – ${day(dates[sel.c1])}`;
  return `${types.length === 1 ? types[0] : plural(types.length, 'room type')}, ${when} (${plural(nights, 'night')})`;
}

function ActiveCell({ rows, dates, active, byDate }) {
  const row = rows[active.r];
  const night = byDate[active.r].get(dates[active.c]);
  if (!row) return null;
  return html`<p class="active-cell muted small">
    <strong>${row.name}, ${day(dates[active.c])}:</strong>${' '}
    ${night
      ? `allotment ${night.allotment}, ${night.available} free, ${night.sold} sold, ${night.held} held, ${night.stop_sell ? 'stop-sell' : 'on sale'}`
      : 'night not opened (setting an allotment opens it)'}
  </p>`;
}

/** The bar over the grid: what is selected, and the changes that apply to it in one action. */
function ActionBar({ rows, dates, sel, today, busy, onApply, allotmentRef, onBackToGrid, results }) {
  const [allotment, setAllotment] = useState('');
  const [local, setLocal] = useState(null);
  const start = dates[sel.c0];
  const words = selectionWords(rows, dates, sel);
  const apply = (change) => {
    if (start < today) {
      setLocal(`Nights before today (${day(today)}) cannot change. Select later nights.`);
      return;
    }
    setLocal(null);
    onApply(change);
  };
  const submit = (event) => {
    event.preventDefault();
    const value = Number(allotment);
    if (allotment === '' || !Number.isInteger(value) || value < 0) {
      setLocal('Type the number of rooms for sale on each selected night (0 or more).');
      return;
    }
    apply({ allotment: value });
  };
  const escape = (event) => {
    if (event.key === 'Escape') onBackToGrid();
  };
  return html`<section class="action-bar panel" aria-labelledby="action-heading" onKeyDown=${escape}>
    <h2 id="action-heading" class="action-heading">Selected: <span id="selection-summary" aria-live="polite">${words}</span></h2>
    <div class="action-row">
      <form class="inline-form" onSubmit=${submit} aria-label="Set the allotment of the selected nights">
        <label for="grid-allotment">Allotment</label>
        <input id="grid-allotment" type="number" min="0" max="10000" inputmode="numeric" value=${allotment} ref=${allotmentRef}
          onInput=${(event) => setAllotment(event.target.value)} aria-describedby="action-problem" />
        <button type="submit" class="primary" disabled=${busy}>Set allotment</button>
      </form>
      <div class="actions">
        <button type="button" disabled=${busy} onClick=${() => apply({ stop_sell: true })}>Stop sell</button>
        <button type="button" disabled=${busy} onClick=${() => apply({ stop_sell: false })}>Open for sale</button>
      </div>
    </div>
    <div id="action-problem">
      ${local && html`<p class="problem" role="alert">${local}</p>`}
      ${busy && html`<${Loading} what="Saving" />`}
      ${results.map((result) =>
        result.ok
          ? html`<${Notice} kind="success">${result.text}</${Notice}>`
          : html`<p class="problem" role="alert">${result.text}</p>`,
      )}
    </div>
  </section>`;
}

function Grid({ data, dates, state, setState, conflicts, allotmentRef }) {
  const rows = data.room_types;
  const focusCell = useRef(false);
  const dragging = useRef(false);
  const byDate = useRef(null);
  if (!byDate.current || byDate.current.data !== data) {
    byDate.current = { data, maps: rows.map((row) => new Map(row.nights.map((night) => [night.date, night]))) };
  }
  const maps = byDate.current.maps;
  const lastRow = rows.length - 1;
  const lastCol = dates.length - 1;

  useEffect(() => {
    if (!focusCell.current) return;
    focusCell.current = false;
    const cell = document.getElementById(`cell-${state.active.r}-${state.active.c}`);
    cell?.focus({ preventScroll: true });
    cell?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [state.active]);
  useEffect(() => {
    const stop = () => {
      dragging.current = false;
    };
    window.addEventListener('mouseup', stop);
    return () => window.removeEventListener('mouseup', stop);
  }, []);

  const move = (r, c, extend) => {
    const active = { r: clamp(r, 0, lastRow), c: clamp(c, 0, lastCol) };
    focusCell.current = true;
    setState((s) => (extend ? { ...s, active, sel: rect(s.anchor, active) } : { active, anchor: active, sel: rect(active, active) }));
  };
  const keydown = (event) => {
    const { r, c } = state.active;
    const extend = event.shiftKey;
    const ctrl = event.ctrlKey || event.metaKey;
    const handled = () => event.preventDefault();
    switch (event.key) {
      case 'ArrowRight': handled(); return move(r, c + 1, extend);
      case 'ArrowLeft': handled(); return move(r, c - 1, extend);
      case 'ArrowDown': handled(); return move(r + 1, c, extend);
      case 'ArrowUp': handled(); return move(r - 1, c, extend);
      case 'PageDown': handled(); return move(r, c + 7, extend);
      case 'PageUp': handled(); return move(r, c - 7, extend);
      case 'Home': handled(); return move(ctrl ? 0 : r, 0, extend);
      case 'End': handled(); return move(ctrl ? lastRow : r, lastCol, extend);
      case ' ':
        handled();
        if (extend) return setState((s) => ({ ...s, sel: { r0: r, r1: r, c0: 0, c1: lastCol } })); // the room type's nights
        if (ctrl) return setState((s) => ({ ...s, sel: { r0: 0, r1: lastRow, c0: c, c1: c } })); // the night, every room type
        return move(r, c, false);
      case 'a':
        if (!ctrl) return undefined;
        handled();
        return setState((s) => ({ ...s, sel: { r0: 0, r1: lastRow, c0: 0, c1: lastCol } }));
      case 'Escape': handled(); return move(r, c, false);
      case 'Enter':
      case 'F2':
        handled();
        allotmentRef.current?.focus();
        allotmentRef.current?.select();
        return undefined;
      default:
        return undefined;
    }
  };
  const cellOf = (event) => {
    const cell = event.target.closest('td[data-c]');
    return cell ? { r: Number(cell.dataset.r), c: Number(cell.dataset.c) } : null;
  };
  const mousedown = (event) => {
    const at = cellOf(event);
    if (!at || event.button !== 0) return;
    event.preventDefault(); // no text selection while dragging
    dragging.current = true;
    move(at.r, at.c, event.shiftKey);
  };
  const mouseover = (event) => {
    if (!dragging.current) return;
    const at = cellOf(event);
    if (at && (at.r !== state.active.r || at.c !== state.active.c)) move(at.r, at.c, true);
  };
  const { sel, active } = state;
  return html`<div class="grid-scroll">
    <table role="grid" class="inventory-grid" aria-labelledby="grid-heading" aria-describedby="grid-help"
      aria-multiselectable="true" aria-rowcount=${rows.length + 2} aria-colcount=${dates.length + 1}
      onKeyDown=${keydown} onMouseDown=${mousedown} onMouseOver=${mouseover}>
      <colgroup><col class="room-col" />${dates.map(() => html`<col class="night-col" />`)}</colgroup>
      <${Header} dates=${dates} />
      <tbody>
        ${rows.map(
          (row, r) => html`<${GridRow} key=${row.room_type_id} r=${r} row=${row} dates=${dates} byDate=${maps[r]} today=${data.today}
            selFrom=${r >= sel.r0 && r <= sel.r1 ? sel.c0 : -1} selTo=${r >= sel.r0 && r <= sel.r1 ? sel.c1 : -1}
            activeCol=${r === active.r ? active.c : -1} conflicts=${conflicts.get(row.room_type_id)} />`,
        )}
      </tbody>
    </table>
  </div>
  <${ActiveCell} rows=${rows} dates=${dates} active=${active} byDate=${maps} />`;
}

export function InventoryPage({ query }) {
  const { hotel, hotels, error: hotelsError } = useHotels();
  const [view, setView] = useState({ from: query.get('from') || '', days: Number(query.get('days')) || 28 });
  const from = view.from || (hotel ? hotelToday(hotel) : '');
  const loaded = useLoad(
    () => (hotel ? adminGet(withQuery(`/hotels/${hotel.id}/inventory`, { from, to: addDays(from, view.days) })) : Promise.resolve(null)),
    [hotel?.id, from, view.days],
  );
  const data = loaded.data;
  const dates = useRef({ key: '', list: [] });
  const first = data?.start_date;
  const count = data ? Math.round((parseDate(data.end_date) - parseDate(data.start_date)) / 86400000) : 0;
  if (data && dates.current.key !== `${first}/${count}`) dates.current = { key: `${first}/${count}`, list: dateRange(first, count) };
  const [state, setState] = useState({ active: { r: 0, c: 0 }, anchor: { r: 0, c: 0 }, sel: { r0: 0, r1: 0, c0: 0, c1: 0 } });
  const [conflicts, setConflicts] = useState(new Map());
  const [work, setWork] = useState({ busy: false, results: [] });
  const allotmentRef = useRef(null);
  useEffect(() => {
    const start = { r: 0, c: 0 };
    setState({ active: start, anchor: start, sel: rect(start, start) });
    setConflicts(new Map());
    setWork({ busy: false, results: [] });
  }, [hotel?.id, dates.current.key]);

  const rows = data?.room_types || [];
  const list = dates.current.list;
  const sel = {
    r0: clamp(state.sel.r0, 0, rows.length - 1),
    r1: clamp(state.sel.r1, 0, rows.length - 1),
    c0: clamp(state.sel.c0, 0, list.length - 1),
    c1: clamp(state.sel.c1, 0, list.length - 1),
  };

  const apply = async (change) => {
    const chosen = rows.slice(sel.r0, sel.r1 + 1);
    const start = list[sel.c0];
    const end = addDays(list[sel.c1], 1);
    setWork({ busy: true, results: [] });
    const outcomes = await Promise.allSettled(
      chosen.map((row) => adminSend('PUT', `/room-types/${row.room_type_id}/inventory`, { start_date: start, end_date: end, ...change })),
    );
    const refused = new Map();
    const results = outcomes.map((outcome, i) => {
      const row = chosen[i];
      if (outcome.status === 'fulfilled') {
        const what = 'allotment' in change ? `Allotment ${change.allotment}` : change.stop_sell ? 'Stop-sell' : 'Open for sale';
        return { ok: true, text: `${row.name}: ${what} on ${plural(outcome.value.nights.length, 'night')}.` };
      }
      const error = outcome.reason;
      if (error.code === 'allotment_below_held') {
        refused.set(row.room_type_id, new Map((error.problem.nights || []).map((night) => [night.date, night])));
      }
      return { ok: false, text: `${row.name}: ${explainAdmin(error)}` };
    });
    setConflicts(refused);
    setWork({ busy: false, results });
    loaded.reload();
  };

  const shift = (months) => setView((v) => ({ ...v, from: shiftMonth(from, months) }));
  return html`<div class="inventory-page">
    <div class="page-head">
      <${Title}>Inventory${hotel ? html` <span class="muted title-hotel">· ${hotel.name}</span>` : ''}</${Title}>
      <form class="range-controls" onSubmit=${(event) => event.preventDefault()} aria-label="Nights shown">
        <div class="field">
          <label for="grid-from">From</label>
          <input id="grid-from" type="date" value=${from} onChange=${(event) => event.target.value && setView({ ...view, from: event.target.value })} />
        </div>
        <div class="field">
          <label for="grid-days">Show</label>
          <select id="grid-days" value=${String(view.days)} onChange=${(event) => setView({ ...view, days: Number(event.target.value) })}>
            ${RANGES.map(([days, label]) => html`<option value=${String(days)}>${label}</option>`)}
          </select>
        </div>
        <div class="actions range-buttons">
          <button type="button" onClick=${() => shift(-1)} disabled=${!data} aria-label="A month earlier"><span aria-hidden="true">‹</span> Earlier</button>
          <button type="button" onClick=${() => data && setView({ ...view, from: data.today })} disabled=${!data}>Today</button>
          <button type="button" onClick=${() => shift(1)} disabled=${!data} aria-label="A month later">Later <span aria-hidden="true">›</span></button>
        </div>
      </form>
    </div>
    ${hotelsError && html`<${Problem} error=${explainAdmin(hotelsError)} />`}
    ${hotels && !hotels.length && html`<p>No hotels yet: create one in <a href="/admin/hotels">Hotels and rooms</a>.</p>`}
    <${Problem} error=${loaded.error && explainAdmin(loaded.error)} />
    ${!data && loaded.loading && html`<${Loading} what="Loading the inventory" />`}
    ${data && !rows.length && html`<p>No room types at ${hotel?.name} yet: create one in <a href="/admin/hotels">Hotels and rooms</a>.</p>`}
    ${data &&
    rows.length > 0 &&
    html`<${ActionBar} rows=${rows} dates=${list} sel=${sel} today=${data.today} busy=${work.busy} results=${work.results}
        onApply=${apply} allotmentRef=${allotmentRef}
        onBackToGrid=${() => document.getElementById(`cell-${state.active.r}-${state.active.c}`)?.focus()} />
      <h2 id="grid-heading" class="visually-hidden">Rooms free per night, ${day(list[0])} to ${day(list[list.length - 1])}</h2>
      <div id="grid-help" class="grid-help muted small">
        <p><span class="key-fig"><b>5</b>/8</span> rooms free of the allotment · bar: <span class="key sold">sold</span>
          <span class="key held">held</span> · <span class="key stop">stop-sell</span> · – not open.</p>
        <details>
          <summary>Keyboard</summary>
          <p>Arrows move between nights and room types; Shift with an arrow, Home, End or Page Up/Down selects a range;
            Shift+Space selects the room type's nights, Ctrl+Space the night for every room type, Ctrl+A everything;
            Enter goes to the allotment, Escape comes back. Drag or Shift+click with a mouse.</p>
        </details>
      </div>
      <div aria-busy=${loaded.loading ? 'true' : 'false'}>
        <${Grid} data=${data} dates=${list} state=${{ ...state, sel }} setState=${setState} conflicts=${conflicts} allotmentRef=${allotmentRef} />
      </div>`}
  </div>`;
}
