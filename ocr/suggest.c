#include "suggest.h"

#include "utf8.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

/* Copies n bytes of s into a field of size cap, trimmed of spaces and of
 * the punctuation OCR leaves at the ends, keeping only printable ASCII
 * and valid-looking UTF-8 sequences. */
static void copy_field(char *dst, size_t cap, const char *s, size_t n)
{
    while (n > 0 && (is_space((unsigned char)*s) || *s == ':' || *s == '.' || *s == ',' || *s == ';'))
        s++, n--;
    while (n > 0 && (is_space((unsigned char)s[n - 1]) || s[n - 1] == ',' || s[n - 1] == ';' || s[n - 1] == ':'))
        n--;
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            /* Runs of spaces become one. */
            if (!(c == ' ' && j > 0 && dst[j - 1] == ' '))
                dst[j++] = (char)c;
            i++;
            continue;
        }
        if (is_space(c)) {
            if (j > 0 && dst[j - 1] != ' ')
                dst[j++] = ' ';
            i++;
            continue;
        }
        /* A UTF-8 sequence: copied whole when valid and it fits (not
         * a surrogate, nothing above U+10FFFF: PostgreSQL refuses those). */
        size_t len = utf8_sequence(s + i, n - i);
        if (len > 0 && j + len < cap) {
            memcpy(dst + j, s + i, len);
            j += len;
            i += len;
        } else {
            i++;
        }
    }
    while (j > 0 && dst[j - 1] == ' ')
        j--;
    dst[j] = '\0';
}

typedef struct {
    const char *s;
    size_t n;
} line_t;

#define MAX_LINES 200

static int split_lines(const char *text, size_t len, line_t *lines)
{
    int count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len && count < MAX_LINES; i++) {
        if (i == len || text[i] == '\n') {
            lines[count].s = text + start;
            lines[count].n = i - start;
            count++;
            start = i + 1;
        }
    }
    return count;
}

static bool blank(const line_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (!is_space((unsigned char)l->s[i]))
            return false;
    return true;
}

/* When line l starts with one of the labels (any case, then spaces and a
 * colon or a period or spaces), the offset of its value; else 0. */
static size_t label_value(const line_t *l, const char *const *labels)
{
    size_t i = 0;
    while (i < l->n && is_space((unsigned char)l->s[i]))
        i++;
    for (const char *const *lab = labels; *lab; lab++) {
        size_t k = strlen(*lab);
        if (l->n - i < k)
            continue;
        size_t j = 0;
        while (j < k && lower((unsigned char)l->s[i + j]) == (unsigned char)(*lab)[j])
            j++;
        if (j < k)
            continue;
        size_t p = i + k;
        /* The label is a whole word. */
        if (p < l->n && is_alpha((unsigned char)l->s[p]))
            continue;
        /* Short labels ("No", "Hal") need a colon or a period: "Hal ini"
         * starts a sentence. */
        bool sep = false, mark = false;
        while (p < l->n && (is_space((unsigned char)l->s[p]) || l->s[p] == ':' || l->s[p] == '.' ||
                            l->s[p] == ';')) {
            sep = true;
            mark = mark || !is_space((unsigned char)l->s[p]);
            p++;
        }
        if (k <= 3 && !mark)
            continue;
        if (sep && p < l->n)
            return p;
    }
    return 0;
}

/* ------------------------------------------------------------ dates */

static const struct {
    const char *name;
    int month;
} MONTHS[] = {
    {"januari", 1},   {"februari", 2}, {"pebruari", 2}, {"maret", 3},    {"april", 4},     {"mei", 5},
    {"juni", 6},      {"juli", 7},     {"agustus", 8},  {"september", 9}, {"oktober", 10}, {"nopember", 11},
    {"november", 11}, {"desember", 12}, {"jan", 1},      {"feb", 2},      {"peb", 2},      {"mar", 3},
    {"apr", 4},       {"jun", 6},      {"jul", 7},      {"agt", 8},      {"ags", 8},      {"agu", 8},
    {"agust", 8},     {"sep", 9},      {"sept", 9},     {"okt", 10},     {"nov", 11},     {"nop", 11},
    {"des", 12},
};

static int days_in(int month, int year)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return d[month - 1];
}

