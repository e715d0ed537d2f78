// Send a message or a template (POST /api/sms/send). The segment count and encoding are
// the server's own calculator (POST /api/sms/count, the one `smsgate pdu count` uses),
// asked again 300 ms after the user stops typing; a template is previewed the same way.
import { html, useEffect, useRef, useState } from '../vendor/preact-htm.module.js';
import { get, post } from '../api.js';
import { ErrorLine } from '../ui.js';

/** Calls `f` `ms` after the last change of `deps`. */
function useDebounced(f, deps, ms = 300) {
  const timer = useRef(null);
  useEffect(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(f, ms);
    return () => clearTimeout(timer.current);
  }, deps);
}

export function Counter({ info }) {
  if (!info) return html`<p class="counter muted" data-testid="counter">—</p>`;
  const left = info.units_remaining;
  const unit = info.encoding === 'gsm7' ? 'septets' : info.encoding === 'ucs2' ? 'UTF-16 units' : 'octets';
  return html`<p class=${`counter ${info.too_long ? 'error' : ''}`} data-testid="counter" aria-live="polite">
    <span data-testid="count-encoding">${info.encoding}</span> ·
    <span data-testid="count-segments">${info.segments}</span> ${info.segments === 1 ? 'segment' : 'segments'} ·
    ${info.characters} characters · ${left} ${unit} left in this segment
    ${info.too_long ? ` · more than the ${info.max_segments} segments allowed` : ''}</p>`;
}

export function SendPage({ can }) {
  const [to, setTo] = useState('');
  const [mode, setMode] = useState('text');
  const [message, setMessage] = useState('');
  const [messageType, setMessageType] = useState('text');
  const [smsType, setSmsType] = useState('transactional');
  const [templates, setTemplates] = useState([]);
  const [templateId, setTemplateId] = useState('');
  const [vars, setVars] = useState({});
  const [info, setInfo] = useState(null);
  const [preview, setPreview] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [accepted, setAccepted] = useState(null);

  useEffect(() => { get('/api/templates?is_active=true&limit=500').then((t) => setTemplates(t.templates)).catch(() => {}); }, []);
  const template = templates.find((t) => t.id === templateId);

  useDebounced(() => {
    if (mode !== 'text') return;
    if (!message) { setInfo(null); return; }
    post('/api/sms/count', { text: message, message_type: messageType }).then(setInfo).catch(() => setInfo(null));
  }, [message, messageType, mode]);

  useDebounced(() => {
    if (mode !== 'template' || !template || !can('send')) { setPreview(null); return; }
    const missing = template.variables.filter((v) => !vars[v]);
    if (missing.length) { setPreview({ missing }); return; }
    post(`/api/templates/${encodeURIComponent(template.id)}/preview`, { variables: vars, message_type: messageType })
      .then((p) => setPreview({ ...p, units_remaining: null }))
      .catch((e) => setPreview({ error: e }));
  }, [mode, templateId, JSON.stringify(vars), messageType]);

  if (!can('send')) return html`<section><h1>Send</h1><p>This key cannot send messages.</p></section>`;

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setAccepted(null);
    const recipients = to.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
    const body = { to: recipients, message_type: messageType, sms_type: smsType };
    if (mode === 'text') body.message = message;
    else { body.template_id = templateId; body.template_variables = vars; }
    try {
      const answer = await post('/api/sms/send', body);
      const first = answer.messages[0];
      if (!first) setError(new Error('Every recipient was refused.'));
      else if (can('read')) location.hash = `#/messages/${first.id}`;
      // A send-only key cannot read the message's page: say what was accepted.
      else setAccepted(answer.messages);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return html`<section><h1>Send a message</h1>
    <form class="card form" onSubmit=${submit} data-testid="send-form">
      <label for="to">To (one or more numbers, E.164)</label>
      <input id="to" name="to" required value=${to} onInput=${(e) => setTo(e.target.value)} placeholder="+4915112345678" />
      <fieldset class="inline"><legend>Content</legend>
        <label class="check"><input type="radio" name="mode" checked=${mode === 'text'} onChange=${() => setMode('text')} /> Text</label>
        <label class="check"><input type="radio" name="mode" checked=${mode === 'template'} onChange=${() => setMode('template')} /> Template</label>
      </fieldset>
      ${mode === 'text' ? html`
        <label for="message">Message</label>
        <textarea id="message" name="message" rows="5" value=${message} onInput=${(e) => setMessage(e.target.value)}></textarea>
        <${Counter} info=${info} />` : html`
        <label for="template">Template</label>
        <select id="template" value=${templateId} onChange=${(e) => { setTemplateId(e.target.value); setVars({}); }}>
          <option value="">choose…</option>
          ${templates.map((t) => html`<option value=${t.id}>${t.name} (${t.id})</option>`)}
        </select>
        ${template && template.variables.map((v) => html`
          <label for=${`var-${v}`}>${v}</label>
          <input id=${`var-${v}`} value=${vars[v] || ''} onInput=${(e) => setVars({ ...vars, [v]: e.target.value })} />`)}
        ${preview && preview.text !== undefined && html`<div class="preview"><p class="sms-body">${preview.text}</p>
          <p class="counter" data-testid="counter">${preview.encoding} · ${preview.segments} ${preview.segments === 1 ? 'segment' : 'segments'} · ${preview.characters} characters</p></div>`}
        ${preview && preview.missing && html`<p class="muted">Fill in: ${preview.missing.join(', ')}</p>`}
        ${preview && preview.error && html`<${ErrorLine} error=${preview.error} />`}`}
      <div class="row">
        <label>Encoding<select value=${messageType} onChange=${(e) => setMessageType(e.target.value)}>
          <option value="text">auto (GSM 7-bit if possible)</option><option value="unicode">UCS-2</option><option value="flash">flash (class 0)</option></select></label>
        <label>Type<select value=${smsType} onChange=${(e) => setSmsType(e.target.value)}>
          ${['transactional', 'promotional', 'otp', 'alert'].map((t) => html`<option value=${t}>${t}</option>`)}</select></label>
      </div>
      <${ErrorLine} error=${error} />
      ${accepted && html`<p role="status">Accepted: ${accepted.map((m) => `#${m.id} to ${m.to} (${m.status})`).join(', ')}</p>`}
      <button type="submit" class="primary" id="send" disabled=${busy}>Send</button>
    </form></section>`;
}
