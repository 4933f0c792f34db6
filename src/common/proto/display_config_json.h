/* display_config_json.h: a display's configuration as JSON, the form panicd serves, stores and
 * streams and panic-display and panicctl read, with display_config.h's validation and reasons.
 * jansson's json_t is named by its struct tag so that including this needs no jansson.h. */
#ifndef PANIC_PROTO_DISPLAY_CONFIG_JSON_H
#define PANIC_PROTO_DISPLAY_CONFIG_JSON_H

#include "display_config.h"

#include <stddef.h>

struct json_t;

/* Read by a display: keys it does not know (from a newer coordinator) are skipped. */
#define DISPLAY_CONFIG_JSON_IGNORE_UNKNOWN 1u

/* {"name", "network", "mode", "rows", "cols", "offset", "stride", "show_invoking", "audio",
 * "tv_on", "tv_off", "tv_days", "tv_holidays", "kind", "vestaboard_url", "initial_prompt",
 * "configured"}, in that order (times, days, dates, kind and URL as their text forms), as GET
 * /api/v1/displays/{name} answers. name NULL leaves "name" out; configured < 0 leaves "configured"
 * out. A new reference. */
struct json_t *display_config_to_json(const char *name, const struct display_config *d,
                                      int configured);
/* One key's value: an integer, a boolean or display_field_format's text. A new reference. */
struct json_t *display_field_to_json(const struct display_config *d, const struct display_field *f);
/* Apply obj's keys onto d, then display_config_check. Strings are taken as text, whole numbers
 * and booleans (yes/no) too, an array of strings as their list with commas, each through
 * display_config_set; "name", "configured" and "prompt_url" (what a GET adds) are skipped, and so
 * is any other key flags allow. 0, or -EINVAL with a reason (not an object, a value of another
 * type, a bad value, an unknown key, the whole-config rules); on failure d is unchanged. */
int display_config_from_json(const struct json_t *obj, struct display_config *d, unsigned flags,
                             char *err, size_t errlen);

#endif
