/* support.c: shared helpers for the integration tests (see support.h). No global side effects
 * at load time: libcurl and the SSE multi handle are created on first use. */
#include "support.h"
#include "display/core/layout.h"

#include <SDL_image.h>

#include <curl/curl.h>
#include <sys/socket.h>
#include <sqlite3.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- small things ---- */

int64_t support_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void support_sleep_ms(int ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static void *must_alloc(void *p)
{
    if (!p) {
        fputs("support: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *dup_str(const char *s)
{
    return must_alloc(strdup(s));
}

/* A growable byte buffer, always NUL-terminated. */
struct sbuf {
    char *data;
    size_t len, cap;
};

static void sbuf_add(struct sbuf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = must_alloc(realloc(b->data, cap));
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, len, f) == len;
    if (fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

int write_temp_file(char *path, size_t len, const char *text)
{
    snprintf(path, len, "/tmp/panic-test-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    if (write_file(path, text, strlen(text)) < 0) {
        unlink(path);
        return -1;
    }
    return 0;
}

/* The first line of a file, without its newline, into buf; 0 or -1. */
static int read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf[0] ? 0 : -1;
}

int remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(sb.st_mode))
        return unlink(path);
    DIR *dir = opendir(path);
    if (!dir)
        return -1;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *child = must_alloc(malloc(n));
        snprintf(child, n, "%s/%s", path, e->d_name);
        if (remove_tree(child) < 0)
            rc = -1;
        free(child);
    }
    closedir(dir);
    if (rmdir(path) < 0)
        rc = -1;
    return rc;
}

/* ---- processes ---- */

/* Every panicd and panic-display started here, for support_reap: pid 0 once it has ended; the
 * entry goes when daemon_cleanup removes the daemon's dir (a test removes a display's dir itself,
 * so support_reap finds it gone). */
struct child {
    pid_t pid;
    char dir[256];
    const char *log; /* its log file in dir */
};
static struct child children[16];

static void track(pid_t pid, const char *dir, const char *log)
{
    struct child *free_slot = NULL;
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++) {
        struct child *c = &children[i];
        if (c->dir[0] && !strcmp(c->dir, dir)) {
            c->pid = pid;
            return;
        }
        if (!c->dir[0] && !free_slot)
            free_slot = c;
    }
    if (!free_slot) {
        printf("  support: more than %zu children at once are not tracked\n",
               sizeof children / sizeof children[0]);
        return;
    }
    free_slot->pid = pid;
    snprintf(free_slot->dir, sizeof free_slot->dir, "%s", dir);
    free_slot->log = log;
}

/* The child pid ended (and was reaped); with forget, its entry goes too. */
static void untrack(pid_t pid, const char *dir, int forget)
{
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++) {
        struct child *c = &children[i];
        if ((pid > 0 && c->pid == pid) || (dir && dir[0] && !strcmp(c->dir, dir))) {
            c->pid = 0;
            if (forget)
                memset(c, 0, sizeof *c);
        }
    }
}

const char *support_build_dir(void)
{
    const char *b = getenv("PANIC_BUILD");
    return b && *b ? b : "build";
}

const char *daemon_binary(char *buf, size_t len)
{
    snprintf(buf, len, "%s/panicd", support_build_dir());
    return buf;
}

int daemon_ctl(const struct daemon *d, const char *args, char *out, size_t len)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "PANIC_TOKEN='%s' '%s/panicctl' --coordinator '%s' %s 2>&1", d->token,
             support_build_dir(), d->url, args);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    int status = pclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

