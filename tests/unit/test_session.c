/* test_session.c: staff's browser sessions (core/session.c): only well-formed ids are kept, a
 * session ends after STAFF_SESSION_MS or at logout, another id (forged, or one digit off) is never
 * taken, and a full table drops the session closest to its end. Pure: time is an argument. */
#include "coordinator/core/session.h"
#include "test.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A well-formed id: 64 hex digits from n. */
static const char *id_of(unsigned n, char *buf)
{
    for (int i = 0; i < STAFF_SESSION_ID_LEN; i++)
        buf[i] = "0123456789abcdef"[(n >> ((i % 8) * 4)) & 15];
    buf[STAFF_SESSION_ID_LEN] = '\0';
    return buf;
}

TEST(session_shape)
{
    char id[STAFF_SESSION_ID_LEN + 1];
    CHECK(staff_session_id_valid(id_of(0x1234abcd, id)));
    CHECK(!staff_session_id_valid(NULL));
    CHECK(!staff_session_id_valid(""));
    CHECK(!staff_session_id_valid("abc"));
    id[3] = 'A'; /* upper case is not ours */
    CHECK(!staff_session_id_valid(id));
    id[3] = 'g';
    CHECK(!staff_session_id_valid(id));
    char longer[STAFF_SESSION_ID_LEN + 2];
    snprintf(longer, sizeof longer, "%s0", id_of(7, id));
    CHECK(!staff_session_id_valid(longer));
    struct staff_sessions t = {0};
    CHECK_EQ_INT(staff_sessions_add(&t, "not-an-id", 0), -1);
    CHECK_EQ_INT(staff_sessions_add(&t, longer, 0), -1);
}

TEST(session_lives_twelve_hours_or_until_logout)
{
    struct staff_sessions t = {0};
    char a[STAFF_SESSION_ID_LEN + 1], b[STAFF_SESSION_ID_LEN + 1];
    int64_t now = 1000000;
    CHECK(!staff_sessions_valid(&t, id_of(1, a), now)); /* empty table: nothing is valid */
    CHECK_EQ_INT(staff_sessions_add(&t, a, now), 0);
    CHECK(staff_sessions_valid(&t, a, now));
    CHECK(staff_sessions_valid(&t, a, now + STAFF_SESSION_MS - 1));
    CHECK(!staff_sessions_valid(&t, a, now + STAFF_SESSION_MS)); /* expired */
    /* A forged id, and one a digit off, are refused. */
    CHECK(!staff_sessions_valid(&t, id_of(2, b), now));
    memcpy(b, a, sizeof b);
    b[STAFF_SESSION_ID_LEN - 1] = b[STAFF_SESSION_ID_LEN - 1] == '0' ? '1' : '0';
    CHECK(!staff_sessions_valid(&t, b, now));
    CHECK(!staff_sessions_valid(&t, "", now));
    /* Logout ends it; a second logout finds nothing. */
    CHECK_EQ_INT(staff_sessions_remove(&t, b), 0);
    CHECK(staff_sessions_valid(&t, a, now));
    CHECK_EQ_INT(staff_sessions_remove(&t, a), 1);
    CHECK(!staff_sessions_valid(&t, a, now));
    CHECK_EQ_INT(staff_sessions_remove(&t, a), 0);
}

TEST(session_table_full_drops_the_oldest)
{
    struct staff_sessions t = {0};
    char id[STAFF_SESSION_ID_LEN + 1];
    for (unsigned i = 0; i < STAFF_SESSIONS_MAX; i++)
        CHECK_EQ_INT(staff_sessions_add(&t, id_of(100 + i, id), 1000 + i), 0);
    for (unsigned i = 0; i < STAFF_SESSIONS_MAX; i++)
        CHECK(staff_sessions_valid(&t, id_of(100 + i, id), 5000));
    /* One more: the first one (closest to its end) goes, every other stays. */
    CHECK_EQ_INT(staff_sessions_add(&t, id_of(999, id), 6000), 0);
    CHECK(staff_sessions_valid(&t, id_of(999, id), 6000));
    CHECK(!staff_sessions_valid(&t, id_of(100, id), 6000));
    for (unsigned i = 1; i < STAFF_SESSIONS_MAX; i++)
        CHECK(staff_sessions_valid(&t, id_of(100 + i, id), 6000));
    /* An expired slot is reused before a live one. */
    struct staff_sessions u = {0};
    CHECK_EQ_INT(staff_sessions_add(&u, id_of(1, id), 0), 0);
    for (unsigned i = 1; i < STAFF_SESSIONS_MAX; i++)
        CHECK_EQ_INT(staff_sessions_add(&u, id_of(10 + i, id), STAFF_SESSION_MS - 10), 0);
    CHECK_EQ_INT(staff_sessions_add(&u, id_of(2, id), STAFF_SESSION_MS + 1), 0);
    for (unsigned i = 1; i < STAFF_SESSIONS_MAX; i++)
        CHECK(staff_sessions_valid(&u, id_of(10 + i, id), STAFF_SESSION_MS + 1));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    RUN(session_shape);
    RUN(session_lives_twelve_hours_or_until_logout);
    RUN(session_table_full_drops_the_oldest);
    TEST_END("test_session");
}
