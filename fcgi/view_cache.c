#include "view_cache.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "shared_counter.h"

#define SLOTS 512             /* pages a worker remembers; more share slots */
#define PAGE_MAX (256 * 1024) /* a bigger page is not kept */
#define KEY_MAX 160

/* view_kind_t + 1: 0 marks an empty slot. */
typedef int kind_t;
#define EMPTY 0
#define KIND(v) ((kind_t)(v) + 1)

typedef struct {
    kind_t kind;
    long long id; /* the letter's, or the inbox owner's */
    char key[KEY_MAX];
    unsigned long epoch; /* the shared counter when read */
    long long stored_ms;
    char *page;
    size_t len; /* strlen(page) */
} entry_t;

static entry_t slots[SLOTS];
static long ttl = 0; /* ms; 0 until attached: nothing is remembered */
static _Atomic unsigned long local_counter;
static _Atomic unsigned long *counter = &local_counter;

static void clear_slot(entry_t *e)
{
    free(e->page);
    memset(e, 0, sizeof *e);
}

static void clear_kind(kind_t kind)
{
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].kind != EMPTY && (kind == EMPTY || slots[i].kind == kind))
            clear_slot(&slots[i]);
}

/* FNV-1a over the kind, the id and the key. */
static entry_t *slot_of(kind_t kind, long long id, const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    unsigned char head[1 + sizeof id];
    head[0] = (unsigned char)kind;
    memcpy(head + 1, &id, sizeof id);
    for (size_t i = 0; i < sizeof head; i++)
        h = (h ^ head[i]) * 1099511628211ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return &slots[h % SLOTS];
}

static void forget(view_kind_t kind, long long id)
{
    entry_t *e = slot_of(KIND(kind), id, "");
    if (e->kind == KIND(kind) && e->id == id)
        clear_slot(e);
}

static void on_notify(void *arg, const char *channel, const char *payload)
{
    (void)arg;
    /* channel NULL: a reconnection, after which some may be lost. */
    if (!channel || !payload || (payload[0] != 'L' && payload[0] != 'I')) {
        clear_kind(EMPTY);
        return;
    }
    char *end;
    long long id = strtoll(payload + 1, &end, 10);
    if (*end != '\0' || id <= 0) {
        clear_kind(EMPTY);
        return;
    }
    forget(VIEW_LETTER, id);
    forget(VIEW_SUMMARY, id);
    if (payload[0] == 'I')
        clear_kind(KIND(VIEW_INBOX));
}

/* esurat_sessions: a session ended, or a user's roles changed. */
static void on_session_notify(void *arg, const char *channel, const char *payload)
{
    (void)arg;
    (void)channel;
    (void)payload;
    clear_kind(KIND(VIEW_GROUPS));
}

void view_cache_share(void)
{
    _Atomic unsigned long *p =
        shared_counter_map("view cache: a change is seen at once only by the worker that made it");
    if (p)
        counter = p;
}

void view_cache_attach(db_t *db, long ttl_ms)
{
    ttl = ttl_ms;
    if (ttl > 0) {
        db_listen(db, "esurat_views", on_notify, NULL);
        db_listen(db, "esurat_sessions", on_session_notify, NULL);
    }
}

unsigned long view_cache_generation(void)
{
    return atomic_load(counter);
}

/* The fresh entry of kind, id and key, or NULL. */
static const entry_t *get(kind_t kind, long long id, const char *key)
{
    if (ttl <= 0 || strlen(key) >= KEY_MAX)
        return NULL;
    entry_t *e = slot_of(kind, id, key);
    if (e->kind != kind || e->id != id || strcmp(e->key, key) != 0)
        return NULL;
    if (e->epoch != atomic_load(counter) || monotonic_ms() - e->stored_ms >= ttl) {
        clear_slot(e);
        return NULL;
    }
    return e;
}

static void put(kind_t kind, long long id, const char *key, const char *page, unsigned long generation)
{
    size_t len = strlen(page);
    if (ttl <= 0 || strlen(key) >= KEY_MAX || len > PAGE_MAX || generation != atomic_load(counter))
        return;
    entry_t *e = slot_of(kind, id, key);
    clear_slot(e);
    e->page = malloc(len + 1);
    if (!e->page)
        return;
    memcpy(e->page, page, len + 1);
    e->len = len;
    e->kind = kind;
    e->id = id;
    strcpy(e->key, key);
    e->epoch = generation;
    e->stored_ms = monotonic_ms();
}

const char *view_cache_get(arena_t *arena, view_kind_t kind, long long id, const char *key)
{
    const entry_t *e = get(KIND(kind), id, key);
    return e ? arena_strdup(arena, e->page) : NULL;
}

const char *view_cache_peek(view_kind_t kind, long long id, const char *key, size_t *len)
{
    const entry_t *e = get(KIND(kind), id, key);
    if (!e)
        return NULL;
    *len = e->len;
    return e->page;
}

void view_cache_put(view_kind_t kind, long long id, const char *key, const char *page, unsigned long generation)
{
    put(KIND(kind), id, key, page, generation);
}

void view_cache_changed(void)
{
    atomic_fetch_add(counter, 1);
    clear_kind(EMPTY);
}
