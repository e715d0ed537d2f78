// Modems: every modem from GET /api/modems (state, identity, network, the balancer's
// counters) with its detail from GET /api/modems/{name}: why it is out of rotation, the
// signal of the last hour, counters and +CMS ERRORs, quota and balance; for an admin key,
// disable / enable / reset.
import { html, useEffect, useRef, useState } from '../vendor/preact-htm.module.js';
import uPlot from '../vendor/uPlot.esm.js';
import { get, post } from '../api.js';
import { Badge, ErrorLine, Facts, Loading, Signal, text, usePoll, when } from '../ui.js';

async function load() {
  const list = await get('/api/modems');
  const details = await Promise.all(list.modems.map((m) =>
    get(`/api/modems/${encodeURIComponent(m.name)}`).catch(() => null)));
  return list.modems.map((m, i) => ({ ...m, detail: details[i] }));
}

function SignalHistory({ points }) {
  const box = useRef(null);
  useEffect(() => {
    if (!box.current || !Array.isArray(points) || points.length === 0) return undefined;
    const xs = points.map((p) => p.at / 1000);
    const ys = points.map((p) => p.dbm);
    // The last hour, and the whole +CSQ range in dBm (-113 … -51), so one sample or a
    // flat line still reads as a level.
    const now = Date.now() / 1000;
    const chart = new uPlot({ width: Math.max(box.current.clientWidth, 240), height: 120, legend: { show: false },
      scales: { x: { time: true, range: [now - 3600, now] }, y: { range: [-115, -50] } },
      series: [{}, { label: 'signal', stroke: '#2563eb', width: 2 }], axes: [{}, { size: 44 }] }, [xs, ys], box.current);
    return () => chart.destroy();
  }, [JSON.stringify(points)]);
  if (!Array.isArray(points) || points.length === 0) return html`<p class="muted small">No signal history.</p>`;
  return html`<div class="chart" ref=${box} role="img" aria-label="Signal over the last hour"></div>`;
}

/** The fields of an object as [label, text] rows; nested objects are flattened (`cms
 * errors · +CMS ERROR 500`), lists joined. Whatever the detail endpoint adds shows up. */
function rowsOf(obj, prefix = '') {
  if (!obj || typeof obj !== 'object') return [];
  return Object.entries(obj).flatMap(([k, v]) => {
    const label = `${prefix}${k.replace(/_/g, ' ')}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return rowsOf(v, `${label} · `);
    if (Array.isArray(v)) return [[label, v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ')]];
    return [[label, v]];
  });
}

function Modem({ m, can, reload }) {
  const d = m.detail || {};
  const [error, setError] = useState(null);
  const identity = { ...(m.identity || {}), ...(d.identity || {}) };
  const network = { ...(m.network || {}), ...(d.network || {}) };
  async function act(action) {
    setError(null);
    try { await post(`/api/modems/${encodeURIComponent(m.name)}/${action}`); reload(); } catch (e) { setError(e); }
  }
  const state = m.state;
  const counters = d.counters || {};
  const reason = d.held ? `Out of rotation: ${d.held}` : null;
  return html`<article class="card modem" data-modem=${m.name}>
    <div class="head-row"><h2>${m.name}</h2><span data-testid="modem-state"><${Badge} status=${state} /></span><${Signal} rssi=${network.rssi} /></div>
    ${reason && html`<p class="muted" data-testid="held">${reason}</p>`}
    <div class="grid2">
      <${Facts} rows=${[
        ['MSISDN', identity.msisdn], ['Operator', network.operator], ['Registration', network.registration],
        ['Signal', network.signal_dbm !== undefined && network.signal_dbm !== null ? `${network.signal_dbm} dBm` : null],
        ['IMEI', identity.imei], ['ICCID', identity.iccid], ['IMSI', identity.imsi],
        ['Model', [identity.manufacturer, identity.model].filter(Boolean).join(' ')], ['SMSC', m.smsc],
      ]} />
      <${Facts} rows=${[
        ['Segments sent', m.route && m.route.sent_segments], ['In flight', m.route && m.route.in_flight],
        ['Allowance', m.route && (m.route.allowance === null ? 'no limit' : m.route.allowance)],
        ['Unfinished parts resent', m.route && m.route.fragment_segments], ['Last TP-MR', m.last_message_ref],
        ['Last send', counters.last_sent_at ? when(counters.last_sent_at) : null],
        ['Send failures', counters.send_failures], ['Received', counters.received],
        ['Last error', counters.last_error ? `${counters.last_error.error} (${when(counters.last_error.at)})` : null],
        ...rowsOf(d.quota, 'quota · '),
        ...(d.balance ? [['Balance', d.balance.amount !== null ? `${d.balance.amount} ${d.balance.currency || ''}` : d.balance.raw],
          ['Balance checked', when(d.balance.checked_at)]] : []),
      ]} />
    </div>
    ${counters.cms_errors && Object.keys(counters.cms_errors).length > 0 && html`<h3>+CMS errors</h3>
      <${Facts} rows=${Object.entries(counters.cms_errors).map(([code, n]) => [`+CMS ERROR ${code}`, n])} />`}
    ${m.detail && html`<h3>Signal, last hour</h3><${SignalHistory} points=${d.signal_history} />`}
    ${m.detail && can('admin') && html`<div class="actions">
      ${d.disabled ? html`<button onClick=${() => act('enable')}>Enable</button>`
        : html`<button onClick=${() => act('disable')}>Disable</button>`}
      <button class="danger" onClick=${() => act('reset')}>Reset</button></div>`}
    <${ErrorLine} error=${error} />
  </article>`;
}

export function Modems({ can }) {
  const [modems, error, reload] = usePoll(load, [], 3000);
  return html`<section><h1>Modems</h1>
    <${ErrorLine} error=${error} />
    ${!modems ? html`<${Loading} />` : modems.length === 0 ? html`<p class="muted">No modem is configured.</p>`
      : modems.map((m) => html`<${Modem} key=${m.name} m=${m} can=${can} reload=${reload} />`)}
  </section>`;
}
