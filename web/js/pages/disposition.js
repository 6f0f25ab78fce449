// #/disposisi/:id — one disposition: the letter it concerns, what was
// asked (instructions, note, deadline), and, for its recipient (the holder
// of the position or its acting holder), the two things to do: dispose it
// further down the hierarchy, or complete it with a report. Opening it is
// the recipient's first read (the API marks it).

import * as api from '../api.js';
import { h, append, details, messagePage, setFlash, takeFlash } from '../dom.js';
import {
  DISPOSITION_STATUS, branchOverdue, completeForm, disposeForm, loadInstructions, instructionLabels, positionTitle,
  refreshInboxCounts, registryLabel, renderTree,
} from '../dispositions.js';
import {
  SECURITY_LABELS, STATUS_LABELS, URGENCY_LABELS, agendaLabel, formatDate, formatDateTime, label, text,
} from '../format.js';

export async function renderDisposition(view, { params, signal, user, navigate }) {
  let d;
  try {
    d = await api.get(`/api/dispositions/${encodeURIComponent(params.id)}`, { signal });
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 404) {
      messagePage(view, 'Disposisi tidak ditemukan', 'Disposisi ini tidak ada atau Anda tidak berwenang melihatnya.', ['#/kotak-masuk', 'Kembali ke kotak masuk']);
      return;
    }
    throw err;
  }
  if (signal.aborted) return;
  refreshInboxCounts(); // the first open marked it read
  const actions = d.actions || {};
  const [instructions, positions] = await Promise.all([
    loadInstructions().catch(() => []),
    actions.dispose ? api.get('/api/positions', { signal }) : Promise.resolve([]),
  ]);
  if (signal.aborted) return;
  const labels = instructionLabels(instructions);
  const letter = d.letter || {};
  const status = text(d.status);
  document.title = `Disposisi: ${text(letter.subject) || 'Surat'} — e-Surat`;

  const reload = (msg) => {
    setFlash(`disposisi/${d.id}`, msg);
    navigate(`/disposisi/${encodeURIComponent(d.id)}`);
  };
  const message = takeFlash(`disposisi/${d.id}`);

  const letterCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'letter-card-title' },
    h('h2', { class: 'card-title', id: 'letter-card-title' }, 'Surat'),
    details([
      ['Nomor agenda', agendaLabel(letter)],
      ['Nomor surat', text(letter.letter_number)],
      ['Tanggal surat', formatDate(letter.letter_date)],
      ['Diterima', formatDateTime(letter.received_at)],
      ['Pengirim', text(letter.sender)],
      ['Perihal', text(letter.subject)],
      ['Ringkasan', text(letter.summary)],
      ['Sifat', label(SECURITY_LABELS, letter.security)],
      ['Urgensi', label(URGENCY_LABELS, letter.urgency)],
      ['Status surat', label(STATUS_LABELS, letter.status)],
    ]),
    h('p', {}, h('a', { href: `#/surat/${encodeURIComponent(text(letter.id))}`, id: 'open-letter' }, 'Buka halaman surat (pindaian dan alur lengkap)')),
  );

  const instr = Array.isArray(d.instructions) ? d.instructions.map((c) => labels.get(c) || text(c)) : [];
  const dispositionCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'disposition-card-title', id: 'disposition-card' },
    h('h2', { class: 'card-title', id: 'disposition-card-title' }, 'Disposisi'),
    details([
      ['Dari', d.from_position ? `${positionTitle(d.from_position)}${d.created_by ? ` (${text(d.created_by.name)})` : ''}` : registryLabel(letter)],
      ['Kepada', positionTitle(d.to_position)],
      ['Tanggal', formatDateTime(d.created_at)],
      ['Instruksi', instr.join('; ') || '—'],
      ['Catatan', text(d.note)],
      ['Batas waktu', d.deadline ? `${formatDate(d.deadline)}${d.overdue ? ' — lewat batas waktu' : ''}` : ''],
      ['Status', DISPOSITION_STATUS[status] || status],
      ['Dibaca', d.read_at ? `${formatDateTime(d.read_at)}${d.read_by ? ` oleh ${text(d.read_by.name)}` : ''}` : ''],
      ['Selesai', d.done_at ? `${formatDateTime(d.done_at)}${d.done_by ? ` oleh ${text(d.done_by.name)}` : ''}` : ''],
      ['Laporan', text(d.report)],
    ]),
    h('p', { class: 'form-actions' }, h('a', { class: 'btn btn-secondary', href: `#/lembar/${encodeURIComponent(text(d.id))}`, id: 'sheet-link' }, 'Lembar disposisi')),
  );

  const forms = [];
  if (actions.dispose) forms.push(disposeForm(d, { positions, instructions, signal, onDone: reload }));
  if (actions.complete) {
    forms.push(completeForm(d, { signal, onDone: reload }));
  } else if (actions.dispose) {
    forms.push(h('p', { class: 'hint', id: 'complete-later' }, 'Disposisi ini dapat diselesaikan setelah semua disposisi yang Anda teruskan selesai.'));
  }

  const children = Array.isArray(d.children) ? d.children : [];
  const treeCard = children.length
    ? h(
      'section',
      { class: ['card', branchOverdue({ children }) && 'card-overdue'], 'aria-labelledby': 'forwarded-title' },
      h('h2', { class: 'card-title', id: 'forwarded-title' }, 'Diteruskan'),
      renderTree(children, { instructions, user, letter }),
    )
    : null;

  append(
    view,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/kotak-masuk' }, '← Kotak Masuk')),
    h('h1', { class: 'page-title', tabindex: '-1', id: 'disposition-title' }, text(letter.subject) || 'Disposisi'),
    h(
      'p',
      { class: 'page-lead badges' },
      h('span', { class: ['status', `dstatus-${status}`] }, DISPOSITION_STATUS[status] || status),
      d.overdue ? h('span', { class: 'badge badge-overdue' }, 'Lewat batas waktu') : null,
      letter.security && letter.security !== 'biasa' ? h('span', { class: ['badge', `badge-${text(letter.security)}`] }, label(SECURITY_LABELS, letter.security)) : null,
    ),
    message ? h('p', { class: 'notice', role: 'status', id: 'disposition-message' }, message) : null,
    letterCard,
    dispositionCard,
    forms,
    treeCard,
  );
}