size_t idate_parse(const char *s, size_t len, char out[11])
{
    size_t i = 0;
    int day = 0, nd = 0;
    while (i < len && is_digit((unsigned char)s[i]) && nd < 3)
        day = day * 10 + (s[i++] - '0'), nd++;
    if (nd < 1 || nd > 2 || (i < len && is_digit((unsigned char)s[i])))
        return 0;
    size_t sp = i;
    while (i < len && is_space((unsigned char)s[i]))
        i++;
    if (i == sp)
        return 0;
    size_t ms = i;
    while (i < len && is_alpha((unsigned char)s[i]) && i - ms < 12)
        i++;
    size_t mlen = i - ms;
    if (i < len && is_alpha((unsigned char)s[i]))
        return 0;
    int month = 0;
    for (size_t m = 0; m < sizeof MONTHS / sizeof MONTHS[0] && !month; m++) {
        if (strlen(MONTHS[m].name) != mlen)
            continue;
        size_t k = 0;
        while (k < mlen && lower((unsigned char)s[ms + k]) == (unsigned char)MONTHS[m].name[k])
            k++;
        if (k == mlen)
            month = MONTHS[m].month;
    }
    if (!month)
        return 0;
    if (i < len && s[i] == '.')
        i++;
    sp = i;
    while (i < len && is_space((unsigned char)s[i]))
        i++;
    if (i == sp)
        return 0;
    int year = 0, ny = 0;
    while (i < len && is_digit((unsigned char)s[i]) && ny < 5)
        year = year * 10 + (s[i++] - '0'), ny++;
    if (ny != 4 || year < 1900 || year > 2199)
        return 0;
    if (day < 1 || day > days_in(month, year))
        return 0;
    const int v[] = {year / 1000, year / 100 % 10, year / 10 % 10, year % 10, -1, month / 10, month % 10, -1,
                     day / 10, day % 10};
    for (int k = 0; k < 10; k++)
        out[k] = v[k] < 0 ? '-' : (char)('0' + v[k]);
    out[10] = '\0';
    return i;
}

/* The first date in line l (a date starts a word); true when found. */
static bool find_date(const line_t *l, char out[11])
{
    for (size_t i = 0; i < l->n; i++) {
        if (!is_digit((unsigned char)l->s[i]) || (i > 0 && (is_digit((unsigned char)l->s[i - 1]) ||
                                                            is_alpha((unsigned char)l->s[i - 1]))))
            continue;
        if (idate_parse(l->s + i, l->n - i, out))
            return true;
    }
    return false;
}

/* ------------------------------------------------------------ fields */

static const char *const NUMBER_LABELS[] = {"nomor", "nomer", "no", NULL};
static const char *const SUBJECT_LABELS[] = {"perihal", "hal", NULL};
static const char *const OTHER_LABELS[] = {"nomor", "nomer", "no", "sifat", "lampiran", "lamp", "perihal", "hal",
                                           "kepada", "yth", "tanggal", "tgl", "di", NULL};

/* true when line l starts with one of OTHER_LABELS as a whole word. */
static bool starts_with_label(const line_t *l)
{
    size_t i = 0;
    while (i < l->n && is_space((unsigned char)l->s[i]))
        i++;
    size_t e = i;
    while (e < l->n && is_alpha((unsigned char)l->s[e]))
        e++;
    for (const char *const *lab = OTHER_LABELS; *lab && e > i; lab++) {
        size_t k = strlen(*lab);
        if (k != e - i)
            continue;
        size_t j = 0;
        while (j < k && lower((unsigned char)l->s[i + j]) == (unsigned char)(*lab)[j])
            j++;
        if (j == k)
            return true;
    }
    return false;
}

/* The letter number: the value's first token, with tokens joined when OCR
 * split the number at a slash ("005/ 123 /Disdik"). */
static void take_number(const line_t *l, size_t at, char *dst)
{
    const char *s = l->s + at;
    size_t n = l->n - at, end = 0;
    while (end < n) {
        while (end < n && !is_space((unsigned char)s[end]))
            end++;
        size_t next = end;
        while (next < n && is_space((unsigned char)s[next]))
            next++;
        if (next < n && (s[end - 1] == '/' || s[next] == '/' || s[end - 1] == '-' || s[next] == '-'))
            end = next;
        else
            break;
    }
    char buf[SUGGEST_FIELD_MAX];
    copy_field(buf, sizeof buf, s, end);
    /* Spaces OCR put inside the number go. */
    size_t j = 0;
    for (size_t i = 0; buf[i]; i++)
        if (buf[i] != ' ')
            buf[j++] = buf[i];
    buf[j] = '\0';
    bool digit = false;
    for (size_t i = 0; buf[i]; i++)
        digit = digit || is_digit((unsigned char)buf[i]);
    if (digit)
        memcpy(dst, buf, j + 1);
}

