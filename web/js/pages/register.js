// #/surat/baru — "Registrasi Surat": the front desk registers an incoming
// letter, uploads its scans and prints the receipt (tanda terima).

import * as api from '../api.js';
import { h, append, replace, setText } from '../dom.js';
import { field, setFieldError } from '../forms.js';
import { scanPicker, uploadDraft, getSuggestions } from '../scans.js';
import {
  SECURITY_LABELS, URGENCY_LABELS, agendaLabel, formatDate, formatDateTime, text, todayIso,
} from '../format.js';

/** Field errors of the API (error.code) in Indonesian. */
const CODE_MESSAGES = {
  required: 'Wajib diisi.',
  missing_field: 'Wajib diisi.',
  too_long: 'Isian terlalu panjang.',
  duplicate: 'Surat dengan nomor ini dari pengirim yang sama sudah terdaftar.',
  conflict: 'Surat dengan nomor ini dari pengirim yang sama sudah terdaftar.',
  unknown_classification: 'Kode klasifikasi tidak dikenal.',
};

const FIELD_MESSAGES = {
  letter_date: 'Tanggal tidak valid.',
  classification: 'Kode klasifikasi tidak dikenal.',
  to_position_id: 'Jabatan tujuan tidak valid.',
  security: 'Pilihan sifat tidak valid.',
  urgency: 'Pilihan urgensi tidak valid.',
};

function fieldErrorText(err) {
  if (err.status === 409 && err.field === 'letter_number') return CODE_MESSAGES.duplicate;
  if (Object.prototype.hasOwnProperty.call(CODE_MESSAGES, err.code)) return CODE_MESSAGES[err.code];
  if (/required|missing|empty/i.test(err.message || '')) return 'Wajib diisi.';
  if (Object.prototype.hasOwnProperty.call(FIELD_MESSAGES, err.field)) return FIELD_MESSAGES[err.field];
  return 'Isian tidak valid.';
}

async function loadOptional(path, signal) {
  try {
    const data = await api.get(path, { signal });
    return Array.isArray(data) ? data : (data && Array.isArray(data.items) ? data.items : []);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    if (err instanceof api.ApiError && err.status === 401) throw err;
    return null; // not available: the form does without
  }
}

function positionOptionLabel(p) {
  const title = text(p.title);
  const unit = p.unit && p.unit.name ? text(p.unit.name) : '';
  const holder = p.holder && p.holder.name ? text(p.holder.name) : '';
  let out = title && unit && !title.includes(unit) ? `${title} — ${unit}` : title || unit;
  if (holder) out += ` (${holder})`;
  return out;
}

