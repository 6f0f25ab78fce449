// Scans: the accepted file types, a drop zone with a file button, a list of
// chosen files with per-file upload progress, and the upload itself; on the
// letter page, each scan's viewer and its live OCR status.

import * as api from './api.js';
import { h, append, replace, setText, sleep } from './dom.js';
import { OCR_LABELS, formatBytes, label, text } from './format.js';

/** The types the API takes (POST /api/letters/{id}/scans). */
export const SCAN_TYPES = {
  'application/pdf': 'PDF',
  'image/tiff': 'TIFF',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
};

const BY_EXTENSION = {
  pdf: 'application/pdf',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
};

const ACCEPT = '.pdf,.tif,.tiff,.png,.jpg,.jpeg,application/pdf,image/tiff,image/png,image/jpeg';

/** The Content-Type to send for a file, or null when it is not a scan type. */
export function scanType(file) {
  const declared = (file.type || '').toLowerCase();
  if (declared === 'image/jpg' || declared === 'image/pjpeg') return 'image/jpeg';
  if (Object.prototype.hasOwnProperty.call(SCAN_TYPES, declared)) return declared;
  const ext = /\.([a-z0-9]+)$/i.exec(file.name || '');
  const byExt = ext ? BY_EXTENSION[ext[1].toLowerCase()] : undefined;
  return byExt || null;
}

/** Indonesian message for a failed upload. */
export function uploadErrorMessage(err) {
  if (err instanceof api.ApiError) {
    if (err.status === 413) return 'Berkas terlalu besar.';
    if (err.status === 415) return 'Isi berkas tidak sesuai jenisnya atau jenisnya tidak didukung (PDF, TIFF, PNG, JPEG).';
    if (err.status === 400) return 'Berkas kosong atau tidak valid.';
    if (err.status === 507) return 'Penyimpanan pindaian penuh; berkas tidak tersimpan. Coba lagi nanti atau hubungi administrator.';
    if (err.status === 0) return 'Unggahan terputus (koneksi gagal atau berkas terlalu besar).';
    return api.errorMessage(err);
  }
  return 'Unggahan gagal.';
}

/** POST the file as the raw body. X-File-Name is the name, percent-encoded UTF-8. */
export function uploadScan(letterId, file, { onProgress, signal } = {}) {
  return api.upload(`/api/letters/${encodeURIComponent(letterId)}/scans`, file, {
    contentType: scanType(file),
    headers: { 'X-File-Name': encodeURIComponent(file.name || 'pindaian') },
    onProgress,
    signal,
  });
}

/** A draft scan: uploaded before the letter is saved, read first by OCR. */
export function uploadDraft(file, { signal } = {}) {
  return api.upload('/api/scans', file, {
    contentType: scanType(file),
    headers: { 'X-File-Name': encodeURIComponent(file.name || 'pindaian') },
    signal,
  });
}

/** Attaches a draft scan to the letter just registered. */
export function attachDraft(letterId, scanId, { signal } = {}) {
  return api.post(`/api/letters/${encodeURIComponent(letterId)}/scans`, { scan_id: scanId }, { signal });
}

/** Number, date, subject and sender read from a scan: { ocr_status, suggestions }. */
export function getSuggestions(scanId, { signal } = {}) {
  return api.get(`/api/scans/${encodeURIComponent(scanId)}/suggestions`, { signal });
}

/** Queues a failed OCR job again. */
export function retryOcr(scanId, { signal } = {}) {
  return api.post(`/api/scans/${encodeURIComponent(scanId)}/ocr/retry`, {}, { signal });
}

const OCR_ERRORS = {
  unreadable: 'berkas rusak atau tidak dapat dibaca',
  truncated: 'berkas PDF terpotong (tidak lengkap)',
  too_small: 'gambar terlalu kecil untuk memuat tulisan',
  too_many_pages: 'jumlah halaman melebihi batas',
  too_many_pixels: 'ukuran gambar melebihi batas',
  too_large: 'berkas melebihi batas ukuran',
  unsupported: 'jenis berkas tidak didukung',
  timeout: 'satu halaman terlalu lama dibaca',
  missing: 'berkas tidak ditemukan di penyimpanan',
  worker_lost: 'pembaca OCR berhenti berulang kali saat membaca berkas ini',
  internal: 'kesalahan sistem',
};

