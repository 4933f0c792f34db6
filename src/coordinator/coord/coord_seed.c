/* coord_seed.c: what a start puts in the store from nothing but the config: the default network
 * of a new installation (an empty store), and the displays panicd.conf declares. A new
 * installation runs with no configuration at all: the offline builtin models when this build
 * has them all (a real AI loop with no internet), else the dummy models. Depends on the store,
 * the catalogue and the platforms' availability; not on HTTP. */
#include "coord_internal.h"
#include "common/proto/display_config_json.h"
#include "common/log.h"
#include "common/util.h"
#include "views.h"
#include "coordinator/store/store.h"

#include <stdio.h>
#include <stdlib.h>

int coord_seed_network(struct coord *c, char *err, size_t errlen)
{
    static const char *const dummy[] = {"dummy-t2i", "dummy-i2t", "dummy-t2a", "dummy-a2t"};
    /* The parrot keeps the spoken hop from settling on one phrase forever. */
    static const char *const builtin[] = {"builtin-parrot", "builtin-type", "builtin-tesseract",
                                          "builtin-espeak", "builtin-sphinx"};
    int use_builtin = c->cfg->default_builtin;
    for (size_t i = 0; use_builtin && i < ARRAY_LEN(builtin); i++) {
        const struct model_info *m = catalog_find(builtin[i]);
        char why[256];
        use_builtin = m && coord_model_available(c, m, why, sizeof why);
        if (!use_builtin)
            log_info("default network: %s is not available (%s); using dummy models", builtin[i],
                     m ? why : "not in this build");
    }
    const char *const *defaults = use_builtin ? builtin : dummy;
    int64_t id;
    int rc = coord_network_create(
        c, use_builtin ? "Default loop (offline builtin models)" : "Default loop (dummy models)",
        "default", defaults, use_builtin ? ARRAY_LEN(builtin) : ARRAY_LEN(dummy), c->cfg->lockout_s,
        NULL, &id, err, errlen);
    if (rc < 0)
        return rc;
    log_info("created the default network id=%lld", (long long)id);
    return 0;
}

void coord_seed_displays(struct coord *c)
{
    const struct panicd_config *cfg = c->cfg;
    for (size_t i = 0; i < cfg->ndisplays; i++) {
        struct display_config dc = cfg->displays[i].cfg;
        const char *slug = cfg->displays[i].network_slug;
        if (slug[0]) {
            int64_t id = store_network_by_slug(c->store, slug);
            if (id > 0)
                dc.network = id;
            else
                log_warn("display=%s: no network has the slug '%s' (panicd.conf "
                         "display.%s.network); it shows the default until one does",
                         cfg->displays[i].name, slug, cfg->displays[i].name);
        }
        char *text = view_dump(display_config_to_json(cfg->displays[i].name, &dc, 1));
        if (store_display_put(c->store, cfg->displays[i].name, text, time_wall_ms()) < 0)
            log_warn("could not store display=%s from the config", cfg->displays[i].name);
        free(text);
    }
}