long long daemon_db_int(const struct daemon *d, const char *sql)
{
    char db[400];
    snprintf(db, sizeof db, "%s/panic.sqlite", d->dir);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

int daemon_log_count(const struct daemon *d, const char *needle)
{
    char path[400], line[4096];
    snprintf(path, sizeof path, "%s/panicd.log", d->dir);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

/* In a child after fork: die with the test binary, close inherited descriptors. */
static void child_setup(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
}

/* Decode a wait status: exit code, or 128 + signal. */
static int wait_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

/* waitpid with a timeout; the code as wait_code, or -1 if it is still running. */
static int wait_timeout(pid_t pid, int timeout_ms)
{
    int64_t end = support_now_ms() + timeout_ms;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return wait_code(status);
        if (r < 0)
            return -1;
        if (support_now_ms() >= end)
            return -1;
        support_sleep_ms(10);
    }
}

static pid_t spawn_daemon(const struct daemon *d)
{
    char bin[512], log_path[320];
    daemon_binary(bin, sizeof bin);
    snprintf(log_path, sizeof log_path, "%s/panicd.log", d->dir);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int null_fd = open("/dev/null", O_RDWR);
        if (log_fd >= 0)
            dup2(log_fd, 2);
        if (null_fd >= 0) {
            dup2(null_fd, 0);
            dup2(null_fd, 1);
        }
        child_setup();
        execl(bin, bin, "--config", d->config, (char *)NULL);
        dprintf(2, "support: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Wait for DIR/panicd.url and a 200 from /api/v1/health. */
static int wait_ready(struct daemon *d)
{
    char path[320];
    snprintf(path, sizeof path, "%s/panicd.url", d->dir);
    int64_t end = support_now_ms() + 10000;
    int have_url = 0;
    while (support_now_ms() < end) {
        if (!daemon_alive(d)) {
            printf("  support: panicd exited during start-up\n");
            daemon_print_log(d, 20);
            return -1;
        }
        if (!have_url && read_line(path, d->url, sizeof d->url) == 0)
            have_url = 1;
        if (have_url) {
            char url[256];
            struct resp r;
            snprintf(url, sizeof url, "%s/api/v1/health", d->url);
            long st = http_ex("GET", url, NULL, NULL, 0, NULL, 1000, &r);
            resp_free(&r);
            if (st == 200) {
                char tpath[320];
                snprintf(tpath, sizeof tpath, "%s/admin.token", d->dir);
                if (read_line(tpath, d->token, sizeof d->token) < 0) {
                    printf("  support: no admin token in %s\n", tpath);
                    return -1;
                }
                return 0;
            }
        }
        support_sleep_ms(20);
    }
    printf("  support: panicd did not become ready in 10 s\n");
    daemon_print_log(d, 20);
    return -1;
}

int daemon_start(struct daemon *d, const char *extra_config)
{
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "/tmp/panic-it-XXXXXX");
    if (!mkdtemp(d->dir)) {
        printf("  support: mkdtemp: %s\n", strerror(errno));
        d->dir[0] = '\0';
        return -1;
    }
    snprintf(d->config, sizeof d->config, "%s/panicd.conf", d->dir);
    struct sbuf conf = {0};
    char line[512];
    int n = snprintf(line, sizeof line,
                     "# written by tests/support.c\n"
                     "listen 127.0.0.1:0\n"
                     "state_dir %s\n"
                     "dummy_latency_ms 0\n"
                     "default_network dummy\n"
                     "sse_heartbeat_seconds 1\n",
                     d->dir);
    sbuf_add(&conf, line, (size_t)n);
    if (extra_config) {
        sbuf_add(&conf, extra_config, strlen(extra_config));
        sbuf_add(&conf, "\n", 1);
    }
    int rc = write_file(d->config, conf.data, conf.len);
    free(conf.data);
    if (rc < 0) {
        printf("  support: cannot write %s\n", d->config);
        return -1;
    }
    return daemon_restart(d);
}

int daemon_restart(struct daemon *d)
{
    char path[320];
    snprintf(path, sizeof path, "%s/panicd.url", d->dir);
    unlink(path); /* so we wait for the new one */
    d->url[0] = '\0';
    d->pid = spawn_daemon(d);
    if (d->pid <= 0) {
        d->pid = 0;
        printf("  support: fork: %s\n", strerror(errno));
        return -1;
    }
    track(d->pid, d->dir, "panicd.log");
    return wait_ready(d);
}

void daemon_kill9(struct daemon *d)
{
    if (d->pid <= 0)
        return;
    kill(d->pid, SIGKILL);
    int status;
    while (waitpid(d->pid, &status, 0) < 0 && errno == EINTR) {
    }
    untrack(d->pid, NULL, 0);
    d->pid = 0;
}

int daemon_stop(struct daemon *d, int timeout_ms, int64_t *elapsed_ms)
{
    if (d->pid <= 0)
        return -1;
    int64_t start = support_now_ms();
    kill(d->pid, SIGTERM);
    int code = wait_timeout(d->pid, timeout_ms);
    if (elapsed_ms)
        *elapsed_ms = support_now_ms() - start;
    if (code < 0) {
        printf("  support: panicd did not stop within %d ms; killing it\n", timeout_ms);
        daemon_kill9(d);
        return -1;
    }
    untrack(d->pid, NULL, 0);
    d->pid = 0;
    return code;
}

int daemon_alive(struct daemon *d)
{
    if (d->pid <= 0)
        return 0;
    int status;
    pid_t r = waitpid(d->pid, &status, WNOHANG);
    if (r == 0)
        return 1;
    if (r == d->pid) {
        printf("  support: panicd pid %d ended with code %d\n", (int)d->pid, wait_code(status));
        untrack(d->pid, NULL, 0);
        d->pid = 0;
    }
    return 0;
}

/* The last lines of a file, each as "  | line", under a heading naming it. */
static void print_tail(const char *path, int lines)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    struct sbuf all = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sbuf_add(&all, chunk, n);
    fclose(f);
    if (!all.data)
        return;
    size_t start = all.len;
    int seen = 0;
    while (start > 0) {
        if (all.data[start - 1] == '\n' && start != all.len && ++seen >= lines)
            break;
        start--;
    }
    printf("  --- %s (last %d lines) ---\n", path, lines);
    for (char *p = all.data + start; *p;) {
        char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        printf("  | %.*s\n", (int)len, p);
        p += len + (eol ? 1 : 0);
    }
    free(all.data);
}

void daemon_print_log(const struct daemon *d, int lines)
{
    char path[320];
    snprintf(path, sizeof path, "%s/panicd.log", d->dir);
    print_tail(path, lines);
}

void daemon_cleanup(struct daemon *d)
{
    if (d->pid > 0)
        daemon_kill9(d);
    if (d->dir[0] && getenv("PANIC_KEEP_TMP") == NULL)
        remove_tree(d->dir);
    untrack(0, d->dir, 1);
    d->dir[0] = '\0';
}

int panicd_run(const char *const *args, int timeout_ms, char *out, size_t outlen)
{
    char bin[512];
    daemon_binary(bin, sizeof bin);
    const char *argv[32];
    size_t n = 0;
    argv[n++] = bin;
    for (size_t i = 0; args && args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int p[2];
    if (pipe(p) < 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0)
            dup2(null_fd, 0);
        child_setup();
        execv(bin, (char *const *)(uintptr_t)argv);
        dprintf(2, "support: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(p[1]);
    size_t used = 0;
    if (outlen)
        out[0] = '\0';
    int64_t end = support_now_ms() + timeout_ms;
    for (;;) {
        int left = (int)(end - support_now_ms());
        if (left <= 0)
            break;
        struct pollfd pfd = {p[0], POLLIN, 0};
        if (poll(&pfd, 1, left) <= 0)
            continue;
        char chunk[1024];
        ssize_t r = read(p[0], chunk, sizeof chunk);
        if (r <= 0)
            break;
        size_t take = outlen > used + 1 ? outlen - used - 1 : 0;
        if ((size_t)r < take)
            take = (size_t)r;
        memcpy(out + used, chunk, take);
        used += take;
        if (outlen)
            out[used] = '\0';
    }
    close(p[0]);
    int left = (int)(end - support_now_ms());
    int code = wait_timeout(pid, left > 0 ? left : 0);
    if (code < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return code;
}

/* ---- libcurl ---- */

static int curl_ready;

static void curl_setup(void)
{
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = 1;
    }
}

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    sbuf_add(user, p, size * n);
    return size * n;
}

long http(const char *method, const char *url, const char *token, const char *body, size_t body_len,
          struct resp *out)
{
    return http_ex(method, url, token, body, body_len, NULL, 10000, out);
}

long http_ex(const char *method, const char *url, const char *token, const char *body,
             size_t body_len, const char *const *headers, int timeout_ms, struct resp *out)
{
    memset(out, 0, sizeof *out);
    curl_setup();
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(out->error, sizeof out->error, "curl_easy_init failed");
        return 0;
    }
    struct sbuf b = {0}, h = {0};
    struct curl_slist *list = NULL;
    char auth[300];
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        list = curl_slist_append(list, auth);
    }
    for (size_t i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    if (body)
        list = curl_slist_append(list, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (body || !strcmp(method, "POST")) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    } else {
        snprintf(out->error, sizeof out->error, "%s %s: %s", method, url, curl_easy_strerror(rc));
        /* A reply may have arrived even though sending the rest of the body failed. */
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        out->status = code;
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(list);
    sbuf_add(&b, "", 0);
    sbuf_add(&h, "", 0);
    out->body = b.data;
    out->len = b.len;
    out->headers = h.data;
    return out->status;
}

void resp_free(struct resp *r)
{
    free(r->body);
    free(r->headers);
    r->body = r->headers = NULL;
    r->len = 0;
}

int resp_header(const struct resp *r, const char *name, char *buf, size_t len)
{
    int found = 0;
    size_t nl = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        if (n > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
            const char *v = p + nl + 1;
            const char *e = p + n;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            while (e > v && (e[-1] == '\r' || e[-1] == ' '))
                e--;
            snprintf(buf, len, "%.*s", (int)(e - v), v);
            found = 1;
        }
        p += n + (eol ? 1 : 0);
    }
    return found;
}

json_t *resp_json(const struct resp *r)
{
    if (!r->body)
        return NULL;
    return json_loadb(r->body, r->len, 0, NULL);
}

/* POST a prompt to network net with an Authorization token (may be NULL) and an optional
 * ?token= query; the status, *out the reply (if out). */
long api_post_prompt(const struct daemon *d, long long net, const char *token,
                     const char *query_token, const char *prompt, json_t **out)
{
    json_t *b = json_pack("{s:s}", "prompt", prompt);
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    char path[256];
    snprintf(path, sizeof path, "/api/v1/networks/%lld/runs%s%s", net, query_token ? "?token=" : "",
             query_token ? query_token : "");
    long st;
    json_t *j = api_json(d, "POST", path, token, body, &st);
    free(body);
    if (out)
        *out = j;
    else
        json_decref(j);
    return st;
}

json_t *api_json(const struct daemon *d, const char *method, const char *path, const char *token,
                 const char *body, long *status)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", d->url, path);
    struct resp r;
    long st = http(method, url, token, body, body ? strlen(body) : 0, &r);
    if (status)
        *status = st;
    if (st == 0)
        printf("  support: %s\n", r.error);
    json_t *j = resp_json(&r);
    resp_free(&r);
    return j;
}

