/* prompt_deck.c: finds the panic button's prompt deck (see prompt_deck.h): the configured file,
 * else the installed ones, else the compiled-in deck. Reads files; the shuffle seed is
 * common/rng's; the parsing and the order are core/deck.c's. */
#include "prompt_deck.h"
#include "common/log.h"
#include "common/rng.h"
#include "common/util.h"

#include <stdint.h>
#include <unistd.h>

struct deck *prompt_deck_open(const char *path, enum deck_order order, char *err, size_t errlen)
{
    static const char *const installed[] = {"/usr/local/share/panic/prompts.txt",
                                            "/usr/share/panic/prompts.txt", "assets/prompts.txt"};
    uint64_t seed = rng_seed();
    struct deck *d = NULL;
    const char *from = "compiled in";
    if (path) {
        d = deck_load(path, order, seed, err, errlen);
        if (!d)
            return NULL;
        from = path;
    }
    for (size_t i = 0; !d && i < ARRAY_LEN(installed); i++) {
        char reason[PANIC_ERR_LEN * 2];
        if (access(installed[i], R_OK) < 0)
            continue;
        d = deck_load(installed[i], order, seed, reason, sizeof reason);
        if (d)
            from = installed[i];
        else
            log_warn("ignoring a bad prompt deck: %s", reason);
    }
    if (!d)
        d = deck_fallback(order, seed);
    log_info("prompt deck path=%s prompts=%zu order=%s", from, deck_count(d),
             order == DECK_CYCLE ? "cycle" : "shuffle");
    return d;
}
