// Browser test of the admin pages (#/admin/…), clicked and typed through by
// the administrator: a unit with its own number template (with the live
// preview of the next number), a position under the Walikota (a cycle
// refused beside the field), a user (a short password refused beside the
// field), that user appointed Plt of the new position, a classification
// table imported from CSV (a bad line named, nothing imported; then the good
// file). Each admin page at desktop and phone size: labels and contrast
// audited, no horizontal scrollbar on the phone, a screenshot saved as
// <output>/screenshots/admin-<page>-<size>.png.
//
//   ESURAT_TEST_URL, ESURAT_TEST_PASSWORD, ESURAT_TEST_OUTPUT, ESURAT_CHROMIUM
//                           as for every browser test (portal.mjs)
//   ESURAT_TEST_ADMIN       an administrator (default admin, the demo admin)
//
// Run: node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, DESKTOP, PASSWORD, PHONE, assertClean, auditPage, fitsPhone, heading as headingOf, openPortal, runTag, shot,
  signIn,
} from './portal.mjs';

const USER = process.env.ESURAT_TEST_ADMIN || 'admin';
const XSS = '<img src=x onerror=window.__xss=1>';

// Unique per run, so that the test may run again on the same stack.
const RUN = runTag();
const UNIT = { code: `Dpk${RUN}`, name: `Dinas Perpustakaan ${RUN} ${XSS}` };
const TEMPLATE = '{klasifikasi}/{urut}/{unit}/{bulan_romawi}/{tahun}';
const POSITION = `Kepala Dinas Perpustakaan ${RUN}`;
// (A NIP is unique too; a clash with an earlier run on the same stack is unlikely.)
const PLT = { username: `plt.${RUN.toLowerCase()}`, name: `Drs. Pelaksana Tugas ${RUN}`, nip: `1975050520000310${String(Date.now() % 100).padStart(2, '0')}` };
const CLASS = `100.${1000 + Math.floor(Math.random() * 9000)}`; // a fresh group of codes
const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII'];

let browser;
let page;
let problems;

function jakartaToday() {
  return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);
}

function apiResponse(pathTest, method) {
  return page.waitForResponse((r) => {
    const p = new URL(r.url()).pathname;
    return r.request().method() === method && (typeof pathTest === 'string' ? p === pathTest : pathTest.test(p));
  });
}

const heading = (text) => headingOf(page, text);

/** Every field labelled, every text readable; then the screenshot
 * (screenshots/admin-<name>-desktop.png). */
async function checked(name) {
  await page.waitForLoadState('networkidle');
  assert.deepEqual(await auditPage(page), [], `admin ${name}: labels and contrast`);
  await shot(page, 'admin', name);
}

/** Opens an admin page through its sub-menu, as a user would. */
async function openTab(label, title) {
  await page.getByRole('navigation', { name: 'Menu administrasi' }).getByRole('link', { name: label, exact: true }).click();
  await heading(title);
}

/** The field error shown beside control #id, once there is one. */
async function fieldError(id) {
  const control = page.locator(`#${id}`);
  await page.waitForFunction((i) => document.getElementById(i).getAttribute('aria-invalid') === 'true', id);
  const describedBy = (await control.getAttribute('aria-describedby')).split(/\s+/);
  assert.ok(describedBy.includes(`${id}-error`), `#${id} is described by its error`);
  return (await page.locator(`#${id}-error`).textContent()).trim();
}

before(async () => {
  assert.ok(PASSWORD, 'set ESURAT_TEST_PASSWORD (the demo users\' password)');
  ({ browser, page, problems } = await openPortal({
    base: BASE,
    viewport: DESKTOP,
    // Refusals this test provokes on purpose: a bad template (preview and
    // save), a short password, a cycle, a bad CSV; 401 for /api/me signed out.
    expectedApiError: (status, p) => (status === 401 && p === '/api/me')
      || (status === 400 && ['/api/numbering/template-preview', '/api/units', '/api/users'].includes(p))
      || (status === 409 && p.startsWith('/api/positions/'))
      || (status === 422 && p === '/api/classifications/import'),
  }));
});

after(async () => {
  if (browser) await browser.close();
});

test('(a) the admin start page', async () => {
  await signIn(page, USER, '/admin');
  await heading('Administrasi');
  assert.equal(await page.getByRole('navigation', { name: 'Menu utama' }).getByRole('link', { name: 'Administrasi' }).count(), 1);
  for (const label of ['Pengguna', 'Unit & Nomor Surat', 'Jabatan & Penugasan', 'Kode Klasifikasi', 'Instruksi Disposisi']) {
    assert.equal(await page.locator('.details').getByRole('link', { name: label, exact: true }).count(), 1, label);
  }
  await checked('home');
});

