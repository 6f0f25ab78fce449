// #/arsip/ekspor — "Ekspor Arsip": the archive of a period as a BagIt bag
// (GET /api/export). Two ways to download it:
//   - "Unduh" is a plain link: the browser's own download shows the bytes
//     received so far, and nothing is held in the page's memory, whatever
//     the size of the period;
//   - "Unduh dengan kemajuan" reads the stream here and shows the bytes so
//     far against the size of the scans (the answer's X-Esurat-Scan-Bytes).
//     Where the browser can write to a file chosen by the user
//     (showSaveFilePicker), the bytes go straight there; elsewhere they are
//     collected, and a link saves them at the end (fine for a month, heavy
//     for years).
// Text from the API goes into the page as text only.

import * as api from '../api.js';
import { h, append, setText } from '../dom.js';
import { field, setFieldError } from '../forms.js';
import { formatBytes, todayIso } from '../format.js';

function exportUrl(from, to, format) {
  const q = new URLSearchParams({ from, to, format });
  return `/api/export?${q.toString()}`;
}

export async function renderExport(view, { signal }) {
  append(
    view,
    h('h1', { class: 'page-title', tabindex: '-1' }, 'Ekspor Arsip'),
    h('p', { class: 'page-lead' },
      'Arsip surat yang diregistrasi dalam satu periode, sebagai paket BagIt: daftar surat (register.csv), ',
      'metadata, log disposisi dan riwayat setiap surat, pindaian asli, dan teks OCR, dengan daftar sha256 ',
      'untuk memeriksa bahwa tidak ada yang berubah.'),
    exportPanel(signal),
  );
}

/**
 * The export form with its progress (on this page and the records
 * office's start page): the nodes to append.
 */
export function exportPanel(signal) {
  const today = todayIso();
  const f = {
    from: field({ id: 'x-from', name: 'from', label: 'Dari tanggal', type: 'date', required: true }),
    to: field({ id: 'x-to', name: 'to', label: 'Sampai tanggal', type: 'date', required: true }),
    format: field({ id: 'x-format', name: 'format', label: 'Format', type: 'select', options: [['zip', 'ZIP'], ['tar', 'TAR']] }),
  };
  f.from.control.value = `${today.slice(0, 4)}-01-01`;
  f.to.control.value = today;

  const link = h('a', { class: 'btn btn-primary', id: 'export-link', href: '#', download: '' }, 'Unduh');
  const streamButton = h('button', { type: 'button', class: 'btn btn-secondary', id: 'export-stream' }, 'Unduh dengan kemajuan');
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', id: 'export-cancel', hidden: true }, 'Batalkan');
  const bar = h('progress', { class: 'file-progress', id: 'export-progress', max: '1', value: '0', hidden: true });
  const status = h('p', { class: 'list-status', role: 'status', id: 'export-status', 'aria-live': 'polite' });
  const saved = h('p', { id: 'export-saved' });

  const form = h(
    'form',
    { class: 'card filters', id: 'export-form', novalidate: true, 'aria-label': 'Periode ekspor' },
    h('div', { class: 'filters-grid' }, f.from.element, f.to.element, f.format.element),
    h('div', { class: 'form-actions' }, link, streamButton, cancel),
  );

  const nodes = [
    form,
    h('div', { class: 'export-progress' }, bar, status, saved),
    h('p', { class: 'hint' },
      'Surat rahasia hanya masuk ke paket pengguna yang berhak melihatnya; paket mencatat berapa surat yang ditinggalkan. ',
      'Untuk periode panjang, tombol “Unduh” memakai unduhan peramban, yang menampilkan jumlah byte yang sudah diterima.'),
  ];

  function period() {
    setFieldError(f.from, '');
    setFieldError(f.to, '');
    const from = f.from.control.value;
    const to = f.to.control.value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from)) {
      setFieldError(f.from, 'Isi tanggal awal.');
      return null;
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(to)) {
      setFieldError(f.to, 'Isi tanggal akhir.');
      return null;
    }
    if (from > to) {
      setFieldError(f.to, 'Tanggal akhir tidak boleh sebelum tanggal awal.');
      return null;
    }
    return { from, to, format: f.format.control.value === 'tar' ? 'tar' : 'zip' };
  }

  function updateLink() {
    const p = period();
    link.setAttribute('href', p ? exportUrl(p.from, p.to, p.format) : '#');
    link.setAttribute('aria-disabled', p ? 'false' : 'true');
  }
  for (const k of ['from', 'to', 'format']) f[k].control.addEventListener('change', updateLink);
  updateLink();
  link.addEventListener('click', (e) => {
    if (!period()) e.preventDefault();
    else setText(status, 'Unduhan dimulai di peramban; kemajuannya tampil di daftar unduhan peramban.');
  });
  form.addEventListener('submit', (e) => e.preventDefault());

  let controller = null;
  signal.addEventListener('abort', () => controller && controller.abort());
  cancel.addEventListener('click', () => controller && controller.abort());

  streamButton.addEventListener('click', async () => {
    const p = period();
    if (!p || controller) return;
    controller = new AbortController();
    streamButton.disabled = true;
    cancel.hidden = false;
    bar.hidden = false;
    bar.removeAttribute('value');
    setText(saved, '');
    setText(status, 'Menyiapkan paket…');
    const name = `esurat-arsip-${p.from}_${p.to}.${p.format}`;
    let writable = null;
    try {
      if (typeof window.showSaveFilePicker === 'function') {
        try {
          const handle = await window.showSaveFilePicker({ suggestedName: name });
          writable = await handle.createWritable();
        } catch (err) {
          if (err && err.name === 'AbortError') throw err;
          writable = null; // not allowed here: collect in memory instead
        }
      }
      const res = await api.request('GET', '/api/export', { query: p, raw: true, signal: controller.signal });
      const letters = Number(res.headers.get('X-Esurat-Letters')) || 0;
      const withheld = Number(res.headers.get('X-Esurat-Withheld')) || 0;
      const estimate = Number(res.headers.get('X-Esurat-Scan-Bytes')) || 0;
      const about = `${letters} surat${withheld ? `, ${withheld} surat rahasia tidak disertakan` : ''}`;
      const reader = res.body.getReader();
      const chunks = [];
      let received = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
        if (writable) await writable.write(value);
        else chunks.push(value);
        if (estimate > 0) {
          bar.max = Math.max(estimate, received);
          bar.value = received;
        }
        setText(status, `${formatBytes(received)} diterima${estimate ? ` dari sekitar ${formatBytes(estimate)}` : ''} (${about})…`);
      }
      bar.max = 1;
      bar.value = 1;
      if (writable) {
        await writable.close();
        setText(saved, `Tersimpan sebagai ${name}.`);
      } else {
        const url = URL.createObjectURL(new Blob(chunks, { type: res.headers.get('Content-Type') || 'application/octet-stream' }));
        const a = h('a', { href: url, download: name, id: 'export-file', class: 'btn btn-primary' }, `Simpan ${name}`);
        append(saved, a);
        a.focus();
      }
      setText(status, `Selesai: ${formatBytes(received)} (${about}).`);
    } catch (err) {
      if (writable) {
        try { await writable.abort(); } catch { /* already closed */ }
      }
      bar.hidden = true;
      if (err && err.name === 'AbortError') setText(status, 'Unduhan dibatalkan.');
      else setText(status, `Ekspor gagal. ${api.errorMessage(err)}`);
    } finally {
      controller = null;
      streamButton.disabled = false;
      cancel.hidden = true;
    }
  });
  return nodes;
}
