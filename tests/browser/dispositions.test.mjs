// Browser test of the disposition chain, clicked through by three users in
// two browsers: the front desk (umum) registers a letter routed to the
// walikota, whose inbox badge goes up without a reload; the walikota opens
// it, disposes it to the sekda with two instructions, a note and a deadline,
// and prints the disposition sheet; the sekda completes with a report; the
// walikota completes, and the letter is finished with its tree on its page;
// the front desk routes a letter that was registered without routing.
//
//   ESURAT_TEST_URL         base URL of the stack (default http://127.0.0.1:8080)
//   ESURAT_TEST_PASSWORD    password of the demo users          (required)
//   ESURAT_TEST_OUTPUT      directory for screenshots (default tests/browser/output)
//   ESURAT_CHROMIUM         browser binary (default /usr/bin/chromium)
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
const PASSWORD = process.env.ESURAT_TEST_PASSWORD || '';
const OUTPUT = path.resolve(process.env.ESURAT_TEST_OUTPUT || path.join(HERE, 'output'));

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 360, height: 740 };
const POLL_WAIT_MS = 25_000; // the badge asks every 15 s

const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.toUpperCase();
const LETTER = {
  number: `800/${RUN}/BKD/2025`,
  sender: `Badan Kepegawaian Daerah ${RUN}`,
  recipient: 'Walikota Pekanbaru',
  subject: `Permohonan Pertimbangan Mutasi Pegawai ${RUN}`,
};
const NOTE = 'Mohon dikoordinasikan dengan Bagian Hukum.';
const REPORT_SEKDA = `Telah dikoordinasikan, pertimbangan terlampir (${RUN}).`;
const REPORT_WALIKOTA = 'Disetujui.';

function deadlineIso() {
  const d = new Date(Date.now() + 7 * 24 * 3600 * 1000 + 7 * 3600 * 1000); // a week on, in Jakarta
  return d.toISOString().slice(0, 10);
}

let leader; // the walikota's browser: { browser, page, problems }
let desk; // the other users' browser: umum, then sekda
let letterId = null;
let receivedId = null; // the walikota's disposition (the routing)

function onPage(portal) {
  const { page } = portal;
  return {
    page,
    response(pathTest, method) {
      return page.waitForResponse((r) => {
        const p = new URL(r.url()).pathname;
        return r.request().method() === method && (typeof pathTest === 'string' ? p === pathTest : pathTest.test(p));
      });
    },
    async heading(text) {
      await page.waitForFunction((t) => {
        const h1 = document.querySelector('.view h1');
        return h1 && h1.textContent.trim() === t && h1.offsetParent !== null;
      }, text);
    },
    async signIn(user, route = '/') {
      await page.goto(`${BASE}/#${route}`);
      await page.locator('#login').waitFor({ state: 'visible' });
      await page.locator('#username').fill(user);
      await page.locator('#password').fill(PASSWORD);
      const answer = this.response('/api/auth/login', 'POST');
      await page.getByRole('button', { name: 'Masuk', exact: true }).click();
      assert.equal((await answer).status(), 200, `login as ${user}`);
      await page.locator('#shell').waitFor({ state: 'visible' });
    },
    async signOut() {
      const res = this.response('/api/auth/logout', 'POST');
      await page.getByRole('button', { name: 'Keluar', exact: true }).click();
      assert.equal((await res).status(), 204);
      await page.locator('#login').waitFor({ state: 'visible' });
    },
    async badge() {
      const b = page.locator('#inbox-badge');
      if (!(await b.isVisible())) return 0;
      return Number((await b.locator('.nav-badge-number').textContent()).trim());
    },
    async shot(name) {
      await page.screenshot({ path: path.join(OUTPUT, name), fullPage: true });
    },
  };
}

/** On a phone, the page fits its width (no horizontal scrollbar). */
async function fitsPhone(p, name) {
  await p.page.setViewportSize(PHONE);
  try {
    const width = await p.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= PHONE.width, `${name}: horizontal scrollbar at ${PHONE.width}px (scrollWidth ${width})`);
    await p.shot(`${name}-phone.png`);
  } finally {
    await p.page.setViewportSize(DESKTOP);
  }
}

function assertClean(portal, who) {
  assert.deepEqual(portal.problems.cspViolations, [], `${who}: CSP violations`);
  assert.deepEqual(portal.problems.pageErrors, [], `${who}: uncaught page errors`);
  assert.deepEqual(portal.problems.consoleErrors, [], `${who}: console errors`);
  assert.deepEqual(portal.problems.badResponses, [], `${who}: failed or erroneous loads`);
}