long api_status(const struct daemon *d, const char *method, const char *path, const char *token,
                const char *body)
{
    long st;
    json_decref(api_json(d, method, path, token, body, &st));
    return st;
}

long long json_int_of(const json_t *obj, const char *key, long long def)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

const char *json_str_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---- Server-Sent Events ---- */

static CURLM *multi;
static struct sse_client *clients;

static void sse_dispatch(struct sse_client *c)
{
    if (c->data) {
        if (c->data_len && c->data[c->data_len - 1] == '\n')
            c->data[--c->data_len] = '\0';
        if (c->nevents == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 64;
            c->events = must_alloc(realloc(c->events, c->cap * sizeof *c->events));
        }
        struct sse_msg *ev = &c->events[c->nevents++];
        ev->id = c->cur_id;
        ev->event = dup_str(c->event_name[0] ? c->event_name : "message");
        ev->data = c->data;
        ev->json = json_loadb(c->data, c->data_len, 0, NULL);
    }
    c->data = NULL;
    c->data_len = c->data_cap = 0;
    c->event_name[0] = '\0';
    c->cur_id = -1;
}

static void sse_line(struct sse_client *c)
{
    const char *s = c->line ? c->line : "";
    size_t len = c->line_len;
    if (len == 0) {
        sse_dispatch(c);
        return;
    }
    if (s[0] == ':') {
        c->comments++;
        return;
    }
    const char *colon = memchr(s, ':', len);
    size_t flen = colon ? (size_t)(colon - s) : len;
    const char *v = colon ? colon + 1 : s + len;
    if (colon && *v == ' ')
        v++;
    size_t vlen = (size_t)(s + len - v);
    if (flen == 4 && !memcmp(s, "data", 4)) {
        struct sbuf b = {c->data, c->data_len, c->data_cap};
        sbuf_add(&b, v, vlen);
        sbuf_add(&b, "\n", 1);
        c->data = b.data;
        c->data_len = b.len;
        c->data_cap = b.cap;
    } else if (flen == 5 && !memcmp(s, "event", 5)) {
        snprintf(c->event_name, sizeof c->event_name, "%.*s", (int)vlen, v);
    } else if (flen == 2 && !memcmp(s, "id", 2)) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%.*s", (int)vlen, v);
        char *end;
        long long id = strtoll(tmp, &end, 10);
        c->cur_id = (*tmp && !*end) ? id : -2; /* -2: an id that is not a number */
    }
}

