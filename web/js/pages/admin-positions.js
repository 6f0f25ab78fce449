// #/admin/jabatan — positions, the tree dispositions flow down (each with
// its unit and the position above it), who holds each today, and the
// appointments of one position: definitive holders and acting officials
// (Plt for a vacancy, Plh for an absence), each for a period.

import * as api from '../api.js';
import { h, append, replace, setText } from '../dom.js';
import { field } from '../forms.js';
import { formatDate, text, todayIso } from '../format.js';
import {
  KIND_NAMES, aborted, cell, checkbox, editorForm, formErrors, onSubmit, pageHead, rowButton, setOptions, statusLine,
  table,
} from './admin-common.js';

function describePosition(err) {
  const conflict = err.status === 409;
  switch (err.field) {
    case 'title': return 'Isi nama jabatan (paling banyak 200 karakter).';
    case 'unit_id': return 'Pilih unit yang ada.';
    case 'parent_id': return conflict ? 'Jabatan atasan tidak boleh jabatan ini sendiri atau jabatan di bawahnya: disposisi mengalir ke bawah.' : 'Pilih jabatan atasan yang ada.';
    default: return err.status === 404 ? 'Jabatan ini tidak ditemukan; muat ulang halaman.' : '';
  }
}

function describeAppointment(err) {
  if (err.status === 409) {
    if (err.field === 'user_id') return 'Pengguna ini nonaktif; aktifkan akunnya lebih dulu.';
    if (/inactive/.test(err.message)) return 'Jabatan ini nonaktif; aktifkan lebih dulu.';
    return 'Penugasan bertabrakan: jabatan ini sudah memiliki pejabat definitif pada tanggal itu, atau pengguna ini sudah memegangnya. Akhiri penugasan lama lebih dulu, atau tunjuk Plt/Plh.';
  }
  switch (err.field) {
    case 'user_id': return 'Pilih pengguna.';
    case 'kind': return 'Pilih jenis penugasan.';
    case 'from': return 'Tanggal mulai tidak valid.';
    case 'until': return 'Tanggal selesai tidak valid atau sebelum tanggal mulai.';
    default: return err.status === 404 ? 'Penugasan atau jabatan ini tidak ditemukan; muat ulang halaman.' : '';
  }
}

