// Browser test of the registry pages: register an incoming letter with a
// scan and print its receipt; find it in the list; open it and see the scan;
// look its tracking code up signed out; a script in the subject stays text.
//
// Drives Debian's Chromium through playwright-core (no browser download).
//
//   ESURAT_TEST_URL         base URL of the stack (default http://127.0.0.1:8080)
//   ESURAT_TEST_PASSWORD    password of the demo users          (required)
//   ESURAT_TEST_FRONT_DESK  a front desk user (default umum, the demo front desk)
//   ESURAT_TEST_OUTPUT      directory for screenshots (default tests/browser/output)
//   ESURAT_CHROMIUM         browser binary (default /usr/bin/chromium)
//
// Run: node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { openPortal } from './portal.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.ESURAT_TEST_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const USER = process.env.ESURAT_TEST_FRONT_DESK || 'umum';
const PASSWORD = process.env.ESURAT_TEST_PASSWORD || '';
const OUTPUT = path.resolve(process.env.ESURAT_TEST_OUTPUT || path.join(HERE, 'output'));

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

const TRACK_LABELS = { baru: 'Diterima', didisposisi: 'Sedang diproses', selesai: 'Selesai', diarsipkan: 'Selesai' };
const XSS = '<img src=x onerror=window.__xss=1>';

// Unique per run: the letter number is unique per sender.
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.toUpperCase();
const LETTER = {
  number: `005/${RUN}/Disdik/2025`,
  date: '2025-01-20',
  sender: `Dinas Pendidikan Uji ${RUN}`,
  recipient: 'Walikota Pekanbaru',
  subject: `Undangan Rapat Koordinasi ${RUN}`,
  summary: 'Rapat koordinasi penerimaan peserta didik baru.',
  classification: '000',
};

let browser;
let context;
let page;

// Everything that must stay empty for test (h): consoleErrors, pageErrors,
// cspViolations, badResponses.
let problems;

// Filled by the tests, in order.
let created = null; // the POST /api/letters answer
let scanAnswer = null;

// ---- a small PNG, made here ----------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** An RGB PNG: a white page with dark "text lines" and a blue letterhead. */
function makePng(width, height) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      let rgb = [255, 255, 255];
      if (y < height / 8) rgb = [23, 73, 138];
      else if (y % 12 < 3 && x > width / 10 && x < (width * 9) / 10) rgb = [40, 40, 40];
      raw.set(rgb, row + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const PNG_WIDTH = 240;
const PNG_HEIGHT = 320;
const PNG = makePng(PNG_WIDTH, PNG_HEIGHT);

// ---- helpers ----------------------------------------------------------------

function apiResponse(test, method) {
  return page.waitForResponse((r) => {
    const p = new URL(r.url()).pathname;
    return r.request().method() === method && (typeof test === 'string' ? p === test : test.test(p));
  });
}

async function shot(name, opts = {}) {
  await page.screenshot({ path: path.join(OUTPUT, name), ...opts });
}

async function noHorizontalScroll(label) {
  const { scrollWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth }));
  assert.ok(scrollWidth <= PHONE.width, `${label}: horizontal scrollbar at ${PHONE.width}px (scrollWidth ${scrollWidth})`);
}

async function heading(text) {
  await page.waitForFunction((t) => {
    const h1 = document.querySelector('.view h1');
    return h1 && h1.textContent.trim() === t && h1.offsetParent !== null;
  }, text);
}

async function signIn(route) {
  await page.goto(`${BASE}/#${route}`);
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.locator('#username').fill(USER);
  await page.locator('#password').fill(PASSWORD);
  const answer = apiResponse('/api/auth/login', 'POST');
  await page.getByRole('button', { name: 'Masuk', exact: true }).click();
  assert.equal((await answer).status(), 200, `login as ${USER}`);
  await page.locator('#shell').waitFor({ state: 'visible' });
}

async function signOut() {
  const res = apiResponse('/api/auth/logout', 'POST');
  await page.getByRole('button', { name: 'Keluar', exact: true }).click();
  assert.equal((await res).status(), 204);
  await page.locator('#login').waitFor({ state: 'visible' });
}

