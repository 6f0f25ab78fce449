// #/surat/:id/tanda-terima — the receipt of a registered incoming letter,
// printed again (the citizen lost it, the printer jammed): the same receipt
// as right after the registration, from the letter as it is now.

import { h, messagePage } from '../dom.js';
import { loadLetter } from '../letterform.js';
import { showReceipt } from '../receipt.js';
import { text } from '../format.js';

/** Who registered the letter, from its history (the letter.register row). */
function registrarOf(letter) {
  const rows = Array.isArray(letter.history) ? letter.history : [];
  const row = rows.find((r) => r && r.action === 'letter.register');
  return row && row.user && typeof row.user === 'object' ? text(row.user.name) : '';
}

export async function renderReceiptPage(view, { params, signal }) {
  const letter = await loadLetter(view, params.id, signal);
  if (!letter || signal.aborted) return;
  const back = h('a', { class: 'btn btn-secondary', href: `#/surat/${encodeURIComponent(text(letter.id))}` }, 'Kembali ke surat');
  if (!letter.tracking_code) {
    messagePage(view, 'Tidak ada tanda terima', 'Tanda terima hanya dibuat untuk surat masuk.', [`#/surat/${encodeURIComponent(text(letter.id))}`, 'Kembali ke surat']);
    return;
  }
  showReceipt(view, { letter, registrar: registrarOf(letter), signal, actions: [back] });
}
