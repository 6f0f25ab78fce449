// #/surat/:id — the letter page, the centre of the portal: its metadata
// (with the correction form for those who may correct it), its scans shown
// in the browser (images inline, PDFs in the browser's viewer) with a live
// OCR status each, what this user may do now (route it, dispose or complete
// what came to them, upload scans, print the receipt), the disposition
// tree (overdue branches marked) and the history from the audit log.
//
// The actions offered follow the rules the API applies (dispositions go to
// positions; the front desk routes what nobody received); the API decides
// in the end and its refusal is shown.

import * as api from '../api.js';
import { h, append, details, replace, setFlash, setText, takeFlash } from '../dom.js';
import { scanPicker, scanFileUrl, scanViewer, watchOcr } from '../scans.js';
import {
  branchOverdue, completeForm, disposeForm, loadInstructions, myOpenDispositions, positionTitle, renderTree, routeForm,
} from '../dispositions.js';
import { correctionForm, entryPoints, loadLetter, loadOptional, mayCorrect } from '../letterform.js';
import {
  DIRECTION_LABELS, SECURITY_LABELS, STATUS_LABELS, URGENCY_LABELS,
  agendaLabel, formatDate, formatDateTime, label, text,
} from '../format.js';
import { securityBadge, statusPill } from '../lists.js';

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
  'scan.attach': 'Pindaian dilampirkan',
  'scan.ocr_retry': 'OCR diulang',
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
  attach: 'Dilampirkan',
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

function historySection(letter) {
  const history = Array.isArray(letter.history) ? letter.history.filter((r) => r && typeof r === 'object') : [];
  return h(
    'section',
    { class: 'card letter-history', 'aria-labelledby': 'history-title' },
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
}

function metadataRows(letter) {
  return [
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
  ];
}

/** The metadata card; for those who may correct it, a button that turns
 * it into the correction form (and back). */
function metadataSection(letter, { user, signal, reload }) {
  const list = details(metadataRows(letter), { id: 'letter-details' });
  const body = h('div', { class: 'meta-body' }, list);
  const editable = mayCorrect(letter, user) && letter.status !== 'diarsipkan';
  const toggle = editable ? h('button', { type: 'button', class: 'btn btn-small btn-secondary', id: 'edit-open', 'aria-expanded': 'false', 'aria-controls': 'meta-body' }, 'Koreksi data') : null;
  body.id = 'meta-body';
  if (toggle) {
    const close = () => {
      replace(body, list);
      toggle.hidden = false;
      toggle.setAttribute('aria-expanded', 'false');
      toggle.focus();
    };
    toggle.addEventListener('click', async () => {
      toggle.disabled = true;
      const classifications = await loadOptional('/api/classifications', signal).catch(() => null);
      toggle.disabled = false;
      if (signal.aborted) return;
      const { form, first } = correctionForm(letter, {
        classifications,
        signal,
        onCancel: close,
        onDone: () => reload('Data surat dikoreksi; perubahannya tercatat di riwayat.'),
      });
      replace(body, form);
      toggle.hidden = true;
      toggle.setAttribute('aria-expanded', 'true');
      first.focus();
    });
  }
  return h(
    'section',
    { class: 'card letter-meta', 'aria-labelledby': 'meta-title' },
    h('div', { class: 'card-head' }, h('h2', { class: 'card-title', id: 'meta-title' }, 'Data surat'), toggle),
    body,
  );
}

/** The scans card: a viewer per scan, and the upload for front desk and
 * officials (the roles the API lets upload). */
function scanSection(letter, items, { user, signal, reload }) {
  const section = h(
    'section',
    { class: 'card letter-scans', 'aria-labelledby': 'scans-title', id: 'scans' },
    h('h2', { class: 'card-title', id: 'scans-title' }, `Pindaian (${items.length})`),
    items.length ? h('div', { class: 'scan-list' }, items.map((i) => i.figure)) : h('p', { class: 'hint' }, 'Belum ada pindaian.'),
  );
  const mayUpload = (user.roles.includes('front_desk') || user.roles.includes('official')) && letter.status !== 'diarsipkan';
  if (!mayUpload) return section;
  const picker = scanPicker({ id: 'more-scans', label: 'Tambah pindaian', signal });
  const btn = h('button', { type: 'button', class: 'btn btn-primary', id: 'upload-scans' }, 'Unggah');
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
      if (result.failed.length) setText(status, `${result.failed.length} berkas gagal diunggah.`);
      else reload(`${result.ok.length} pindaian terunggah; teksnya sedang dikenali (OCR).`);
    } catch (err) {
      if (!(err && err.name === 'AbortError')) setText(status, api.errorMessage(err));
    } finally {
      btn.disabled = false;
    }
  });
  append(section, picker.element, h('div', { class: 'form-actions' }, btn, status));
  return section;
}

/**
 * What this user may do with the letter now: { card, forms }. card: the
 * short list (route, print the receipt, what came to them); forms: the
 * dispose and complete forms of each open disposition of theirs.
 */
