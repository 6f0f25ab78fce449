// Form fields with a label, an optional hint and an error line that the
// field names in aria-describedby. Errors are text only.

import { h, setText } from './dom.js';

/**
 * A labelled field.
 *   field({ id, name, label, type, required, hint, options, list, attrs })
 * type: text (default), date, textarea, select (options: [[value, label]…])
 * Returns { element, control, error }.
 */
export function field({ id, name = id, label, type = 'text', required = false, hint = '', options = [], attrs = {}, wide = false }) {
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  let control;
  const common = { id, name, 'aria-describedby': describedBy, required, 'aria-required': required ? 'true' : null, ...attrs };
  if (type === 'textarea') {
    control = h('textarea', { rows: '3', ...common });
  } else if (type === 'select') {
    control = h('select', common, options.map(([value, text]) => h('option', { value }, text)));
  } else {
    control = h('input', { type, ...common });
  }
  const error = h('p', { id: errorId, class: 'field-error' });
  const element = h(
    'div',
    { class: ['field', wide && 'field-wide'] },
    h('label', { for: id }, label, required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
    control,
    hintId ? h('p', { id: hintId, class: 'hint field-hint' }, hint) : null,
    error,
  );
  return { element, control, error };
}

/** Show (or with '' clear) the error of a field. */
export function setFieldError(f, text) {
  setText(f.error, text);
  if (text) f.control.setAttribute('aria-invalid', 'true');
  else f.control.removeAttribute('aria-invalid');
}

/** The filters of the registry and the archive search, by name. */
const FILTER_SPECS = {
  number: { label: 'Nomor surat', hint: 'Utuh atau sebagian, mis. 123/Disdik', attrs: { type: 'search', autocomplete: 'off', spellcheck: 'false' } },
  sender: { label: 'Pengirim', attrs: { type: 'search', autocomplete: 'off' } },
  classification: { label: 'Klasifikasi', hint: 'Awalan kode, mis. 005', attrs: { autocomplete: 'off', spellcheck: 'false' } },
  from: { label: 'Dari tanggal', type: 'date' },
  to: { label: 'Sampai tanggal', type: 'date' },
  direction: { label: 'Arah', type: 'select', options: [['', 'Semua'], ['in', 'Surat masuk'], ['out', 'Surat keluar']] },
};

/**
 * Filter fields that live in the hash query (#/surat?number=…): one field()
 * per name, with the value of the query. specs adds or overrides a name's
 * spec ({ label, type, options, hint, attrs }).
 *   const f = filterFields('f', ['number', 'from'], query);
 *   f.number.control.value …; filterParams(f) → URLSearchParams
 */
export function filterFields(prefix, names, query, specs = {}) {
  const out = {};
  for (const name of names) {
    const spec = { ...FILTER_SPECS[name], ...specs[name] };
    out[name] = field({ id: `${prefix}-${name}`, name, ...spec });
    out[name].control.value = (query && query.get(name)) || '';
  }
  return out;
}

/** The non-empty values of filter fields, as URL parameters. */
export function filterParams(fields, extra = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(extra)) if (v) params.set(k, v);
  for (const [name, f] of Object.entries(fields)) {
    const v = f.control.value.trim();
    if (v) params.set(name, v);
  }
  return params;
}