/** Fill the registration form (on #/surat/baru) and submit; returns the letter. */
async function register(letter, { file } = {}) {
  await heading('Registrasi Surat');
  await page.getByLabel('Nomor surat', { exact: true }).fill(letter.number);
  await page.getByLabel('Tanggal surat', { exact: true }).fill(letter.date);
  await page.getByLabel('Pengirim').fill(letter.sender);
  await page.getByLabel('Penerima / Kepada').fill(letter.recipient);
  await page.getByLabel('Perihal').fill(letter.subject);
  await page.getByLabel('Ringkasan').fill(letter.summary);
  await page.getByLabel('Kode klasifikasi').fill(letter.classification);
  await page.getByLabel('Sifat').selectOption('biasa');
  await page.getByLabel('Urgensi').selectOption('segera');
  let draftAnswer = null;
  if (file) {
    // The first file goes up at once as a draft scan, for OCR suggestions.
    const draft = apiResponse('/api/scans', 'POST');
    await page.locator('#scans-input').setInputFiles(file);
    await page.locator('.file-item', { hasText: file.name }).waitFor();
    const d = await draft;
    draftAnswer = await d.json();
    assert.equal(d.status(), 201, `draft scan upload: ${JSON.stringify(draftAnswer)}`);
    assert.equal(d.request().headers()['content-type'], file.mimeType, 'the scan is sent with its type');
    assert.equal(d.request().headers()['x-file-name'], encodeURIComponent(file.name), 'the scan carries its name');
  }
  const answer = apiResponse('/api/letters', 'POST');
  const upload = file ? apiResponse(/^\/api\/letters\/[^/]+\/scans$/, 'POST') : null;
  await page.getByRole('button', { name: /^Simpan/ }).click();
  const res = await answer;
  const body = await res.json();
  assert.equal(res.status(), 201, `POST /api/letters: ${JSON.stringify(body)}`);
  if (upload) {
    const up = await upload;
    scanAnswer = await up.json();
    // Saved: the draft is attached to the new letter, not sent again.
    assert.equal(up.status(), 200, `scan attach: ${JSON.stringify(scanAnswer)}`);
    assert.deepEqual(JSON.parse(up.request().postData()), { scan_id: draftAnswer.id });
    assert.equal(scanAnswer.id, draftAnswer.id, 'the draft became the letter\'s scan');
  }
  await page.locator('#receipt').waitFor({ state: 'visible' });
  return body;
}

// ---- setup ----------------------------------------------------------------

before(async () => {
  assert.ok(PASSWORD, 'set ESURAT_TEST_PASSWORD (the demo users\' password)');
  await fs.mkdir(OUTPUT, { recursive: true });
  ({ browser, context, page, problems } = await openPortal({
    base: BASE,
    viewport: DESKTOP,
    // HTTP error answers the API gives by contract: 401 for GET /api/me
    // signed out, 404 for an unknown tracking code.
    expectedApiError: (status, p) =>
      (status === 401 && p === '/api/me')
      || (status === 404 && p.startsWith('/api/track/'))
      || (status === 409 && p === '/api/letters'), // test (c): a letter registered twice
  }));
});

after(async () => {
  if (browser) await browser.close();
});

// ---- tests ----------------------------------------------------------------

