// Dispositions in the portal: instruction labels, the disposition tree (on
// the letter page and the disposition page), the positions below one's own,
// the recipient's forms (dispose, complete) and the front desk's routing,
// and the inbox badge that follows the counts without a reload.
//
// The badge asks GET /api/inbox/counts every 15 seconds (one indexed query),
// at once when the tab becomes visible again, and after every action that
// changes the inbox (refreshInboxCounts). Each answer is announced as the
// document event `esurat:inbox` ({ detail: counts }) for pages that list
// the inbox.

import * as api from './api.js';
import { h, setText } from './dom.js';
import { field, setFieldError } from './forms.js';
import { SECURITY_LABELS, agendaLabel, formatDate, formatDateTime, label, text, todayIso } from './format.js';

export const POLL_MS = 15_000;

export const DISPOSITION_STATUS = { unread: 'Belum dibaca', read: 'Dibaca', done: 'Selesai' };

// ---- instructions ---------------------------------------------------------

let instructionsPromise = null;

/**
 * Every instruction, retired ones too (a disposition may carry one):
 * [{ code, label, sort_order, active }], asked once per sign-in.
 */
export function loadInstructions() {
  if (!instructionsPromise) {
    instructionsPromise = api.get('/api/instructions', { query: { all: 'true' } }).then(
      (list) => (Array.isArray(list) ? list.filter((i) => i && typeof i.code === 'string') : []),
      (err) => {
        instructionsPromise = null;
        throw err;
      },
    );
  }
  return instructionsPromise;
}

/** Forget the cached instructions (after a sign-out, or an admin's edit). */
export function forgetInstructions() {
  instructionsPromise = null;
}

/** code → label, for a list from loadInstructions(). */
export function instructionLabels(list) {
  const labels = new Map();
  for (const i of list || []) labels.set(i.code, text(i.label) || i.code);
  return labels;
}

// ---- positions ------------------------------------------------------------

/** Whether the user receives dispositions: holds a position, or is an official. */
export function isHolder(user) {
  return Boolean(user) && (user.positions.length > 0 || user.roles.includes('official'));
}

/** Who sent a routing (a disposition without from_position): the registry
 * of the letter's unit. */
export function registryLabel(letter) {
  const unit = letter && letter.unit && letter.unit.name ? text(letter.unit.name) : '';
  return unit ? `Registrasi ${unit}` : 'Registrasi surat';
}

/** '' for none; the title of a position object. */
export function positionTitle(p) {
  return p && typeof p === 'object' ? text(p.title) : '';
}

/**
 * The positions below `positionId` at any depth, from GET /api/positions,
 * in tree order (each followed by those below it), with their depth (1 for
 * the direct subordinates).
 */
export function positionsBelow(positions, positionId) {
  const kids = new Map();
  for (const p of positions || []) {
    if (!p || p.id === undefined) continue;
    const parent = p.parent_id === null || p.parent_id === undefined ? null : String(p.parent_id);
    if (!kids.has(parent)) kids.set(parent, []);
    kids.get(parent).push(p);
  }
  const out = [];
  const seen = new Set();
  const walk = (id, depth) => {
    for (const p of kids.get(String(id)) || []) {
      if (seen.has(p.id)) continue; // a cycle in bad data ends here
      seen.add(p.id);
      out.push({ position: p, depth });
      walk(p.id, depth + 1);
    }
  };
  walk(positionId, 1);
  return out;
}

// ---- the tree -------------------------------------------------------------

/** True when the node or anything forwarded from it is overdue. */
export function branchOverdue(node) {
  if (!node || typeof node !== 'object') return false;
  if (node.overdue === true) return true;
  return Array.isArray(node.children) && node.children.some(branchOverdue);
}

function personName(p) {
  return p && typeof p === 'object' ? text(p.name) : '';
}

function holderText(position) {
  const holder = position && position.holder;
  if (!holder) return 'jabatan kosong';
  const name = personName(holder);
  if (holder.acting === 'plt') return `Plt. ${name}`;
  if (holder.acting === 'plh') return `Plh. ${name}`;
  return name;
}

