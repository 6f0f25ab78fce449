// #/cari — "Cari Arsip": one box over the content (OCR text), number,
// subject, sender and notes of every letter the user may see; filters;
// facets by year and classification to narrow; highlighted snippets; each
// result opens the letter at the scan page where the words stand.
//
// The query lives in the hash (#/cari?q=…&from=…) so that a search can be
// bookmarked and the back button works.
//
// Snippets: the server HTML-escapes the text and adds only <mark>…</mark>.
// They are still never given to innerHTML: markSnippet() splits on the two
// literal tags and puts the rest in as text, so any other markup shows as
// the characters it is made of.

import * as api from '../api.js';
import { h, append, replace, setText } from '../dom.js';
import { filterFields, filterParams } from '../forms.js';
import { pagedList, securityBadge } from '../lists.js';
import { DIRECTION_LABELS, agendaLabel, formatDate, formatDay, label, text } from '../format.js';

const FILTERS = ['number', 'sender', 'classification', 'from', 'to', 'direction', 'sort'];
const PAGE_SIZE = 20;
// Totals above this many are Xapian's estimates and shown as such.
const ESTIMATE_SHOWN_ABOVE = 1000;

// The main classes (Permendagri 83/2022); older codes share the first digit.
const MAIN_CLASSES = {
  0: 'Umum', 1: 'Pemerintahan', 2: 'Politik', 3: 'Keamanan dan Ketertiban', 4: 'Kesejahteraan Rakyat',
  5: 'Perekonomian', 6: 'Pekerjaan Umum dan Ketenagaan', 7: 'Pengawasan', 8: 'Kepegawaian', 9: 'Keuangan',
};

function classLabel(code) {
  return code.length === 1 && MAIN_CLASSES[code] ? `${code}00 ${MAIN_CLASSES[code]}` : `${code}…`;
}

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };

