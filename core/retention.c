#include "retention.h"

#include <string.h>

const char *const RETENTION_ACTIONS[] = {"inaktif", "musnah",    "permanen", "dinilai_kembali",
                                         "aktif",   "tanpa_jra", NULL};
const char *const RETENTION_DUE_ACTIONS[] = {"inaktif", "musnah", "permanen", "dinilai_kembali", NULL};

static const struct {
    const char *code, *label;
} LABELS[] = {
    {"inaktif", "Pindah ke arsip inaktif"},
    {"musnah", "Usul musnah"},
    {"permanen", "Serahkan ke lembaga kearsipan (permanen)"},
    {"dinilai_kembali", "Dinilai kembali"},
    {"aktif", "Masih aktif"},
    {"tanpa_jra", "Tanpa jadwal retensi"},
};

const char *retention_action_label(const char *action)
{
    for (size_t i = 0; i < sizeof LABELS / sizeof LABELS[0]; i++)
        if (action && strcmp(action, LABELS[i].code) == 0)
            return LABELS[i].label;
    return action ? action : "";
}

const char RETENTION_COUNTS_SQL[] =
    "SELECT r.action,"
    "  count(*) FILTER (WHERE $2::bigint IS NULL OR letter_visible(l.id, l.security, l.unit_id, $2::bigint))"
    "    AS visible,"
    "  count(*) FILTER (WHERE $2::bigint IS NOT NULL"
    "                     AND NOT letter_visible(l.id, l.security, l.unit_id, $2::bigint)) AS withheld "
    "FROM letter_retention($1::date) r JOIN letters l ON l.id = r.letter_id "
    "GROUP BY r.action";

const char RETENTION_PAGE_SQL[] =
    "SELECT l.id, l.agenda_year, l.agenda_number, u.code AS unit_code, l.direction, l.letter_number,"
    "  l.letter_date, l.sender, l.subject, l.classification, l.security, l.created_at::date AS registered_on,"
    "  r.rule_code, r.active_years, r.inactive_years, r.final_disposition, r.active_until, r.inactive_until,"
    "  r.action, r.due_on "
    "FROM letter_retention($1::date) r JOIN letters l ON l.id = r.letter_id JOIN units u ON u.id = l.unit_id "
    "WHERE r.action = ANY ($3::text[])"
    "  AND ($2::bigint IS NULL OR letter_visible(l.id, l.security, l.unit_id, $2::bigint))"
    "  AND ($5::bigint IS NULL OR (coalesce(r.due_on, '-infinity'::date), l.id) >"
    "                             (coalesce($4::date, '-infinity'::date), $5::bigint)) "
    "ORDER BY coalesce(r.due_on, '-infinity'::date), l.id LIMIT $6::int";

bool retention_actions_param(const char *list, textbuf_t *out, const char **bad)
{
    *bad = NULL;
    tb_reset(out);
    tb_puts(out, "{");
    if (!list || !*list) {
        for (size_t i = 0; RETENTION_DUE_ACTIONS[i]; i++)
            tb_printf(out, "%s%s", i ? "," : "", RETENTION_DUE_ACTIONS[i]);
        tb_puts(out, "}");
        return true;
    }
    const char *p = list;
    bool first = true;
    while (*p) {
        size_t n = strcspn(p, ",");
        bool known = false;
        for (size_t i = 0; RETENTION_ACTIONS[i] && !known; i++)
            known = strlen(RETENTION_ACTIONS[i]) == n && strncmp(RETENTION_ACTIONS[i], p, n) == 0;
        if (!known) {
            *bad = p;
            return false;
        }
        tb_printf(out, "%s%.*s", first ? "" : ",", (int)n, p);
        first = false;
        p += n;
        if (*p == ',')
            p++;
    }
    tb_puts(out, "}");
    return !first;
}

static const char *const COLUMNS[] = {
    "letter_id",    "agenda_year",    "agenda_number",  "unit",
    "direction",    "letter_number",  "letter_date",    "sender",
    "subject",      "classification", "security",       "registered_on",
    "rule_code",    "active_years",   "inactive_years", "final_disposition",
    "active_until", "inactive_until", "action",         "action_label",
    "due_on",
};
#define NCOLUMNS (sizeof COLUMNS / sizeof COLUMNS[0])

void retention_csv_header(textbuf_t *b)
{
    for (size_t c = 0; c < NCOLUMNS; c++)
        csv_field(b, COLUMNS[c], c + 1 == NCOLUMNS);
}

void retention_csv_row(textbuf_t *b, const PGresult *res, int row)
{
    for (size_t c = 0; c < NCOLUMNS; c++) {
        const char *v;
        if (strcmp(COLUMNS[c], "letter_id") == 0)
            v = db_get(res, row, "id");
        else if (strcmp(COLUMNS[c], "unit") == 0)
            v = db_get(res, row, "unit_code");
        else if (strcmp(COLUMNS[c], "action_label") == 0)
            v = retention_action_label(db_get(res, row, "action"));
        else
            v = db_get(res, row, COLUMNS[c]);
        csv_field(b, v, c + 1 == NCOLUMNS);
    }
}
