/* vestaboard.h: the Vestaboards of the installation: each display of kind vestaboard gets the
 * text outputs its offset/stride chooses (and the genesis prompt, at offset 0 or with
 * initial_prompt) as a message through the board's Local API (POST /local-api/message, the key in
 * X-Vestaboard-Local-Api-Key), sent on the event loop through curl_ev, never waited for. */
#ifndef PANIC_COORD_VESTABOARD_H
#define PANIC_COORD_VESTABOARD_H

#include <stdint.h>

struct coord;
struct curl_ev;
struct vestaboards;

/* How long the loop waits after a board was sent a message, so people can read it (the
 * original's 8 s), and before the genesis' first call when a board shows the prompt (+2 s). */
#define VESTABOARD_HOLD_MS 8000
#define VESTABOARD_GENESIS_EXTRA_MS 2000

/* The boards are the stored displays of kind vestaboard (panicd.conf's display.NAME.* are stored
 * at start), then followed through the "display" events. c and curl are borrowed; c's runners
 * ask it for their holds until vestaboards_free. Owned. */
struct vestaboards *vestaboards_new(struct coord *c, struct curl_ev *curl);
void vestaboards_free(struct vestaboards *v);

/* Every committed event (the coordinator's sink): an "invocation" may go to boards, a "display"
 * adds, changes or drops one. */
void vestaboards_on_event(struct vestaboards *v, int64_t network, const char *type,
                          const char *data);

/* The least wait the loop keeps after invocation seq of network completed with text (genesis
 * 0), or before the genesis' own call (genesis 1): VESTABOARD_HOLD_MS when a board takes that
 * text, VESTABOARD_HOLD_MS + VESTABOARD_GENESIS_EXTRA_MS for a prompt a board with
 * initial_prompt shows, else 0. */
int64_t vestaboards_hold_ms(struct vestaboards *v, int64_t network, int64_t seq, int genesis);

/* Messages sent (answered 2xx) and failed, for tests and the log. */
void vestaboards_counts(const struct vestaboards *v, long *sent, long *failed);

#endif