before(async () => {
  assert.ok(PASSWORD, 'set ESURAT_TEST_PASSWORD (the demo users\' password)');
  await fs.mkdir(OUTPUT, { recursive: true });
  const expectedApiError = (status, p) => status === 401 && p === '/api/me';
  leader = await openPortal({ base: BASE, viewport: DESKTOP, expectedApiError });
  desk = await openPortal({ base: BASE, viewport: DESKTOP, expectedApiError });
});

after(async () => {
  if (leader) await leader.browser.close();
  if (desk) await desk.browser.close();
});

test('(a) a letter routed at registration raises the walikota\'s badge without a reload', async () => {
  const w = onPage(leader);
  const u = onPage(desk);
  await w.signIn('walikota');
  await w.page.locator('#inbox-badge[data-loaded="true"]').waitFor({ state: 'attached' });
  const before = await w.badge();
  await w.page.evaluate(() => { window.__sameDocument = true; });

  await u.signIn('umum', '/surat/baru');
  await u.heading('Registrasi Surat');
  await u.page.getByLabel('Nomor surat', { exact: true }).fill(LETTER.number);
  await u.page.getByLabel('Pengirim').fill(LETTER.sender);
  await u.page.getByLabel('Penerima / Kepada').fill(LETTER.recipient);
  await u.page.getByLabel('Perihal').fill(LETTER.subject);
  await u.page.getByLabel('Urgensi').selectOption('segera');
  const walikotaOption = await u.page.locator('#to_position_id option', { hasText: 'Walikota Pekanbaru' }).getAttribute('value');
  await u.page.locator('#to_position_id').selectOption(walikotaOption);
  const answer = u.response('/api/letters', 'POST');
  await u.page.getByRole('button', { name: /^Simpan/ }).click();
  const res = await answer;
  const letter = await res.json();
  assert.equal(res.status(), 201, JSON.stringify(letter));
  assert.equal(letter.status, 'didisposisi');
  letterId = letter.id;
  await u.page.locator('#receipt').waitFor({ state: 'visible' });
  const t0 = Date.now();

  // The walikota's page, untouched, follows.
  await w.page.waitForFunction(
    (n) => {
      const b = document.getElementById('inbox-badge');
      return b && !b.hidden && Number(b.querySelector('.nav-badge-number').textContent) === n;
    },
    before + 1,
    { timeout: POLL_WAIT_MS },
  );
  assert.ok(Date.now() - t0 < POLL_WAIT_MS);
  assert.equal(await w.page.evaluate(() => window.__sameDocument), true, 'no reload');
  const title = await w.page.locator('#inbox-badge').getAttribute('title');
  assert.match(title, /belum dibaca/);
  await w.shot('dispositions-badge.png');
});

test('(b) the walikota opens it from the inbox and disposes it to the sekda', async () => {
  assert.ok(letterId, 'needs the letter from (a)');
  const w = onPage(leader);
  const unread = await w.badge();
  await w.page.getByRole('navigation').getByRole('link', { name: /^Kotak Masuk/ }).click();
  await w.heading('Kotak Masuk');
  const item = w.page.locator('.inbox-item', { hasText: LETTER.subject });
  await item.waitFor();
  assert.match(await item.getAttribute('class'), /inbox-unread/);
  receivedId = Number(await item.getAttribute('data-disposition-id'));
  await w.shot('dispositions-inbox.png');

  const opened = w.response(`/api/dispositions/${receivedId}`, 'GET');
  await item.getByRole('link', { name: LETTER.subject }).click();
  assert.equal((await opened).status(), 200);
  await w.heading(LETTER.subject);
  assert.match(await w.page.locator('#disposition-card').textContent(), /Dibaca/);
  // The first open is a read: the badge goes down.
  await w.page.waitForFunction((n) => Number(document.querySelector('#inbox-badge .nav-badge-number').textContent) === n
    || (n === 0 && document.getElementById('inbox-badge').hidden), unread - 1);

  const form = w.page.locator('#dispose-form');
  await form.waitFor();
  // Only positions below the walikota's are offered.
  const offered = await form.locator('fieldset').first().locator('label').allTextContents();
  assert.ok(offered.some((t) => t.startsWith('Sekretaris Daerah')), `offered: ${offered}`);
  assert.ok(!offered.some((t) => t.startsWith('Walikota')), 'not oneself');
  await form.getByLabel(/^Sekretaris Daerah/).check();
  await form.getByLabel('Untuk ditindaklanjuti').check();
  await form.getByLabel('Koordinasikan').check();
  await form.getByLabel('Catatan').fill(NOTE);
  await form.getByLabel('Batas waktu').fill(deadlineIso());
  const sent = w.response(`/api/letters/${letterId}/dispositions`, 'POST');
  await form.getByRole('button', { name: 'Kirim disposisi' }).click();
  const res = await sent;
  const body = await res.json();
  assert.equal(res.status(), 201, JSON.stringify(body));
  assert.deepEqual(body.items[0].instructions, ['tindak_lanjuti', 'koordinasikan']);
  assert.equal(body.items[0].parent_id, receivedId);
  await w.page.locator('#disposition-message', { hasText: 'Disposisi terkirim kepada Sekretaris Daerah' }).waitFor();
  const node = w.page.locator('.dnode', { hasText: 'Sekretaris Daerah' });
  await node.waitFor();
  assert.match(await node.textContent(), /Belum dibaca/);
  // Not complete before the sekda is.
  await w.page.locator('#complete-later').waitFor();
  assert.equal(await w.page.locator('#complete-form').count(), 0);
  await w.shot('dispositions-disposed.png');
  await fitsPhone(w, 'dispositions-disposed');
});