/** Indonesian text for an OCR failure, with the server's detail. */
export function ocrErrorMessage(code, detail) {
  const known = Object.prototype.hasOwnProperty.call(OCR_ERRORS, code) ? OCR_ERRORS[code] : 'gagal dibaca';
  return typeof detail === 'string' && detail ? `${known} (${detail}).` : `${known}.`;
}

let uid = 0;

/**
 * A drop zone with a file button and the list of chosen files.
 *
 *   const picker = scanPicker({ id: 'scans', signal });
 *   form.append(picker.element);
 *   picker.files()              → the chosen File objects
 *   await picker.uploadAll(letterId)  → { ok: [answers], failed: [{file, message}] }
 *
 * Files dropped elsewhere on the page while the picker exists are not
 * opened by the browser (that would leave the unsaved form).
 */
export function scanPicker({ id = `scan-${++uid}`, label = 'Pindaian surat', signal, onAdd } = {}) {
  const entries = []; // { file, item, progress, status, remove }
  const input = h('input', {
    id: `${id}-input`,
    class: 'visually-hidden file-input',
    type: 'file',
    multiple: true,
    accept: ACCEPT,
    'aria-describedby': `${id}-hint ${id}-message`,
  });
  const message = h('p', { id: `${id}-message`, class: 'field-error', role: 'alert' });
  const list = h('ul', { class: 'file-list', 'aria-label': 'Berkas dipilih' });
  const zone = h(
    'div',
    { class: 'dropzone', id: `${id}-zone` },
    h('p', { class: 'dropzone-text' }, 'Seret berkas pindaian ke sini, atau'),
    input,
    h('label', { for: `${id}-input`, class: 'btn btn-secondary' }, 'Pilih berkas…'),
    h('p', { id: `${id}-hint`, class: 'hint dropzone-hint' }, 'PDF, TIFF, PNG atau JPEG. Boleh lebih dari satu berkas (surat dan lampirannya).'),
  );
  const element = h(
    'fieldset',
    { class: 'field scan-picker' },
    h('legend', {}, label),
    zone,
    message,
    list,
  );

  function add(fileList) {
    const refused = [];
    for (const file of Array.from(fileList || [])) {
      if (!scanType(file)) {
        refused.push(file.name);
        continue;
      }
      if (entries.some((e) => e.file.name === file.name && e.file.size === file.size && e.file.lastModified === file.lastModified)) continue;
      const entry = { file };
      entry.progress = h('progress', { class: 'file-progress', max: '100', value: '0', hidden: true, 'aria-label': `Kemajuan unggah ${file.name}` });
      entry.status = h('span', { class: 'file-status', role: 'status' });
      entry.remove = h('button', { type: 'button', class: 'btn btn-small btn-link' }, 'Hapus');
      entry.remove.setAttribute('aria-label', `Hapus ${file.name}`);
      entry.remove.addEventListener('click', () => {
        const i = entries.indexOf(entry);
        if (i >= 0) entries.splice(i, 1);
        entry.item.remove();
        input.focus();
      });
      entry.item = h(
        'li',
        { class: 'file-item' },
        h('span', { class: 'file-name' }, file.name || 'berkas'),
        h('span', { class: 'file-meta' }, `${SCAN_TYPES[scanType(file)]}, ${formatBytes(file.size)}`),
        entry.progress,
        entry.status,
        entry.remove,
      );
      entries.push(entry);
      list.append(entry.item);
      if (onAdd) onAdd(entry, entries.length === 1);
    }
    setText(message, refused.length ? `Jenis berkas tidak didukung: ${refused.join(', ')}. Pilih PDF, TIFF, PNG atau JPEG.` : '');
  }

  input.addEventListener('change', () => {
    add(input.files);
    input.value = '';
  });
  zone.addEventListener('dragenter', (e) => {
    e.preventDefault();
    zone.classList.add('dropzone-active');
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('dropzone-active');
  });
  zone.addEventListener('dragleave', (e) => {
    if (!zone.contains(e.relatedTarget)) zone.classList.remove('dropzone-active');
  });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dropzone-active');
    if (e.dataTransfer) add(e.dataTransfer.files);
  });
  // A file dropped beside the zone must not replace the page.
  const guard = (e) => {
    if (e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files') && !zone.contains(e.target)) e.preventDefault();
  };
  window.addEventListener('dragover', guard);
  window.addEventListener('drop', guard);
  if (signal) {
    signal.addEventListener('abort', () => {
      window.removeEventListener('dragover', guard);
      window.removeEventListener('drop', guard);
    }, { once: true });
  }

  function setBusy(busy) {
    input.disabled = busy;
    zone.classList.toggle('dropzone-disabled', busy);
    for (const e of entries) e.remove.hidden = busy;
  }

  async function uploadAll(letterId) {
    const ok = [];
    const failed = [];
    setBusy(true);
    for (const entry of entries) {
      if (entry.done) continue;
      entry.progress.hidden = false;
      entry.progress.value = 0;
      entry.item.classList.remove('file-failed');
      setText(entry.status, 'Mengunggah… 0%');
      try {
        if (entry.draft) {
          // Uploaded already (for the suggestions): only attached now.
          const draftId = await entry.draft;
          if (draftId) {
            const answer = await attachDraft(letterId, draftId, { signal });
            entry.done = true;
            entry.progress.value = 100;
            entry.item.classList.add('file-done');
            setText(entry.status, 'Terunggah');
            ok.push({ file: entry.file, answer });
            continue;
          }
        }
        const answer = await uploadScan(letterId, entry.file, {
          signal,
          onProgress: (sent, total) => {
            const pct = total > 0 ? Math.min(100, Math.round((sent / total) * 100)) : 0;
            entry.progress.value = pct;
            setText(entry.status, pct < 100 ? `Mengunggah… ${pct}%` : 'Memproses…');
          },
        });
        entry.done = true;
        entry.progress.value = 100;
        entry.item.classList.add('file-done');
        setText(entry.status, 'Terunggah');
        ok.push({ file: entry.file, answer });
      } catch (err) {
        if (err && err.name === 'AbortError') throw err;
        const msg = uploadErrorMessage(err);
        entry.item.classList.add('file-failed');
        entry.progress.hidden = true;
        setText(entry.status, `Gagal: ${msg}`);
        failed.push({ file: entry.file, message: msg });
      }
    }
    setBusy(false);
    return { ok, failed };
  }

  function reset() {
    entries.splice(0, entries.length);
    replace(list);
    setText(message, '');
  }

  return {
    element,
    input,
    setStatus: (entry, msg) => setText(entry.status, msg),
    files: () => entries.map((e) => e.file),
    pending: () => entries.filter((e) => !e.done).length,
    uploadAll,
    reset,
    setError: (text) => setText(message, text),
    append: (...nodes) => append(element, ...nodes),
  };
}

