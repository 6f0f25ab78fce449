// e-Surat portal: login, the signed-in shell and a tiny hash router.
//
// Pages are entries in the `routes` table below: a path pattern (`/surat/:id`),
// a title, an optional nav label and roles, and a render function
//
//   render(view, ctx)   view: an empty <div> to fill
//                       ctx:  { params, query, user, signal, navigate }
//
// that may be async. A render whose route is left before it finishes is
// aborted (ctx.signal) and its view is detached, so late results are harmless.
// Text from the API goes into the page as text only (see dom.js).

import * as api from './api.js';
import { h, clear, messagePage, replace, setText, byId } from './dom.js';
import { positionLabel, roleLabel } from './format.js';
import { renderHome } from './pages/home.js';
import { renderReceiptPage } from './pages/receipt.js';
import { renderRegister } from './pages/register.js';
import { renderLetters } from './pages/letters.js';
import { renderLetter } from './pages/letter.js';
import { renderTrack } from './pages/track.js';
import { renderInbox } from './pages/inbox.js';
import { renderDisposition } from './pages/disposition.js';
import { renderSheet } from './pages/sheet.js';
import { renderInstructions } from './pages/instructions.js';
import { inboxBadge, isHolder, startInboxPolling, stopInboxPolling } from './dispositions.js';
import { renderExport } from './pages/export.js';
import { renderRetention } from './pages/retention.js';
import { renderSearch } from './pages/search.js';
import { adminRoutes } from './pages/admin.js';

const APP_NAME = 'e-Surat';

const LOGIN_MESSAGES = {
  invalid: 'Nama pengguna atau kata sandi salah.',
  tooMany: 'Terlalu banyak percobaan. Coba lagi nanti.',
  unavailable: 'Layanan tidak tersedia. Coba lagi sebentar.',
  missing: 'Isi nama pengguna dan kata sandi.',
  expired: 'Sesi Anda telah berakhir. Silakan masuk kembali.',
};

// ---- routes ---------------------------------------------------------------

/**
 * The route table. Later pages add an entry here (usually importing their
 * render function from ./pages/<name>.js).
 *   path   pattern; `:name` captures one segment into ctx.params.name
 *   title  document title and default heading
 *   nav    label in the main menu (leave out for pages not in the menu)
 *   roles  optional list; the user needs one of them to see the page
 *   holder true: for users who hold a position (or officials)
 *   public true: also shown without login (in the public frame, ctx.user null)
 * The first match wins: fixed paths go before `:name` patterns.
 */
export const routes = [
  { path: '/', title: 'Beranda', nav: 'Beranda', render: renderHome },
  { path: '/surat/baru', title: 'Registrasi Surat', nav: 'Registrasi Surat', roles: ['front_desk'], render: renderRegister },
  { path: '/surat', title: 'Daftar Surat', nav: 'Daftar Surat', render: renderLetters },
  { path: '/surat/:id', title: 'Surat', render: renderLetter },
  { path: '/surat/:id/tanda-terima', title: 'Tanda Terima', roles: ['front_desk', 'admin'], render: renderReceiptPage },
  { path: '/kotak-masuk', title: 'Kotak Masuk', nav: 'Kotak Masuk', holder: true, render: renderInbox },
  { path: '/disposisi/:id', title: 'Disposisi', render: renderDisposition },
  { path: '/lembar/:id', title: 'Lembar Disposisi', render: renderSheet },
  // The administration: #/admin and its pages (web/js/pages/admin.js).
  ...adminRoutes,
  { path: '/admin/instruksi', title: 'Instruksi Disposisi', nav: 'Instruksi Disposisi', roles: ['admin'], render: renderInstructions },
  { path: '/arsip/ekspor', title: 'Ekspor Arsip', nav: 'Ekspor Arsip', roles: ['archivist', 'records', 'admin'], render: renderExport },
  { path: '/arsip/retensi', title: 'Retensi Arsip', nav: 'Retensi Arsip', roles: ['records', 'admin'], render: renderRetention },
  { path: '/cari', title: 'Cari Arsip', nav: 'Cari Arsip', render: renderSearch },
  { path: '/lacak', title: 'Lacak Surat', nav: 'Lacak Surat', public: true, render: renderTrack },
];

const compiledCache = new WeakMap();

function compiled(route) {
  let c = compiledCache.get(route);
  if (!c) {
    c = compileRoute(route);
    compiledCache.set(route, c);
  }
  return c;
}

function compileRoute(route) {
  const keys = [];
  const pattern = route.path
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        keys.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, keys, regex: new RegExp(`^${pattern}/?$`) };
}

function matchRoute(path) {
  for (const { route, keys, regex } of routes.map(compiled)) {
    const m = regex.exec(path);
    if (!m) continue;
    const params = {};
    keys.forEach((key, i) => {
      try {
        params[key] = decodeURIComponent(m[i + 1]);
      } catch {
        params[key] = m[i + 1];
      }
    });
    return { route, params };
  }
  return null;
}

