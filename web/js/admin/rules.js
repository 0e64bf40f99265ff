// Price rules of a hotel in the order the engine applies them, a form to create or edit one, and
// a live preview of a chosen stay: every night's price with each rule step, as the API's pricing
// engine explains it (the page computes no price itself).
import { html, useEffect, useState } from '../html.js';
import { addDays, day, money, plural } from '../format.js';
import { withQuery } from '../router.js';
import { Field, Loading, Notice, Problem, useLoad } from '../ui.js';
import {
  DeleteButton,
  Title,
  WEEKDAY_NAMES,
  adminGet,
  adminSend,
  explainAdmin,
  fieldProblems,
  fromInput,
  toInput,
  useHotels,
} from './common.js';

const TYPES = {
  percent: 'Percent (+/-)',
  amount: 'Amount (+/-)',
  fixed: 'Fixed price',
};

/** "+20 %", "-€10.00", "= €150.00" */
export function adjustmentWords(adjustment, currency) {
  const { type, value } = adjustment;
  if (type === 'percent') return `${value >= 0 ? '+' : '−'}${Math.abs(value)} %`;
  if (type === 'amount') return `${value >= 0 ? '+' : '−'}${money(Math.abs(value), currency)}`;
  return `= ${money(value, currency)}`;
}

function weekdayWords(weekdays) {
  if (!weekdays) return 'Every day';
  return weekdays.map((d) => WEEKDAY_NAMES[d - 1].slice(0, 3)).join(', ');
}

function datesWords(rule) {
  if (!rule.start_date && !rule.end_date) return 'Any date';
  if (!rule.end_date) return `From ${day(rule.start_date)}`;
  if (!rule.start_date) return `Until ${day(rule.end_date)}`;
  return `${day(rule.start_date)} – ${day(rule.end_date)}`;
}

function restrictionWords(rule) {
  const found = [];
  if (rule.min_stay) found.push(`Min. ${plural(rule.min_stay, 'night')}`);
  if (rule.closed_to_arrival) found.push('No arrivals');
  return found.join(', ') || '–';
}

function emptyRule() {
  return {
    name: '',
    room_type_id: '',
    start_date: '',
    end_date: '',
    weekdays: [],
    type: 'percent',
    value: '',
    priority: '10',
    min_stay: '',
    closed_to_arrival: false,
  };
}

function fromRule(rule, currency) {
  return {
    name: rule.name,
    room_type_id: rule.room_type_id || '',
    start_date: rule.start_date || '',
    end_date: rule.end_date || '',
    weekdays: rule.weekdays || [],
    type: rule.adjustment.type,
    value: rule.adjustment.type === 'percent' ? String(rule.adjustment.value) : toInput(rule.adjustment.value, currency),
    priority: String(rule.priority),
    min_stay: rule.min_stay ? String(rule.min_stay) : '',
    closed_to_arrival: rule.closed_to_arrival,
  };
}

