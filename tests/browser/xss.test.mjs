// Browser test: a script payload in every text of a letter is shown as
// text on every page that shows it, and never runs.
//
// The payloads go in through the portal's own forms where a user types them
// (the registration form, the correction form, the disposition note, the
// report) and through SQL where no form exists yet (the names of a unit, a
// position and a user). Every page that shows them is opened: start pages,
// the registry, the letter page (metadata, scan name, tree, history), the
// receipt, the inbox, the disposition page and its sheet, the search, the
// retention report. On each: window.__xss stays undefined, no element made
// of the data exists, and the payload is there as text.
//
//   ESURAT_TEST_URL, ESURAT_TEST_PASSWORD, ESURAT_TEST_OUTPUT, ESURAT_CHROMIUM,
//   ESURAT_DATA (the stack's data directory, for SQL) as in roles.test.mjs.
//
// Run: node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, assertClean, DESKTOP, PASSWORD, apiAs, go, heading, openPortal, runTag, shot, signIn, sql,
} from './portal.mjs';

const RUN = runTag();
const IMG = '<img src=x onerror=window.__xss=1>';
const SCRIPT = '"><script>window.__xss=2</script>';
const BOTH = `${IMG}${SCRIPT}`;
// The names set through SQL (no form edits them yet).
const UNIT = `Unit ${IMG} ${RUN}`;
const POSITION = `Kepala ${SCRIPT} ${RUN}`;
const PERSON = `Pejabat ${IMG} ${RUN}`;

let browser;
let page;
let problems;
let letter; // the letter with the payloads
let dispositionId; // the disposition to the position named with a payload

/** The page shows each text literally, and nothing ran or was made of it. */
async function safe(where, texts) {
  await page.waitForTimeout(150); // an onerror would have fired by now
  assert.equal(await page.evaluate(() => window.__xss), undefined, `${where}: no script ran`);
  const made = await page.evaluate(() => document.querySelectorAll('img[src="x"], script:not([src]), .view b, .view script').length);
  assert.equal(made, 0, `${where}: no element made from the data`);
  const body = await page.locator('#page').textContent();
  for (const t of texts) assert.ok(body.includes(t), `${where}: shows ${JSON.stringify(t)} as text`);
}

before(async () => {
  assert.ok(PASSWORD, 'set ESURAT_TEST_PASSWORD');
  // A unit, a position below the Walikota and its holder, named with the
  // payloads; the holder signs in with kabag.hukum's password.
  sql(`WITH u AS (INSERT INTO units (code, name) VALUES (:'code', :'unit') RETURNING id),
       p AS (INSERT INTO positions (unit_id, title, parent_id)
             SELECT u.id, :'pos', (SELECT id FROM positions WHERE title = 'Walikota Pekanbaru') FROM u RETURNING id),
       usr AS (INSERT INTO users (username, name, password_hash)
               SELECT :'user', :'person', password_hash FROM users WHERE username = 'kabag.hukum' RETURNING id),
       r AS (INSERT INTO user_roles (user_id, role) SELECT id, 'official' FROM usr)
       INSERT INTO position_holders (position_id, user_id, kind) SELECT p.id, usr.id, 'definitif' FROM p, usr;`,
  { code: `Uji${RUN}`, unit: UNIT, pos: POSITION, user: `uji.${RUN.toLowerCase()}`, person: PERSON });
  ({ browser, page, problems } = await openPortal({
    base: BASE,
    viewport: DESKTOP,
    expectedApiError: (status, p) => status === 401 && p === '/api/me',
  }));
});

after(async () => {
  if (browser) await browser.close();
});