test('(a) the front desk registers a letter with a scan and gets the receipt', async () => {
  await signIn('/surat/baru');
  await heading('Registrasi Surat');
  const nav = page.getByRole('navigation');
  for (const name of ['Registrasi Surat', 'Daftar Surat']) {
    assert.equal(await nav.getByRole('link', { name, exact: true }).count(), 1, `menu link "${name}"`);
  }
  await page.waitForLoadState('networkidle');
  await shot('register-form.png', { fullPage: true });

  // Required fields are checked before anything is sent, beside the field.
  await page.getByRole('button', { name: /^Simpan/ }).click();
  const senderError = page.locator('#sender-error');
  await senderError.waitFor({ state: 'visible' });
  assert.equal((await senderError.textContent()).trim(), 'Wajib diisi.');
  assert.equal(await page.locator('#sender').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#sender').getAttribute('aria-describedby'), /\bsender-error\b/);
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'sender');

  const file = { name: `surat-${RUN}.png`, mimeType: 'image/png', buffer: PNG };
  created = await register(LETTER, { file });
  assert.ok(created.id !== undefined && created.id !== null, 'the letter has an id');
  assert.match(String(created.tracking_code || ''), /^[A-Za-z0-9-]{10,}$/, 'a tracking code of at least 10 characters');
  assert.equal(scanAnswer.mime, 'image/png');

  const receipt = page.locator('#receipt');
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'receipt-title');
  assert.equal((await receipt.locator('h1').textContent()).trim(), 'Tanda Terima');
  assert.equal((await page.locator('#tracking-code').textContent()).trim(), created.tracking_code);
  const text = await receipt.textContent();
  assert.ok(text.includes(`${created.agenda_number}`), 'receipt shows the agenda number');
  assert.ok(text.includes(LETTER.sender), 'receipt shows the sender');
  assert.ok(text.includes(LETTER.subject), 'receipt shows the subject');
  assert.ok(text.includes('Diterima tanggal'), 'receipt shows the date received');
  // The code is printed large.
  const size = await page.locator('#tracking-code').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(size >= 24, `tracking code font size ${size}px`);
  await page.locator('.notice', { hasText: '1 pindaian terunggah.' }).waitFor();

  await shot('receipt-desktop.png', { fullPage: true });
  await page.setViewportSize(PHONE);
  await noHorizontalScroll('receipt');
  await shot('receipt-phone.png', { fullPage: true });
  await page.setViewportSize(DESKTOP);
});