/** The current hash route: `#/surat/5?tab=scan` → { path: '/surat/5', query }. */
function parseHash() {
  const hash = window.location.hash;
  if (!hash.startsWith('#/')) return { path: '/', query: new URLSearchParams() };
  const raw = hash.slice(1);
  const q = raw.indexOf('?');
  return {
    path: q < 0 ? raw : raw.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)),
  };
}

/** Go to a route, e.g. navigate('/surat/5'). */
export function navigate(path) {
  const target = `#${path.startsWith('/') ? path : `/${path}`}`;
  if (window.location.hash === target) renderRoute();
  else window.location.hash = target;
}

function allowed(route, user) {
  if (!user) return Boolean(route.public);
  if (route.holder && !isHolder(user)) return false;
  return !route.roles || route.roles.some((r) => user.roles.includes(r));
}

/** The route of the current hash, when it may be shown without login. */
function publicMatch() {
  const match = matchRoute(parseHash().path);
  return match && match.route.public ? match : null;
}

// ---- state ----------------------------------------------------------------

let currentUser = null;
let renderController = null;

/** The signed-in user, or null. */
export function getUser() {
  return currentUser;
}

function normalizeUser(raw) {
  const u = raw || {};
  return {
    id: u.id,
    username: typeof u.username === 'string' ? u.username : '',
    name: typeof u.name === 'string' && u.name ? u.name : (u.username || ''),
    nip: typeof u.nip === 'string' ? u.nip : '',
    roles: Array.isArray(u.roles) ? u.roles.map(String) : [],
    positions: Array.isArray(u.positions) ? u.positions.filter((p) => p && typeof p === 'object') : [],
  };
}

// ---- views ----------------------------------------------------------------

function showOnly(id) {
  for (const view of ['loading', 'login', 'shell', 'public']) byId(view).hidden = view !== id;
}

function setLoginError(text) {
  setText(byId('login-error'), text);
}

function setLoginNotice(text) {
  setText(byId('login-notice'), text);
}

/**
 * Show the login page. The hash route is left as it is, so after logging in
 * the user returns to the page they were on.
 */
function showLogin({ error = '', notice = '', username = '' } = {}) {
  if (renderController) renderController.abort();
  renderController = null;
  currentUser = null;
  stopInboxPolling();
  // Nothing of the previous user stays in the document.
  setText(byId('user-name'), '');
  setText(byId('user-roles'), '');
  clear(byId('user-positions'));
  clear(byId('nav-list'));
  clear(byId('page'));
  setText(byId('notice'), '');
  clear(byId('public-page'));
  byId('logout').disabled = false;

  setMenu(false);

  setLoginError(error);
  setLoginNotice(notice);
  byId('password').value = '';
  // After an expired session the user name is kept: only the password is asked.
  if (username) byId('username').value = username;
  document.title = `Masuk — ${APP_NAME}`;
  showOnly('login');
  byId(username ? 'password' : 'username').focus();
}

function enterShell(rawUser) {
  currentUser = normalizeUser(rawUser);
  setLoginError('');
  setLoginNotice('');
  byId('password').value = '';

  setText(byId('user-name'), currentUser.name);
  setText(byId('user-roles'), currentUser.roles.map(roleLabel).join(', '));
  const positions = byId('user-positions');
  replace(positions, currentUser.positions.map((p) => h('li', {}, positionLabel(p))));
  positions.hidden = currentUser.positions.length === 0;

  buildNav();
  if (isHolder(currentUser)) startInboxPolling();
  showOnly('shell');
  renderRoute({ focus: true });
}

function buildNav() {
  const list = byId('nav-list');
  replace(
    list,
    routes
      .filter((r) => r.nav && allowed(r, currentUser))
      .map((r) => h(
        'li',
        {},
        h(
          'a',
          { href: `#${r.path}`, class: 'sidenav-link', dataset: { path: r.path } },
          r.nav,
          r.path === '/kotak-masuk' ? [' ', inboxBadge()] : null,
        ),
      )),
  );
}

/** Opens or closes the menu (on a phone it folds away behind "Menu"). */
function setMenu(open) {
  byId('shell').classList.toggle('nav-open', open);
  byId('nav-toggle').setAttribute('aria-expanded', open ? 'true' : 'false');
}

function onMenuToggle() {
  const open = byId('nav-toggle').getAttribute('aria-expanded') !== 'true';
  setMenu(open);
  if (open) {
    const link = byId('nav-list').querySelector('a[aria-current="page"]') || byId('nav-list').querySelector('a');
    if (link) link.focus();
  }
}

function onMenuKey(event) {
  if (event.key !== 'Escape' || byId('nav-toggle').getAttribute('aria-expanded') !== 'true') return;
  setMenu(false);
  byId('nav-toggle').focus();
}

