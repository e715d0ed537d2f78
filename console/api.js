// The JSON API as the console calls it: the user's key (sessionStorage, or localStorage
// when "remember me" was ticked) goes in the Authorization header — never in a URL. A 401
// forgets the key and sends the user to the login page.

const KEY = 'smsgate.key';

export function storedKey() {
  return sessionStorage.getItem(KEY) || localStorage.getItem(KEY) || '';
}

export function storeKey(key, remember) {
  forgetKey();
  if (remember) localStorage.setItem(KEY, key);
  else sessionStorage.setItem(KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

/** An API error: HTTP status, the error code and message, the field it names. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || null;
    this.field = e.field || null;
  }
}

let onUnauthorized = () => {};
/** What to do when the API answers 401 (the shell sends the user to the login page). */
export function setUnauthorizedHandler(f) { onUnauthorized = f; }

/** Calls the API; resolves to the JSON body (null for 204), rejects with ApiError. */
export async function api(method, path, body, key = storedKey()) {
  const headers = { 'Accept': 'application/json' };
  if (key) headers['Authorization'] = `Bearer ${key}`;
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, json);
  }
  return json;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
