// A letter's metadata in the pages: reading one letter (the letter page,
// the receipt page), and its fields, shared by the registration form
// (pages/register.js) and the correction form of the letter page
// (pages/letter.js): one field() per API field, the checks made before
// sending, and the API's field errors in Indonesian.

import * as api from './api.js';
import { h, messagePage, setText } from './dom.js';
import { field, setFieldError } from './forms.js';
import { SECURITY_LABELS, URGENCY_LABELS, positionLabel, text, todayIso } from './format.js';

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

/** The Indonesian text of an API error that names a field. */
export function fieldErrorText(err) {
  if (err.status === 409 && (err.field === 'letter_number' || err.field === 'sender')) return CODE_MESSAGES.duplicate;
  if (Object.prototype.hasOwnProperty.call(CODE_MESSAGES, err.code)) return CODE_MESSAGES[err.code];
  if (/required|missing|empty/i.test(err.message || '')) return 'Wajib diisi.';
  if (/too long|at most/i.test(err.message || '')) return CODE_MESSAGES.too_long;
  if (/control character/i.test(err.message || '')) return 'Isian memuat karakter yang tidak diizinkan.';
  if (Object.prototype.hasOwnProperty.call(FIELD_MESSAGES, err.field)) return FIELD_MESSAGES[err.field];
  return 'Isian tidak valid.';
}

/**
 * GET /api/letters/{id}: the letter, or null after saying on view that it
 * does not exist or may not be seen (the API answers 404 for both).
 */
export async function loadLetter(view, id, signal) {
  try {
    return await api.get(`/api/letters/${encodeURIComponent(id)}`, { signal });
  } catch (err) {
    if (err instanceof api.ApiError && (err.status === 404 || err.status === 400)) {
      messagePage(view, 'Surat tidak ditemukan', 'Surat ini tidak ada atau Anda tidak berwenang melihatnya.', ['#/surat', 'Kembali ke daftar surat']);
      return null;
    }
    throw err;
  }
}

/** A list from the API, or null when it cannot be had (the form does without). */
export async function loadOptional(path, signal) {
  try {
    const data = await api.get(path, { signal });
    return Array.isArray(data) ? data : (data && Array.isArray(data.items) ? data.items : []);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    if (err instanceof api.ApiError && err.status === 401) throw err;
    return null;
  }
}

/** "Walikota Pekanbaru — Pemerintah Kota Pekanbaru (H. Muhammad Rizal)". */
export function positionOptionLabel(p) {
  const holder = p.holder && p.holder.name ? text(p.holder.name) : '';
  return holder ? `${positionLabel(p)} (${holder})` : positionLabel(p);
}

/** The entry points (the leaders a letter is routed to) of GET /api/positions. */
export function entryPoints(positions) {
  let list = Array.isArray(positions) ? positions.filter((p) => p && p.id !== undefined && p.id !== null) : [];
  if (list.some((p) => p.is_entry_point !== undefined)) list = list.filter((p) => p.is_entry_point);
  return list;
}

/**
 * The metadata fields, keyed by API name, with ids prefix + name:
 * { fields, datalist }. number: false leaves out letter_number (an
 * outgoing letter's number is the registry's).
 */
export function letterFields({ prefix = '', classifications = null, number = true } = {}) {
  const listId = `${prefix}classification-list`;
  const hasList = Array.isArray(classifications) && classifications.length > 0;
  const id = (name) => `${prefix}${name}`;
  const fields = {};
  if (number) {
    fields.letter_number = field({ id: id('letter_number'), name: 'letter_number', label: 'Nomor surat', hint: 'Seperti tertulis pada surat, mis. 005/123/Disdik/2015. Kosongkan bila surat tidak bernomor.', attrs: { autocomplete: 'off', spellcheck: 'false', maxlength: '100' } });
  }
  Object.assign(fields, {
    letter_date: field({ id: id('letter_date'), name: 'letter_date', label: 'Tanggal surat', type: 'date', attrs: { max: todayIso() } }),
    sender: field({ id: id('sender'), name: 'sender', label: 'Pengirim', required: true, hint: 'Instansi atau orang yang mengirim surat.', attrs: { autocomplete: 'off', maxlength: '300' } }),
    recipient: field({ id: id('recipient'), name: 'recipient', label: 'Penerima / Kepada', required: true, attrs: { autocomplete: 'off', maxlength: '300' } }),
    subject: field({ id: id('subject'), name: 'subject', label: 'Perihal', required: true, wide: true, attrs: { autocomplete: 'off', maxlength: '500' } }),
    summary: field({ id: id('summary'), name: 'summary', label: 'Ringkasan', type: 'textarea', wide: true, attrs: { maxlength: '5000' } }),
    classification: field({
      id: id('classification'),
      name: 'classification',
      label: 'Kode klasifikasi',
      hint: hasList ? 'Ketik kode atau pilih dari daftar, mis. 005 (undangan).' : 'Mis. 005 (undangan) atau 000.1.5.',
      attrs: { autocomplete: 'off', spellcheck: 'false', maxlength: '64', list: hasList ? listId : null },
    }),
    security: field({ id: id('security'), name: 'security', label: 'Sifat', type: 'select', options: Object.entries(SECURITY_LABELS) }),
    urgency: field({ id: id('urgency'), name: 'urgency', label: 'Urgensi', type: 'select', options: Object.entries(URGENCY_LABELS) }),
  });
  const datalist = hasList
    ? h('datalist', { id: listId }, classifications.map((c) => h('option', { value: text(c.code) }, `${text(c.code)} — ${text(c.title)}`)))
    : null;
  return { fields, datalist };
}

