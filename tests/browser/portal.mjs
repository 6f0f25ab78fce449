// Shared setup of the browser tests: Debian's Chromium through playwright-core
// (no browser download), one context and page on the portal, and the
// listeners that collect everything a clean run must not produce.
//
//   ESURAT_CHROMIUM   browser binary (default /usr/bin/chromium)
//
// Not a test file itself (node --test only picks up *.test.mjs here).

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHROMIUM = process.env.ESURAT_CHROMIUM || '/usr/bin/chromium';

const LAUNCH_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether url (absolute, or relative to base) is an API call. */
export function isApi(base, url) {
  return new URL(url, base).pathname.startsWith('/api/');
}

/**
 * Launch Chromium and open a page for the portal at base.
 *
 * expectedApiError(status, pathname) → true for an HTTP error answer of the
 * API that the test expects by contract (status is a number); Chromium's
 * console error for it is then not counted. Everything else logged as an
 * error is.
 *
 * Returns { browser, context, page, problems } where problems holds the lists
 * a clean run leaves empty: consoleErrors, pageErrors, cspViolations,
 * badResponses.
 */
export async function openPortal({ base, viewport, expectedApiError = () => false, executablePath = CHROMIUM }) {
  const problems = {
    consoleErrors: [],
    pageErrors: [],
    cspViolations: [],
    badResponses: [],
  };

  const browser = await chromium.launch({ executablePath, args: LAUNCH_ARGS });
  try {
    const context = await browser.newContext({ viewport, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
    context.setDefaultTimeout(15_000);

    // CSP violations are reported from inside the page (init scripts and
    // bindings are not subject to the page's CSP).
    await context.exposeBinding('__esuratCspViolation', (_source, v) => problems.cspViolations.push(v));
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__esuratCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
      });
    });

    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      const loc = msg.location();
      // Chromium logs every HTTP error answer as "Failed to load resource".
      // Those the API gives by contract (per test file) are not errors of
      // the page. Anything else is.
      const m = /^Failed to load resource: the server responded with a status of (\d+)\b/.exec(text);
      if (m && loc.url && isApi(base, loc.url)) {
        if (expectedApiError(Number(m[1]), new URL(loc.url, base).pathname)) return;
      }
      problems.consoleErrors.push(`${text} (${loc.url || '?'}:${loc.lineNumber ?? '?'})`);
    });
    page.on('pageerror', (err) => problems.pageErrors.push(String(err && err.stack ? err.stack : err)));
    page.on('response', (r) => {
      const url = r.url();
      if (!url.startsWith(base)) return;
      if (!isApi(base, url) && r.status() >= 400) problems.badResponses.push(`${r.status()} ${url}`);
      if (isApi(base, url) && r.status() >= 500) problems.badResponses.push(`${r.status()} ${r.request().method()} ${url}`);
    });
    page.on('requestfailed', (req) => {
      if (!req.url().startsWith(base)) return;
      const why = req.failure()?.errorText;
      // A page left before its reads answered aborts them (app.js aborts
      // the render's signal): that is the page working, not failing.
      if (why === 'net::ERR_ABORTED' && req.method() === 'GET' && isApi(base, req.url()) && !new URL(req.url()).pathname.startsWith('/api/export')) return;
      problems.badResponses.push(`failed ${req.method()} ${req.url()}: ${why}`);
    });

    return { browser, context, page, problems };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

// ---- helpers shared by the role and XSS tests -------------------------------

export const BASE = (process.env.ESURAT_TEST_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const PASSWORD = process.env.ESURAT_TEST_PASSWORD || '';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };
const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUTPUT = path.resolve(process.env.ESURAT_TEST_OUTPUT || path.join(HERE, 'output'));
export const SCREENSHOTS = path.join(OUTPUT, 'screenshots');

/** A fresh run tag: letter numbers are unique per sender. */
export function runTag() {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.toUpperCase();
}

/**
 * Screenshot of the whole page as screenshots/<role>-<page>-<size>.png
 * (size: desktop or phone, from the viewport); the path goes to the log.
 */
export async function shot(page, role, name) {
  const size = page.viewportSize().width <= PHONE.width ? 'phone' : 'desktop';
  const file = path.join(SCREENSHOTS, `${role}-${name}-${size}.png`);
  await fs.mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  return file;
}

/** At 360 px the page has no horizontal scrollbar. */
export async function fitsPhone(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `${what}: horizontal scrollbar at ${PHONE.width}px (scrollWidth ${width})`);
}

/** Waits for the page's <h1> to read text (exactly, or matching a RegExp). */
export async function heading(page, text) {
  const source = text instanceof RegExp ? text.source : null;
  await page.waitForFunction(([t, re]) => {
    const h1 = document.querySelector('.view h1');
    if (!h1 || h1.offsetParent === null) return false;
    const got = h1.textContent.trim();
    return re ? new RegExp(re).test(got) : got === t;
  }, [source ? null : text, source]);
}

/** Opens #route; on the login page, signs in as user and waits for the shell. */
export async function signIn(page, user, route = '/') {
  await page.goto(`${BASE}/#${route}`);
  await page.waitForFunction(() => !document.getElementById('login').hidden || !document.getElementById('shell').hidden);
  if (await page.locator('#shell').isVisible()) {
    // Still signed in (a test before stopped half way): out first.
    await page.locator('#logout').click();
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.goto(`${BASE}/#${route}`);
  }
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(PASSWORD);
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/login' && r.request().method() === 'POST');
  await page.locator('#login-submit').click();
  assert.equal((await answer).status(), 200, `login as ${user}`);
  await page.locator('#shell').waitFor({ state: 'visible' });
}