function markNav(route) {
  for (const link of byId('nav-list').querySelectorAll('a')) {
    if (route && link.dataset.path === route.path) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** Show a message above the page (role="alert"). Empty text hides it. */
export function showNotice(text) {
  setText(byId('notice'), text);
}

async function renderRoute({ focus = false } = {}) {
  const { path, query } = parseHash();
  const match = matchRoute(path);
  if (!currentUser) {
    // Signed out: public pages in the public frame, the login page for the rest.
    if (!(match && match.route.public)) {
      if (byId('login').hidden) showLogin();
      return;
    }
  }
  if (renderController) renderController.abort();
  const controller = new AbortController();
  renderController = controller;

  const page = byId(currentUser ? 'page' : 'public-page');
  const view = h('div', { class: 'view' });
  replace(page, view);
  if (currentUser) {
    showNotice('');
    setMenu(false);
    markNav(match && match.route);
  } else {
    setText(byId('public-notice'), '');
    showOnly('public');
  }

  try {
    if (!match) {
      document.title = `Halaman tidak ditemukan — ${APP_NAME}`;
      messagePage(view, 'Halaman tidak ditemukan', 'Alamat yang Anda buka tidak ada. Pilih halaman dari menu.', ['#/', 'Ke beranda']);
    } else if (!allowed(match.route, currentUser)) {
      document.title = `Tidak berwenang — ${APP_NAME}`;
      messagePage(view, 'Tidak berwenang', 'Anda tidak berwenang membuka halaman ini.', ['#/', 'Ke beranda']);
    } else {
      document.title = `${match.route.title} — ${APP_NAME}`;
      await match.route.render(view, {
        params: match.params,
        query,
        user: currentUser,
        signal: controller.signal,
        navigate,
      });
    }
  } catch (err) {
    if (controller.signal.aborted || (err && err.name === 'AbortError')) return;
    if (err instanceof api.ApiError && err.status === 401) return; // login page already shown
    console.warn('e-Surat: page failed', err);
    if (currentUser) showNotice(api.errorMessage(err));
    else setText(byId('public-notice'), api.errorMessage(err));
  }
  if (controller.signal.aborted || !focus) return;
  const heading = view.querySelector('h1');
  if (heading) {
    if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

// ---- pages ----------------------------------------------------------------

// ---- events ---------------------------------------------------------------

function loginErrorText(err) {
  if (err instanceof api.ApiError) {
    if (err.status === 401) return LOGIN_MESSAGES.invalid;
    if (err.status === 429) return LOGIN_MESSAGES.tooMany;
    if (api.isUnavailable(err)) return LOGIN_MESSAGES.unavailable;
    if (err.status === 400) return LOGIN_MESSAGES.missing;
    return api.errorMessage(err);
  }
  return LOGIN_MESSAGES.unavailable;
}

async function onLoginSubmit(event) {
  event.preventDefault();
  const form = byId('login-form');
  if (form.getAttribute('aria-busy') === 'true') return;
  const username = byId('username');
  const password = byId('password');
  const button = byId('login-submit');

  setLoginNotice('');
  setLoginError('');
  username.removeAttribute('aria-invalid');
  password.removeAttribute('aria-invalid');
  const name = username.value.trim();
  if (!name || !password.value) {
    const empty = !name ? username : password;
    empty.setAttribute('aria-invalid', 'true');
    setLoginError(LOGIN_MESSAGES.missing);
    empty.focus();
    return;
  }

  form.setAttribute('aria-busy', 'true');
  button.disabled = true;
  try {
    const user = await api.login(name, password.value);
    enterShell(user);
  } catch (err) {
    if (!(err instanceof api.ApiError)) console.warn('e-Surat: login failed', err);
    setLoginError(loginErrorText(err));
    password.value = '';
    if (err instanceof api.ApiError && err.status === 401) password.setAttribute('aria-invalid', 'true');
    password.focus();
  } finally {
    form.removeAttribute('aria-busy');
    button.disabled = false;
  }
}

async function onLogout() {
  const button = byId('logout');
  button.disabled = true;
  showNotice('');
  try {
    await api.logout();
  } catch (err) {
    button.disabled = false;
    showNotice(`Gagal keluar. ${api.errorMessage(err)}`);
    return;
  }
  // A new login starts on the home page.
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/`);
  showLogin();
}

function onSkipLink(event) {
  event.preventDefault(); // the hash belongs to the router
  let target = byId('login-main');
  if (currentUser) target = byId('main');
  else if (!byId('public').hidden) target = byId('public-main');
  target.focus();
}

async function boot() {
  byId('login-form').addEventListener('submit', onLoginSubmit);
  byId('logout').addEventListener('click', onLogout);
  document.querySelector('.skip-link').addEventListener('click', onSkipLink);
  window.addEventListener('hashchange', () => renderRoute({ focus: true }));
  byId('nav-toggle').addEventListener('click', onMenuToggle);
  byId('nav').addEventListener('keydown', onMenuKey);
  // A session that ended during work (idle, expired, ended elsewhere): the
  // login page, with the hash route left as it is, so that after the new
  // login renderRoute() shows the page the user was on.
  api.onUnauthorized(() => {
    if (currentUser) showLogin({ notice: LOGIN_MESSAGES.expired, username: currentUser.username });
  });

  let user = null;
  try {
    user = await api.me();
  } catch (err) {
    if (publicMatch()) renderRoute({ focus: true });
    else showLogin({ error: loginErrorText(err) });
    return;
  }
  if (user) enterShell(user);
  else if (publicMatch()) renderRoute({ focus: true });
  else showLogin();
}

boot();
