// Webhook subscriptions (scope admin): each subscription (GET /api/webhooks) and its recent
// deliveries (GET /api/webhooks/{id}/deliveries). Secrets are never shown here.
import { html, useState } from '../vendor/preact-htm.module.js';
import { get } from '../api.js';
import { Badge, ErrorLine, Loading, text, usePoll, when } from '../ui.js';

function Deliveries({ id }) {
  const [data, error] = usePoll(() => get(`/api/webhooks/${encodeURIComponent(id)}/deliveries?limit=20`), [id], 3000);
  if (error) return html`<${ErrorLine} error=${error} />`;
  if (!data) return html`<${Loading} />`;
  if (data.deliveries.length === 0) return html`<p class="muted">No delivery yet.</p>`;
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last HTTP status</th><th scope="col">Last error</th><th scope="col">Created</th><th scope="col">Delivered / next try</th></tr></thead>
    <tbody>${data.deliveries.map((d) => html`<tr><td>${d.type}</td><td><${Badge} status=${d.status} /></td><td>${d.attempts}</td>
      <td>${text(d.last_status)}</td><td>${text(d.last_error)}</td><td>${when(d.created_at)}</td>
      <td>${when(d.delivered_at || d.next_attempt_at || d.gave_up_at)}</td></tr>`)}</tbody></table></div>
    <p class="small muted">${data.total} deliveries in all; the newest 20 shown.</p>`;
}

export function Webhooks({ can }) {
  const [open, setOpen] = useState(null);
  const [data, error] = usePoll(() => get('/api/webhooks'), [], 5000);
  if (!can('admin')) return html`<section><h1>Webhooks</h1><p>Webhook subscriptions need an admin key.</p></section>`;
  return html`<section><h1>Webhook subscriptions</h1>
    <${ErrorLine} error=${error} />
    ${!data ? html`<${Loading} />` : data.webhooks.length === 0 ? html`<p class="muted">No subscription. Create one with <code>POST /api/webhooks</code> (docs/webhooks.md).</p>`
      : data.webhooks.map((w) => html`<article class="card" key=${w.id}>
        <div class="head-row"><h2><code>${w.id}</code></h2><span class="muted">${w.pending_deliveries} pending</span></div>
        <p class="break">${w.url}</p>
        ${w.description && html`<p class="muted">${w.description}</p>`}
        <p class="small">Events: ${w.events.join(', ')} · since ${when(w.created_at)}</p>
        <button aria-expanded=${open === w.id} onClick=${() => setOpen(open === w.id ? null : w.id)}>${open === w.id ? 'Hide deliveries' : 'Show deliveries'}</button>
        ${open === w.id && html`<${Deliveries} id=${w.id} />`}
      </article>`)}
  </section>`;
}
