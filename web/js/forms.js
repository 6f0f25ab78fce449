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
