// The Xapian side of search.h: the project's one C++ file. Every extern "C"
// function catches every exception (Xapian's, std::bad_alloc, anything
// else) and turns it into a search_status_t and a message; no exception
// crosses into C.
#include "search.h"

#include <xapian.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include <unistd.h>

namespace
{

const Xapian::valueno SLOT_DATE = 0;  // YYYYMMDDHHMMSS
const Xapian::valueno SLOT_YEAR = 1;  // YYYY
const Xapian::valueno SLOT_CLASS = 2; // classification code

// Wildcards expand to at most this many terms (the most frequent).
const Xapian::termcount WILDCARD_MAX = 100;
// Matches examined per facet value: below this many a count is exact,
// above it is Xapian's estimate from what it examined.
const Xapian::doccount FACET_CHECK = 100;
// Facet values reported, most frequent first.
const size_t FACET_MAX = 20;
// Bytes of text a snippet aims at.
const size_t SNIPPET_BYTES = 240;
// Text kept per letter for snippets.
const size_t DATA_MAX = 200000;
// Xapian refuses terms longer than 245 bytes.
const size_t TERM_MAX = 240;
// Parts of a letter number that make terms (runs of them: n(n+1)/2).
const size_t NUMBER_PARTS_MAX = 12;

const char REC = '\x1e';  // between pages in the document data
const char UNIT = '\x1f'; // between the fields of a page

// One stemmer per thread: a Snowball stemmer keeps state while it works
// (shared between the threads of a parallel rebuild it threw "stemming
// exception!"). Xapian::Stem is a handle: every copy (a TermGenerator's,
// a QueryParser's) shares the implementation of the thread that made it.
const Xapian::Stem &stemmer()
{
    static thread_local const Xapian::Stem stem("indonesian");
    return stem;
}

// The stemmer of snippets, which remembers what it stemmed: a snippet
// stems every word of its window (MSet::snippet), about a microsecond a
// word, and the same words (`yang`, `dengan`, `surat`) come back in every
// letter and every query of a search process. Bounded: forgotten at
// CACHE_MAX words.
class CachedStem : public Xapian::StemImplementation
{
    static const size_t CACHE_MAX = 100000;
    Xapian::Stem inner_{"indonesian"};
    std::unordered_map<std::string, std::string> cache_;

  public:
    std::string operator()(const std::string &word) override
    {
        auto it = cache_.find(word);
        if (it != cache_.end())
            return it->second;
        if (cache_.size() >= CACHE_MAX)
            cache_.clear();
        return cache_.emplace(word, inner_(word)).first->second;
    }
    std::string get_description() const override { return inner_.get_description(); }
};

const Xapian::Stem &snippet_stemmer()
{
    static thread_local const Xapian::Stem stem(new CachedStem);
    return stem;
}

void set_error(search_error_t *err, search_status_t status, const std::string &msg)
{
    if (!err)
        return;
    err->status = status;
    snprintf(err->message, sizeof err->message, "%s", msg.c_str());
}

void clear_error(search_error_t *err)
{
    if (err) {
        err->status = SEARCH_OK;
        err->message[0] = '\0';
    }
}

// The status and message of the exception being handled. Called only
// from inside a catch block.
search_status_t from_exception(search_error_t *err)
{
    try {
        throw;
    } catch (const Xapian::DatabaseNotFoundError &e) {
        set_error(err, SEARCH_MISSING, e.get_type() + std::string(": ") + e.get_msg());
    } catch (const Xapian::DatabaseLockError &e) {
        set_error(err, SEARCH_LOCKED, e.get_type() + std::string(": ") + e.get_msg());
    } catch (const Xapian::DatabaseCorruptError &e) {
        set_error(err, SEARCH_CORRUPT, e.get_type() + std::string(": ") + e.get_msg());
    } catch (const Xapian::DatabaseOpeningError &e) {
        // Version errors, and files that are there but not a database.
        set_error(err, SEARCH_CORRUPT, e.get_type() + std::string(": ") + e.get_msg());
    } catch (const Xapian::DatabaseError &e) {
        set_error(err, SEARCH_IO, e.get_type() + std::string(": ") + e.get_msg());
    } catch (const Xapian::InvalidArgumentError &e) {
        set_error(err, SEARCH_INVALID, e.get_type() + std::string(": ") + e.get_msg());
    } catch (const Xapian::Error &e) {
        set_error(err, SEARCH_FAILED, e.get_type() + std::string(": ") + e.get_msg());
    } catch (const std::bad_alloc &) {
        set_error(err, SEARCH_NOMEM, "out of memory");
    } catch (const std::exception &e) {
        set_error(err, SEARCH_FAILED, std::string("exception: ") + e.what());
    } catch (...) {
        set_error(err, SEARCH_FAILED, "unknown exception");
    }
    return err ? err->status : SEARCH_FAILED;
}

std::string str(const char *s)
{
    return s ? std::string(s) : std::string();
}

char *dup_string(const std::string &s)
{
    char *p = static_cast<char *>(malloc(s.size() + 1));
    if (!p)
        throw std::bad_alloc();
    memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

// Control characters (the record separators of the document data among
// them) become spaces; tabs and newlines stay.
std::string clean_text(const char *s, size_t max)
{
    std::string out;
    if (!s)
        return out;
    size_t n = strnlen(s, max);
    // Do not cut a UTF-8 sequence in half.
    while (n > 0 && n < strlen(s) && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
        n--;
    out.assign(s, n);
    for (char &c : out) {
        unsigned char u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f)
            c = ' ';
    }
    return out;
}

// A letter number in its canonical form for N terms: lower case, no
// white space, no empty parts ("005 / 123//Disdik" -> 005/123/disdik).
std::vector<std::string> number_parts(const std::string &number)
{
    std::string lower = Xapian::Unicode::tolower(number);
    std::vector<std::string> parts;
    std::string cur;
    for (char c : lower) {
        if (c == '/') {
            if (!cur.empty())
                parts.push_back(cur);
            cur.clear();
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            cur += c;
        }
    }
    if (!cur.empty())
        parts.push_back(cur);
    return parts;
}

std::string join_parts(const std::vector<std::string> &parts, size_t from, size_t to)
{
    std::string s;
    for (size_t i = from; i < to; i++) {
        if (i > from)
            s += '/';
        s += parts[i];
    }
    return s;
}

void add_boolean(Xapian::Document &doc, const std::string &term)
{
    if (term.size() <= TERM_MAX)
        doc.add_boolean_term(term);
}

std::vector<std::string> split_spaces(const char *s)
{
    std::vector<std::string> out;
    std::string cur;
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n') {
            if (!cur.empty())
                out.push_back(cur);
            cur.clear();
        } else {
            cur += *p;
        }
    }
    if (!cur.empty())
        out.push_back(cur);
    return out;
}

