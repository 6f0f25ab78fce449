// #/admin/unit — units (SKPD, bagian) with their parent unit and the template
// of their outgoing letter numbers. While the template is typed, the number
// it would give next is shown (GET /api/numbering/template-preview: the
// server's own numbering code, so the preview is the real thing).

import * as api from '../api.js';
import { h, append, replace, setText } from '../dom.js';
import { field } from '../forms.js';
import { text } from '../format.js';
import {
  aborted, cell, debounce, editorForm, onSubmit, pageHead, rowButton, setOptions, statusLine, table,
} from './admin-common.js';

const DEFAULT_TEMPLATE = '{klasifikasi}/{urut}/{unit}/{tahun}';
const PLACEHOLDERS = '{klasifikasi} kode klasifikasi, {urut} nomor urut (wajib), {unit} kode unit, {tahun} tahun, {bulan} bulan (01–12), {bulan_romawi} bulan Romawi (I–XII), {sifat} sifat surat (B, T, R, SR).';

/** The reason the server gives for a bad template, in Indonesian. */
function templateReason(message) {
  const m = String(message || '');
  if (m.includes('unknown placeholder')) return 'Ada penanda yang tidak dikenal.';
  if (m.includes('unbalanced')) return 'Kurung kurawal { } tidak berpasangan.';
  if (m.includes('{urut}')) return 'Templat harus memuat {urut}: tanpa nomor urut, nomor surat akan berulang.';
  if (m.includes('control')) return 'Templat memuat karakter kendali.';
  if (m.includes('too long') || m.includes('at most')) return 'Templat atau nomor yang dihasilkan terlalu panjang (paling banyak 200 karakter).';
  return 'Templat tidak dapat dipakai.';
}

function describe(err) {
  const conflict = err.status === 409;
  switch (err.field) {
    case 'code': return conflict ? 'Kode unit ini sudah dipakai unit lain.' : 'Kode: huruf, angka, titik, garis bawah atau tanda hubung (paling banyak 32), diawali huruf atau angka.';
    case 'name': return 'Isi nama unit (paling banyak 200 karakter).';
    case 'parent_id': return conflict ? 'Unit induk tidak boleh unit ini sendiri atau unit di bawahnya.' : 'Pilih unit induk yang ada.';
    case 'number_template': return templateReason(err.message);
    default: return err.status === 404 ? 'Unit ini tidak ditemukan; muat ulang halaman.' : '';
  }
}

