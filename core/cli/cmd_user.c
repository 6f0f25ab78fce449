/* esurat user add | passwd | deactivate | list */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"

#define MAX_ROLES 5

static const char *const known_roles[] = {"admin", "front_desk", "official", "archivist", "records"};

static bool valid_username(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static bool valid_role(const char *s)
{
    for (size_t i = 0; i < sizeof known_roles / sizeof known_roles[0]; i++)
        if (strcmp(s, known_roles[i]) == 0)
            return true;
    return false;
}

/* A real calendar day written YYYY-MM-DD. */
static bool valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || d < 1)
        return false;
    int max = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return d <= max;
}

/* A positive decimal id (as text, for a parameter). */
static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 18 && strspn(s, "0123456789") == n && strtoll(s, NULL, 10) > 0;
}

/* Copies s without blanks into out (cap bytes); true when the result is
 * an 18-digit NIP. */
static bool normalise_nip(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t')
            continue;
        if (!isdigit((unsigned char)*s) || n + 1 >= cap)
            return false;
        out[n++] = *s;
    }
    out[n] = '\0';
    return n == 18;
}

/* One row's first column, or NULL (also on error: *failed set, printed). */
static char *query_value(db_t *db, const char *sql, int n, const char *const *params, bool *failed)
{
    PGresult *r = db_query(db, sql, n, params);
    if (!r) {
        cli_db_error(db, "query failed");
        *failed = true;
        return NULL;
    }
    char *v = NULL;
    if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
        v = strdup(PQgetvalue(r, 0, 0));
        if (!v) {
            cli_error("out of memory");
            *failed = true;
        }
    }
    PQclear(r);
    return v;
}

