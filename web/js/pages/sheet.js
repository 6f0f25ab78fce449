// #/lembar/:id — the disposition sheet (lembar disposisi) of the official
// who received disposition :id, in the layout offices know (DOMAIN.md):
// letterhead; Surat dari, Nomor and Tanggal surat, Diterima tanggal, Nomor
// agenda, Sifat, Perihal; Diteruskan kepada (what the official forwarded);
// the instructions, ticked; Catatan; the official's name, signature line
// and date. Before the official has disposed, the sheet is blank below the
// letter, to be filled in by hand. Printing prints the sheet only.

import * as api from '../api.js';
import { h, append } from '../dom.js';
import { loadInstructions, positionTitle } from '../dispositions.js';
import { SECURITY_LABELS, URGENCY_LABELS, agendaLabel, formatDate, formatDay, label, text } from '../format.js';

const BLANK = '……………………';

function row(...cells) {
  return h('tr', {}, cells);
}

function th(content) {
  return h('th', { scope: 'row' }, content);
}

function td(content, attrs = {}) {
  return h('td', attrs, content || '—');
}

function unique(values) {
  return [...new Set(values.filter((v) => v !== null && v !== undefined && v !== ''))];
}

export async function renderSheet(view, { params, signal }) {
  let d;
  try {
    d = await api.get(`/api/dispositions/${encodeURIComponent(params.id)}`, { signal });
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 404) {
      append(
        view,
        h('h1', { class: 'page-title', tabindex: '-1' }, 'Lembar disposisi tidak ditemukan'),
        h('p', {}, 'Disposisi ini tidak ada atau Anda tidak berwenang melihatnya.'),
      );
      return;
    }
    throw err;
  }
  const instructions = await loadInstructions().catch(() => []);
  if (signal.aborted) return;

  const letter = d.letter || {};
  const children = Array.isArray(d.children) ? d.children.filter((c) => c && typeof c === 'object') : [];
  const ticked = new Set(children.flatMap((c) => (Array.isArray(c.instructions) ? c.instructions : [])));
  // The active instructions in their order, and any retired one that is ticked.
  const shown = instructions.filter((i) => i.active !== false || ticked.has(i.code));
  for (const code of ticked) {
    if (!shown.some((i) => i.code === code)) shown.push({ code, label: code });
  }
  const notes = unique(children.map((c) => text(c.note)));
  const deadlines = unique(children.map((c) => text(c.deadline)));
  const first = children[0];
  const official = first && first.created_by ? text(first.created_by.name)
    : (d.to_position && d.to_position.holder ? text(d.to_position.holder.name) : '');
  const letterhead = Array.isArray(d.letterhead) && d.letterhead.length ? d.letterhead.map(text) : ['e-Surat'];
  const sifat = [label(SECURITY_LABELS, letter.security), letter.urgency && letter.urgency !== 'biasa' ? label(URGENCY_LABELS, letter.urgency) : '']
    .filter(Boolean).join(', ');

  const sheet = h(
    'section',
    { class: 'sheet', id: 'sheet', 'aria-labelledby': 'sheet-title' },
    h('header', { class: 'sheet-head' }, letterhead.map((line, i) => h('p', { class: ['sheet-kop', i === 0 && 'sheet-kop-main'] }, line.toUpperCase()))),
    h('h1', { class: 'sheet-title', id: 'sheet-title', tabindex: '-1' }, 'LEMBAR DISPOSISI'),
    h(
      'table',
      { class: 'sheet-table', id: 'sheet-letter' },
      h(
        'tbody',
        {},
        row(th('Surat dari'), td(text(letter.sender)), th('Diterima tanggal'), td(formatDay(letter.received_at))),
        row(th('Nomor surat'), td(text(letter.letter_number)), th('Nomor agenda'), td(agendaLabel(letter))),
        row(th('Tanggal surat'), td(formatDate(letter.letter_date)), th('Sifat'), td(sifat)),
        row(th('Perihal'), td(text(letter.subject), { colspan: '3' })),
      ),
    ),
    h(
      'div',
      { class: 'sheet-body' },
      h(
        'div',
        { class: 'sheet-box sheet-to', id: 'sheet-to' },
        h('h2', {}, 'Diteruskan kepada:'),
        children.length
          ? h('ol', {}, children.map((c) => h('li', {}, positionTitle(c.to_position))))
          : h('ol', { class: 'sheet-blank' }, [1, 2, 3].map(() => h('li', {}, BLANK))),
      ),
      h(
        'div',
        { class: 'sheet-box sheet-instructions', id: 'sheet-instructions' },
        h('h2', {}, 'Instruksi:'),
        h('ul', { class: 'plain-list' }, shown.map((i) => {
          const on = ticked.has(i.code);
          return h(
            'li',
            { class: ['sheet-instruction', on && 'sheet-ticked'], dataset: { code: i.code } },
            h('span', { class: 'sheet-tick', 'aria-hidden': 'true' }, on ? '☑' : '☐'),
            h('span', { class: 'visually-hidden' }, on ? 'dicentang: ' : 'tidak dicentang: '),
            ` ${text(i.label)}`,
          );
        })),
      ),
    ),
    h(
      'div',
      { class: 'sheet-box sheet-note', id: 'sheet-note' },
      h('h2', {}, 'Catatan:'),
      notes.length ? notes.map((n) => h('p', { class: 'sheet-note-text' }, n)) : h('p', { class: 'sheet-blank' }, BLANK),
      deadlines.length ? h('p', { class: 'sheet-deadline' }, `Batas waktu: ${deadlines.map(formatDate).join(', ')}`) : null,
    ),
    h(
      'footer',
      { class: 'sheet-sign', id: 'sheet-sign' },
      h('p', { class: 'sheet-date' }, first ? formatDay(first.created_at) : `Tanggal: ${BLANK}`),
      h('p', { class: 'sheet-position' }, positionTitle(d.to_position)),
      h('div', { class: 'sheet-signature', 'aria-hidden': 'true' }),
      h('p', { class: 'sheet-name' }, official || BLANK),
    ),
  );

  const printBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'print-sheet' }, 'Cetak');
  printBtn.addEventListener('click', () => window.print());
  append(
    view,
    h('p', { class: 'breadcrumb sheet-nav' }, h('a', { href: `#/disposisi/${encodeURIComponent(text(d.id))}` }, '← Disposisi')),
    sheet,
    h('div', { class: 'sheet-actions' }, printBtn, h('a', { class: 'btn btn-secondary', href: `#/surat/${encodeURIComponent(text(letter.id))}` }, 'Buka surat')),
  );
  document.documentElement.classList.add('print-sheet');
  signal.addEventListener('abort', () => document.documentElement.classList.remove('print-sheet'), { once: true });
}
