// The receipt (tanda terima) handed to whoever delivered a letter: right
// after the registration (pages/register.js) and again from the letter's
// page (pages/receipt.js, #/surat/:id/tanda-terima). Printing prints the
// receipt only (the class print-receipt on <html>, style.css).

import { h, details, replace } from './dom.js';
import { agendaLabel, formatDate, formatDateTime, text } from './format.js';

/**
 * Replace view's content with the receipt of letter, its Print button and
 * the given actions (links, buttons) and notes below it.
 *   registrar  the name of who registered it ('' when unknown)
 *   signal     the page's; leaving the page ends the print mode
 */
export function showReceipt(view, { letter, registrar = '', signal, actions = [], notes = [] }) {
  const trackUrl = `${window.location.origin}${window.location.pathname}#/lacak`;
  const unitName = letter.unit && letter.unit.name ? text(letter.unit.name) : 'e-Surat';
  const receipt = h(
    'section',
    { class: 'receipt', id: 'receipt', 'aria-labelledby': 'receipt-title' },
    h(
      'header',
      { class: 'receipt-head' },
      h('img', { src: '/favicon.svg', alt: '', width: '40', height: '40' }),
      h(
        'div',
        {},
        h('p', { class: 'receipt-org' }, unitName),
        h('h1', { class: 'receipt-title', id: 'receipt-title', tabindex: '-1' }, 'Tanda Terima'),
      ),
    ),
    h('p', { class: 'receipt-lead' }, 'Surat berikut telah kami terima dan dicatat:'),
    details([
      ['Nomor agenda', agendaLabel(letter)],
      ['Diterima tanggal', formatDateTime(letter.received_at)],
      ['Pengirim', text(letter.sender)],
      ['Nomor surat', text(letter.letter_number)],
      ['Tanggal surat', formatDate(letter.letter_date)],
      ['Perihal', text(letter.subject)],
    ], { class: 'receipt-details' }),
    h(
      'div',
      { class: 'receipt-code-box' },
      h('p', { class: 'receipt-code-label', id: 'receipt-code-label' }, 'Kode pelacakan'),
      h('p', { class: 'receipt-code', id: 'tracking-code', 'aria-labelledby': 'receipt-code-label' }, text(letter.tracking_code)),
      h('p', { class: 'receipt-code-help' }, 'Pantau status surat Anda di ', h('span', { class: 'receipt-url' }, trackUrl), ' dengan kode di atas.'),
    ),
    h(
      'footer',
      { class: 'receipt-foot' },
      h('p', {}, 'Petugas penerima'),
      h('p', { class: 'receipt-sign' }, registrar || '……………………'),
    ),
  );

  const printBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'print-receipt' }, 'Cetak');
  printBtn.addEventListener('click', () => window.print());
  replace(
    view,
    receipt,
    h('div', { class: 'receipt-actions' }, printBtn, actions),
    notes.length ? h('div', { class: 'receipt-page-notes' }, notes) : null,
  );
  document.documentElement.classList.add('print-receipt');
  signal.addEventListener('abort', () => document.documentElement.classList.remove('print-receipt'), { once: true });
  document.title = 'Tanda Terima — e-Surat';
  return receipt;
}
