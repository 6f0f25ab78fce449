// #/surat/baru — "Registrasi Surat": the front desk registers an incoming
// letter, uploads its scans and prints the receipt (tanda terima).

import * as api from '../api.js';
import { h, append, setText } from '../dom.js';
import { field } from '../forms.js';
import { scanPicker, uploadDraft, getSuggestions } from '../scans.js';
import { showReceipt } from '../receipt.js';
import { agendaLabel } from '../format.js';
import {
  checkLetterFields, entryPoints, fieldValue, letterFields, loadOptional, positionOptionLabel, showLetterError,
} from '../letterform.js';

export async function renderRegister(view, ctx) {
  const { signal, user } = ctx;
  const [classifications, positions] = await Promise.all([
    loadOptional('/api/classifications', signal),
    loadOptional('/api/positions', signal),
  ]);
  if (signal.aborted) return;

  const { fields, datalist } = letterFields({ classifications });
  const leaders = entryPoints(positions);
  if (leaders.length) {
    fields.to_position_id = field({
      id: 'to_position_id',
      label: 'Diteruskan kepada',
      type: 'select',
      hint: 'Jabatan yang menerima surat ini di kotak masuknya.',
      options: [['', '— Belum diteruskan —'], ...leaders.map((p) => [String(p.id), positionOptionLabel(p)])],
    });
  }

  // The first file chosen is uploaded at once as a draft; what OCR reads on
  // its first page fills the fields still empty (the front desk checks them).
  const suggestNote = h('p', { class: 'notice suggest-note', role: 'status', id: 'suggest-status' });
  const picker = scanPicker({
    id: 'scans',
    signal,
    onAdd: (entry, first) => {
      if (!first) return;
      entry.draft = uploadForSuggestions(entry, picker, signal);
      entry.draft.then((id) => id && prefillFromScan(id, entry, fields, picker, suggestNote, signal));
    },
  });
  const formError = h('div', { class: 'alert', role: 'alert', id: 'register-error', tabindex: '-1' });
  const progressNote = h('p', { class: 'notice', role: 'status', id: 'register-status' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'register-submit' }, 'Simpan dan buat tanda terima');
  const form = h(
    'form',
    { class: 'card form-card', id: 'register-form', novalidate: true, 'aria-labelledby': 'register-title' },
    formError,
    h(
      'fieldset',
      { class: 'form-grid' },
      h('legend', { class: 'visually-hidden' }, 'Data surat'),
      Object.values(fields).map((f) => f.element),
      datalist,
    ),
    picker.element,
    suggestNote,
    progressNote,
    h('div', { class: 'form-actions' }, submit, h('span', { class: 'hint' }, 'Isian bertanda * wajib diisi.')),
  );

  append(
    view,
    h('h1', { class: 'page-title', id: 'register-title', tabindex: '-1' }, 'Registrasi Surat'),
    h('p', { class: 'page-lead' }, 'Catat surat masuk, unggah pindaiannya, lalu serahkan tanda terima kepada pengantar surat.'),
    form,
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    if (!checkLetterFields(fields, formError)) return;
    const value = (name) => fieldValue(fields, name);
    const date = value('letter_date');

    const body = {
      direction: 'in',
      sender: value('sender'),
      recipient: value('recipient'),
      subject: value('subject'),
      security: value('security') || 'biasa',
      urgency: value('urgency') || 'biasa',
    };
    if (value('letter_number')) body.letter_number = value('letter_number');
    if (date) body.letter_date = date;
    if (value('summary')) body.summary = value('summary');
    if (value('classification')) body.classification = value('classification');
    if (value('to_position_id')) body.to_position_id = Number(value('to_position_id'));

    form.setAttribute('aria-busy', 'true');
    submit.disabled = true;
    setText(progressNote, 'Menyimpan surat…');
    let letter;
    try {
      letter = await api.post('/api/letters', body, { signal });
    } catch (err) {
      form.removeAttribute('aria-busy');
      submit.disabled = false;
      setText(progressNote, '');
      if (err && err.name === 'AbortError') return;
      if (err instanceof api.ApiError && err.status === 401) return;
      showLetterError(fields, formError, err, 'Surat belum tersimpan.');
      return;
    }

    // The letter exists now; its number is taken. Upload the scans.
    let result = { ok: [], failed: [] };
    if (picker.files().length) {
      setText(progressNote, `Surat tersimpan (nomor agenda ${agendaLabel(letter)}). Mengunggah pindaian…`);
      try {
        result = await picker.uploadAll(letter.id);
      } catch (err) {
        if (err && err.name === 'AbortError') return;
        throw err;
      }
    }
    if (signal.aborted) return;
    renderReceipt(view, { letter, user, uploads: result, signal, navigate: ctx.navigate });
  });
}