test('(c) the walikota prints the disposition sheet', async () => {
  assert.ok(receivedId, 'needs the disposition from (b)');
  const w = onPage(leader);
  await w.page.locator('#sheet-link').click();
  await w.page.locator('#sheet').waitFor({ state: 'visible' });
  const sheet = w.page.locator('#sheet');
  const kop = await sheet.locator('.sheet-kop').allTextContents();
  assert.deepEqual(kop, ['PEMERINTAH KOTA PEKANBARU']);
  assert.equal((await sheet.locator('h1').textContent()).trim(), 'LEMBAR DISPOSISI');
  const letterTable = await sheet.locator('#sheet-letter').innerText();
  for (const [name, value] of [['Surat dari', LETTER.sender], ['Nomor surat', LETTER.number], ['Perihal', LETTER.subject],
    ['Sifat', 'Biasa, Segera'], ['Nomor agenda', '/'], ['Diterima tanggal', ''], ['Tanggal surat', '']]) {
    assert.ok(letterTable.includes(name), `sheet shows ${name}`);
    assert.ok(letterTable.includes(value), `sheet shows ${name}: ${value}`);
  }
  assert.deepEqual(await sheet.locator('#sheet-to li').allTextContents(), ['Sekretaris Daerah']);
  const ticked = await sheet.locator('.sheet-ticked').evaluateAll((els) => els.map((e) => e.dataset.code));
  assert.deepEqual(ticked, ['tindak_lanjuti', 'koordinasikan']);
  const all = await sheet.locator('.sheet-instruction').count();
  assert.ok(all >= 7, `every standard instruction is printed (${all})`);
  assert.match(await sheet.locator('#sheet-note').textContent(), new RegExp(NOTE.replace('.', '\\.')));
  const sign = await sheet.locator('#sheet-sign').innerText();
  assert.match(sign, /Walikota Pekanbaru/);
  assert.match(sign, /H\. Muhammad Rizal, S\.E\., M\.M\./);
  await fitsPhone(w, 'disposition-sheet');
  assert.match(sign, /\d{1,2} (Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|Desember) \d{4}/);

  await w.page.emulateMedia({ media: 'print' });
  try {
    assert.ok(await sheet.isVisible(), 'the sheet is printed');
    for (const sel of ['.topbar', '#nav', '.app-footer', '#print-sheet', '.sheet-nav']) {
      assert.equal(await w.page.locator(sel).first().isVisible(), false, `${sel} hidden in print`);
    }
    const stray = await w.page.evaluate(() => {
      const s = document.getElementById('sheet');
      const out = [];
      for (const el of document.body.querySelectorAll('*')) {
        if (s.contains(el) || el.contains(s)) continue;
        const r = el.getBoundingClientRect();
        const cs = getComputedStyle(el);
        if (r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none') {
          out.push(`${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join('.')}`);
        }
      }
      return out;
    });
    assert.deepEqual(stray, [], 'only the sheet is printed');
    await w.shot('disposition-sheet-print.png');
    const pdf = await w.page.pdf({ format: 'A4' });
    assert.ok(pdf.length > 1000, 'a PDF came out');
    await fs.writeFile(path.join(OUTPUT, 'disposition-sheet.pdf'), pdf);
  } finally {
    await w.page.emulateMedia({ media: 'screen' });
  }
});