function treeNode(node, ctx) {
  const kids = Array.isArray(node.children) ? node.children.filter((c) => c && typeof c === 'object') : [];
  const late = branchOverdue(node);
  const status = text(node.status);
  const instructions = Array.isArray(node.instructions) ? node.instructions.map((c) => ctx.labels.get(c) || text(c)) : [];
  const from = node.from_position ? positionTitle(node.from_position) : ctx.registry;
  const sender = personName(node.created_by);
  const id = text(node.id);

  const head = h(
    'p',
    { class: 'dnode-head' },
    h('span', { class: 'dnode-to' }, positionTitle(node.to_position)),
    h('span', { class: 'dnode-holder' }, ` (${holderText(node.to_position)})`),
    ' ',
    h('span', { class: ['status', `dstatus-${status}`] }, DISPOSITION_STATUS[status] || status),
    node.overdue === true ? h('span', { class: 'badge badge-overdue' }, 'Lewat batas waktu') : null,
    !node.overdue && late ? h('span', { class: 'badge badge-overdue-branch' }, 'Ada cabang terlambat') : null,
  );
  const lines = [
    h('p', { class: 'dnode-meta' }, `dari ${from}${sender ? `, oleh ${sender}` : ''}, ${formatDateTime(node.created_at)}`),
    instructions.length ? h('p', { class: 'dnode-instructions' }, h('span', { class: 'dnode-label' }, 'Instruksi: '), instructions.join('; ')) : null,
    node.note ? h('p', { class: 'dnode-note' }, h('span', { class: 'dnode-label' }, 'Catatan: '), text(node.note)) : null,
    node.deadline ? h('p', { class: 'dnode-deadline' }, h('span', { class: 'dnode-label' }, 'Batas waktu: '), formatDate(node.deadline)) : null,
    h(
      'p',
      { class: 'dnode-read' },
      node.read_at
        ? `Dibaca ${formatDateTime(node.read_at)}${personName(node.read_by) ? ` oleh ${personName(node.read_by)}` : ''}`
        : 'Belum dibaca',
    ),
    node.done_at
      ? h('p', { class: 'dnode-done' }, `Selesai ${formatDateTime(node.done_at)}${personName(node.done_by) ? ` oleh ${personName(node.done_by)}` : ''}`)
      : null,
    node.report ? h('p', { class: 'dnode-report' }, h('span', { class: 'dnode-label' }, 'Laporan: '), text(node.report)) : null,
    h(
      'p',
      { class: 'dnode-links' },
      h('a', { href: `#/disposisi/${encodeURIComponent(id)}` }, ctx.mine.has(String(node.to_position && node.to_position.id)) && status !== 'done' ? 'Tindak lanjuti' : 'Buka'),
      h('a', { href: `#/lembar/${encodeURIComponent(id)}` }, 'Lembar disposisi'),
    ),
  ];
  return h(
    'li',
    {
      class: ['dnode', `dnode-${status}`, node.overdue === true && 'dnode-overdue', late && 'dbranch-overdue'],
      dataset: { dispositionId: id },
    },
    h('div', { class: 'dnode-card' }, head, lines),
    kids.length ? h('ul', { class: 'dtree' }, kids.map((k) => treeNode(k, ctx))) : null,
  );
}

/**
 * The disposition tree as nested lists.
 *   nodes        roots (API: letter.dispositions, or a disposition's children)
 *   instructions list from loadInstructions()
 *   user         the signed-in user (its positions mark what is theirs)
 *   letter       the letter (its unit names the registry that routed it)
 */
export function renderTree(nodes, { instructions = [], user = null, letter = null } = {}) {
  const ctx = {
    registry: registryLabel(letter),
    labels: instructionLabels(instructions),
    mine: new Set((user && user.positions ? user.positions : []).map((p) => String(p.id))),
  };
  const list = Array.isArray(nodes) ? nodes.filter((n) => n && typeof n === 'object') : [];
  return h('ul', { class: 'dtree dtree-root' }, list.map((n) => treeNode(n, ctx)));
}

// ---- the inbox ----------------------------------------------------------------

/**
 * One disposition of the inbox ({ disposition, letter } of GET /api/inbox:
 * summaries, positions as { id, title }, the letter's unit as { id, name };
 * docs/api.md).
 */