bool all_digits(const std::string &s, size_t from, size_t n)
{
    if (s.size() < from + n)
        return false;
    for (size_t i = from; i < from + n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

// ------------------------------------------------------------ dates

struct ymd {
    int y, m, d;
};

bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

// "YYYY-MM-DD" that exists.
bool parse_day(const char *s, ymd &out)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    std::string t(s);
    if (!all_digits(t, 0, 4) || !all_digits(t, 5, 2) || !all_digits(t, 8, 2))
        return false;
    out.y = atoi(t.substr(0, 4).c_str());
    out.m = atoi(t.substr(5, 2).c_str());
    out.d = atoi(t.substr(8, 2).c_str());
    return out.m >= 1 && out.m <= 12 && out.d >= 1 && out.d <= days_in(out.y, out.m);
}

int cmp_day(const ymd &a, const ymd &b)
{
    if (a.y != b.y)
        return a.y < b.y ? -1 : 1;
    if (a.m != b.m)
        return a.m < b.m ? -1 : 1;
    return a.d == b.d ? 0 : (a.d < b.d ? -1 : 1);
}

std::string fmt(const char *f, int a, int b = 0, int c = 0)
{
    char buf[32];
    snprintf(buf, sizeof buf, f, a, b, c);
    return buf;
}

// A day range as year, month and day terms (boolean terms filter faster
// than a value range: DESIGN.md). At most about 85 terms plus one a year.
Xapian::Query date_range(const char *from_s, const char *to_s)
{
    ymd from = {1900, 1, 1}, to = {2999, 12, 31};
    if (from_s && *from_s && !parse_day(from_s, from))
        return Xapian::Query::MatchNothing;
    if (to_s && *to_s && !parse_day(to_s, to))
        return Xapian::Query::MatchNothing;
    const ymd lo = {1900, 1, 1}, hi = {2999, 12, 31};
    if (cmp_day(from, lo) < 0)
        from = lo;
    if (cmp_day(to, hi) > 0)
        to = hi;
    if (cmp_day(from, to) > 0)
        return Xapian::Query::MatchNothing;
    std::vector<std::string> terms;
    ymd cur = from;
    while (cmp_day(cur, to) <= 0) {
        ymd year_end = {cur.y, 12, 31};
        ymd month_end = {cur.y, cur.m, days_in(cur.y, cur.m)};
        if (cur.m == 1 && cur.d == 1 && cmp_day(year_end, to) <= 0) {
            terms.push_back(fmt("Y%04d", cur.y));
            cur = {cur.y + 1, 1, 1};
        } else if (cur.d == 1 && cmp_day(month_end, to) <= 0) {
            terms.push_back(fmt("M%04d%02d", cur.y, cur.m));
            cur = cur.m == 12 ? ymd{cur.y + 1, 1, 1} : ymd{cur.y, cur.m + 1, 1};
        } else {
            terms.push_back(fmt("D%04d%02d%02d", cur.y, cur.m, cur.d));
            if (cur.d < days_in(cur.y, cur.m))
                cur.d++;
            else
                cur = cur.m == 12 ? ymd{cur.y + 1, 1, 1} : ymd{cur.y, cur.m + 1, 1};
        }
    }
    return Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end());
}

// ------------------------------------------------------------ ranking

// BM25 (k1 1, b 0.5, as Xapian's BM25Weight by default) with the classic
// inverse document frequency of Robertson and Sparck Jones,
// log((N - n + 0.5) / (n + 0.5)), floored at zero: a word in half of the
// letters or more (`yang`, `surat`, `kepala`, `dengan`) weighs nothing.
// It still has to match; it just does not rank. (Xapian's BM25Weight lifts
// such an idf to a tiny positive weight, and then ranking `yang` alone
// means weighing every one of its postings: linear in the archive.) A
// query whose words all weigh nothing ranks every match equal; those are
// listed newest first (run_once, by_date_walk), as docs/api.md says.
class ArchiveWeight : public Xapian::Weight
{
    static constexpr double K1 = 1.0, B = 0.5, MIN_NORMLEN = 0.5;
    double termweight_ = 0; // idf * factor * (k1 + 1), 0: the word does not rank
    double inv_avg_ = 0;

    double part(double wdf, double doclen) const
    {
        double normlen = std::max(doclen * inv_avg_, MIN_NORMLEN);
        return termweight_ * wdf / (K1 * ((1 - B) + B * normlen) + wdf);
    }

  public:
    ArchiveWeight()
    {
        need_stat(COLLECTION_SIZE);
        need_stat(AVERAGE_LENGTH);
        need_stat(TERMFREQ);
        need_stat(WDF);
        need_stat(WDF_MAX);
        need_stat(DOC_LENGTH);
        need_stat(DOC_LENGTH_MIN);
    }
    std::string name() const override { return "esurat::ArchiveWeight"; }
    Xapian::Weight *clone() const override { return new ArchiveWeight; }
    void init(double factor) override
    {
        double n = get_termfreq(), all = get_collection_size();
        double idf = n > 0 && all > 0 ? std::log((all - n + 0.5) / (n + 0.5)) : 0;
        termweight_ = factor > 0 && idf > 0 ? idf * factor * (K1 + 1) : 0;
        double avg = get_average_length();
        inv_avg_ = avg > 0 ? 1 / avg : 0;
    }
    double get_sumpart(Xapian::termcount wdf, Xapian::termcount doclen, Xapian::termcount) const override
    {
        return termweight_ > 0 && wdf > 0 ? part(wdf, doclen) : 0;
    }
    double get_maxpart() const override
    {
        return termweight_ > 0 ? part(get_wdf_upper_bound(), get_doclength_lower_bound()) : 0;
    }
    double get_sumextra(Xapian::termcount, Xapian::termcount) const override { return 0; }
    double get_maxextra() const override { return 0; }
};

// ------------------------------------------------------------ documents

// The texts snippets come from: "L<unit><id>", then per page
// "<scan><unit><page><unit><text>", records separated by REC.
std::string document_data(const search_letter_t *l)
{
    std::string data = "L" + std::string(1, UNIT) + std::to_string(l->id);
    size_t budget = DATA_MAX;
    for (size_t i = 0; i < l->npages && budget > 0; i++) {
        std::string text = clean_text(l->pages[i].text, budget);
        budget -= std::min(budget, text.size());
        data += REC;
        data += std::to_string(l->pages[i].scan_id) + UNIT + std::to_string(l->pages[i].page) + UNIT + text;
    }
    if (l->summary && *l->summary) {
        data += REC;
        data += "0" + std::string(1, UNIT) + "0" + UNIT + clean_text(l->summary, 20000);
    }
    return data;
}

