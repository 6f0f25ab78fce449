// Dispositions in the portal: instruction labels, the disposition tree (on
// the letter page and the disposition page), the positions below one's own,
// and the inbox badge that follows the counts without a reload.
//
// The badge asks GET /api/inbox/counts every 15 seconds (one indexed query),
// at once when the tab becomes visible again, and after every action that
// changes the inbox (refreshInboxCounts). Each answer is announced as the
// document event `esurat:inbox` ({ detail: counts }) for pages that list
// the inbox.

import * as api from './api.js';
import { h, setText } from './dom.js';
import { formatDate, formatDateTime, text } from './format.js';

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