export function inboxItem(item, labels) {
  const d = item.disposition || {};
  const letter = item.letter || {};
  const status = text(d.status);
  const instructions = Array.isArray(d.instructions) ? d.instructions.map((c) => labels.get(c) || text(c)) : [];
  const from = d.from_position ? positionTitle(d.from_position) : registryLabel(letter);
  return h(
    'li',
    { class: ['inbox-item', `inbox-${status}`, d.overdue === true && 'inbox-overdue'], dataset: { dispositionId: text(d.id) } },
    h(
      'p',
      { class: 'inbox-head' },
      h('a', { class: 'inbox-link', href: `#/disposisi/${encodeURIComponent(text(d.id))}` }, text(letter.subject) || 'Surat'),
      ' ',
      h('span', { class: ['status', `dstatus-${status}`] }, DISPOSITION_STATUS[status] || status),
      d.overdue === true ? h('span', { class: 'badge badge-overdue' }, 'Lewat batas waktu') : null,
      letter.security && letter.security !== 'biasa'
        ? h('span', { class: ['badge', `badge-${text(letter.security)}`] }, label(SECURITY_LABELS, letter.security))
        : null,
    ),
    h(
      'p',
      { class: 'inbox-meta' },
      [
        `dari ${from}`,
        `kepada ${positionTitle(d.to_position)}`,
        text(letter.sender) ? `pengirim ${text(letter.sender)}` : '',
        agendaLabel(letter) ? `agenda ${agendaLabel(letter)}` : '',
        formatDateTime(d.created_at),
      ].filter(Boolean).join(' · '),
    ),
    instructions.length ? h('p', { class: 'inbox-instructions' }, instructions.join('; ')) : null,
    d.deadline ? h('p', { class: 'inbox-deadline' }, `Batas waktu ${formatDate(d.deadline)}`) : null,
  );
}

const DAY_MS = 24 * 3600 * 1000;

/** Days from today (Jakarta) to a YYYY-MM-DD deadline (negative: past). */
export function daysUntil(deadline, today = todayIso()) {
  const d = Date.parse(`${deadline}T00:00:00Z`);
  const t = Date.parse(`${today}T00:00:00Z`);
  return Number.isNaN(d) || Number.isNaN(t) ? null : Math.round((d - t) / DAY_MS);
}

/**
 * The inbox items in the order asked: 'baru' keeps the API's (unread first,
 * newest first); 'batas' puts the open ones by deadline, overdue first and
 * those without a deadline after them, then the done ones.
 */
