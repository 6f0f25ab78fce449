// Browser test of the e-Surat portal: login, shell, logout.
//
// Drives Debian's Chromium through playwright-core (no browser download).
//
//   ESURAT_TEST_URL       base URL of the stack (default http://127.0.0.1:8080)
//   ESURAT_TEST_USER      a user that exists            (required)
//   ESURAT_TEST_PASSWORD  that user's password          (required)
//   ESURAT_TEST_NAME      that user's display name      (default: the name the login answer gives)
//   ESURAT_TEST_OUTPUT    directory for screenshots     (default tests/browser/output)
//   ESURAT_CHROMIUM       browser binary                (default /usr/bin/chromium)
//
// Run: node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPortal } from './portal.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.ESURAT_TEST_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const USER = process.env.ESURAT_TEST_USER || '';
const PASSWORD = process.env.ESURAT_TEST_PASSWORD || '';
let expectedName = process.env.ESURAT_TEST_NAME || '';
const OUTPUT = path.resolve(process.env.ESURAT_TEST_OUTPUT || path.join(HERE, 'output'));

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

const ROLE_LABELS = {
  admin: 'Administrator',
  front_desk: 'Bagian Umum',
  official: 'Pejabat',
  archivist: 'Arsiparis',
  records: 'Unit Kearsipan',
};

const MSG_INVALID = 'Nama pengguna atau kata sandi salah.';

let browser;
let context;
let page;

// Everything that must stay empty for test (d): consoleErrors, pageErrors,
// cspViolations, badResponses.
let problems;
let documentCsp = null;

// Filled by test (b), used by (c).
let loginAnswer = null;

function apiResponse(pathname, method) {
  return page.waitForResponse((r) => new URL(r.url()).pathname === pathname && r.request().method() === method);
}

async function shot(name) {
  await page.screenshot({ path: path.join(OUTPUT, name) });
}

async function noHorizontalScroll(label) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  assert.ok(scrollWidth <= PHONE.width, `${label}: horizontal scrollbar at ${PHONE.width}px (scrollWidth ${scrollWidth}, clientWidth ${clientWidth})`);
}

async function expectLoginPage() {
  await page.locator('#login').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#shell').isVisible(), false, '#shell must be hidden on the login page');
  await assertVisibleText(page.getByRole('heading', { level: 1, name: 'e-Surat' }), 'heading "e-Surat"');
  await assertVisibleText(page.getByLabel('Nama pengguna', { exact: true }), 'field "Nama pengguna"');
  await assertVisibleText(page.getByLabel('Kata sandi', { exact: true }), 'field "Kata sandi"');
  await assertVisibleText(page.getByRole('button', { name: 'Masuk', exact: true }), 'button "Masuk"');
  assert.equal(await page.locator('#login-form button[type="submit"]').textContent(), 'Masuk');
  // The first field has the focus.
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'username');
}

async function assertVisibleText(locator, what) {
  assert.equal(await locator.count(), 1, `exactly one ${what}`);
  assert.ok(await locator.isVisible(), `${what} is visible`);
}

async function fillLogin(username, password) {
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
}

before(async () => {
  assert.ok(USER && PASSWORD, 'set ESURAT_TEST_USER and ESURAT_TEST_PASSWORD');
  await fs.mkdir(OUTPUT, { recursive: true });

  ({ browser, context, page, problems } = await openPortal({
    base: BASE,
    viewport: DESKTOP,
    // The API answers 401 by contract (GET /api/me while logged out, a wrong
    // password); those are not errors of the page.
    expectedApiError: (status) => status === 401,
  }));
});

after(async () => {
  if (browser) await browser.close();
});

test('(a) a wrong password shows the Indonesian error and stays on the login page', async () => {
  const me = apiResponse('/api/me', 'GET');
  const doc = await page.goto(`${BASE}/`);
  assert.ok(doc && doc.ok(), `GET / answered ${doc && doc.status()}`);
  documentCsp = doc.headers()['content-security-policy'] || null;
  assert.equal((await me).status(), 401, 'GET /api/me without a session answers 401');

  await expectLoginPage();
  await shot('login.png');

  await fillLogin(USER, `${PASSWORD}-salah`);
  const answer = apiResponse('/api/auth/login', 'POST');
  await page.getByRole('button', { name: 'Masuk', exact: true }).click();
  const res = await answer;
  assert.equal(res.status(), 401, 'a wrong password answers 401');
  const body = await res.json();
  assert.equal(body?.error?.code, 'invalid_credentials', 'error code of a wrong password');

  const error = page.locator('#login-error');
  assert.equal(await error.getAttribute('role'), 'alert');
  await page.waitForFunction(
    (msg) => document.getElementById('login-error')?.textContent.trim() === msg,
    MSG_INVALID,
  );
  assert.ok(await error.isVisible(), '#login-error is visible');
  await shot('login-error.png');

  assert.equal(await page.locator('#shell').isVisible(), false, 'still not signed in');
  assert.ok(await page.locator('#login').isVisible(), 'still on the login page');
  assert.equal(await page.locator('#username').inputValue(), USER, 'the user name stays filled in');
  assert.equal(await page.locator('#password').inputValue(), '', 'the password is cleared');
});

