// #/ — "Beranda": the start page of each role, the work of the day first.
// A user with several roles sees each role's part, in this order:
//   front desk   letters not yet routed (each routed with one click) and
//                today's registrations, a button to register the next one;
//   officials    (whoever holds a position) the inbox counts and the open
//                dispositions by deadline;
//   archivists   the archive search;
//   records      the export of a period and the retention due;
//   admin        the way to the administration pages.
// Every part loads on its own: one that fails says so and the rest stay.

import * as api from '../api.js';
import { h, append, details, replace, setText } from '../dom.js';
import { formatDate, positionLabel, roleLabel, todayIso } from '../format.js';
import {
  countTiles, dueSoon, inboxItem, instructionLabels, isHolder, loadInstructions, routeForm, sortInbox,
} from '../dispositions.js';
import { entryPoints, loadOptional } from '../letterform.js';
import { letterRow, lettersTable } from '../lists.js';
import { SEARCH_TIPS, searchLine } from './search.js';
import { exportPanel } from './export.js';
import { retentionReport } from './retention.js';

function todayLong() {
  try {
    return new Intl.DateTimeFormat('id-ID', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Asia/Jakarta' }).format(new Date());
  } catch {
    return formatDate(todayIso());
  }
}

/** A card of the start page: { section, body, status }. */
function part(id, title, ...lead) {
  const status = h('p', { class: 'list-status', role: 'status', id: `${id}-status` });
  const body = h('div', { class: 'part-body' });
  const section = h(
    'section',
    { class: 'card home-part', id, 'aria-labelledby': `${id}-title` },
    h('h2', { class: 'card-title', id: `${id}-title` }, title),
    lead.length ? h('p', { class: 'hint' }, lead) : null,
    status,
    body,
  );
  return { section, body, status };
}

/** Runs a part's loading; a failure is said in the part, not on the page. */
async function fill(p, load) {
  setText(p.status, 'Memuat…');
  try {
    await load();
  } catch (err) {
    if (err && err.name === 'AbortError') return;
    if (err instanceof api.ApiError && err.status === 401) return;
    if (!(err instanceof api.ApiError)) console.warn('e-Surat: start page', err);
    setText(p.status, `Gagal memuat. ${api.errorMessage(err)}`);
  }
}

// ---- front desk -------------------------------------------------------------

/** The registry's columns on the start page (the day is today's). */
const SHORT = ['agenda', 'number', 'party', 'subject'];

function frontDeskParts(signal) {
  const unrouted = part('home-unrouted', 'Belum diteruskan', 'Surat masuk yang belum sampai ke kotak masuk pimpinan. Pilih pimpinan, lalu Teruskan.');
  const today = part('home-today', 'Registrasi hari ini');
  const start = h(
    'p',
    { class: 'home-actions' },
    h('a', { class: 'btn btn-primary', href: '#/surat/baru', id: 'home-register' }, 'Registrasi surat baru'),
    h('a', { class: 'btn btn-secondary', href: '#/surat' }, 'Daftar surat'),
  );

  const loadUnrouted = async () => {
    const [data, positions] = await Promise.all([
      api.get('/api/letters', { query: { direction: 'in', status: 'baru', limit: 50 }, signal }),
      loadOptional('/api/positions', signal),
    ]);
    const entries = entryPoints(positions);
    const items = Array.isArray(data.items) ? data.items : [];
    const { element, table, tbody } = lettersTable({ id: 'unrouted-table', caption: 'Surat yang belum diteruskan', columns: SHORT, action: 'Teruskan kepada' });
    let left = items.length;
    const says = () => (left ? `${left} surat belum diteruskan${data.next_cursor ? ' (50 terbaru ditampilkan)' : ''}.` : 'Semua surat sudah diteruskan.');
    const rows = items.map((letter) => {
      const row = letterRow(letter, {
        columns: SHORT,
        action: 'Teruskan kepada',
        extra: entries.length && routeForm(letter, {
          entries,
          signal,
          compact: true,
          onDone: (_answer, to) => {
            // The row goes; the focus to the next row's choice (or the heading).
            const next = row.nextElementSibling || row.previousElementSibling;
            row.remove();
            left -= 1;
            table.hidden = left === 0;
            setText(unrouted.status, `Surat "${letter.subject}" diteruskan kepada ${to ? to.title : 'pimpinan'}. ${says()}`);
            const focus = next && next.querySelector('select');
            if (focus) focus.focus();
            else unrouted.section.querySelector('h2').focus();
          },
        }),
      });
      return row;
    });
    append(tbody, rows);
    table.hidden = rows.length === 0;
    unrouted.section.querySelector('h2').setAttribute('tabindex', '-1');
    replace(unrouted.body, element);
    setText(unrouted.status, says());
  };

  const loadToday = async () => {
    const day = todayIso();
    const data = await api.get('/api/letters', { query: { direction: 'in', from: day, to: day, limit: 50 }, signal });
    const items = Array.isArray(data.items) ? data.items : [];
    const columns = [...SHORT, 'status'];
    const { element, table, tbody } = lettersTable({ id: 'today-table', caption: 'Surat yang diregistrasi hari ini', columns });
    append(tbody, items.map((l) => letterRow(l, { columns })));
    table.hidden = items.length === 0;
    replace(today.body, element, data.next_cursor ? h('p', {}, h('a', { href: `#/surat?direction=in&from=${day}&to=${day}` }, 'Lihat semua')) : null);
    setText(today.status, items.length ? `${items.length}${data.next_cursor ? '+' : ''} surat masuk diregistrasi hari ini.` : 'Belum ada surat masuk hari ini.');
  };

  return {
    nodes: [start, unrouted.section, today.section],
    load: () => Promise.all([fill(unrouted, loadUnrouted), fill(today, loadToday)]),
  };
}

// ---- officials ----------------------------------------------------------------

function officialParts(signal) {
  const inbox = part('home-inbox', 'Kotak masuk', 'Disposisi yang belum selesai, batas waktu terdekat di atas.');
  const load = async () => {
    const [data, instructions] = await Promise.all([
      api.get('/api/inbox', { query: { status: 'open', limit: 200 }, signal }),
      loadInstructions().catch(() => []),
    ]);
    const items = Array.isArray(data.items) ? data.items.filter((i) => i && i.disposition) : [];
    const labels = instructionLabels(instructions);
    const first = sortInbox(items, 'batas').slice(0, 10);
    replace(
      inbox.body,
      countTiles(data.counts || {}, dueSoon(items).length),
      first.length
        ? h('ul', { class: 'inbox-list plain-list', id: 'home-inbox-list' }, first.map((i) => inboxItem(i, labels)))
        : h('p', { class: 'hint' }, 'Tidak ada disposisi yang belum selesai.'),
      h('p', {}, h('a', { href: '#/kotak-masuk', id: 'home-inbox-link' }, 'Buka kotak masuk')),
    );
    setText(inbox.status, '');
  };
  return { nodes: [inbox.section], load: () => fill(inbox, load) };
}

// ---- archivists ----------------------------------------------------------------

function archivistParts(navigate) {
  const { box, line } = searchLine('home-search-q');
  const form = h(
    'form',
    { class: 'card search-form home-part', id: 'home-search', role: 'search', 'aria-labelledby': 'home-search-title', novalidate: true },
    h('h2', { class: 'card-title', id: 'home-search-title' }, 'Cari arsip'),
    h('p', { class: 'hint' }, 'Isi surat (teks hasil OCR), nomor, perihal, pengirim dan catatan disposisi.'),
    line,
    h('p', { class: 'hint' }, SEARCH_TIPS),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = box.value.trim();
    navigate(q ? `/cari?q=${encodeURIComponent(q)}` : '/cari');
  });
  return { nodes: [form], load: () => Promise.resolve() };
}

