// #/surat/:id — one letter: metadata, its scans shown in the browser (images
// as <img>, PDFs in an <iframe>), the OCR status of each scan, the
// disposition tree (overdue branches marked; the front desk routes a letter
// not yet routed) and the history from the audit log.

import * as api from '../api.js';
import { h, append, replace, setText } from '../dom.js';
import { SCAN_TYPES, scanPicker, ocrErrorMessage, retryOcr } from '../scans.js';
import { branchOverdue, loadInstructions, refreshInboxCounts, renderTree } from '../dispositions.js';
import {
  DIRECTION_LABELS, OCR_LABELS, SECURITY_LABELS, STATUS_LABELS, URGENCY_LABELS,
  agendaLabel, formatBytes, formatDate, formatDateTime, label, text,
} from '../format.js';

/** Audit actions (`letter.register`, …) in Indonesian; matched on their last part too. */
const ACTION_LABELS = {
  'letter.register': 'Surat diregistrasi',
  'letter.create': 'Surat diregistrasi',
  'letter.update': 'Data surat dikoreksi',
  'letter.correct': 'Data surat dikoreksi',
  'letter.view': 'Surat dibuka',
  'letter.route': 'Surat diteruskan',
  'scan.upload': 'Pindaian diunggah',
  'scan.create': 'Pindaian diunggah',
  'scan.download': 'Pindaian diunduh',
  'scan.view': 'Pindaian dibuka',
  'disposition.create': 'Disposisi dibuat',
  'disposition.read': 'Disposisi dibaca',
  'disposition.complete': 'Disposisi diselesaikan',
  'letter.finish': 'Surat selesai',
};
const VERB_LABELS = {
  register: 'Diregistrasi',
  create: 'Dibuat',
  update: 'Dikoreksi',
  correct: 'Dikoreksi',
  view: 'Dibuka',
  read: 'Dibaca',
  upload: 'Diunggah',
  download: 'Diunduh',
  route: 'Diteruskan',
  complete: 'Diselesaikan',
};

const FIELD_LABELS = {
  letter_number: 'Nomor surat',
  letter_date: 'Tanggal surat',
  sender: 'Pengirim',
  recipient: 'Kepada',
  subject: 'Perihal',
  summary: 'Ringkasan',
  classification: 'Klasifikasi',
  security: 'Sifat',
  urgency: 'Urgensi',
  status: 'Status',
};

function actionLabel(action) {
  const a = text(action);
  if (Object.prototype.hasOwnProperty.call(ACTION_LABELS, a)) return ACTION_LABELS[a];
  const verb = a.split('.').pop();
  return Object.prototype.hasOwnProperty.call(VERB_LABELS, verb) ? VERB_LABELS[verb] : a;
}

function scalar(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'object') return '…';
  return String(v);
}

/** A short text for the `detail` of a history row (changes, file names). */
function historyDetail(row) {
  const d = row.detail || row.changes;
  if (!d || typeof d !== 'object') return '';
  const parts = [];
  const changes = d.changes && typeof d.changes === 'object' ? d.changes : null;
  if (changes) {
    for (const [k, v] of Object.entries(changes)) {
      const name = FIELD_LABELS[k] || k;
      if (v && typeof v === 'object' && ('old' in v || 'new' in v || 'from' in v || 'to' in v)) {
        parts.push(`${name}: ${scalar('old' in v ? v.old : v.from)} → ${scalar('new' in v ? v.new : v.to)}`);
      } else {
        parts.push(`${name}: ${scalar(v)}`);
      }
    }
  }
  const name = d.original_name || d.file_name || d.name;
  if (typeof name === 'string' && name) parts.push(name);
  if (typeof d.to_position === 'string') parts.push(`kepada ${d.to_position}`);
  if (d.acting === 'plt' || d.acting === 'plh') parts.push(`sebagai ${d.acting === 'plt' ? 'Plt.' : 'Plh.'}`);
  if (typeof d.report === 'string' && d.report) parts.push(`laporan: ${d.report}`);
  return parts.join('; ');
}

