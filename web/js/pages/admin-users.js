// #/admin/pengguna — users: a searchable list (by user name, name or NIP,
// active or not, page by page), and one form that creates a user or, after
// "Ubah" on a row, changes one: name, NIP, roles, active, a new password.

import * as api from '../api.js';
import { h, append, replace, setText } from '../dom.js';
import { field } from '../forms.js';
import { text } from '../format.js';
import {
  ROLE_NAMES, aborted, cell, checkGroup, checkbox, editorForm, onSubmit, pageHead, rowButton, statusLine,
  table,
} from './admin-common.js';

const PAGE_SIZE = 50;

function describe(err) {
  const conflict = err.status === 409;
  switch (err.field) {
    case 'username':
      return conflict ? 'Nama pengguna ini sudah dipakai.' : 'Nama pengguna: huruf a–z, angka, titik, garis bawah atau tanda hubung (paling banyak 64).';
    case 'name': return 'Isi nama lengkap (paling banyak 200 karakter).';
    case 'nip': return conflict ? 'NIP ini sudah dipakai pengguna lain.' : 'NIP terdiri atas 18 angka.';
    case 'roles': return conflict ? 'Anda tidak dapat mencabut peran Administrator dari akun Anda sendiri.' : 'Pilih dari peran yang tersedia.';
    case 'active': return conflict ? 'Anda tidak dapat menonaktifkan akun Anda sendiri.' : '';
    case 'password': return 'Kata sandi paling sedikit 8 karakter (paling banyak 1024 bita).';
    default: return err.status === 404 ? 'Pengguna ini tidak ditemukan; muat ulang halaman.' : '';
  }
}

function positionsText(user) {
  const list = Array.isArray(user.positions) ? user.positions : [];
  if (!list.length) return '—';
  return list.map((p) => `${p.acting ? `${String(p.acting).toUpperCase()} ` : ''}${text(p.title)}`).join('; ');
}

function userRow(user, onEdit) {
  const edit = rowButton('Ubah', `Ubah ${text(user.username)}`, () => onEdit(user));
  return h(
    'tr',
    { dataset: { id: text(user.id), username: text(user.username) } },
    cell('Nama pengguna', h('span', { class: 'cell-main' }, text(user.username))),
    cell('Nama', text(user.name), user.nip ? h('span', { class: 'cell-sub' }, `NIP ${text(user.nip)}`) : null),
    cell('Peran', (user.roles || []).map((r) => ROLE_NAMES[r] || text(r)).join(', ') || '—'),
    cell('Jabatan hari ini', positionsText(user)),
    cell('Status', h('span', { class: ['status', user.active ? 'status-selesai' : 'status-diarsipkan'] }, user.active ? 'Aktif' : 'Nonaktif')),
    h('td', { class: 'cell-narrow' }, edit),
  );
}