static size_t on_sse(char *p, size_t size, size_t n, void *user)
{
    struct sse_client *c = user;
    size_t total = size * n;
    for (size_t i = 0; i < total; i++) {
        char ch = p[i];
        if (c->skip_lf) {
            c->skip_lf = 0;
            if (ch == '\n')
                continue;
        }
        if (ch == '\r' || ch == '\n') {
            c->skip_lf = ch == '\r';
            sse_line(c);
            c->line_len = 0;
            continue;
        }
        struct sbuf b = {c->line, c->line_len, c->line_cap};
        sbuf_add(&b, &ch, 1);
        c->line = b.data;
        c->line_len = b.len;
        c->line_cap = b.cap;
    }
    return total;
}

struct sse_client *sse_open(const char *url, const char *last_event_id)
{
    curl_setup();
    if (!multi) {
        multi = curl_multi_init();
        if (!multi)
            return NULL;
    }
    struct sse_client *c = must_alloc(calloc(1, sizeof *c));
    c->cur_id = -1;
    CURL *e = curl_easy_init();
    if (!e) {
        free(c);
        return NULL;
    }
    struct curl_slist *list = curl_slist_append(NULL, "Accept: text/event-stream");
    if (last_event_id) {
        char h[96];
        snprintf(h, sizeof h, "Last-Event-ID: %s", last_event_id);
        list = curl_slist_append(list, h);
    }
    c->easy = e;
    c->hdrs = list;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_sse);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_PRIVATE, c);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_multi_add_handle(multi, e);
    c->next = clients;
    clients = c;
    return c;
}

