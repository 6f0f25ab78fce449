// #/kotak-masuk — the inbox of every position the user holds (also as an
// acting official): the counts (unread, open, overdue, due within three
// days), filters by status, and the order: the API's (unread first, then
// open, then done, newest first) or by deadline. The list follows the
// badge's counts: when they change, the first page is asked again.

import * as api from '../api.js';
import { h, append, replace } from '../dom.js';
import {
  countTiles, dueSoon, inboxItem, instructionLabels, loadInstructions, refreshInboxCounts, sortInbox,
} from '../dispositions.js';

const TABS = [
  ['all', 'Semua'],
  ['unread', 'Belum dibaca'],
  ['open', 'Belum selesai'],
  ['done', 'Selesai'],
];

function sameCounts(a, b) {
  return a && b && a.unread === b.unread && a.open === b.open && a.overdue === b.overdue;
}

export async function renderInbox(view, { query, signal, navigate }) {
  const status = TABS.some(([s]) => s === query.get('status')) ? query.get('status') : 'all';
  const order = query.get('urut') === 'batas' ? 'batas' : 'baru';
  const tiles = h('div', { id: 'inbox-counts', class: 'count-tiles-box', role: 'status' }, h('p', { class: 'page-lead' }, 'Memuat…'));
  const list = h('ul', { class: 'inbox-list plain-list', id: 'inbox-list' });
  const more = h('div', { class: 'list-more' });
  const href = (s, o) => {
    const p = new URLSearchParams();
    if (s !== 'all') p.set('status', s);
    if (o !== 'baru') p.set('urut', o);
    const qs = p.toString();
    return `#/kotak-masuk${qs ? `?${qs}` : ''}`;
  };
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Saring kotak masuk' },
    TABS.map(([s, name]) => h('a', { class: 'tab', href: href(s, order), 'aria-current': s === status ? 'page' : null }, name)),
  );
  const sort = h(
    'select',
    { id: 'inbox-sort', name: 'urut' },
    h('option', { value: 'baru' }, 'Belum dibaca dulu, terbaru'),
    h('option', { value: 'batas' }, 'Batas waktu terdekat'),
  );
  sort.value = order;
  sort.addEventListener('change', () => navigate(href(status, sort.value).slice(1)));
  append(
    view,
    h('h1', { class: 'page-title', tabindex: '-1' }, 'Kotak Masuk'),
    tiles,
    h('div', { class: 'inbox-tools' }, tabs, h('div', { class: 'field inline-field' }, h('label', { for: 'inbox-sort' }, 'Urutkan'), sort)),
    h('section', { class: 'card', 'aria-label': 'Disposisi' }, list, more),
  );

  let labels = new Map();
  try {
    labels = instructionLabels(await loadInstructions());
  } catch (err) {
    if (err && err.name === 'AbortError') return;
    /* labels stay codes */
  }
  let shown = null;
  let loaded = [];

  async function load(cursor) {
    const data = await api.get('/api/inbox', { query: { status, cursor, limit: 50 }, signal });
    if (signal.aborted) return;
    shown = data.counts;
    const items = Array.isArray(data.items) ? data.items.filter((i) => i && i.disposition) : [];
    loaded = cursor ? loaded.concat(items) : items;
    replace(tiles, countTiles(data.counts || {}, dueSoon(loaded).length));
    replace(list, loaded.length ? sortInbox(loaded, order).map((i) => inboxItem(i, labels)) : h('li', { class: 'hint inbox-empty' }, 'Tidak ada disposisi di sini.'));
    replace(more);
    if (data.next_cursor) {
      const btn = h('button', { type: 'button', class: 'btn btn-secondary', id: 'inbox-more' }, 'Muat lebih banyak');
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
          await load(data.next_cursor);
        } catch (err) {
          if (!(err && err.name === 'AbortError')) append(more, h('p', { class: 'field-error', role: 'alert' }, api.errorMessage(err)));
          btn.disabled = false;
        }
      });
      append(more, btn, order === 'batas' ? h('p', { class: 'hint' }, 'Urutan berlaku untuk disposisi yang sudah dimuat.') : null);
    }
  }

  const onCounts = (event) => {
    if (signal.aborted || sameCounts(event.detail, shown)) return;
    load().catch((err) => {
      if (!(err && err.name === 'AbortError')) console.warn('e-Surat: inbox reload', err);
    });
  };
  document.addEventListener('esurat:inbox', onCounts);
  signal.addEventListener('abort', () => document.removeEventListener('esurat:inbox', onCounts), { once: true });

  await load();
  refreshInboxCounts();
}
