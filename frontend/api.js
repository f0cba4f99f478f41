// Talking to the services through nginx: /api/portfolio/, /api/trader/, /api/analyzer/.
// Money arrives as exact JSON numbers; JSON.parse would round them through double, so numbers
// are kept as their source text (JSON.parse source access) and shown as the API wrote them.

export const PORTFOLIO = '/api/portfolio';
export const TRADER = '/api/trader';
export const ANALYZER = '/api/analyzer';

const TOKEN_KEY = 'rt_api_token';

/** JSON.parse that keeps every non-integer number (and any integer beyond 2^53) as its text. */
export function parseExact(text) {
  return JSON.parse(text, function (key, value, ctx) {
    if (typeof value !== 'number') return value;
    const src = ctx && typeof ctx.source === 'string' ? ctx.source : String(value);
    if (/[.eE]/.test(src) || !Number.isSafeInteger(value)) return src;
    return value;
  });
}

export class ApiError extends Error {
  constructor(status, error, detail) {
    super(detail || error || `HTTP ${status}`);
    this.status = status;
    this.error = error;
    this.detail = detail;
  }
}

async function request(method, url, body, auth) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth) {
    const token = getToken(true);
    if (!token) throw new ApiError(401, 'no_token', 'an API token is needed for this action');
    headers.Authorization = `Bearer ${token}`;
  }
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', `cannot reach ${url}`);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = parseExact(text); } catch { data = null; }
  }
  if (!res.ok) {
    if (res.status === 401 && auth) localStorage.removeItem(TOKEN_KEY);
    const err = data && typeof data === 'object' ? data : {};
    throw new ApiError(res.status, err.error || `HTTP ${res.status}`, err.detail || err.reason || err.error || (res.status >= 502 ? 'service unavailable' : text.slice(0, 200)));
  }
  return data;
}

export const get = (url) => request('GET', url);
export const post = (url, body) => request('POST', url, body, true);
export const put = (url, body) => request('PUT', url, body, true);

/** The API token: kept in this browser; asked for once when a write needs it. */
export function getToken(ask) {
  let t = localStorage.getItem(TOKEN_KEY);
  if (!t && ask) {
    t = (window.prompt('API token (printed by ./rt up; kept in this browser):') || '').trim();
    if (t) localStorage.setItem(TOKEN_KEY, t);
  }
  return t || '';
}

export function setToken(t) {
  if (t) localStorage.setItem(TOKEN_KEY, t); else localStorage.removeItem(TOKEN_KEY);
}
