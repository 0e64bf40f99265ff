// The occupancy report as charts (occupancy per night for the hotel and each room type; ADR and
// RevPAR per night) with every figure also in tables. Loaded only when opened, with its chart
// library (uPlot, vendored from npm, 22 KiB gzipped): the console's first load does not carry it.
import { html, useEffect, useRef, useState } from '../html.js';
import { addDays, day, money, today } from '../format.js';
import { withQuery } from '../router.js';
import { Field, Loading, Problem, useLoad } from '../ui.js';
import { Title, adminGet, explainAdmin, fractionDigits, useHotels } from './common.js';
import uPlot from '../../vendor/uplot.js';

// uPlot's own stylesheet, once (a <link>: the CSP allows the site's own style files only).
if (!document.querySelector('link[href="/vendor/uplot.css"]')) {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/vendor/uplot.css';
  document.head.append(link);
}

// Distinct, and at least 3:1 against white (WCAG's non-text contrast).
const COLOURS = ['#08524e', '#b3261e', '#5b4bb7', '#8a5a00', '#1f6fb2', '#6b7a00', '#9c2f7c', '#37474f', '#00838f', '#795548'];
const AXIS_DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const percentText = (value) => (value === null || value === undefined ? '–' : `${value.toFixed(1)} %`);

function seconds(iso) {
  return Date.parse(`${iso}T00:00:00Z`) / 1000;
}

/** A uPlot line chart that follows its container's width. */
function Chart({ label, describedBy, series, dates, format, max }) {
  const box = useRef(null);
  useEffect(() => {
    const element = box.current;
    const options = {
      width: Math.max(element.clientWidth, 280),
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, y: max ? { range: [0, max] } : { range: (_, low, high) => [0, Math.max(high * 1.1, 1)] } },
      axes: [
        { stroke: '#4f5e68', grid: { stroke: '#e6e2da' }, values: (_, ticks) => ticks.map((ts) => AXIS_DAY.format(new Date(ts * 1000))) },
        { stroke: '#4f5e68', grid: { stroke: '#e6e2da' }, size: 70, values: (_, ticks) => ticks.map(format) },
      ],
      series: [
        { label: 'Night', value: (_, ts) => (ts === null ? '–' : day(new Date(ts * 1000).toISOString().slice(0, 10))) },
        ...series.map((s) => ({ label: s.label, stroke: s.colour, width: s.width || 2, value: (_, v) => (v === null ? '–' : format(v)), spanGaps: false })),
      ],
      legend: { live: true },
    };
    const chart = new uPlot(options, [dates.map(seconds), ...series.map((s) => s.values)], element);
    const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(element.clientWidth, 280), height: 260 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [JSON.stringify(series), dates.join()]);
  return html`<div class="chart" ref=${box} role="img" aria-label=${label} aria-describedby=${describedBy}></div>`;
}

function NightTable({ id, caption, nights, currency }) {
  return html`<div class="table-scroll tall" tabindex="0" role="region" aria-label=${caption}><table class="data" id=${id}>
    <caption>${caption}</caption>
    <thead><tr><th scope="col">Night</th><th scope="col" class="num">Rooms</th><th scope="col" class="num">Sold</th><th scope="col" class="num">Held</th>
      <th scope="col" class="num">Occupancy</th><th scope="col" class="num">Revenue</th><th scope="col" class="num">ADR</th><th scope="col" class="num">RevPAR</th></tr></thead>
    <tbody>
      ${nights.map(
        (n) => html`<tr>
          <th scope="row">${day(n.date)}</th><td class="num">${n.room_nights ?? n.allotment}</td><td class="num">${n.sold}</td><td class="num">${n.held}</td>
          <td class="num">${percentText(n.occupancy)}</td><td class="num">${money(n.revenue, currency)}</td>
          <td class="num">${n.adr === null ? '–' : money(n.adr, currency)}</td><td class="num">${n.revpar === null ? '–' : money(n.revpar, currency)}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}