export async function renderRegister(view, ctx) {
  const { signal, user } = ctx;
  const [classifications, positions] = await Promise.all([
    loadOptional('/api/classifications', signal),
    loadOptional('/api/positions', signal),
  ]);
  if (signal.aborted) return;

  const fields = {
    letter_number: field({ id: 'letter_number', label: 'Nomor surat', hint: 'Seperti tertulis pada surat, mis. 005/123/Disdik/2015. Kosongkan bila surat tidak bernomor.', attrs: { autocomplete: 'off', spellcheck: 'false', maxlength: '200' } }),
    letter_date: field({ id: 'letter_date', label: 'Tanggal surat', type: 'date', attrs: { max: todayIso() } }),
    sender: field({ id: 'sender', label: 'Pengirim', required: true, hint: 'Instansi atau orang yang mengirim surat.', attrs: { autocomplete: 'off', maxlength: '500' } }),
    recipient: field({ id: 'recipient', label: 'Penerima / Kepada', required: true, attrs: { autocomplete: 'off', maxlength: '500' } }),
    subject: field({ id: 'subject', label: 'Perihal', required: true, wide: true, attrs: { autocomplete: 'off', maxlength: '1000' } }),
    summary: field({ id: 'summary', label: 'Ringkasan', type: 'textarea', wide: true, attrs: { maxlength: '5000' } }),
    classification: field({
      id: 'classification',
      label: 'Kode klasifikasi',
      hint: classifications && classifications.length ? 'Ketik kode atau pilih dari daftar, mis. 005 (undangan).' : 'Mis. 005 (undangan) atau 000.1.5.',
      attrs: { autocomplete: 'off', spellcheck: 'false', maxlength: '40', list: classifications && classifications.length ? 'classification-list' : null },
    }),
    security: field({ id: 'security', label: 'Sifat', type: 'select', options: Object.entries(SECURITY_LABELS) }),
    urgency: field({ id: 'urgency', label: 'Urgensi', type: 'select', options: Object.entries(URGENCY_LABELS) }),
  };

  let entryPoints = Array.isArray(positions) ? positions.filter((p) => p && p.id !== undefined && p.id !== null) : [];
  if (entryPoints.some((p) => p.is_entry_point !== undefined)) entryPoints = entryPoints.filter((p) => p.is_entry_point);
  if (entryPoints.length) {
    fields.to_position_id = field({
      id: 'to_position_id',
      label: 'Diteruskan kepada',
      type: 'select',
      hint: 'Jabatan yang menerima surat ini di kotak masuknya.',
      options: [['', '— Belum diteruskan —'], ...entryPoints.map((p) => [String(p.id), positionOptionLabel(p)])],
    });
  }

  const datalist = classifications && classifications.length
    ? h('datalist', { id: 'classification-list' }, classifications.map((c) => h('option', { value: text(c.code) }, `${text(c.code)} — ${text(c.title)}`)))
    : null;

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
    setText(formError, '');
    for (const f of Object.values(fields)) setFieldError(f, '');

    const value = (name) => (fields[name] ? fields[name].control.value.trim() : '');
    let firstInvalid = null;
    for (const name of ['sender', 'recipient', 'subject']) {
      if (!value(name)) {
        setFieldError(fields[name], 'Wajib diisi.');
        firstInvalid = firstInvalid || fields[name];
      }
    }
    const date = value('letter_date');
    if (fields.letter_date.control.validity && fields.letter_date.control.validity.badInput) {
      setFieldError(fields.letter_date, 'Tanggal tidak valid.');
      firstInvalid = firstInvalid || fields.letter_date;
    }
    if (firstInvalid) {
      setText(formError, 'Periksa isian yang ditandai.');
      firstInvalid.control.focus();
      return;
    }

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
      const target = err instanceof api.ApiError && err.field && fields[err.field];
      if (target) {
        setFieldError(target, fieldErrorText(err));
        setText(formError, 'Periksa isian yang ditandai.');
        target.control.focus();
      } else {
        setText(formError, `Surat belum tersimpan. ${api.errorMessage(err)}`);
        formError.focus();
      }
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
  const trackUrl = `${window.location.origin}${window.location.pathname}#/lacak`;
  const unit = user.positions.find((p) => p.unit && p.unit.name);
  const rows = [
    ['Nomor agenda', agendaLabel(letter)],
    ['Diterima tanggal', formatDateTime(letter.received_at)],
    ['Pengirim', text(letter.sender)],
  ];
  if (letter.letter_number) rows.push(['Nomor surat', text(letter.letter_number)]);
  if (letter.letter_date) rows.push(['Tanggal surat', formatDate(letter.letter_date)]);
  rows.push(['Perihal', text(letter.subject)]);

  const receipt = h(
    'section',
    { class: 'receipt', id: 'receipt', 'aria-labelledby': 'receipt-title' },
    h(
      'header',
      { class: 'receipt-head' },
      h('img', { src: '/favicon.svg', alt: '', width: '40', height: '40' }),
      h(
        'div',
        {},
        h('p', { class: 'receipt-org' }, unit ? text(unit.unit.name) : 'e-Surat'),
        h('h1', { class: 'receipt-title', id: 'receipt-title', tabindex: '-1' }, 'Tanda Terima'),
      ),
    ),
    h('p', { class: 'receipt-lead' }, 'Surat berikut telah kami terima dan dicatat:'),
    h('dl', { class: 'details receipt-details' }, rows.map(([k, v]) => h('div', { class: 'details-row' }, h('dt', {}, k), h('dd', {}, v)))),
    h(
      'div',
      { class: 'receipt-code-box' },
      h('p', { class: 'receipt-code-label', id: 'receipt-code-label' }, 'Kode pelacakan'),
      h('p', { class: 'receipt-code', id: 'tracking-code', 'aria-labelledby': 'receipt-code-label' }, text(letter.tracking_code)),
      h('p', { class: 'receipt-code-help' }, 'Pantau status surat Anda di ', h('span', { class: 'receipt-url' }, trackUrl), ' dengan kode di atas.'),
    ),
    h(
      'footer',
      { class: 'receipt-foot' },
      h('p', {}, 'Petugas penerima'),
      h('p', { class: 'receipt-sign' }, text(user.name)),
    ),
  );

  const printBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'print-receipt' }, 'Cetak');
  printBtn.addEventListener('click', () => window.print());
  const again = h('a', { class: 'btn btn-secondary', href: '#/surat/baru' }, 'Registrasi surat lain');
  again.addEventListener('click', (e) => {
    e.preventDefault();
    navigate('/surat/baru'); // the same hash: the form is rendered afresh
  });
  const open = h('a', { class: 'btn btn-secondary', href: `#/surat/${encodeURIComponent(letter.id)}` }, 'Buka surat');

  const summary = [];
  if (uploads.ok.length) {
    summary.push(h('p', { class: 'notice', role: 'status' }, `${uploads.ok.length} pindaian terunggah.`));
  }
  if (uploads.failed.length) {
    summary.push(h(
      'div',
      { class: 'alert', role: 'alert' },
      h('p', {}, `${uploads.failed.length} pindaian gagal diunggah. Unggah ulang dari halaman surat.`),
      h('ul', {}, uploads.failed.map((f) => h('li', {}, `${f.file.name}: ${f.message}`))),
    ));
  }

  replace(
    view,
    receipt,
    h('div', { class: 'receipt-actions' }, printBtn, open, again),
    summary.length ? h('div', { class: 'receipt-page-notes' }, summary) : null,
  );
  document.documentElement.classList.add('print-receipt');
  signal.addEventListener('abort', () => document.documentElement.classList.remove('print-receipt'), { once: true });
  document.title = 'Tanda Terima — e-Surat';
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