// ---- a letter's scans: viewer and live OCR status ----------------------------

/** Where the browser gets a scan's bytes (the API checks the right to see it). */
export function scanFileUrl(scan) {
  return `/api/scans/${encodeURIComponent(scan.id)}/file`;
}

/**
 * The viewer of one scan: an image inline, a PDF in the browser's own
 * viewer (an iframe; nginx lets the portal frame scan files only), a TIFF
 * as a link (browsers do not show TIFF). Its OCR line is a live region.
 * Returns { figure, ocr, ocrText, scan }: the item watchOcr() follows.
 */
export function scanViewer(scan, index) {
  const url = scanFileUrl(scan);
  const name = text(scan.original_name || scan.file_name || scan.name) || `Pindaian ${index + 1}`;
  const mime = text(scan.mime);
  let viewer;
  if (mime === 'image/png' || mime === 'image/jpeg') {
    viewer = h('img', { class: 'scan-image', src: url, alt: `Pindaian: ${name}`, loading: 'lazy' });
  } else if (mime === 'application/pdf') {
    viewer = h('iframe', { class: 'scan-pdf', src: url, title: `Pindaian PDF: ${name}` });
  } else {
    viewer = h('p', { class: 'hint scan-noview' }, 'Peramban tidak dapat menampilkan berkas TIFF. Unduh berkas untuk melihatnya; teks hasil OCR ada di bawah.');
  }
  const ocr = h('p', { class: 'scan-ocr', role: 'status', dataset: { scanId: text(scan.id) } }, 'Memeriksa status OCR…');
  const ocrText = h('div', { class: 'scan-ocr-text' });
  const meta = [SCAN_TYPES[mime] || mime, formatBytes(scan.bytes), scan.pages ? `${scan.pages} halaman` : ''].filter(Boolean).join(', ');
  const figure = h(
    'figure',
    { class: 'scan', dataset: { scanId: text(scan.id), mime } },
    h('div', { class: 'scan-view' }, viewer),
    h(
      'figcaption',
      { class: 'scan-caption' },
      h('span', { class: 'scan-name' }, name),
      h('span', { class: 'scan-meta' }, meta),
      h('a', { href: url, class: 'scan-open', target: '_blank', rel: 'noopener' }, mime === 'image/tiff' ? 'Unduh berkas' : 'Buka di tab baru'),
    ),
    ocr,
    ocrText,
  );
  if (viewer.tagName === 'IFRAME') {
    // A frame the server refuses to be framed in stays empty; offer the link.
    viewer.addEventListener('load', () => {
      let blocked = false;
      try {
        blocked = !viewer.contentDocument;
      } catch {
        blocked = true;
      }
      if (blocked && viewer.parentNode) {
        replace(viewer.parentNode, h('p', { class: 'hint scan-noview' }, 'Pratinjau PDF tidak dapat ditampilkan di halaman ini. Gunakan tautan "Buka di tab baru".'));
      }
    }, { once: true });
  }
  return { figure, ocr, ocrText, scan };
}

