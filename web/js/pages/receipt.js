// #/surat/:id/tanda-terima — the receipt of a registered incoming letter,
// printed again (the citizen lost it, the printer jammed): the same receipt
// as right after the registration, from the letter as it is now.

import * as api from '../api.js';
import { h, messagePage } from '../dom.js';
import { showReceipt } from '../receipt.js';
import { text } from '../format.js';

/** Who registered the letter, from its history (the letter.register row). */
function registrarOf(letter) {
  const rows = Array.isArray(letter.history) ? letter.history : [];
  const row = rows.find((r) => r && r.action === 'letter.register');
  return row && row.user && typeof row.user === 'object' ? text(row.user.name) : '';
}

export async function renderReceiptPage(view, { params, signal }) {
  let letter;
  try {
    letter = await api.get(`/api/letters/${encodeURIComponent(params.id)}`, { signal });
  } catch (err) {
    if (err instanceof api.ApiError && (err.status === 404 || err.status === 400)) {
      messagePage(view, 'Surat tidak ditemukan', 'Surat ini tidak ada atau Anda tidak berwenang melihatnya.', ['#/surat', 'Kembali ke daftar surat']);
      return;
    }
    throw err;
  }
  if (signal.aborted) return;
  const back = h('a', { class: 'btn btn-secondary', href: `#/surat/${encodeURIComponent(text(letter.id))}` }, 'Kembali ke surat');
  if (!letter.tracking_code) {
    messagePage(view, 'Tidak ada tanda terima', 'Tanda terima hanya dibuat untuk surat masuk.', [`#/surat/${encodeURIComponent(text(letter.id))}`, 'Kembali ke surat']);
    return;
  }
  showReceipt(view, { letter, registrar: registrarOf(letter), signal, actions: [back] });
}