struct page_text {
    long long scan_id;
    int page;
    std::string text;
};

std::vector<page_text> parse_data(const std::string &data)
{
    std::vector<page_text> pages;
    size_t pos = data.find(REC);
    while (pos != std::string::npos) {
        size_t start = pos + 1;
        size_t end = data.find(REC, start);
        std::string rec = data.substr(start, end == std::string::npos ? std::string::npos : end - start);
        size_t a = rec.find(UNIT);
        size_t b = a == std::string::npos ? a : rec.find(UNIT, a + 1);
        if (b != std::string::npos)
            pages.push_back(
                {atoll(rec.substr(0, a).c_str()), atoi(rec.substr(a + 1, b - a - 1).c_str()), rec.substr(b + 1)});
        pos = end;
    }
    return pages;
}

// spelling: feed the spelling data of tg's database (the writer's); the
// document is the same either way.
Xapian::Document make_document(Xapian::TermGenerator &tg, const search_letter_t *l, bool spelling = true)
{
    Xapian::Document doc;
    tg.set_document(doc);
    // Fields apart, so that a phrase never spans two of them.
    const Xapian::termpos gap = 100;
    // Spelling data from the registry's own fields only: suggestions lean
    // on words typed by people, not on the OCR's misreadings (and the
    // spelling table costs more to build than everything else).
    tg.set_flags(spelling ? Xapian::TermGenerator::FLAG_SPELLING : Xapian::TermGenerator::flags(0));
    std::string number = clean_text(l->letter_number, 1000);
    tg.index_text(number, SEARCH_WDF_HIGH);
    tg.increase_termpos(gap);
    tg.index_text(clean_text(l->subject, 5000), SEARCH_WDF_HIGH);
    tg.increase_termpos(gap);
    std::string sender = clean_text(l->sender, 1000);
    tg.index_text(sender, SEARCH_WDF_HIGH);
    tg.index_text_without_positions(sender, 1, "XS");
    tg.increase_termpos(gap);
    tg.index_text(clean_text(l->recipient, 1000), SEARCH_WDF_MID);
    tg.increase_termpos(gap);
    tg.index_text(clean_text(l->summary, 20000));
    tg.increase_termpos(gap);
    tg.index_text(clean_text(l->notes, 50000));
    tg.set_flags(Xapian::TermGenerator::flags(0));
    size_t budget = DATA_MAX;
    for (size_t i = 0; i < l->npages && budget > 0; i++) {
        tg.increase_termpos(gap);
        std::string text = clean_text(l->pages[i].text, budget);
        budget -= std::min(budget, text.size());
        tg.index_text(text);
    }

    std::vector<std::string> parts = number_parts(number);
    if (parts.size() > NUMBER_PARTS_MAX)
        parts.resize(NUMBER_PARTS_MAX);
    for (size_t i = 0; i < parts.size(); i++)
        for (size_t j = i + 1; j <= parts.size(); j++)
            add_boolean(doc, "N" + join_parts(parts, i, j));

    add_boolean(doc, "XD" + str(l->direction));
    std::string code = str(l->classification);
    for (size_t n = 1; n <= code.size() && n <= TERM_MAX; n++)
        if (code[n - 1] != '.')
            add_boolean(doc, "XC" + code.substr(0, n));
    std::string reg = str(l->registered);
    if (reg.size() >= 8 && all_digits(reg, 0, 8)) {
        add_boolean(doc, "Y" + reg.substr(0, 4));
        add_boolean(doc, "M" + reg.substr(0, 6));
        add_boolean(doc, "D" + reg.substr(0, 8));
        doc.add_value(SLOT_DATE, reg);
        doc.add_value(SLOT_YEAR, reg.substr(0, 4));
    }
    if (!code.empty())
        doc.add_value(SLOT_CLASS, code);
    for (const std::string &g : split_spaces(l->groups))
        add_boolean(doc, "G" + g);
    doc.set_data(document_data(l));
    return doc;
}

// ------------------------------------------------------------ queries

// Words of text, lower case, split where Xapian splits them.
std::vector<std::string> plain_words(const std::string &text)
{
    std::vector<std::string> words;
    std::string cur;
    for (Xapian::Utf8Iterator it(text); it != Xapian::Utf8Iterator(); ++it) {
        unsigned ch = *it;
        if (Xapian::Unicode::is_wordchar(ch)) {
            Xapian::Unicode::append_utf8(cur, Xapian::Unicode::tolower(ch));
        } else if (!cur.empty()) {
            words.push_back(cur);
            cur.clear();
        }
        if (words.size() >= 64)
            break;
    }
    if (!cur.empty() && words.size() < 64)
        words.push_back(cur);
    return words;
}

bool has_word_char(const std::string &text)
{
    for (Xapian::Utf8Iterator it(text); it != Xapian::Utf8Iterator(); ++it)
        if (Xapian::Unicode::is_wordchar(*it))
            return true;
    return false;
}

// At most max bytes of s, cut at a character boundary.
std::string cut_utf8(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n <= max)
        return std::string(s, n);
    n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
        n--;
    return std::string(s, n);
}

struct text_query {
    Xapian::Query query;
    bool empty = true;
    bool plain = false;
    std::string suggestion;
};

text_query parse_text(const search_query_t *q, const Xapian::Database *db)
{
    text_query out;
    std::string text = q->q ? cut_utf8(q->q, SEARCH_MAX_QUERY_BYTES) : std::string();
    if (!has_word_char(text))
        return out;
    Xapian::QueryParser qp;
    qp.set_stemmer(stemmer());
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_default_op(Xapian::Query::OP_AND);
    qp.set_max_expansion(WILDCARD_MAX, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT,
                         Xapian::QueryParser::FLAG_WILDCARD | Xapian::QueryParser::FLAG_PARTIAL);
    unsigned flags = Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_BOOLEAN |
                     Xapian::QueryParser::FLAG_LOVEHATE | Xapian::QueryParser::FLAG_WILDCARD |
                     Xapian::QueryParser::FLAG_PURE_NOT;
    if (db) {
        qp.set_database(*db);
        flags |= Xapian::QueryParser::FLAG_SPELLING_CORRECTION;
    }
    bool parsed = false;
    try {
        out.query = qp.parse_query(text, flags);
        out.suggestion = qp.get_corrected_query_string();
        parsed = !out.query.empty();
    } catch (const Xapian::QueryParserError &) {
    }
    if (!parsed) {
        // The query language failed on this text: plain words, AND.
        out.plain = true;
        std::vector<std::string> terms;
        for (const std::string &w : plain_words(text)) {
            std::string stem = stemmer()(w);
            if (!stem.empty() && stem.size() + 1 <= TERM_MAX)
                terms.push_back("Z" + stem);
        }
        if (terms.empty())
            return out;
        out.query = Xapian::Query(Xapian::Query::OP_AND, terms.begin(), terms.end());
    }
    // One token that looks like a letter number (123/Disdik) also finds
    // the number by its N term, above the words.
    if (text.find('/') != std::string::npos && text.find_first_of(" \t\"") == std::string::npos) {
        std::vector<std::string> parts = number_parts(text);
        std::string term = "N" + join_parts(parts, 0, parts.size());
        if (!parts.empty() && term.size() <= TERM_MAX)
            out.query = Xapian::Query(Xapian::Query::OP_OR, out.query,
                                      Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(term), 4.0));
    }
    out.empty = false;
    return out;
}