static void pump_messages(void)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct sse_client *c = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
        if (c) {
            c->done = 1;
            c->result = (int)m->data.result;
        }
    }
    for (struct sse_client *c = clients; c; c = c->next)
        if (!c->status)
            curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->status);
}

static void pump_once(int ms)
{
    if (!multi || !clients) {
        support_sleep_ms(ms);
        return;
    }
    int running;
    curl_multi_perform(multi, &running);
    pump_messages();
    curl_multi_poll(multi, NULL, 0, ms, NULL);
    curl_multi_perform(multi, &running);
    pump_messages();
}

void sse_pump(int ms)
{
    int64_t end = support_now_ms() + ms;
    do {
        int64_t left = end - support_now_ms();
        pump_once(left > 0 ? (int)left : 0);
    } while (support_now_ms() < end);
}

long sse_wait_for(struct sse_client *c, size_t from, sse_pred_fn pred, void *user, int timeout_ms)
{
    int64_t end = support_now_ms() + timeout_ms;
    size_t next = from;
    for (;;) {
        for (; next < c->nevents; next++)
            if (!pred || pred(&c->events[next], user))
                return (long)next;
        if (c->done)
            return -1;
        int64_t left = end - support_now_ms();
        if (left <= 0)
            return -1;
        pump_once(left < 50 ? (int)left : 50);
    }
}

int sse_wait_count(struct sse_client *c, size_t n, int timeout_ms)
{
    if (n == 0)
        return 1;
    return sse_wait_for(c, n - 1, NULL, NULL, timeout_ms) >= 0;
}

void sse_close(struct sse_client *c)
{
    if (!c)
        return;
    for (struct sse_client **pp = &clients; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    curl_multi_remove_handle(multi, c->easy);
    curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->hdrs);
    for (size_t i = 0; i < c->nevents; i++) {
        free(c->events[i].event);
        free(c->events[i].data);
        json_decref(c->events[i].json);
    }
    free(c->events);
    free(c->line);
    free(c->data);
    free(c);
    if (!clients && multi) {
        curl_multi_cleanup(multi);
        multi = NULL;
    }
}

