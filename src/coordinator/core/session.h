/* session.h: staff's browser sessions (POST /login): a fixed table of random session ids, each
 * good for STAFF_SESSION_MS from its login, held in memory only (a restart logs everyone out).
 * When the table is full the session closest to its end is dropped. Pure: the ids are made by the
 * caller (from the kernel's random numbers) and time (ms, monotonic) is an argument. */
#ifndef PANIC_SESSION_H
#define PANIC_SESSION_H

#include <stdint.h>

#define STAFF_SESSIONS_MAX 32
#define STAFF_SESSION_ID_LEN 64 /* 32 random bytes in lower-case hex */
#define STAFF_SESSION_MS (12 * 3600 * 1000LL)

struct staff_sessions {
    struct {
        char id[STAFF_SESSION_ID_LEN + 1]; /* "" for a free slot */
        int64_t expires_ms;
    } s[STAFF_SESSIONS_MAX];
};

/* 1 if id has a session id's shape: STAFF_SESSION_ID_LEN lower-case hex digits. */
int staff_session_id_valid(const char *id);
/* Remember id (of that shape) as logged in from now_ms; 0, or -1 if id is malformed. */
int staff_sessions_add(struct staff_sessions *t, const char *id, int64_t now_ms);
/* 1 if id is a live session at now_ms. Compares against every slot in constant time. */
int staff_sessions_valid(const struct staff_sessions *t, const char *id, int64_t now_ms);
/* Forget id (logout); 1 if it was there. */
int staff_sessions_remove(struct staff_sessions *t, const char *id);

#endif
