// Browser test of the search page (#/cari): a letter registered through the
// API is found by a word of its summary; the snippet shows the word in
// <mark> and any other markup of the letter as text (the server escapes,
// the page never parses HTML); facets narrow; the result opens the letter.
//
//   ESURAT_TEST_URL, ESURAT_TEST_PASSWORD, ESURAT_TEST_OUTPUT, ESURAT_CHROMIUM
//   as in registry.test.mjs.
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
const USER = 'umum';
const PASSWORD = process.env.ESURAT_TEST_PASSWORD || '';
const OUTPUT = path.resolve(process.env.ESURAT_TEST_OUTPUT || path.join(HERE, 'output'));
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.toLowerCase();
const WORD = `arsipuji${RUN}`;
const XSS = '<img src=x onerror=window.__xss=1>';

let browser;
let page;
let problems;
let letterId;

/** The API as a plain client (no browser): sign in, register one letter. */
async function registerThroughApi() {
  const login = await fetch(`${BASE}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: USER, password: PASSWORD }),
  });
  assert.equal(login.status, 200, 'API login');
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const { csrf_token: csrf } = await login.json();
  const res = await fetch(`${BASE}/api/letters`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-CSRF-Token': csrf },
    body: JSON.stringify({
      direction: 'in',
      letter_number: `005/${RUN}/Uji/2025`,
      sender: 'Dinas Pendidikan',
      recipient: 'Walikota Pekanbaru',
      subject: `Permohonan data arsip ${RUN}`,
      summary: `Catatan <b>tebal</b> ${XSS} & kata ${WORD} dalam ringkasan.`,
      classification: '000',
    }),
  });
  assert.equal(res.status, 201, 'registration');
  letterId = (await res.json()).id;
  // Searchable within a second; allow a few under sanitizers.
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`${BASE}/api/search?q=${WORD}`, { headers: { Cookie: cookie } });
    if (r.status === 200 && (await r.json()).total === 1) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.fail('the letter never became searchable');
}

before(async () => {
  assert.ok(PASSWORD, 'set ESURAT_TEST_PASSWORD');
  await fs.mkdir(OUTPUT, { recursive: true });
  await registerThroughApi();
  ({ browser, page, problems } = await openPortal({
    base: BASE,
    viewport: { width: 1280, height: 800 },
    expectedApiError: (status, p) => status === 401 && p === '/api/me',
  }));
});

after(async () => {
  if (browser) await browser.close();
});

test('(a) the search page finds the letter, marks the word and shows markup as text', async () => {
  await page.goto(`${BASE}/#/cari`);
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.locator('#username').fill(USER);
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Masuk', exact: true }).click();
  await page.locator('#shell').waitFor({ state: 'visible' });
  assert.equal(await page.getByRole('navigation').getByRole('link', { name: 'Cari Arsip', exact: true }).count(), 1);
  await page.locator('#search-q').fill(WORD);
  await page.getByRole('button', { name: 'Cari', exact: true }).click();
  const result = page.locator('#search-results .search-result').first();
  await result.waitFor({ state: 'visible' });
  assert.match(await page.locator('#search-status').textContent(), /^1 surat ditemukan/);
  const snippet = result.locator('.search-snippet');
  assert.equal(await snippet.locator('mark').first().textContent(), WORD);
  const text = await snippet.textContent();
  assert.ok(text.includes('<b>tebal</b>'), `markup shown as text: ${text}`);
  assert.ok(text.includes(XSS), 'the img tag shown as text');
  assert.ok(text.includes('& kata'), 'the ampersand unescaped once');
  assert.equal(await snippet.locator('b, img').count(), 0, 'no element but <mark> in the snippet');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no script ran');
  // Facets: the year of registration and the classification.
  assert.equal(await page.locator('#facet-classification a[href*="classification=0"]').count(), 1);
  await page.screenshot({ path: path.join(OUTPUT, 'search-results.png') });
  // The result opens the letter.
  await result.locator('a.letter-link').click();
  await page.waitForFunction((id) => window.location.hash.startsWith(`#/surat/${id}`), letterId);
  await page.locator('#letter-details').waitFor({ state: 'visible' });
});

test('(b) hostile input in the box gives a page, not an error', async () => {
  for (const q of ['"', '((((', 'NEAR(', '*', 'AND OR']) {
    await page.goto(`${BASE}/#/cari?q=${encodeURIComponent(q)}`);
    await page.waitForFunction(() => {
      const s = document.querySelector('#search-status');
      return s && s.textContent && !s.textContent.startsWith('Mencari');
    });
    const status = await page.locator('#search-status').textContent();
    assert.ok(!/gagal/i.test(status), `${q}: ${status}`);
  }
});

test('(c) no console errors, page errors, failed loads or CSP violations', async () => {
  await page.waitForTimeout(200);
  assert.deepEqual(problems.cspViolations, [], 'CSP violations');
  assert.deepEqual(problems.pageErrors, [], 'uncaught page errors');
  assert.deepEqual(problems.consoleErrors, [], 'console errors');
  assert.deepEqual(problems.badResponses, [], 'failed or erroneous loads');
});