function RuleForm({ hotel, roomTypes, rule, onDone, onCancel }) {
  const editing = Boolean(rule);
  const [values, setValues] = useState(rule ? fromRule(rule, hotel.currency) : emptyRule());
  const [state, setState] = useState({ busy: false, error: null, local: {} });
  const set = (name) => (event) => setValues({ ...values, [name]: event.target.type === 'checkbox' ? event.target.checked : event.target.value });
  const toggleDay = (d) => (event) =>
    setValues({ ...values, weekdays: event.target.checked ? [...values.weekdays, d].sort() : values.weekdays.filter((x) => x !== d) });
  const fields = { ...fieldProblems(state.error), ...state.local };
  const save = async (event) => {
    event.preventDefault();
    const value = values.type === 'percent' ? Number(values.value) : fromInput(values.value, hotel.currency);
    if (values.value === '' || !Number.isInteger(value)) {
      setState({ busy: false, error: null, local: { value: values.type === 'percent' ? 'Type a whole percentage, e.g. 20 or -10' : `Type an amount in ${hotel.currency}` } });
      return;
    }
    const body = {
      name: values.name,
      room_type_id: values.room_type_id || null,
      start_date: values.start_date || null,
      end_date: values.end_date || null,
      weekdays: values.weekdays.length ? values.weekdays : null,
      adjustment: { type: values.type, value },
      priority: Number(values.priority),
      min_stay: values.min_stay ? Number(values.min_stay) : null,
      closed_to_arrival: values.closed_to_arrival,
    };
    if (!editing) {
      body.hotel_id = hotel.id;
      for (const key of ['room_type_id', 'start_date', 'end_date', 'weekdays', 'min_stay']) if (body[key] === null) delete body[key];
    }
    setState({ busy: true, error: null, local: {} });
    try {
      const saved = editing ? await adminSend('PATCH', `/price-rules/${rule.id}`, body) : await adminSend('POST', '/price-rules', body);
      onDone(saved);
    } catch (error) {
      setState({ busy: false, error, local: {} });
    }
  };
  const prefix = editing ? `rule-${rule.id}` : 'new-rule';
  const id = (name) => `${prefix}-${name}`;
  const general = state.error && !Object.keys(fieldProblems(state.error)).length ? explainAdmin(state.error) : null;
  return html`<form class="panel admin-form rule-form" onSubmit=${save} aria-label=${editing ? `Edit rule ${rule.name}` : 'New price rule'} novalidate>
    <h3>${editing ? `Edit “${rule.name}”` : 'New price rule'}</h3>
    <div class="form-grid">
      <${Field} id=${id('name')} label="Name" required value=${values.name} onInput=${set('name')} error=${fields.name} />
      <${Field} id=${id('room')} label="Applies to" error=${fields.room_type_id}>
        <select id=${id('room')} value=${values.room_type_id} onChange=${set('room_type_id')}>
          <option value="">Every room type</option>
          ${roomTypes.map((rt) => html`<option value=${rt.id}>${rt.name}</option>`)}
        </select>
      <//>
      <${Field} id=${id('start')} label="From (inclusive)" type="date" value=${values.start_date} onInput=${set('start_date')} error=${fields.start_date} hint="Empty: no start" />
      <${Field} id=${id('end')} label="Until (inclusive)" type="date" value=${values.end_date} onInput=${set('end_date')} error=${fields.end_date} hint="Empty: no end" />
      <${Field} id=${id('type')} label="Adjustment">
        <select id=${id('type')} value=${values.type} onChange=${set('type')}>
          ${Object.entries(TYPES).map(([key, label]) => html`<option value=${key}>${label}</option>`)}
        </select>
      <//>
      <${Field} id=${id('value')} label=${values.type === 'percent' ? 'Percent' : `Amount (${hotel.currency})`} inputmode="decimal" required
        value=${values.value} onInput=${set('value')} error=${fields.value || fields.adjustment}
        hint=${values.type === 'percent' ? 'e.g. 20 for +20 %, -10 for -10 %' : values.type === 'amount' ? 'Added to the price; negative for a discount' : 'The night costs this'} />
      <${Field} id=${id('priority')} label="Priority" type="number" value=${values.priority} onInput=${set('priority')} error=${fields.priority} hint="Lower applies first" />
      <${Field} id=${id('min-stay')} label="Minimum stay (nights)" type="number" min="1" max="365" value=${values.min_stay}
        onInput=${set('min_stay')} error=${fields.min_stay} hint="For arrivals on these nights; empty: none" />
    </div>
    <fieldset class="weekdays">
      <legend>Only on these weekdays <span class="muted small">(none ticked: every day)</span></legend>
      ${WEEKDAY_NAMES.map(
        (name, i) => html`<label class="check"><input type="checkbox" checked=${values.weekdays.includes(i + 1)} onChange=${toggleDay(i + 1)} /> ${name}</label>`,
      )}
      ${fields.weekdays && html`<p class="field-error">${fields.weekdays}</p>`}
    </fieldset>
    <label class="check"><input type="checkbox" checked=${values.closed_to_arrival} onChange=${set('closed_to_arrival')} /> Closed to arrival (no check-ins on these nights)</label>
    <${Problem} error=${general} />
    <div class="actions">
      <button class="primary" type="submit" disabled=${state.busy}>${state.busy ? 'Saving…' : editing ? 'Save rule' : 'Create rule'}</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

function RulesTable({ rules, hotel, roomTypes, editing, setEditing, onChanged }) {
  const names = new Map(roomTypes.map((rt) => [rt.id, rt.name]));
  if (!rules.length) return html`<p class="muted">No price rules: every night costs the room type's base price.</p>`;
  return html`<div class="table-scroll"><table class="data stack rules-table">
    <caption class="visually-hidden">Price rules of ${hotel.name}, in the order they apply</caption>
    <thead><tr><th scope="col">#</th><th scope="col">Rule</th><th scope="col">Applies to</th><th scope="col">Dates</th>
      <th scope="col">Weekdays</th><th scope="col">Adjustment</th><th scope="col">Restrictions</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>
      ${rules.map(
        (rule, i) => html`<tr>
          <td data-label="Order">${i + 1}</td>
          <th scope="row">${rule.name}<br /><span class="muted small">priority ${rule.priority}</span></th>
          <td data-label="Applies to">${rule.room_type_id ? names.get(rule.room_type_id) || rule.room_type_id : 'Every room type'}</td>
          <td data-label="Dates">${datesWords(rule)}</td>
          <td data-label="Weekdays">${weekdayWords(rule.weekdays)}</td>
          <td data-label="Adjustment" class="num">${adjustmentWords(rule.adjustment, hotel.currency)}</td>
          <td data-label="Restrictions">${restrictionWords(rule)}</td>
          <td class="row-actions">
            <button type="button" class="small-button" aria-label=${`Edit rule ${rule.name}`} onClick=${() => setEditing(rule.id)}>Edit</button>
            <${DeleteButton} id=${`delete-rule-${rule.id}`} what=${`rule ${rule.name}`}
              onDelete=${async () => { await adminSend('DELETE', `/price-rules/${rule.id}`); onChanged(`Rule “${rule.name}” deleted.`); }} />
          </td>
        </tr>
        ${editing === rule.id &&
        html`<tr><td colspan="8"><${RuleForm} hotel=${hotel} roomTypes=${roomTypes} rule=${rule}
          onDone=${(saved) => onChanged(`Rule “${saved.name}” saved.`)} onCancel=${() => setEditing(null)} /></td></tr>`}`,
      )}
    </tbody>
  </table></div>`;
}

