// Hotels and their room types: create, edit, delete. What the API refuses (a hotel that still has
// room types, a room type with bookings, an id already taken, a bad field) is shown in words next
// to the form or the button.
import { html, useState } from '../html.js';
import { money } from '../format.js';
import { Field, Loading, Notice, Problem, useLoad } from '../ui.js';
import {
  DeleteButton,
  Title,
  adminGet,
  adminSend,
  chooseHotel,
  explainAdmin,
  fieldProblems,
  fromInput,
  reloadHotels,
  toInput,
  useHotels,
} from './common.js';

const SLUG_HINT = 'Lower-case letters, digits and dashes; it cannot change later.';

function useForm(initial) {
  const [values, setValues] = useState(initial);
  const [state, setState] = useState({ busy: false, error: null });
  const set = (name) => (event) => setValues({ ...values, [name]: event.target.type === 'checkbox' ? event.target.checked : event.target.value });
  return { values, set, state, setState, setValues };
}

/** Submit `body()` with `send`; field errors go under their fields, the rest under the button. */
async function submit(form, send, done) {
  form.setState({ busy: true, error: null });
  try {
    const result = await send();
    form.setState({ busy: false, error: null });
    done(result);
  } catch (error) {
    form.setState({ busy: false, error });
  }
}

function FormProblem({ form, id }) {
  const error = form.state.error;
  if (!error) return null;
  const fields = fieldProblems(error);
  return html`<${Problem} id=${id} error=${Object.keys(fields).length ? 'Some fields need changing: see the messages above.' : explainAdmin(error)} />`;
}

// ------------------------------------------------------------------ hotels

