// e-Surat API client: a small wrapper around fetch.
//
// - JSON in and out, cookies sent with `credentials: 'same-origin'`.
// - Every non-GET request carries `X-CSRF-Token` (the token from login or
//   GET /api/me, kept in memory and in sessionStorage for reloads).
// - Error answers `{"error":{"code","message","field"}}` become ApiError.
// - A 401 calls the handler set with onUnauthorized() (the app shows the
//   login page without touching the hash route, so after a new login the
//   user returns to where they were).

const CSRF_STORAGE_KEY = 'esurat.csrf';

let csrfToken = readStoredToken();
let unauthorizedHandler = null;

function readStoredToken() {
  try {
    return sessionStorage.getItem(CSRF_STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Remember the CSRF token (null clears it). */
export function setCsrfToken(token) {
  csrfToken = token ? String(token) : null;
  try {
    if (csrfToken) sessionStorage.setItem(CSRF_STORAGE_KEY, csrfToken);
    else sessionStorage.removeItem(CSRF_STORAGE_KEY);
  } catch {
    /* storage unavailable (private mode): memory only */
  }
}

/** The current CSRF token, or null. */
export function getCsrfToken() {
  return csrfToken;
}

/** Set the function called (with the ApiError) when a request answers 401. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/**
 * An error answer from the API, or a network failure (status 0). `data` is
 * the whole parsed answer (some carry more than the error, e.g. the problems
 * of a CSV import), or null.
 */
export class ApiError extends Error {
  constructor(status, code, message, field = null, data = null) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.data = data;
  }
}

/** Messages in Indonesian for answers without a usable error body. */
const STATUS_MESSAGES = {
  0: 'Layanan tidak tersedia. Coba lagi sebentar.',
  400: 'Permintaan tidak valid.',
  401: 'Anda belum masuk atau sesi telah berakhir.',
  403: 'Anda tidak berwenang melakukan tindakan ini.',
  404: 'Data tidak ditemukan.',
  405: 'Tindakan tidak didukung.',
  409: 'Data telah berubah. Muat ulang lalu coba lagi.',
  413: 'Berkas terlalu besar.',
  415: 'Jenis berkas tidak didukung.',
  429: 'Terlalu banyak percobaan. Coba lagi nanti.',
  502: 'Layanan tidak tersedia. Coba lagi sebentar.',
  503: 'Layanan tidak tersedia. Coba lagi sebentar.',
  504: 'Layanan tidak tersedia. Coba lagi sebentar.',
};

/** An Indonesian message for an error (for display to the user). */
export function errorMessage(err) {
  if (err instanceof ApiError) {
    return STATUS_MESSAGES[err.status] || `Terjadi kesalahan (kode ${err.status}). Coba lagi.`;
  }
  return 'Terjadi kesalahan. Coba lagi.';
}

/** True when the error means the service could not be reached or is down. */
export function isUnavailable(err) {
  return err instanceof ApiError && (err.status === 0 || err.status === 502 || err.status === 503 || err.status === 504);
}

function buildUrl(path, query) {
  const url = new URL(path, window.location.origin);
  if (query) {
    for (const [key, value] of Object.entries(query)) {
      if (value === null || value === undefined || value === '') continue;
      if (Array.isArray(value)) value.forEach((v) => url.searchParams.append(key, String(v)));
      else url.searchParams.set(key, String(value));
    }
  }
  return url.pathname + url.search;
}

function isRawBody(body) {
  return body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body) || body instanceof FormData;
}

async function toApiError(res) {
  let code = `http_${res.status}`;
  let message = '';
  let field = null;
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      data = await res.json();
      if (data && typeof data.error === 'object' && data.error) {
        if (typeof data.error.code === 'string') code = data.error.code;
        if (typeof data.error.message === 'string') message = data.error.message;
        if (typeof data.error.field === 'string') field = data.error.field;
      }
    } catch {
      /* body is not JSON after all */
    }
  }
  return new ApiError(res.status, code, message || STATUS_MESSAGES[res.status] || `HTTP ${res.status}`, field, data);
}

/**
 * Call the API.
 *
 * @param {string} method   GET, POST, PATCH, PUT, DELETE
 * @param {string} path     e.g. '/api/letters'
 * @param {object} [opts]
 * @param {*}      [opts.body]     object → JSON; Blob/ArrayBuffer/FormData sent as is
 * @param {object} [opts.query]    query parameters (empty values left out)
 * @param {object} [opts.headers]  extra headers (e.g. Content-Type for a Blob)
 * @param {AbortSignal} [opts.signal]
 * @param {boolean} [opts.raw]     resolve with the Response (downloads)
 * @param {boolean} [opts.noAuthRedirect]  a 401 does not call the unauthorized handler
 * @returns {Promise<*>} parsed JSON, text, or null for 204
 * @throws {ApiError} on an error answer or network failure; AbortError when aborted
 */
