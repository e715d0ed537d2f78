// Conversations (seed 003): the list (GET /api/sms/conversations), one conversation's
// history as a chat thread (…/{id}/history), a reply by the route the person wrote to
// (…/reply) and close (…/close).
import { html, useEffect, useRef, useState } from '../vendor/preact-htm.module.js';
import { get, post, query } from '../api.js';
import { Badge, ErrorLine, Loading, ago, text, usePoll, when } from '../ui.js';
import { Counter } from './send.js';

export function Conversations() {
  const [status, setStatus] = useState('active');
  const [offset, setOffset] = useState(0);
  const limit = 25;
  const [page, error] = usePoll(() => get(`/api/sms/conversations${query({ status, limit, offset })}`), [status, offset], 2500);
  return html`<section>
    <div class="head-row"><h1>Conversations</h1>
      <label>Show <select value=${status} onChange=${(e) => { setOffset(0); setStatus(e.target.value); }}>
        <option value="active">active</option><option value="closed">closed</option><option value="all">all</option></select></label></div>
    <${ErrorLine} error=${error} />
    ${!page ? html`<${Loading} />` : html`
      <ul class="conversations" data-testid="conversations">${page.conversations.map((c) => html`<li class="card">
        <a href=${`#/conversations/${c.id}`} class="conv-link">
          <strong>${c.remote_number}</strong> <span class="muted">with ${c.local_number} via ${text(c.route)}</span></a>
        <div class="small"><${Badge} status=${c.status} /> ${c.message_count} messages (${c.inbound_count} in, ${c.outbound_count} out) · last ${ago(c.last_activity_at)}</div>
      </li>`)}</ul>
      ${page.conversations.length === 0 && html`<p class="muted">No conversation.</p>`}
      <div class="pager">
        <button disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - limit))}>Newer</button>
        <span class="muted">${page.total} in all</span>
        <button disabled=${offset + limit >= page.total} onClick=${() => setOffset(offset + limit)}>Older</button>
      </div>`}
  </section>`;
}

export function Thread({ id, can }) {
  const [data, error, reload] = usePoll(() => get(`/api/sms/conversations/${encodeURIComponent(id)}/history`), [id], 2000);
  const [reply, setReply] = useState('');
  const [info, setInfo] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [busy, setBusy] = useState(false);
  const end = useRef(null);
  const count = data ? data.messages.length : 0;
  useEffect(() => { if (end.current) end.current.scrollIntoView({ block: 'nearest' }); }, [count]);
  useEffect(() => {
    if (!reply) { setInfo(null); return undefined; }
    const t = setTimeout(() => post('/api/sms/count', { text: reply }).then(setInfo).catch(() => setInfo(null)), 300);
    return () => clearTimeout(t);
  }, [reply]);
  async function send(e) {
    e.preventDefault();
    setBusy(true);
    setActionError(null);
    try { await post(`/api/sms/conversations/${encodeURIComponent(id)}/reply`, { message: reply }); setReply(''); reload(); } catch (err) { setActionError(err); } finally { setBusy(false); }
  }
  async function close() {
    setActionError(null);
    try { await post(`/api/sms/conversations/${encodeURIComponent(id)}/close`); reload(); } catch (err) { setActionError(err); }
  }
  if (error && !data) return html`<section><h1>Conversation ${id}</h1><${ErrorLine} error=${error} /></section>`;
  if (!data) return html`<${Loading} />`;
  const c = data.conversation;
  return html`<section>
    <div class="head-row"><h1>${c.remote_number}</h1><${Badge} status=${c.status} />
      ${can('send') && c.status === 'active' && html`<button onClick=${close}>Close conversation</button>`}</div>
    <p class="muted">With ${c.local_number} via ${text(c.route)} · started ${when(c.created_at)}${c.purged ? ' · texts removed by retention' : ''}</p>
    <ol class="thread" data-testid="thread">${data.messages.map((m) => html`
      <li class=${`bubble ${m.direction}`} data-direction=${m.direction}>
        <p class="sms-body">${m.text}</p>
        <div class="small muted">${m.direction === 'outbound' ? html`<a href=${`#/messages/${m.id}`}>#${m.id}</a> ` : ''}<${Badge} status=${m.status} /> ${when(m.created_at)}</div>
      </li>`)}<li ref=${end} class="end"></li></ol>
    ${can('send') && html`<form class="card form reply" onSubmit=${send}>
      <label for="reply">Reply</label>
      <textarea id="reply" rows="3" required value=${reply} onInput=${(e) => setReply(e.target.value)}></textarea>
      <${Counter} info=${info} />
      <${ErrorLine} error=${actionError} />
      <button type="submit" class="primary" disabled=${busy}>Send reply</button>
    </form>`}
  </section>`;
}
