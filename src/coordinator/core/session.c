/* session.c: the staff sessions table of session.h. A linear scan over STAFF_SESSIONS_MAX slots;
 * every lookup compares the id with each slot by secret_equal, so how long it takes says nothing
 * of which ids exist. Pure C11 + libc and src/common's util. */
#include "session.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>

int staff_session_id_valid(const char *id)
{
    if (!id || strlen(id) != STAFF_SESSION_ID_LEN)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int staff_sessions_add(struct staff_sessions *t, const char *id, int64_t now_ms)
{
    if (!staff_session_id_valid(id))
        return -1;
    size_t pick = 0;
    for (size_t i = 0; i < STAFF_SESSIONS_MAX; i++) {
        if (!t->s[i].id[0] || t->s[i].expires_ms <= now_ms) {
            pick = i;
            break;
        }
        if (t->s[i].expires_ms < t->s[pick].expires_ms)
            pick = i;
    }
    snprintf(t->s[pick].id, sizeof t->s[pick].id, "%s", id);
    t->s[pick].expires_ms = now_ms + STAFF_SESSION_MS;
    return 0;
}

int staff_sessions_valid(const struct staff_sessions *t, const char *id, int64_t now_ms)
{
    if (!staff_session_id_valid(id))
        return 0;
    int found = 0;
    for (size_t i = 0; i < STAFF_SESSIONS_MAX; i++) {
        int live = t->s[i].id[0] && t->s[i].expires_ms > now_ms;
        found |= secret_equal(id, t->s[i].id) & live;
    }
    return found;
}

int staff_sessions_remove(struct staff_sessions *t, const char *id)
{
    if (!staff_session_id_valid(id))
        return 0;
    int found = 0;
    for (size_t i = 0; i < STAFF_SESSIONS_MAX; i++) {
        if (t->s[i].id[0] && secret_equal(id, t->s[i].id)) {
            memset(&t->s[i], 0, sizeof t->s[i]);
            found = 1;
        }
    }
    return found;
}
