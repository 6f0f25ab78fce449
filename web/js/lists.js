// Lists shared by pages: the registry table of letters (the list page and
// the front desk's start page) and the "Muat lebih banyak" button of the
// keyset-paginated lists (registry, inbox, retention).
//
// On a phone the table turns into one card per letter; each cell then shows
// its own label from data-label (style.css).

import * as api from './api.js';
import { h, append, setText } from './dom.js';
import {
  DIRECTION_LABELS, SECURITY_LABELS, STATUS_LABELS, agendaLabel, formatDate, formatDay, label, text,
} from './format.js';

/** The columns of the registry table: key → header. */
const COLUMNS = {
  agenda: 'Agenda',
  received: 'Diterima',
  number: 'Nomor surat',
  party: 'Pengirim / Kepada',
  subject: 'Perihal',
  classification: 'Klasifikasi',
  status: 'Status',
};
const ALL_COLUMNS = Object.keys(COLUMNS);

/** The security badge of a letter (nothing for biasa). */
export function securityBadge(letter) {
  return letter && letter.security && letter.security !== 'biasa'
    ? h('span', { class: ['badge', `badge-${text(letter.security)}`] }, label(SECURITY_LABELS, letter.security))
    : null;
}

/** The status pill of a letter. */
export function statusPill(letter) {
  return h('span', { class: ['status', `status-${text(letter.status)}`] }, label(STATUS_LABELS, letter.status));
}

/** The link to a letter's page, its subject as text. */
export function letterLink(letter, attrs = {}) {
  return h('a', { href: `#/surat/${encodeURIComponent(text(letter.id))}`, class: 'letter-link', ...attrs }, text(letter.subject) || '(tanpa perihal)');
}

/** The cell of one column for a letter. */
function cell(key, letter) {
  switch (key) {
    case 'agenda':
      return h('td', { dataset: { label: 'Agenda' } }, h('span', { class: 'cell-main' }, agendaLabel(letter)), h('span', { class: 'cell-sub' }, label(DIRECTION_LABELS, letter.direction)));
    case 'received':
      return h('td', { dataset: { label: 'Diterima' } }, formatDay(letter.received_at || letter.created_at) || '—');
    case 'number':
      return h(
        'td',
        { dataset: { label: 'Nomor surat' } },
        h('span', { class: 'cell-main' }, text(letter.letter_number) || '—'),
        letter.letter_date ? h('span', { class: 'cell-sub' }, formatDate(letter.letter_date)) : null,
      );
    case 'party':
      return h('td', { dataset: { label: letter.direction === 'out' ? 'Kepada' : 'Pengirim' } }, text(letter.direction === 'out' ? letter.recipient : letter.sender));
    case 'subject': {
      const security = securityBadge(letter);
      return h('td', { class: 'cell-subject', dataset: { label: 'Perihal' } }, letterLink(letter), security ? ' ' : null, security);
    }
    case 'classification':
      return h('td', { dataset: { label: 'Klasifikasi' } }, text(letter.classification) || '—');
    default:
      return h('td', { dataset: { label: 'Status' } }, statusPill(letter));
  }
}

/**
 * One row of the registry table.
 *   columns  the keys shown (default all, in COLUMNS' order)
 *   extra    a node (an action, e.g. the routing form of the start page)
 *            put in a last cell, labelled action on a phone
 */
export function letterRow(letter, { columns = ALL_COLUMNS, extra = null, action = 'Tindakan' } = {}) {
  return h(
    'tr',
    { dataset: { id: text(letter.id) } },
    columns.map((key) => cell(key, letter)),
    extra ? h('td', { class: 'cell-action', dataset: { label: action } }, extra) : null,
  );
}

/**
 * The registry table (hidden while empty): { element, table, tbody }.
 *   id       the table's id
 *   caption  for screen readers
 *   columns  as for letterRow
 *   action   a column title for letterRow's extra cell (e.g. 'Tindakan')
 */
export function lettersTable({ id, caption, columns = ALL_COLUMNS, action = null }) {
  const tbody = h('tbody', {});
  const table = h(
    'table',
    { class: 'registry', id, hidden: true },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, [...columns.map((k) => COLUMNS[k]), ...(action ? [action] : [])].map((t) => h('th', { scope: 'col' }, t)))),
    tbody,
  );
  return { element: h('div', { class: 'table-wrap' }, table), table, tbody };
}

/**
 * A list read page by page with next_cursor, and its "Muat lebih banyak"
 * button.
 *   loadPage(cursor) → Promise<{ nodes: [Node], next: cursor|null }>
 *                      (renders the page itself; nodes are what it added)
 *   status           a role="status" element for errors of later pages
 * Returns { element (the button's box), first() → the first page }. After
 * a later page the focus moves to the first link it added.
 */
export function pagedList({ id, loadPage, status }) {
  const button = h('button', { type: 'button', class: 'btn btn-secondary', id, hidden: true }, 'Muat lebih banyak');
  let cursor = null;

  async function run() {
    const { nodes, next } = await loadPage(cursor);
    cursor = next || null;
    button.hidden = !cursor;
    return nodes || [];
  }

  button.addEventListener('click', async () => {
    button.disabled = true;
    setText(status, 'Memuat…');
    try {
      const nodes = await run();
      const link = nodes.map((n) => (n.matches && n.matches('a') ? n : n.querySelector && n.querySelector('a'))).find(Boolean);
      if (link) link.focus();
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      setText(status, `Gagal memuat. ${api.errorMessage(err)}`);
    } finally {
      button.disabled = false;
    }
  });
  return { element: append(h('div', { class: 'list-more' }), button), first: run, button };
}
