// #/admin/klasifikasi — classification codes with their retention schedule
// (years active, years inactive, final disposition): a list by code prefix,
// one form to add or change a code, and the import of a region's whole
// table from a CSV file (all or nothing; the bad lines are named).

import * as api from '../api.js';
import { h, append, replace, setText } from '../dom.js';
import { field } from '../forms.js';
import { text } from '../format.js';
import {
  FINAL_NAMES, aborted, cell, editorForm, onSubmit, pageHead, rowButton, statusLine, table,
} from './admin-common.js';

const SHOWN_MAX = 300;
const COLUMNS = 'code, title, retention_active_years, retention_inactive_years, final_disposition';

function describe(err) {
  switch (err.field) {
    case 'code': return err.status === 409 ? 'Kode ini sudah ada.' : 'Kode: tiga angka, lalu kelompok 1–4 angka dipisah titik (mis. 005, 000.1.5).';
    case 'title': return 'Isi judul (paling banyak 500 karakter).';
    case 'retention_active_years':
    case 'retention_inactive_years': return 'Isi jumlah tahun 0–1000, atau kosongkan.';
    case 'final_disposition': return 'Pilih musnah, permanen atau dinilai kembali.';
    default: return err.status === 404 ? 'Kode ini tidak ditemukan; muat ulang halaman.' : '';
  }
}

