// #/admin/instruksi — the admin edits the standard disposition instructions:
// label, order, retired or not; and adds new ones. An instruction is never
// deleted (dispositions refer to it): a retired one is no longer offered.

import * as api from '../api.js';
import { h, append, setText } from '../dom.js';
import { field, setFieldError } from '../forms.js';
import { forgetInstructions } from '../dispositions.js';
import { text } from '../format.js';

function errorText(err) {
  if (!(err instanceof api.ApiError)) return 'Terjadi kesalahan. Coba lagi.';
  if (err.status === 409) return 'Kode ini sudah dipakai.';
  if (err.field === 'code') return 'Kode: huruf kecil di awal, lalu huruf kecil, angka atau garis bawah.';
  if (err.field === 'label') return 'Isi label.';
  if (err.field === 'sort_order') return 'Urutan: bilangan bulat 0 atau lebih.';
  return api.errorMessage(err);
}

function instructionRow(item, { signal, status }) {
  const code = text(item.code);
  const labelInput = h('input', { type: 'text', value: text(item.label), 'aria-label': `Label ${code}`, maxlength: '200' });
  const orderInput = h('input', { type: 'number', value: text(item.sort_order), min: '0', step: '1', 'aria-label': `Urutan ${code}` });
  const activeBox = h('input', { type: 'checkbox', 'aria-label': `Aktif ${code}` });
  activeBox.checked = item.active !== false;
  const save = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, 'Simpan');
  save.addEventListener('click', async () => {
    const body = { label: labelInput.value.trim(), active: activeBox.checked };
    if (orderInput.value !== '') body.sort_order = Number(orderInput.value);
    save.disabled = true;
    setText(status, '');
    try {
      await api.patch(`/api/instructions/${encodeURIComponent(code)}`, body, { signal });
      forgetInstructions();
      setText(status, `Instruksi ${code} disimpan.`);
    } catch (err) {
      if (!(err && err.name === 'AbortError')) setText(status, `${code}: ${errorText(err)}`);
    } finally {
      save.disabled = false;
    }
  });
  return h(
    'tr',
    { dataset: { code } },
    h('td', {}, h('code', {}, code)),
    h('td', {}, labelInput),
    h('td', { class: 'cell-narrow' }, orderInput),
    h('td', { class: 'cell-narrow' }, activeBox),
    h('td', { class: 'cell-narrow' }, save),
  );
}

export async function renderInstructions(view, { signal, navigate }) {
  const list = await api.get('/api/instructions', { query: { all: 'true' }, signal });
  if (signal.aborted) return;
  const status = h('p', { class: 'notice', role: 'status', id: 'instructions-status' });
  const rows = (Array.isArray(list) ? list : []).map((item) => instructionRow(item, { signal, status }));

  const code = field({ id: 'new-code', label: 'Kode', required: true, hint: 'Huruf kecil, angka dan garis bawah; tidak dapat diubah kemudian.', attrs: { maxlength: '64', autocapitalize: 'none', spellcheck: 'false' } });
  const labelField = field({ id: 'new-label', label: 'Label', required: true, attrs: { maxlength: '200' } });
  const order = field({ id: 'new-order', label: 'Urutan', type: 'number', hint: 'Kosongkan untuk menaruhnya paling akhir.', attrs: { min: '0', step: '1' } });
  const formError = h('div', { class: 'alert', role: 'alert' });
  const add = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Tambah');
  const form = h(
    'form',
    { class: 'card form-card', novalidate: true, 'aria-labelledby': 'new-instruction-title' },
    h('h2', { class: 'card-title', id: 'new-instruction-title' }, 'Instruksi baru'),
    formError,
    h('div', { class: 'form-grid' }, code.element, labelField.element, order.element),
    h('div', { class: 'form-actions' }, add),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    setText(formError, '');
    setFieldError(code, '');
    setFieldError(labelField, '');
    setFieldError(order, '');
    const body = { code: code.control.value.trim(), label: labelField.control.value.trim() };
    if (order.control.value !== '') body.sort_order = Number(order.control.value);
    add.disabled = true;
    try {
      await api.post('/api/instructions', body, { signal });
      forgetInstructions();
      navigate('/admin/instruksi');
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      const msg = errorText(err);
      if (err.field === 'code') setFieldError(code, msg);
      else if (err.field === 'label') setFieldError(labelField, msg);
      else if (err.field === 'sort_order') setFieldError(order, msg);
      else setText(formError, msg);
    } finally {
      add.disabled = false;
    }
  });

  append(
    view,
    h('h1', { class: 'page-title', tabindex: '-1' }, 'Instruksi Disposisi'),
    h('p', { class: 'page-lead' }, 'Instruksi baku yang dicentang pada lembar disposisi. Instruksi yang tidak aktif tidak ditawarkan lagi, tetapi tetap tercatat pada disposisi lama.'),
    status,
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'registry instructions-table' },
          h('thead', {}, h('tr', {}, ['Kode', 'Label', 'Urutan', 'Aktif', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, rows),
        ),
      ),
    ),
    form,
  );
}