// ---- records office -------------------------------------------------------------

function recordsParts(signal, roles) {
  const nodes = [];
  let load = () => Promise.resolve();
  if (roles.includes('records') || roles.includes('archivist')) {
    nodes.push(h(
      'section',
      { class: 'card home-part', id: 'home-export', 'aria-labelledby': 'home-export-title' },
      h('h2', { class: 'card-title', id: 'home-export-title' }, 'Ekspor arsip'),
      h('p', { class: 'hint' }, 'Paket BagIt satu periode: metadata, pindaian asli, teks OCR dan log disposisi, dengan sha256.'),
      exportPanel(signal),
    ));
  }
  if (roles.includes('records')) {
    const report = retentionReport({ params: { as_of: todayIso(), limit: 10 }, signal });
    nodes.push(h(
      'section',
      { class: 'card home-part', id: 'home-retention', 'aria-labelledby': 'home-retention-title' },
      h('h2', { class: 'card-title', id: 'home-retention-title' }, 'Retensi jatuh tempo'),
      report.nodes,
      h('p', {}, h('a', { href: '#/arsip/retensi' }, 'Laporan retensi lengkap dan CSV')),
    ));
    load = () => report.load().catch((err) => {
      if (err && err.name === 'AbortError') return;
      setText(report.status, `Gagal memuat. ${api.errorMessage(err)}`);
    });
  }
  return { nodes, load };
}