/* A letterhead line: mostly capital letters, not an address or a date. */
static bool letterhead_line(const line_t *l)
{
    int upper = 0, letters = 0, digits = 0;
    for (size_t i = 0; i < l->n; i++) {
        unsigned char c = (unsigned char)l->s[i];
        if (is_alpha(c)) {
            letters++;
            upper += is_upper(c);
        } else if (is_digit(c)) {
            digits++;
        }
    }
    return letters >= 4 && upper * 10 >= letters * 8 && digits * 4 < letters;
}

static bool acronym(const char *w, size_t n)
{
    static const char *const KEEP[] = {"RI", "DPRD", "KPU", "BPBD", "RSUD", "UPT", "UPTD", "SD", "SMP", "SMA", "SMK",
                                       "BKD", "BPKAD", "PDAM", "DPU", "PU", "PMI", "II", "III", "IV", "VI", "VII",
                                       "VIII", "IX", "XI", "XII", "TK", "PKK", "BUMD", "OPD", "SKPD", NULL};
    for (const char *const *k = KEEP; *k; k++)
        if (strlen(*k) == n && memcmp(*k, w, n) == 0)
            return true;
    return false;
}

/* "DINAS PENDIDIKAN" → "Dinas Pendidikan"; acronyms stay. In place. */
static void title_case(char *s)
{
    size_t i = 0;
    while (s[i]) {
        while (s[i] && !is_alpha((unsigned char)s[i]))
            i++;
        size_t start = i;
        while (s[i] && (is_alpha((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80))
            i++;
        if (i == start || acronym(s + start, i - start))
            continue;
        bool all_upper = true;
        for (size_t k = start; k < i; k++)
            all_upper = all_upper && !(s[k] >= 'a' && s[k] <= 'z');
        if (!all_upper)
            continue;
        for (size_t k = start + 1; k < i; k++)
            s[k] = (char)lower((unsigned char)s[k]);
    }
}

void suggest_extract(const char *text, size_t len, suggest_t *out)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return;
    static _Thread_local line_t lines[MAX_LINES];
    int n = split_lines(text, len, lines);

    /* Sender: the letterhead, the capitalised lines at the top before the
     * first line that is not one; the last of them names the unit. */
    int seen = 0, head_last = -1;
    for (int i = 0; i < n && seen < 8; i++) {
        if (blank(&lines[i]))
            continue;
        seen++;
        if (letterhead_line(&lines[i]))
            head_last = i;
        else if (head_last >= 0 || seen > 2)
            break;
    }
    if (head_last >= 0) {
        copy_field(out->sender, sizeof out->sender, lines[head_last].s, lines[head_last].n);
        title_case(out->sender);
    }

    char place_date[11] = "", any_date[11] = "";
    for (int i = 0; i < n; i++) {
        const line_t *l = &lines[i];
        size_t at;
        if (!out->letter_number[0] && (at = label_value(l, NUMBER_LABELS)) > 0)
            take_number(l, at, out->letter_number);
        if (!out->subject[0] && (at = label_value(l, SUBJECT_LABELS)) > 0) {
            char buf[SUGGEST_FIELD_MAX];
            copy_field(buf, sizeof buf, l->s + at, l->n - at);
            /* A subject that wraps goes on below, aligned after the colon,
             * until a blank line or the next label. */
            for (int k = i + 1; k < n && k <= i + 2; k++) {
                char tmp[11];
                if (blank(&lines[k]) || starts_with_label(&lines[k]) || find_date(&lines[k], tmp))
                    break;
                char more[SUGGEST_FIELD_MAX];
                copy_field(more, sizeof more, lines[k].s, lines[k].n);
                size_t bl = strlen(buf), ml = strlen(more);
                if (bl + 1 + ml < sizeof buf) {
                    buf[bl] = ' ';
                    memcpy(buf + bl + 1, more, ml + 1);
                }
            }
            memcpy(out->subject, buf, sizeof buf);
        }
        char d[11];
        if (find_date(l, d)) {
            /* "Pekanbaru, 27 Januari 2015": a place and a comma first. */
            bool comma = memchr(l->s, ',', l->n) != NULL;
            if (comma && !place_date[0])
                memcpy(place_date, d, sizeof d);
            if (!any_date[0])
                memcpy(any_date, d, sizeof d);
        }
    }
    memcpy(out->letter_date, place_date[0] ? place_date : any_date, sizeof out->letter_date);
}
