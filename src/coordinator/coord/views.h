/* views.h: the JSON shapes of the HTTP API and the event stream (docs/DESIGN.md), built with
 * jansson. Every function returns a new reference (json_decref) or NULL on a malformed stored
 * value. */
#ifndef PANIC_VIEWS_H
#define PANIC_VIEWS_H

#include "coordinator/core/config.h"
#include "coordinator/core/network.h"
#include "coordinator/core/runner.h"
#include "coordinator/store/store.h"

#include <jansson.h>

json_t *view_invocation(const struct store_invocation *inv);
json_t *view_status(int64_t network_id, const struct runner_status *st);
json_t *view_network(const struct store_network *n);
json_t *view_schedule(const struct schedule *s);
/* Compact JSON text, owned (free()); consumes the reference. */
char *view_dump(json_t *j);

/* Parse a schedule array [{"until_s":600,"delay_s":1},...,{"delay_s":600}]; 0 or -EINVAL + err. */
int view_parse_schedule(const json_t *j, struct schedule *out, char *err, size_t errlen);
/* ISO 8601 UTC of wall ms, or JSON null for 0. */
json_t *view_time(int64_t wall_ms);

#endif