export async function renderAdminUsers(view, { signal, user: me }) {
  append(view, pageHead('/admin/pengguna', 'Pengguna', 'Akun pegawai dan perannya. Menonaktifkan akun atau mengganti kata sandinya mengakhiri sesi pengguna itu seketika.'));
  const status = statusLine('users-status');

  // ---- the list
  const q = field({ id: 'users-q', label: 'Cari', hint: 'Nama pengguna, nama atau NIP', attrs: { type: 'search', autocomplete: 'off' } });
  const activeFilter = field({ id: 'users-active', label: 'Status', type: 'select', options: [['', 'Semua'], ['true', 'Aktif'], ['false', 'Nonaktif']] });
  const search = h(
    'form',
    { class: 'card', role: 'search', 'aria-label': 'Cari pengguna', novalidate: true },
    h('div', { class: 'filters-grid' }, q.element, activeFilter.element),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Cari')),
  );
  const tbody = h('tbody', { id: 'users-rows' });
  const listStatus = h('p', { class: 'list-status', role: 'status' });
  const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, 'Muat lebih banyak');
  let cursor = null;

  // ---- the form: new user, or the one being changed
  const f = {
    username: field({ id: 'acct-username', label: 'Nama pengguna', required: true, hint: 'Untuk masuk; tidak dapat diubah kemudian.', attrs: { maxlength: '64', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' } }),
    name: field({ id: 'acct-name', label: 'Nama lengkap', required: true, attrs: { maxlength: '200', autocomplete: 'off' } }),
    nip: field({ id: 'acct-nip', label: 'NIP', hint: '18 angka; kosongkan bila tidak ada.', attrs: { inputmode: 'numeric', maxlength: '40', autocomplete: 'off' } }),
    password: field({ id: 'acct-password', label: 'Kata sandi awal', required: true, type: 'password', hint: 'Paling sedikit 8 karakter.', attrs: { autocomplete: 'new-password' } }),
  };
  const roles = checkGroup({ id: 'acct-roles', legend: 'Peran', options: Object.entries(ROLE_NAMES) });
  const active = checkbox({ id: 'acct-active', label: 'Akun aktif', hint: 'Akun nonaktif tidak dapat masuk; sesinya berakhir.' });
  const editor = editorForm({
    id: 'acct-form',
    body: [h('div', { class: 'form-grid' }, f.username.element, f.name.element, f.nip.element, f.password.element),
      roles.element, active.element],
    fields: { ...f, roles, active },
    describe,
  });
  const { form, title: formTitle, cancel, errors } = editor;
  let editing = null; // the user being changed, or null for a new one

  function setMode(user) {
    editing = user;
    editor.start(user, user ? `Ubah pengguna ${text(user.username)}` : 'Pengguna baru', user ? 'Simpan perubahan' : 'Tambah pengguna');
    f.username.control.value = user ? text(user.username) : '';
    f.username.control.disabled = Boolean(user);
    f.name.control.value = user ? text(user.name) : '';
    f.nip.control.value = user ? text(user.nip) : '';
    roles.set(user ? user.roles || [] : []);
    active.control.checked = user ? user.active !== false : true;
    active.element.hidden = !user;
    // A new user needs a password; a changed one keeps theirs when left empty.
    replace(f.password.element.querySelector('label'), user ? 'Kata sandi baru' : 'Kata sandi awal',
      user ? null : h('span', { class: 'required', 'aria-hidden': 'true' }, ' *'));
    f.password.control.setAttribute('aria-required', user ? 'false' : 'true');
    f.password.control.required = !user;
    setText(f.password.element.querySelector('.field-hint'), user ? 'Kosongkan bila tidak diganti. Paling sedikit 8 karakter.' : 'Paling sedikit 8 karakter.');
  }

  async function load(reset) {
    if (reset) cursor = null;
    setText(listStatus, 'Memuat…');
    const page = await api.get('/api/users', {
      query: { q: q.control.value.trim(), active: activeFilter.control.value, limit: PAGE_SIZE, cursor },
      signal,
    });
    const rows = (page.items || []).map((u) => userRow(u, (picked) => {
      setMode(picked);
      formTitle.focus();
    }));
    if (reset) replace(tbody, rows);
    else append(tbody, rows);
    cursor = page.next_cursor || null;
    more.hidden = !cursor;
    setText(listStatus, tbody.children.length ? `${tbody.children.length} pengguna ditampilkan.` : 'Tidak ada pengguna yang cocok.');
  }

  search.addEventListener('submit', (event) => {
    event.preventDefault();
    load(true).catch((err) => { if (!aborted(err)) setText(listStatus, api.errorMessage(err)); });
  });
  more.addEventListener('click', () => {
    load(false).catch((err) => { if (!aborted(err)) setText(listStatus, api.errorMessage(err)); });
  });
  cancel.addEventListener('click', () => {
    setMode(null);
    f.username.control.focus();
  });

  onSubmit(form, editor.submit, errors, async () => {
    setText(status, '');
    const body = {
      name: f.name.control.value.trim(),
      nip: f.nip.control.value.trim() || null,
      roles: roles.values(),
    };
    if (f.password.control.value) body.password = f.password.control.value;
    if (editing) body.active = active.control.checked;
    else {
      body.username = f.username.control.value.trim();
      if (!body.nip) delete body.nip;
    }
    const saved = editing
      ? await api.patch(`/api/users/${encodeURIComponent(editing.id)}`, body, { signal })
      : await api.post('/api/users', body, { signal });
    setText(status, editing ? `Perubahan pengguna ${text(saved.username)} disimpan.` : `Pengguna ${text(saved.username)} ditambahkan.`);
    setMode(null);
    await load(true);
  });

  setMode(null);
  append(
    view,
    status,
    search,
    h('section', { 'aria-labelledby': 'users-list-title' },
      h('h2', { class: 'visually-hidden', id: 'users-list-title' }, 'Daftar pengguna'),
      table('Daftar pengguna', ['Nama pengguna', 'Nama', 'Peran', 'Jabatan hari ini', 'Status', ''], tbody),
      listStatus,
      h('p', { class: 'list-more' }, more)),
    form,
    h('p', { class: 'hint' }, `Anda masuk sebagai ${text(me.username)}: akun Anda sendiri tidak dapat dinonaktifkan dan tetap Administrator.`),
  );
  await load(true);
}