function HotelForm({ hotel, onDone, onCancel }) {
  const editing = Boolean(hotel);
  const form = useForm(
    hotel
      ? { ...hotel, check_in_hour: String(hotel.check_in_hour) }
      : { id: '', name: '', city: '', address: '', timezone: 'Europe/Lisbon', check_in_hour: '15', currency: 'EUR' },
  );
  const fields = fieldProblems(form.state.error);
  const prefix = editing ? `hotel-${hotel.id}` : 'new-hotel';
  const body = () => {
    const { id, name, city, address, timezone, currency } = form.values;
    const sent = { name, city, address, timezone, currency: currency.toUpperCase(), check_in_hour: Number(form.values.check_in_hour) };
    if (!editing) return { id, ...sent };
    // Only what changed (the currency cannot change once the hotel has room types).
    return Object.fromEntries(Object.entries(sent).filter(([key, value]) => value !== hotel[key]));
  };
  const save = (event) => {
    event.preventDefault();
    submit(
      form,
      () => (editing ? adminSend('PATCH', `/hotels/${hotel.id}`, body()) : adminSend('POST', '/hotels', body())),
      onDone,
    );
  };
  const field = (name, label, extra = {}) => html`<${Field} id=${`${prefix}-${name}`} label=${label} value=${form.values[name]}
    onInput=${form.set(name)} error=${fields[name]} ...${extra} />`;
  return html`<form class="panel admin-form" onSubmit=${save} aria-label=${editing ? `Edit ${hotel.name}` : 'New hotel'} novalidate>
    <h3>${editing ? `Edit ${hotel.name}` : 'New hotel'}</h3>
    <div class="form-grid">
      ${!editing && field('id', 'Id', { hint: SLUG_HINT, required: true, pattern: '[a-z0-9][a-z0-9-]*' })}
      ${field('name', 'Name', { required: true })}
      ${field('city', 'City', { required: true })}
      ${field('address', 'Address')}
      ${field('timezone', 'Time zone', { hint: 'IANA name, e.g. Europe/Lisbon' })}
      ${field('check_in_hour', 'Check-in hour', { type: 'number', min: 0, max: 23 })}
      ${field('currency', 'Currency', { hint: 'ISO code, e.g. EUR', maxlength: 3 })}
    </div>
    <${FormProblem} form=${form} id=${`${prefix}-problem`} />
    <div class="actions">
      <button class="primary" type="submit" disabled=${form.state.busy}>${editing ? 'Save changes' : 'Create hotel'}</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

function HotelsSection({ hotels, current, onChanged }) {
  const [editing, setEditing] = useState(null); // hotel id, 'new' or null
  const done = async (saved) => {
    setEditing(null);
    await onChanged();
    if (saved?.id) chooseHotel(saved.id);
  };
  return html`<section aria-labelledby="hotels-heading" class="admin-section">
    <div class="section-head">
      <h2 id="hotels-heading">Hotels</h2>
      ${editing !== 'new' && html`<button type="button" onClick=${() => setEditing('new')}>New hotel</button>`}
    </div>
    ${editing === 'new' && html`<${HotelForm} onDone=${done} onCancel=${() => setEditing(null)} />`}
    <div class="table-scroll">
      <table class="data stack">
        <thead><tr><th scope="col">Hotel</th><th scope="col">City</th><th scope="col">Time zone</th><th scope="col">Check-in</th>
          <th scope="col">Currency</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          ${hotels.map(
            (hotel) => html`<tr class=${hotel.id === current?.id ? 'current' : ''}>
              <th scope="row">${hotel.name}<br /><span class="muted small">${hotel.id}</span></th>
              <td data-label="City">${hotel.city}</td><td data-label="Time zone">${hotel.timezone}</td>
              <td data-label="Check-in">${hotel.check_in_hour}:00</td><td data-label="Currency">${hotel.currency}</td>
              <td class="row-actions">
                <button type="button" class="small-button" aria-label=${`Show the room types of ${hotel.name}`} disabled=${hotel.id === current?.id}
                  onClick=${() => chooseHotel(hotel.id)}>Room types</button>
                <button type="button" class="small-button" aria-label=${`Edit ${hotel.name}`} onClick=${() => setEditing(hotel.id)}>Edit</button>
                <${DeleteButton} id=${`delete-hotel-${hotel.id}`} what=${hotel.name}
                  onDelete=${async () => { await adminSend('DELETE', `/hotels/${hotel.id}`); await onChanged(); }} />
              </td>
            </tr>
            ${editing === hotel.id && html`<tr><td colspan="6"><${HotelForm} hotel=${hotel} onDone=${done} onCancel=${() => setEditing(null)} /></td></tr>`}`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

// ------------------------------------------------------------------ room types

function RoomTypeForm({ hotel, roomType, onDone, onCancel }) {
  const editing = Boolean(roomType);
  const currency = hotel.currency;
  const form = useForm(
    roomType
      ? {
          ...roomType,
          capacity: String(roomType.capacity),
          base_price: toInput(roomType.base_price, currency),
          total_rooms: String(roomType.total_rooms),
          view_type: roomType.view_type || '',
          amenities: roomType.amenities.join(', '),
        }
      : { id: '', name: '', description: '', capacity: '2', base_price: '', total_rooms: '10', view_type: '', amenities: '' },
  );
  const fields = fieldProblems(form.state.error);
  const prefix = editing ? `room-${roomType.id}` : 'new-room';
  const [local, setLocal] = useState({});
  const save = (event) => {
    event.preventDefault();
    const v = form.values;
    const price = fromInput(v.base_price, currency);
    if (Number.isNaN(price)) {
      setLocal({ base_price: `Type an amount in ${currency}, e.g. 120.00` });
      return;
    }
    setLocal({});
    const sent = {
      name: v.name,
      description: v.description,
      capacity: Number(v.capacity),
      base_price: price,
      total_rooms: Number(v.total_rooms),
      view_type: v.view_type.trim() || null,
      amenities: v.amenities.split(',').map((a) => a.trim().toLowerCase().replaceAll(' ', '-')).filter(Boolean),
    };
    let body;
    if (editing) {
      body = Object.fromEntries(
        Object.entries(sent).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(key === 'view_type' ? roomType[key] ?? null : roomType[key])),
      );
    } else {
      body = { id: v.id, hotel_id: hotel.id, ...sent };
      if (body.view_type === null) delete body.view_type;
    }
    submit(form, () => (editing ? adminSend('PATCH', `/room-types/${roomType.id}`, body) : adminSend('POST', '/room-types', body)), onDone);
  };
  const field = (name, label, extra = {}) => html`<${Field} id=${`${prefix}-${name}`} label=${label} value=${form.values[name]}
    onInput=${form.set(name)} error=${local[name] || fields[name]} ...${extra} />`;
  return html`<form class="panel admin-form" onSubmit=${save} aria-label=${editing ? `Edit ${roomType.name}` : 'New room type'} novalidate>
    <h3>${editing ? `Edit ${roomType.name}` : `New room type at ${hotel.name}`}</h3>
    <div class="form-grid">
      ${!editing && field('id', 'Id', { hint: SLUG_HINT, required: true })}
      ${field('name', 'Name', { required: true })}
      ${field('capacity', 'Guests per room', { type: 'number', min: 1, max: 50, required: true })}
      ${field('base_price', `Base price per night (${currency})`, { inputmode: 'decimal', required: true })}
      ${field('total_rooms', editing ? 'Rooms for nights opened later' : 'Rooms (allotment of every night)', {
        type: 'number',
        min: 0,
        required: true,
        hint: editing ? 'Nights already open change in the inventory grid.' : undefined,
      })}
      ${field('view_type', 'View', { hint: 'e.g. sea, city' })}
      ${field('amenities', 'Amenities', { hint: 'Comma-separated, e.g. wifi, balcony' })}
    </div>
    <${Field} id=${`${prefix}-description`} label="Description" error=${fields.description}>
      <textarea id=${`${prefix}-description`} value=${form.values.description} onInput=${form.set('description')}></textarea>
    <//>
    <${FormProblem} form=${form} id=${`${prefix}-problem`} />
    <div class="actions">
      <button class="primary" type="submit" disabled=${form.state.busy}>${form.state.busy ? 'Saving…' : editing ? 'Save changes' : 'Create room type'}</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

function RoomTypesSection({ hotel, onChanged }) {
  const types = useLoad(() => adminGet(`/room-types?hotel_id=${encodeURIComponent(hotel.id)}`), [hotel.id]);
  const [editing, setEditing] = useState(null);
  const [notice, setNotice] = useState(null);
  const changed = async (message) => {
    setEditing(null);
    setNotice(message);
    types.reload();
    await onChanged();
  };
  return html`<section aria-labelledby="types-heading" class="admin-section">
    <div class="section-head">
      <h2 id="types-heading">Room types at ${hotel.name}</h2>
      ${editing !== 'new' && html`<button type="button" onClick=${() => setEditing('new')}>New room type</button>`}
    </div>
    ${notice && html`<${Notice} kind="success">${notice}</${Notice}>`}
    ${editing === 'new' &&
    html`<${RoomTypeForm} hotel=${hotel} onDone=${(created) => changed(`${created.name} created: ${created.total_rooms} rooms on sale every night of the sale window.`)}
      onCancel=${() => setEditing(null)} />`}
    ${types.loading && !types.data && html`<${Loading} what="Loading the room types" />`}
    <${Problem} error=${types.error && explainAdmin(types.error)} />
    ${types.data &&
    (types.data.items.length
      ? html`<div class="table-scroll"><table class="data stack">
          <thead><tr><th scope="col">Room type</th><th scope="col">Guests</th><th scope="col">Base price</th><th scope="col">Rooms</th>
            <th scope="col">View</th><th scope="col">Amenities</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${types.data.items.map(
              (rt) => html`<tr>
                <th scope="row">${rt.name}<br /><span class="muted small">${rt.id}</span></th>
                <td data-label="Guests">${rt.capacity}</td><td data-label="Base price">${money(rt.base_price, rt.currency)}</td>
                <td data-label="Rooms">${rt.total_rooms}</td><td data-label="View">${rt.view_type || '–'}</td>
                <td data-label="Amenities">${rt.amenities.join(', ') || '–'}</td>
                <td class="row-actions">
                  <button type="button" class="small-button" aria-label=${`Edit ${rt.name}`} onClick=${() => setEditing(rt.id)}>Edit</button>
                  <${DeleteButton} id=${`delete-room-${rt.id}`} what=${rt.name}
                    onDelete=${async () => { await adminSend('DELETE', `/room-types/${rt.id}`); await changed(`${rt.name} deleted.`); }} />
                </td>
              </tr>
              ${editing === rt.id &&
              html`<tr><td colspan="7"><${RoomTypeForm} hotel=${hotel} roomType=${rt} onDone=${(saved) => changed(`${saved.name} saved.`)}
                onCancel=${() => setEditing(null)} /></td></tr>`}`,
            )}
          </tbody>
        </table></div>`
      : html`<p class="muted">No room types yet.</p>`)}
  </section>`;
}

export function HotelsPage() {
  const { hotels, hotel, error } = useHotels();
  return html`<${Title}>Hotels and rooms</${Title}>
    ${error && html`<${Problem} error=${explainAdmin(error)} />`}
    ${!hotels && !error && html`<${Loading} />`}
    ${hotels && html`<${HotelsSection} hotels=${hotels} current=${hotel} onChanged=${reloadHotels} />`}
    ${hotel && html`<${RoomTypesSection} key=${hotel.id} hotel=${hotel} onChanged=${reloadHotels} />`}`;
}
