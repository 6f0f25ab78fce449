// #/arsip/retensi — "Retensi Arsip": the letters due for transfer to the
// records centre, destruction, transfer to the archive institution or
// review, from the retention schedule (JRA) of their classification
// (GET /api/retention), with a CSV of the same report.

import * as api from '../api.js';
import { h, append, replace, setText } from '../dom.js';
import { field } from '../forms.js';
import { pagedList } from '../lists.js';
import { agendaLabel, formatDate, label, text, todayIso } from '../format.js';

export const ACTION_LABELS = {
  inaktif: 'Pindah ke arsip inaktif',
  musnah: 'Usul musnah',
  permanen: 'Serahkan ke lembaga kearsipan (permanen)',
  dinilai_kembali: 'Dinilai kembali',
  aktif: 'Masih aktif',
  tanpa_jra: 'Tanpa jadwal retensi',
};
const DUE = ['inaktif', 'musnah', 'permanen', 'dinilai_kembali'];
const FINAL_LABELS = { musnah: 'Musnah', permanen: 'Permanen', dinilai_kembali: 'Dinilai kembali' };
const PAGE_SIZE = 100;

function row(item) {
  const letter = item.letter || {};
  const years = item.rule_code
    ? `${text(item.active_years)} th aktif, ${text(item.inactive_years)} th inaktif, ${label(FINAL_LABELS, item.final_disposition)} (${text(item.rule_code)})`
    : '—';
  return h(
    'tr',
    { dataset: { id: text(letter.id) } },
    h('td', { dataset: { label: 'Agenda' } }, agendaLabel(letter), ' ', text(letter.unit && letter.unit.code)),
    h('td', { dataset: { label: 'Perihal' } }, h('a', { href: `#/surat/${encodeURIComponent(letter.id)}` }, text(letter.subject) || '(tanpa perihal)')),
    h('td', { dataset: { label: 'Klasifikasi' } }, text(letter.classification) || '—'),
    h('td', { dataset: { label: 'Registrasi' } }, formatDate(letter.registered_on)),
    h('td', { dataset: { label: 'JRA' } }, years),
    h('td', { dataset: { label: 'Tindakan' } }, label(ACTION_LABELS, item.action)),
    h('td', { dataset: { label: 'Jatuh tempo' } }, item.due_on ? formatDate(item.due_on) : '—'),
  );
}

export async function renderRetention(view, { query, signal, navigate }) {
  const f = {
    as_of: field({ id: 'r-as-of', name: 'as_of', label: 'Per tanggal', type: 'date' }),
    action: field({
      id: 'r-action', name: 'action', label: 'Tindakan', type: 'select',
      options: [['', 'Semua yang jatuh tempo'], ...Object.entries(ACTION_LABELS)],
    }),
  };
  f.as_of.control.value = query.get('as_of') || todayIso();
  f.action.control.value = query.get('action') || '';
  const params = { as_of: f.as_of.control.value, action: f.action.control.value, limit: PAGE_SIZE };

  const csv = h('a', { class: 'btn btn-secondary', id: 'retention-csv', download: '' }, 'Unduh CSV');
  const q = new URLSearchParams({ as_of: params.as_of, format: 'csv' });
  if (params.action) q.set('action', params.action);
  csv.setAttribute('href', `/api/retention?${q.toString()}`);

  const form = h(
    'form',
    { class: 'card filters', id: 'retention-form', novalidate: true, 'aria-label': 'Saring laporan retensi' },
    h('div', { class: 'filters-grid' }, f.as_of.element, f.action.element),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Tampilkan'), csv),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (f.as_of.control.value) p.set('as_of', f.as_of.control.value);
    if (f.action.control.value) p.set('action', f.action.control.value);
    navigate(`/arsip/retensi?${p.toString()}`);
  });

  const report = retentionReport({ params, signal });
  append(
    view,
    h('h1', { class: 'page-title', tabindex: '-1' }, 'Retensi Arsip'),
    h('p', { class: 'page-lead' }, 'Surat yang jatuh tempo menurut jadwal retensi arsip (JRA) klasifikasinya; masa retensi dihitung sejak tanggal registrasi.'),
    form,
    report.nodes,
  );
  await report.load();
}

/**
 * The retention report (counts, then the letters in a table, page by page):
 * { nodes, load(), status }. params: as_of, action, limit (GET /api/retention).
 * Shown on this page and on the records office's start page.
 */
export function retentionReport({ params, signal }) {
  const summary = h('dl', { class: 'details', id: 'retention-counts' });
  const status = h('p', { class: 'list-status', role: 'status', id: 'retention-status' }, 'Memuat…');
  const tbody = h('tbody', {});
  const table = h(
    'table',
    { class: 'registry', id: 'retention-table', hidden: true },
    h('caption', { class: 'visually-hidden' }, 'Surat menurut tindakan retensi'),
    h('thead', {}, h('tr', {}, ['Agenda', 'Perihal', 'Klasifikasi', 'Registrasi', 'JRA', 'Tindakan', 'Jatuh tempo'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );
  let shown = 0;
  const pager = pagedList({
    id: 'retention-more',
    status,
    loadPage: async (cursor) => {
      const data = await api.get('/api/retention', { query: { ...params, cursor }, signal });
      if (!cursor) {
        const counts = (data && data.counts) || {};
        const order = [...DUE, 'aktif', 'tanpa_jra'];
        replace(summary, order.map((k) => h('div', { class: 'details-row' }, h('dt', {}, ACTION_LABELS[k]), h('dd', {}, text(counts[k] || 0)))));
        if (data && data.withheld) {
          append(summary, h('div', { class: 'details-row' }, h('dt', {}, 'Surat rahasia tidak ditampilkan'), h('dd', {}, text(data.withheld))));
        }
      }
      const items = data && Array.isArray(data.items) ? data.items : [];
      const rows = items.map(row);
      append(tbody, rows);
      shown += items.length;
      const next = data && data.next_cursor ? data.next_cursor : null;
      table.hidden = shown === 0;
      setText(status, shown ? `${shown} surat ditampilkan${next ? '; masih ada lagi' : ''}.` : 'Tidak ada surat untuk tindakan ini.');
      return { nodes: rows, next };
    },
  });
  return {
    nodes: [
      h('section', { class: 'card', 'aria-labelledby': 'retention-counts-title' }, h('h2', { class: 'card-title', id: 'retention-counts-title' }, 'Ringkasan'), summary),
      status,
      h('div', { class: 'table-wrap' }, table),
      pager.element,
    ],
    load: pager.first,
    status,
  };
}
