/* support.h: helpers for the integration tests, linked into every test binary.
 *
 * - a real panicd in a temporary state dir (start, restart, kill -9, stop, clean up);
 * - blocking HTTP requests with libcurl (status, body, response headers);
 * - Server-Sent Events clients on one libcurl multi handle, so several streams run at once in
 *   the test's single thread; each parses its events incrementally into a list.
 *
 * Nothing here runs at load time: libcurl is set up on first use and released by
 * support_done(), which a test binary that used HTTP calls before it exits. */
#ifndef PANIC_TEST_SUPPORT_H
#define PANIC_TEST_SUPPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- time ---- */

int64_t support_now_ms(void); /* monotonic */
void support_sleep_ms(int ms);

/* ---- the daemon ---- */

struct daemon {
    pid_t pid; /* 0 when not running */
    char dir[256];
    char config[300];
    char url[128];
    char token[128];
};

/* "$PANIC_BUILD/panicd" (PANIC_BUILD defaults to "build"), into buf. */
const char *daemon_binary(char *buf, size_t len);
/* $PANIC_BUILD, or "build". */
const char *support_build_dir(void);
/* $PANIC_BUILD/panicctl ARGS (a shell word list) against d with its admin token; stdout and
 * stderr into out. The exit code, or -1. */
int daemon_ctl(const struct daemon *d, const char *args, char *out, size_t len);
/* One integer from d's database (its own read-only connection); -1 on failure. */
long long daemon_db_int(const struct daemon *d, const char *sql);
/* How many lines of d's panicd.log contain needle. */
int daemon_log_count(const struct daemon *d, const char *needle);

/* Create a state dir under /tmp, write its config (listen 127.0.0.1:0, state_dir, dummy latency 0,
 * a 1 s SSE heartbeat, then extra_config's lines, which override), start panicd with stderr to
 * DIR/panicd.log and wait up to 10 s until DIR/panicd.url exists and /api/v1/health answers 200.
 * Fills url and token (DIR/admin.token). 0, or -1 with the reason printed. */
