// Overview (seed 001's dashboard): the numbers of a chosen range from
// GET /api/analytics/dashboard, its timeline as a uPlot chart, by country and by status;
// the queue now (depth and the oldest waiting message) and the modems at a glance.
import { html, useEffect, useRef, useState } from '../vendor/preact-htm.module.js';
import uPlot from '../vendor/uPlot.esm.js';
import { get, query } from '../api.js';
import { Badge, ErrorLine, Loading, Signal, ago, money, usePoll, text } from '../ui.js';

const RANGES = [
  ['24h', 'Last 24 hours', 1],
  ['7d', 'Last 7 days', 7],
  ['30d', 'Last 30 days', 30],
  ['custom', 'Custom…', null],
];

/** The analytics parameters of a range choice (30 days: none, the API's own default). */
export function rangeParams(choice, from, to) {
  if (choice === '30d') return {};
  if (choice === 'custom') return { date_from: from, date_to: to };
  const days = RANGES.find(([k]) => k === choice)[2];
  return { date_from: new Date(Date.now() - days * 86400000).toISOString().replace(/\.\d+Z$/, 'Z') };
}

function Stat({ name, label, value }) {
  return html`<div class="stat card"><div class="stat-label">${label}</div>
    <div class="stat-value" data-stat=${name}>${value}</div></div>`;
}

function Timeline({ buckets }) {
  const box = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    if (!box.current) return undefined;
    const xs = buckets.map((b) => new Date(b.start).getTime() / 1000);
    const by = (names) => buckets.map((b) => names.reduce((n, s) => n + ((b.by_status || {})[s] || 0), 0));
    const data = [xs, buckets.map((b) => b.total), by(['delivered']), by(['failed', 'undelivered', 'expired'])];
    const width = Math.max(box.current.clientWidth, 280);
    const opts = {
      width, height: 220,
      series: [{}, { label: 'accepted', stroke: '#2563eb', width: 2 },
        { label: 'delivered', stroke: '#15803d', width: 2 },
        { label: 'failed', stroke: '#b91c1c', width: 2 }],
      axes: [{}, { size: 40 }],
      scales: { y: { range: (u, min, max) => [0, Math.max(max, 1)] } },
    };
    if (chart.current) chart.current.destroy();
    chart.current = new uPlot(opts, data, box.current);
    const resize = () => chart.current && chart.current.setSize({ width: Math.max(box.current.clientWidth, 280), height: 220 });
    addEventListener('resize', resize);
    return () => removeEventListener('resize', resize);
  }, [JSON.stringify(buckets)]);
  useEffect(() => () => chart.current && chart.current.destroy(), []);
  return html`<div class="chart" ref=${box} aria-label="Messages over time" role="img"></div>`;
}

function Bars({ entries, testid }) {
  const max = Math.max(1, ...entries.map(([, n]) => n));
  return html`<ul class="bars" data-testid=${testid}>${entries.map(([label, n]) => html`
    <li><span class="bar-label">${label}</span>
      <span class="bar-track"><span class="bar-fill" ref=${(el) => { if (el) el.style.width = `${(100 * n) / max}%`; }}></span></span>
      <span class="bar-value">${n}</span></li>`)}</ul>`;
}

/** The queue now: messages waiting to be sent (queued), those scheduled for later, and the
 * oldest queued one (the list is newest first: its last entry). */
async function loadQueue() {
  const queued = await get('/api/sms?status=queued&limit=1');
  const scheduled = await get('/api/sms?status=scheduled&limit=1');
  let oldest = null;
  if (queued.total > 0) {
    const last = await get(`/api/sms?status=queued&limit=1&offset=${queued.total - 1}`);
    oldest = last.messages[0] || null;
  }
  return { queued: queued.total, scheduled: scheduled.total, oldest };
}

/** The modems, each with the last send time `GET /api/modems/{name}` tells. */
async function loadModems() {
  const list = await get('/api/modems');
  const details = await Promise.all(list.modems.map((m) =>
    get(`/api/modems/${encodeURIComponent(m.name)}`).catch(() => null)));
  return list.modems.map((m, i) => {
    const d = details[i] || {};
    return { ...m, last_send: (d.counters && d.counters.last_sent_at) || null };
  });
}

