// #/kotak-masuk — the inbox of every position the user holds (also as an
// acting official): unread first, then open, then done. The list follows
// the badge's counts: when they change, the first page is asked again.

import * as api from '../api.js';
import { h, append, replace, setText } from '../dom.js';
import {
  DISPOSITION_STATUS, instructionLabels, loadInstructions, positionTitle, refreshInboxCounts, registryLabel,
} from '../dispositions.js';
import { SECURITY_LABELS, agendaLabel, formatDate, formatDateTime, label, text } from '../format.js';

const TABS = [
  ['all', 'Semua'],
  ['unread', 'Belum dibaca'],
  ['open', 'Belum selesai'],
  ['done', 'Selesai'],
];

function countsText(c) {
  return `${Number(c.unread) || 0} belum dibaca · ${Number(c.open) || 0} belum selesai · ${Number(c.overdue) || 0} lewat batas waktu`;
}

function sameCounts(a, b) {
  return a && b && a.unread === b.unread && a.open === b.open && a.overdue === b.overdue;
}

function inboxItem(item, labels) {
  const d = item.disposition || {};
  const letter = item.letter || {};
  const status = text(d.status);
  const instructions = Array.isArray(d.instructions) ? d.instructions.map((c) => labels.get(c) || text(c)) : [];
  const from = d.from_position ? positionTitle(d.from_position) : registryLabel(letter);
  return h(
    'li',
    { class: ['inbox-item', `inbox-${status}`, d.overdue === true && 'inbox-overdue'], dataset: { dispositionId: text(d.id) } },
    h(
      'p',
      { class: 'inbox-head' },
      h('a', { class: 'inbox-link', href: `#/disposisi/${encodeURIComponent(text(d.id))}` }, text(letter.subject) || 'Surat'),
      ' ',
      h('span', { class: ['status', `dstatus-${status}`] }, DISPOSITION_STATUS[status] || status),
      d.overdue === true ? h('span', { class: 'badge badge-overdue' }, 'Lewat batas waktu') : null,
      letter.security && letter.security !== 'biasa'
        ? h('span', { class: ['badge', `badge-${text(letter.security)}`] }, label(SECURITY_LABELS, letter.security))
        : null,
    ),
    h(
      'p',
      { class: 'inbox-meta' },
      [
        `dari ${from}`,
        `kepada ${positionTitle(d.to_position)}`,
        text(letter.sender) ? `pengirim ${text(letter.sender)}` : '',
        agendaLabel(letter) ? `agenda ${agendaLabel(letter)}` : '',
        formatDateTime(d.created_at),
      ].filter(Boolean).join(' · '),
    ),
    instructions.length ? h('p', { class: 'inbox-instructions' }, instructions.join('; ')) : null,
    d.deadline ? h('p', { class: 'inbox-deadline' }, `Batas waktu ${formatDate(d.deadline)}`) : null,
  );
}

export async function renderInbox(view, { query, signal }) {
  const status = TABS.some(([s]) => s === query.get('status')) ? query.get('status') : 'all';
  const countsLine = h('p', { class: 'page-lead', id: 'inbox-counts', role: 'status' }, 'Memuat…');
  const list = h('ul', { class: 'inbox-list plain-list', id: 'inbox-list' });
  const more = h('div', { class: 'list-more' });
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Saring kotak masuk' },
    TABS.map(([s, name]) => h(
      'a',
      { class: 'tab', href: s === 'all' ? '#/kotak-masuk' : `#/kotak-masuk?status=${s}`, 'aria-current': s === status ? 'page' : null },
      name,
    )),
  );
  append(
    view,
    h('h1', { class: 'page-title', tabindex: '-1' }, 'Kotak Masuk'),
    countsLine,
    tabs,
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

  async function load(cursor) {
    const data = await api.get('/api/inbox', { query: { status, cursor, limit: 50 }, signal });
    if (signal.aborted) return;
    shown = data.counts;
    setText(countsLine, countsText(data.counts || {}));
    const items = Array.isArray(data.items) ? data.items.filter((i) => i && i.disposition) : [];
    if (!cursor) {
      replace(list, items.length ? items.map((i) => inboxItem(i, labels)) : h('li', { class: 'hint inbox-empty' }, 'Tidak ada disposisi di sini.'));
    } else {
      append(list, items.map((i) => inboxItem(i, labels)));
    }
    replace(more);
    if (data.next_cursor) {
      const btn = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Muat lebih banyak');
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
          await load(data.next_cursor);
        } catch (err) {
          if (!(err && err.name === 'AbortError')) setText(countsLine, api.errorMessage(err));
          btn.disabled = false;
        }
      });
      append(more, btn);
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