export async function renderAdminUnits(view, { signal }) {
  append(view, pageHead('/admin/unit', 'Unit dan Nomor Surat', 'Unit kerja dan templat nomor surat keluarnya. Nomor urut dimulai lagi setiap tahun, tanpa lompatan.'));
  const status = statusLine('units-status');
  const tbody = h('tbody', { id: 'units-rows' });
  let units = [];

  const f = {
    code: field({ id: 'unit-code', label: 'Kode unit', required: true, hint: 'Muncul di nomor surat sebagai {unit}, mis. Setda.', attrs: { maxlength: '32', autocomplete: 'off', spellcheck: 'false' } }),
    name: field({ id: 'unit-name', label: 'Nama unit', required: true, attrs: { maxlength: '200', autocomplete: 'off' } }),
    parent_id: field({ id: 'unit-parent', label: 'Unit induk', type: 'select' }),
    number_template: field({ id: 'unit-template', label: 'Templat nomor surat keluar', wide: true, hint: `Kosongkan untuk templat bawaan ${DEFAULT_TEMPLATE}. Penanda: ${PLACEHOLDERS}`, attrs: { maxlength: '200', autocomplete: 'off', spellcheck: 'false', placeholder: DEFAULT_TEMPLATE } }),
  };
  const preview = h('p', { class: 'notice', id: 'unit-template-preview', role: 'status', 'aria-live': 'polite' });
  f.number_template.control.setAttribute('aria-describedby', `${f.number_template.control.getAttribute('aria-describedby')} ${preview.id}`);
  f.number_template.element.append(preview);
  const editor = editorForm({
    id: 'unit-form',
    body: h('div', { class: 'form-grid' }, f.code.element, f.name.element, f.parent_id.element, f.number_template.element),
    fields: f,
    describe,
  });
  const { form, title: formTitle, errors } = editor;
  let editing = null;

  // ---- the live preview: the newest answer wins, older ones are dropped
  let previewController = null;
  signal.addEventListener('abort', () => previewController && previewController.abort(), { once: true });
  async function showPreview() {
    if (previewController) previewController.abort();
    const controller = new AbortController();
    previewController = controller;
    const template = f.number_template.control.value.trim() || DEFAULT_TEMPLATE;
    try {
      const answer = await api.get('/api/numbering/template-preview', {
        query: { template, unit_id: editing ? editing.id : '', unit_code: f.code.control.value.trim() || 'Unit' },
        signal: controller.signal,
      });
      setText(preview, `Contoh nomor berikutnya (klasifikasi 005): ${text(answer.letter_number)}`);
    } catch (err) {
      if (aborted(err)) return;
      const bad = err instanceof api.ApiError && err.status === 400;
      setText(preview, bad ? `Templat belum dapat dipakai: ${templateReason(err.message)}` : api.errorMessage(err));
    }
  }
  const schedulePreview = debounce(showPreview, 250);
  f.number_template.control.addEventListener('input', schedulePreview);
  f.code.control.addEventListener('input', schedulePreview);

  function parentOptions() {
    setOptions(f.parent_id.control, '— Tanpa induk (paling atas)', units
      .filter((u) => !editing || u.id !== editing.id)
      .map((u) => [u.id, `${text(u.name)} (${text(u.code)})`]));
  }

  function setMode(unit) {
    editing = unit;
    editor.start(unit, unit ? `Ubah unit ${text(unit.code)}` : 'Unit baru', unit ? 'Simpan perubahan' : 'Tambah unit');
    parentOptions();
    f.code.control.value = unit ? text(unit.code) : '';
    f.name.control.value = unit ? text(unit.name) : '';
    f.parent_id.control.value = unit && unit.parent_id ? String(unit.parent_id) : '';
    f.number_template.control.value = unit && !unit.number_template_default ? text(unit.number_template) : '';
    showPreview();
  }

  function unitRow(unit) {
    const parent = units.find((u) => u.id === unit.parent_id);
    const edit = rowButton('Ubah', `Ubah unit ${text(unit.code)}`, () => {
      setMode(unit);
      formTitle.focus();
    });
    return h(
      'tr',
      { dataset: { id: text(unit.id), code: text(unit.code) } },
      cell('Kode', h('span', { class: 'cell-main' }, text(unit.code))),
      cell('Nama', text(unit.name)),
      cell('Induk', parent ? text(parent.name) : '—'),
      cell('Templat nomor', h('code', {}, text(unit.number_template)), unit.number_template_default ? h('span', { class: 'cell-sub' }, 'bawaan') : null),
      cell('Nomor berikutnya', unit.number_preview ? text(unit.number_preview) : `Templat rusak: ${templateReason(unit.number_template_error)}`),
      h('td', { class: 'cell-narrow' }, edit),
    );
  }

  async function load() {
    const list = await api.get('/api/units', { signal });
    units = Array.isArray(list) ? list : [];
    replace(tbody, units.map(unitRow));
    parentOptions();
  }

  editor.cancel.addEventListener('click', () => {
    setMode(null);
    f.code.control.focus();
  });
  onSubmit(form, editor.submit, errors, async () => {
    setText(status, '');
    const body = {
      code: f.code.control.value.trim(),
      name: f.name.control.value.trim(),
      parent_id: f.parent_id.control.value ? Number(f.parent_id.control.value) : null,
      number_template: f.number_template.control.value.trim() || null,
    };
    const saved = editing
      ? await api.patch(`/api/units/${encodeURIComponent(editing.id)}`, body, { signal })
      : await api.post('/api/units', body, { signal });
    setText(status, `Unit ${text(saved.code)} disimpan. Nomor surat keluar berikutnya: ${text(saved.number_preview)}.`);
    await load();
    setMode(null);
  });

  append(
    view,
    status,
    h('section', { 'aria-labelledby': 'units-list-title' },
      h('h2', { class: 'visually-hidden', id: 'units-list-title' }, 'Daftar unit'),
      table('Daftar unit', ['Kode', 'Nama', 'Induk', 'Templat nomor', 'Nomor berikutnya', ''], tbody)),
  );
  await load();
  setMode(null);
  // The form only once the units are loaded: shown earlier, what a quick
  // user typed was cleared by setMode when they arrived.
  append(view, form);
}
