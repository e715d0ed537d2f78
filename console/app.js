// The console's shell: who the user is (GET /api/auth/whoami with the stored key, or no
// key at all on an open API), the login page, the navigation and the hash router
// (`#/messages/42`), so deep links and the back button work without a server route.
import { html, render, useEffect, useRef, useState } from './vendor/preact-htm.module.js';
import { ApiError, api, forgetKey, setUnauthorizedHandler, storeKey, storedKey } from './api.js';
import { ErrorLine } from './ui.js';
import { Overview } from './pages/overview.js';
import { Messages, MessagePage } from './pages/messages.js';
import { SendPage } from './pages/send.js';
import { Conversations, Thread } from './pages/conversations.js';
import { Modems } from './pages/modems.js';
import { Templates, TemplatePage } from './pages/templates.js';
import { OtpPage } from './pages/otp.js';
import { Webhooks } from './pages/webhooks.js';

/** Whether the session's key has `scope` (admin implies all; whoami lists them expanded). */
export function can(session, scope) {
  return !!session && session.scopes.includes(scope);
}

function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  return hash.split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
}

function useRoute() {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

const NAV = [
  ['Overview', '#/', 'read'],
  ['Messages', '#/messages', 'read'],
  ['Send', '#/send', 'send'],
  ['Conversations', '#/conversations', 'read'],
  ['Modems', '#/modems', 'read'],
  ['Templates', '#/templates', 'read'],
  ['OTP', '#/otp', 'read'],
  ['Webhooks', '#/webhooks', 'admin'],
];

function Nav({ session, route, onLogout }) {
  const [open, setOpen] = useState(false);
  const here = '#/' + (route[0] || '');
  useEffect(() => setOpen(false), [route.join('/')]);
  return html`<header class="top">
    <a class="brand" href="#/">smsgate</a>
    <button class="menu" aria-expanded=${open} aria-controls="nav" onClick=${() => setOpen(!open)}>Menu</button>
    <nav id="nav" class=${open ? 'open' : ''} aria-label="Pages">
      ${NAV.filter(([, , scope]) => can(session, scope)).map(([label, href]) => html`
        <a href=${href} aria-current=${(href === here || (href === '#/' && here === '#/')) ? 'page' : undefined}>${label}</a>`)}
    </nav>
    <div class="who">
      <span class="muted" data-testid="whoami">${session.open ? 'open API (loopback)' : session.name}</span>
      ${!session.open && html`<button class="link" onClick=${onLogout}>Log out</button>`}
    </div>
  </header>`;
}

function Login({ onLogin, reason }) {
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const who = await api('GET', '/api/auth/whoami', undefined, key.trim());
      storeKey(key.trim(), remember);
      onLogin(who);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? new Error('This key is not known to the gateway.') : err);
    } finally {
      setBusy(false);
    }
  }
  return html`<main class="login">
    <form onSubmit=${submit} class="card" aria-labelledby="login-title">
      <h1 id="login-title">smsgate console</h1>
      ${reason && html`<p class="muted">${reason}</p>`}
      <label for="api-key">API key</label>
      <input id="api-key" name="api-key" type="password" autocomplete="off" required value=${key}
        onInput=${(e) => setKey(e.target.value)} />
      <label class="check"><input id="remember" type="checkbox" checked=${remember}
        onChange=${(e) => setRemember(e.target.checked)} /> Remember me on this computer</label>
      <p class="muted small">Without it the key is kept for this tab only.</p>
      <${ErrorLine} error=${error} />
      <button type="submit" class="primary" disabled=${busy}>Log in</button>
    </form>
  </main>`;
}

function Page({ route, session }) {
  const [section, id] = route;
  const props = { session, can: (scope) => can(session, scope) };
  switch (section) {
    case undefined:
      // A send-only key cannot read the dashboard: its home is the send form.
      if (!props.can('read') && props.can('send')) return html`<${SendPage} ...${props} />`;
      return html`<${Overview} ...${props} />`;
    case 'messages': return id ? html`<${MessagePage} id=${id} ...${props} />` : html`<${Messages} ...${props} />`;
    case 'send': return html`<${SendPage} ...${props} />`;
    case 'conversations': return id ? html`<${Thread} id=${id} ...${props} />` : html`<${Conversations} ...${props} />`;
    case 'modems': return html`<${Modems} ...${props} />`;
    case 'templates': return id ? html`<${TemplatePage} id=${id} ...${props} />` : html`<${Templates} ...${props} />`;
    case 'otp': return html`<${OtpPage} ...${props} />`;
    case 'webhooks': return html`<${Webhooks} ...${props} />`;
    default: return html`<section><h1>Not found</h1><p>No page <code>${route.join('/')}</code>. <a href="#/">Overview</a></p></section>`;
  }
}

function focusMain() {
  const main = document.getElementById('main');
  if (main) main.focus();
}

function App() {
  const route = useRoute();
  // A new page: keyboard and screen-reader users start at its content, not at the top.
  const path = route.join('/');
  const first = useRef(true);
  useEffect(() => {
    if (first.current) { first.current = false; return; }
    focusMain();
  }, [path]);
  const [session, setSession] = useState(undefined);
  const [reason, setReason] = useState(null);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      forgetKey();
      setReason('Your key was refused; log in again.');
      setSession(null);
    });
    // An open API answers without a key; otherwise the stored key, if any.
    api('GET', '/api/auth/whoami', undefined, storedKey())
      .then(setSession)
      .catch(() => setSession(null));
  }, []);
  if (session === undefined) return html`<p class="muted pad">Loading…</p>`;
  if (session === null) return html`<${Login} reason=${reason} onLogin=${(who) => { setReason(null); setSession(who); }} />`;
  const logout = () => { forgetKey(); setSession(null); location.hash = '#/'; };
  // The skip link is a button: a `#main` link would be taken for a route.
  return html`<button class="skip" onClick=${focusMain}>Skip to content</button>
    <${Nav} session=${session} route=${route} onLogout=${logout} />
    <main id="main" class="page" tabindex="-1"><${Page} route=${route} session=${session} /></main>`;
}

render(html`<${App} />`, document.getElementById('app'));