// The import's problems (core/classification.c), in Indonesian.
const PROBLEMS = [
  [/^unknown column "(.*)" \(/, (m) => `Kolom "${m[1]}" tidak dikenal (yang dikenal: ${COLUMNS}).`],
  [/^column "(.*)" appears twice$/, (m) => `Kolom "${m[1]}" muncul dua kali.`],
  [/^the header must name/, () => 'Baris pertama harus menamai kolom code dan title.'],
  [/^(\S+) must be a whole number of years \(0 to (\d+)\) or empty, not "(.*)"$/, (m) => `${m[1]} harus bilangan bulat tahun 0–${m[2]} atau kosong, bukan "${m[3]}".`],
  [/^expected (\d+) fields, found (more than )?(\d+)$/, (m) => `Seharusnya ${m[1]} kolom, ditemukan ${m[2] ? 'lebih dari ' : ''}${m[3]}.`],
  [/^field (\d+) is not valid UTF-8$/, (m) => `Kolom ke-${m[1]} bukan teks UTF-8 yang sah.`],
  [/^code is empty$/, () => 'Kode kosong.'],
  [/^invalid code "(.*)":/, (m) => `Kode "${m[1]}" tidak sah: tiga angka lalu kelompok angka dipisah titik, mis. 000.1.5.`],
  [/^title is empty$/, () => 'Judul kosong.'],
  [/^title contains control characters$/, () => 'Judul memuat karakter kendali.'],
  [/^title is longer than (\d+) characters$/, (m) => `Judul lebih dari ${m[1]} karakter.`],
  [/^final_disposition must be .* not "(.*)"$/, (m) => `final_disposition harus musnah, permanen, dinilai_kembali atau kosong, bukan "${m[1]}".`],
  [/^malformed CSV: a quoted field is not closed$/, () => 'CSV rusak: tanda kutip pembuka tanpa penutup.'],
  [/^malformed CSV/, () => 'CSV rusak (tanda kutip di tempat yang salah?).'],
  [/^the file is empty/, () => 'Berkas kosong: baris pertama harus menamai kolom.'],
  [/^code "(.*)" appears again \(first on line (\d+)\)$/, (m) => `Kode "${m[1]}" muncul lagi (pertama di baris ${m[2]}).`],
  [/^a NUL byte/, () => 'Ini bukan berkas teks CSV; simpan tabel sebagai CSV (UTF-8).'],
];

function problemText(message) {
  for (const [re, say] of PROBLEMS) {
    const m = re.exec(String(message));
    if (m) return say(m);
  }
  return String(message);
}

function yearsText(v) {
  return v === null || v === undefined ? '—' : `${v} tahun`;
}

export async function renderAdminClassifications(view, { signal }) {
  append(view, pageHead('/admin/klasifikasi', 'Kode Klasifikasi', 'Kode klasifikasi arsip dan jadwal retensinya (JRA). Induk setiap kode ditentukan dari kodenya: 000.1 untuk 000.1.5.'));
  const status = statusLine('classifications-status');

  // ---- the list
  const prefix = field({ id: 'class-prefix', label: 'Awalan kode', hint: 'mis. 000.1; kosongkan untuk semua.', attrs: { autocomplete: 'off', inputmode: 'decimal', maxlength: '64' } });
  const filter = h(
    'form',
    { class: 'card', role: 'search', 'aria-label': 'Saring kode klasifikasi', novalidate: true },
    h('div', { class: 'filters-grid' }, prefix.element),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Tampilkan')),
  );
  const tbody = h('tbody', { id: 'classification-rows' });
  const listStatus = h('p', { class: 'list-status', role: 'status' });

  // ---- the form
  const f = {
    code: field({ id: 'class-code', label: 'Kode', required: true, hint: 'Tidak dapat diubah kemudian.', attrs: { maxlength: '64', autocomplete: 'off', inputmode: 'decimal' } }),
    title: field({ id: 'class-title', label: 'Judul', required: true, attrs: { maxlength: '500', autocomplete: 'off' } }),
    retention_active_years: field({ id: 'class-active', label: 'Retensi aktif (tahun)', type: 'number', attrs: { min: '0', max: '1000', step: '1' } }),
    retention_inactive_years: field({ id: 'class-inactive', label: 'Retensi inaktif (tahun)', type: 'number', attrs: { min: '0', max: '1000', step: '1' } }),
    final_disposition: field({ id: 'class-final', label: 'Nasib akhir', type: 'select', options: [['', '— Belum ditentukan'], ...Object.entries(FINAL_NAMES)] }),
  };
  const editor = editorForm({
    id: 'class-form', body: h('div', { class: 'form-grid' }, Object.values(f).map((x) => x.element)), fields: f, describe,
  });
  const { form, title: formTitle, errors } = editor;
  let editing = null;

  function setMode(c) {
    editing = c;
    editor.start(c, c ? `Ubah kode ${text(c.code)}` : 'Kode baru', c ? 'Simpan perubahan' : 'Tambah kode');
    f.code.control.value = c ? text(c.code) : '';
    f.code.control.disabled = Boolean(c);
    f.title.control.value = c ? text(c.title) : '';
    f.retention_active_years.control.value = c ? text(c.retention_active_years) : '';
    f.retention_inactive_years.control.value = c ? text(c.retention_inactive_years) : '';
    f.final_disposition.control.value = c ? text(c.final_disposition) : '';
  }

  function row(c) {
    const edit = rowButton('Ubah', `Ubah kode ${text(c.code)}`, () => {
      setMode(c);
      formTitle.focus();
    });
    return h(
      'tr',
      { dataset: { code: text(c.code) } },
      cell('Kode', h('span', { class: 'cell-main' }, text(c.code))),
      cell('Judul', text(c.title)),
      cell('Aktif', yearsText(c.retention_active_years)),
      cell('Inaktif', yearsText(c.retention_inactive_years)),
      cell('Nasib akhir', FINAL_NAMES[c.final_disposition] || '—'),
      h('td', { class: 'cell-narrow' }, edit),
    );
  }

  async function load() {
    setText(listStatus, 'Memuat…');
    const list = await api.get('/api/classifications', { query: { prefix: prefix.control.value.trim() }, signal });
    const items = Array.isArray(list) ? list : [];
    replace(tbody, items.slice(0, SHOWN_MAX).map(row));
    setText(listStatus, items.length > SHOWN_MAX
      ? `${SHOWN_MAX} dari ${items.length} kode ditampilkan; saring dengan awalan kode.`
      : `${items.length} kode.`);
  }

  filter.addEventListener('submit', (event) => {
    event.preventDefault();
    load().catch((err) => { if (!aborted(err)) setText(listStatus, api.errorMessage(err)); });
  });
  editor.cancel.addEventListener('click', () => {
    setMode(null);
    f.code.control.focus();
  });
  onSubmit(form, editor.submit, errors, async () => {
    setText(status, '');
    const years = (x) => (x.control.value === '' ? null : Number(x.control.value));
    const body = {
      title: f.title.control.value.trim(),
      retention_active_years: years(f.retention_active_years),
      retention_inactive_years: years(f.retention_inactive_years),
      final_disposition: f.final_disposition.control.value || null,
    };
    if (!editing) body.code = f.code.control.value.trim();
    const saved = editing
      ? await api.patch(`/api/classifications/${encodeURIComponent(editing.code)}`, body, { signal })
      : await api.post('/api/classifications', body, { signal });
    setText(status, `Kode ${text(saved.code)} disimpan.`);
    setMode(null);
    await load();
  });

  // ---- the import
  const file = field({ id: 'class-file', label: 'Berkas CSV', type: 'file', required: true, attrs: { accept: '.csv,text/csv' } });
  const importError = h('div', { class: 'alert', role: 'alert', id: 'import-error' });
  const problems = h('ul', { class: 'plain-list', id: 'import-problems' });
  const importStatus = h('p', { class: 'notice', role: 'status', id: 'import-status' });
  const importButton = h('button', { type: 'submit', class: 'btn btn-primary', id: 'import-submit' }, 'Impor');
  const importForm = h(
    'form',
    { class: 'card form-card', id: 'import-form', novalidate: true, 'aria-labelledby': 'import-title' },
    h('h2', { class: 'card-title', id: 'import-title' }, 'Impor tabel klasifikasi (CSV)'),
    h('p', {}, 'Baris pertama menamai kolom: ', h('code', {}, COLUMNS),
      '. Hanya code dan title yang wajib; kolom yang tidak ada tidak mengubah nilai tersimpan, isian kosong mengosongkannya. Pemisah koma atau titik koma. Nasib akhir: musnah, permanen atau dinilai kembali.'),
    h('p', { class: 'hint' }, 'Semua atau tidak sama sekali: satu baris bermasalah membatalkan seluruh impor, dan baris itu disebutkan.'),
    importStatus,
    importError,
    problems,
    file.element,
    h('div', { class: 'form-actions' }, importButton),
  );
  importForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    setText(importStatus, '');
    setText(importError, '');
    replace(problems);
    setText(file.error, '');
    const picked = file.control.files && file.control.files[0];
    if (!picked) {
      setText(file.error, 'Pilih berkas CSV.');
      file.control.focus();
      return;
    }
    importButton.disabled = true;
    try {
      // Spreadsheets name CSV files with many types; the content decides.
      const r = await api.post('/api/classifications/import', new Blob([await picked.arrayBuffer()], { type: 'text/csv' }),
        { headers: { 'Content-Type': 'text/csv' }, signal });
      setText(importStatus, `Impor selesai: ${r.rows} baris — ${r.created} kode baru, ${r.updated} diperbarui, ${r.unchanged} tetap.`);
      importForm.reset();
      await load();
    } catch (err) {
      if (aborted(err)) return;
      const data = err instanceof api.ApiError && err.data;
      if (err.status === 422 && data && Array.isArray(data.problems)) {
        const count = data.problem_count || data.problems.length;
        setText(importError, `Tidak ada yang diimpor: ${count} baris bermasalah.`);
        replace(problems, data.problems.map((p) => h('li', {}, h('strong', {}, `Baris ${text(p.line)}: `), problemText(p.message))));
      } else if (err.status === 413) {
        setText(importError, 'Berkas terlalu besar (paling besar 8 MB).');
      } else {
        setText(importError, err.status === 400 ? 'Berkas kosong.' : api.errorMessage(err));
      }
    } finally {
      importButton.disabled = false;
    }
  });

  append(
    view,
    status,
    filter,
    h('section', { 'aria-labelledby': 'class-list-title' },
      h('h2', { class: 'visually-hidden', id: 'class-list-title' }, 'Daftar kode klasifikasi'),
      table('Daftar kode klasifikasi', ['Kode', 'Judul', 'Aktif', 'Inaktif', 'Nasib akhir', ''], tbody),
      listStatus),
    form,
    importForm,
  );
  setMode(null);
  await load();
}
