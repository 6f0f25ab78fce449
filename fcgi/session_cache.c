#include "session_cache.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "shared_counter.h"

#define SLOTS 256 /* sessions a worker remembers; more share slots */

typedef struct {
    char token_hash[65]; /* "" when empty */
    unsigned long epoch; /* the shared counter when confirmed */
    long long confirmed_ms;
    long long user_id;
    unsigned roles;
    char *username, *name, *csrf_token;
} entry_t;

static entry_t slots[SLOTS];
static long ttl = 0; /* ms; 0 until attached: nothing is remembered */
static _Atomic unsigned long local_counter;
static _Atomic unsigned long *counter = &local_counter;

static void clear_slot(entry_t *e)
{
    free(e->username);
    free(e->name);
    free(e->csrf_token);
    memset(e, 0, sizeof *e);
}

static void clear_all(void)
{
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].token_hash[0])
            clear_slot(&slots[i]);
}

static void on_notify(void *arg, const char *channel, const char *payload)
{
    (void)arg;
    (void)channel;
    (void)payload;
    /* A notification, or a reconnection after which some may be lost. */
    clear_all();
}

void session_cache_share(void)
{
    _Atomic unsigned long *p = shared_counter_map("session cache: sessions are remembered per worker only");
    if (p)
        counter = p;
}

void session_cache_attach(db_t *db, long ttl_ms)
{
    ttl = ttl_ms;
    if (ttl > 0)
        db_listen(db, "esurat_sessions", on_notify, NULL);
}

/* The slot of a token hash (hex): its first four digits. */
static entry_t *slot_of(const char *token_hash)
{
    unsigned v = (unsigned)strtoul((char[]){token_hash[0], token_hash[1], token_hash[2], token_hash[3], 0}, NULL, 16);
    return &slots[v % SLOTS];
}

user_t *session_cache_get(arena_t *arena, const char *token_hash)
{
    if (ttl <= 0 || strlen(token_hash) != 64)
        return NULL;
    entry_t *e = slot_of(token_hash);
    if (strcmp(e->token_hash, token_hash) != 0)
        return NULL;
    if (e->epoch != atomic_load(counter) || monotonic_ms() - e->confirmed_ms >= ttl) {
        clear_slot(e);
        return NULL;
    }
    user_t *u = arena_alloc(arena, sizeof *u);
    if (!u)
        return NULL;
    *u = (user_t){
        .id = e->user_id,
        .username = arena_strdup(arena, e->username),
        .name = arena_strdup(arena, e->name),
        .roles = e->roles,
        .csrf_token = arena_strdup(arena, e->csrf_token),
        .token_hash = arena_strdup(arena, e->token_hash),
    };
    if (!u->username || !u->name || !u->csrf_token || !u->token_hash)
        return NULL;
    return u;
}

unsigned long session_cache_generation(void)
{
    return atomic_load(counter);
}

void session_cache_put(const char *token_hash, const user_t *u, unsigned long generation)
{
    if (ttl <= 0 || strlen(token_hash) != 64)
        return;
    entry_t *e = slot_of(token_hash);
    clear_slot(e);
    e->username = strdup(u->username);
    e->name = strdup(u->name);
    e->csrf_token = strdup(u->csrf_token);
    if (!e->username || !e->name || !e->csrf_token) {
        clear_slot(e);
        return;
    }
    memcpy(e->token_hash, token_hash, 65);
    e->user_id = u->id;
    e->roles = u->roles;
    e->epoch = generation;
    e->confirmed_ms = monotonic_ms();
}

void session_cache_forget_all(void)
{
    atomic_fetch_add(counter, 1);
    clear_all();
}