function useDebounced(value, ms) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [JSON.stringify(value)]);
  return settled;
}

/** The price of a chosen stay, night by night with every rule step, read again whenever the stay
 * or the rules change. */
function Preview({ hotel, roomTypes, version }) {
  const [stay, setStay] = useState(() => {
    const checkIn = addDays(new Date().toISOString().slice(0, 10), 14);
    return { room_type_id: roomTypes[0]?.id || '', check_in: checkIn, check_out: addDays(checkIn, 3), rooms: '1' };
  });
  const settled = useDebounced(stay, 250);
  const ready = settled.room_type_id && settled.check_in && settled.check_out;
  const preview = useLoad(
    () => (ready ? adminGet(withQuery('/pricing/preview', settled)) : Promise.resolve(null)),
    [JSON.stringify(settled), version],
  );
  const set = (name) => (event) => setStay({ ...stay, [name]: event.target.value });
  const data = preview.data;
  return html`<section class="panel preview" aria-labelledby="preview-heading">
    <h2 id="preview-heading">Preview a stay</h2>
    <form class="preview-form" onSubmit=${(event) => event.preventDefault()} aria-label="Stay to preview">
      <${Field} id="preview-room" label="Room type">
        <select id="preview-room" value=${stay.room_type_id} onChange=${set('room_type_id')}>
          ${roomTypes.map((rt) => html`<option value=${rt.id}>${rt.name}</option>`)}
        </select>
      <//>
      <${Field} id="preview-check-in" label="Check-in" type="date" value=${stay.check_in} onInput=${set('check_in')} />
      <${Field} id="preview-check-out" label="Check-out" type="date" value=${stay.check_out} onInput=${set('check_out')} />
      <${Field} id="preview-rooms" label="Rooms" type="number" min="1" max="100" value=${stay.rooms} onInput=${set('rooms')} />
    </form>
    <div aria-live="polite" aria-busy=${preview.loading ? 'true' : 'false'} class="preview-result">
      ${preview.loading && !data && html`<${Loading} what="Pricing" />`}
      <${Problem} error=${preview.error && explainAdmin(preview.error)} />
      ${data &&
      html`<p class="preview-total">
          <span>${plural(data.nights, 'night')} × ${plural(data.rooms, 'room')}</span>
          <strong class="amount" data-total=${data.total_price}>${money(data.total_price, data.currency)}</strong>
        </p>
        ${data.restriction
          ? html`<p class="problem" role="alert">Guests cannot book this stay: ${data.restriction.detail}</p>`
          : html`<p class="muted small">What a guest pays for this stay now.</p>`}
        <ol class="nights">
          ${data.nightly.map(
            (night) => html`<li class="night">
              <div class="night-head"><span>${day(night.date)}</span><strong>${money(night.price, data.currency)}</strong></div>
              <ol class="steps" aria-label=${`How ${day(night.date)} is priced`}>
                <li><span>Base price</span><span>${money(night.base_price, data.currency)}</span></li>
                ${night.steps.map(
                  (step) => html`<li>
                    <span>${step.name} <span class="muted">(${adjustmentWords(step.adjustment, data.currency)})</span></span>
                    <span>${money(step.price_before, data.currency)} → ${money(step.price_after, data.currency)}</span>
                  </li>`,
                )}
                ${!night.steps.length && html`<li class="muted"><span>No rule applies</span></li>`}
              </ol>
            </li>`,
          )}
        </ol>`}
    </div>
  </section>`;
}

