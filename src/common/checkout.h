/* checkout.h: whether this program runs from the build tree of a checkout (build/ or
 * build/test/ below a repository that holds fonts/), so that it can use the checkout's font and
 * a ./state-style directory instead of the installed paths. */
#ifndef PANIC_CHECKOUT_H
#define PANIC_CHECKOUT_H

#define CHECKOUT_FONT "fonts/DepartureMono-Regular.otf"

/* The checkout's root when the running program sits one or two levels below it (found through
 * /proc/self/exe and the checkout's font); NULL when installed. Static storage, looked up once. */
const char *checkout_root(void);

#endif
