// Messages: the list with its filters (GET /api/sms: status, type, batch, recipient, dates;
// paged) and one message's page (GET /api/sms/{id}: every event on a timeline, every
// segment with its route, TP-MR, status report and cost), with cancel for a queued one.
import { html, useState } from '../vendor/preact-htm.module.js';
import { get, post, query } from '../api.js';
import { Badge, ErrorLine, Facts, Loading, money, text, usePoll, when } from '../ui.js';

const STATUSES = ['', 'queued', 'scheduled', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled'];
const TYPES = ['', 'transactional', 'promotional', 'otp', 'alert'];
const PAGE = 25;

function dayStart(d) { return d ? `${d}T00:00:00Z` : ''; }
function dayEnd(d) { return d ? `${d}T23:59:59Z` : ''; }

export function Messages({ can }) {
  const [filters, setFilters] = useState({ status: '', sms_type: '', batch_id: '', recipient: '', from: '', to: '' });
  const [offset, setOffset] = useState(0);
  const params = {
    status: filters.status, sms_type: filters.sms_type, batch_id: filters.batch_id.trim(),
    recipient: /^\+\d{7,15}$/.test(filters.recipient.trim()) ? filters.recipient.trim() : '', date_from: dayStart(filters.from), date_to: dayEnd(filters.to),
    limit: PAGE, offset,
  };
  const [page, error] = usePoll(() => get(`/api/sms${query(params)}`), [JSON.stringify(params)], 2500);
  const set = (name) => (e) => { setOffset(0); setFilters({ ...filters, [name]: e.target.value }); };
  return html`<section>
    <div class="head-row"><h1>Messages</h1>${can('send') && html`<a class="button primary" href="#/send" data-testid="new-message">Send a message</a>`}</div>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filters">
      <label>Recipient (E.164)<input type="search" value=${filters.recipient} onInput=${set('recipient')} placeholder="+4915112345678" /></label>
      <label>Status<select value=${filters.status} onChange=${set('status')}>${STATUSES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}</select></label>
      <label>Type<select value=${filters.sms_type} onChange=${set('sms_type')}>${TYPES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}</select></label>
      <label>Batch<input type="search" value=${filters.batch_id} onInput=${set('batch_id')} placeholder="b_…" /></label>
      <label>From<input type="date" value=${filters.from} onChange=${set('from')} /></label>
      <label>To<input type="date" value=${filters.to} onChange=${set('to')} /></label>
    </form>
    <${ErrorLine} error=${error} />
    ${!page ? html`<${Loading} />` : html`
      <div class="table-wrap"><table data-testid="messages">
        <thead><tr><th scope="col">#</th><th scope="col">Recipient</th><th scope="col">Status</th><th scope="col">Type</th><th scope="col">Segments</th><th scope="col">Route</th><th scope="col">Accepted</th></tr></thead>
        <tbody>${page.messages.map((m) => html`<tr>
          <td><a href=${`#/messages/${m.id}`}>${m.id}</a></td><td>${m.recipient}</td><td><${Badge} status=${m.status} /></td>
          <td>${m.sms_type}</td><td>${m.segments}</td><td>${text(m.route)}</td><td>${when(m.created_at)}</td></tr>`)}</tbody>
      </table></div>
      ${page.messages.length === 0 && html`<p class="muted">No message matches.</p>`}
      <div class="pager">
        <button disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE))}>Newer</button>
        <span class="muted">${page.total === 0 ? '0' : `${offset + 1}–${offset + page.messages.length}`} of ${page.total}</span>
        <button disabled=${offset + PAGE >= page.total} onClick=${() => setOffset(offset + PAGE)}>Older</button>
      </div>`}
  </section>`;
}

export function MessagePage({ id, can }) {
  const [m, error, reload] = usePoll(() => get(`/api/sms/${encodeURIComponent(id)}`), [id], 2000);
  const [actionError, setActionError] = useState(null);
  async function cancel() {
    setActionError(null);
    try { await post(`/api/sms/${encodeURIComponent(id)}/cancel`); reload(); } catch (e) { setActionError(e); }
  }
  if (error && !m) return html`<section><h1>Message ${id}</h1><${ErrorLine} error=${error} /></section>`;
  if (!m) return html`<${Loading} />`;
  const cancellable = ['queued', 'scheduled'].includes(m.status);
  return html`<section>
    <div class="head-row"><h1>Message #${m.id}</h1>
      <span data-testid="message-status"><${Badge} status=${m.status} /></span>
      ${can('send') && cancellable && html`<button class="danger" onClick=${cancel}>Cancel message</button>`}</div>
    <${ErrorLine} error=${actionError} />
    <div class="grid2">
      <div class="card"><h2>Message</h2>
        <p class="sms-body" data-testid="message-body">${m.body}</p>
        <${Facts} rows=${[
          ['Recipient', m.recipient], ['Recipient name', m.recipient_name], ['Type', m.sms_type],
          ['Encoding', `${m.encoding} · ${m.message_type}`], ['Segments', m.segments], ['Priority', m.priority],
          ['Route', m.route], ['Attempts', m.attempts], ['Error', m.error], ['Batch', m.batch_id],
          ['Custom id', m.custom_id], ['Accepted', when(m.created_at)], ['Scheduled', when(m.schedule_at)],
          ['Expires', when(m.expire_at)], ['Sent', when(m.sent_at)], ['Final', when(m.final_at)],
        ]} />
      </div>
      <div class="card"><h2>Events</h2>
        <ol class="timeline" data-testid="events">${(m.events || []).map((e) => html`<li>
          <${Badge} status=${e.status} /> <time>${when(e.at)}</time>
          ${e.route && html` <span class="muted">via ${e.route}</span>`}
          ${e.detail && html`<div class="small">${e.detail}</div>`}</li>`)}</ol>
      </div>
    </div>
    <div class="card"><h2>Segments</h2><div class="table-wrap"><table>
      <thead><tr><th scope="col">Part</th><th scope="col">Route</th><th scope="col">TP-MR</th><th scope="col">Provider id</th><th scope="col">Status</th><th scope="col">TP-ST</th><th scope="col">Cost</th><th scope="col">Sent</th><th scope="col">Report</th></tr></thead>
      <tbody>${(m.segments_detail || []).map((s) => html`<tr>
        <td>${s.seq}</td><td>${text(s.route)}</td><td>${text(s.message_ref)}</td><td>${text(s.provider_id)}</td>
        <td><${Badge} status=${s.status} /></td><td>${text(s.tp_st)}</td><td>${s.cost === null ? '—' : money(s.cost)}</td>
        <td>${when(s.sent_at)}</td><td>${when(s.report_at)}</td></tr>`)}</tbody></table></div></div>
    ${m.metadata && html`<div class="card"><h2>Metadata</h2><pre>${JSON.stringify(m.metadata, null, 2)}</pre></div>`}
  </section>`;
}
