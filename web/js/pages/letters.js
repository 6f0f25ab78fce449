// #/surat — "Daftar Surat": the registry list with its filters. The filters
// live in the hash (#/surat?number=…&sender=…) so that a filtered list can be
// bookmarked and the back button works. Keyset pagination: "Muat lebih banyak"
// asks for the next page with next_cursor.

import * as api from '../api.js';
import { h, append, setText, wideScreen } from '../dom.js';
import { filterFields, filterParams } from '../forms.js';
import { STATUS_LABELS } from '../format.js';
import { letterRow, lettersTable, pagedList } from '../lists.js';

const FILTERS = ['number', 'sender', 'classification', 'from', 'to', 'direction', 'status'];
const PAGE_SIZE = 50;

export async function renderLetters(view, { query, signal, navigate }) {
  const f = filterFields('f', FILTERS, query, {
    status: { label: 'Status', type: 'select', options: [['', 'Semua'], ...Object.entries(STATUS_LABELS)] },
  });
  const filtered = FILTERS.some((name) => query.get(name));

  const form = h(
    'form',
    { class: 'card filters', id: 'letter-filters', role: 'search', 'aria-label': 'Saring daftar surat', novalidate: true },
    // On a phone the filters fold away until asked for (open when in use).
    h(
      'details',
      { class: 'filters-fold', open: filtered || wideScreen() },
      h('summary', {}, 'Saringan'),
      h('div', { class: 'filters-grid' }, FILTERS.map((name) => f[name].element)),
    ),
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Terapkan'),
      h('a', { href: '#/surat', class: 'btn btn-secondary' }, 'Atur ulang'),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const qs = filterParams(f).toString();
    navigate(qs ? `/surat?${qs}` : '/surat');
  });

  const status = h('p', { class: 'list-status', role: 'status', id: 'letters-status' }, 'Memuat…');
  const { element: tableWrap, table, tbody } = lettersTable({ id: 'letters-table', caption: 'Daftar surat, terbaru di atas' });

  const params = { limit: PAGE_SIZE };
  for (const name of FILTERS) if (query.get(name)) params[name] = query.get(name);
  let shown = 0;
  const pager = pagedList({
    id: 'letters-more',
    status,
    loadPage: async (cursor) => {
      const data = await api.get('/api/letters', { query: { ...params, cursor }, signal });
      const items = data && Array.isArray(data.items) ? data.items : [];
      const rows = items.map((l) => letterRow(l));
      append(tbody, rows);
      shown += items.length;
      table.hidden = shown === 0;
      const next = data && data.next_cursor ? data.next_cursor : null;
      if (shown === 0) setText(status, filtered ? 'Tidak ada surat yang cocok dengan saringan.' : 'Belum ada surat.');
      else setText(status, `${shown} surat ditampilkan${next ? '; masih ada lagi' : ''}.`);
      return { nodes: rows, next };
    },
  });

  append(view, h('h1', { class: 'page-title', tabindex: '-1' }, 'Daftar Surat'), form, status, tableWrap, pager.element);
  await pager.first();
}
