/* cmd_restore.c: `panicctl restore FILE`: asks the coordinator to put a backup back
 * (POST /api/v1/restore) and follows it (GET /api/v1/restore) until it is done or failed. FILE is
 * on the coordinator's machine: a path (sent absolute when it exists here, as when panicctl runs
 * on that machine) or the name of a file in its STATE_DIR/backups/. Speaks the HTTP API only. */
#define _DEFAULT_SOURCE /* realpath */
#include "request.h"
#include "common/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RESTORE_WAIT_MS (30 * 60 * 1000)

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Poll the restore until it leaves "running". The exit code. */
static int follow(struct ctl *c)
{
    int64_t deadline = time_mono_ms() + RESTORE_WAIT_MS;
    for (;;) {
        struct ctl_reply r = CTL_REPLY_INIT;
        int rc = ctl_call(c, "GET", "/api/v1/restore", NULL, &r);
        const char *state = rc == CTL_OK ? ctl_json_str(r.json, "state") : NULL;
        if (rc == CTL_OK && state && strcmp(state, "running") != 0) {
            if (c->json)
                ctl_print_raw(&r.raw);
            if (!strcmp(state, "done")) {
                if (!c->json)
                    printf("restored %s (schema version %lld, now %lld); the networks run again "
                           "as the backup has them\n",
                           ctl_json_str(r.json, "file") ? ctl_json_str(r.json, "file") : "",
                           (long long)json_integer_value(json_object_get(r.json, "from_version")),
                           (long long)json_integer_value(json_object_get(r.json, "to_version")));
            } else {
                const char *why = ctl_json_str(r.json, "error");
                fprintf(stderr, "panicctl: the restore failed: %s\n", why ? why : state);
                rc = CTL_REFUSED;
            }
            ctl_reply_free(&r);
            return rc;
        }
        ctl_reply_free(&r);
        if (rc != CTL_OK)
            return rc;
        if ((c->stop && *c->stop) || time_mono_ms() > deadline) {
            fprintf(stderr, "panicctl: stopped waiting; the restore goes on (see GET "
                            "/api/v1/restore)\n");
            return CTL_INTERRUPTED;
        }
        nap_ms(200);
    }
}

int cmd_restore(struct ctl *c, const struct ctl_args *a)
{
    if (a->npos != 1)
        return ctl_usage_error("restore needs one FILE (a backup on the coordinator's machine)");
    const char *file = a->pos[0];
    char abs[PATH_MAX];
    if (file[0] != '/' && access(file, F_OK) == 0 && realpath(file, abs))
        file = abs;
    else if (file[0] != '/' && strchr(file, '/'))
        return ctl_usage_error("no file '%s' here; give an absolute path on the coordinator's "
                               "machine or the name of a file in its STATE_DIR/backups/",
                               file);
    if (!utf8_valid(file, strlen(file)))
        return ctl_usage_error("the file name is not UTF-8");
    json_t *body = json_pack("{s:s}", "file", file);
    struct ctl_reply r = CTL_REPLY_INIT;
    int rc = ctl_call(c, "POST", "/api/v1/restore", body, &r);
    json_decref(body);
    ctl_reply_free(&r);
    return rc == CTL_OK ? follow(c) : rc;
}
