// #/lacak — public tracking, no login: a citizen types the code from the
// receipt and sees the status and times of the letter, nothing of its
// content (the API gives nothing more). #/lacak?kode=XXXX looks it up at once.

import * as api from '../api.js';
import { h, append, replace, setText } from '../dom.js';
import { TRACK_STATUS_LABELS, formatDateTime, label, text } from '../format.js';

const STEPS = [
  ['baru', 'Diterima'],
  ['didisposisi', 'Sedang diproses'],
  ['selesai', 'Selesai'],
];
const STEP_INDEX = { baru: 0, didisposisi: 1, selesai: 2, diarsipkan: 2 };

function normalize(code) {
  return code.replace(/\s+/g, '');
}

export async function renderTrack(view, { query, signal }) {
  const input = h('input', {
    id: 'track-code',
    name: 'kode',
    type: 'text',
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
    maxlength: '64',
    required: true,
    'aria-describedby': 'track-hint track-error',
  });
  const error = h('p', { id: 'track-error', class: 'field-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary', id: 'track-submit' }, 'Lacak');
  const result = h('div', { id: 'track-result', class: 'track-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card track-form', id: 'track-form', novalidate: true, role: 'search', 'aria-label': 'Lacak surat' },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'track-code' }, 'Kode pelacakan'),
      h('div', { class: 'input-row' }, input, button),
      h('p', { id: 'track-hint', class: 'hint field-hint' }, 'Kode tertera pada tanda terima yang Anda terima saat menyerahkan surat.'),
      error,
    ),
  );

  append(
    view,
    h('h1', { class: 'page-title', tabindex: '-1' }, 'Lacak Surat'),
    h('p', { class: 'page-lead' }, 'Ketahui sampai di mana surat yang Anda kirim ke pemerintah kota.'),
    form,
    result,
  );

  async function lookup(code) {
    setText(error, '');
    input.removeAttribute('aria-invalid');
    replace(result);
    if (!code) {
      setText(error, 'Isi kode pelacakan.');
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    button.disabled = true;
    replace(result, h('p', { class: 'hint' }, 'Mencari…'));
    try {
      const data = await api.get(`/api/track/${encodeURIComponent(code)}`, { signal, noAuthRedirect: true });
      if (signal.aborted) return;
      const status = text(data && data.status);
      const current = Object.prototype.hasOwnProperty.call(STEP_INDEX, status) ? STEP_INDEX[status] : -1;
      const rows = [
        ['Kode pelacakan', text(data && data.tracking_code) || code],
        ['Status', label(TRACK_STATUS_LABELS, status) || 'Tidak diketahui'],
        ['Diterima pada', formatDateTime(data && data.received_at) || '—'],
        ['Pembaruan terakhir', formatDateTime(data && data.updated_at) || '—'],
      ];
      replace(
        result,
        h(
          'section',
          { class: 'card track-card', 'aria-labelledby': 'track-status' },
          h('h2', { class: 'card-title', id: 'track-status', tabindex: '-1' }, `Status: ${label(TRACK_STATUS_LABELS, status) || 'Tidak diketahui'}`),
          h('ol', { class: 'track-steps', 'aria-label': 'Tahapan' }, STEPS.map(([, name], i) => h(
            'li',
            { class: ['track-step', i < current && 'step-done', i === current && 'step-current'], 'aria-current': i === current ? 'step' : null },
            name,
          ))),
          h('dl', { class: 'details' }, rows.map(([k, v]) => h('div', { class: 'details-row' }, h('dt', {}, k), h('dd', {}, v)))),
        ),
      );
    } catch (err) {
      if (err && err.name === 'AbortError') return;
      replace(result);
      let msg;
      if (err instanceof api.ApiError && (err.status === 404 || err.status === 400)) msg = 'Kode tidak ditemukan.';
      else if (err instanceof api.ApiError && err.status === 429) msg = 'Terlalu banyak permintaan. Tunggu sebentar, lalu coba lagi.';
      else msg = api.errorMessage(err);
      setText(error, msg);
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const code = normalize(input.value);
    input.value = code;
    // Keep the code in the address without a new render.
    const hash = code ? `#/lacak?kode=${encodeURIComponent(code)}` : '#/lacak';
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${hash}`);
    lookup(code).then(() => {
      const heading = result.querySelector('h2');
      if (heading) heading.focus();
    });
  });

  const initial = normalize(query.get('kode') || '');
  if (initial) {
    input.value = initial;
    await lookup(initial);
  }
}