int daemon_start(struct daemon *d, const char *extra_config);
/* In a TEST (tests/test.h): start panicd, or record the failure and leave the test. */
#define DAEMON_START_OR_FAIL(d, extra)                                                             \
    do {                                                                                           \
        if (daemon_start((d), (extra)) < 0) {                                                      \
            CHECK(!"panicd started");                                                              \
            daemon_cleanup(d);                                                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)
/* Start panicd again on the same state dir and config (after a stop or kill -9). */
int daemon_restart(struct daemon *d);
/* SIGKILL and reap. */
void daemon_kill9(struct daemon *d);
/* SIGTERM, then wait up to timeout_ms. The exit code (0-255), 128 + signal if it died of a
 * signal, or -1 if it did not end in time (it is then killed). *elapsed_ms if not NULL. */
int daemon_stop(struct daemon *d, int timeout_ms, int64_t *elapsed_ms);
/* 1 if the process is still running (waitpid WNOHANG). */
int daemon_alive(struct daemon *d);
/* Print the last lines of DIR/panicd.log (for a failing test). */
void daemon_print_log(const struct daemon *d, int lines);
/* Kill the daemon if it still runs and remove the state dir. */
void daemon_cleanup(struct daemon *d);

/* Run panicd with the given arguments (argv[0] is added), stdout and stderr captured into out
 * (NUL-terminated, truncated to outlen). The exit code, 128 + signal, or -1 on a timeout. */
int panicd_run(const char *const *args, int timeout_ms, char *out, size_t outlen);

/* rm -rf path (files and directories only); 0 or -1. */
int remove_tree(const char *path);
/* Write a whole file; 0 or -1. */
int write_file(const char *path, const void *data, size_t len);
/* A new file /tmp/panic-test-XXXXXX holding text, its name into path (len >= 32); 0 or -1. The
 * caller unlinks it. */
int write_temp_file(char *path, size_t len, const char *text);

/* ---- HTTP ---- */

struct resp {
    long status; /* 0 if the request failed at the transport level */
    char *body;  /* NUL-terminated (the NUL is not counted in len) */
    size_t len;
    char *headers; /* the raw response header block(s) */
    char error[256];
};

/* One request. token: bearer token or NULL; body may be NULL. Returns the status (0 on a
 * transport error, with resp->error set). Free out with resp_free. */
long http(const char *method, const char *url, const char *token, const char *body, size_t body_len,
          struct resp *out);
/* Same with extra request headers: a NULL-terminated array of "Name: value" strings. */
long http_ex(const char *method, const char *url, const char *token, const char *body,
             size_t body_len, const char *const *headers, int timeout_ms, struct resp *out);
void resp_free(struct resp *r);
/* Copy the value of the last response header `name` (case-insensitive) into buf; 1 if found. */
int resp_header(const struct resp *r, const char *name, char *buf, size_t len);
/* The body parsed as JSON (new reference) or NULL. */
json_t *resp_json(const struct resp *r);

/* Convenience: method + d->url + path, the body as text (may be NULL), the reply parsed as JSON
 * (NULL if it is not JSON); *status gets the status code. */
json_t *api_json(const struct daemon *d, const char *method, const char *path, const char *token,
                 const char *body, long *status);
/* POST a prompt to network net with an Authorization token (may be NULL) and an optional
 * ?token= query; the status, *out the reply (if out). */
long api_post_prompt(const struct daemon *d, long long net, const char *token,
                     const char *query_token, const char *prompt, json_t **out);
/* Just the status code of method + d->url + path. */
long api_status(const struct daemon *d, const char *method, const char *path, const char *token,
                const char *body);

/* Integer member of a JSON object, or def if missing or not an integer. */
long long json_int_of(const json_t *obj, const char *key, long long def);
/* String member of a JSON object, or NULL. */
const char *json_str_of(const json_t *obj, const char *key);

/* Release libcurl (closes any SSE client still open) after support_reap. */
void support_done(void);

/* End what a test left behind, as test_teardown (tests/test.h) after every integration test: a
 * panicd or panic-display still running is killed (its log's tail printed), the state dirs of
 * daemons not cleaned up are removed, SSE clients still open are closed. After a test that ran
 * to its end there is nothing to do; after a REQUIRE ended one early, the next starts clean. */
void support_reap(void);

/* ---- Server-Sent Events ---- */

struct sse_msg {
    long long id; /* the id: field of this event, -1 if it had none */
    char *event;  /* "message" when the event had no event: field */
    char *data;
    json_t *json; /* data parsed as JSON, or NULL */
};

struct sse_client {
    void *easy;
    void *hdrs;
    long status; /* HTTP status once known */
    int done;    /* the transfer ended (closed by the server or failed) */
    int result;  /* CURLcode when done */
    size_t comments;
    struct sse_msg *events;
    size_t nevents, cap;
    /* parser state */
    char *line;
    size_t line_len, line_cap;
    char *data;
    size_t data_len, data_cap;
    char event_name[64];
    long long cur_id;
    int skip_lf;
    struct sse_client *next;
};

/* Open a stream; last_event_id (or NULL) goes into the Last-Event-ID header. NULL on failure. */
struct sse_client *sse_open(const char *url, const char *last_event_id);
/* Move every open client's transfers along for up to ms (at least one poll). */
void sse_pump(int ms);
/* Pump until an event at index >= from matches pred (NULL matches any); its index, or -1 on a
 * timeout or when the stream ended with nothing matching. */
typedef int (*sse_pred_fn)(const struct sse_msg *ev, void *user);
long sse_wait_for(struct sse_client *c, size_t from, sse_pred_fn pred, void *user, int timeout_ms);
/* Pump until the client has at least n events; 1 if it got there. */
int sse_wait_count(struct sse_client *c, size_t n, int timeout_ms);
void sse_close(struct sse_client *c);

/* Helpers for panicd's events. */
int sse_is(const struct sse_msg *ev, const char *name);
/* run/seq of an event's JSON data, -1 if missing. */
long long sse_run(const struct sse_msg *ev);
long long sse_seq(const struct sse_msg *ev);
/* The "state" string of the data or "". */
const char *sse_state(const struct sse_msg *ev);

/* ---- an offscreen panic-display under test ---- */
#include "display/core/app.h"
#include "display/core/drawlist.h"
#include <SDL.h>

struct display {
    pid_t pid;
    char dir[256]; /* its temp dir: state/, frames/latest.png, display.log */
    char png[400];
    int w, h;
};

/* Start $PANIC_BUILD/panic-display --offscreen named name (NULL: its default) at w x h against
 * coordinator, writing
 * frames/latest.png every 3 frames at 20 fps; extra: more arguments (NULL-terminated) or NULL.
 * With disp->dir already set (a second start) it keeps that state dir. 0 or -1. */
int display_start(struct display *disp, const char *coordinator, const char *name, int w, int h,
                  const char *const *extra);
/* SIGTERM; 0 if it exited 0 within 5 s (else it is killed and -1). */
int display_stop(struct display *disp);
/* The latest frame as an ARGB8888 surface (SDL_FreeSurface), NULL if none yet. */
SDL_Surface *display_frame(const struct display *disp);
/* Fraction of the pixels of r that are exactly rgb (0xRRGGBB). */
double frame_share(SDL_Surface *s, struct rect r, Uint32 rgb);
/* Poll frames until pred holds (1) or timeout_ms passes (0). */
typedef int (*frame_pred)(SDL_Surface *s, const struct app *a);
int display_wait(const struct display *disp, const struct app *a, frame_pred pred, int timeout_ms);
/* Predicates on a whole frame (its size is the surface's): the genesis' rose "P!" fills cell 0;
 * the offline square shows while cell 0 keeps content; the offline square is gone. */
int frame_genesis_shown(SDL_Surface *s, const struct app *a);
int frame_offline_with_content(SDL_Surface *s, const struct app *a);
int frame_online(SDL_Surface *s, const struct app *a);
/* Print the tail of the display's log (when a test failed). */
void display_print_log(const struct display *disp, int lines);

/* ---- raw connections from a chosen loopback address (hostile-client tests and benchmarks) ---- */
/* The daemon's port, from its URL. */
int daemon_port(const struct daemon *d);
/* A non-blocking TCP connection from src (a loopback address) to 127.0.0.1:port, connected
 * within 2 s; rcvbuf > 0 shrinks its receive buffer (a client that reads little). fd or -1. */
int raw_connect(int port, const char *src, int rcvbuf);
/* Send all of s at once: 0, or -1. */
int raw_send(int fd, const char *s);
/* Read until the end of a response head (or timeout_ms): its status, 0 if none came; the head
 * into head (NUL-terminated) if not NULL. */
int raw_read_head(int fd, int timeout_ms, char *head, size_t len);
/* 1 once the peer has closed fd (EOF or reset), 0 while it is open; drops at most max bytes. */
int raw_peer_closed(int fd, size_t max);
/* VmRSS of pid in KiB, -1 if unknown. */
long proc_rss_kb(pid_t pid);
/* n events of about size bytes each for network net, written straight into a stopped daemon's
 * event log (each numbered in its data); 0 or -1. */
int daemon_seed_events(const struct daemon *d, long long net, int n, size_t size);

#endif