Xapian::Query build_filter(const search_query_t *q)
{
    std::vector<Xapian::Query> filters;
    // Rights first: the caller's groups. No group, no letter.
    std::vector<std::string> groups;
    for (const std::string &g : split_spaces(q->groups))
        if (g.size() + 1 <= TERM_MAX)
            groups.push_back("G" + g);
    if (groups.empty())
        return Xapian::Query::MatchNothing;
    filters.emplace_back(Xapian::Query::OP_OR, groups.begin(), groups.end());
    if (q->direction && *q->direction)
        filters.emplace_back("XD" + str(q->direction));
    if (q->classification && *q->classification) {
        std::string code = q->classification;
        while (!code.empty() && code.back() == '.')
            code.pop_back();
        if (!code.empty())
            filters.emplace_back(code.size() + 2 <= TERM_MAX ? Xapian::Query("XC" + code)
                                                             : Xapian::Query::MatchNothing);
    }
    if (q->number && *q->number) {
        std::vector<std::string> parts = number_parts(q->number);
        std::string term = "N" + join_parts(parts, 0, parts.size());
        if (!parts.empty())
            filters.emplace_back(term.size() <= TERM_MAX ? Xapian::Query(term) : Xapian::Query::MatchNothing);
    }
    if ((q->from && *q->from) || (q->to && *q->to))
        filters.push_back(date_range(q->from, q->to));
    if (q->sender && *q->sender) {
        std::vector<std::string> terms;
        for (const std::string &w : plain_words(cut_utf8(q->sender, 1000)))
            if (w.size() + 2 <= TERM_MAX)
                terms.push_back("XS" + w);
        if (!terms.empty())
            filters.emplace_back(Xapian::Query::OP_AND, terms.begin(), terms.end());
    }
    return Xapian::Query(Xapian::Query::OP_AND, filters.begin(), filters.end());
}

// The whole query: the text (or every letter) filtered by rights and
// the filters, which add nothing to the weight.
Xapian::Query build_query(const search_query_t *q, const Xapian::Database *db, text_query &text)
{
    text = parse_text(q, db);
    Xapian::Query base = text.empty ? Xapian::Query::MatchAll : text.query;
    return Xapian::Query(Xapian::Query::OP_FILTER, base, build_filter(q));
}

// A facet value: what is shown, and the term that selects it.
struct facet_value {
    std::string value;
    std::string term;
};

// Registration years present in the index, newest first.
std::vector<facet_value> year_values(const Xapian::Database &db)
{
    std::vector<facet_value> out;
    for (Xapian::TermIterator it = db.allterms_begin("Y"); it != db.allterms_end("Y"); ++it)
        out.push_back({(*it).substr(1), *it});
    std::reverse(out.begin(), out.end());
    if (out.size() > FACET_MAX)
        out.resize(FACET_MAX);
    return out;
}

// The classification one step below the prefix asked for: the main
// classes (0 .. 9) without one, then one more digit or one more dotted
// segment (005 -> 005.1), so that each click narrows.
std::vector<facet_value> class_values(const Xapian::Database &db, const char *asked)
{
    std::string prefix = asked ? asked : "";
    while (!prefix.empty() && prefix.back() == '.')
        prefix.pop_back();
    std::vector<facet_value> out;
    for (int dotted = 0; dotted < 2; dotted++) {
        if (dotted && (prefix.empty() || prefix.back() < '0' || prefix.back() > '9'))
            break;
        for (char d = '0'; d <= '9'; d++) {
            std::string v = prefix + (dotted ? "." : "") + d;
            if (v.size() + 2 <= TERM_MAX && db.get_termfreq("XC" + v) > 0)
                out.push_back({v, "XC" + v});
        }
    }
    return out;
}

void put_facets(const std::vector<std::pair<std::string, long long>> &counts, search_facet_t **out, size_t *n);

// Counts of the query within each value: a small unranked match per value
// (FACET_CHECK matches at most), so the cost does not grow with the
// number of matches, and the rights filter inside the query holds here too.
void count_facets(const Xapian::Database &db, const Xapian::Query &query, const std::vector<facet_value> &values,
                  search_facet_t **out, size_t *n, bool &exact)
{
    std::vector<std::pair<std::string, long long>> counts;
    for (const facet_value &v : values) {
        Xapian::Enquire enq(db);
        enq.set_query(Xapian::Query(Xapian::Query::OP_FILTER, query, Xapian::Query(v.term)));
        enq.set_weighting_scheme(Xapian::BoolWeight());
        enq.set_docid_order(Xapian::Enquire::DONT_CARE);
        Xapian::MSet m = enq.get_mset(0, 0, FACET_CHECK);
        long long c = static_cast<long long>(m.get_matches_estimated());
        if (m.get_matches_lower_bound() != m.get_matches_upper_bound())
            exact = false;
        if (c > 0)
            counts.emplace_back(v.value, c);
    }
    put_facets(counts, out, n);
}

// Counts of values among every match, from ValueCountMatchSpy's counts
// of slot values: a value counts the matches whose slot value starts with
// it (a year is a whole value; a classification counts its codes below).
std::vector<std::pair<std::string, long long>> spied_counts(const Xapian::ValueCountMatchSpy &spy,
                                                            const std::vector<facet_value> &values)
{
    std::vector<std::pair<std::string, long long>> counts;
    for (const facet_value &v : values) {
        long long c = 0;
        for (Xapian::TermIterator it = spy.values_begin(); it != spy.values_end(); ++it)
            if ((*it).compare(0, v.value.size(), v.value) == 0)
                c += it.get_termfreq();
        if (c > 0)
            counts.emplace_back(v.value, c);
    }
    return counts;
}