/** The text of an HTML-escaped string (only the entities the server writes). */
export function unescapeHtml(s) {
  return String(s).replace(/&(amp|lt|gt|quot|#39|#x27);/g, (m) => ENTITIES[m]);
}

/** Nodes of a snippet: text, and <mark> elements for the matches. */
export function markSnippet(snippet) {
  const nodes = [];
  const parts = String(snippet || '').split(/(<mark>|<\/mark>)/);
  let marked = false;
  let current = null;
  for (const part of parts) {
    if (part === '<mark>') {
      marked = true;
      current = h('mark', {});
      nodes.push(current);
    } else if (part === '</mark>') {
      marked = false;
    } else if (part) {
      const t = document.createTextNode(unescapeHtml(part));
      if (marked && current) current.appendChild(t);
      else nodes.push(t);
    }
  }
  return nodes;
}

const numberFormat = new Intl.NumberFormat('id-ID');

/** "3 surat", or "sekitar 512.000 surat" for an estimate. */
export function totalLabel(total, exact) {
  const n = numberFormat.format(Number(total) || 0);
  return !exact && Number(total) > ESTIMATE_SHOWN_ABOVE ? `sekitar ${n} surat` : `${n} surat`;
}

function letterHref(item) {
  const letter = item.letter || {};
  const params = new URLSearchParams();
  if (item.scan_id) params.set('scan', String(item.scan_id));
  if (item.page) params.set('halaman', String(item.page));
  const qs = params.toString();
  return `#/surat/${encodeURIComponent(letter.id)}${qs ? `?${qs}` : ''}`;
}

function resultItem(item) {
  const letter = item.letter || {};
  const security = securityBadge(letter);
  const where = item.scan_id && item.page ? `Pindaian, halaman ${item.page}` : '';
  return h(
    'li',
    { class: 'search-result', dataset: { id: text(letter.id) } },
    h(
      'h2',
      { class: 'search-result-title' },
      h('a', { href: letterHref(item), class: 'letter-link' }, text(letter.subject) || '(tanpa perihal)'),
      security ? ' ' : null,
      security,
    ),
    h(
      'p',
      { class: 'search-result-meta' },
      [
        text(letter.letter_number) || 'tanpa nomor',
        letter.letter_date ? formatDate(letter.letter_date) : '',
        text(letter.direction === 'out' ? letter.recipient : letter.sender),
        `${label(DIRECTION_LABELS, letter.direction)} ${agendaLabel(letter)}`,
        text(letter.classification),
        `diregistrasi ${formatDay(letter.created_at)}`,
      ].filter(Boolean).join(' · '),
    ),
    item.snippet ? h('p', { class: 'search-snippet' }, markSnippet(item.snippet)) : null,
    where ? h('p', { class: 'search-result-where' }, where) : null,
  );
}

function facetList(title, id, entries, hrefOf, labelOf = (v) => v) {
  if (!entries.length) return null;
  return h(
    'section',
    { class: 'facet', 'aria-labelledby': `${id}-title` },
    h('h2', { class: 'facet-title', id: `${id}-title` }, title),
    h('ul', { class: 'facet-list', id }, entries.map(([value, count]) => h(
      'li',
      {},
      h('a', { href: hrefOf(value) }, labelOf(value)),
      ' ',
      h('span', { class: 'facet-count' }, numberFormat.format(count)),
    ))),
  );
}

/** The search box and its button (here and on the archivist's start page). */
export function searchLine(id, value = '') {
  const box = h('input', {
    id, name: 'q', type: 'search', class: 'search-box', autocomplete: 'off',
    placeholder: 'Kata, "frasa persis", nomor surat, awalan*', 'aria-label': 'Cari surat',
  });
  box.value = value;
  return { box, line: h('div', { class: 'search-line' }, box, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Cari')) };
}

export const SEARCH_TIPS = 'Tips: "rapat koordinasi" mencari frasa persis; koordin* mencari awalan; -kata mengecualikan; ATAU gunakan OR.';

export async function renderSearch(view, { query, signal, navigate }) {
  const { box, line } = searchLine('search-q', query.get('q') || '');
  const f = filterFields('s', FILTERS, query, {
    from: { label: 'Diregistrasi dari' },
    to: { label: 'sampai' },
    sort: { label: 'Urutan', type: 'select', options: [['', 'Paling relevan'], ['date', 'Terbaru']] },
  });

  const form = h(
    'form',
    { class: 'card search-form', id: 'search-form', role: 'search', 'aria-label': 'Cari arsip surat', novalidate: true },
    line,
    h(
      'details',
      { class: 'search-filters', open: FILTERS.some((n) => n !== 'sort' && query.get(n)) },
      h('summary', {}, 'Saringan'),
      h('div', { class: 'filters-grid' }, FILTERS.map((name) => f[name].element)),
    ),
    h('p', { class: 'hint' }, SEARCH_TIPS),
  );

  function hrefWith(changes) {
    const params = new URLSearchParams();
    const current = { q: query.get('q') || '' };
    for (const name of FILTERS) current[name] = query.get(name) || '';
    Object.assign(current, changes);
    for (const [k, v] of Object.entries(current)) if (v) params.set(k, v);
    return `#/cari?${params.toString()}`;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(`/cari?${filterParams(f, { q: box.value.trim() }).toString()}`);
  });

  const status = h('p', { class: 'list-status', role: 'status', id: 'search-status' });
  const notices = h('div', { class: 'search-notices' });
  const list = h('ol', { class: 'search-results', id: 'search-results' });
  const facets = h('aside', { class: 'search-facets', id: 'search-facets', 'aria-label': 'Persempit hasil' });

  append(
    view,
    h('h1', { class: 'page-title', tabindex: '-1' }, 'Cari Arsip'),
    form,
    status,
    notices,
  );

  const asked = query.get('q') || FILTERS.some((n) => n !== 'sort' && query.get(n));
  if (!asked) {
    setText(status, 'Ketik kata, nomor surat, atau frasa, lalu tekan Cari.');
    box.focus();
    return;
  }

  const params = { limit: PAGE_SIZE };
  if (query.get('q')) params.q = query.get('q');
  for (const name of FILTERS) if (query.get(name)) params[name] = query.get(name);
  async function loadPage(cursor) {
    const offset = cursor || 0;
    const data = await api.get('/api/search', { query: { ...params, offset }, signal });
    const items = data && Array.isArray(data.items) ? data.items : [];
    const total = Number(data.total) || 0;
    const rows = items.map(resultItem);
    append(list, rows);
    const shown = offset + items.length;
    if (shown === 0) setText(status, 'Tidak ada surat yang cocok.');
    else setText(status, `${totalLabel(total, data.total_exact)} ditemukan (${Number(data.took_ms || 0).toFixed(1)} md); ${shown} ditampilkan.`);
    if (data.suggestion && !notices.childNodes.length) {
      append(notices, h('p', { class: 'notice search-suggestion' }, 'Mungkin maksud Anda: ',
        h('a', { href: hrefWith({ q: String(data.suggestion) }), id: 'search-suggestion' }, String(data.suggestion)), '?'));
    }
    if (data.plain_words && !notices.querySelector('.search-plain')) {
      append(notices, h('p', { class: 'hint search-plain' }, 'Tanda baca dalam kueri tidak dapat dibaca sebagai operator; dicari sebagai kata biasa.'));
    }
    if (data.facets && !facets.childNodes.length) {
      const years = Object.entries(data.facets.year || {}).sort((x, y) => y[0].localeCompare(x[0]));
      const classes = Object.entries(data.facets.classification || {}).sort((x, y) => x[0].localeCompare(y[0]));
      replace(
        facets,
        facetList('Tahun registrasi', 'facet-year', years, (y) => hrefWith({ from: `${y}-01-01`, to: `${y}-12-31` })),
        facetList('Klasifikasi', 'facet-classification', classes, (c) => hrefWith({ classification: c }), classLabel),
      );
      if (!data.facets_exact && (years.length || classes.length)) append(facets, h('p', { class: 'hint' }, 'Jumlah per kelompok adalah perkiraan.'));
    }
    return { nodes: rows, next: shown < total && items.length === PAGE_SIZE ? shown : null };
  }
  const pager = pagedList({ id: 'search-more', status, loadPage });
  append(view, h('div', { class: 'search-layout' }, h('div', { class: 'search-main' }, list, pager.element), facets));

  setText(status, 'Mencari…');
  try {
    await pager.first();
  } catch (err) {
    if (err && err.name === 'AbortError') return;
    setText(status, `Pencarian gagal. ${api.errorMessage(err)}`);
  }
}
