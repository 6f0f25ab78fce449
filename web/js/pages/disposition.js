// #/disposisi/:id — one disposition: the letter it concerns, what was
// asked (instructions, note, deadline), and, for its recipient (the holder
// of the position or its acting holder), the two things to do: dispose it
// further down the hierarchy, or complete it with a report. Opening it is
// the recipient's first read (the API marks it).

import * as api from '../api.js';
import { h, append, setText } from '../dom.js';
import { field, setFieldError } from '../forms.js';
import {
  DISPOSITION_STATUS, branchOverdue, loadInstructions, instructionLabels, positionTitle, positionsBelow,
  refreshInboxCounts, registryLabel, renderTree,
} from '../dispositions.js';
import {
  SECURITY_LABELS, STATUS_LABELS, URGENCY_LABELS, agendaLabel, formatDate, formatDateTime, label, text, todayIso,
} from '../format.js';

/** What went wrong, in Indonesian, from an API error of these forms. */
export function dispositionErrorText(err) {
  if (!(err instanceof api.ApiError)) return 'Terjadi kesalahan. Coba lagi.';
  if (err.field === 'to') {
    if (err.status === 409) return 'Jabatan ini sudah menerima disposisi surat ini dan belum selesai.';
    if (err.status === 403) return 'Disposisi hanya dapat diteruskan ke jabatan di bawah jabatan Anda.';
    return 'Pilih sedikitnya satu jabatan tujuan.';
  }
  if (err.field === 'instructions') return 'Instruksi tidak dikenal.';
  if (err.field === 'deadline') return 'Batas waktu tidak boleh sebelum hari ini.';
  if (err.field === 'note') return 'Catatan terlalu panjang atau memuat karakter yang tidak diizinkan.';
  if (err.field === 'report') return 'Isi laporan tindak lanjut.';
  if (err.status === 409) {
    if (/still open/.test(err.message)) return 'Disposisi yang Anda teruskan belum selesai semuanya. Selesaikan setelah semua laporan masuk.';
    if (/already complete|is complete/.test(err.message)) return 'Disposisi ini sudah selesai.';
    return api.errorMessage(err);
  }
  if (err.status === 403) return 'Hanya pemegang jabatan penerima (atau Plt/Plh-nya) yang dapat menindaklanjuti disposisi ini.';
  if (err.status === 404) return 'Disposisi atau surat tidak ditemukan.';
  return api.errorMessage(err);
}

function detailsList(rows) {
  return h(
    'dl',
    { class: 'details' },
    rows.filter(([, v]) => v !== '' && v !== null && v !== undefined)
      .map(([k, v]) => h('div', { class: 'details-row' }, h('dt', {}, k), h('dd', {}, v))),
  );
}