void put_facets(const std::vector<std::pair<std::string, long long>> &counts, search_facet_t **out, size_t *n)
{
    *out = static_cast<search_facet_t *>(calloc(counts.size() ? counts.size() : 1, sizeof(search_facet_t)));
    if (!*out)
        throw std::bad_alloc();
    for (size_t i = 0; i < counts.size(); i++) {
        (*out)[i].value = dup_string(counts[i].first);
        (*out)[i].count = counts[i].second;
        *n = i + 1;
    }
}

// The snippet of the first page (in reading order) where the query
// matches, or of the summary; scan and page say where it stands.
// What the words of the query look like in a text, to find where to cut
// a snippet without reading the whole page word by word: the unstemmed
// terms, and the stems of the stemmed ones (Indonesian stems are mostly
// inside their words: mengundang, pelaksanaan). Filters (prefixed terms)
// are left out; wildcards give nothing (their terms are expanded later).
std::vector<std::string> needles(const Xapian::Query &text)
{
    std::vector<std::string> out;
    for (Xapian::TermIterator it = text.get_unique_terms_begin(); it != text.get_unique_terms_end(); ++it) {
        std::string t = *it;
        if (!t.empty() && t[0] == 'Z')
            t.erase(0, 1);
        else if (!t.empty() && t[0] >= 'A' && t[0] <= 'Z')
            continue;
        if (t.size() >= 2)
            out.push_back(t);
    }
    return out;
}