/** The positions in tree order (parents before children), with depths. */
function treeOrder(positions) {
  const byParent = new Map();
  const ids = new Set(positions.map((p) => p.id));
  for (const p of positions) {
    const key = p.parent_id && ids.has(p.parent_id) ? p.parent_id : null;
    if (!byParent.has(key)) byParent.set(key, []);
    byParent.get(key).push(p);
  }
  const out = [];
  const seen = new Set();
  const walk = (key, depth) => {
    for (const p of byParent.get(key) || []) {
      if (seen.has(p.id)) continue; // a cycle cannot be stored, but never loop
      seen.add(p.id);
      out.push({ position: p, depth });
      walk(p.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

function holderText(holder) {
  if (!holder) return 'Kosong';
  return holder.acting ? `${text(holder.name)} (${String(holder.acting).toUpperCase()})` : text(holder.name);
}

function appointmentState(a) {
  if (a.current) return 'Berlaku hari ini';
  if (a.from > todayIso()) return 'Akan datang';
  return 'Berakhir';
}

export async function renderAdminPositions(view, { signal }) {
  append(view, pageHead('/admin/jabatan', 'Jabatan dan Penugasan', 'Disposisi ditujukan kepada jabatan, bukan orang: siapa pun yang memegang jabatan hari ini — definitif, Plt atau Plh — menerima kotak masuknya.'));
  const status = statusLine('positions-status');
  const tbody = h('tbody', { id: 'positions-rows' });
  let positions = [];
  let units = [];
  let users = [];

  // ---- position form
  const f = {
    title: field({ id: 'position-title', label: 'Nama jabatan', required: true, attrs: { maxlength: '200', autocomplete: 'off' } }),
    unit_id: field({ id: 'position-unit', label: 'Unit', required: true, type: 'select' }),
    parent_id: field({ id: 'position-parent', label: 'Jabatan atasan', type: 'select', hint: 'Disposisi mengalir dari atasan ke jabatan ini.' }),
  };
  const entry = checkbox({ id: 'position-entry', label: 'Penerima surat masuk', hint: 'Bagian Umum dapat langsung meneruskan surat masuk ke jabatan ini.' });
  const active = checkbox({ id: 'position-active', label: 'Jabatan aktif', hint: 'Jabatan nonaktif tidak ditawarkan lagi untuk disposisi.' });
  const editor = editorForm({
    id: 'position-form',
    body: [h('div', { class: 'form-grid' }, f.title.element, f.unit_id.element, f.parent_id.element), entry.element, active.element],
    fields: { ...f, is_entry_point: entry, active },
    describe: describePosition,
  });
  const { form, title: formTitle, errors } = editor;
  let editing = null;

  function setMode(position) {
    editing = position;
    editor.start(position, position ? `Ubah jabatan ${text(position.title)}` : 'Jabatan baru', position ? 'Simpan perubahan' : 'Tambah jabatan');
    setOptions(f.unit_id.control, null, units.map((u) => [u.id, `${text(u.name)} (${text(u.code)})`]));
    setOptions(f.parent_id.control, '— Tanpa atasan (puncak)', treeOrder(positions)
      .filter(({ position: p }) => !position || p.id !== position.id)
      .map(({ position: p, depth }) => [p.id, `${'· '.repeat(depth)}${text(p.title)}`]));
    f.title.control.value = position ? text(position.title) : '';
    if (position) f.unit_id.control.value = String(position.unit.id);
    f.parent_id.control.value = position && position.parent_id ? String(position.parent_id) : '';
    entry.control.checked = Boolean(position && position.is_entry_point);
    active.control.checked = position ? position.active !== false : true;
    active.element.hidden = !position;
  }

  // ---- appointments of one position
  const panel = h('section', { class: 'card', id: 'appointments', 'aria-labelledby': 'appointments-title', hidden: true });
  const panelTitle = h('h2', { class: 'card-title', id: 'appointments-title', tabindex: '-1' });
  const panelStatus = h('p', { class: 'notice', role: 'status', id: 'appointments-status' });
  const appointmentRows = h('tbody', { id: 'appointment-rows' });
  const a = {
    user_id: field({ id: 'appoint-user', label: 'Pengguna', required: true, type: 'select' }),
    kind: field({ id: 'appoint-kind', label: 'Jenis', required: true, type: 'select', options: Object.entries(KIND_NAMES) }),
    from: field({ id: 'appoint-from', label: 'Mulai', type: 'date', hint: 'Kosongkan untuk hari ini.' }),
    until: field({ id: 'appoint-until', label: 'Sampai', type: 'date', hint: 'Kosongkan bila belum ditentukan.' }),
  };
  const appointError = h('div', { class: 'alert', role: 'alert' });
  const appointSubmit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'appoint-submit' }, 'Tugaskan');
  const appointForm = h(
    'form',
    { id: 'appoint-form', novalidate: true, 'aria-labelledby': 'appoint-title' },
    h('h3', { id: 'appoint-title', class: 'admin-subtitle' }, 'Penugasan baru'),
    appointError,
    h('div', { class: 'form-grid' }, a.user_id.element, a.kind.element, a.from.element, a.until.element),
    h('div', { class: 'form-actions' }, appointSubmit),
  );
  const appointErrors = formErrors(a, appointError, describeAppointment);
  let shown = null; // the position whose appointments are shown

  async function showAppointments(position) {
    shown = position;
    panel.hidden = false;
    setText(panelTitle, `Penugasan: ${text(position.title)}`);
    setText(panelStatus, '');
    appointErrors.clear();
    appointForm.reset();
    setOptions(a.user_id.control, '— Pilih pengguna', users.map((u) => [u.id, `${text(u.name)} (${text(u.username)})`]));
    const list = await api.get(`/api/positions/${encodeURIComponent(position.id)}/holders`, { signal });
    replace(appointmentRows, (Array.isArray(list) ? list : []).map((ap) => {
      const ended = appointmentState(ap) === 'Berakhir';
      const end = ended ? null : rowButton('Akhiri', `Akhiri penugasan ${text(ap.user && ap.user.name)}`, (event) => endAppointment(ap, event.currentTarget));
      return h(
        'tr',
        { dataset: { id: text(ap.id) } },
        cell('Pejabat', text(ap.user && ap.user.name)),
        cell('Jenis', KIND_NAMES[ap.kind] || text(ap.kind)),
        cell('Mulai', formatDate(ap.from)),
        cell('Sampai', ap.until ? formatDate(ap.until) : 'Belum ditentukan'),
        cell('Keadaan', appointmentState(ap)),
        h('td', { class: 'cell-narrow' }, end),
      );
    }));
  }

  async function endAppointment(ap, button) {
    button.disabled = true;
    setText(panelStatus, '');
    try {
      await api.del(`/api/positions/${encodeURIComponent(shown.id)}/holders/${encodeURIComponent(ap.id)}`, { signal });
      setText(panelStatus, `Penugasan ${text(ap.user && ap.user.name)} diakhiri.`);
      await reload();
    } catch (err) {
      button.disabled = false;
      if (!aborted(err)) setText(panelStatus, describeAppointment(err) || api.errorMessage(err));
    }
  }

  onSubmit(appointForm, appointSubmit, appointErrors, async () => {
    setText(panelStatus, '');
    const body = { user_id: a.user_id.control.value ? Number(a.user_id.control.value) : null, kind: a.kind.control.value };
    if (a.from.control.value) body.from = a.from.control.value;
    if (a.until.control.value) body.until = a.until.control.value;
    const saved = await api.post(`/api/positions/${encodeURIComponent(shown.id)}/holders`, body, { signal });
    await reload();
    setText(panelStatus, `${text(saved.user && saved.user.name)} ditugaskan sebagai ${KIND_NAMES[saved.kind] || text(saved.kind)}.`);
  });

  // ---- the list
  function positionRow({ position, depth }) {
    const edit = rowButton('Ubah', `Ubah ${text(position.title)}`, () => {
      setMode(position);
      formTitle.focus();
    });
    const appoint = rowButton('Penugasan', `Penugasan ${text(position.title)}`, () => {
      showAppointments(position).then(() => panelTitle.focus()).catch((err) => {
        if (!aborted(err)) setText(status, api.errorMessage(err));
      });
    });
    return h(
      'tr',
      { dataset: { id: text(position.id) } },
      h('td', { class: `depth-${Math.min(depth, 5)}`, dataset: { label: 'Jabatan' } },
        h('span', { class: 'cell-main' }, text(position.title)),
        position.is_entry_point ? h('span', { class: 'cell-sub' }, 'Penerima surat masuk') : null,
        position.active === false ? h('span', { class: 'cell-sub' }, 'Nonaktif') : null),
      cell('Unit', text(position.unit && position.unit.name)),
      cell('Pemegang hari ini', holderText(position.holder)),
      h('td', { class: 'cell-narrow' }, h('span', { class: 'badges' }, edit, appoint)),
    );
  }

  async function reload() {
    const [p, u, us] = await Promise.all([
      api.get('/api/positions', { query: { all: 'true' }, signal }),
      api.get('/api/units', { signal }),
      loadActiveUsers(),
    ]);
    positions = Array.isArray(p) ? p : [];
    units = Array.isArray(u) ? u : [];
    users = us;
    replace(tbody, treeOrder(positions).map(positionRow));
    if (shown) {
      const again = positions.find((x) => x.id === shown.id);
      if (again) await showAppointments(again);
    }
  }

  /** Every active user, page by page. */
  async function loadActiveUsers() {
    const all = [];
    let cursor = null;
    do {
      const page = await api.get('/api/users', { query: { active: 'true', limit: 200, cursor }, signal });
      all.push(...(page.items || []));
      cursor = page.next_cursor || null;
    } while (cursor);
    return all;
  }

  editor.cancel.addEventListener('click', () => {
    setMode(null);
    f.title.control.focus();
  });
  onSubmit(form, editor.submit, errors, async () => {
    setText(status, '');
    const body = {
      title: f.title.control.value.trim(),
      unit_id: f.unit_id.control.value ? Number(f.unit_id.control.value) : null,
      parent_id: f.parent_id.control.value ? Number(f.parent_id.control.value) : null,
      is_entry_point: entry.control.checked,
    };
    if (editing) body.active = active.control.checked;
    const saved = editing
      ? await api.patch(`/api/positions/${encodeURIComponent(editing.id)}`, body, { signal })
      : await api.post('/api/positions', body, { signal });
    setText(status, `Jabatan ${text(saved.title)} disimpan.`);
    await reload();
    setMode(null);
  });

  append(panel, panelTitle, panelStatus,
    table('Penugasan jabatan', ['Pejabat', 'Jenis', 'Mulai', 'Sampai', 'Keadaan', ''], appointmentRows),
    appointForm);
  append(
    view,
    status,
    h('section', { 'aria-labelledby': 'positions-list-title' },
      h('h2', { class: 'visually-hidden', id: 'positions-list-title' }, 'Daftar jabatan'),
      table('Daftar jabatan', ['Jabatan', 'Unit', 'Pemegang hari ini', ''], tbody)),
    panel,
  );
  await reload();
  setMode(null);
  // The form only once its lists are loaded: shown earlier, what a quick
  // user typed was cleared by setMode when the lists arrived.
  append(view, form);
}