test('the front desk types the payloads into every field; every page shows them as text', async () => {
  await signIn(page, 'umum', '/surat/baru');
  await heading(page, 'Registrasi Surat');
  const typed = {
    letter_number: `${IMG}/${RUN}`,
    sender: `${SCRIPT} ${RUN}`,
    recipient: IMG,
    subject: `${BOTH} ${RUN}`,
    summary: `${SCRIPT}\n${IMG}`,
    classification: '000',
  };
  for (const [id, v] of Object.entries(typed)) await page.locator(`#${id}`).fill(v);
  const walikota = await page.locator('#to_position_id option', { hasText: 'Walikota Pekanbaru' }).getAttribute('value');
  await page.locator('#to_position_id').selectOption(walikota);
  // A scan whose file name is a payload too.
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
  await page.locator('#scans-input').setInputFiles({ name: `${IMG}.png`, mimeType: 'image/png', buffer: png });
  const created = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/letters' && r.request().method() === 'POST');
  await page.getByRole('button', { name: /^Simpan/ }).click();
  letter = await (await created).json();
  assert.equal(letter.subject, typed.subject, 'the API keeps what was typed');
  await page.locator('#receipt').waitFor();
  await safe('receipt', [typed.subject, typed.sender, typed.letter_number]);

  // The correction form: every text field again, with the other payload.
  await go(page, `/surat/${letter.id}`);
  await heading(page, typed.subject);
  await page.getByRole('button', { name: 'Koreksi data' }).click();
  await page.locator('#edit-recipient').fill(`${SCRIPT} Walikota`);
  await page.locator('#edit-summary').fill(`${IMG} ${SCRIPT} diperbaiki`);
  const patched = page.waitForResponse((r) => r.request().method() === 'PATCH');
  await page.getByRole('button', { name: 'Simpan koreksi' }).click();
  assert.equal((await patched).status(), 200);
  await page.locator('#letter-message').waitFor();
  await safe('letter page (after the correction)', [typed.subject, `${SCRIPT} Walikota`, `${IMG} ${SCRIPT} diperbaiki`, `${IMG}.png`]);
  // The history holds the old and the new value, as text.
  assert.ok((await page.locator('#history').textContent()).includes(`${IMG} → ${SCRIPT} Walikota`));

  await go(page, `/surat?number=${encodeURIComponent(RUN)}`);
  await page.locator('#letters-table tbody tr').first().waitFor();
  await safe('registry list', [typed.subject, typed.letter_number]);
  await go(page, `/surat/${letter.id}/tanda-terima`);
  await page.locator('#receipt').waitFor();
  await safe('receipt again', [typed.subject]);
  await go(page, '/');
  await page.locator('#today-table').waitFor();
  await safe('front desk start page', [typed.subject]);
  await shot(page, 'xss', 'frontdesk-home');
});

test('the walikota disposes with a payload note to the position named with a payload', async () => {
  await signIn(page, 'walikota', `/surat/${letter.id}`);
  await heading(page, letter.subject);
  const form = page.locator('#dispose-form');
  await form.getByLabel(new RegExp(`^Kepala .* ${RUN}`)).check();
  await form.getByLabel('Catatan').fill(`${BOTH} catatan`);
  const sent = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/letters/${letter.id}/dispositions`);
  await page.getByRole('button', { name: 'Kirim disposisi' }).click();
  const answer = await sent;
  assert.equal(answer.status(), 201);
  dispositionId = (await answer.json()).items[0].id;
  await page.locator('#letter-message').waitFor();
  await safe('letter page (tree)', [POSITION, PERSON, `${BOTH} catatan`]);
  await shot(page, 'xss', 'official-letter');
  await go(page, '/kotak-masuk');
  await page.locator('.inbox-item', { hasText: RUN }).first().waitFor();
  await safe('inbox', [letter.subject]);
  await go(page, '/');
  await page.locator('#home-inbox-list').waitFor();
  await safe('official start page', [letter.subject]);
});

test('the holder reads it, reports with a payload; sheet, search and retention show text', async () => {
  await signIn(page, `uji.${RUN.toLowerCase()}`, `/disposisi/${dispositionId}`);
  await heading(page, letter.subject);
  await safe('disposition page', [`${BOTH} catatan`, POSITION]);
  assert.ok((await page.locator('.account-info').textContent()).includes(PERSON), 'the user\'s own name as text');
  assert.ok((await page.locator('.account-info').textContent()).includes(UNIT), 'the unit\'s name as text');
  await page.getByLabel(/Laporan tindak lanjut/).fill(`${SCRIPT} laporan ${IMG}`);
  const done = page.waitForResponse((r) => /\/complete$/.test(new URL(r.url()).pathname));
  await page.getByRole('button', { name: 'Selesaikan' }).click();
  assert.equal((await done).status(), 200);
  await page.locator('#disposition-message').waitFor();
  await safe('disposition page (done)', [`${SCRIPT} laporan ${IMG}`]);
  await go(page, `/lembar/${dispositionId}`);
  await page.locator('#sheet').waitFor();
  await safe('disposition sheet', [letter.subject, letter.sender, UNIT.toUpperCase()]);
  await go(page, `/surat/${letter.id}`);
  await heading(page, letter.subject);
  await safe('letter page (report, history)', [`${SCRIPT} laporan ${IMG}`, PERSON]);

  await signIn(page, 'arsiparis', `/cari?q=${encodeURIComponent(RUN)}`);
  await page.locator('#search-results .search-result').first().waitFor();
  await safe('search results', [letter.subject]);
  await go(page, '/arsip/retensi?action=tanpa_jra');
  await page.locator('#retention-table tbody tr', { hasText: RUN }).first().waitFor();
  await safe('retention report', [letter.subject]);
  await shot(page, 'xss', 'records-retention');
});

test('no console errors, page errors, failed loads or CSP violations', async () => {
  await page.waitForTimeout(200);
  assertClean(problems);
});