export function sortInbox(items, order) {
  if (order !== 'batas') return items;
  const rank = (i) => {
    const d = i.disposition || {};
    if (d.status === 'done') return [2, 0];
    if (!d.deadline) return [1, 0];
    return [0, daysUntil(d.deadline) ?? 0];
  };
  return items
    .map((item, index) => ({ item, index, r: rank(item) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.index - b.index)
    .map((x) => x.item);
}

/** Open dispositions whose deadline is today or within the next `days` days. */
export function dueSoon(items, days = 3) {
  return items.filter((i) => {
    const d = i.disposition || {};
    if (d.status === 'done' || d.overdue === true || !d.deadline) return false;
    const n = daysUntil(d.deadline);
    return n !== null && n >= 0 && n <= days;
  });
}

// ---- the inbox badge -------------------------------------------------------

let pollTimer = null;
let pollGeneration = 0;
let lastCounts = null;
let badge = null;

function showCounts(counts) {
  if (!badge) return;
  const unread = Number(counts.unread) || 0;
  const open = Number(counts.open) || 0;
  const overdue = Number(counts.overdue) || 0;
  const number = badge.querySelector('.nav-badge-number');
  setText(number, unread > 99 ? '99+' : String(unread));
  badge.hidden = unread === 0 && overdue === 0;
  badge.dataset.loaded = 'true';
  badge.classList.toggle('nav-badge-overdue', overdue > 0);
  badge.title = `${unread} belum dibaca, ${open} terbuka, ${overdue} lewat batas waktu`;
  setText(badge.querySelector('.visually-hidden'), ` belum dibaca (${open} terbuka, ${overdue} lewat batas waktu)`);
}

/** The badge element for the inbox link of the menu. */
export function inboxBadge() {
  badge = h(
    'span',
    { class: 'nav-badge', id: 'inbox-badge', hidden: true },
    h('span', { class: 'nav-badge-number', 'aria-hidden': 'false' }, '0'),
    h('span', { class: 'visually-hidden' }, ' belum dibaca'),
  );
  if (lastCounts) showCounts(lastCounts);
  return badge;
}

/** The counts last seen, or null. */
export function inboxCounts() {
  return lastCounts;
}

/** Ask the counts now; resolves with them (null when they could not be had). */
export async function refreshInboxCounts() {
  const generation = pollGeneration;
  try {
    const data = await api.get('/api/inbox/counts');
    if (generation !== pollGeneration || !data || typeof data.counts !== 'object') return null;
    lastCounts = data.counts;
    showCounts(lastCounts);
    document.dispatchEvent(new CustomEvent('esurat:inbox', { detail: lastCounts }));
    return lastCounts;
  } catch (err) {
    // A failed poll tries again at the next tick; 401 ends the session (api.js).
    if (!(err instanceof api.ApiError)) console.warn('e-Surat: inbox counts', err);
    return null;
  }
}

function onVisible() {
  if (document.visibilityState === 'visible' && pollTimer) refreshInboxCounts();
}

/** Start following the counts (after sign-in, once the menu has its badge). */
export function startInboxPolling() {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = setInterval(() => {
    if (document.visibilityState !== 'hidden') refreshInboxCounts();
  }, POLL_MS);
  document.removeEventListener('visibilitychange', onVisible);
  document.addEventListener('visibilitychange', onVisible);
  refreshInboxCounts();
}

/** Stop following the counts and forget them (at sign-out). */
export function stopInboxPolling() {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = null;
  pollGeneration += 1;
  lastCounts = null;
  badge = null;
  document.removeEventListener('visibilitychange', onVisible);
  forgetInstructions();
}

// ---- the forms of the recipient: dispose further, complete -------------------

/** What went wrong, in Indonesian, from an API error of these forms. */
export function dispositionErrorText(err) {
  if (!(err instanceof api.ApiError)) return 'Terjadi kesalahan. Coba lagi.';
  if (err.field === 'to') {
    if (err.status === 409) return 'Jabatan ini sudah menerima disposisi surat ini dan belum selesai.';
    if (err.status === 403) return 'Disposisi hanya dapat diteruskan ke jabatan di bawah jabatan Anda.';
    return 'Pilih sedikitnya satu jabatan tujuan.';
  }
  if (err.field === 'instructions') return 'Instruksi tidak dikenal.';
  if (err.field === 'deadline') return 'Batas waktu tidak boleh sebelum hari ini.';
  if (err.field === 'note') return 'Catatan terlalu panjang atau memuat karakter yang tidak diizinkan.';
  if (err.field === 'report') return 'Isi laporan tindak lanjut.';
  if (err.status === 409) {
    if (/still open/.test(err.message)) return 'Disposisi yang Anda teruskan belum selesai semuanya. Selesaikan setelah semua laporan masuk.';
    if (/already complete|is complete/.test(err.message)) return 'Disposisi ini sudah selesai.';
    return api.errorMessage(err);
  }
  if (err.status === 403) return 'Hanya pemegang jabatan penerima (atau Plt/Plh-nya) yang dapat menindaklanjuti disposisi ini.';
  if (err.status === 404) return 'Disposisi atau surat tidak ditemukan.';
  return api.errorMessage(err);
}

/**
 * The form that disposes the letter to positions below the recipient's of
 * disposition d (here and on the letter page). prefix goes before every id
 * (a page with the forms of two dispositions).
 */
export function disposeForm(d, { positions, instructions, signal, onDone, prefix = '', title = '' }) {
  const below = positionsBelow(positions, d.to_position && d.to_position.id);
  const targets = below.map(({ position, depth }) => {
    const id = `${prefix}to-${text(position.id)}`;
    const holder = position.holder && position.holder.name ? text(position.holder.name) : 'kosong';
    const box = h('input', { type: 'checkbox', id, name: 'to', value: text(position.id) });
    return {
      box,
      element: h(
        'li',
        { class: ['check', `check-depth-${Math.min(depth, 4)}`] },
        box,
        h('label', { for: id }, `${positionTitle(position)} (${holder})`),
      ),
    };
  });
  const toError = h('p', { class: 'field-error', id: `${prefix}to-error` });
  const toSet = h(
    'fieldset',
    { class: 'field', 'aria-describedby': `${prefix}to-error` },
    h('legend', {}, 'Diteruskan kepada'),
    targets.length ? h('ul', { class: 'check-list plain-list' }, targets.map((t) => t.element)) : h('p', { class: 'hint' }, 'Tidak ada jabatan di bawah jabatan ini.'),
    toError,
  );

  const active = instructions.filter((i) => i.active !== false);
  const boxes = active.map((i) => {
    const id = `${prefix}instr-${i.code}`;
    const box = h('input', { type: 'checkbox', id, name: 'instructions', value: i.code });
    return { box, element: h('li', { class: 'check' }, box, h('label', { for: id }, text(i.label))) };
  });
  const instrError = h('p', { class: 'field-error', id: `${prefix}instructions-error` });
  const instrSet = h(
    'fieldset',
    { class: 'field', 'aria-describedby': `${prefix}instructions-error` },
    h('legend', {}, 'Instruksi'),
    h('ul', { class: 'check-list check-columns plain-list' }, boxes.map((b) => b.element)),
    instrError,
  );

  const note = field({ id: `${prefix}dispose-note`, name: 'note', label: 'Catatan', type: 'textarea', attrs: { maxlength: '2000' } });
  const deadline = field({
    id: `${prefix}dispose-deadline`, name: 'deadline', label: 'Batas waktu', type: 'date', attrs: { min: todayIso() },
    hint: 'Kosongkan bila tidak ada batas waktu.',
  });
  const formError = h('div', { class: 'alert', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: `${prefix}dispose-submit` }, 'Kirim disposisi');
  const form = h(
    'form',
    { class: 'card form-card', id: `${prefix}dispose-form`, novalidate: true, 'aria-labelledby': `${prefix}dispose-title` },
    h('h2', { class: 'card-title', id: `${prefix}dispose-title` }, title || 'Disposisikan'),
    formError,
    toSet,
    instrSet,
    note.element,
    deadline.element,
    h('div', { class: 'form-actions' }, submit),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    setText(formError, '');
    setText(toError, '');
    setText(instrError, '');
    setFieldError(note, '');
    setFieldError(deadline, '');
    const to = targets.filter((t) => t.box.checked).map((t) => Number(t.box.value));
    if (!to.length) {
      setText(toError, 'Pilih sedikitnya satu jabatan tujuan.');
      (targets[0] ? targets[0].box : submit).focus();
      return;
    }
    const body = { to, instructions: boxes.filter((b) => b.box.checked).map((b) => b.box.value), parent_id: d.id };
    if (note.control.value.trim()) body.note = note.control.value.trim();
    if (deadline.control.value) body.deadline = deadline.control.value;
    form.setAttribute('aria-busy', 'true');
    submit.disabled = true;
    try {
      const result = await api.post(`/api/letters/${encodeURIComponent(d.letter_id)}/dispositions`, body, { signal });
      refreshInboxCounts();
      onDone(`Disposisi terkirim kepada ${(result.items || []).map((i) => positionTitle(i.to_position)).join(', ')}.`);
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      if (err instanceof api.ApiError && err.status === 401) return;
      const msg = dispositionErrorText(err);
      if (err.field === 'to') setText(toError, msg);
      else if (err.field === 'instructions') setText(instrError, msg);
      else if (err.field === 'note') setFieldError(note, msg);
      else if (err.field === 'deadline') setFieldError(deadline, msg);
      else setText(formError, msg);
    } finally {
      form.removeAttribute('aria-busy');
      submit.disabled = false;
    }
  });
  return form;
}

/** The form that completes the disposition with a report (prefix as above). */
export function completeForm(d, { signal, onDone, prefix = '', title = '' }) {
  const report = field({
    id: `${prefix}report`, name: 'report', label: 'Laporan tindak lanjut', type: 'textarea', required: true,
    attrs: { maxlength: '5000' },
  });
  const formError = h('div', { class: 'alert', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: `${prefix}complete-submit` }, 'Selesaikan');
  const form = h(
    'form',
    { class: 'card form-card', id: `${prefix}complete-form`, novalidate: true, 'aria-labelledby': `${prefix}complete-title` },
    h('h2', { class: 'card-title', id: `${prefix}complete-title` }, title || 'Selesaikan disposisi'),
    formError,
    report.element,
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    setText(formError, '');
    setFieldError(report, '');
    const value = report.control.value.trim();
    if (!value) {
      setFieldError(report, 'Wajib diisi.');
      report.control.focus();
      return;
    }
    form.setAttribute('aria-busy', 'true');
    submit.disabled = true;
    try {
      const done = await api.post(`/api/dispositions/${encodeURIComponent(d.id)}/complete`, { report: value }, { signal });
      refreshInboxCounts();
      const finished = done && done.letter && done.letter.status === 'selesai';
      onDone(finished ? 'Disposisi selesai. Semua cabang disposisi surat ini telah selesai.' : 'Disposisi selesai.');
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      if (err instanceof api.ApiError && err.status === 401) return;
      if (err.field === 'report') setFieldError(report, dispositionErrorText(err));
      else setText(formError, dispositionErrorText(err));
    } finally {
      form.removeAttribute('aria-busy');
      submit.disabled = false;
    }
  });
  return form;
}