/** Goes to a hash route in the signed-in shell. */
export async function go(page, route) {
  await page.evaluate((r) => { window.location.hash = `#${r}`; }, route);
}

/**
 * The API as a plain client, signed in as user: { get, post, patch, raw }
 * (each returns { status, body }).
 */
export async function apiAs(user) {
  const login = await fetch(`${BASE}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: PASSWORD }),
  });
  assert.equal(login.status, 200, `API login as ${user}`);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const { csrf_token: csrf } = await login.json();
  const call = async (method, p, body, headers = {}) => {
    const init = { method, headers: { Cookie: cookie, ...headers } };
    if (method !== 'GET') init.headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) {
      if (Buffer.isBuffer(body)) init.body = body;
      else {
        init.body = JSON.stringify(body);
        init.headers['Content-Type'] = 'application/json';
      }
    }
    const res = await fetch(`${BASE}${p}`, init);
    const text = await res.text();
    let parsed = null;
    try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
    return { status: res.status, body: parsed };
  };
  return {
    get: (p) => call('GET', p),
    post: (p, body, headers) => call('POST', p, body, headers),
    patch: (p, body) => call('PATCH', p, body),
  };
}

/**
 * SQL on the stack's database (scripts/stack psql, as the integration
 * harness does; needs ESURAT_DATA of the stack). vars become psql variables
 * (:'name' in the SQL quotes them as literals). Returns the output, rows
 * unaligned.
 */
export function sql(query, vars = {}) {
  assert.ok(process.env.ESURAT_DATA, 'ESURAT_DATA (the stack\'s data directory) is needed for SQL');
  const args = [path.join(HERE, '..', '..', 'scripts', 'stack'), 'psql', '-At', '-f', '-'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  const p = spawnSync('bash', args, { input: query, encoding: 'utf8', env: process.env });
  assert.equal(p.status, 0, `psql failed: ${p.stderr}`);
  return p.stdout.trim();
}

/** The session cookie of a browser context, and the hash the database keeps of it. */
export async function sessionHash(context) {
  const cookie = (await context.cookies()).find((c) => c.name === 'esurat_session');
  assert.ok(cookie, 'the browser holds a session cookie');
  return crypto.createHash('sha256').update(cookie.value).digest('hex');
}

/**
 * What a user needs to read the page: every form control has a label (its
 * accessible name), and every visible text has a contrast of at least 4.5:1
 * against what is behind it (3:1 for large text), as WCAG 2.1 asks.
 * Returns the problems found (an empty list when none).
 */
export async function auditPage(page) {
  return page.evaluate(() => {
    const problems = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden' || el.closest('[hidden]')) continue;
      const labelled = (el.labels && [...el.labels].some((l) => l.textContent.trim()))
        || (el.getAttribute('aria-label') || '').trim()
        || (el.getAttribute('aria-labelledby') || '').split(/\s+/).some((id) => id && document.getElementById(id)?.textContent.trim());
      if (!labelled) problems.push(`no label: ${el.tagName.toLowerCase()}#${el.id}[name=${el.name}]`);
    }
    const parse = (c) => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return null;
      const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    };
    const over = (top, under) => ({
      r: top.r * top.a + under.r * (1 - top.a),
      g: top.g * top.a + under.g * (1 - top.a),
      b: top.b * top.a + under.b * (1 - top.a),
      a: 1,
    });
    const lum = ({ r, g, b }) => {
      const f = (v) => { const x = v / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    // The colour behind el: its and its ancestors' backgrounds, top down;
    // null when an image or gradient is behind (not judged here).
    const behind = (el) => {
      const layers = [];
      for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
        const cs = getComputedStyle(n);
        if (cs.backgroundImage !== 'none') return null;
        const c = parse(cs.backgroundColor);
        if (c && c.a > 0) {
          layers.push(c);
          if (c.a >= 1) break;
        }
      }
      let out = { r: 255, g: 255, b: 255, a: 1 };
      for (const c of layers.reverse()) out = over(c, out);
      return out;
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const el = t.parentElement;
      if (!t.textContent.trim() || !el || seen.has(el)) continue;
      seen.add(el);
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      if (r.width <= 1 || r.height <= 1 || cs.visibility !== 'visible' || el.closest('[hidden], .visually-hidden, option, [disabled]')) continue;
      if (Number(cs.opacity) === 0) continue;
      const bg = behind(el);
      const fg = parse(cs.color);
      if (!bg || !fg) continue;
      const L1 = lum(over(fg, bg));
      const L2 = lum(bg);
      const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
      const size = parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5) - 0.01) {
        problems.push(`contrast ${ratio.toFixed(2)}: "${t.textContent.trim().slice(0, 40)}" (${el.tagName.toLowerCase()}.${[...el.classList].join('.')})`);
      }
    }
    return problems;
  });
}

/** A clean run: no CSP violation, page error, console error or bad load. */
export function assertClean(problems, who = 'page') {
  assert.deepEqual(problems.cspViolations, [], `${who}: CSP violations`);
  assert.deepEqual(problems.pageErrors, [], `${who}: uncaught page errors`);
  assert.deepEqual(problems.consoleErrors, [], `${who}: console errors`);
  assert.deepEqual(problems.badResponses, [], `${who}: failed or erroneous loads`);
}