export function RulesPage() {
  const { hotel, error: hotelsError } = useHotels();
  const [version, setVersion] = useState(0);
  const loaded = useLoad(
    () =>
      hotel
        ? Promise.all([
            adminGet(`/price-rules?hotel_id=${encodeURIComponent(hotel.id)}`),
            adminGet(`/room-types?hotel_id=${encodeURIComponent(hotel.id)}`),
          ])
        : Promise.resolve(null),
    [hotel?.id, version],
  );
  const [editing, setEditing] = useState(null);
  const [notice, setNotice] = useState(null);
  const changed = (message) => {
    setEditing(null);
    setNotice(message);
    setVersion((n) => n + 1);
  };
  const [rules, types] = loaded.data || [null, null];
  return html`<${Title}>Price rules${hotel ? html` <span class="muted title-hotel">· ${hotel.name}</span>` : ''}</${Title}>
    ${hotelsError && html`<${Problem} error=${explainAdmin(hotelsError)} />`}
    <${Problem} error=${loaded.error && explainAdmin(loaded.error)} />
    ${!loaded.data && loaded.loading && html`<${Loading} />`}
    ${rules &&
    html`<div class="rules-layout">
      <section aria-labelledby="rules-heading" class="admin-section">
        <div class="section-head">
          <h2 id="rules-heading">Rules, in the order they apply</h2>
          ${editing !== 'new' && html`<button type="button" onClick=${() => setEditing('new')}>New rule</button>`}
        </div>
        <p class="muted small">Each night starts at the room type's base price; every rule that matches the night changes it in turn.</p>
        ${notice && html`<${Notice} kind="success">${notice}</${Notice}>`}
        ${editing === 'new' &&
        html`<${RuleForm} hotel=${hotel} roomTypes=${types.items} onDone=${(saved) => changed(`Rule “${saved.name}” created.`)}
          onCancel=${() => setEditing(null)} />`}
        <${RulesTable} rules=${rules.items} hotel=${hotel} roomTypes=${types.items} editing=${editing} setEditing=${setEditing} onChanged=${changed} />
      </section>
      ${types.items.length
        ? html`<${Preview} key=${hotel.id} hotel=${hotel} roomTypes=${types.items} version=${version} />`
        : html`<p class="muted">Create a room type to preview its prices.</p>`}
    </div>`}`;
}