test('(b) a unit with its own number template, previewed while typed', async () => {
  await openTab('Unit & Nomor Surat', 'Unit dan Nomor Surat');
  // The keyboard alone: type, Tab to the next field.
  await page.locator('#unit-code').focus();
  await page.keyboard.type(UNIT.code);
  await page.keyboard.press('Tab');
  await page.keyboard.type(UNIT.name);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'unit-parent');
  await page.locator('#unit-parent').selectOption({ label: 'Pemerintah Kota Pekanbaru (Pemko)' });
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'unit-template');

  const preview = page.locator('#unit-template-preview');
  await page.keyboard.type('{nomor}/{urut}');
  await preview.filter({ hasText: 'penanda yang tidak dikenal' }).waitFor();
  // Saved anyway: refused, the reason beside the field.
  const refused = apiResponse('/api/units', 'POST');
  await page.keyboard.press('Enter');
  assert.equal((await refused).status(), 400);
  assert.match(await fieldError('unit-template'), /penanda yang tidak dikenal/);

  const today = jakartaToday();
  const expected = `005/1/${UNIT.code}/${ROMAN[Number(today.slice(5, 7)) - 1]}/${today.slice(0, 4)}`;
  await page.locator('#unit-template').fill(TEMPLATE);
  await preview.filter({ hasText: expected }).waitFor();
  const saved = apiResponse('/api/units', 'POST');
  await page.getByRole('button', { name: 'Tambah unit' }).click();
  const res = await saved;
  assert.equal(res.status(), 201);
  assert.equal((await res.json()).number_preview, expected);
  const row = page.locator('#units-rows tr', { hasText: UNIT.code });
  await row.filter({ hasText: expected }).waitFor();
  // Text from the API is text: the unit's name shows its markup literally.
  assert.ok((await row.textContent()).includes(XSS), 'the name is shown as text');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no script ran');
  assert.equal(await page.locator('#unit-template').getAttribute('aria-invalid'), null, 'the error is gone');
  await checked('units');
});

test('(c) a position under the Walikota; a cycle refused beside the field', async () => {
  await openTab('Jabatan & Penugasan', 'Jabatan dan Penugasan');
  await page.locator('#position-title').fill(POSITION);
  await page.locator('#position-unit').selectOption({ label: `${UNIT.name} (${UNIT.code})` });
  await page.locator('#position-parent').selectOption({ label: 'Walikota Pekanbaru' });
  // Not an entry point: the other browser tests share this stack, and the
  // front desk's routing list there holds the demo entry points only.
  assert.equal(await page.getByLabel('Penerima surat masuk').isChecked(), false);
  const saved = apiResponse('/api/positions', 'POST');
  await page.getByRole('button', { name: 'Tambah jabatan' }).click();
  assert.equal((await saved).status(), 201);
  const row = page.locator('#positions-rows tr', { hasText: POSITION });
  await row.waitFor();
  assert.equal(await row.locator('td').first().getAttribute('class'), 'depth-1', 'shown below the Walikota');
  assert.match(await row.textContent(), /Kosong/);

  // The Walikota below the new position: a cycle, refused.
  await page.getByRole('button', { name: 'Ubah Walikota Pekanbaru', exact: true }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'position-form-title');
  await page.locator('#position-parent').selectOption({ label: `· ${POSITION}` });
  const refused = apiResponse(/^\/api\/positions\/\d+$/, 'PATCH');
  await page.getByRole('button', { name: 'Simpan perubahan' }).click();
  assert.equal((await refused).status(), 409);
  assert.match(await fieldError('position-parent'), /di bawahnya/);
  await page.getByRole('button', { name: 'Batal' }).click();
  await checked('positions');
});

test('(d) a user; a short password refused beside the field', async () => {
  await openTab('Pengguna', 'Pengguna');
  await page.locator('#acct-username').fill(PLT.username);
  await page.locator('#acct-name').fill(PLT.name);
  await page.locator('#acct-nip').fill(`${PLT.nip.slice(0, 8)} ${PLT.nip.slice(8, 14)} ${PLT.nip.slice(14, 15)} ${PLT.nip.slice(15)}`);
  await page.getByLabel('Pejabat', { exact: true }).check();
  await page.locator('#acct-password').fill('pendek');
  let answer = apiResponse('/api/users', 'POST');
  await page.getByRole('button', { name: 'Tambah pengguna' }).click();
  assert.equal((await answer).status(), 400);
  assert.match(await fieldError('acct-password'), /Paling sedikit 8/i);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'acct-password', 'the focus is on the field to fix');

  await page.locator('#acct-password').fill(`Sandi-${RUN}`);
  answer = apiResponse('/api/users', 'POST');
  await page.getByRole('button', { name: 'Tambah pengguna' }).click();
  const res = await answer;
  assert.equal(res.status(), 201);
  assert.equal((await res.json()).nip, PLT.nip);
  await page.locator('#users-status', { hasText: `Pengguna ${PLT.username} ditambahkan.` }).waitFor();

  await page.getByRole('searchbox', { name: 'Cari' }).fill(RUN.toLowerCase());
  await page.getByRole('searchbox', { name: 'Cari' }).press('Enter');
  const row = page.locator('#users-rows tr', { hasText: PLT.username });
  await row.waitFor();
  assert.match(await row.textContent(), /Pejabat/);
  assert.equal(await page.locator('#users-rows tr').count(), 1);

  // Changed: one more role. The user name stays as it is.
  await page.getByRole('button', { name: `Ubah ${PLT.username}`, exact: true }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'acct-form-title');
  assert.equal(await page.locator('#acct-username').isDisabled(), true);
  await page.getByLabel('Arsiparis', { exact: true }).check();
  answer = apiResponse(/^\/api\/users\/\d+$/, 'PATCH');
  await page.getByRole('button', { name: 'Simpan perubahan' }).click();
  assert.equal((await answer).status(), 200);
  await row.filter({ hasText: 'Arsiparis, Pejabat' }).waitFor();
  await checked('users');
});

