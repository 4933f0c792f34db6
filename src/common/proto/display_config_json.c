/* display_config_json.c: a display's configuration to and from JSON (see display_config_json.h).
 * Every value is checked by display_config.c from its text form, so the JSON, the config file and
 * panicctl refuse the same things with the same words. jansson only; no I/O. */
#include "display_config_json.h"
#include "common/util.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

json_t *display_field_to_json(const struct display_config *d, const struct display_field *f)
{
    long long v = display_field_get(d, f);
    if (f->type == DISPLAY_FIELD_BOOL)
        return json_boolean(v);
    if (f->type == DISPLAY_FIELD_INT)
        return json_integer((json_int_t)v);
    char text[DISPLAY_HOLIDAYS_MAX * 11 + DISPLAY_URL_MAX];
    display_field_format(d, f, text, sizeof text);
    return json_string(text);
}

json_t *display_config_to_json(const char *name, const struct display_config *d, int configured)
{
    json_t *j = json_object();
    if (!j)
        abort(); /* jansson only fails here on out of memory */
    if (name)
        json_object_set_new(j, "name", json_string(name));
    const struct display_field *f;
    for (size_t i = 0; (f = display_field_at(i)); i++)
        json_object_set_new(j, f->key, display_field_to_json(d, f));
    if (configured >= 0)
        json_object_set_new(j, "configured", json_boolean(configured));
    return j;
}

/* The text display_config_set takes for v; 0, or -EINVAL with a reason. An array of strings
 * (tv_holidays) is their list with commas. */
static int value_text(const char *key, json_t *v, char *text, size_t len, char *err, size_t errlen)
{
    const struct display_field *f = display_field_find(key);
    if (json_is_array(v) && f && f->type == DISPLAY_FIELD_DATES) {
        size_t i, n = 0;
        json_t *x;
        text[0] = '\0';
        json_array_foreach(v, i, x)
        {
            if (!json_is_string(x) || n >= len) {
                snprintf(err, errlen, "%s must be a list of strings", key);
                return -EINVAL;
            }
            n += (size_t)snprintf(text + n, len - n, "%s%s", i ? "," : "", json_string_value(x));
        }
    } else if (json_is_string(v))
        snprintf(text, len, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(text, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_boolean(v))
        snprintf(text, len, "%s", json_is_true(v) ? "yes" : "no");
    else {
        snprintf(err, errlen, "%s must be a string, a whole number or a boolean", key);
        return -EINVAL;
    }
    return 0;
}

int display_config_from_json(const json_t *obj, struct display_config *d, unsigned flags, char *err,
                             size_t errlen)
{
    if (!json_is_object(obj)) {
        snprintf(err, errlen, "a display's config must be a JSON object");
        return -EINVAL;
    }
    struct display_config c = *d;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        char text[DISPLAY_HOLIDAYS_MAX * 11 + DISPLAY_URL_MAX];
        if (!strcmp(key, "name") || !strcmp(key, "configured") || !strcmp(key, "prompt_url"))
            continue;
        if (!display_field_find(key) && (flags & DISPLAY_CONFIG_JSON_IGNORE_UNKNOWN))
            continue;
        if (value_text(key, v, text, sizeof text, err, errlen) < 0 ||
            display_config_set(&c, key, text, err, errlen) < 0)
            return -EINVAL;
    }
    if (display_config_check(&c, err, errlen) < 0)
        return -EINVAL;
    *d = c;
    return 0;
}
