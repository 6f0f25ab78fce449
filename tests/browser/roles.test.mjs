// Browser test of each role's main flow, at desktop (1280×800) and phone
// (360×740) sizes, with a screenshot of each main page under
// <output>/screenshots/<role>-<page>-<size>.png and a check of labels and
// contrast on each:
//   front desk  start page → one click routes a letter; registration with
//               the keyboard alone; receipt printed again from the letter
//               page; a correction with a field error beside the field;
//   official    start page counts; the inbox by deadline; an expired
//               session during work → login page → back on the letter;
//               dispose and complete from the letter page; the sheet printed;
//   archivist   the search from the start page, a result opened;
//   records     export and retention on the start page.
//
//   ESURAT_TEST_URL, ESURAT_TEST_PASSWORD, ESURAT_TEST_OUTPUT, ESURAT_CHROMIUM
//   as in registry.test.mjs; ESURAT_DATA: the stack's data directory (SQL).
//
// Run: node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, assertClean, DESKTOP, PASSWORD, PHONE, apiAs, auditPage, fitsPhone, go, heading, openPortal, runTag, sessionHash, shot,
  signIn, sql,
} from './portal.mjs';

const RUN = runTag();
const WORD = `telaahuji${RUN.toLowerCase()}`;

let browser;
let context;
let page;
let problems;

/** Screenshots at both sizes, the phone without a horizontal scrollbar, and
 * the page's labels and contrast. ready() waits for what must be there. */
async function bothSizes(role, name, ready = async () => {}) {
  await ready();
  assert.deepEqual(await auditPage(page), [], `${role} ${name}: labels and contrast`);
  await shot(page, role, name);
  await page.setViewportSize(PHONE);
  try {
    await ready();
    await fitsPhone(page, `${role} ${name}`);
    assert.deepEqual(await auditPage(page), [], `${role} ${name} (phone): labels and contrast`);
    await shot(page, role, name);
  } finally {
    await page.setViewportSize(DESKTOP);
  }
}

async function signOut() {
  const res = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/logout');
  await page.locator('#logout').click();
  assert.equal((await res).status(), 204);
  await page.locator('#login').waitFor({ state: 'visible' });
}

function response(pathTest, method) {
  return page.waitForResponse((r) => {
    const p = new URL(r.url()).pathname;
    return r.request().method() === method && (typeof pathTest === 'string' ? p === pathTest : pathTest.test(p));
  });
}

