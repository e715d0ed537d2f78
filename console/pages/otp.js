// OTP: the verification success rate of a window and the newest sessions
// (GET /api/otp/sessions — never a code, numbers masked).
import { html, useState } from '../vendor/preact-htm.module.js';
import { get, query } from '../api.js';
import { Badge, ErrorLine, Loading, text, usePoll, when } from '../ui.js';

export function OtpPage() {
  const [hours, setHours] = useState('24');
  const [data, error] = usePoll(() => get(`/api/otp/sessions${query({ hours, limit: 50 })}`), [hours], 3000);
  const s = data && data.summary;
  return html`<section>
    <div class="head-row"><h1>One-time passwords</h1>
      <label>Window <select value=${hours} onChange=${(e) => setHours(e.target.value)}>
        <option value="1">last hour</option><option value="24">last 24 hours</option><option value="168">last 7 days</option><option value="720">last 30 days</option></select></label></div>
    <${ErrorLine} error=${error} />
    ${!data ? html`<${Loading} />` : html`
      <div class="stats">
        <div class="stat card"><div class="stat-label">Success rate</div><div class="stat-value" data-stat="otp_success_rate">${s.success_rate}%</div></div>
        <div class="stat card"><div class="stat-label">Sessions</div><div class="stat-value" data-stat="otp_total">${s.total}</div></div>
        <div class="stat card"><div class="stat-label">Verified</div><div class="stat-value">${s.verified}</div></div>
        ${Object.entries(s.by_status).filter(([k]) => k !== 'verified').map(([k, n]) => html`<div class="stat card"><div class="stat-label">${k}</div><div class="stat-value">${n}</div></div>`)}
      </div>
      <div class="card"><h2>Recent sessions</h2><div class="table-wrap"><table data-testid="otp-sessions">
        <thead><tr><th scope="col">Session</th><th scope="col">Number</th><th scope="col">Status</th><th scope="col">Attempts left</th><th scope="col">Resends</th><th scope="col">Message</th><th scope="col">Created</th><th scope="col">Verified</th></tr></thead>
        <tbody>${data.sessions.map((o) => html`<tr><td><code>${o.session_id}</code></td><td>${o.phone_masked}</td><td><${Badge} status=${o.status} /></td>
          <td>${o.attempts_left}</td><td>${o.resends}</td><td>${o.message_id ? html`<a href=${`#/messages/${o.message_id}`}>#${o.message_id}</a>` : '—'}</td>
          <td>${when(o.created_at)}</td><td>${when(o.verified_at)}</td></tr>`)}</tbody></table></div>
        ${data.sessions.length === 0 && html`<p class="muted">No OTP sent yet.</p>`}</div>`}
  </section>`;
}