// ---- the page -------------------------------------------------------------------

function accountCard(user) {
  return h(
    'section',
    { class: 'card home-account', 'aria-labelledby': 'account-title' },
    h('h2', { id: 'account-title', class: 'card-title' }, 'Akun Anda'),
    details([
      ['Nama', user.name],
      ['Nama pengguna', user.username],
      ['NIP', user.nip],
      ['Peran', user.roles.length ? user.roles.map(roleLabel).join(', ') : '—'],
      ['Jabatan', user.positions.length
        ? h('ul', { class: 'plain-list' }, user.positions.map((p) => h('li', {}, positionLabel(p))))
        : 'Tidak memegang jabatan.'],
    ]),
  );
}

export async function renderHome(view, { user, signal, navigate }) {
  const parts = [];
  if (user.roles.includes('front_desk')) parts.push(frontDeskParts(signal));
  if (isHolder(user)) parts.push(officialParts(signal));
  if (user.roles.includes('archivist')) parts.push(archivistParts(navigate));
  if (user.roles.includes('records') || user.roles.includes('archivist')) parts.push(recordsParts(signal, user.roles));
  if (user.roles.includes('admin')) {
    parts.push({
      nodes: [h(
        'section',
        { class: 'card home-part', id: 'home-admin', 'aria-labelledby': 'home-admin-title' },
        h('h2', { class: 'card-title', id: 'home-admin-title' }, 'Administrasi'),
        h('p', { class: 'hint' }, 'Pengguna, unit, jabatan dan Plt/Plh, kode klasifikasi, instruksi disposisi, templat nomor.'),
        h('p', { class: 'home-actions' },
          h('a', { class: 'btn btn-primary', href: '#/admin', id: 'home-admin-link' }, 'Buka administrasi'),
          h('a', { class: 'btn btn-secondary', href: '#/admin/instruksi' }, 'Instruksi disposisi')),
      )],
      load: () => Promise.resolve(),
    });
  }

  append(
    view,
    h('h1', { class: 'page-title', id: 'welcome', tabindex: '-1' }, `Selamat datang, ${user.name}`),
    h('p', { class: 'page-lead' }, todayLong()),
    parts.map((p) => p.nodes),
    parts.length ? null : h('p', { class: 'hint' }, 'Gunakan menu untuk membuka halaman kerja Anda.'),
    accountCard(user),
  );
  await Promise.all(parts.map((p) => p.load()));
}
