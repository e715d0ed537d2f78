// Templates: the list (GET /api/templates), a create form, and one template's page with an
// editor (PUT), a preview with variables (POST …/preview) and its versions (GET …/versions).
import { html, useEffect, useState } from '../vendor/preact-htm.module.js';
import { del, get, post, put, query } from '../api.js';
import { Badge, ErrorLine, Loading, text, usePoll, when } from '../ui.js';

const TYPES = ['transactional', 'promotional', 'otp'];

function TemplateForm({ initial, onSave, submitLabel, creating }) {
  const [form, setForm] = useState({ id: '', name: '', content: '', category: '', sms_type: 'transactional', is_active: true, ...initial });
  const [error, setError] = useState(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });
  async function submit(e) {
    e.preventDefault();
    setError(null);
    const body = { name: form.name, content: form.content, sms_type: form.sms_type, is_active: form.is_active, category: form.category.trim() || null };
    if (creating) {
      if (form.id.trim()) body.id = form.id.trim();
      if (body.category === null) delete body.category;
    }
    try { await onSave(body); } catch (err) { setError(err); }
  }
  const p = creating ? 'new' : 'edit';
  return html`<form class="card form" onSubmit=${submit} data-testid=${`template-form-${p}`}>
    ${creating && html`<label for=${`${p}-id`}>Id (optional)</label><input id=${`${p}-id`} value=${form.id} onInput=${set('id')} placeholder="welcome" />`}
    <label for=${`${p}-name`}>Name</label><input id=${`${p}-name`} required value=${form.name} onInput=${set('name')} />
    <label for=${`${p}-content`}>Content (placeholders as {{name}})</label>
    <textarea id=${`${p}-content`} rows="4" required value=${form.content} onInput=${set('content')}></textarea>
    <div class="row">
      <label>Category<input value=${form.category || ''} onInput=${set('category')} /></label>
      <label>Type<select value=${form.sms_type} onChange=${set('sms_type')}>${TYPES.map((t) => html`<option value=${t}>${t}</option>`)}</select></label>
      <label class="check"><input type="checkbox" checked=${form.is_active} onChange=${set('is_active')} /> Active</label>
    </div>
    <${ErrorLine} error=${error} />
    <button type="submit" class="primary">${submitLabel}</button>
  </form>`;
}

export function Templates({ can }) {
  const [creating, setCreating] = useState(false);
  const [page, error, reload] = usePoll(() => get(`/api/templates${query({ limit: 100 })}`), [], 5000);
  async function create(body) {
    const t = await post('/api/templates', body);
    setCreating(false);
    reload();
    location.hash = `#/templates/${encodeURIComponent(t.id)}`;
  }
  return html`<section>
    <div class="head-row"><h1>Templates</h1>${can('send') && !creating && html`<button class="primary" onClick=${() => setCreating(true)}>New template</button>`}</div>
    ${creating && html`<${TemplateForm} creating submitLabel="Create template" onSave=${create} />`}
    <${ErrorLine} error=${error} />
    ${!page ? html`<${Loading} />` : html`<div class="table-wrap"><table data-testid="templates">
      <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Category</th><th scope="col">Type</th><th scope="col">Version</th><th scope="col">Used</th><th scope="col">Active</th></tr></thead>
      <tbody>${page.templates.map((t) => html`<tr>
        <td><a href=${`#/templates/${encodeURIComponent(t.id)}`}>${t.name}</a></td><td><code>${t.id}</code></td><td>${text(t.category)}</td>
        <td>${t.sms_type}</td><td>${t.version}</td><td>${t.usage_count}</td><td>${t.is_active ? 'yes' : 'no'}</td></tr>`)}</tbody></table></div>
      ${page.templates.length === 0 && html`<p class="muted">No template yet.</p>`}`}
  </section>`;
}

function Preview({ t }) {
  const [vars, setVars] = useState({});
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const timer = setTimeout(() => {
      if (t.variables.some((v) => !vars[v])) { setResult(null); setError(null); return; }
      post(`/api/templates/${encodeURIComponent(t.id)}/preview`, { variables: vars })
        .then((r) => { setResult(r); setError(null); }).catch(setError);
    }, 300);
    return () => clearTimeout(timer);
  }, [JSON.stringify(vars), t.version]);
  return html`<div class="card"><h2>Preview</h2>
    ${t.variables.map((v) => html`<label for=${`pv-${v}`}>${v}</label>
      <input id=${`pv-${v}`} value=${vars[v] || ''} onInput=${(e) => setVars({ ...vars, [v]: e.target.value })} />`)}
    ${result ? html`<p class="sms-body" data-testid="preview-text">${result.text}</p>
      <p class="counter">${result.encoding} · ${result.segments} ${result.segments === 1 ? 'segment' : 'segments'} · ${result.characters} characters</p>`
      : html`<p class="muted">Fill in every variable to see the text.</p>`}
    <${ErrorLine} error=${error} /></div>`;
}

export function TemplatePage({ id, can }) {
  const [t, error, reload] = usePoll(() => get(`/api/templates/${encodeURIComponent(id)}`), [id], 10000);
  const [versions, , reloadVersions] = usePoll(() => get(`/api/templates/${encodeURIComponent(id)}/versions`), [id], 10000);
  const [editing, setEditing] = useState(false);
  const [actionError, setActionError] = useState(null);
  if (error && !t) return html`<section><h1>Template ${id}</h1><${ErrorLine} error=${error} /></section>`;
  if (!t) return html`<${Loading} />`;
  async function save(body) {
    await put(`/api/templates/${encodeURIComponent(id)}`, body);
    setEditing(false);
    reload();
    reloadVersions();
  }
  async function remove() {
    if (!confirm(`Delete template ${t.id} and its history?`)) return;
    try { await del(`/api/templates/${encodeURIComponent(id)}`); location.hash = '#/templates'; } catch (e) { setActionError(e); }
  }
  return html`<section>
    <div class="head-row"><h1>${t.name}</h1><${Badge} status=${t.is_active ? 'active' : 'inactive'} />
      ${can('send') && !editing && html`<button onClick=${() => setEditing(true)}>Edit</button><button class="danger" onClick=${remove}>Delete</button>`}</div>
    <p class="muted"><code>${t.id}</code> · version ${t.version} · ${t.sms_type} · ${text(t.category)} · used ${t.usage_count} times, last ${when(t.last_used_at)}</p>
    <${ErrorLine} error=${actionError} />
    ${editing ? html`<${TemplateForm} initial=${{ ...t, category: t.category || '' }} submitLabel="Save new version" onSave=${save} />`
      : html`<div class="card"><h2>Content</h2><p class="sms-body" data-testid="template-content">${t.content}</p>
        <p class="small muted">Variables: ${t.variables.length ? t.variables.join(', ') : 'none'}</p></div>`}
    ${can('send') && html`<${Preview} t=${t} />`}
    <div class="card"><h2>Earlier versions</h2>
      ${!versions ? html`<${Loading} />` : versions.versions.length === 0 ? html`<p class="muted">None: this is the first version.</p>`
        : html`<ol class="versions">${versions.versions.map((v) => html`<li><strong>v${v.version}</strong> ${v.name}
          <span class="muted small">${when(v.created_at)} – ${when(v.replaced_at)}</span><p class="sms-body">${v.content}</p></li>`)}</ol>`}
    </div>
  </section>`;
}