std::string lower_ascii(const std::string &s)
{
    std::string out(s);
    for (char &c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool is_continuation(char c)
{
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The snippet of one page, or "" when the query does not match in it.
// With needles, only a window around the first place one of them stands
// is read (a snippet costs time in proportion to the text it reads), and
// a page without any is skipped: "" at once.
std::string page_snippet(const Xapian::MSet &mset, const std::string &text, const std::vector<std::string> *find)
{
    const std::string ellipsis = "\xe2\x80\xa6";
    if (!find)
        return mset.snippet(text, SNIPPET_BYTES, snippet_stemmer(), Xapian::MSet::SNIPPET_EMPTY_WITHOUT_MATCH, "<mark>",
                            "</mark>", ellipsis);
    size_t first = std::string::npos;
    std::string low = lower_ascii(text);
    for (const std::string &n : *find)
        first = std::min(first, low.find(n));
    if (first == std::string::npos)
        return std::string();
    size_t from = 0, to = text.size();
    if (text.size() > 3 * SNIPPET_BYTES) {
        from = first > SNIPPET_BYTES / 2 ? first - SNIPPET_BYTES / 2 : 0;
        to = std::min(text.size(), first + 2 * SNIPPET_BYTES);
        // Whole words: start after a space, end before one.
        if (from > 0) {
            size_t sp = text.find_first_of(" \n\t", from);
            from = sp != std::string::npos && sp < first ? sp + 1 : from;
        }
        if (to < text.size()) {
            size_t sp = text.find_last_of(" \n\t", to);
            to = sp != std::string::npos && sp > first ? sp : to;
        }
        while (from > 0 && is_continuation(text[from]))
            from--;
        while (to < text.size() && is_continuation(text[to]))
            to++;
    }
    std::string s = mset.snippet(text.substr(from, to - from), SNIPPET_BYTES, snippet_stemmer(),
                                 Xapian::MSet::SNIPPET_EMPTY_WITHOUT_MATCH, "<mark>", "</mark>", ellipsis);
    if (!s.empty() && from > 0 && s.compare(0, ellipsis.size(), ellipsis) != 0)
        s = ellipsis + s;
    if (!s.empty() && to < text.size() &&
        (s.size() < ellipsis.size() || s.compare(s.size() - ellipsis.size(), ellipsis.size(), ellipsis) != 0))
        s += ellipsis;
    return s;
}

// The snippet of the first page (in reading order) where the query
// matches, or of the summary; scan and page say where it stands. Pages
// are first looked at where the needles stand, then (a stem that is not
// inside its word: menyampaikan, sampai) each in full.
void cut_snippet(const Xapian::MSet &mset, const std::vector<std::string> &find, const std::string &data,
                 search_hit_t *hit)
{
    std::vector<page_text> pages = parse_data(data);
    for (int pass = find.empty() ? 1 : 0; pass < 2; pass++) {
        for (const page_text &p : pages) {
            std::string s = page_snippet(mset, p.text, pass == 0 ? &find : nullptr);
            if (!s.empty()) {
                hit->snippet = dup_string(s);
                hit->scan_id = p.scan_id;
                hit->page = p.page;
                return;
            }
        }
    }
    // No match in the texts (the words are in the subject or the number):
    // the start of the first text, escaped all the same.
    if (!pages.empty()) {
        const page_text &p = pages.front();
        hit->snippet =
            dup_string(mset.snippet(p.text, SNIPPET_BYTES, snippet_stemmer(), 0, "<mark>", "</mark>", "\xe2\x80\xa6"));
        hit->scan_id = p.scan_id;
        hit->page = p.page;
    } else {
        hit->snippet = dup_string("");
    }
}

// true when the corrected query finds a letter q's filters allow (its
// access groups among them). The spelling table holds the words of every
// letter, confidential ones too: a suggestion must not name a word that
// only letters the caller may not see contain.
bool suggestion_finds(const Xapian::Database &db, const search_query_t *q, const std::string &suggestion)
{
    search_query_t corrected = *q;
    corrected.q = suggestion.c_str();
    text_query text;
    Xapian::Enquire enq(db);
    enq.set_query(build_query(&corrected, nullptr, text));
    enq.set_weighting_scheme(Xapian::BoolWeight());
    return !text.empty && enq.get_mset(0, 1).size() > 0;
}

} // namespace

// ------------------------------------------------------------ handles

struct search_writer {
    Xapian::WritableDatabase db;
    Xapian::TermGenerator tg;
};

namespace
{

// The term generator of every document: the writer's, and the one that
// makes a document again to compare it with the index.
// db: the writer's database, which gets the spelling data; NULL for none.
void setup_generator(Xapian::TermGenerator &tg, Xapian::WritableDatabase *db)
{
    tg.set_stemmer(stemmer());
    tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    if (db) {
        tg.set_database(*db);
        tg.set_flags(Xapian::TermGenerator::FLAG_SPELLING);
    }
}

std::string quoted(const std::string &term)
{
    return "\"" + term.substr(0, 60) + "\"";
}

// The first difference between a stored document and a fresh one, or "".
std::string doc_difference(const Xapian::Document &stored, const Xapian::Document &fresh)
{
    if (stored.get_data() != fresh.get_data())
        return "its text (OCR pages, summary) differs";
    Xapian::TermIterator a = stored.termlist_begin(), b = fresh.termlist_begin();
    for (; a != stored.termlist_end() && b != fresh.termlist_end(); ++a, ++b) {
        if (*a != *b)
            return *a < *b ? "term " + quoted(*a) + " only in the index"
                           : "term " + quoted(*b) + " missing from the index";
        if (a.get_wdf() != b.get_wdf())
            return "term " + quoted(*a) + " counted differently";
        Xapian::PositionIterator p = a.positionlist_begin(), q = b.positionlist_begin();
        for (; p != a.positionlist_end() && q != b.positionlist_end(); ++p, ++q)
            if (*p != *q)
                break;
        if (p != a.positionlist_end() || q != b.positionlist_end())
            return "term " + quoted(*a) + " at other positions";
    }
    if (a != stored.termlist_end())
        return "term " + quoted(*a) + " only in the index";
    if (b != fresh.termlist_end())
        return "term " + quoted(*b) + " missing from the index";
    Xapian::ValueIterator v = stored.values_begin(), u = fresh.values_begin();
    for (; v != stored.values_end() && u != fresh.values_end(); ++v, ++u)
        if (v.get_valueno() != u.get_valueno() || *v != *u)
            return "value " + std::to_string(v.get_valueno()) + " differs";
    if (v != stored.values_end() || u != fresh.values_end())
        return "its values differ";
    return "";
}

} // namespace

struct search_reader {
    std::string dir;
    std::string gen;
    Xapian::Database db;
};

namespace
{

// Queries matching fewer letters than this are sorted whole; more, and
// by_date_walk reads them month by month.
const Xapian::doccount WALK_MIN = 2000;

// The months (M terms) to look at, newest first: those inside q's date
// range (a cheap cut: the query's own filter decides), or none when some
// letter has no month term (then the walk could miss it).
std::vector<std::string> walk_months(const Xapian::Database &db, const search_query_t *q)
{
    std::vector<std::string> months;
    Xapian::doccount covered = 0;
    ymd from = {1900, 1, 1}, to = {2999, 12, 31};
    if (q->from && *q->from && !parse_day(q->from, from))
        from = {1900, 1, 1};
    if (q->to && *q->to && !parse_day(q->to, to))
        to = {2999, 12, 31};
    std::string lo = fmt("M%04d%02d", from.y, from.m), hi = fmt("M%04d%02d", to.y, to.m);
    for (Xapian::TermIterator it = db.allterms_begin("M"); it != db.allterms_end("M"); ++it) {
        covered += it.get_termfreq();
        if (*it >= lo && *it <= hi)
            months.push_back(*it);
    }
    if (covered != db.get_doccount())
        months.clear();
    std::reverse(months.begin(), months.end());
    return months;
}

// One hit found: its id and weight, and its document (snippets).
struct found_doc {
    Xapian::docid id;
    double weight;
    Xapian::Document doc;
};

// The matches of query from first on (at most count), newest registration
// first, read month by month (or day by day) from the newest: each span's
// matches are sorted (their time is a value), and the walk stops once it
// has enough.
// The same order as sorting every match by the date, without reading them
// all (sorting a million matches by a value is linear in them: tens of
// milliseconds). false when the walk cannot be used (walk_months).
// The days of month (an M term) that hold letters, newest first (D
// terms), or just the month when its days do not account for every one
// of its letters.
std::vector<std::string> month_days(const Xapian::Database &db, const std::string &month)
{
    std::vector<std::string> days;
    Xapian::doccount covered = 0;
    const std::string prefix = "D" + month.substr(1);
    for (Xapian::TermIterator it = db.allterms_begin(prefix); it != db.allterms_end(prefix); ++it) {
        covered += it.get_termfreq();
        days.push_back(*it);
    }
    if (covered != db.get_termfreq(month))
        return {month};
    std::reverse(days.begin(), days.end());
    return days;
}

bool by_date_walk(const Xapian::Database &db, const search_query_t *q, const Xapian::Query &query, bool weighted,
                  double density, unsigned first, unsigned count, std::vector<found_doc> &out)
{
    std::vector<std::string> months = walk_months(db, q);
    if (months.empty())
        return false;
    unsigned want = first + count, seen = 0;
    for (const std::string &month : months) {
        if (seen >= want)
            break;
        // A month whose days are each expected to hold half the matches
        // still wanted is read day by day: a million letters put 8 000 in
        // a month, 270 in a day; fewer and longer spans otherwise, as each
        // costs a match of its own. (The density only chooses the step,
        // never the result.)
        std::vector<std::string> spans = {month};
        if (db.get_termfreq(month) * density / 30 >= (want - seen) / 2.0)
            spans = month_days(db, month);
        for (const std::string &span : spans) {
            if (seen >= want)
                break;
            Xapian::Enquire enq(db);
            enq.set_query(Xapian::Query(Xapian::Query::OP_FILTER, query, Xapian::Query(span)));
            // Equal times: the higher weight, then the higher id, as the
            // sort of every match would have them.
            if (weighted)
                enq.set_weighting_scheme(ArchiveWeight());
            else
                enq.set_weighting_scheme(Xapian::BoolWeight());
            enq.set_sort_by_value_then_relevance(SLOT_DATE, true);
            enq.set_docid_order(Xapian::Enquire::DESCENDING);
            Xapian::MSet m = enq.get_mset(0, want - seen);
            for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it, ++seen)
                if (seen >= first)
                    out.push_back({*it, it.get_weight(), it.get_document()});
        }
    }
    return true;
}

} // namespace

extern "C" {

const char *search_status_text(search_status_t status)
{
    switch (status) {
    case SEARCH_OK: return "ok";
    case SEARCH_MISSING: return "index missing";
    case SEARCH_CORRUPT: return "index corrupt";
    case SEARCH_LOCKED: return "index locked by another writer";
    case SEARCH_IO: return "index input/output error";
    case SEARCH_INVALID: return "invalid argument";
    case SEARCH_NOMEM: return "out of memory";
    case SEARCH_FAILED: return "search engine error";
    }
    return "unknown";
}

search_writer_t *search_writer_open(const char *path, bool create, bool bulk, search_error_t *err)
{
    clear_error(err);
    search_writer_t *w = nullptr;
    try {
        if (!path) {
            set_error(err, SEARCH_INVALID, "no path");
            return nullptr;
        }
        int flags = (create ? Xapian::DB_CREATE_OR_OVERWRITE : Xapian::DB_OPEN) | Xapian::DB_BACKEND_GLASS;
        if (bulk)
            flags |= Xapian::DB_NO_SYNC;
        w = new search_writer{Xapian::WritableDatabase(path, flags), Xapian::TermGenerator()};
        setup_generator(w->tg, &w->db);
        return w;
    } catch (...) {
        delete w;
        from_exception(err);
        return nullptr;
    }
}

search_status_t search_writer_put(search_writer_t *w, const search_letter_t *l, search_error_t *err)
{
    clear_error(err);
    if (!w || !l || l->id < 1 || l->id > static_cast<long long>(UINT_MAX)) {
        set_error(err, SEARCH_INVALID, "letter id out of range");
        return SEARCH_INVALID;
    }
    try {
        Xapian::Document doc = make_document(w->tg, l);
        w->db.replace_document(static_cast<Xapian::docid>(l->id), doc);
        return SEARCH_OK;
    } catch (...) {
        return from_exception(err);
    }
}

search_status_t search_writer_delete(search_writer_t *w, long long id, search_error_t *err)
{
    clear_error(err);
    if (!w || id < 1 || id > static_cast<long long>(UINT_MAX)) {
        set_error(err, SEARCH_INVALID, "letter id out of range");
        return SEARCH_INVALID;
    }
    try {
        try {
            w->db.delete_document(static_cast<Xapian::docid>(id));
        } catch (const Xapian::DocNotFoundError &) {
        }
        return SEARCH_OK;
    } catch (...) {
        return from_exception(err);
    }
}

search_status_t search_writer_set_meta(search_writer_t *w, const char *key, const char *value, search_error_t *err)
{
    clear_error(err);
    try {
        w->db.set_metadata(str(key), str(value));
        return SEARCH_OK;
    } catch (...) {
        return from_exception(err);
    }
}

search_status_t search_writer_get_meta(search_writer_t *w, const char *key, char *buf, size_t size, search_error_t *err)
{
    clear_error(err);
    try {
        snprintf(buf, size, "%s", w->db.get_metadata(str(key)).c_str());
        return SEARCH_OK;
    } catch (...) {
        if (size)
            buf[0] = '\0';
        return from_exception(err);
    }
}

search_status_t search_writer_commit(search_writer_t *w, search_error_t *err)
{
    clear_error(err);
    try {
        w->db.commit();
        return SEARCH_OK;
    } catch (...) {
        return from_exception(err);
    }
}

long long search_writer_doccount(search_writer_t *w)
{
    try {
        return static_cast<long long>(w->db.get_doccount());
    } catch (...) {
        return -1;
    }
}

void search_writer_close(search_writer_t *w)
{
    if (!w)
        return;
    try {
        // Uncommitted changes are dropped, not committed by the destructor.
        w->db.close();
    } catch (...) {
    }
    try {
        delete w;
    } catch (...) {
    }
}

search_status_t search_compact(const char *const *shards, size_t n, const char *out, search_error_t *err)
{
    clear_error(err);
    try {
        Xapian::Database all;
        for (size_t i = 0; i < n; i++)
            all.add_database(Xapian::Database(shards[i], Xapian::DB_BACKEND_GLASS));
        all.compact(out, Xapian::DBCOMPACT_NO_RENUMBER | Xapian::DBCOMPACT_MULTIPASS);
        return SEARCH_OK;
    } catch (...) {
        return from_exception(err);
    }
}

search_reader_t *search_reader_open(const char *index_dir, search_error_t *err)
{
    clear_error(err);
    search_reader_t *r = nullptr;
    try {
        char gen[4096];
        if (!index_dir || search_dir_current(index_dir, gen, sizeof gen) != 0) {
            set_error(err, SEARCH_MISSING, std::string("no index in ") + str(index_dir));
            return nullptr;
        }
        r = new search_reader{index_dir, gen, Xapian::Database(gen, Xapian::DB_BACKEND_GLASS)};
        return r;
    } catch (...) {
        delete r;
        from_exception(err);
        return nullptr;
    }
}

search_status_t search_reader_refresh(search_reader_t *r, search_error_t *err)
{
    clear_error(err);
    try {
        char gen[4096];
        if (search_dir_current(r->dir.c_str(), gen, sizeof gen) != 0) {
            set_error(err, SEARCH_MISSING, "no index in " + r->dir);
            return SEARCH_MISSING;
        }
        if (r->gen == gen) {
            try {
                r->db.reopen();
                return SEARCH_OK;
            } catch (const Xapian::DatabaseOpeningError &) {
                // Its files went away between the look at the link (or a
                // replica's stub) and the reopen: open what is live now.
                if (search_dir_current(r->dir.c_str(), gen, sizeof gen) != 0)
                    throw;
            }
        }
        Xapian::Database fresh(gen, Xapian::DB_BACKEND_GLASS);
        r->db = fresh;
        r->gen = gen;
        return SEARCH_OK;
    } catch (...) {
        return from_exception(err);
    }
}

search_status_t search_reader_get_meta(search_reader_t *r, const char *key, char *buf, size_t size, search_error_t *err)
{
    clear_error(err);
    try {
        snprintf(buf, size, "%s", r->db.get_metadata(str(key)).c_str());
        return SEARCH_OK;
    } catch (...) {
        if (size)
            buf[0] = '\0';
        return from_exception(err);
    }
}

long long search_reader_doccount(search_reader_t *r)
{
    try {
        return static_cast<long long>(r->db.get_doccount());
    } catch (...) {
        return -1;
    }
}

search_status_t search_reader_ids(search_reader_t *r, long long **ids, size_t *n, search_error_t *err)
{
    clear_error(err);
    *ids = nullptr;
    *n = 0;
    try {
        std::vector<long long> all;
        all.reserve(r->db.get_doccount());
        for (Xapian::PostingIterator it = r->db.postlist_begin(""); it != r->db.postlist_end(""); ++it)
            all.push_back(static_cast<long long>(*it));
        if (all.empty())
            return SEARCH_OK;
        long long *out = static_cast<long long *>(malloc(all.size() * sizeof *out));
        if (!out) {
            set_error(err, SEARCH_NOMEM, "out of memory");
            return SEARCH_NOMEM;
        }
        std::copy(all.begin(), all.end(), out);
        *ids = out;
        *n = all.size();
        return SEARCH_OK;
    } catch (...) {
        return from_exception(err);
    }
}

search_status_t search_reader_compare(search_reader_t *r, const search_letter_t *l, char *why, size_t size,
                                      search_error_t *err)
{
    clear_error(err);
    if (size)
        why[0] = '\0';
    if (!r || !l || l->id < 1 || l->id > static_cast<long long>(UINT_MAX)) {
        set_error(err, SEARCH_INVALID, "letter id out of range");
        return SEARCH_INVALID;
    }
    try {
        Xapian::Document stored;
        try {
            stored = r->db.get_document(static_cast<Xapian::docid>(l->id));
        } catch (const Xapian::DocNotFoundError &) {
            snprintf(why, size, "not in the index");
            return SEARCH_OK;
        }
        Xapian::TermGenerator tg;
        setup_generator(tg, nullptr);
        snprintf(why, size, "%s", doc_difference(stored, make_document(tg, l, false)).c_str());
        return SEARCH_OK;
    } catch (...) {
        return from_exception(err);
    }
}

void search_reader_close(search_reader_t *r)
{
    try {
        delete r;
    } catch (...) {
    }
}

void search_result_free(search_result_t *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->nhits; i++)
        free(res->hits[i].snippet);
    free(res->hits);
    for (size_t i = 0; i < res->nyears; i++)
        free(res->years[i].value);
    free(res->years);
    for (size_t i = 0; i < res->nclasses; i++)
        free(res->classes[i].value);
    free(res->classes);
    free(res->suggestion);
    memset(res, 0, sizeof *res);
}


static search_status_t run_once(search_reader_t *r, const search_query_t *q, search_result_t *out)
{
    text_query text;
    Xapian::Query query = build_query(q, &r->db, text);
    unsigned limit = std::min(q->limit, 1000u);
    Xapian::Enquire enq(r->db);
    enq.set_query(query);
    enq.set_weighting_scheme(ArchiveWeight());
    enq.set_docid_order(Xapian::Enquire::DESCENDING);
    // The estimate, and the highest weight a letter can get, without
    // matching: no word that weighs anything (ArchiveWeight), a date
    // order, or no words at all list the matches newest first.
    // (Asking it to look at some matches, check_at_least, made Xapian
    // read every one of a common word's: no.)
    Xapian::MSet probe = enq.get_mset(0, 0);
    out->total = static_cast<long long>(probe.get_matches_estimated());
    out->total_exact = probe.get_matches_lower_bound() == probe.get_matches_upper_bound();
    bool by_date = q->sort == SEARCH_SORT_DATE || text.empty || probe.get_max_possible() <= 0;
    std::vector<found_doc> found;
    Xapian::ValueCountMatchSpy year_spy(SLOT_YEAR), class_spy(SLOT_CLASS);
    bool spied = false;
    if (!(by_date && probe.get_matches_estimated() >= WALK_MIN &&
          by_date_walk(r->db, q, query, probe.get_max_possible() > 0,
                       static_cast<double>(probe.get_matches_estimated()) / std::max(1u, r->db.get_doccount()),
                       q->offset, limit, found))) {
        if (by_date)
            enq.set_sort_by_value_then_relevance(SLOT_DATE, true);
        // Few matches (FACET_CHECK at most, says the estimate's bound): the
        // match sees every one of them and counts the facets on the way,
        // exactly, instead of a match for each facet value.
        if (q->facets && probe.get_matches_upper_bound() <= FACET_CHECK) {
            enq.add_matchspy(&year_spy);
            enq.add_matchspy(&class_spy);
            spied = true;
        }
        Xapian::MSet mset = enq.get_mset(q->offset, limit, spied ? probe.get_matches_upper_bound() : 0);
        out->total = static_cast<long long>(mset.get_matches_estimated());
        out->total_exact = mset.get_matches_lower_bound() == mset.get_matches_upper_bound();
        for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it)
            found.push_back({*it, it.get_weight(), it.get_document()});
    }

    out->plain_words = text.plain;
    if (!text.suggestion.empty() && suggestion_finds(r->db, q, text.suggestion))
        out->suggestion = dup_string(text.suggestion);
    out->hits = static_cast<search_hit_t *>(calloc(found.size() ? found.size() : 1, sizeof(search_hit_t)));
    if (!out->hits)
        throw std::bad_alloc();
    std::vector<std::string> find;
    if (q->snippets && !text.empty)
        find = needles(text.query);
    for (const found_doc &f : found) {
        search_hit_t *hit = &out->hits[out->nhits];
        hit->id = static_cast<long long>(f.id);
        hit->score = f.weight;
        // The probe knows the query's words, which is all a snippet needs.
        if (q->snippets && !text.empty)
            cut_snippet(probe, find, f.doc.get_data(), hit);
        else
            hit->snippet = dup_string("");
        out->nhits++;
    }
    if (q->facets && spied) {
        put_facets(spied_counts(year_spy, year_values(r->db)), &out->years, &out->nyears);
        put_facets(spied_counts(class_spy, class_values(r->db, q->classification)), &out->classes, &out->nclasses);
        out->facets_exact = true;
    } else if (q->facets) {
        bool exact = true;
        count_facets(r->db, query, year_values(r->db), &out->years, &out->nyears, exact);
        count_facets(r->db, query, class_values(r->db, q->classification), &out->classes, &out->nclasses, exact);
        out->facets_exact = exact;
    }
    return SEARCH_OK;
}