/** The form that disposes the letter to positions below the recipient's. */
function disposeForm(d, { positions, instructions, signal, onDone }) {
  const below = positionsBelow(positions, d.to_position && d.to_position.id);
  const targets = below.map(({ position, depth }) => {
    const id = `to-${text(position.id)}`;
    const holder = position.holder && position.holder.name ? text(position.holder.name) : 'kosong';
    const box = h('input', { type: 'checkbox', id, name: 'to', value: text(position.id) });
    return {
      box,
      element: h(
        'li',
        { class: ['check', `check-depth-${Math.min(depth, 4)}`] },
        box,
        h('label', { for: id }, `${positionTitle(position)} (${holder})`),
      ),
    };
  });
  const toError = h('p', { class: 'field-error', id: 'to-error' });
  const toSet = h(
    'fieldset',
    { class: 'field', 'aria-describedby': 'to-error' },
    h('legend', {}, 'Diteruskan kepada'),
    targets.length ? h('ul', { class: 'check-list plain-list' }, targets.map((t) => t.element)) : h('p', { class: 'hint' }, 'Tidak ada jabatan di bawah jabatan ini.'),
    toError,
  );

  const active = instructions.filter((i) => i.active !== false);
  const boxes = active.map((i) => {
    const id = `instr-${i.code}`;
    const box = h('input', { type: 'checkbox', id, name: 'instructions', value: i.code });
    return { box, element: h('li', { class: 'check' }, box, h('label', { for: id }, text(i.label))) };
  });
  const instrError = h('p', { class: 'field-error', id: 'instructions-error' });
  const instrSet = h(
    'fieldset',
    { class: 'field', 'aria-describedby': 'instructions-error' },
    h('legend', {}, 'Instruksi'),
    h('ul', { class: 'check-list check-columns plain-list' }, boxes.map((b) => b.element)),
    instrError,
  );

  const note = field({ id: 'dispose-note', name: 'note', label: 'Catatan', type: 'textarea', attrs: { maxlength: '2000' } });
  const deadline = field({
    id: 'dispose-deadline', name: 'deadline', label: 'Batas waktu', type: 'date', attrs: { min: todayIso() },
    hint: 'Kosongkan bila tidak ada batas waktu.',
  });
  const formError = h('div', { class: 'alert', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'dispose-submit' }, 'Kirim disposisi');
  const form = h(
    'form',
    { class: 'card form-card', id: 'dispose-form', novalidate: true, 'aria-labelledby': 'dispose-title' },
    h('h2', { class: 'card-title', id: 'dispose-title' }, 'Disposisikan'),
    formError,
    toSet,
    instrSet,
    note.element,
    deadline.element,
    h('div', { class: 'form-actions' }, submit),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    setText(formError, '');
    setText(toError, '');
    setText(instrError, '');
    setFieldError(note, '');
    setFieldError(deadline, '');
    const to = targets.filter((t) => t.box.checked).map((t) => Number(t.box.value));
    if (!to.length) {
      setText(toError, 'Pilih sedikitnya satu jabatan tujuan.');
      (targets[0] ? targets[0].box : submit).focus();
      return;
    }
    const body = { to, instructions: boxes.filter((b) => b.box.checked).map((b) => b.box.value), parent_id: d.id };
    if (note.control.value.trim()) body.note = note.control.value.trim();
    if (deadline.control.value) body.deadline = deadline.control.value;
    form.setAttribute('aria-busy', 'true');
    submit.disabled = true;
    try {
      const result = await api.post(`/api/letters/${encodeURIComponent(d.letter_id)}/dispositions`, body, { signal });
      refreshInboxCounts();
      onDone(`Disposisi terkirim kepada ${(result.items || []).map((i) => positionTitle(i.to_position)).join(', ')}.`);
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      if (err instanceof api.ApiError && err.status === 401) return;
      const msg = dispositionErrorText(err);
      if (err.field === 'to') setText(toError, msg);
      else if (err.field === 'instructions') setText(instrError, msg);
      else if (err.field === 'note') setFieldError(note, msg);
      else if (err.field === 'deadline') setFieldError(deadline, msg);
      else setText(formError, msg);
    } finally {
      form.removeAttribute('aria-busy');
      submit.disabled = false;
    }
  });
  return form;
}

/** The form that completes the disposition with a report. */
function completeForm(d, { signal, onDone }) {
  const report = field({
    id: 'report', name: 'report', label: 'Laporan tindak lanjut', type: 'textarea', required: true,
    attrs: { maxlength: '5000' },
  });
  const formError = h('div', { class: 'alert', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'complete-submit' }, 'Selesaikan');
  const form = h(
    'form',
    { class: 'card form-card', id: 'complete-form', novalidate: true, 'aria-labelledby': 'complete-title' },
    h('h2', { class: 'card-title', id: 'complete-title' }, 'Selesaikan disposisi'),
    formError,
    report.element,
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    setText(formError, '');
    setFieldError(report, '');
    const value = report.control.value.trim();
    if (!value) {
      setFieldError(report, 'Wajib diisi.');
      report.control.focus();
      return;
    }
    form.setAttribute('aria-busy', 'true');
    submit.disabled = true;
    try {
      const done = await api.post(`/api/dispositions/${encodeURIComponent(d.id)}/complete`, { report: value }, { signal });
      refreshInboxCounts();
      const finished = done && done.letter && done.letter.status === 'selesai';
      onDone(finished ? 'Disposisi selesai. Semua cabang disposisi surat ini telah selesai.' : 'Disposisi selesai.');
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      if (err instanceof api.ApiError && err.status === 401) return;
      if (err.field === 'report') setFieldError(report, dispositionErrorText(err));
      else setText(formError, dispositionErrorText(err));
    } finally {
      form.removeAttribute('aria-busy');
      submit.disabled = false;
    }
  });
  return form;
}

/** A message for the next rendering of the page (after an action). */
let flash = null;

export async function renderDisposition(view, { params, signal, user, navigate }) {
  let d;
  try {
    d = await api.get(`/api/dispositions/${encodeURIComponent(params.id)}`, { signal });
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 404) {
      append(
        view,
        h('h1', { class: 'page-title', tabindex: '-1' }, 'Disposisi tidak ditemukan'),
        h('p', {}, 'Disposisi ini tidak ada atau Anda tidak berwenang melihatnya.'),
        h('p', {}, h('a', { href: '#/kotak-masuk' }, 'Kembali ke kotak masuk')),
      );
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
    flash = { id: String(d.id), text: msg };
    navigate(`/disposisi/${encodeURIComponent(d.id)}`);
  };
  const message = flash && flash.id === String(d.id) ? flash.text : '';
  flash = null;

  const letterCard = h(
    'section',
    { class: 'card', 'aria-labelledby': 'letter-card-title' },
    h('h2', { class: 'card-title', id: 'letter-card-title' }, 'Surat'),
    detailsList([
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
    detailsList([
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
