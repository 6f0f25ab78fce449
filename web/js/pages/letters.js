// #/surat — "Daftar Surat": the registry list with its filters. The filters
// live in the hash (#/surat?number=…&sender=…) so that a filtered list can be
// bookmarked and the back button works. Keyset pagination: "Muat lebih banyak"
// asks for the next page with next_cursor.

import * as api from '../api.js';
import { h, append, setText } from '../dom.js';
import { field } from '../forms.js';
import {
  DIRECTION_LABELS, SECURITY_LABELS, STATUS_LABELS, agendaLabel, formatDate, formatDay, label, text,
} from '../format.js';

const FILTERS = ['number', 'sender', 'classification', 'from', 'to', 'direction', 'status'];
const PAGE_SIZE = 50;

function letterRow(letter) {
  const href = `#/surat/${encodeURIComponent(letter.id)}`;
  const security = letter.security && letter.security !== 'biasa'
    ? h('span', { class: ['badge', `badge-${letter.security}`] }, label(SECURITY_LABELS, letter.security))
    : null;
  const numberCell = [
    h('span', { class: 'cell-main' }, text(letter.letter_number) || '—'),
    letter.letter_date ? h('span', { class: 'cell-sub' }, formatDate(letter.letter_date)) : null,
  ];
  return h(
    'tr',
    { dataset: { id: text(letter.id) } },
    h('td', { dataset: { label: 'Agenda' } }, h('span', { class: 'cell-main' }, agendaLabel(letter)), h('span', { class: 'cell-sub' }, label(DIRECTION_LABELS, letter.direction))),
    h('td', { dataset: { label: 'Diterima' } }, formatDay(letter.received_at || letter.created_at) || '—'),
    h('td', { dataset: { label: 'Nomor surat' } }, numberCell),
    h('td', { dataset: { label: letter.direction === 'out' ? 'Kepada' : 'Pengirim' } }, text(letter.direction === 'out' ? letter.recipient : letter.sender)),
    h('td', { class: 'cell-subject', dataset: { label: 'Perihal' } }, h('a', { href, class: 'letter-link' }, text(letter.subject) || '(tanpa perihal)'), security ? ' ' : null, security),
    h('td', { dataset: { label: 'Klasifikasi' } }, text(letter.classification) || '—'),
    h('td', { dataset: { label: 'Status' } }, h('span', { class: ['status', `status-${text(letter.status)}`] }, label(STATUS_LABELS, letter.status))),
  );
}

export async function renderLetters(view, { query, signal, navigate }) {
  const f = {
    number: field({ id: 'f-number', name: 'number', label: 'Nomor surat', hint: 'Utuh atau sebagian, mis. 123/Disdik', attrs: { type: 'search', autocomplete: 'off', spellcheck: 'false' } }),
    sender: field({ id: 'f-sender', name: 'sender', label: 'Pengirim', attrs: { type: 'search', autocomplete: 'off' } }),
    classification: field({ id: 'f-classification', name: 'classification', label: 'Klasifikasi', hint: 'Awalan kode, mis. 005', attrs: { autocomplete: 'off', spellcheck: 'false' } }),
    from: field({ id: 'f-from', name: 'from', label: 'Dari tanggal', type: 'date' }),
    to: field({ id: 'f-to', name: 'to', label: 'Sampai tanggal', type: 'date' }),
    direction: field({ id: 'f-direction', name: 'direction', label: 'Arah', type: 'select', options: [['', 'Semua'], ['in', 'Surat masuk'], ['out', 'Surat keluar']] }),
    status: field({ id: 'f-status', name: 'status', label: 'Status', type: 'select', options: [['', 'Semua'], ...Object.entries(STATUS_LABELS)] }),
  };
  for (const name of FILTERS) f[name].control.value = query.get(name) || '';

  const form = h(
    'form',
    { class: 'card filters', id: 'letter-filters', role: 'search', 'aria-label': 'Saring daftar surat', novalidate: true },
    h('div', { class: 'filters-grid' }, FILTERS.map((name) => f[name].element)),
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Terapkan'),
      h('a', { href: '#/surat', class: 'btn btn-secondary' }, 'Atur ulang'),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const name of FILTERS) {
      const v = f[name].control.value.trim();
      if (v) params.set(name, v);
    }
    const qs = params.toString();
    navigate(qs ? `/surat?${qs}` : '/surat');
  });

  const status = h('p', { class: 'list-status', role: 'status', id: 'letters-status' }, 'Memuat…');
  const tbody = h('tbody', {});
  const table = h(
    'table',
    { class: 'registry', id: 'letters-table' },
    h('caption', { class: 'visually-hidden' }, 'Daftar surat, terbaru di atas'),
    h('thead', {}, h('tr', {}, ['Agenda', 'Diterima', 'Nomor surat', 'Pengirim / Kepada', 'Perihal', 'Klasifikasi', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );
  const more = h('button', { type: 'button', class: 'btn btn-secondary', id: 'letters-more', hidden: true }, 'Muat lebih banyak');

  append(
    view,
    h('h1', { class: 'page-title', tabindex: '-1' }, 'Daftar Surat'),
    form,
    status,
    h('div', { class: 'table-wrap' }, table),
    h('div', { class: 'list-more' }, more),
  );

  const params = { limit: PAGE_SIZE };
  for (const name of FILTERS) if (query.get(name)) params[name] = query.get(name);
  const filtered = FILTERS.some((name) => query.get(name));
  let shown = 0;
  let cursor = null;

  async function load() {
    const data = await api.get('/api/letters', { query: { ...params, cursor }, signal });
    if (signal.aborted) return [];
    const items = data && Array.isArray(data.items) ? data.items : [];
    cursor = data && data.next_cursor ? data.next_cursor : null;
    const rows = items.map(letterRow);
    append(tbody, rows);
    shown += items.length;
    table.hidden = shown === 0;
    more.hidden = !cursor;
    if (shown === 0) setText(status, filtered ? 'Tidak ada surat yang cocok dengan saringan.' : 'Belum ada surat.');
    else setText(status, `${shown} surat ditampilkan${cursor ? '; masih ada lagi' : ''}.`);
    return rows;
  }

  more.addEventListener('click', async () => {
    more.disabled = true;
    setText(status, 'Memuat…');
    try {
      const rows = await load();
      const link = rows[0] && rows[0].querySelector('a');
      if (link) link.focus();
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      setText(status, `Gagal memuat. ${api.errorMessage(err)}`);
    } finally {
      more.disabled = false;
    }
  });

  table.hidden = true;
  await load();
}