/** Shows one answer of GET /api/scans/{id}/text on the item; its status. */
function showOcr(item, data, ctx) {
  const status = data && typeof data.ocr_status === 'string' ? data.ocr_status : '';
  let msg = label(OCR_LABELS, status) || 'Status OCR tidak diketahui.';
  if (status === 'failed') msg += `: ${ocrErrorMessage(data.error_code, data.error)}`;
  const pages = data && Array.isArray(data.pages) ? data.pages : [];
  if (status === 'done') msg += ` — ${pages.length} halaman.`;
  else if (status === 'queued' || status === 'running') msg += '…';
  setText(item.ocr, msg);
  item.ocr.className = `scan-ocr ocr-${status || 'unknown'}`;
  if (status === 'failed' && ctx.canRetry && !item.retry) {
    // The job queued again (front desk, admin); then followed again.
    item.retry = h('button', { type: 'button', class: 'btn btn-small btn-secondary scan-ocr-retry' }, 'Ulangi OCR');
    item.retry.setAttribute('aria-label', `Ulangi OCR ${text(item.scan.id)}`);
    item.retry.addEventListener('click', async () => {
      item.retry.disabled = true;
      try {
        await retryOcr(item.scan.id, { signal: ctx.signal });
        item.retry.remove();
        item.retry = null;
        setText(item.ocr, `${label(OCR_LABELS, 'queued')}…`);
        item.ocr.className = 'scan-ocr ocr-queued';
        watchOcr([item], ctx);
      } catch (err) {
        if (err && err.name === 'AbortError') return;
        item.retry.disabled = false;
        setText(item.ocr, `${msg} Gagal mengulang: ${api.errorMessage(err)}`);
      }
    });
    item.ocr.after(item.retry);
  }
  if (status === 'done' && pages.length) {
    replace(
      item.ocrText,
      h(
        'details',
        { class: 'ocr-details' },
        h('summary', {}, 'Teks hasil OCR'),
        pages.map((p) => h(
          'section',
          { class: 'ocr-page' },
          h('h4', {}, `Halaman ${text(p.page)}`, typeof p.confidence === 'number' ? ` (keyakinan ${Math.round(p.confidence)}%)` : ''),
          h('pre', { class: 'ocr-pre' }, text(p.text)),
        )),
      ),
    );
  }
  return status;
}

/**
 * Follows the OCR of each scan: asks its status, then again while it is
 * queued or running, until done or failed or the page is left (ctx.signal).
 * The pause grows from 2 to 15 seconds: a long queue is not asked about
 * every second, and a confidential letter's text, whose every read is
 * audited, is read a bounded number of times a minute.
 *   ctx: { signal, canRetry } (canRetry: front desk and admin, who may
 *   queue a failed job again)
 */
export async function watchOcr(items, ctx) {
  const { signal } = ctx;
  let delay = 2000;
  let pending = items;
  while (pending.length && !signal.aborted) {
    const next = [];
    await Promise.all(pending.map(async (item) => {
      try {
        const data = await api.get(`/api/scans/${encodeURIComponent(item.scan.id)}/text`, { signal });
        const status = showOcr(item, data, ctx);
        if (status === 'queued' || status === 'running') next.push(item);
      } catch (err) {
        if (err && err.name === 'AbortError') return;
        if (err instanceof api.ApiError && err.status === 401) return; // the login page takes over
        setText(item.ocr, 'Status OCR tidak dapat dimuat; dicoba lagi.');
        next.push(item);
      }
    }));
    pending = next;
    if (!pending.length) return;
    await sleep(delay, signal);
    delay = Math.min(Math.round(delay * 1.5), 15000);
  }
}