test('(b) printing the receipt prints only the receipt', async () => {
  assert.ok(created, 'needs the letter from (a)');
  await page.emulateMedia({ media: 'print' });
  try {
    assert.ok(await page.locator('#receipt').isVisible(), 'receipt visible in print');
    assert.ok(await page.locator('#tracking-code').isVisible(), 'tracking code visible in print');
    for (const sel of ['.topbar', '#nav', '.app-footer', '.receipt-actions', '#print-receipt']) {
      assert.equal(await page.locator(sel).first().isVisible(), false, `${sel} hidden in print`);
    }
    // Every element that takes room on paper is the receipt, inside it, or a container of it.
    const stray = await page.evaluate(() => {
      const receipt = document.getElementById('receipt');
      const out = [];
      for (const el of document.body.querySelectorAll('*')) {
        if (receipt.contains(el) || el.contains(receipt)) continue;
        const r = el.getBoundingClientRect();
        const cs = getComputedStyle(el);
        if (r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none') {
          out.push(`${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join('.')}`);
        }
      }
      return out;
    });
    assert.deepEqual(stray, [], 'only the receipt is printed');
    await shot('receipt-print.png', { fullPage: true });
    const pdf = await page.pdf({ format: 'A4' });
    await fs.writeFile(path.join(OUTPUT, 'receipt.pdf'), pdf);
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
});

test('(c) the same letter registered twice: the API error is shown beside the field', async () => {
  assert.ok(created, 'needs the letter from (a)');
  await page.getByRole('link', { name: 'Registrasi surat lain' }).click();
  await heading('Registrasi Surat');
  await page.getByLabel('Nomor surat', { exact: true }).fill(LETTER.number);
  await page.getByLabel('Pengirim').fill(LETTER.sender);
  await page.getByLabel('Penerima / Kepada').fill(LETTER.recipient);
  await page.getByLabel('Perihal').fill(LETTER.subject);
  // A file dropped on the zone is taken like one chosen with the button.
  await page.locator('#scans-zone').evaluate((zone, bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'lampiran.png', { type: 'image/png' }));
    dt.items.add(new File(['x'], 'catatan.txt', { type: 'text/plain' }));
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, [...PNG]);
  await page.locator('.file-item', { hasText: 'lampiran.png' }).waitFor();
  assert.match(await page.locator('#scans-message').textContent(), /tidak didukung: catatan\.txt/);
  assert.equal(await page.locator('.file-item').count(), 1, 'only the PNG is taken');
  const answer = apiResponse('/api/letters', 'POST');
  await page.getByRole('button', { name: /^Simpan/ }).click();
  const res = await answer;
  assert.equal(res.status(), 409, 'a letter number is unique per sender');
  assert.equal((await res.json()).error?.field, 'letter_number');
  const error = page.locator('#letter_number-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.textContent(), /sudah terdaftar/);
  assert.equal(await page.locator('#letter_number').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#letter_number').getAttribute('aria-describedby'), /\bletter_number-error\b/);
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'letter_number');
  assert.equal(await page.locator('#receipt').count(), 0, 'no receipt');
  await shot('register-error.png', { fullPage: true });
});

test('(d) the letter is found in the list by its number', async () => {
  assert.ok(created, 'needs the letter from (a)');
  await page.getByRole('navigation').getByRole('link', { name: 'Daftar Surat', exact: true }).click();
  await heading('Daftar Surat');
  await page.getByLabel('Nomor surat').fill(RUN);
  const list = apiResponse('/api/letters', 'GET');
  await page.getByRole('button', { name: 'Terapkan', exact: true }).click();
  const res = await list;
  assert.equal(res.status(), 200);
  assert.equal(new URL(res.url()).searchParams.get('number'), RUN, 'the filter goes to the API as ?number=');
  assert.equal(new URL(page.url()).hash, `#/surat?number=${RUN}`, 'the filter is kept in the address');

  const row = page.locator('#letters-table tbody tr', { hasText: LETTER.number });
  await row.waitFor({ state: 'visible' });
  assert.equal(await row.count(), 1, 'exactly one row with the number');
  assert.ok((await row.textContent()).includes(LETTER.sender));
  await shot('list-desktop.png', { fullPage: true });
  await page.setViewportSize(PHONE);
  await noHorizontalScroll('list');
  // On a phone every letter is a card whose cells carry their own labels.
  const card = await page.locator('#letters-table tbody tr').first().evaluate((tr) => ({
    display: getComputedStyle(tr).display,
    label: getComputedStyle(tr.cells[0], '::before').content,
  }));
  assert.equal(card.display, 'block', 'a row is a card on a phone');
  assert.equal(card.label, '"Agenda"', 'a cell shows its label on a phone');
  await shot('list-phone.png', { fullPage: true });
  await page.setViewportSize(DESKTOP);
});

test('(e) the letter page shows the metadata, the scan image and the history', async () => {
  assert.ok(created, 'needs the letter from (a)');
  const detail = apiResponse(`/api/letters/${created.id}`, 'GET');
  await page.locator('#letters-table tbody tr', { hasText: LETTER.number }).getByRole('link', { name: LETTER.subject }).click();
  assert.equal((await detail).status(), 200);
  await heading(LETTER.subject);
  const details = await page.locator('#letter-details').textContent();
  for (const v of [LETTER.number, LETTER.sender, LETTER.recipient, created.tracking_code]) {
    assert.ok(details.includes(v), `metadata shows ${v}`);
  }
  const img = page.locator('#scans img.scan-image').first();
  await img.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => {
    const el = document.querySelector('#scans img.scan-image');
    return el && el.complete && el.naturalWidth > 0;
  });
  assert.equal(await img.evaluate((el) => el.naturalWidth), PNG_WIDTH, 'the scan image is loaded');
  assert.match(await img.getAttribute('src'), /^\/api\/scans\/[^/]+\/file$/);
  await page.locator('.scan-ocr').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('.scan-ocr').textContent.startsWith('Memeriksa'));
  assert.ok((await page.locator('#history li').count()) >= 1, 'the history lists the registration');
  await shot('letter-desktop.png', { fullPage: true });
  await page.setViewportSize(PHONE);
  await noHorizontalScroll('letter page');
  await shot('letter-phone.png', { fullPage: true });
  await page.setViewportSize(DESKTOP);
});