/** Only `selector` (and what holds it) takes room when printed. */
async function printsOnly(selector) {
  await page.emulateMedia({ media: 'print' });
  try {
    const stray = await page.evaluate((sel) => {
      const keep = document.querySelector(sel);
      const out = [];
      for (const el of document.body.querySelectorAll('*')) {
        if (keep.contains(el) || el.contains(keep)) continue;
        const r = el.getBoundingClientRect();
        const cs = getComputedStyle(el);
        if (r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none') out.push(`${el.tagName}#${el.id}.${el.className}`);
      }
      return out;
    }, selector);
    assert.deepEqual(stray, [], `only ${selector} is printed`);
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
}

const letters = {}; // the letters made for the tests, by name

before(async () => {
  assert.ok(PASSWORD, 'set ESURAT_TEST_PASSWORD');
  // Letters through the API: one for the front desk to route, two routed to
  // the walikota and disposed to the sekda with deadlines (the nearer one
  // first, so that "newest first" and "by deadline" differ), one with a
  // word to search.
  const desk = await apiAs('umum');
  const register = async (name, extra) => {
    const r = await desk.post('/api/letters', {
      direction: 'in',
      letter_number: `${name}/${RUN}/Uji/2025`,
      sender: `Dinas Uji ${RUN}`,
      recipient: 'Walikota Pekanbaru',
      subject: `${name} ${RUN}`,
      classification: '000',
      ...extra,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    letters[name] = r.body;
    return r.body;
  };
  await register('Belum diteruskan');
  await register('Tenggat dekat', { to_position_id: 1 });
  await register('Tenggat jauh', { to_position_id: 1 });
  await register('Arsip dicari', { summary: `Kata kunci ${WORD} dalam ringkasan.` });
  const walikota = await apiAs('walikota');
  const day = (n) => new Date(Date.now() + n * 86400000 + 7 * 3600000).toISOString().slice(0, 10);
  for (const [name, days] of [['Tenggat dekat', 2], ['Tenggat jauh', 20]]) {
    const r = await walikota.post(`/api/letters/${letters[name].id}/dispositions`, {
      to: [2], instructions: ['tindak_lanjuti'], note: `Segera ${name}`, deadline: day(days),
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  // Searchable within a second; allow a few under sanitizers.
  for (let i = 0; ; i++) {
    const r = await desk.get(`/api/search?q=${WORD}`);
    if (r.status === 200 && r.body.total === 1) break;
    assert.ok(i < 100, 'the letter never became searchable');
    await new Promise((ok) => setTimeout(ok, 100));
  }

  ({ browser, context, page, problems } = await openPortal({
    base: BASE,
    viewport: DESKTOP,
    // 401: GET /api/me signed out, and every call after the session expired.
    expectedApiError: (status) => status === 401,
  }));
});

after(async () => {
  if (browser) await browser.close();
});

test('front desk: start page, one-click routing, keyboard registration, receipt, correction', async () => {
  await signIn(page, 'umum', '/');
  await heading(page, /^Selamat datang, /);
  const row = page.locator('#unrouted-table tbody tr', { hasText: letters['Belum diteruskan'].subject });
  await bothSizes('frontdesk', 'home', async () => {
    await row.waitFor();
    await page.locator('#today-table tbody tr').first().waitFor();
  });
  assert.ok((await page.locator('#today-table').textContent()).includes(letters['Arsip dicari'].subject), 'today\'s registrations');

  // The skip link is the first stop of the keyboard, shows when focused and
  // leads to the content.
  const first = await page.evaluate(() => [...document.querySelectorAll('a[href], button, input, select, textarea')]
    .find((el) => !el.closest('[hidden]')).className);
  assert.equal(first, 'skip-link');
  await page.locator('.skip-link').focus();
  const box = await page.locator('.skip-link').boundingBox();
  assert.ok(box && box.y >= 0, 'the skip link is in view when focused');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');

  // One click: the first leader is chosen already.
  assert.equal(await row.locator('select option:checked').textContent(), 'Walikota Pekanbaru');
  const routed = response(`/api/letters/${letters['Belum diteruskan'].id}/dispositions`, 'POST');
  await row.getByRole('button', { name: 'Teruskan' }).click();
  assert.equal((await routed).status(), 201);
  await page.locator('#home-unrouted-status', { hasText: 'diteruskan kepada Walikota Pekanbaru' }).waitFor();
  assert.equal(await row.count(), 0, 'the routed letter left the list');

  // Registration with the keyboard alone: Tab through the fields in order,
  // type, Enter sends; the receipt takes the focus.
  await page.locator('#home-register').click();
  await heading(page, 'Registrasi Surat');
  const order = ['letter_number', 'letter_date', 'sender', 'recipient', 'subject', 'summary', 'classification', 'security', 'urgency', 'to_position_id'];
  const reached = [];
  for (let i = 0; i < 30 && reached.length < order.length; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => document.activeElement.id);
    if (order.includes(id) && reached[reached.length - 1] !== id) reached.push(id);
  }
  assert.deepEqual(reached, order, 'the fields are reached with Tab, in order');
  await page.locator('#sender').focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => {
    const cs = getComputedStyle(document.activeElement);
    return { id: document.activeElement.id, style: cs.outlineStyle, width: parseFloat(cs.outlineWidth) };
  });
  assert.equal(outline.id, 'sender');
  assert.ok(outline.style !== 'none' && outline.width >= 2, `a visible focus outline: ${JSON.stringify(outline)}`);
  for (const [id, value] of [['letter_number', `KB/${RUN}/2025`], ['sender', `Kecamatan Uji ${RUN}`], ['recipient', 'Walikota Pekanbaru'], ['subject', `Surat dengan papan ketik ${RUN}`]]) {
    await page.locator(`#${id}`).focus();
    await page.keyboard.type(value);
  }
  await bothSizes('frontdesk', 'register', () => page.locator('#register-form').waitFor());
  const created = response('/api/letters', 'POST');
  await page.locator('#subject').focus();
  await page.keyboard.press('Enter');
  const answer = await created;
  assert.equal(answer.status(), 201);
  const letter = await answer.json();
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'receipt-title');

  // The letter page: the receipt again, printed alone.
  await page.getByRole('link', { name: 'Buka surat' }).click();
  await heading(page, letter.subject);
  await page.locator('#receipt-link').click();
  await page.locator('#receipt').waitFor();
  assert.equal((await page.locator('#tracking-code').textContent()).trim(), letter.tracking_code);
  assert.ok((await page.locator('#receipt').textContent()).includes('Rina Marlina'), 'the registrar signs');
  await printsOnly('#receipt');
  await bothSizes('frontdesk', 'receipt');

  // A correction: a required field emptied is refused beside it; then saved
  // and in the history.
  await page.getByRole('link', { name: 'Kembali ke surat' }).click();
  await heading(page, letter.subject);
  await page.getByRole('button', { name: 'Koreksi data' }).click();
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'edit-letter_number');
  await page.locator('#edit-sender').fill('');
  await page.getByRole('button', { name: 'Simpan koreksi' }).click();
  await page.locator('#edit-sender-error', { hasText: 'Wajib diisi.' }).waitFor();
  assert.match(await page.locator('#edit-sender').getAttribute('aria-describedby'), /\bedit-sender-error\b/);
  await page.locator('#edit-sender').fill(`Kecamatan Uji Koreksi ${RUN}`);
  const patched = response(`/api/letters/${letter.id}`, 'PATCH');
  await page.getByRole('button', { name: 'Simpan koreksi' }).click();
  assert.equal((await patched).status(), 200);
  await page.locator('#letter-message', { hasText: 'Data surat dikoreksi' }).waitFor();
  assert.ok((await page.locator('#letter-details').textContent()).includes(`Kecamatan Uji Koreksi ${RUN}`));
  assert.match(await page.locator('#history').textContent(), /Data surat dikoreksi/);
  await bothSizes('frontdesk', 'letter', () => page.locator('#history').waitFor());
  await signOut();
});

test('official: start page, inbox by deadline, session expiry, dispose and complete on the letter page', async () => {
  await signIn(page, 'sekda', '/');
  await heading(page, /^Selamat datang, /);
  await bothSizes('official', 'home', () => page.locator('#home-inbox-list .inbox-item').first().waitFor());
  const tiles = await page.locator('#home-inbox .count-tile').allTextContents();
  assert.ok(tiles.some((t) => /^\d+belum dibaca$/.test(t)) && tiles.some((t) => /lewat batas waktu$/.test(t)), `count tiles: ${tiles}`);

  // The inbox: newest first, or by deadline.
  const subjects = () => page.locator('#inbox-list .inbox-link').allTextContents();
  const near = letters['Tenggat dekat'].subject;
  const far = letters['Tenggat jauh'].subject;
  await go(page, '/kotak-masuk?status=open');
  await heading(page, 'Kotak Masuk');
  await page.locator('#inbox-list .inbox-item', { hasText: far }).waitFor();
  let list = await subjects();
  assert.ok(list.indexOf(far) < list.indexOf(near), 'newest first');
  await page.getByLabel('Urutkan').selectOption('batas');
  await page.waitForFunction(() => window.location.hash.includes('urut=batas'));
  await page.locator('#inbox-list .inbox-item', { hasText: far }).waitFor();
  list = await subjects();
  assert.ok(list.indexOf(near) < list.indexOf(far), `by deadline: ${list}`);
  await bothSizes('official', 'inbox', () => page.locator('#inbox-list .inbox-item').first().waitFor());

  // On a phone the menu opens from its button and closes on the way.
  await page.setViewportSize(PHONE);
  assert.equal(await page.locator('#nav').isVisible(), false, 'the menu is folded on a phone');
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('navigation').getByRole('link', { name: 'Beranda', exact: true }).click();
  await heading(page, /^Selamat datang, /);
  assert.equal(await page.locator('#nav').isVisible(), false, 'the menu folds after the choice');
  await page.setViewportSize(DESKTOP);

  // The session ends during work: the next action leads to the login page,
  // and the login back to the same letter.
  await go(page, `/surat/${letters['Tenggat jauh'].id}`);
  await heading(page, far);
  await page.locator('#dispose-form').waitFor();
  const hash = await sessionHash(context);
  assert.equal(sql("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = :'h' RETURNING 1;", { h: hash }), '1');
  await page.locator('#dispose-form').getByLabel(/^Asisten Pemerintahan/).check();
  const refused = response(`/api/letters/${letters['Tenggat jauh'].id}/dispositions`, 'POST');
  await page.getByRole('button', { name: 'Kirim disposisi' }).click();
  assert.equal((await refused).status(), 401);
  await page.locator('#login').waitFor({ state: 'visible' });
  assert.match(await page.locator('#login-notice').textContent(), /Sesi Anda telah berakhir/);
  assert.equal(await page.locator('#username').inputValue(), 'sekda', 'the user name is kept');
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'password');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.locator('#shell').waitFor({ state: 'visible' });
  await heading(page, far);
  assert.equal(new URL(page.url()).hash, `#/surat/${letters['Tenggat jauh'].id}`, 'back where the user was');

  // Dispose from the letter page; completing waits for the branch.
  const form = page.locator('#dispose-form');
  await form.getByLabel(/^Asisten Pemerintahan/).check();
  await form.getByLabel('Catatan').fill(`Mohon ditelaah ${RUN}`);
  const sent = response(`/api/letters/${letters['Tenggat jauh'].id}/dispositions`, 'POST');
  await page.getByRole('button', { name: 'Kirim disposisi' }).click();
  assert.equal((await sent).status(), 201);
  await page.locator('#letter-message', { hasText: 'Disposisi terkirim kepada Asisten Pemerintahan' }).waitFor();
  await page.locator('#dispositions .dnode-note', { hasText: `Mohon ditelaah ${RUN}` }).waitFor();
  assert.equal(await page.locator('#complete-form').count(), 0, 'not completed before what was forwarded');
  await bothSizes('official', 'letter', () => page.locator('#dispositions .dtree-root').waitFor());

  // Complete the other one from its letter page; then its sheet, printed alone.
  await go(page, `/surat/${letters['Tenggat dekat'].id}`);
  await heading(page, near);
  await page.getByRole('button', { name: 'Selesaikan' }).click();
  await page.locator('#report-error', { hasText: 'Wajib diisi.' }).waitFor();
  await page.getByLabel(/Laporan tindak lanjut/).fill(`Sudah ditindaklanjuti ${RUN}`);
  const done = response(/^\/api\/dispositions\/\d+\/complete$/, 'POST');
  await page.getByRole('button', { name: 'Selesaikan' }).click();
  assert.equal((await done).status(), 200);
  await page.locator('#letter-message', { hasText: 'Disposisi selesai' }).waitFor();
  assert.equal(await page.locator('#letter-actions').count(), 0, 'nothing left to do');
  const sekdaNode = page.locator('#dispositions .dnode-card', { hasText: `Sudah ditindaklanjuti ${RUN}` });
  await sekdaNode.getByRole('link', { name: 'Lembar disposisi' }).click();
  await page.locator('#sheet').waitFor();
  await printsOnly('#sheet');
  await bothSizes('official', 'sheet');
  await signOut();
});

test('archivist: search from the start page and open the letter', async () => {
  await signIn(page, 'arsiparis', '/');
  await heading(page, /^Selamat datang, /);
  await bothSizes('archivist', 'home', () => page.locator('#home-search').waitFor());
  await page.locator('#home-search-q').fill(WORD);
  await page.keyboard.press('Enter');
  await heading(page, 'Cari Arsip');
  const result = page.locator('#search-results .search-result').first();
  await result.waitFor();
  assert.equal(await result.locator('mark').first().textContent(), WORD);
  await bothSizes('archivist', 'search', () => result.waitFor());
  await result.locator('a.letter-link').click();
  await heading(page, letters['Arsip dicari'].subject);
  assert.equal(await page.locator('#letter-actions').count(), 0, 'an archivist has nothing to do on a letter');
  assert.equal(await page.locator('#edit-open').count(), 0, 'nor to correct');
  await bothSizes('archivist', 'letter', () => page.locator('#history').waitFor());
});

test('records: export and retention on the start page', async () => {
  await go(page, '/');
  await heading(page, /^Selamat datang, /);
  await page.locator('#retention-counts .details-row').first().waitFor();
  assert.ok((await page.locator('#retention-counts .details-row').count()) >= 6, 'the retention counts');
  assert.match(await page.locator('#export-link').getAttribute('href'), /^\/api\/export\?from=\d{4}-01-01&to=\d{4}-\d{2}-\d{2}&format=zip$/);
  await bothSizes('records', 'home', () => page.locator('#home-retention #retention-status').waitFor());
  await go(page, '/arsip/retensi?action=tanpa_jra');
  await heading(page, 'Retensi Arsip');
  await page.locator('#retention-table tbody tr').first().waitFor();
  await bothSizes('records', 'retention', () => page.locator('#retention-table').waitFor());
  await go(page, '/arsip/ekspor');
  await heading(page, 'Ekspor Arsip');
  await bothSizes('records', 'export', () => page.locator('#export-form').waitFor());
});

test('no console errors, page errors, failed loads or CSP violations', async () => {
  await page.waitForTimeout(200);
  assertClean(problems);
});
