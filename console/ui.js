// Small pieces every page uses: polling while the page is visible, formatting, status
// badges, signal bars, error lines. Every API value is rendered as a text node.
import { html, useEffect, useRef, useState, useCallback } from './vendor/preact-htm.module.js';

/**
 * Calls `load` now and every `ms` while the tab is visible; returns
 * [data, error, reload]. `deps` restart it (a new filter, a new id).
 */
export function usePoll(load, deps, ms = 2500) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const generation = useRef(0);
  const run = useCallback(async () => {
    const mine = generation.current;
    try {
      const value = await load();
      if (mine === generation.current) { setData(value); setError(null); }
    } catch (e) {
      if (mine === generation.current) setError(e);
    }
  }, deps);
  useEffect(() => {
    generation.current += 1;
    setData(null);
    setError(null);
    run();
    const timer = setInterval(() => { if (!document.hidden) run(); }, ms);
    return () => { generation.current += 1; clearInterval(timer); };
  }, [run]);
  return [data, error, run];
}

/** `2026-12-05T10:00:00.120Z` → local `2026-12-05 11:00:00`. */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** How long ago, in words. */
export function ago(iso) {
  if (!iso) return '—';
  const secs = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(secs)) return '—';
  if (secs < 60) return `${Math.max(secs, 0)} s ago`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ago`;
  if (secs < 86400) return `${Math.floor(secs / 3600)} h ago`;
  return `${Math.floor(secs / 86400)} d ago`;
}

export function money(value, currency) {
  // Segment prices are fractions of a cent: up to 4 decimals, without trailing zeros.
  const n = Number(value || 0);
  const shown = Math.abs(n) >= 100 ? n.toFixed(2) : String(Number(n.toFixed(4)));
  return `${shown}${currency ? ' ' + currency : ''}`;
}

export function text(value) {
  return value === null || value === undefined || value === '' ? '—' : String(value);
}

const GOOD = ['delivered', 'ready', 'active', 'received', 'verified', 'succeeded', 'ok'];
const BAD = ['failed', 'undelivered', 'expired', 'down', 'sim_error', 'locked', 'dead'];
const WAIT = ['queued', 'scheduled', 'sending', 'sent', 'initialising', 'degraded', 'pending', 'incomplete'];

export function Badge({ status }) {
  const s = String(status || 'unknown');
  const tone = GOOD.includes(s) ? 'good' : BAD.includes(s) ? 'bad' : WAIT.includes(s) ? 'wait' : 'neutral';
  return html`<span class=${`badge badge-${tone}`} data-status=${s}>${s}</span>`;
}

/** Signal bars from RSSI (0–31; 99 unknown), as +CSQ reports it. */
export function Signal({ rssi }) {
  const known = typeof rssi === 'number' && rssi >= 0 && rssi <= 31;
  const bars = known ? (rssi >= 20 ? 4 : rssi >= 15 ? 3 : rssi >= 10 ? 2 : rssi >= 2 ? 1 : 0) : 0;
  const label = known ? `signal ${bars} of 4 (RSSI ${rssi})` : 'signal unknown';
  return html`<span class="signal" role="img" aria-label=${label} title=${label}>
    ${[1, 2, 3, 4].map((i) => html`<span class=${`bar bar-${i} ${i <= bars ? 'on' : ''}`}></span>`)}
  </span>`;
}

export function ErrorLine({ error }) {
  if (!error) return null;
  const field = error.field ? ` (${error.field})` : '';
  return html`<p class="error" role="alert">${String(error.message || error)}${field}</p>`;
}

export function Loading() {
  return html`<p class="muted">Loading…</p>`;
}

/** A definition list from [label, value] pairs; values are text. */
export function Facts({ rows }) {
  return html`<dl class="facts">${rows.map(([k, v]) => html`<div><dt>${k}</dt><dd>${text(v)}</dd></div>`)}</dl>`;
}