test('(f) a script in the subject is shown as text, never run', async () => {
  const letter = {
    ...LETTER,
    number: `${LETTER.number}-X`,
    subject: XSS,
    summary: `<script>window.__xss=2</script>`,
    sender: `${LETTER.sender} <b>tebal</b>`,
  };
  await page.evaluate(() => { window.location.hash = '#/surat/baru'; });
  const answer = await register(letter);
  assert.equal(answer.subject, XSS, 'the API keeps the subject as it was typed');
  assert.ok((await page.locator('#receipt').textContent()).includes(XSS), 'receipt shows the payload as text');

  await page.evaluate((n) => { window.location.hash = `#/surat?number=${encodeURIComponent(n)}`; }, letter.number);
  const row = page.locator('#letters-table tbody tr', { hasText: letter.number });
  await row.waitFor({ state: 'visible' });
  assert.ok((await row.textContent()).includes(XSS), 'list shows the payload as text');
  await row.getByRole('link').click();
  await heading(XSS);
  assert.ok((await page.locator('#letter-details').textContent()).includes(letter.summary));
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'window.__xss stays undefined');
  assert.equal(await page.locator('img[src="x"], b, script:not([src])').count(), 0, 'no element made from the data');
});

test('(g) signed out, the tracking page tells the status and nothing of the content', async () => {
  assert.ok(created, 'needs the letter from (a)');
  await signOut();
  const link = page.getByRole('link', { name: 'Lacak surat', exact: true });
  assert.ok(await link.isVisible(), '"Lacak surat" on the login page');
  await link.click();
  await heading('Lacak Surat');
  assert.equal(await page.locator('#shell').isVisible(), false, 'no shell signed out');
  assert.equal(await page.locator('#login').isVisible(), false, 'no login page on the public page');

  // An unknown code.
  await page.getByLabel('Kode pelacakan').fill('TIDAKADA99ZZ');
  let answer = apiResponse(/^\/api\/track\//, 'GET');
  await page.getByRole('button', { name: 'Lacak', exact: true }).click();
  assert.equal((await answer).status(), 404);
  await page.locator('#track-error', { hasText: 'Kode tidak ditemukan.' }).waitFor();

  // The real code.
  await page.getByLabel('Kode pelacakan').fill(` ${created.tracking_code} `);
  answer = apiResponse(`/api/track/${created.tracking_code}`, 'GET');
  await page.getByRole('button', { name: 'Lacak', exact: true }).click();
  const res = await answer;
  assert.equal(res.status(), 200);
  const tracked = await res.json();
  const expected = TRACK_LABELS[tracked.status];
  assert.ok(expected, `known status ${tracked.status}`);
  await page.locator('#track-status', { hasText: `Status: ${expected}` }).waitFor();
  assert.equal(await page.locator('#track-error').textContent(), '', 'no error left');
  const body = await page.locator('body').innerText();
  for (const secret of [LETTER.subject, LETTER.sender, LETTER.number, RUN]) {
    assert.ok(!body.includes(secret), `the public page shows nothing of the letter (${secret})`);
  }
  assert.ok(!body.includes('Undangan'), 'no subject words');
  await shot('track-desktop.png', { fullPage: true });
  await page.setViewportSize(PHONE);
  await noHorizontalScroll('tracking page');
  await shot('track-phone.png', { fullPage: true });
  await page.setViewportSize(DESKTOP);

  // A link with the code looks it up at once, also in a fresh browser.
  const fresh = await browser.newContext({ viewport: PHONE, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
  try {
    const p = await fresh.newPage();
    await p.goto(`${BASE}/#/lacak?kode=${encodeURIComponent(created.tracking_code)}`);
    await p.locator('#track-status', { hasText: `Status: ${expected}` }).waitFor();
    assert.equal(await p.locator('#login').isVisible(), false);
  } finally {
    await fresh.close();
  }

  // "Masuk pegawai" leads back to the login page.
  await page.getByRole('link', { name: 'Masuk pegawai' }).click();
  await page.locator('#login').waitFor({ state: 'visible' });
});

test('(h) no console errors, page errors, failed loads or CSP violations', async () => {
  await page.waitForTimeout(200);
  assert.deepEqual(problems.cspViolations, [], 'CSP violations');
  assert.deepEqual(problems.pageErrors, [], 'uncaught page errors');
  assert.deepEqual(problems.consoleErrors, [], 'console errors');
  assert.deepEqual(problems.badResponses, [], 'failed or erroneous loads');
});
