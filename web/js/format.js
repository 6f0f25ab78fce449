// Labels and formats shown to the user (Bahasa Indonesia).

const MONTHS = [
  'Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni',
  'Juli', 'Agustus', 'September', 'Oktober', 'November', 'Desember',
];

export const SECURITY_LABELS = {
  biasa: 'Biasa',
  terbatas: 'Terbatas',
  rahasia: 'Rahasia',
  sangat_rahasia: 'Sangat Rahasia',
};

export const URGENCY_LABELS = {
  biasa: 'Biasa',
  segera: 'Segera',
  sangat_segera: 'Sangat Segera',
};

/** Letter status, as the office sees it. */
export const STATUS_LABELS = {
  baru: 'Baru',
  didisposisi: 'Didisposisi',
  selesai: 'Selesai',
  diarsipkan: 'Diarsipkan',
};

/** Letter status, as a citizen sees it on the tracking page. */
export const TRACK_STATUS_LABELS = {
  baru: 'Diterima',
  didisposisi: 'Sedang diproses',
  selesai: 'Selesai',
  diarsipkan: 'Selesai',
};

export const DIRECTION_LABELS = {
  in: 'Masuk',
  out: 'Keluar',
};

export const OCR_LABELS = {
  queued: 'Menunggu giliran pengenalan teks (OCR)',
  running: 'Pengenalan teks (OCR) sedang berjalan',
  done: 'Teks telah dikenali (OCR selesai)',
  failed: 'Pengenalan teks (OCR) gagal',
};

/** A label from a table, or the code itself when unknown ('' for none). */
export function label(table, code) {
  if (code === null || code === undefined || code === '') return '';
  return Object.prototype.hasOwnProperty.call(table, code) ? table[code] : String(code);
}

/** '2015-01-27' → '27 Januari 2015' (the text itself when not a date). */
export function formatDate(value) {
  if (!value) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value));
  if (!m) return String(value);
  const month = MONTHS[Number(m[2]) - 1];
  if (!month) return String(value);
  return `${Number(m[3])} ${month} ${m[1]}`;
}

/** The wall-clock parts of a timestamp in Asia/Jakarta (UTC+7, no DST). */
function jakartaParts(value) {
  const t = Date.parse(String(value));
  if (Number.isNaN(t)) return null;
  const d = new Date(t + 7 * 3600 * 1000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth(),
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  };
}

const pad = (n) => String(n).padStart(2, '0');

/** RFC 3339 timestamp → '27 Januari 2015, 14.05 WIB'. */
export function formatDateTime(value) {
  if (!value) return '';
  const p = jakartaParts(value);
  if (!p) return String(value);
  return `${p.day} ${MONTHS[p.month]} ${p.year}, ${pad(p.hour)}.${pad(p.minute)} WIB`;
}

/** RFC 3339 timestamp → '27 Januari 2015' (the day in Jakarta). */
export function formatDay(value) {
  if (!value) return '';
  const p = jakartaParts(value);
  if (!p) return formatDate(value);
  return `${p.day} ${MONTHS[p.month]} ${p.year}`;
}

/** Today in Jakarta as YYYY-MM-DD. */
export function todayIso() {
  const p = jakartaParts(new Date().toISOString());
  return `${p.year}-${pad(p.month + 1)}-${pad(p.day)}`;
}

/** 1536 → '1,5 KB'. */
export function formatBytes(n) {
  const v = Number(n);
  if (!Number.isFinite(v) || v < 0) return '';
  if (v < 1024) return `${v} B`;
  const units = ['KB', 'MB', 'GB'];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i += 1;
  }
  return `${x.toFixed(x < 10 ? 1 : 0).replace('.', ',')} ${units[i]}`;
}

/** '124' and 2015 → '124/2015'. */
export function agendaLabel(letter) {
  if (!letter || letter.agenda_number === null || letter.agenda_number === undefined) return '';
  return letter.agenda_year ? `${letter.agenda_number}/${letter.agenda_year}` : String(letter.agenda_number);
}

/** Text of an API value for display: '' for null/undefined, objects never. */
export function text(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return '';
  return String(value);
}

/** Role codes of the API → the labels shown to the user. */
export const ROLE_LABELS = {
  admin: 'Administrator',
  front_desk: 'Bagian Umum',
  official: 'Pejabat',
  archivist: 'Arsiparis',
  records: 'Unit Kearsipan',
};

/** The label of a role code (the code itself when unknown). */
export function roleLabel(code) {
  return label(ROLE_LABELS, code);
}

/** "Walikota Pekanbaru — Pemerintah Kota Pekanbaru" (a position and its unit). */
export function positionLabel(position) {
  const title = position && position.title ? String(position.title) : '';
  const unit = position && position.unit && position.unit.name ? String(position.unit.name) : '';
  if (title && unit && !title.includes(unit)) return `${title} — ${unit}`;
  return title || unit;
}
