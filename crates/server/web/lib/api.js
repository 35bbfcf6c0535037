// The API client: JSON over fetch with the session cookie, the CSRF token
// echoed on every request that changes something, errors as exceptions
// carrying the HTTP status.

export const session = { me: null, csrf: sessionStorage.getItem('lantian.csrf') };

export async function api(path, opts = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
  const r = await fetch(path, { credentials: 'same-origin', ...opts, headers });
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = { error: text }; }
  if (!r.ok) { const e = new Error((body && body.error) || r.statusText); e.status = r.status; throw e; }
  return body;
}

/** Who is logged in (asked once, then remembered), or null. */
export async function whoami() {
  if (session.me) return session.me;
  try { session.me = await api('/api/v1/me'); } catch (_) { session.me = null; }
  return session.me;
}

export function loggedIn(me) {
  session.me = me; session.csrf = me.csrf; sessionStorage.setItem('lantian.csrf', me.csrf);
}

export function loggedOut() {
  session.me = null; session.csrf = null; sessionStorage.removeItem('lantian.csrf');
}
