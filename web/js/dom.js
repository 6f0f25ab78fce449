// Small DOM helpers for e-Surat pages.
//
// Everything here inserts text as text: strings become text nodes, never
// HTML. Attributes are set with setAttribute; `style` strings are refused
// because the Content-Security-Policy forbids inline style attributes (use a
// class, or an object that is applied through element.style).

/**
 * Build an element.
 *
 *   h('p', { class: 'hint' }, 'Halo, ', h('strong', {}, user.name))
 *
 * attrs:
 *   class      string or array of strings (falsy entries skipped)
 *   style      object only ({ width: '3rem' }), applied via element.style
 *   dataset    object copied to element.dataset
 *   on<Event>  function, added with addEventListener (onClick → "click")
 *   true/false boolean attribute present/absent; null/undefined skipped
 *   anything else: setAttribute(name, String(value))
 * children: strings/numbers (as text), Nodes, arrays of these, null/false (skipped).
 *
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') {
      const list = (Array.isArray(value) ? value : [value]).filter(Boolean).flatMap((c) => String(c).split(/\s+/)).filter(Boolean);
      if (list.length) el.classList.add(...list);
    } else if (name === 'style') {
      if (typeof value !== 'object') throw new TypeError('h(): style must be an object (CSP forbids inline style attributes)');
      Object.assign(el.style, value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (/^on[A-Z]/.test(name) && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Append children (strings as text nodes) to a parent node. */
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Remove every child of a node. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** Replace the children of a node with the given children. */
export function replace(node, ...children) {
  clear(node);
  return append(node, children);
}

/** Set an element's text (empty string for null/undefined). */
export function setText(node, text) {
  node.textContent = text === null || text === undefined ? '' : String(text);
  return node;
}

/** document.getElementById that fails loudly when the element is missing. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`element #${id} missing`);
  return el;
}

/**
 * A definition list of label/value rows: details([['Nomor', '5/2015'], …]).
 * Rows whose value is '', null or undefined are left out; a value may be a
 * node or an array of nodes. attrs go to the <dl> (its class adds to
 * "details").
 */
export function details(rows, attrs = {}) {
  const { class: extra, ...rest } = attrs;
  return h(
    'dl',
    { class: ['details', ...(Array.isArray(extra) ? extra : [extra])], ...rest },
    rows
      .filter(([, v]) => v !== '' && v !== null && v !== undefined)
      .map(([k, v]) => h('div', { class: 'details-row' }, h('dt', {}, k), h('dd', {}, v))),
  );
}

/**
 * A page that only says something (not found, not allowed): a focusable
 * heading, the text, and optionally a link back ([href, label]).
 */
export function messagePage(view, title, text, back = null) {
  return append(
    view,
    h('h1', { class: 'page-title', tabindex: '-1' }, title),
    h('p', {}, text),
    back ? h('p', {}, h('a', { href: back[0] }, back[1])) : null,
  );
}

/** Resolves after ms, or at once when signal aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal && signal.aborted) {
      resolve();
      return;
    }
    const t = setTimeout(resolve, ms);
    if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

/** Whether the screen is wider than a phone's (the CSS breakpoint, 40rem). */
export function wideScreen() {
  return window.matchMedia('(min-width: 40.01rem)').matches;
}

// A message for the next rendering of a page, after an action that renders
// the page again (e.g. "Disposisi terkirim"): set it, navigate, take it.
let flashMessage = null;

/** Keep text for the next render of the page named key. */
export function setFlash(key, text) {
  flashMessage = { key, text };
}

/** The text kept for key ('' when none); forgets it. */
export function takeFlash(key) {
  const out = flashMessage && flashMessage.key === key ? flashMessage.text : '';
  flashMessage = null;
  return out;
}
