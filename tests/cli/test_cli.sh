#!/usr/bin/env bash
# Tests of the admin CLI `esurat` against a real, private PostgreSQL.
#
# Usage: tests/cli/test_cli.sh PATH/TO/esurat
#
# Creates a throwaway cluster in a temporary directory (Unix socket only,
# no TCP), runs the commands and checks the database with psql. As root,
# the cluster runs as the system user `esurat` (created when missing).
# PG_BIN overrides the PostgreSQL binaries' directory; KEEP_TMP=1 keeps the
# directory for inspection. Prints one line per check and, last,
# "N passed, N failed"; exits non-zero when anything failed.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 PATH/TO/esurat" >&2
    exit 2
fi
ESURAT=$(realpath "$1")
[[ -x $ESURAT ]] || { echo "$0: $ESURAT is not executable" >&2; exit 2; }
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x $PG_BIN/initdb ]] || { echo "$0: no initdb in $PG_BIN (set PG_BIN)" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/esurat-cli.XXXXXX")
chmod 0755 "$T"
AS_PG=()
if [[ $(id -u) -eq 0 ]]; then
    if ! id esurat >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin esurat
    fi
    chown esurat: "$T"
    AS_PG=(runuser -u esurat --)
fi
cd "$T"

cleanup() {
    local rc=$?
    if [[ -f $T/data/postmaster.pid ]]; then
        "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$T/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ ${KEEP_TMP:-0} == 1 ]]; then
        echo "# kept $T"
    else
        cd /
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT

"${AS_PG[@]}" "$PG_BIN/initdb" -D "$T/data" -U esurat --auth=trust -E UTF8 --locale=C \
    >"$T/initdb.log" 2>&1 || { cat "$T/initdb.log" >&2; exit 1; }
"${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$T/data" -l "$T/server.log" -w \
    -o "-c listen_addresses='' -c unix_socket_directories='$T' -c fsync=off" start >/dev/null \
    || { cat "$T/server.log" >&2; exit 1; }
psql -X -q -h "$T" -U esurat -d postgres -c 'CREATE DATABASE esurat' \
    -c 'CREATE DATABASE esurat_race'

export ESURAT_DATABASE_URL="host=$T dbname=esurat user=esurat"
RACE_URL="host=$T dbname=esurat_race user=esurat"
unset ESURAT_SQL_DIR ESURAT_DEMO_PASSWORD
export ESURAT_TIMEZONE=Asia/Jakarta
cp -r "$SRC/sql" "$T/sql"
SQL=$T/sql
DEMO_PASSWORD='sandi-demo-2015'

# ---------------------------------------------------------------------------
# Harness

PASSED=0
FAILED=0
OUT= ERR= RC=0

ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
not_ok() {
    FAILED=$((FAILED + 1))
    echo "not ok - $1"
    if [[ -n ${2:-} ]]; then sed 's/^/#   /' <<<"$2"; fi
}

# run CMD...: runs it, keeping OUT, ERR and RC. A sanitizer report fails
# the test whatever the exit code.
run() {
    RC=0
    "$@" >"$T/out" 2>"$T/err" || RC=$?
    OUT=$(cat "$T/out")
    ERR=$(cat "$T/err")
    if grep -qE 'Sanitizer|runtime error:' "$T/err"; then
        not_ok "no sanitizer report from: $*" "$ERR"
    fi
}

# q SQL [URL]: one psql query, unaligned, tuples only.
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "${2:-$ESURAT_DATABASE_URL}" -c "$1"; }

expect_rc() { # WANT DESCRIPTION
    if [[ $RC == "$1" ]]; then ok "$2"; else not_ok "$2 (exit $RC, wanted $1)" "$OUT
$ERR"; fi
}
expect_eq() { # DESCRIPTION WANT GOT
    if [[ $3 == "$2" ]]; then ok "$1"; else not_ok "$1" "wanted: $2
got:    $3"; fi
}
expect_grep() { # DESCRIPTION PATTERN TEXT
    if grep -qE -- "$2" <<<"$3"; then ok "$1"; else not_ok "$1 (no /$2/)" "$3"; fi
}
expect_no_grep() { # DESCRIPTION PATTERN TEXT
    if grep -qE -- "$2" <<<"$3"; then not_ok "$1 (found /$2/)" "$3"; else ok "$1"; fi
}

# ---------------------------------------------------------------------------
echo "# command line"

run "$ESURAT" --help
expect_rc 0 "--help exits 0"
expect_grep "--help lists the commands" 'classification import' "$OUT"
run "$ESURAT"
expect_rc 2 "no command is a usage error"
run "$ESURAT" help user add
expect_rc 0 "help user add exits 0"
expect_grep "help user add shows --acting" '--acting plt.plh' "$OUT"
run "$ESURAT" user add --help
expect_rc 0 "user add --help exits 0"
run "$ESURAT" frobnicate
expect_rc 2 "an unknown command is a usage error"
expect_grep "an unknown command is named" 'unknown command "frobnicate"' "$ERR"
run "$ESURAT" user add --name X
expect_rc 2 "user add without a user name is a usage error"
run "$ESURAT" migrate --bogus
expect_rc 2 "an unknown option is a usage error"
ESURAT_DATABASE_URL="host=$T/nowhere dbname=esurat user=esurat" run "$ESURAT" user list
expect_rc 1 "an unreachable database fails with exit 1"
expect_grep "an unreachable database is reported" 'esurat: error: could not connect' "$ERR"

# ---------------------------------------------------------------------------
echo "# migrate"

mapfile -t FILES < <(cd "$SQL" && ls | grep -E '^[0-9]+_.*\.sql$' | sort)
NFILES=${#FILES[@]}
run "$ESURAT" migrate --dir "$SQL"
expect_rc 0 "migrate applies the migrations"
expect_eq "migrate prints each file applied, in order" \
    "$(printf 'applied %s\n' "${FILES[@]}")" "$OUT"
expect_eq "schema_migrations holds every file" "$NFILES" \
    "$(q 'SELECT count(*) FROM schema_migrations')"
expect_eq "schema_migrations holds the files' sha256" \
    "$(cd "$SQL" && sha256sum "${FILES[@]}" | awk '{print $2 ":" $1}')" \
    "$(q "SELECT name || ':' || sha256 FROM schema_migrations ORDER BY name")"

ESURAT_SQL_DIR=$SQL run "$ESURAT" migrate
expect_rc 0 "a second migrate succeeds (ESURAT_SQL_DIR)"
expect_eq "a second migrate has nothing to apply" "nothing to apply" "$OUT"

missing=
for t in units positions users user_roles position_holders sessions login_throttle \
    classifications instructions letters number_counters number_templates scans page_texts \
    ocr_jobs dispositions disposition_instructions audit_log audit_head letter_history \
    index_outbox worker_heartbeats; do
    [[ $(q "SELECT to_regclass('$t') IS NOT NULL") == t ]] || missing+=" $t"
done
expect_eq "every table of the schema exists" "" "$missing"
expect_eq "the ten main classification codes are seeded" \
    "000 Umum;100 Pemerintahan;200 Politik;300 Keamanan dan Ketertiban;400 Kesejahteraan Rakyat;500 Perekonomian;600 Pekerjaan Umum dan Ketenagaan;700 Pengawasan;800 Kepegawaian;900 Keuangan" \
    "$(q "SELECT string_agg(code || ' ' || title, ';' ORDER BY code) FROM classifications")"
expect_eq "the main codes have no retention and no parent" "0" \
    "$(q "SELECT count(*) FROM classifications WHERE retention_active_years IS NOT NULL OR final_disposition IS NOT NULL OR parent_code IS NOT NULL")"
expect_eq "the standard disposition instructions are seeded" \
    "arsipkan=Arsipkan;hadiri=Hadiri/wakili;jawab=Siapkan jawaban;ketahui=Untuk diketahui;koordinasikan=Koordinasikan;pelajari=Pelajari dan beri saran;tindak_lanjuti=Untuk ditindaklanjuti" \
    "$(q "SELECT string_agg(code || '=' || label, ';' ORDER BY code) FROM instructions WHERE code IN ('ketahui','tindak_lanjuti','hadiri','pelajari','jawab','koordinasikan','arsipkan')")"

cp "$SQL/${FILES[0]}" "$T/first.sql"
echo "-- an edit after the fact" >>"$SQL/${FILES[0]}"
run "$ESURAT" migrate --dir "$SQL"
expect_rc 1 "migrate refuses a changed applied file"
expect_grep "the refusal names the file" "${FILES[0]}.*changed" "$ERR"
cp "$T/first.sql" "$SQL/${FILES[0]}"
run "$ESURAT" migrate --dir "$SQL"
expect_eq "the restored file is accepted again" "nothing to apply" "$OUT"

# Three runs at once on an empty database: each file is applied once.
pids=()
for i in 1 2 3; do
    ESURAT_DATABASE_URL=$RACE_URL "$ESURAT" migrate --dir "$SQL" >"$T/race$i.out" 2>&1 &
    pids+=($!)
done
race_rc=0
for p in "${pids[@]}"; do wait "$p" || race_rc=$?; done
expect_eq "concurrent migrates all succeed" "0" "$race_rc"
expect_eq "concurrent migrates apply each file once" "$NFILES" \
    "$(cat "$T"/race?.out | grep -c '^applied ' || true)"
expect_no_grep "concurrent migrates report no error" 'error|Sanitizer' "$(cat "$T"/race?.out)"
expect_eq "after concurrent migrates each file is recorded once" "$NFILES" \
    "$(q 'SELECT count(*) FROM schema_migrations' "$RACE_URL")"

# A failing migration leaves nothing behind and names its line.
mkdir "$T/sql_bad"
cp "$SQL"/*.sql "$T/sql_bad/"
printf 'CREATE TABLE bad_one (a int);\n\nSELEC 1;\n' >"$T/sql_bad/900_bad.sql"
ESURAT_DATABASE_URL=$RACE_URL run "$ESURAT" migrate --dir "$T/sql_bad"
expect_rc 1 "a failing migration fails"
expect_grep "the failure names file and line" '900_bad.sql:3: syntax error' "$ERR"
expect_eq "a failing migration is rolled back" "f|0" \
    "$(q "SELECT to_regclass('bad_one') IS NOT NULL, (SELECT count(*) FROM schema_migrations WHERE name = '900_bad.sql')" "$RACE_URL")"
printf 'CREATE TABLE bad_two (a int);\nCOMMIT;\n' >"$T/sql_bad/900_bad.sql"
ESURAT_DATABASE_URL=$RACE_URL run "$ESURAT" migrate --dir "$T/sql_bad"
expect_rc 1 "a migration may not end its transaction"
expect_grep "transaction control is reported" 'ended the transaction' "$ERR"
ESURAT_DATABASE_URL=$RACE_URL run "$ESURAT" audit verify
expect_rc 0 "the audit chain of the raced database is intact"

# ---------------------------------------------------------------------------
echo "# seed-demo"

run "$ESURAT" seed-demo --dir "$SQL"
expect_rc 1 "seed-demo needs ESURAT_DEMO_PASSWORD"
expect_grep "the missing password is named" 'ESURAT_DEMO_PASSWORD is not set' "$ERR"
expect_eq "nothing is seeded without a password" "0" "$(q 'SELECT count(*) FROM users')"

ESURAT_DEMO_PASSWORD=$DEMO_PASSWORD run "$ESURAT" seed-demo --dir "$SQL"
expect_rc 0 "seed-demo succeeds"
expect_eq "seed-demo creates 7 users" "7" "$(q 'SELECT count(*) FROM users WHERE active')"
expect_eq "the demo users have their roles" \
    "admin:admin arsiparis:archivist arsiparis:records asisten1:official kabag.hukum:official sekda:official umum:front_desk walikota:official" \
    "$(q "SELECT string_agg(u.username || ':' || r.role, ' ' ORDER BY u.username, r.role) FROM users u JOIN user_roles r ON r.user_id = u.id")"
expect_eq "the demo users hold their positions" \
    "asisten1=Asisten Pemerintahan/AsPem;kabag.hukum=Kepala Bagian Hukum/Hukum;sekda=Sekretaris Daerah/Setda;umum=Kepala Bagian Umum/Umum;walikota=Walikota Pekanbaru/Pemko" \
    "$(q "SELECT string_agg(u.username || '=' || p.title || '/' || un.code, ';' ORDER BY u.username) FROM position_holders ph JOIN users u ON u.id = ph.user_id JOIN positions p ON p.id = ph.position_id JOIN units un ON un.id = p.unit_id WHERE ph.kind = 'definitif' AND ph.valid_to IS NULL")"
expect_eq "the demo positions form the hierarchy" \
    "Asisten Pemerintahan<Sekretaris Daerah;Kepala Bagian Hukum<Asisten Pemerintahan;Kepala Bagian Umum<Sekretaris Daerah;Sekretaris Daerah<Walikota Pekanbaru;Walikota Pekanbaru<-" \
    "$(q "SELECT string_agg(p.title || '<' || coalesce(up.title, '-'), ';' ORDER BY p.title) FROM positions p LEFT JOIN positions up ON up.id = p.parent_id")"
expect_eq "Walikota and Sekda are the entry points" "Sekretaris Daerah;Walikota Pekanbaru" \
    "$(q "SELECT string_agg(title, ';' ORDER BY title) FROM positions WHERE is_entry_point")"
expect_eq "the demo units nest" "AsPem<Setda;Hukum<AsPem;Pemko<-;Setda<Pemko;Umum<Setda" \
    "$(q "SELECT string_agg(u.code || '<' || coalesce(up.code, '-'), ';' ORDER BY u.code) FROM units u LEFT JOIN units up ON up.id = u.parent_id")"
expect_eq "the demo passwords are argon2id hashes" "7" \
    "$(q "SELECT count(*) FROM users WHERE password_hash LIKE '\$argon2id\$%'")"
expect_eq "the demo officials have NIPs of 18 digits" "5" \
    "$(q "SELECT count(*) FROM users WHERE nip ~ '^[0-9]{18}\$'")"

snapshot() {
    q "SELECT (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM units) || '/' || (SELECT count(*) FROM positions) || '/' || (SELECT count(*) FROM position_holders) || '/' || (SELECT count(*) FROM audit_log)"
}
before=$(snapshot)
ESURAT_DEMO_PASSWORD=$DEMO_PASSWORD run "$ESURAT" seed-demo --dir "$SQL"
expect_rc 0 "a second seed-demo succeeds"
expect_grep "a second seed-demo says the demo is seeded" 'already seeded' "$OUT"
expect_eq "a second seed-demo changes nothing" "$before" "$(snapshot)"
psql -X -q -v ON_ERROR_STOP=1 -d "$ESURAT_DATABASE_URL" -1 -f "$SQL/demo/organisation.sql"
expect_eq "demo/organisation.sql is idempotent" "$before" "$(snapshot)"

# ---------------------------------------------------------------------------
echo "# user"

KABAG_HUKUM=$(q "SELECT id FROM positions WHERE title = 'Kepala Bagian Hukum'")
run "$ESURAT" user add siti --name "Siti Aminah" --nip "19850101 201001 2 003" --role official \
    --position "$KABAG_HUKUM" <<<"rahasia-siti"
expect_rc 1 "a second definitive holder is refused"
expect_grep "the refusal names the holder" 'already has a definitive holder, "kabag.hukum"' "$ERR"
run "$ESURAT" user add siti --name "Siti Aminah" --nip "19850101 201001 2 003" --role official \
    --role official --position "$KABAG_HUKUM" --acting plt --until 2099-12-31 <<<"rahasia-siti"
expect_rc 0 "user add creates an acting official"
expect_grep "user add reports the new user" 'created user "siti"' "$OUT"
expect_eq "the new user is stored with a clean NIP" "Siti Aminah|198501012010012003|true" \
    "$(q "SELECT name || '|' || nip || '|' || active FROM users WHERE username = 'siti'")"
expect_eq "the new user has the role once" "official" \
    "$(q "SELECT string_agg(role, ',') FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.username = 'siti'")"
expect_eq "the new user holds the position as Plt until the day given" \
    "$KABAG_HUKUM|plt|2099-12-31" \
    "$(q "SELECT position_id || '|' || kind || '|' || valid_to FROM position_holders ph JOIN users u ON u.id = ph.user_id WHERE u.username = 'siti'")"
run "$ESURAT" user add siti --name "Siti Lain" <<<"rahasia-siti"
expect_rc 1 "a duplicate user name is refused"
expect_grep "the duplicate is named" 'user "siti" already exists' "$ERR"
run "$ESURAT" user add budi --name "Budi" <<<"pendek"
expect_rc 1 "a password under 8 characters is refused"
expect_grep "the short password is reported" 'password too short' "$ERR"
run "$ESURAT" user add budi --name "Budi" </dev/null
expect_rc 1 "an empty standard input is refused"
expect_eq "no user is created by refused commands" "0" \
    "$(q "SELECT count(*) FROM users WHERE username = 'budi'")"
run "$ESURAT" user add budi --name "Budi" --role boss <<<"rahasia-budi"
expect_rc 2 "an unknown role is a usage error"
run "$ESURAT" user add Budi --name "Budi" <<<"rahasia-budi"
expect_rc 2 "an upper-case user name is a usage error"
run "$ESURAT" user add budi --name "Budi" --position "$KABAG_HUKUM" --acting plt <<<"rahasia-budi"
expect_rc 2 "--acting without --until is a usage error"
run "$ESURAT" user add budi --name "Budi" --position 99999 <<<"rahasia-budi"
expect_rc 1 "an unknown position is refused"
run "$ESURAT" user add budi --name "Budi Hartono" --role archivist <<<"rahasia-budi"
expect_rc 0 "user add without a position"

SITI=$(q "SELECT id FROM users WHERE username = 'siti'")
add_session() {
    q "INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at) VALUES (md5(random()::text), $1, 'csrf', now() + interval '1 hour')" >/dev/null
}
add_session "$SITI"
add_session "$SITI"
OLD_HASH=$(q "SELECT password_hash FROM users WHERE id = $SITI")
run "$ESURAT" user passwd siti <<<"sandi-baru-siti"
expect_rc 0 "user passwd succeeds"
expect_grep "user passwd reports the sessions ended" '2 sessions ended' "$OUT"
expect_eq "user passwd changes the hash" "t" \
    "$(q "SELECT password_hash <> '$OLD_HASH' AND password_hash LIKE '\$argon2id\$%' FROM users WHERE id = $SITI")"
expect_eq "user passwd ends the user's sessions" "0" \
    "$(q "SELECT count(*) FROM sessions WHERE user_id = $SITI")"
run "$ESURAT" user passwd nobody <<<"sandi-baru-siti"
expect_rc 1 "user passwd of an unknown user fails"

ADMIN=$(q "SELECT id FROM users WHERE username = 'admin'")
add_session "$SITI"
add_session "$ADMIN"
run "$ESURAT" user deactivate siti
expect_rc 0 "user deactivate succeeds"
expect_eq "user deactivate sets active = false" "f" \
    "$(q "SELECT active FROM users WHERE id = $SITI")"
expect_eq "user deactivate ends the user's sessions only" "0|1" \
    "$(q "SELECT (SELECT count(*) FROM sessions WHERE user_id = $SITI) || '|' || (SELECT count(*) FROM sessions WHERE user_id = $ADMIN)")"
run "$ESURAT" user deactivate nobody
expect_rc 1 "user deactivate of an unknown user fails"

run "$ESURAT" user list
expect_rc 0 "user list succeeds"
expect_eq "user list has a header and one line per user" "$(( $(q 'SELECT count(*) FROM users') + 2 ))" \
    "$(wc -l <<<"$OUT")"
expect_grep "user list shows the header" '^username +name +roles +active$' "$OUT"
expect_grep "user list shows roles and state" '^siti +Siti Aminah +official +no$' "$OUT"
expect_grep "user list joins several roles" '^arsiparis +Budi Santoso, A\.Md\. +archivist,records +yes$' "$OUT"
col_header=$(head -1 <<<"$OUT" | grep -bo 'roles' | head -1 | cut -d: -f1)
col_row=$(grep '^arsiparis' <<<"$OUT" | grep -bo 'archivist' | cut -d: -f1)
expect_eq "user list aligns its columns" "$col_header" "$col_row"

# ---------------------------------------------------------------------------
echo "# classification"

printf '\xEF\xBB\xBFcode,title,retention_active_years,retention_inactive_years,final_disposition\r\n' >"$T/jra.csv"
printf '000.1,"Kerumahtanggaan, Perlengkapan",2,3,Musnah\r\n' >>"$T/jra.csv"
printf '000.1.5,"Rapat Pimpinan, ""Koordinasi""",1,2,musnah\r\n' >>"$T/jra.csv"
printf '\r\n' >>"$T/jra.csv"
printf '800.1.11.1,"Surat Perintah\nDinas",1,1,Dinilai Kembali\r\n' >>"$T/jra.csv"
printf '005,Undangan,,,\r\n' >>"$T/jra.csv"
printf '011,Gedung Kantor,5,5,permanen\r\n' >>"$T/jra.csv"
printf '010,"Urusan Dalam",,,\r\n' >>"$T/jra.csv"
printf '000.1.5.1,Notulen Rapat,1,1,musnah' >>"$T/jra.csv"
run "$ESURAT" classification import "$T/jra.csv"
expect_rc 0 "a good CSV is imported"
expect_grep "the import reports the count" '^imported 7 classifications .*: 7 new' "$OUT"
expect_eq "the imported rows have their parents" \
    "000.1>000;000.1.5>000.1;000.1.5.1>000.1.5;005>000;010>000;011>010;800.1.11.1>800" \
    "$(q "SELECT string_agg(code || '>' || coalesce(parent_code, '-'), ';' ORDER BY code) FROM classifications WHERE code NOT IN ('000','100','200','300','400','500','600','700','800','900')")"
expect_eq "quoted titles keep their commas and quotes" 'Kerumahtanggaan, Perlengkapan|Rapat Pimpinan, "Koordinasi"|Surat Perintah Dinas' \
    "$(q "SELECT string_agg(title, '|' ORDER BY code) FROM classifications WHERE code IN ('000.1', '000.1.5', '800.1.11.1')")"
expect_eq "retention years and final dispositions are stored" \
    "000.1:2:3:musnah;005:::;011:5:5:permanen;800.1.11.1:1:1:dinilai_kembali" \
    "$(q "SELECT string_agg(code || ':' || coalesce(retention_active_years::text, '') || ':' || coalesce(retention_inactive_years::text, '') || ':' || coalesce(final_disposition, ''), ';' ORDER BY code) FROM classifications WHERE code IN ('000.1', '005', '011', '800.1.11.1')")"
run "$ESURAT" classification import "$T/jra.csv"
expect_grep "a second import changes nothing" '7 classifications .*: 0 new, 0 updated, 7 unchanged' "$OUT"

# A new intermediate code takes its children.
printf 'code,title\n800.1,Formasi\n' >"$T/mid.csv"
run "$ESURAT" classification import "$T/mid.csv"
expect_rc 0 "a CSV with only code and title is imported"
expect_eq "an imported intermediate code becomes the parent" "800.1" \
    "$(q "SELECT parent_code FROM classifications WHERE code = '800.1.11.1'")"

# Spreadsheets in an Indonesian locale write semicolons and empty columns.
printf 'code;title;final_disposition;;\n900.1;"Anggaran; Pendapatan";Permanen;;\n' >"$T/semi.csv"
run "$ESURAT" classification import "$T/semi.csv"
expect_rc 0 "a CSV separated by semicolons is imported"
expect_eq "the semicolon CSV's row is stored" "Anggaran; Pendapatan|permanen|900" \
    "$(q "SELECT title || '|' || final_disposition || '|' || parent_code FROM classifications WHERE code = '900.1'")"

COUNT_BEFORE=$(q 'SELECT count(*) FROM classifications')
cat >"$T/bad.csv" <<'EOF'
code,title,retention_active_years,retention_inactive_years,final_disposition
100.1,Otonomi Daerah,2,3,musnah
100.2,"Pemerintahan, Umum",1,1,permanen
100.3,Bad Disposition,1,1,dibakar
100.4,Pemilihan,1,1,musnah
EOF
run "$ESURAT" classification import "$T/bad.csv"
expect_rc 1 "a CSV with a bad row fails"
expect_eq "the bad row is named by file and line, and only it" \
    "$T/bad.csv:4: final_disposition must be musnah, permanen or dinilai_kembali, or empty, not \"dibakar\"" \
    "$(grep -v '^esurat: error' <<<"$ERR")"
expect_grep "the failure says nothing was imported" 'nothing imported' "$ERR"
expect_eq "a CSV with a bad row imports nothing" "$COUNT_BEFORE" \
    "$(q 'SELECT count(*) FROM classifications')"

cat >"$T/worse.csv" <<'EOF'
code,title,retention_active_years,retention_inactive_years,final_disposition
100.1,Ok,1,1,
100.2,Bad Years,-1,1,
abc,Bad Code,,,
100.1,Again,,,
100.5,Too Few
EOF
run "$ESURAT" classification import "$T/worse.csv"
expect_rc 1 "a CSV with several bad rows fails"
expect_eq "each bad row is reported at its line" "3 4 5 6" \
    "$(grep -oE '^[^ ]*worse.csv:[0-9]+:' <<<"$ERR" | sed -E 's/.*:([0-9]+):/\1/' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "a CSV with bad rows imports nothing" "$COUNT_BEFORE" \
    "$(q 'SELECT count(*) FROM classifications')"

run "$ESURAT" classification list --prefix 000.1
expect_rc 0 "classification list succeeds"
expect_eq "classification list --prefix shows the matching codes" "000.1 000.1.5 000.1.5.1" \
    "$(tail -n +3 <<<"$OUT" | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')"

# ---------------------------------------------------------------------------
echo "# audit"

expected_actions=$(
    for _ in "${FILES[@]}"; do echo -n "migration.apply "; done
    for _ in 1 2 3 4 5 6 7; do echo -n "user.add "; done
    echo -n "demo.seed user.add user.add user.passwd user.deactivate "
    echo -n "classification.import classification.import classification.import classification.import"
)
expect_eq "the audit log has one row per change, in order" "$expected_actions" \
    "$(q "SELECT string_agg(action, ' ' ORDER BY id) FROM audit_log")"
expect_eq "every audit row links to the one before it" "0" \
    "$(q "SELECT count(*) FROM (SELECT prev_hash, lag(hash, 1, repeat('0', 64)) OVER (ORDER BY id) AS before FROM audit_log) x WHERE prev_hash <> before")"
expect_eq "the chain head names the last row" "t" \
    "$(q "SELECT h.last_id = max(a.id) AND h.last_hash = (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) FROM audit_head h, audit_log a GROUP BY h.last_id, h.last_hash")"
expect_eq "user rows name the user and the CLI" "siti|cli" \
    "$(q "SELECT detail->>'username' || '|' || (detail->>'via') FROM audit_log WHERE action = 'user.passwd'")"
# The documented row hash, computed here without the C code:
# sha256(prev_hash || netstrings of id, at, user_id, action, object_type,
# object_id, detail), NULL written "~,".
ns() { printf '%d:%s,' "$(printf '%s' "$1" | wc -c)" "$1"; }
field() { q "SELECT $1 FROM audit_log WHERE action = 'user.passwd'"; }
canonical="$(field prev_hash)$(ns "$(field id)")$(ns "$(field "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")")~,$(ns "$(field action)")$(ns "$(field object_type)")$(ns "$(field object_id)")$(ns "$(field 'detail::text')")"
expect_eq "an audit row's hash follows the documented canonical form" "$(field hash)" \
    "$(printf '%s' "$canonical" | sha256sum | cut -d' ' -f1)"
expect_eq "the user id of a CLI row is NULL" "" "$(field 'user_id')"

run "$ESURAT" audit verify
expect_rc 0 "audit verify finds the chain intact"
expect_grep "audit verify counts the rows" "intact: $(q 'SELECT count(*) FROM audit_log') rows" "$OUT"

RC=0
q "UPDATE audit_log SET action = 'user.add' WHERE id = 1" >/dev/null 2>&1 || RC=$?
expect_eq "audit_log refuses updates" "1" "$RC"
RC=0
q "DELETE FROM audit_log" >/dev/null 2>&1 || RC=$?
expect_eq "audit_log refuses deletes" "1" "$RC"

VICTIM=$(q "SELECT id FROM audit_log WHERE action = 'user.deactivate'")
q "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update; UPDATE audit_log SET detail = detail || '{\"was_active\": false}' WHERE id = $VICTIM; ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update" >/dev/null
run "$ESURAT" audit verify
expect_rc 1 "audit verify detects an altered row"
expect_grep "audit verify names the altered row" "broken at row $VICTIM" "$ERR"

# ---------------------------------------------------------------------------
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