/** The trimmed value of a field ('' when the form has no such field). */
export function fieldValue(fields, name) {
  return fields[name] ? fields[name].control.value.trim() : '';
}

/**
 * Clears the errors, then checks what the browser can check before sending
 * (required fields, a date the browser could not read). Marks each bad
 * field beside it, says so in formError and focuses the first; returns
 * whether the form may be sent.
 */
export function checkLetterFields(fields, formError) {
  setText(formError, '');
  for (const f of Object.values(fields)) setFieldError(f, '');
  let firstInvalid = null;
  for (const name of ['sender', 'recipient', 'subject']) {
    if (fields[name] && !fieldValue(fields, name)) {
      setFieldError(fields[name], 'Wajib diisi.');
      firstInvalid = firstInvalid || fields[name];
    }
  }
  const date = fields.letter_date && fields.letter_date.control;
  if (date && date.validity && date.validity.badInput) {
    setFieldError(fields.letter_date, 'Tanggal tidak valid.');
    firstInvalid = firstInvalid || fields.letter_date;
  }
  if (!firstInvalid) return true;
  setText(formError, 'Periksa isian yang ditandai.');
  firstInvalid.control.focus();
  return false;
}

/**
 * Shows an API error of a letter form: beside its field when it names one
 * (the focus goes there), else in formError with what (e.g. 'Surat belum
 * tersimpan.') before the message.
 */
export function showLetterError(fields, formError, err, what) {
  const target = err instanceof api.ApiError && err.field && fields[err.field];
  if (target) {
    setFieldError(target, fieldErrorText(err));
    setText(formError, 'Periksa isian yang ditandai.');
    target.control.focus();
  } else {
    setText(formError, `${what} ${api.errorMessage(err)}`);
    formError.focus();
  }
}

/** Fields the API clears with null when they are emptied. */
const NULLABLE = new Set(['letter_number', 'letter_date', 'summary', 'classification']);

/**
 * The correction form of a letter's metadata (PATCH /api/letters/{id}),
 * filled with its values; only what changed is sent. onDone(letter) after
 * the API took it; onCancel() when the user gives up.
 */
export function correctionForm(letter, { classifications = null, signal, onDone, onCancel }) {
  const { fields, datalist } = letterFields({ prefix: 'edit-', classifications, number: letter.direction === 'in' });
  for (const [name, f] of Object.entries(fields)) f.control.value = text(letter[name]);
  // A date in the future is the letter's own business when correcting.
  fields.letter_date.control.removeAttribute('max');
  const formError = h('div', { class: 'alert', role: 'alert', id: 'edit-error', tabindex: '-1' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'edit-submit' }, 'Simpan koreksi');
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', id: 'edit-cancel' }, 'Batal');
  cancel.addEventListener('click', () => onCancel());
  const form = h(
    'form',
    { class: 'edit-form', id: 'edit-form', novalidate: true, 'aria-label': 'Koreksi data surat' },
    formError,
    h('fieldset', { class: 'form-grid' }, h('legend', { class: 'visually-hidden' }, 'Data surat'), Object.values(fields).map((f) => f.element), datalist),
    h('div', { class: 'form-actions' }, submit, cancel, h('span', { class: 'hint' }, 'Setiap koreksi tercatat di riwayat surat.')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true' || !checkLetterFields(fields, formError)) return;
    const body = {};
    for (const name of Object.keys(fields)) {
      const value = fieldValue(fields, name);
      if (value === text(letter[name])) continue;
      body[name] = value === '' && NULLABLE.has(name) ? null : value;
    }
    if (!Object.keys(body).length) {
      setText(formError, 'Tidak ada yang diubah.');
      return;
    }
    form.setAttribute('aria-busy', 'true');
    submit.disabled = true;
    try {
      onDone(await api.patch(`/api/letters/${encodeURIComponent(letter.id)}`, body, { signal }));
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      if (err instanceof api.ApiError && err.status === 401) return;
      if (err instanceof api.ApiError && err.status === 403) {
        setText(formError, 'Hanya Bagian Umum unit yang meregistrasi surat ini, atau administrator, yang dapat mengoreksinya.');
        formError.focus();
      } else {
        showLetterError(fields, formError, err, 'Koreksi belum tersimpan.');
      }
    } finally {
      form.removeAttribute('aria-busy');
      submit.disabled = false;
    }
  });
  return { form, first: Object.values(fields)[0].control };
}

/** Whether the user may correct the letter: an admin, or the front desk of
 * the registering unit (the API decides in the end). */
export function mayCorrect(letter, user) {
  if (user.roles.includes('admin')) return true;
  const unit = letter.unit && letter.unit.id;
  return user.roles.includes('front_desk') && user.positions.some((p) => p.unit && String(p.unit.id) === String(unit));
}