function TotalsTable({ report, hotelTotals, currency }) {
  const row = (name, totals, header = false) => html`<tr class=${header ? 'total-row' : ''}>
    <th scope="row">${name}</th><td class="num">${totals.room_nights}</td><td class="num">${totals.sold}</td><td class="num">${totals.held}</td>
    <td class="num">${percentText(totals.occupancy)}</td><td class="num">${money(totals.revenue, currency)}</td>
    <td class="num">${totals.adr === null ? '–' : money(totals.adr, currency)}</td><td class="num">${totals.revpar === null ? '–' : money(totals.revpar, currency)}</td>
  </tr>`;
  const caption = `By room type, ${day(report.start_date)} – ${day(addDays(report.end_date, -1))}`;
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label=${caption}><table class="data totals">
    <caption>${caption}</caption>
    <thead><tr><th scope="col">Room type</th><th scope="col" class="num">Room-nights</th><th scope="col" class="num">Sold</th><th scope="col" class="num">Held</th>
      <th scope="col" class="num">Occupancy</th><th scope="col" class="num">Revenue</th><th scope="col" class="num">ADR</th><th scope="col" class="num">RevPAR</th></tr></thead>
    <tbody>${report.room_types.map((rt) => row(rt.name, rt.totals))}</tbody>
    ${hotelTotals && html`<tfoot>${row('Whole hotel', hotelTotals.totals, true)}</tfoot>`}
  </table></div>`;
}

export function ReportPage() {
  const { hotel, error: hotelsError } = useHotels();
  const [range, setRange] = useState({ from: today(), to: addDays(today(), 30) });
  const [form, setForm] = useState(range);
  const [scope, setScope] = useState(''); // '' = the whole hotel, else a room type id
  const report = useLoad(
    () => (hotel ? adminGet(withQuery('/reports/occupancy', { hotel_id: hotel.id, ...range })) : Promise.resolve(null)),
    [hotel?.id, range.from, range.to],
  );
  const data = report.data;
  const hotelTotals = data?.hotels.find((h) => h.hotel_id === hotel?.id);
  const currency = hotelTotals?.currency || hotel?.currency || 'EUR';
  const major = (amount) => (amount === null ? '–' : money(Math.round(amount * 10 ** fractionDigits(currency)), currency));
  const dates = hotelTotals?.nights.map((n) => n.date) || [];
  const scoped = scope ? data?.room_types.find((rt) => rt.room_type_id === scope) : null;
  const scopeNights = scoped ? scoped.nights : hotelTotals?.nights || [];
  const scopeName = scoped ? scoped.name : 'whole hotel';
  const toMajor = (value) => (value === null ? null : value / 10 ** fractionDigits(currency));
  const submit = (event) => {
    event.preventDefault();
    setRange(form);
  };
  return html`<${Title}>Occupancy${hotel ? html` <span class="muted title-hotel">· ${hotel.name}</span>` : ''}</${Title}>
    ${hotelsError && html`<${Problem} error=${explainAdmin(hotelsError)} />`}
    <form class="panel filters report-form" onSubmit=${submit} aria-label="Report dates">
      <${Field} id="report-from" label="From" type="date" value=${form.from} onInput=${(e) => setForm({ ...form, from: e.target.value })} />
      <${Field} id="report-to" label="Until (exclusive)" type="date" value=${form.to} onInput=${(e) => setForm({ ...form, to: e.target.value })} />
      <button type="submit" class="primary">Show</button>
    </form>
    <${Problem} error=${report.error && explainAdmin(report.error)} />
    ${report.loading && !data && html`<${Loading} what="Loading the report" />`}
    ${data && !hotelTotals && html`<p>No room types at this hotel yet.</p>`}
    ${data &&
    hotelTotals &&
    html`<div class="kpis" aria-label="Whole hotel, these dates" role="group">
        <p><span class="kpi-label">Occupancy</span><strong data-kpi="occupancy">${percentText(hotelTotals.totals.occupancy)}</strong></p>
        <p><span class="kpi-label">ADR</span><strong data-kpi="adr">${hotelTotals.totals.adr === null ? '–' : money(hotelTotals.totals.adr, currency)}</strong></p>
        <p><span class="kpi-label">RevPAR</span><strong data-kpi="revpar">${hotelTotals.totals.revpar === null ? '–' : money(hotelTotals.totals.revpar, currency)}</strong></p>
        <p><span class="kpi-label">Revenue</span><strong data-kpi="revenue">${money(hotelTotals.totals.revenue, currency)}</strong></p>
        <p><span class="kpi-label">Rooms sold</span><strong data-kpi="sold">${hotelTotals.totals.sold}</strong> <span class="muted small">of ${hotelTotals.totals.room_nights} room-nights</span></p>
      </div>
      <section class="panel chart-panel" aria-labelledby="occupancy-heading">
        <h2 id="occupancy-heading">Occupancy per night</h2>
        <${Chart} label=${`Line chart of occupancy per night, in percent, for the whole hotel and each room type, ${day(dates[0])} to ${day(dates[dates.length - 1])}. The figures are in the tables below.`}
          describedBy="totals-table" dates=${dates} max=${100} format=${(v) => `${Math.round(v)} %`}
          series=${[
            { label: 'Whole hotel', colour: '#1d2a33', width: 3, values: hotelTotals.nights.map((n) => n.occupancy) },
            ...data.room_types.map((rt, i) => ({ label: rt.name, colour: COLOURS[i % COLOURS.length], values: rt.nights.map((n) => n.occupancy) })),
          ]} />
      </section>
      <section class="panel chart-panel" aria-labelledby="rates-heading">
        <div class="section-head">
          <h2 id="rates-heading">ADR and RevPAR per night</h2>
          <div class="field inline-field">
            <label for="report-scope">For</label>
            <select id="report-scope" value=${scope} onChange=${(e) => setScope(e.target.value)}>
              <option value="">The whole hotel</option>
              ${data.room_types.map((rt) => html`<option value=${rt.room_type_id}>${rt.name}</option>`)}
            </select>
          </div>
        </div>
        <${Chart} label=${`Line chart of the average daily rate and revenue per available room per night, ${scopeName}. The figures are in the table below.`}
          describedBy="nights-table" dates=${dates} format=${major}
          series=${[
            { label: 'ADR', colour: COLOURS[0], values: scopeNights.map((n) => toMajor(n.adr)) },
            { label: 'RevPAR', colour: COLOURS[1], values: scopeNights.map((n) => toMajor(n.revpar)) },
          ]} />
      </section>
      <section aria-labelledby="figures-heading" class="admin-section">
        <h2 id="figures-heading">Figures</h2>
        <div id="totals-table"><${TotalsTable} report=${data} hotelTotals=${hotelTotals} currency=${currency} /></div>
        <${NightTable} id="nights-table" caption=${`Per night, ${scopeName}`} nights=${scopeNights} currency=${currency} />
      </section>`}`;
}