search_status_t search_run(search_reader_t *r, const search_query_t *q, search_result_t *out, search_error_t *err)
{
    clear_error(err);
    memset(out, 0, sizeof *out);
    if (!r || !q) {
        set_error(err, SEARCH_INVALID, "no reader or query");
        return SEARCH_INVALID;
    }
    for (int attempt = 0;; attempt++) {
        try {
            return run_once(r, q, out);
        } catch (const Xapian::DatabaseModifiedError &e) {
            // The writer (or a replica's changesets, applied back to back)
            // moved on under us: take the latest revision, twice at most.
            search_result_free(out);
            if (attempt > 1) {
                set_error(err, SEARCH_IO, e.get_type() + std::string(": ") + e.get_msg());
                return SEARCH_IO;
            }
            try {
                r->db.reopen();
            } catch (...) {
                return from_exception(err);
            }
        } catch (...) {
            search_result_free(out);
            return from_exception(err);
        }
    }
}

search_status_t search_describe(const search_query_t *q, char *buf, size_t size, search_error_t *err)
{
    clear_error(err);
    try {
        text_query text;
        Xapian::Query query = build_query(q, nullptr, text);
        snprintf(buf, size, "%s", query.get_description().c_str());
        return SEARCH_OK;
    } catch (...) {
        if (size)
            buf[0] = '\0';
        return from_exception(err);
    }
}

} // extern "C"