// ---- routing by the front desk -----------------------------------------------

/**
 * The front desk's routing of a letter nobody received yet to one of the
 * leaders (entries: the entry points of GET /api/positions; the first is
 * chosen, so that one click routes). On the letter page (compact false,
 * ids route-form/route-to) and in each row of the start page's list
 * (compact: the label only for screen readers, ids from the letter's id).
 * onDone(answer, position) after the API took it.
 */
export function routeForm(letter, { entries, signal, onDone, compact = false }) {
  const id = compact ? `route-${text(letter.id)}` : 'route';
  const select = h(
    'select',
    { id: `${id}-to`, name: 'to', 'aria-describedby': `${id}-error` },
    entries.map((p) => h('option', { value: text(p.id) }, `${text(p.title)}${!compact && p.holder && p.holder.name ? ` (${text(p.holder.name)})` : ''}`)),
  );
  const error = h('p', { class: 'field-error', role: 'alert', id: `${id}-error` });
  const button = h('button', { type: 'submit', class: ['btn', compact ? 'btn-small btn-secondary' : 'btn-primary'] }, 'Teruskan');
  const labelText = compact ? `Teruskan surat ${text(letter.subject)} kepada` : 'Teruskan kepada pimpinan';
  const form = h(
    'form',
    { class: ['route-form', compact && 'route-form-compact'], id: `${id}-form`, novalidate: true },
    h(
      'div',
      { class: 'field' },
      h('label', { for: `${id}-to`, class: compact ? 'visually-hidden' : null }, labelText),
      compact ? h('div', { class: 'input-row' }, select, button) : select,
    ),
    error,
    compact ? null : h('div', { class: 'form-actions' }, button),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    setText(error, '');
    button.disabled = true;
    try {
      const answer = await api.post(`/api/letters/${encodeURIComponent(letter.id)}/dispositions`, { to: [Number(select.value)] }, { signal });
      refreshInboxCounts();
      onDone(answer, entries.find((p) => String(p.id) === select.value));
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      if (err instanceof api.ApiError && err.status === 401) return;
      setText(error, err instanceof api.ApiError && err.status === 409 ? 'Surat ini sudah diteruskan.' : api.errorMessage(err));
      select.focus();
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/**
 * The open dispositions of the letter addressed to a position the user
 * holds, from the letter's tree: [{ node, canComplete }]. canComplete: every
 * disposition forwarded from it is done (the API decides in the end).
 */
export function myOpenDispositions(tree, user) {
  const mine = new Set((user && user.positions ? user.positions : []).map((p) => String(p.id)));
  const out = [];
  const walk = (nodes) => {
    for (const n of Array.isArray(nodes) ? nodes : []) {
      if (!n || typeof n !== 'object') continue;
      const kids = Array.isArray(n.children) ? n.children : [];
      if (n.status !== 'done' && n.to_position && mine.has(String(n.to_position.id))) {
        out.push({ node: n, canComplete: kids.every((k) => k && k.status === 'done') });
      }
      walk(kids);
    }
  };
  walk(tree);
  return out;
}

/**
 * The inbox counts as tiles linking to the inbox: unread, open, overdue
 * (the API's counts over every open disposition) and, when known, those
 * due within three days (of the items loaded).
 */
export function countTiles(counts, soon = null) {
  const tile = (n, name, href, cls) => h(
    'li',
    { class: ['count-tile', cls, Number(n) > 0 && 'count-tile-some'] },
    h('a', { href }, h('span', { class: 'count-number' }, String(Number(n) || 0)), h('span', { class: 'count-label' }, name)),
  );
  return h(
    'ul',
    { class: 'count-tiles plain-list', 'aria-label': 'Ringkasan kotak masuk' },
    tile(counts.unread, 'belum dibaca', '#/kotak-masuk?status=unread', 'count-unread'),
    tile(counts.open, 'belum selesai', '#/kotak-masuk?status=open', 'count-open'),
    tile(counts.overdue, 'lewat batas waktu', '#/kotak-masuk?status=open&urut=batas', 'count-overdue'),
    soon === null ? null : tile(soon, 'jatuh tempo ≤ 3 hari', '#/kotak-masuk?status=open&urut=batas', 'count-soon'),
  );
}