function actionsFor(letter, tree, ctx) {
  const { user, positions, instructions, signal, reload } = ctx;
  const items = [];
  const forms = [];
  const filed = letter.status === 'diarsipkan';
  const frontDesk = user.roles.includes('front_desk');
  if (frontDesk && letter.status === 'baru' && !tree.length) {
    const entries = entryPoints(positions);
    if (entries.length) {
      items.push(routeForm(letter, {
        entries,
        signal,
        onDone: (_answer, to) => reload(`Surat diteruskan kepada ${to ? positionTitle(to) : 'pimpinan'}.`),
      }));
    }
  }
  const mine = filed ? [] : myOpenDispositions(tree, user);
  const many = mine.length > 1;
  for (const { node, canComplete } of mine) {
    const to = positionTitle(node.to_position);
    const prefix = many ? `d${text(node.id)}-` : '';
    items.push(h(
      'p',
      { class: 'action-line' },
      `Disposisi untuk ${to}${node.deadline ? `, batas waktu ${formatDate(node.deadline)}` : ''}. `,
      h('a', { href: `#${prefix}dispose-form` }, 'Disposisikan'),
      canComplete ? [' · ', h('a', { href: `#${prefix}complete-form` }, 'Selesaikan')] : null,
      ' · ',
      h('a', { href: `#/lembar/${encodeURIComponent(text(node.id))}` }, 'Lembar disposisi'),
    ));
    const suffix = many ? ` (${to})` : '';
    forms.push(disposeForm(node, {
      positions, instructions, signal, prefix, title: `Disposisikan${suffix}`,
      onDone: (msg) => reload(msg),
    }));
    if (canComplete) {
      forms.push(completeForm(node, { signal, prefix, title: `Selesaikan disposisi${suffix}`, onDone: (msg) => reload(msg) }));
    } else {
      forms.push(h('p', { class: 'hint' }, `Disposisi untuk ${to} dapat diselesaikan setelah semua disposisi yang diteruskan darinya selesai.`));
    }
  }
  if (letter.tracking_code && (frontDesk || user.roles.includes('admin'))) {
    items.push(h('p', { class: 'action-line' }, h('a', { class: 'btn btn-secondary btn-small', href: `#/surat/${encodeURIComponent(text(letter.id))}/tanda-terima`, id: 'receipt-link' }, 'Cetak tanda terima')));
  }
  const card = items.length
    ? h(
      'section',
      { class: 'card letter-actions', 'aria-labelledby': 'actions-title', id: 'letter-actions' },
      h('h2', { class: 'card-title', id: 'actions-title' }, 'Tindakan'),
      items,
    )
    : null;
  // In-page links (#dispose-form) would change the route: move the focus instead.
  if (card) {
    for (const a of card.querySelectorAll('a[href^="#"]:not([href^="#/"])')) {
      a.addEventListener('click', (e) => {
        e.preventDefault();
        const target = forms.find((f) => `#${f.id}` === a.getAttribute('href'));
        const field = target && target.querySelector('input, textarea, select');
        if (target) target.scrollIntoView({ block: 'start' });
        if (field) field.focus();
      });
    }
  }
  return { card, forms };
}

export async function renderLetter(view, { params, query, signal, user, navigate }) {
  const letter = await loadLetter(view, params.id, signal);
  if (!letter || signal.aborted) return;
  const key = `surat/${text(letter.id)}`;
  const message = takeFlash(key);
  document.title = `${text(letter.subject) || 'Surat'} — e-Surat`;
  // After an action the page is rendered again from the API, with a message.
  const reload = (msg) => {
    setFlash(key, msg);
    navigate(`/surat/${encodeURIComponent(text(letter.id))}`);
  };

  const tree = Array.isArray(letter.dispositions) ? letter.dispositions.filter((d) => d && typeof d === 'object') : [];
  const needsPositions = (user.roles.includes('front_desk') && letter.status === 'baru' && !tree.length)
    || myOpenDispositions(tree, user).length > 0;
  const [instructions, positions] = await Promise.all([
    loadInstructions().catch(() => []),
    needsPositions ? loadOptional('/api/positions', signal) : Promise.resolve([]),
  ]);
  if (signal.aborted) return;

  const scans = Array.isArray(letter.scans) ? letter.scans.filter((s) => s && s.id !== undefined) : [];
  const items = scans.map(scanViewer);
  const ctx = { user, signal, reload, positions: positions || [], instructions };
  const actions = actionsFor(letter, tree, ctx);
  const late = tree.some(branchOverdue);
  const dispositionSection = h(
    'section',
    { class: ['card', 'letter-tree', late && 'card-overdue'], 'aria-labelledby': 'dispositions-title', id: 'dispositions' },
    h('h2', { class: 'card-title', id: 'dispositions-title' }, 'Alur Disposisi'),
    late ? h('p', { class: 'alert overdue-alert' }, 'Ada disposisi yang lewat batas waktu (ditandai merah).') : null,
    tree.length ? renderTree(tree, { instructions, user, letter }) : h('p', { class: 'hint' }, 'Surat ini belum diteruskan.'),
  );
  const notice = message ? h('p', { class: 'notice', role: 'status', id: 'letter-message', tabindex: '-1' }, message) : null;

  append(
    view,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/surat' }, '← Daftar Surat')),
    h('h1', { class: 'page-title', tabindex: '-1', id: 'letter-title' }, text(letter.subject) || 'Surat'),
    h(
      'p',
      { class: 'page-lead badges' },
      statusPill(letter),
      securityBadge(letter),
      letter.urgency && letter.urgency !== 'biasa' ? h('span', { class: 'badge badge-urgent' }, label(URGENCY_LABELS, letter.urgency)) : null,
    ),
    notice,
    h(
      'div',
      { class: 'letter-layout' },
      actions.card,
      metadataSection(letter, ctx),
      scanSection(letter, items, ctx),
      actions.forms.length ? h('div', { class: 'letter-forms' }, actions.forms) : null,
      dispositionSection,
      historySection(letter),
    ),
  );
  if (notice) notice.focus();

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

  const canRetry = user.roles.includes('front_desk') || user.roles.includes('admin');
  watchOcr(items, { signal, canRetry });
}