export async function request(method, path, opts = {}) {
  const { body, query, headers = {}, signal, raw = false, noAuthRedirect = false } = opts;
  const init = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json', ...headers },
    signal,
  };
  if (method !== 'GET' && csrfToken) init.headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) {
    if (isRawBody(body)) {
      init.body = body;
      if (body instanceof Blob && body.type && !init.headers['Content-Type']) init.headers['Content-Type'] = body.type;
    } else {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
  }

  let res;
  try {
    res = await fetch(buildUrl(path, query), init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', STATUS_MESSAGES[0]);
  }

  if (res.ok) {
    if (raw) return res;
    if (res.status === 204 || res.status === 205) return null;
    const type = res.headers.get('Content-Type') || '';
    if (type.includes('json')) {
      const text = await res.text();
      return text ? JSON.parse(text) : null;
    }
    return res.text();
  }

  const err = await toApiError(res);
  if (res.status === 401) {
    setCsrfToken(null);
    if (!noAuthRedirect && unauthorizedHandler) unauthorizedHandler(err);
  }
  throw err;
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, body, opts = {}) => request('POST', path, { ...opts, body });
export const patch = (path, body, opts = {}) => request('PATCH', path, { ...opts, body });
export const put = (path, body, opts = {}) => request('PUT', path, { ...opts, body });
export const del = (path, opts) => request('DELETE', path, opts);

// ---- authentication -------------------------------------------------------

/** POST /api/auth/login → user. Stores the CSRF token. */
export async function login(username, password) {
  setCsrfToken(null);
  const data = await request('POST', '/api/auth/login', { body: { username, password }, noAuthRedirect: true });
  setCsrfToken(data && data.csrf_token);
  return data.user;
}

/** POST /api/auth/logout (204). Forgets the CSRF token. */
export async function logout() {
  try {
    await request('POST', '/api/auth/logout', { noAuthRedirect: true });
  } catch (err) {
    // Already logged out: nothing left to end.
    if (!(err instanceof ApiError && err.status === 401)) throw err;
  }
  setCsrfToken(null);
}

/** GET /api/me → user, or null when not logged in. Stores the CSRF token. */
export async function me() {
  try {
    const data = await request('GET', '/api/me', { noAuthRedirect: true });
    setCsrfToken(data && data.csrf_token);
    return data;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

// ---- uploads --------------------------------------------------------------

/**
 * Send a file as the raw request body (XMLHttpRequest, for upload progress).
 *
 * @param {string} path          e.g. '/api/letters/5/scans'
 * @param {Blob}   file
 * @param {object} [opts]
 * @param {string} [opts.contentType]  default: file.type
 * @param {object} [opts.headers]      extra headers (e.g. X-File-Name)
 * @param {function(number, number)} [opts.onProgress]  (sent bytes, total bytes)
 * @param {AbortSignal} [opts.signal]
 * @returns {Promise<*>} the parsed JSON answer
 * @throws {ApiError} as request() does; AbortError when aborted
 */
export function upload(path, file, opts = {}) {
  const { contentType = file.type, headers = {}, onProgress, signal } = opts;
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(new DOMException('Aborted', 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', buildUrl(path));
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    if (contentType) xhr.setRequestHeader('Content-Type', contentType);
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) {
      xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    }
    const onAbort = () => xhr.abort();
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    const done = () => signal && signal.removeEventListener('abort', onAbort);

    xhr.addEventListener('load', () => {
      done();
      const type = xhr.getResponseHeader('Content-Type') || '';
      let data = null;
      if (type.includes('json') && xhr.responseText) {
        try {
          data = JSON.parse(xhr.responseText);
        } catch {
          data = null;
        }
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onProgress) onProgress(file.size, file.size);
        resolve(data);
        return;
      }
      const e = data && typeof data.error === 'object' && data.error ? data.error : {};
      const err = new ApiError(
        xhr.status,
        typeof e.code === 'string' ? e.code : `http_${xhr.status}`,
        typeof e.message === 'string' && e.message ? e.message : STATUS_MESSAGES[xhr.status] || `HTTP ${xhr.status}`,
        typeof e.field === 'string' ? e.field : null,
      );
      if (xhr.status === 401) {
        setCsrfToken(null);
        if (unauthorizedHandler) unauthorizedHandler(err);
      }
      reject(err);
    });
    xhr.addEventListener('error', () => {
      done();
      reject(new ApiError(0, 'network_error', STATUS_MESSAGES[0]));
    });
    xhr.addEventListener('abort', () => {
      done();
      reject(new DOMException('Aborted', 'AbortError'));
    });
    xhr.send(file);
  });
}