test('(e) the new user appointed Plt of the new position', async () => {
  await openTab('Jabatan & Penugasan', 'Jabatan dan Penugasan');
  await page.getByRole('button', { name: `Penugasan ${POSITION}`, exact: true }).click();
  await page.locator('#appointments-title', { hasText: POSITION }).waitFor();
  await page.locator('#appoint-user').selectOption({ label: `${PLT.name} (${PLT.username})` });
  await page.locator('#appoint-kind').selectOption('plt');
  const until = new Date(Date.now() + 37 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  await page.locator('#appoint-until').fill(until);
  const answer = apiResponse(/^\/api\/positions\/\d+\/holders$/, 'POST');
  await page.getByRole('button', { name: 'Tugaskan' }).click();
  const res = await answer;
  assert.equal(res.status(), 201);
  const appointment = await res.json();
  assert.equal(appointment.current, true);
  await page.locator('#appointment-rows tr', { hasText: PLT.name }).filter({ hasText: 'Berlaku hari ini' }).waitFor();
  await page.locator('#positions-rows tr', { hasText: POSITION }).filter({ hasText: `${PLT.name} (PLT)` }).waitFor();
  await checked('appointments');

  // The start page lists the acting officials of today.
  await openTab('Ringkasan', 'Administrasi');
  await page.locator('#acting-today', { hasText: PLT.name }).filter({ hasText: POSITION }).waitFor();
});

test('(f) a classification table imported from CSV, all or nothing', async () => {
  await openTab('Kode Klasifikasi', 'Kode Klasifikasi');
  const header = 'code;title;retention_active_years;retention_inactive_years;final_disposition\n';
  const bad = `${header}${CLASS};Uji Impor ${RUN};2;3;musnah\n${CLASS}.1;Baris Rusak;2;3;dibakar\n`;
  let answer = apiResponse('/api/classifications/import', 'POST');
  await page.locator('#class-file').setInputFiles({ name: 'jra-rusak.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.getByRole('button', { name: 'Impor', exact: true }).click();
  assert.equal((await answer).status(), 422);
  await page.locator('#import-error', { hasText: 'Tidak ada yang diimpor' }).waitFor();
  assert.match(await page.locator('#import-problems').textContent(), /Baris 3: final_disposition harus .* bukan "dibakar"/);
  await page.locator('#class-prefix').fill(CLASS);
  await page.locator('#class-prefix').press('Enter');
  await page.locator('.list-status', { hasText: '0 kode.' }).waitFor();

  const good = `\ufeff${header}${CLASS};Uji Impor ${RUN};2;3;Musnah\n${CLASS}.1;"Sub; Uji";1;1;Dinilai Kembali\n`;
  answer = apiResponse('/api/classifications/import', 'POST');
  await page.locator('#class-file').setInputFiles({ name: 'jra.csv', mimeType: 'application/vnd.ms-excel', buffer: Buffer.from(good) });
  await page.getByRole('button', { name: 'Impor', exact: true }).click();
  const res = await answer;
  assert.equal(res.status(), 200);
  assert.equal(res.request().headers()['content-type'], 'text/csv');
  await page.locator('#import-status', { hasText: '2 kode baru' }).waitFor();
  await page.locator('#classification-rows tr', { hasText: 'Sub; Uji' }).filter({ hasText: 'Dinilai kembali' }).waitFor();
  assert.equal(await page.locator('#classification-rows tr').count(), 2);
  await checked('classifications');
});

test('(g) the instructions page, and every admin page at phone size', async () => {
  await openTab('Instruksi Disposisi', 'Instruksi Disposisi');
  await checked('instructions');
  await page.setViewportSize(PHONE);
  try {
    const pages = [
      ['/admin', 'Administrasi', 'home'],
      ['/admin/pengguna', 'Pengguna', 'users'],
      ['/admin/unit', 'Unit dan Nomor Surat', 'units'],
      ['/admin/jabatan', 'Jabatan dan Penugasan', 'positions'],
      ['/admin/klasifikasi', 'Kode Klasifikasi', 'classifications'],
    ];
    for (const [route, title, name] of pages) {
      await page.goto(`${BASE}/#${route}`);
      await heading(title);
      await page.waitForLoadState('networkidle');
      await fitsPhone(page, route);
      await checked(name);
    }
  } finally {
    await page.setViewportSize(DESKTOP);
  }
});

test('(h) no console errors, page errors, failed loads or CSP violations', async () => {
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no script ran');
  assertClean(problems, 'admin');
});
