// #/admin — the administrator's start page, and the routes of the admin
// pages (app.js adds `adminRoutes` to its table):
//   #/admin              start page: the admin pages, the acting officials today
//   #/admin/pengguna     users, roles, passwords            (admin-users.js)
//   #/admin/unit         units and their number templates   (admin-units.js)
//   #/admin/jabatan      positions and appointments         (admin-positions.js)
//   #/admin/klasifikasi  classification codes, CSV import   (admin-classifications.js)
//   #/admin/instruksi    disposition instructions           (instructions.js)

import * as api from '../api.js';
import { h, append } from '../dom.js';
import { text, formatDate, todayIso } from '../format.js';
import { ADMIN_PAGES, KIND_NAMES, pageHead } from './admin-common.js';
import { renderAdminUsers } from './admin-users.js';
import { renderAdminUnits } from './admin-units.js';
import { renderAdminPositions } from './admin-positions.js';
import { renderAdminClassifications } from './admin-classifications.js';

const ADMIN = ['admin'];

export const adminRoutes = [
  { path: '/admin', title: 'Administrasi', nav: 'Administrasi', roles: ADMIN, render: renderAdminHome },
  { path: '/admin/pengguna', title: 'Pengguna', roles: ADMIN, render: renderAdminUsers },
  { path: '/admin/unit', title: 'Unit dan Nomor Surat', roles: ADMIN, render: renderAdminUnits },
  { path: '/admin/jabatan', title: 'Jabatan dan Penugasan', roles: ADMIN, render: renderAdminPositions },
  { path: '/admin/klasifikasi', title: 'Kode Klasifikasi', roles: ADMIN, render: renderAdminClassifications },
];

const DESCRIPTIONS = {
  '/admin/pengguna': 'Akun pegawai, peran, NIP, kata sandi; menonaktifkan akun mengakhiri sesinya seketika.',
  '/admin/unit': 'Unit kerja (SKPD, bagian) dan templat nomor surat keluarnya, dengan contoh nomor berikutnya.',
  '/admin/jabatan': 'Jabatan yang menerima disposisi, atasannya, dan siapa yang memegangnya: definitif, Plt atau Plh.',
  '/admin/klasifikasi': 'Kode klasifikasi arsip dengan jadwal retensinya; impor tabel daerah dari berkas CSV.',
  '/admin/instruksi': 'Instruksi baku pada lembar disposisi.',
};

async function renderAdminHome(view, { signal }) {
  append(view, pageHead('/admin', 'Administrasi', 'Pengaturan organisasi dan akun e-Surat. Setiap perubahan dicatat dalam jejak audit.'));
  append(
    view,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'admin-pages-title' },
      h('h2', { class: 'card-title', id: 'admin-pages-title' }, 'Halaman administrasi'),
      h(
        'dl',
        { class: 'details' },
        ADMIN_PAGES.filter((p) => DESCRIPTIONS[p.path]).map((p) => h(
          'div',
          { class: 'details-row' },
          h('dt', {}, h('a', { href: `#${p.path}` }, p.label)),
          h('dd', {}, DESCRIPTIONS[p.path]),
        )),
      ),
    ),
  );
  const acting = h('section', { class: 'card', 'aria-labelledby': 'acting-title', id: 'acting-today' },
    h('h2', { class: 'card-title', id: 'acting-title' }, 'Pelaksana tugas hari ini'));
  append(view, acting);
  const positions = await api.get('/api/positions', { signal });
  const list = (Array.isArray(positions) ? positions : []).filter((p) => p.holder && p.holder.acting);
  append(
    acting,
    list.length
      ? h('ul', { class: 'plain-list' }, list.map((p) => h(
        'li',
        {},
        h('strong', {}, text(p.holder.name)),
        ` — ${KIND_NAMES[p.holder.acting] || text(p.holder.acting)} ${text(p.title)}`,
      )))
      : h('p', { class: 'hint' }, `Tidak ada Plt atau Plh yang bertugas pada ${formatDate(todayIso())}.`),
    h('p', {}, h('a', { href: '#/admin/jabatan' }, 'Atur penugasan')),
  );
}
