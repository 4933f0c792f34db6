/* coord_quota.c: keeps the media archive under its disk budget (media_quota_mb). Past the quota
 * the pictures and sounds of the oldest finished runs are deleted, never a network's latest run
 * and never a file another run still uses, until the archive is under 90% of the quota; each
 * freed run is marked in the store in the same transaction. Depends on the store and the media
 * archive; not on HTTP or the platforms. */
#include "coord_internal.h"
#include "common/log.h"
#include "coordinator/store/media.h"
#include "coordinator/store/store.h"

#include <stdint.h>

struct evict_ctx {
    struct coord *c;
    int64_t run;
    uint64_t freed;
    size_t files;
};

static int evict_one(void *user, const char *name)
{
    struct evict_ctx *e = user;
    /* A picture can be shared by runs (same bytes, same name): keep it while another uses it. */
    if (store_media_shared(e->c->store, name, e->run) != 0)
        return 0;
    int64_t size = media_remove(e->c->media, name);
    if (size > 0) {
        e->freed += (uint64_t)size;
        e->files++;
    }
    return 0;
}

int coord_media_quota(struct coord *c, uint64_t quota, uint64_t *freed)
{
    uint64_t used;
    *freed = 0;
    if (media_usage(c->media, &used, NULL) < 0 || used <= quota)
        return 0;
    uint64_t target = quota / 10 * 9; /* some headroom so this does not run every time */
    int evicted = 0;
    coord_txn_begin(c);
    while (used > target) {
        int64_t runs[32];
        int n = store_runs_for_eviction(c->store, 32, runs);
        if (n <= 0)
            break;
        for (int i = 0; i < n && used > target; i++) {
            struct evict_ctx e = {c, runs[i], 0, 0};
            store_run_media_each(c->store, runs[i], evict_one, &e);
            store_run_mark_evicted(c->store, runs[i]);
            used = e.freed < used ? used - e.freed : 0;
            *freed += e.freed;
            evicted++;
            log_info("media quota: freed run=%lld files=%zu bytes=%llu", (long long)runs[i],
                     e.files, (unsigned long long)e.freed);
        }
    }
    coord_txn_end(c);
    if (used > target)
        log_warn("media quota: %llu bytes used, over the %llu quota, and no finished run is left "
                 "to free",
                 (unsigned long long)used, (unsigned long long)quota);
    return evicted;
}
