/* test_state_dir.c: unit tests of panicd's state-dir files (coordinator/state_dir.c) and prompt
 * deck search (coordinator/prompt_deck.c): atomic writes and their modes, the secrets generated
 * on first start (0600, hex of the asked length, kept across starts, replaced when too short),
 * the URL local tools read, and which deck the panic button gets. Real files in a temporary
 * directory; no daemon. */
#include "coordinator/prompt_deck.h"
#include "coordinator/state_dir.h"
#include "common/util.h"
#include "support.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

/* 1 if the whole of path is text. */
static int file_is(const char *path, const char *text)
{
    char buf[512];
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return !strcmp(buf, text);
}

static int write_text(const char *path, const char *text)
{
    return write_file(path, text, strlen(text));
}

static int is_hex(const char *s, size_t len)
{
    if (strlen(s) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return 0;
    return 1;
}

TEST(create_and_write_atomic)
{
    char sub[128], path[160], tmp[170];
    snprintf(sub, sizeof sub, "%s/state", dir);
    CHECK_EQ_INT(state_dir_create(sub), 0);
    CHECK_EQ_INT(mode_of(sub), 0750);
    CHECK_EQ_INT(state_dir_create(sub), 0); /* there already */
    snprintf(path, sizeof path, "%s/nope/deeper", dir);
    CHECK_EQ_INT(state_dir_create(path), -ENOENT);

    snprintf(path, sizeof path, "%s/file", sub);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK_EQ_INT(state_dir_write_atomic(path, "one\n", 0600), 0);
    CHECK_EQ_INT(mode_of(path), 0600);
    CHECK(file_is(path, "one\n"));
    CHECK_EQ_INT(state_dir_write_atomic(path, "two\n", 0600), 0);
    CHECK(file_is(path, "two\n"));
    CHECK(access(tmp, F_OK) != 0);
    unlink(path);
    CHECK_EQ_INT(state_dir_write_atomic(path, "url\n", 0644), 0);
    CHECK_EQ_INT(mode_of(path), 0644);
    unlink(path);

    /* A file that cannot be written leaves nothing behind. */
    snprintf(path, sizeof path, "%s/nope/file", dir);
    CHECK_EQ_INT(state_dir_write_atomic(path, "x", 0600), -ENOENT);
    rmdir(sub);
}

TEST(secrets)
{
    char path[160], line[256], err[PANIC_ERR_LEN] = "";
    snprintf(path, sizeof path, "%s/admin.token", dir);

    /* Configured: taken as it is, nothing written. */
    char *s =
        state_dir_secret(dir, "configured-token-1234", "admin.token", 16, 24, err, sizeof err);
    CHECK_STR_EQ(s, "configured-token-1234");
    CHECK(access(path, F_OK) != 0);
    free(s);

    /* First start: nbytes of randomness in hex, written 0600 with a newline. */
    s = state_dir_secret(dir, NULL, "admin.token", 16, 24, err, sizeof err);
    CHECK(s && is_hex(s, 48));
    CHECK_EQ_INT(mode_of(path), 0600);
    snprintf(line, sizeof line, "%s\n", s ? s : "");
    CHECK(file_is(path, line));
    /* Next start: the same one. */
    char *again = state_dir_secret(dir, NULL, "admin.token", 16, 24, err, sizeof err);
    CHECK_STR_EQ(again, s);
    free(again);
    free(s);

    /* A file whose first line is long enough is used as it is (\r\n trimmed) ... */
    CHECK_EQ_INT(write_text(path, "0123456789abcdefXY\r\nsecond line\n"), 0);
    s = state_dir_secret(dir, NULL, "admin.token", 16, 24, err, sizeof err);
    CHECK_STR_EQ(s, "0123456789abcdefXY");
    free(s);
    /* ... a shorter one is replaced. */
    CHECK_EQ_INT(write_text(path, "short\n"), 0);
    s = state_dir_secret(dir, NULL, "admin.token", 16, 24, err, sizeof err);
    CHECK(s && is_hex(s, 48));
    snprintf(line, sizeof line, "%s\n", s ? s : "");
    CHECK(file_is(path, line));
    free(s);
    unlink(path);

    /* The visitor secret's size. */
    s = state_dir_secret(dir, NULL, "visitor.secret", 32, 32, err, sizeof err);
    CHECK(s && is_hex(s, 64));
    free(s);
    snprintf(path, sizeof path, "%s/visitor.secret", dir);
    unlink(path);

    /* Failures say why. */
    char missing[128];
    snprintf(missing, sizeof missing, "%s/nope", dir);
    CHECK(state_dir_secret(missing, NULL, "admin.token", 16, 24, err, sizeof err) == NULL);
    CHECK(strstr(err, "cannot write ") && strstr(err, "/nope/admin.token: "));
    CHECK(state_dir_secret(dir, NULL, "big.secret", 16, 65, err, sizeof err) == NULL);
    CHECK_STR_EQ(err, "cannot get random bytes for big.secret");
}

TEST(local_url)
{
    static const struct {
        const char *listen, *url;
    } cases[] = {
        {"0.0.0.0:8080", "http://127.0.0.1:4242"},
        {"[::]:0", "http://127.0.0.1:4242"},
        {":8080", "http://127.0.0.1:4242"},
        {"127.0.0.1:0", "http://127.0.0.1:4242"},
        {"panic.local:80", "http://panic.local:4242"},
        {"[::1]:80", "http://[::1]:4242"},
        {"10.0.0.5:1", "http://10.0.0.5:4242"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *url = state_dir_local_url(cases[i].listen, 4242);
        CHECK_STR_EQ(url, cases[i].url);
        free(url);
    }
    char path[160];
    state_dir_publish_url(dir, "http://127.0.0.1:4242");
    snprintf(path, sizeof path, "%s/panicd.url", dir);
    CHECK_EQ_INT(mode_of(path), 0644);
    CHECK(file_is(path, "http://127.0.0.1:4242\n"));
    unlink(path);
}

TEST(prompt_deck_search)
{
    char path[160], err[PANIC_ERR_LEN * 2] = "";
    snprintf(path, sizeof path, "%s/prompts.txt", dir);
    CHECK_EQ_INT(write_text(path, "# two prompts\nfirst\nsecond\n"), 0);
    struct deck *d = prompt_deck_open(path, DECK_CYCLE, err, sizeof err);
    CHECK(d != NULL);
    if (d) {
        CHECK_EQ_INT(deck_count(d), 2);
        CHECK_STR_EQ(deck_peek(d, 1), "first");
    }
    deck_free(d);
    /* A configured deck that does not load is an error, never a fallback. */
    CHECK_EQ_INT(write_text(path, "# nothing\n"), 0);
    CHECK(prompt_deck_open(path, DECK_SHUFFLE, err, sizeof err) == NULL);
    CHECK(strstr(err, path) != NULL);
    unlink(path);
    CHECK(prompt_deck_open(path, DECK_SHUFFLE, err, sizeof err) == NULL);
    /* Not configured: an installed deck or the compiled-in one, never nothing. */
    d = prompt_deck_open(NULL, DECK_SHUFFLE, err, sizeof err);
    CHECK(d && deck_count(d) > 0);
    deck_free(d);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    umask(022);
    snprintf(dir, sizeof dir, "/tmp/panic-test-state-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(create_and_write_atomic);
    RUN(secrets);
    RUN(local_url);
    RUN(prompt_deck_search);
    rmdir(dir);
    TEST_END("test_state_dir");
}
