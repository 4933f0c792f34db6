/* api_backup.c: restoring a backup over the API. POST /api/v1/restore {"file"} names a file on
 * the coordinator's machine (an absolute path, or the name of one in STATE_DIR/backups/); what
 * can be told at once (no such file, not an SQLite file, a schema newer than this panicd's) is
 * refused at once, the rest (integrity_check, migrating, the swap) happens off the loop and is
 * followed with GET /api/v1/restore. POST /api/v1/backups makes a backup now (before an upgrade),
 * into STATE_DIR/backups/ like the nightly ones. After a restore every event stream is closed, so
 * displays reconnect and catch up with the restored state. Uses coord/backup.h; no sqlite here. */
#include "api_internal.h"
#include "common/util.h"
#include "coordinator/coord/backup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void api_set_backups(struct api *a, struct backups *b)
{
    a->backups = b;
    if (b)
        backups_on_restored(b, api_restored, a);
}

void api_restored(void *user)
{
    struct api *a = user;
    api_events_close_all(a);
}

/* The file the body names, as a path panicd opens, into path: 0, or -1 with 422 sent. */
static int restore_path(struct api *a, struct http_req *req, const char *file, char *path,
                        size_t len)
{
    if (!file || !file[0] || strlen(file) > 4000) {
        api_reply_error(req, 422, "bad_file",
                        "\"file\" must name a backup: an absolute path on the coordinator's "
                        "machine, or a file name in STATE_DIR/backups/");
        return -1;
    }
    if (file[0] == '/')
        snprintf(path, len, "%s", file);
    else if (!strchr(file, '/') && strcmp(file, ".") && strcmp(file, ".."))
        snprintf(path, len, "%s/backups/%s", a->cfg->state_dir, file);
    else {
        api_reply_error(req, 422, "bad_file",
                        "\"file\" must be an absolute path or a bare file name in backups/");
        return -1;
    }
    return 0;
}

void api_post_restore(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    char path[4200], err[PANIC_ERR_LEN];
    json_t *body = api_body_object(req);
    if (!body)
        return;
    int rc =
        restore_path(a, req, json_string_value(json_object_get(body, "file")), path, sizeof path);
    json_decref(body);
    if (rc < 0)
        return;
    int version = 0;
    rc = store_file_schema(path, &version, err, sizeof err);
    if (rc == -ENOENT) {
        api_reply_error(req, 404, "not_found", "%s", err);
        return;
    }
    if (rc < 0) {
        api_reply_error(req, 422, "not_a_backup", "%s", err);
        return;
    }
    if (version > store_schema_version()) {
        api_reply_error(req, 422, "schema_newer",
                        "the backup's schema version %d is newer than this panicd's (%d): restore "
                        "it with the panicd that made it, or a newer one; nothing was changed",
                        version, store_schema_version());
        return;
    }
    if (!a->backups || (rc = backups_restore(a->backups, path)) == -EBUSY) {
        api_reply_error(req, 409, "busy", "a backup or restore is under way; try again shortly");
        return;
    }
    if (rc < 0) {
        api_reply_error(req, 500, "restore_failed", "the restore could not start");
        return;
    }
    api_reply_json(
        req, 202,
        json_pack("{s:s, s:s, s:i}", "state", "running", "file", path, "from_version", version));
}

void api_post_backups(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    int rc = a->backups ? backups_start(a->backups) : -EIO;
    if (rc == -EBUSY) {
        api_reply_error(req, 409, "busy", "a backup or restore is under way; try again shortly");
        return;
    }
    if (rc < 0) {
        api_reply_error(req, 500, "backup_failed", "the backup could not start");
        return;
    }
    api_reply_json(
        req, 202,
        json_pack("{s:s, s:s}", "state", "running", "name", backups_current_name(a->backups)));
}

void api_get_restore(struct api *a, struct http_req *req, const struct api_call *call)
{
    (void)call;
    struct restore_status st = {0};
    if (a->backups)
        backups_restore_status(a->backups, &st);
    json_t *j = json_pack("{s:s, s:s, s:i, s:i}", "state", restore_state_name(st.state), "file",
                          st.file ? st.file : "", "from_version", st.from_version, "to_version",
                          store_schema_version());
    if (st.error && st.error[0])
        json_object_set_new(j, "error", json_string(st.error));
    if (st.started_at)
        json_object_set_new(j, "started_at", json_integer(st.started_at));
    if (st.finished_at)
        json_object_set_new(j, "finished_at", json_integer(st.finished_at));
    api_reply_json(req, 200, j);
}
