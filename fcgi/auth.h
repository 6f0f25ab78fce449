/* Sessions and the authentication endpoints of API.md. */
#ifndef ESURAT_AUTH_H
#define ESURAT_AUTH_H

#include "request.h"

#define SESSION_COOKIE "esurat_session"

/* Sets req->user from the session cookie when it names a live session of
 * an active user (and marks it used). 0 (signed in or not), -1 on a
 * database error (not replied). */
int auth_load_session(request_t *req);

/* POST /api/auth/login, POST /api/auth/logout, GET /api/me. */
void auth_login(request_t *req);
void auth_logout(request_t *req);
void auth_me(request_t *req);

#endif