test('(b) the right password shows the shell with the name and roles', async () => {
  await fillLogin(USER, PASSWORD);
  const answer = apiResponse('/api/auth/login', 'POST');
  await page.getByRole('button', { name: 'Masuk', exact: true }).click();
  const res = await answer;
  assert.equal(res.status(), 200, 'login answers 200');
  loginAnswer = await res.json();
  assert.ok(loginAnswer.user && typeof loginAnswer.csrf_token === 'string' && loginAnswer.csrf_token, 'login answer has user and csrf_token');
  assert.ok(Array.isArray(loginAnswer.user.roles), 'user.roles is a list');
  if (!expectedName) expectedName = loginAnswer.user.name;
  assert.equal(loginAnswer.user.name, expectedName, 'login answer carries ESURAT_TEST_NAME');

  await page.locator('#shell').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#login').isVisible(), false, 'login page hidden after login');
  assert.equal((await page.locator('#user-name').textContent()).trim(), expectedName);
  await assertVisibleText(page.locator('#user-name'), '#user-name');

  const roles = (await page.locator('#user-roles').textContent()).trim();
  for (const role of loginAnswer.user.roles) {
    const label = ROLE_LABELS[role] || role;
    assert.ok(roles.includes(label), `#user-roles "${roles}" shows ${label} (${role})`);
  }
  for (const code of Object.keys(ROLE_LABELS)) {
    assert.ok(!roles.includes(code), `#user-roles shows no role code (${code})`);
  }
  for (const position of loginAnswer.user.positions || []) {
    if (!position || !position.title) continue;
    assert.ok(
      (await page.locator('#user-positions').textContent()).includes(position.title),
      `position "${position.title}" shown`,
    );
  }

  await assertVisibleText(page.getByRole('button', { name: 'Keluar', exact: true }), 'button "Keluar"');
  await assertVisibleText(page.getByRole('navigation'), 'navigation');
  const welcome = page.locator('#page h1');
  assert.equal((await welcome.textContent()).trim(), `Selamat datang, ${expectedName}`);
  assert.match(await page.title(), /e-Surat/);

  await page.waitForLoadState('networkidle');
  await shot('shell-desktop.png');

  await page.setViewportSize(PHONE);
  await noHorizontalScroll('shell');
  assert.ok(await page.locator('#logout').isVisible(), '"Keluar" reachable on a phone');
  assert.ok(await page.locator('#user-name').isVisible(), 'user name shown on a phone');
  await shot('shell-phone.png');
  await page.setViewportSize(DESKTOP);
});

test('(c) "Keluar" returns to the login page and the session is gone', async () => {
  assert.ok(loginAnswer, 'needs a login from (b)');
  const logoutReq = page.waitForRequest((r) => new URL(r.url()).pathname === '/api/auth/logout');
  const logoutRes = apiResponse('/api/auth/logout', 'POST');
  await page.getByRole('button', { name: 'Keluar', exact: true }).click();
  const req = await logoutReq;
  assert.equal(req.method(), 'POST');
  assert.equal(req.headers()['x-csrf-token'], loginAnswer.csrf_token, 'logout sends the X-CSRF-Token from the login answer');
  assert.equal((await logoutRes).status(), 204, 'logout answers 204');

  await expectLoginPage();
  assert.equal((await page.locator('#user-name').textContent()).trim(), '', 'no name of the previous user remains');
  assert.equal(await page.locator('#login-error').textContent(), '', 'no error after logging out');

  const me = apiResponse('/api/me', 'GET');
  await page.reload();
  assert.equal((await me).status(), 401, 'after logout GET /api/me answers 401');
  await expectLoginPage();

  // And directly, with the same cookies.
  const direct = await context.request.get(`${BASE}/api/me`, { failOnStatusCode: false });
  assert.equal(direct.status(), 401, 'the session is gone server-side');

  await page.setViewportSize(PHONE);
  await noHorizontalScroll('login page');
  await shot('login-phone.png');
  await page.setViewportSize(DESKTOP);
});

test('(e) after login the user returns to the page they asked for', async () => {
  await page.goto('about:blank');
  await page.goto(`${BASE}/#/tidak-ada`);
  await expectLoginPage();
  await fillLogin(USER, PASSWORD);
  const answer = apiResponse('/api/auth/login', 'POST');
  await page.getByRole('button', { name: 'Masuk', exact: true }).click();
  assert.equal((await answer).status(), 200);
  await page.locator('#shell').waitFor({ state: 'visible' });
  assert.equal(new URL(page.url()).hash, '#/tidak-ada', 'the hash route is kept');
  assert.equal((await page.locator('#page h1').textContent()).trim(), 'Halaman tidak ditemukan');

  await page.getByRole('navigation').getByRole('link', { name: 'Beranda' }).click();
  await page.waitForFunction(() => document.querySelector('#page h1')?.textContent.startsWith('Selamat datang'));
  assert.equal(await page.getByRole('link', { name: 'Beranda' }).getAttribute('aria-current'), 'page');

  const logoutRes = apiResponse('/api/auth/logout', 'POST');
  await page.getByRole('button', { name: 'Keluar', exact: true }).click();
  assert.equal((await logoutRes).status(), 204);
  await expectLoginPage();
});

test('(d) no console errors, page errors, failed loads or CSP violations', async () => {
  await page.waitForTimeout(200); // let late reports arrive
  assert.ok(documentCsp, 'the page is served with a Content-Security-Policy header');
  assert.match(documentCsp, /script-src 'self'/, 'the CSP limits scripts to the site');
  assert.deepEqual(problems.cspViolations, [], 'CSP violations');
  assert.deepEqual(problems.pageErrors, [], 'uncaught page errors');
  assert.deepEqual(problems.consoleErrors, [], 'console errors');
  assert.deepEqual(problems.badResponses, [], 'failed or erroneous loads');
});