export function Overview() {
  const [choice, setChoice] = useState('30d');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const params = rangeParams(choice, from, to);
  const key = JSON.stringify(params);
  const [dash, error] = usePoll(() => (choice === 'custom' && !(from && to)) ? Promise.resolve(null) : get(`/api/analytics/dashboard${query(params)}`), [key], 3000);
  const [queue] = usePoll(loadQueue, [], 3000);
  const [modems] = usePoll(loadModems, [], 3000);
  const s = dash && dash.stats;
  return html`<section>
    <div class="head-row"><h1>Overview</h1>
      <form class="range" onSubmit=${(e) => e.preventDefault()}>
        <label for="range">Range</label>
        <select id="range" value=${choice} onChange=${(e) => setChoice(e.target.value)}>
          ${RANGES.map(([k, label]) => html`<option value=${k}>${label}</option>`)}
        </select>
        ${choice === 'custom' && html`
          <label for="from">From</label><input id="from" type="date" value=${from} onChange=${(e) => setFrom(e.target.value)} />
          <label for="to">To</label><input id="to" type="date" value=${to} onChange=${(e) => setTo(e.target.value)} />`}
      </form>
    </div>
    <${ErrorLine} error=${error} />
    ${!s ? html`<${Loading} />` : html`
      <div class="stats">
        <${Stat} name="total" label="Messages" value=${s.total} />
        <${Stat} name="sent" label="Sent, awaiting report" value=${s.sent} />
        <${Stat} name="delivered" label="Delivered" value=${s.delivered} />
        <${Stat} name="failed" label="Failed" value=${s.failed} />
        <${Stat} name="delivery_rate" label="Delivery rate" value=${`${s.delivery_rate}%`} />
        <${Stat} name="total_cost" label="Cost" value=${money(s.total_cost, s.currency)} />
      </div>
      <div class="card"><h2>Timeline</h2><${Timeline} buckets=${(dash.timeline && dash.timeline.buckets) || []} /></div>
      <div class="grid2">
        <div class="card"><h2>By country</h2>
          ${dash.by_country.length === 0 ? html`<p class="muted">No messages in this range.</p>` : html`
          <div class="table-wrap"><table><thead><tr><th scope="col">Country</th><th scope="col">Messages</th><th scope="col">Segments</th><th scope="col">Cost</th></tr></thead>
          <tbody>${dash.by_country.map((c) => html`<tr><td>${text(c.country)}</td><td>${c.count}</td><td>${c.segments}</td><td>${money(c.cost, s.currency)}</td></tr>`)}</tbody></table></div>`}
        </div>
        <div class="card"><h2>By status</h2>
          ${Object.keys(dash.by_status || {}).length === 0 ? html`<p class="muted">No messages in this range.</p>`
            : html`<${Bars} testid="by-status" entries=${Object.entries(dash.by_status).sort((a, b) => b[1] - a[1])} />`}
        </div>
      </div>`}
    <div class="grid2">
      <div class="card"><h2>Queue</h2>
        ${!queue ? html`<${Loading} />` : html`<p><span class="big" data-stat="queued">${queue.queued}</span> waiting to be sent
            ${queue.scheduled > 0 && html`<span class="muted"> · ${queue.scheduled} scheduled for later</span>`}</p>
          <p>Oldest waiting: ${queue.oldest ? html`<a href=${`#/messages/${queue.oldest.id}`}>#${queue.oldest.id}</a> to ${queue.oldest.recipient}, accepted ${ago(queue.oldest.created_at)}` : html`<span class="muted">none</span>`}</p>`}
      </div>
      <div class="card"><h2>Modems</h2>
        ${!modems ? html`<${Loading} />` : html`<div class="table-wrap"><table><thead><tr><th scope="col">Modem</th><th scope="col">State</th><th scope="col">Signal</th><th scope="col">Operator</th><th scope="col">Segments sent</th><th scope="col">Last send</th></tr></thead>
          <tbody>${modems.map((m) => html`<tr data-modem=${m.name}>
            <td><a href="#/modems">${m.name}</a></td><td><${Badge} status=${m.state} /></td>
            <td><${Signal} rssi=${m.network && m.network.rssi} /></td>
            <td>${text(m.network && m.network.operator)}</td>
            <td>${m.route ? m.route.sent_segments : '—'}</td><td>${ago(m.last_send)}</td></tr>`)}</tbody></table></div>`}
      </div>
    </div>
  </section>`;
}
