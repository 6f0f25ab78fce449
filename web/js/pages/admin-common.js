// What the admin pages (#/admin/…) share: their sub-menu, forms that put the
// API's field errors beside the fields, groups of check boxes, and the
// Indonesian words for the organisation's codes. Text from the API goes in
// as text only (dom.js).

import * as api from '../api.js';
import { h, setText } from '../dom.js';
import { setFieldError } from '../forms.js';

export const ADMIN_PAGES = [
  { path: '/admin', label: 'Ringkasan' },
  { path: '/admin/pengguna', label: 'Pengguna' },
  { path: '/admin/unit', label: 'Unit & Nomor Surat' },
  { path: '/admin/jabatan', label: 'Jabatan & Penugasan' },
  { path: '/admin/klasifikasi', label: 'Kode Klasifikasi' },
  { path: '/admin/instruksi', label: 'Instruksi Disposisi' },
];

export const ROLE_NAMES = {
  admin: 'Administrator',
  front_desk: 'Bagian Umum',
  official: 'Pejabat',
  archivist: 'Arsiparis',
  records: 'Unit Kearsipan',
};

export const KIND_NAMES = {
  definitif: 'Definitif',
  plt: 'Plt (pelaksana tugas)',
  plh: 'Plh (pelaksana harian)',
};

export const FINAL_NAMES = {
  musnah: 'Musnah',
  permanen: 'Permanen',
  dinilai_kembali: 'Dinilai kembali',
};

/** The admin pages' sub-menu, the current one marked. */
export function adminNav(current) {
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Menu administrasi' },
    ADMIN_PAGES.map((p) => h(
      'a',
      { class: 'tab', href: `#${p.path}`, 'aria-current': p.path === current ? 'page' : null },
      p.label,
    )),
  );
}

/** Sub-menu, heading and lead paragraph of an admin page. */
export function pageHead(current, title, lead) {
  return [
    adminNav(current),
    h('h1', { class: 'page-title', tabindex: '-1' }, title),
    lead ? h('p', { class: 'page-lead' }, lead) : null,
  ];
}

/** A status line (role="status") for what was saved. */
export function statusLine(id) {
  return h('p', { class: 'notice', role: 'status', id });
}

/**
 * Errors of a form: the API names a field, its error goes beside that field
 * (and the field gets the focus); anything else goes to the form's alert.
 *   fields    { apiField: field() result }
 *   formError the form's role="alert" element
 *   describe  (err) → Indonesian text for an ApiError, or '' for the default
 */
export function formErrors(fields, formError, describe) {
  return {
    clear() {
      setText(formError, '');
      for (const f of Object.values(fields)) setFieldError(f, '');
    },
    show(err) {
      if (err && err.name === 'AbortError') return;
      const message = (err instanceof api.ApiError && describe(err)) || api.errorMessage(err);
      const f = err instanceof api.ApiError && err.field ? fields[err.field] : null;
      if (f) {
        setFieldError(f, message);
        f.control.focus();
      } else {
        setText(formError, message);
      }
    },
  };
}

/**
 * Check boxes under one legend, shaped like a field() (control, error) so
 * that formErrors can mark it.
 *   checkGroup({ id, legend, options: [[value, label]…] })
 * Returns { element, control, error, values(), set(values) }.
 */
export function checkGroup({ id, legend, options }) {
  const error = h('p', { class: 'field-error', id: `${id}-error` });
  const boxes = options.map(([value, label]) => {
    const box = h('input', { type: 'checkbox', id: `${id}-${value}`, name: id, value });
    return { box, element: h('li', { class: 'check' }, box, h('label', { for: box.id }, label)) };
  });
  const control = h(
    'fieldset',
    { class: 'field', id, tabindex: '-1', 'aria-describedby': error.id },
    h('legend', {}, legend),
    h('ul', { class: 'check-list check-columns plain-list' }, boxes.map((b) => b.element)),
    error,
  );
  return {
    element: control,
    control,
    error,
    values: () => boxes.filter((b) => b.box.checked).map((b) => b.box.value),
    set(values) {
      for (const b of boxes) b.box.checked = values.includes(b.box.value);
    },
  };
}

/** A labelled check box alone: { element, control, error }. */
export function checkbox({ id, label, hint = '' }) {
  const error = h('p', { class: 'field-error', id: `${id}-error` });
  const hintEl = hint ? h('p', { class: 'hint field-hint', id: `${id}-hint` }, hint) : null;
  const control = h('input', {
    type: 'checkbox', id, name: id, 'aria-describedby': [hintEl && hintEl.id, error.id].filter(Boolean).join(' '),
  });
  return {
    element: h('div', { class: 'field' }, h('div', { class: 'check' }, control, h('label', { for: id }, label)), hintEl, error),
    control,
    error,
  };
}

/** A <select>'s options from a list: [['', empty], …items.map(pick)]. */
export function setOptions(select, empty, items) {
  const keep = select.value;
  select.replaceChildren(
    ...(empty === null ? [] : [h('option', { value: '' }, empty)]),
    ...items.map(([value, label]) => h('option', { value: String(value) }, label)),
  );
  select.value = keep;
  if (select.selectedIndex < 0 && select.options.length) select.selectedIndex = 0;
}

/** A table inside its scrolling frame; columns: header texts. */
export function table(caption, columns, tbody) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'registry' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      tbody,
    ),
  );
}

/** A table cell with the label the phone layout shows before it. */
export function cell(label, ...children) {
  return h('td', { dataset: { label } }, children);
}

/** Runs fn after the user stops typing for ms; the last call wins. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Whether an error is the abort of a page left. */
export function aborted(err) {
  return Boolean(err && err.name === 'AbortError');
}

/**
 * The card form of a page that adds an object or, after "Ubah" on a row,
 * changes one.
 *   editorForm({ id, body: [elements…], fields, describe })  (see formErrors)
 * Returns { form, title, submit, cancel, errors, start(editing, heading, button) }:
 * title is focusable; start() empties the form and its errors, sets the
 * heading and the button, and shows "Batal" while editing.
 */
export function editorForm({ id, body, fields, describe }) {
  const title = h('h2', { class: 'card-title', id: `${id}-title`, tabindex: '-1' });
  const error = h('div', { class: 'alert', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: `${id}-submit` });
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, 'Batal');
  const form = h(
    'form',
    { class: 'card form-card', id, novalidate: true, 'aria-labelledby': title.id },
    title,
    error,
    body,
    h('div', { class: 'form-actions' }, submit, cancel),
  );
  const errors = formErrors(fields, error, describe);
  return {
    form,
    title,
    submit,
    cancel,
    errors,
    start(editing, heading, button) {
      errors.clear();
      form.reset();
      setText(title, heading);
      setText(submit, button);
      cancel.hidden = !editing;
    },
  };
}

/**
 * Sends a form with save() (async): errors cleared first and shown beside
 * their fields after, the button disabled meanwhile.
 */
export function onSubmit(form, button, errors, save) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    button.disabled = true;
    try {
      await save();
    } catch (err) {
      errors.show(err);
    } finally {
      button.disabled = false;
    }
  });
}

/** A small row button ("Ubah") whose accessible name says what it is for. */
export function rowButton(text, name, onClick) {
  const button = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': name }, text);
  button.addEventListener('click', onClick);
  return button;
}