int cmd_user_add(const struct cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},   {"nip", required_argument, NULL, 'N'},
        {"role", required_argument, NULL, 'r'},   {"position", required_argument, NULL, 'p'},
        {"acting", required_argument, NULL, 'a'}, {"until", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *nip_arg = NULL, *position = NULL, *acting = NULL, *until = NULL;
    const char *roles[MAX_ROLES];
    size_t nroles = 0;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': name = optarg; break;
        case 'N': nip_arg = optarg; break;
        case 'r': {
            if (!valid_role(optarg))
                return cli_usage_error(cmd,
                                       "unknown role \"%s\" (admin, front_desk, official, "
                                       "archivist, records)",
                                       optarg);
            bool dup = false;
            for (size_t i = 0; i < nroles; i++)
                dup = dup || strcmp(roles[i], optarg) == 0;
            if (!dup)
                roles[nroles++] = optarg;
            break;
        }
        case 'p': position = optarg; break;
        case 'a': acting = optarg; break;
        case 'u': until = optarg; break;
        case 'h': return cli_help(cmd);
        default: return cli_try_help(cmd);
        }
    }
    if (optind >= argc)
        return cli_usage_error(cmd, "no user name given");
    if (optind + 1 < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind + 1]);
    const char *username = argv[optind];
    if (!valid_username(username))
        return cli_usage_error(cmd,
                               "invalid user name \"%s\": use 1 to 64 of a-z, 0-9, '.', '_', "
                               "'-' (lower case)",
                               username);
    if (!name)
        return cli_usage_error(cmd, "--name is required");
    size_t name_len = strlen(name);
    if (!utf8_valid(name, name_len) || strspn(name, " \t") == name_len || name_len > 200)
        return cli_usage_error(cmd, "--name must be 1 to 200 bytes of UTF-8 text");
    char nip[19];
    if (nip_arg && !normalise_nip(nip_arg, nip, sizeof nip))
        return cli_usage_error(cmd, "--nip must be 18 digits, got \"%s\"", nip_arg);
    if (position && !valid_id(position))
        return cli_usage_error(cmd, "--position must be a position id, got \"%s\"", position);
    if (acting && strcmp(acting, "plt") != 0 && strcmp(acting, "plh") != 0)
        return cli_usage_error(cmd, "--acting must be plt or plh, got \"%s\"", acting);
    if (acting && !position)
        return cli_usage_error(cmd, "--acting needs --position");
    if (acting && !until)
        return cli_usage_error(cmd, "--acting needs --until YYYY-MM-DD");
    if (until && !acting)
        return cli_usage_error(cmd, "--until applies to an acting official: add --acting plt|plh");
    if (until && !valid_date(until))
        return cli_usage_error(cmd, "--until must be a date YYYY-MM-DD, got \"%s\"", until);

    int rc = CLI_FAIL;
    bool failed = false;
    char *v = NULL;
    char password[CLI_PASSWORD_MAX + 1];
    char hash[PASSWORD_HASH_MAX];
    PGresult *r = NULL;
    db_t *db = cli_connect();
    if (!db)
        return CLI_FAIL;

    /* Check what can be checked before asking for the password. */
    const char *pu[] = {username};
    if ((v = query_value(db, "SELECT id FROM users WHERE username = $1", 1, pu, &failed))) {
        cli_error("user \"%s\" already exists", username);
        goto cleanup;
    }
    if (failed)
        goto cleanup;
    if (nip_arg) {
        const char *pn[] = {nip};
        if ((v = query_value(db, "SELECT username FROM users WHERE nip = $1", 1, pn, &failed))) {
            cli_error("NIP %s is already used by user \"%s\"", nip, v);
            goto cleanup;
        }
        if (failed)
            goto cleanup;
    }
    if (position) {
        const char *pp[] = {position};
        if (!(v = query_value(db, "SELECT title FROM positions WHERE id = $1::bigint", 1, pp, &failed))) {
            if (!failed)
                cli_error("position %s does not exist", position);
            goto cleanup;
        }
        free(v);
        v = NULL;
        if (!acting) {
            v = query_value(db,
                            "SELECT u.username FROM position_holders ph "
                            "JOIN users u ON u.id = ph.user_id "
                            "WHERE ph.position_id = $1::bigint AND ph.kind = 'definitif' "
                            "AND ph.valid_to IS NULL",
                            1, pp, &failed);
            if (v) {
                cli_error("position %s already has a definitive holder, \"%s\"", position, v);
                cli_hint("an acting official is added with --acting plt|plh --until DATE");
                goto cleanup;
            }
            if (failed)
                goto cleanup;
        } else {
            const char *pd[] = {until};
            if (!(v = query_value(db, "SELECT $1::date >= current_date", 1, pd, &failed)))
                goto cleanup;
            if (strcmp(v, "t") != 0) {
                cli_error("--until %s is in the past", until);
                goto cleanup;
            }
            free(v);
            v = NULL;
        }
    }

    if (cli_read_password(username, password) != CLI_OK)
        goto cleanup;
    int hashed = password_hash(password, hash);
    explicit_bzero(password, sizeof password);
    if (hashed != 0) {
        cli_error("could not hash the password (out of memory?)");
        goto cleanup;
    }

    if (db_begin(db) != 0) {
        cli_db_error(db, "could not begin");
        goto cleanup;
    }
    const char *pi[] = {username, name, nip_arg ? nip : NULL, hash};
    r = db_query(db,
                 "INSERT INTO users (username, name, nip, password_hash) "
                 "VALUES ($1, btrim($2), $3, $4) RETURNING id::text AS id",
                 4, pi);
    if (!r) {
        cli_db_error(db, "could not create the user");
        goto cleanup;
    }
    const char *id = db_get(r, 0, "id");
    json_t *jroles = json_array();
    for (size_t i = 0; i < nroles; i++) {
        const char *pr[] = {id, roles[i]};
        if (db_exec(db, "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", 2, pr) != 1) {
            json_decref(jroles);
            cli_db_error(db, "could not add the role");
            goto cleanup;
        }
        json_array_append_new(jroles, json_string(roles[i]));
    }
    const char *kind = acting ? acting : "definitif";
    if (position) {
        const char *ph[] = {position, id, kind, until};
        if (db_exec(db,
                    "INSERT INTO position_holders (position_id, user_id, kind, valid_to) "
                    "VALUES ($1::bigint, $2::bigint, $3, $4::date)",
                    4, ph) != 1) {
            json_decref(jroles);
            cli_db_error(db, "could not assign the position");
            goto cleanup;
        }
    }
    json_t *detail = cli_audit_object();
    if (!detail) {
        json_decref(jroles);
        cli_error("out of memory");
        goto cleanup;
    }
    json_object_set_new(detail, "username", json_string(username));
    json_object_set_new(detail, "name", json_string(name));
    json_object_set_new(detail, "nip", nip_arg ? json_string(nip) : json_null());
    json_object_set_new(detail, "roles", jroles);
    if (position) {
        json_object_set_new(detail, "position_id", json_integer(strtoll(position, NULL, 10)));
        json_object_set_new(detail, "kind", json_string(kind));
        json_object_set_new(detail, "valid_to", until ? json_string(until) : json_null());
    }
    if (cli_audit(db, "user.add", "user", id, detail) != 0)
        goto cleanup;
    if (db_commit(db) != 0) {
        cli_db_error(db, "could not commit");
        goto cleanup;
    }
    printf("created user \"%s\" (id %s)\n", username, id);
    rc = CLI_OK;