function actorName(row) {
  for (const key of ['user', 'actor', 'by']) {
    const v = row[key];
    if (v && typeof v === 'object' && (v.name || v.username)) return text(v.name || v.username);
    if (typeof v === 'string' && v) return v;
  }
  if (typeof row.user_name === 'string') return row.user_name;
  return '';
}

function scanFileUrl(scan) {
  return `/api/scans/${encodeURIComponent(scan.id)}/file`;
}

/** The viewer of one scan: an image, a PDF frame, or (TIFF) a link only. */
function scanViewer(scan, index) {
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
  return { figure, ocr, ocrText, scan };
}

function renderOcr(item, data, signal) {
  const status = data && typeof data.ocr_status === 'string' ? data.ocr_status : '';
  let msg = label(OCR_LABELS, status) || 'Status OCR tidak diketahui.';
  if (status === 'failed') msg += `: ${ocrErrorMessage(data.error_code, data.error)}`;
  const pages = data && Array.isArray(data.pages) ? data.pages : [];
  if (status === 'done') msg += ` — ${pages.length} halaman.`;
  setText(item.ocr, msg);
  item.ocr.className = `scan-ocr ocr-${status || 'unknown'}`;
  if (status === 'failed' && !item.retry) {
    // The portal's retry button: the job queued again (front desk, admin).
    item.retry = h('button', { type: 'button', class: 'btn btn-small btn-secondary scan-ocr-retry' }, 'Ulangi OCR');
    item.retry.addEventListener('click', async () => {
      item.retry.disabled = true;
      try {
        await retryOcr(item.scan.id, { signal });
        item.retry.remove();
        item.retry = null;
        setText(item.ocr, label(OCR_LABELS, 'queued') || 'Dalam antrean OCR.');
        item.ocr.className = 'scan-ocr ocr-queued';
        watchOcr([item], signal);
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
 * Ask each scan's OCR status, then ask again (slower each time, a few times
 * only: reading the text of a confidential letter is audited) while queued
 * or running.
 */
async function watchOcr(items, signal) {
  let delay = 3000;
  let pending = items;
  for (let round = 0; round < 7 && pending.length && !signal.aborted; round++) {
    const next = [];
    await Promise.all(pending.map(async (item) => {
      try {
        const data = await api.get(`/api/scans/${encodeURIComponent(item.scan.id)}/text`, { signal });
        const status = renderOcr(item, data, signal);
        if (status === 'queued' || status === 'running') next.push(item);
      } catch (err) {
        if (err && err.name === 'AbortError') return;
        setText(item.ocr, 'Status OCR tidak dapat dimuat.');
      }
    }));
    pending = next;
    if (!pending.length || signal.aborted) return;
    await new Promise((resolve) => {
      const t = setTimeout(resolve, delay);
      signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    delay = Math.min(delay * 2, 30000);
  }
}

/** Whether the user may route the letter to the leaders from this page: the
 * front desk, while nobody has it yet (the API decides in the end). */
function routable(letter, user) {
  return user.roles.includes('front_desk') && letter.status === 'baru';
}

/** The front desk's form: route the letter to an entry point (the leaders). */
async function routeForm(letter, { signal, navigate }) {
  const positions = await api.get('/api/positions', { signal }).catch(() => []);
  const entries = (Array.isArray(positions) ? positions : []).filter((p) => p && p.is_entry_point);
  const select = h(
    'select',
    { id: 'route-to', name: 'to' },
    entries.map((p) => h('option', { value: text(p.id) }, `${text(p.title)}${p.holder && p.holder.name ? ` (${text(p.holder.name)})` : ''}`)),
  );
  const status = h('p', { class: 'field-error', role: 'alert', id: 'route-error' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Teruskan');
  const form = h(
    'form',
    { class: 'route-form', id: 'route-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'route-to' }, 'Teruskan kepada pimpinan'), select),
    status,
    h('div', { class: 'form-actions' }, button),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    setText(status, '');
    button.disabled = true;
    try {
      await api.post(`/api/letters/${encodeURIComponent(letter.id)}/dispositions`, { to: [Number(select.value)] }, { signal });
      refreshInboxCounts();
      navigate(`/surat/${encodeURIComponent(letter.id)}`);
    } catch (err) {
      if (!(err && err.name === 'AbortError')) setText(status, api.errorMessage(err));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export async function renderLetter(view, { params, query, signal, user, navigate }) {
  let letter;
  try {
    letter = await api.get(`/api/letters/${encodeURIComponent(params.id)}`, { signal });
  } catch (err) {
    if (err instanceof api.ApiError && (err.status === 404 || err.status === 400)) {
      append(
        view,
        h('h1', { class: 'page-title', tabindex: '-1' }, 'Surat tidak ditemukan'),
        h('p', {}, 'Surat ini tidak ada atau Anda tidak berwenang melihatnya.'),
        h('p', {}, h('a', { href: '#/surat' }, 'Kembali ke daftar surat')),
      );
      return;
    }
    throw err;
  }
  if (signal.aborted) return;
  document.title = `${text(letter.subject) || 'Surat'} — e-Surat`;

  const rows = [
    ['Nomor agenda', agendaLabel(letter)],
    ['Arah', label(DIRECTION_LABELS, letter.direction)],
    ['Nomor surat', text(letter.letter_number)],
    ['Tanggal surat', formatDate(letter.letter_date)],
    ['Diterima', formatDateTime(letter.received_at)],
    ['Pengirim', text(letter.sender)],
    ['Kepada', text(letter.recipient)],
    ['Perihal', text(letter.subject)],
    ['Ringkasan', text(letter.summary)],
    ['Kode klasifikasi', text(letter.classification)],
    ['Sifat', label(SECURITY_LABELS, letter.security)],
    ['Urgensi', label(URGENCY_LABELS, letter.urgency)],
    ['Status', label(STATUS_LABELS, letter.status)],
    ['Kode pelacakan', text(letter.tracking_code)],
  ].filter(([, v]) => v);

  const scans = Array.isArray(letter.scans) ? letter.scans.filter((s) => s && s.id !== undefined) : [];
  const items = scans.map(scanViewer);
  const scanSection = h(
    'section',
    { class: 'card', 'aria-labelledby': 'scans-title', id: 'scans' },
    h('h2', { class: 'card-title', id: 'scans-title' }, `Pindaian (${scans.length})`),
    scans.length ? h('div', { class: 'scan-list' }, items.map((i) => i.figure)) : h('p', { class: 'hint' }, 'Belum ada pindaian.'),
  );
  if (user.roles.includes('front_desk') || user.roles.includes('admin')) {
    const picker = scanPicker({ id: 'more-scans', label: 'Tambah pindaian', signal });
    const btn = h('button', { type: 'button', class: 'btn btn-primary' }, 'Unggah');
    const status = h('p', { class: 'hint', role: 'status' });
    btn.addEventListener('click', async () => {
      if (!picker.pending()) {
        picker.setError('Pilih berkas lebih dulu.');
        picker.input.focus();
        return;
      }
      btn.disabled = true;
      try {
        const result = await picker.uploadAll(letter.id);
        if (result.failed.length) {
          setText(status, `${result.failed.length} berkas gagal diunggah.`);
        } else {
          navigate(`/surat/${encodeURIComponent(letter.id)}`); // show the new scans
        }
      } catch (err) {
        if (!(err && err.name === 'AbortError')) setText(status, api.errorMessage(err));
      } finally {
        btn.disabled = false;
      }
    });
    append(scanSection, picker.element, h('div', { class: 'form-actions' }, btn, status));
  }

  const tree = Array.isArray(letter.dispositions) ? letter.dispositions.filter((d) => d && typeof d === 'object') : [];
  const instructions = tree.length ? await loadInstructions().catch(() => []) : [];
  if (signal.aborted) return;
  const late = tree.some(branchOverdue);
  const dispositionSection = tree.length || routable(letter, user)
    ? h(
      'section',
      { class: ['card', late && 'card-overdue'], 'aria-labelledby': 'dispositions-title', id: 'dispositions' },
      h('h2', { class: 'card-title', id: 'dispositions-title' }, 'Alur Disposisi'),
      late ? h('p', { class: 'alert overdue-alert' }, 'Ada disposisi yang lewat batas waktu (ditandai merah).') : null,
      tree.length ? renderTree(tree, { instructions, user, letter }) : h('p', { class: 'hint' }, 'Surat ini belum diteruskan.'),
      routable(letter, user) ? await routeForm(letter, { signal, navigate }) : null,
    )
    : null;
  if (signal.aborted) return;

  const history = Array.isArray(letter.history) ? letter.history.filter((r) => r && typeof r === 'object') : [];
  const historySection = h(
    'section',
    { class: 'card', 'aria-labelledby': 'history-title' },
    h('h2', { class: 'card-title', id: 'history-title' }, 'Riwayat'),
    history.length
      ? h('ol', { class: 'history', id: 'history' }, history.map((row) => {
        const who = actorName(row);
        const detail = historyDetail(row);
        return h(
          'li',
          { class: 'history-item' },
          h('time', { class: 'history-time', datetime: text(row.at || row.created_at) }, formatDateTime(row.at || row.created_at)),
          h('span', { class: 'history-action' }, actionLabel(row.action)),
          who ? h('span', { class: 'history-who' }, `oleh ${who}`) : null,
          detail ? h('span', { class: 'history-detail' }, detail) : null,
        );
      }))
      : h('p', { class: 'hint' }, 'Belum ada riwayat.'),
  );

  append(
    view,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/surat' }, '← Daftar Surat')),
    h('h1', { class: 'page-title', tabindex: '-1', id: 'letter-title' }, text(letter.subject) || 'Surat'),
    h(
      'p',
      { class: 'page-lead badges' },
      h('span', { class: ['status', `status-${text(letter.status)}`] }, label(STATUS_LABELS, letter.status)),
      letter.security && letter.security !== 'biasa' ? h('span', { class: ['badge', `badge-${text(letter.security)}`] }, label(SECURITY_LABELS, letter.security)) : null,
      letter.urgency && letter.urgency !== 'biasa' ? h('span', { class: 'badge badge-urgent' }, label(URGENCY_LABELS, letter.urgency)) : null,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'meta-title' },
      h('h2', { class: 'card-title', id: 'meta-title' }, 'Data surat'),
      h('dl', { class: 'details', id: 'letter-details' }, rows.map(([k, v]) => h('div', { class: 'details-row' }, h('dt', {}, k), h('dd', {}, v)))),
    ),
    scanSection,
    dispositionSection,
    historySection,
  );

  // PDFs: a frame the server refuses to be framed in stays empty; offer the link.
  for (const item of items) {
    const frame = item.figure.querySelector('iframe');
    if (!frame) continue;
    frame.addEventListener('load', () => {
      let blocked = false;
      try {
        blocked = !frame.contentDocument;
      } catch {
        blocked = true;
      }
      if (blocked) {
        replace(frame.parentNode, h('p', { class: 'hint scan-noview' }, 'Pratinjau PDF tidak dapat ditampilkan di halaman ini. Gunakan tautan "Buka di tab baru".'));
      }
    }, { once: true });
  }

  // Opened from a search result (#/surat/5?scan=7&halaman=2): that scan,
  // at that page, in view.
  const targetScan = query && query.get('scan');
  const targetPage = query && /^[0-9]{1,5}$/.test(query.get('halaman') || '') ? query.get('halaman') : null;
  const target = targetScan ? items.find((i) => String(i.scan.id) === targetScan) : null;
  if (target) {
    target.figure.classList.add('scan-target');
    const frame = target.figure.querySelector('iframe');
    if (frame && targetPage) frame.src = `${scanFileUrl(target.scan)}#page=${targetPage}`;
    if (targetPage) {
      target.figure.insertBefore(h('p', { class: 'notice scan-target-note' }, `Kata yang dicari ada di halaman ${targetPage} pindaian ini.`), target.figure.firstChild);
    }
    target.figure.scrollIntoView({ block: 'start' });
  }

  watchOcr(items, signal);
}