void support_reap(void)
{
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++) {
        struct child *c = &children[i];
        if (c->pid > 0) {
            kill(c->pid, SIGKILL);
            while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR) {
            }
            char path[320];
            snprintf(path, sizeof path, "%s/%s", c->dir, c->log);
            printf("  support: the test left pid %d running (%s): killed\n", (int)c->pid, path);
            print_tail(path, 20);
        }
        if (c->dir[0] && getenv("PANIC_KEEP_TMP") == NULL)
            remove_tree(c->dir);
        memset(c, 0, sizeof *c);
    }
    while (clients)
        sse_close(clients);
}

void support_done(void)
{
    support_reap();
    if (curl_ready) {
        curl_global_cleanup();
        curl_ready = 0;
    }
}

int sse_is(const struct sse_msg *ev, const char *name)
{
    return !strcmp(ev->event, name);
}

long long sse_run(const struct sse_msg *ev)
{
    return json_int_of(ev->json, "run", -1);
}

long long sse_seq(const struct sse_msg *ev)
{
    return json_int_of(ev->json, "seq", -1);
}

const char *sse_state(const struct sse_msg *ev)
{
    const char *s = json_str_of(ev->json, "state");
    return s ? s : "";
}

/* ---- an offscreen panic-display under test ---- */

int display_start(struct display *disp, const char *coordinator, const char *name, int w, int h,
                  const char *const *extra)
{
    if (!disp->dir[0]) {
        snprintf(disp->dir, sizeof disp->dir, "/tmp/panic-it-display-XXXXXX");
        if (!mkdtemp(disp->dir))
            return -1;
    }
    disp->w = w;
    disp->h = h;
    char state[300], frames[300], bin[256], size[32], log[300];
    snprintf(state, sizeof state, "%s/state", disp->dir);
    snprintf(frames, sizeof frames, "%s/frames", disp->dir);
    snprintf(disp->png, sizeof disp->png, "%s/latest.png", frames);
    snprintf(log, sizeof log, "%s/display.log", disp->dir);
    const char *build = getenv("PANIC_BUILD") ? getenv("PANIC_BUILD") : "build";
    snprintf(bin, sizeof bin, "%s/panic-display", build);
    snprintf(size, sizeof size, "%dx%d", w, h);
    const char *argv[48] = {bin,
                            "--offscreen",
                            "--coordinator",
                            coordinator,
                            "--name",
                            name,
                            "--state-dir",
                            state,
                            "--frames",
                            "0",
                            "--fps",
                            "20",
                            "--screenshot",
                            frames,
                            "--screenshot-every",
                            "3",
                            "--window",
                            size,
                            "--font",
                            "fonts/DepartureMono-Regular.otf"};
    size_t n = 20;
    if (!name) { /* no --name: the display's own default */
        memmove(&argv[4], &argv[6], (n - 6) * sizeof argv[0]);
        n -= 2;
    }
    for (size_t i = 0; extra && extra[i] && n < 46; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    disp->pid = fork();
    if (disp->pid == 0) {
        FILE *f = freopen(log, "w", stderr);
        (void)f;
        setenv("SDL_AUDIODRIVER", "dummy", 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    if (disp->pid <= 0)
        return -1;
    track(disp->pid, disp->dir, "display.log");
    return 0;
}

int display_stop(struct display *disp)
{
    kill(disp->pid, SIGTERM);
    int status = 0;
    int64_t until = support_now_ms() + 5000;
    pid_t r = 0;
    while ((r = waitpid(disp->pid, &status, WNOHANG)) == 0 && support_now_ms() < until)
        support_sleep_ms(50);
    if (r == 0) {
        kill(disp->pid, SIGKILL);
        waitpid(disp->pid, &status, 0);
    }
    untrack(disp->pid, NULL, 0);
    return r == disp->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

SDL_Surface *display_frame(const struct display *disp)
{
    SDL_Surface *raw = IMG_Load(disp->png);
    if (!raw)
        return NULL;
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(raw);
    return s;
}

double frame_share(SDL_Surface *s, struct rect r, Uint32 rgb)
{
    long hit = 0, all = 0;
    for (int y = r.y; y < r.y + r.h && y < s->h; y++) {
        const Uint32 *row = (const Uint32 *)((const Uint8 *)s->pixels + y * s->pitch);
        for (int x = r.x; x < r.x + r.w && x < s->w; x++, all++)
            hit += (row[x] & 0xffffff) == rgb;
    }
    return all ? (double)hit / (double)all : 0;
}

#define FRAME_ROSE 0xf43f5e
#define FRAME_BACKGROUND 0x18181b

int frame_genesis_shown(SDL_Surface *s, const struct app *a)
{
    return frame_share(s, layout_cell_rect(a, s->w, s->h, 0), FRAME_ROSE) > 0.3;
}

int frame_offline_with_content(SDL_Surface *s, const struct app *a)
{
    return frame_share(s, layout_offline_rect(s->w, s->h), FRAME_ROSE) > 0.5 &&
           frame_share(s, layout_cell_rect(a, s->w, s->h, 0), FRAME_BACKGROUND) < 0.5;
}

int frame_online(SDL_Surface *s, const struct app *a)
{
    (void)a;
    return frame_share(s, layout_offline_rect(s->w, s->h), FRAME_ROSE) < 0.05;
}

int display_wait(const struct display *disp, const struct app *a, frame_pred pred, int timeout_ms)
{
    int64_t until = support_now_ms() + timeout_ms;
    while (support_now_ms() < until) {
        SDL_Surface *s = display_frame(disp);
        int ok = s && pred(s, a);
        SDL_FreeSurface(s);
        if (ok)
            return 1;
        support_sleep_ms(100);
    }
    return 0;
}

void display_print_log(const struct display *disp, int lines)
{
    char path[320];
    snprintf(path, sizeof path, "%s/display.log", disp->dir);
    print_tail(path, lines);
}

/* ---- raw connections from a chosen loopback address (hostile-client tests and benchmarks) ---- */

int daemon_port(const struct daemon *d)
{
    const char *colon = strrchr(d->url, ':');
    return colon ? atoi(colon + 1) : 0;
}

int raw_connect(int port, const char *src, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, src, &a.sin_addr);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        goto fail;
    if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
        if (errno != EINPROGRESS)
            goto fail;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t len = sizeof err;
        if (poll(&p, 1, 2000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
            goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

int raw_send(int fd, const char *s)
{
    size_t len = strlen(s);
    return send(fd, s, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

int raw_read_head(int fd, int timeout_ms, char *head, size_t len)
{
    char buf[4096];
    size_t n = 0;
    int64_t end = support_now_ms() + timeout_ms;
    while (n < sizeof buf - 1 && support_now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    buf[n] = '\0';
    if (head && len)
        snprintf(head, len, "%s", buf);
    int status = 0;
    return sscanf(buf, "HTTP/1.%*d %d", &status) == 1 ? status : 0;
}

int raw_peer_closed(int fd, size_t max)
{
    char buf[16384];
    size_t got = 0;
    while (got < max) {
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0)
            return 1;
        if (r < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
        got += (size_t)r;
    }
    return 0;
}

long proc_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

int daemon_seed_events(const struct daemon *d, long long net, int n, size_t size)
{
    char path[400];
    snprintf(path, sizeof path, "%s/panic.sqlite", d->dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_open(path, &db) == SQLITE_OK &&
             sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
             sqlite3_prepare_v2(db,
                                "INSERT INTO events(network_id, type, data, created_at) "
                                "VALUES(?1, 'note', ?2, 0)",
                                -1, &st, NULL) == SQLITE_OK;
    char *data = malloc(size + 32);
    memset(data, 'x', size + 32);
    for (int i = 0; ok && i < n; i++) {
        int k = snprintf(data, 32, "{\"i\":%d,\"pad\":\"", i);
        data[k] = 'x';
        memcpy(data + size - 2, "\"}", 3);
        ok = sqlite3_bind_int64(st, 1, net) == SQLITE_OK &&
             sqlite3_bind_text(st, 2, data, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_DONE && sqlite3_reset(st) == SQLITE_OK;
    }
    free(data);
    sqlite3_finalize(st);
    ok = ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return ok ? 0 : -1;
}