cleanup:
    explicit_bzero(hash, sizeof hash);
    free(v);
    PQclear(r);
    cli_rollback(db);
    db_close(db);
    return rc;
}

/* Parses "esurat user CMD USERNAME" (only --help as option). Returns -1
 * when the command should go on with *username set, else an exit code. */
static int parse_username_only(const struct cli_command *cmd, int argc, char **argv, const char **username)
{
    int parsed = cli_parse_help_only(cmd, argc, argv);
    if (parsed >= 0)
        return parsed;
    if (optind >= argc)
        return cli_usage_error(cmd, "no user name given");
    if (optind + 1 < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind + 1]);
    *username = argv[optind];
    if (!valid_username(*username))
        return cli_usage_error(cmd, "invalid user name \"%s\"", *username);
    return -1;
}

/* Ends every session of user id; the number ended, or -1 (printed). */
static long end_sessions(db_t *db, const char *id)
{
    const char *p[] = {id};
    long n = db_exec(db, "DELETE FROM sessions WHERE user_id = $1::bigint", 1, p);
    if (n < 0)
        cli_db_error(db, "could not end the sessions");
    return n;
}

int cmd_user_passwd(const struct cli_command *cmd, int argc, char **argv)
{
    const char *username = NULL;
    int rc = parse_username_only(cmd, argc, argv, &username);
    if (rc >= 0)
        return rc;
    rc = CLI_FAIL;

    bool failed = false;
    char *id = NULL;
    char password[CLI_PASSWORD_MAX + 1];
    char hash[PASSWORD_HASH_MAX] = "";
    db_t *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    const char *pu[] = {username};
    if (!(id = query_value(db, "SELECT id FROM users WHERE username = $1", 1, pu, &failed))) {
        if (!failed)
            cli_error("user \"%s\" does not exist", username);
        goto cleanup;
    }
    if (cli_read_password(username, password) != CLI_OK)
        goto cleanup;
    int hashed = password_hash(password, hash);
    explicit_bzero(password, sizeof password);
    if (hashed != 0) {
        cli_error("could not hash the password (out of memory?)");
        goto cleanup;
    }

    if (db_begin(db) != 0) {
        cli_db_error(db, "could not begin");
        goto cleanup;
    }
    const char *ph[] = {id, hash};
    if (db_exec(db, "UPDATE users SET password_hash = $2 WHERE id = $1::bigint", 2, ph) != 1) {
        cli_db_error(db, "could not change the password");
        goto cleanup;
    }
    long ended = end_sessions(db, id);
    if (ended < 0)
        goto cleanup;
    /* A new password also lifts a lockout of the name. */
    if (db_exec(db, "DELETE FROM login_throttle WHERE username = $1", 1, pu) < 0) {
        cli_db_error(db, "could not reset the login throttle");
        goto cleanup;
    }
    json_t *detail = cli_audit_object();
    if (!detail) {
        cli_error("out of memory");
        goto cleanup;
    }
    json_object_set_new(detail, "username", json_string(username));
    json_object_set_new(detail, "sessions_ended", json_integer(ended));
    if (cli_audit(db, "user.passwd", "user", id, detail) != 0)
        goto cleanup;
    if (db_commit(db) != 0) {
        cli_db_error(db, "could not commit");
        goto cleanup;
    }
    printf("changed the password of \"%s\"; %ld session%s ended\n", username, ended, ended == 1 ? "" : "s");
    rc = CLI_OK;
cleanup:
    explicit_bzero(hash, sizeof hash);
    free(id);
    cli_rollback(db);
    db_close(db);
    return rc;
}

