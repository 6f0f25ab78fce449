// Shared setup of the browser tests: Debian's Chromium through playwright-core
// (no browser download), one context and page on the portal, and the
// listeners that collect everything a clean run must not produce.
//
//   ESURAT_CHROMIUM   browser binary (default /usr/bin/chromium)
//
// Not a test file itself (node --test only picks up *.test.mjs here).

import { chromium } from 'playwright-core';

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
      if (req.url().startsWith(base)) problems.badResponses.push(`failed ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
    });

    return { browser, context, page, problems };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