test('(d) the sekda completes with a report, then the walikota, and the letter is finished', async () => {
  assert.ok(receivedId, 'needs the disposition from (b)');
  const u = onPage(desk);
  await u.signOut();
  await u.signIn('sekda', '/kotak-masuk');
  await u.heading('Kotak Masuk');
  const item = u.page.locator('.inbox-item', { hasText: LETTER.subject });
  await item.waitFor();
  assert.match(await item.textContent(), /Walikota Pekanbaru/);
  assert.match(await item.textContent(), /Untuk ditindaklanjuti; Koordinasikan/);
  await item.getByRole('link', { name: LETTER.subject }).click();
  await u.heading(LETTER.subject);
  const card = await u.page.locator('#disposition-card').innerText();
  assert.match(card, new RegExp(NOTE.replace('.', '\\.')));
  const form = u.page.locator('#complete-form');
  await form.waitFor();
  // A report is required, beside the field.
  await form.getByRole('button', { name: 'Selesaikan' }).click();
  await u.page.locator('#report-error', { hasText: 'Wajib diisi.' }).waitFor();
  await form.getByLabel(/Laporan tindak lanjut/).fill(REPORT_SEKDA);
  const done = u.response(/^\/api\/dispositions\/\d+\/complete$/, 'POST');
  await form.getByRole('button', { name: 'Selesaikan' }).click();
  assert.equal((await done).status(), 200);
  await u.page.locator('#disposition-message', { hasText: 'Disposisi selesai.' }).waitFor();
  assert.equal(await u.page.locator('#complete-form').count(), 0);
  await u.shot('dispositions-sekda-done.png');

  // The walikota completes the top of the tree.
  const w = onPage(leader);
  await w.page.goto(`${BASE}/#/disposisi/${receivedId}`);
  await w.heading(LETTER.subject);
  const wform = w.page.locator('#complete-form');
  await wform.waitFor();
  assert.match(await w.page.locator('.dnode', { hasText: 'Sekretaris Daerah' }).textContent(), new RegExp(RUN));
  await wform.getByLabel(/Laporan tindak lanjut/).fill(REPORT_WALIKOTA);
  const wdone = w.response(`/api/dispositions/${receivedId}/complete`, 'POST');
  await wform.getByRole('button', { name: 'Selesaikan' }).click();
  const res = await wdone;
  assert.equal((await res.json()).letter.status, 'selesai');
  await w.page.locator('#disposition-message', { hasText: 'Semua cabang disposisi surat ini telah selesai' }).waitFor();

  // The letter page: finished, the tree with reads, reports and who did them.
  await w.page.locator('#open-letter').click();
  await w.heading(LETTER.subject);
  assert.equal((await w.page.locator('.page-lead .status').first().textContent()).trim(), 'Selesai');
  const tree = w.page.locator('#dispositions');
  const nodes = tree.locator('.dnode');
  assert.equal(await nodes.count(), 2);
  const top = await nodes.nth(0).locator(':scope > .dnode-card').innerText();
  assert.match(top, /Walikota Pekanbaru/);
  assert.match(top, /Laporan: Disetujui\./);
  assert.match(top, /Dibaca .* oleh H\. Muhammad Rizal/);
  const child = await nodes.nth(1).innerText();
  assert.match(child, /Sekretaris Daerah/);
  assert.match(child, /dari Walikota Pekanbaru, oleh H\. Muhammad Rizal/);
  assert.match(child, /Instruksi: Untuk ditindaklanjuti; Koordinasikan/);
  assert.match(child, /Selesai .* oleh Dr\. Hendra Saputra/);
  assert.ok(child.includes(REPORT_SEKDA));
  assert.equal(await tree.locator('.dbranch-overdue').count(), 0);
  await w.shot('dispositions-letter-tree.png');
  await fitsPhone(w, 'dispositions-letter-tree');
});

test('(e) the front desk routes a letter registered without routing, from its page', async () => {
  const u = onPage(desk);
  await u.signOut();
  await u.signIn('umum');
  const subject = `Surat belum diteruskan ${RUN}`;
  const created = await u.page.evaluate(async (body) => {
    const r = await fetch('/api/letters', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': sessionStorage.getItem('esurat.csrf') },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  }, { direction: 'in', letter_number: `${LETTER.number}-2`, sender: LETTER.sender, recipient: 'Sekretaris Daerah', subject });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.status, 'baru');
  await u.page.goto(`${BASE}/#/surat/${created.body.id}`);
  await u.heading(subject);
  const form = u.page.locator('#route-form');
  await form.waitFor();
  const options = await form.locator('#route-to option').allTextContents();
  assert.ok(options.every((t) => /^(Walikota Pekanbaru|Sekretaris Daerah)/.test(t)), `entry points only: ${options}`);
  const sekda = await form.locator('#route-to option', { hasText: 'Sekretaris Daerah' }).getAttribute('value');
  await form.locator('#route-to').selectOption(sekda);
  const sent = u.response(`/api/letters/${created.body.id}/dispositions`, 'POST');
  await form.getByRole('button', { name: 'Teruskan' }).click();
  assert.equal((await sent).status(), 201);
  await u.page.locator('#dispositions .dnode', { hasText: 'Sekretaris Daerah' }).waitFor();
  assert.equal(await u.page.locator('#route-form').count(), 0, 'routed: the form is gone');
  assert.equal((await u.page.locator('.page-lead .status').first().textContent()).trim(), 'Didisposisi');
});

test('(f) no console errors, page errors, failed loads or CSP violations', () => {
  assertClean(leader, 'walikota');
  assertClean(desk, 'umum/sekda');
});