int cmd_user_deactivate(const struct cli_command *cmd, int argc, char **argv)
{
    const char *username = NULL;
    int rc = parse_username_only(cmd, argc, argv, &username);
    if (rc >= 0)
        return rc;
    rc = CLI_FAIL;

    PGresult *r = NULL;
    db_t *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    if (db_begin(db) != 0) {
        cli_db_error(db, "could not begin");
        goto cleanup;
    }
    const char *pu[] = {username};
    /* old.active is the value before this statement. */
    r = db_query(db,
                 "UPDATE users u SET active = false FROM users old "
                 "WHERE old.id = u.id AND u.username = $1 "
                 "RETURNING u.id::text AS id, old.active AS was_active",
                 1, pu);
    if (!r) {
        cli_db_error(db, "could not deactivate the user");
        goto cleanup;
    }
    if (PQntuples(r) != 1) {
        cli_error("user \"%s\" does not exist", username);
        goto cleanup;
    }
    const char *id = db_get(r, 0, "id");
    bool was_active = strcmp(db_get(r, 0, "was_active"), "t") == 0;
    long ended = end_sessions(db, id);
    if (ended < 0)
        goto cleanup;
    json_t *detail = cli_audit_object();
    if (!detail) {
        cli_error("out of memory");
        goto cleanup;
    }
    json_object_set_new(detail, "username", json_string(username));
    json_object_set_new(detail, "was_active", json_boolean(was_active));
    json_object_set_new(detail, "sessions_ended", json_integer(ended));
    if (cli_audit(db, "user.deactivate", "user", id, detail) != 0)
        goto cleanup;
    if (db_commit(db) != 0) {
        cli_db_error(db, "could not commit");
        goto cleanup;
    }
    printf("%s \"%s\"; %ld session%s ended\n", was_active ? "deactivated" : "already inactive:", username, ended,
           ended == 1 ? "" : "s");
    rc = CLI_OK;
cleanup:
    PQclear(r);
    cli_rollback(db);
    db_close(db);
    return rc;
}

int cmd_user_list(const struct cli_command *cmd, int argc, char **argv)
{
    int parsed = cli_parse_help_only(cmd, argc, argv);
    if (parsed >= 0)
        return parsed;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);

    db_t *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    PGresult *r = db_query(db,
                           "SELECT u.username, u.name, "
                           "       coalesce(string_agg(r.role, ',' ORDER BY r.role), '') AS roles, "
                           "       CASE WHEN u.active THEN 'yes' ELSE 'no' END AS active "
                           "FROM users u LEFT JOIN user_roles r ON r.user_id = u.id "
                           "GROUP BY u.id ORDER BY u.username",
                           0, NULL);
    int rc = CLI_FAIL;
    if (!r) {
        cli_db_error(db, "could not list users");
    } else {
        static const char *const cols[] = {"username", "name", "roles", "active"};
        cli_print_table(r, 4, cols, cols);
        rc = CLI_OK;
    }
    PQclear(r);
    db_close(db);
    return rc;
}