/** The receipt page that replaces the form after a registration. */
function renderReceipt(view, { letter, user, uploads, signal, navigate }) {
  const again = h('a', { class: 'btn btn-secondary', href: '#/surat/baru' }, 'Registrasi surat lain');
  again.addEventListener('click', (e) => {
    e.preventDefault();
    navigate('/surat/baru'); // the same hash: the form is rendered afresh
  });
  const open = h('a', { class: 'btn btn-secondary', href: `#/surat/${encodeURIComponent(letter.id)}` }, 'Buka surat');

  const notes = [];
  if (uploads.ok.length) {
    notes.push(h('p', { class: 'notice', role: 'status' }, `${uploads.ok.length} pindaian terunggah.`));
  }
  if (uploads.failed.length) {
    notes.push(h(
      'div',
      { class: 'alert', role: 'alert' },
      h('p', {}, `${uploads.failed.length} pindaian gagal diunggah. Unggah ulang dari halaman surat.`),
      h('ul', {}, uploads.failed.map((f) => h('li', {}, `${f.file.name}: ${f.message}`))),
    ));
  }
  const receipt = showReceipt(view, { letter, registrar: user.name, signal, actions: [open, again], notes });
  receipt.querySelector('h1').focus();
}

const SUGGESTED_FIELDS = { letter_number: 'nomor surat', letter_date: 'tanggal surat', subject: 'perihal', sender: 'pengirim' };

/**
 * Uploads the file as a draft scan. Resolves to the draft's id (attached
 * when the letter is saved), or null when the upload failed (the file is
 * then uploaded after saving, as any other).
 */
async function uploadForSuggestions(entry, picker, signal) {
  try {
    picker.setStatus(entry, 'Mengunggah untuk dibaca…');
    const draft = await uploadDraft(entry.file, { signal });
    return draft && draft.id !== undefined ? draft.id : null;
  } catch (err) {
    if (!(err && err.name === 'AbortError')) picker.setStatus(entry, '');
    return null;
  }
}

/**
 * Waits for the draft's OCR (a minute and a half at most) and puts the
 * suggestions into the fields the user left empty.
 */
async function prefillFromScan(draftId, entry, fields, picker, note, signal) {
  const draft = { id: draftId };
  picker.setStatus(entry, 'Dibaca OCR…');
  setText(note, 'Pindaian sedang dibaca; isian kosong akan diisi otomatis.');
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline && !signal.aborted) {
    let data;
    try {
      data = await getSuggestions(draft.id, { signal });
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      break;
    }
    if (data && data.ocr_status === 'done') {
      const s = data.suggestions || {};
      const filled = [];
      for (const name of Object.keys(SUGGESTED_FIELDS)) {
        const f = fields[name];
        if (!f || typeof s[name] !== 'string' || !s[name] || f.control.value) continue;
        f.control.value = s[name];
        f.control.classList.add('suggested');
        filled.push(SUGGESTED_FIELDS[name]);
      }
      picker.setStatus(entry, 'Terbaca');
      setText(note, filled.length
        ? `Diisi dari pindaian: ${filled.join(', ')}. Periksa kembali sebelum menyimpan.`
        : 'Pindaian terbaca, tetapi tidak ada isian yang dapat diisi otomatis.');
      return;
    }
    if (data && data.ocr_status === 'failed') {
      picker.setStatus(entry, 'Tidak terbaca');
      setText(note, 'Pindaian tidak dapat dibaca OCR; isi formulir secara manual.');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  picker.setStatus(entry, '');
  setText(note, '');
}
