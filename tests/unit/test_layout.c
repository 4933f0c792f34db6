/* test_layout.c: the display's layout as draw lists (never pixels): grid geometry, which cell an
 * invocation lands in, what each cell state draws, text wrapping and fitting (fuzzed: no text
 * ever leaves its cell), cover cropping, the HUD, the offline dot, the QR corner, info and
 * terminal screens, and a full draw list that counts what it drops instead of crashing. */
#include "common/util.h"
#include "display/core/app.h"
#include "display/core/drawlist.h"
#include "display/core/layout.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct app A;
static struct drawlist DL;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static int fake_image_size(void *user, const char *media, int *iw, int *ih)
{
    (void)user;
    if (!strcmp(media, "wide.png")) {
        *iw = 4000;
        *ih = 1000;
        return 1;
    }
    if (!strcmp(media, "tall.png")) {
        *iw = 1000;
        *ih = 4000;
        return 1;
    }
    return 0; /* anything else: still loading */
}

static struct layout_env env_for(int w, int h, int64_t now)
{
    return (struct layout_env){
        .w = w, .h = h, .now = now, .image_size = fake_image_size, .audible_cell = -1};
}

static void app_grid(int rows, int cols)
{
    app_init(&A, "test");
    struct display_config cfg = A.cfg;
    cfg.network = 1;
    cfg.mode = DISPLAY_MODE_GRID;
    cfg.rows = rows;
    cfg.cols = cols;
    app_set_config(&A, &cfg, 0);
    app_set_run(&A, 1, "a prompt", 0);
    A.online = 1;
}

static void app_single(int offset, int stride, int show_invoking)
{
    app_init(&A, "test");
    struct display_config cfg = A.cfg;
    cfg.network = 1;
    cfg.mode = DISPLAY_MODE_SINGLE;
    cfg.offset = offset;
    cfg.stride = stride;
    cfg.show_invoking = show_invoking;
    app_set_config(&A, &cfg, 0);
    app_set_run(&A, 1, "a prompt", 0);
    A.online = 1;
}

static void app_mode(enum display_mode mode)
{
    app_init(&A, "test");
    struct display_config cfg = A.cfg;
    cfg.network = 1;
    cfg.mode = mode;
    app_set_config(&A, &cfg, 0);
    app_set_run(&A, 1, "the first prompt", 0);
    A.online = 1;
}

static int put(int64_t seq, enum cell_kind kind, const char *text, const char *media)
{
    static struct app_inv inv;
    memset(&inv, 0, sizeof inv);
    inv.id = seq + 100;
    inv.run = A.run;
    inv.seq = seq;
    inv.kind = kind;
    snprintf(inv.model, sizeof inv.model, "dummy");
    snprintf(inv.text, sizeof inv.text, "%s", text ? text : "");
    snprintf(inv.media, sizeof inv.media, "%s", media ? media : "");
    return app_put_invocation(&A, &inv, 0);
}

static int rect_inside(struct rect in, struct rect out)
{
    return in.x >= out.x && in.y >= out.y && in.x + in.w <= out.x + out.w &&
           in.y + in.h <= out.y + out.h;
}

static int rect_overlap(struct rect a, struct rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static int rect_eq(struct rect a, struct rect b)
{
    return a.x == b.x && a.y == b.y && a.w == b.w && a.h == b.h;
}

static int color_eq(struct rgba a, struct rgba b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b && a.a == b.a;
}

static const char *ctext(const struct draw_cmd *d)
{
    static char buf[APP_TEXT_MAX + 1];
    size_t n = d->u.text.len < APP_TEXT_MAX ? d->u.text.len : APP_TEXT_MAX;
    memcpy(buf, d->u.text.text, n);
    buf[n] = '\0';
    return buf;
}

/* The first DRAW_TEXT whose text is exactly s, or NULL. */
static const struct draw_cmd *find_text(const char *s)
{
    for (size_t i = 0; i < DL.n; i++)
        if (DL.cmds[i].kind == DRAW_TEXT && !strcmp(ctext(&DL.cmds[i]), s))
            return &DL.cmds[i];
    return NULL;
}

/* The first DRAW_TEXT containing s, or NULL. */
static const struct draw_cmd *find_text_part(const char *s)
{
    for (size_t i = 0; i < DL.n; i++)
        if (DL.cmds[i].kind == DRAW_TEXT && strstr(ctext(&DL.cmds[i]), s))
            return &DL.cmds[i];
    return NULL;
}

static int count_rects(struct rect r, struct rgba color)
{
    int n = 0;
    for (size_t i = 0; i < DL.n; i++)
        if (DL.cmds[i].kind == DRAW_RECT && rect_eq(DL.cmds[i].r, r) &&
            color_eq(DL.cmds[i].color, color))
            n++;
    return n;
}

static int count_kind(enum draw_kind kind)
{
    int n = 0;
    for (size_t i = 0; i < DL.n; i++)
        n += DL.cmds[i].kind == kind;
    return n;
}

static void frame(int w, int h, int64_t now)
{
    struct layout_env env = env_for(w, h, now);
    layout_frame(&A, &env, &DL);
}

TEST(grid_geometry)
{
    static const int sizes[][2] = {{1920, 1080}, {3840, 2160}, {1080, 1920}, {800, 480},
                                   {1280, 1024}, {640, 360},   {7680, 4320}};
    static const int grids[][2] = {{2, 3}, {1, 1}, {3, 3}, {4, 4}, {16, 16}, {1, 12}, {12, 1}};
    for (size_t s = 0; s < ARRAY_LEN(sizes); s++)
        for (size_t gi = 0; gi < ARRAY_LEN(grids); gi++) {
            int w = sizes[s][0], h = sizes[s][1], rows = grids[gi][0], cols = grids[gi][1];
            app_grid(rows, cols);
            /* the QR code and the HUD are overlays: they never move a cell */
            struct rect bare[256];
            for (int i = 0; i < rows * cols; i++)
                bare[i] = layout_cell_rect(&A, w, h, i);
            snprintf(A.prompt_url, sizeof A.prompt_url, "http://panic.local/t");
            struct rect screen = {0, 0, w, h};
            int n = rows * cols, minx = w, maxx = 0, miny = h, maxy = 0;
            for (int i = 0; i < n; i++) {
                struct rect r = layout_cell_rect(&A, w, h, i);
                CHECK(rect_eq(r, bare[i]));
                CHECK(r.w > 0 && r.h > 0);
                CHECK(rect_inside(r, screen));
                /* 16:9 within 1 px */
                CHECK(abs(r.h * 16 - r.w * 9) <= 16);
                for (int j = 0; j < i; j++)
                    CHECK(!rect_overlap(r, layout_cell_rect(&A, w, h, j)));
                /* reading order: the next cell to the right, or a new row below */
                if (i) {
                    struct rect prev = layout_cell_rect(&A, w, h, i - 1);
                    CHECK((r.y == prev.y && r.x > prev.x) || (r.y > prev.y && r.x <= prev.x));
                }
                if (i % cols && w >= h) { /* landscape: the configured rows x cols */
                    struct rect prev = layout_cell_rect(&A, w, h, i - 1);
                    CHECK(r.y == prev.y && r.x > prev.x);
                }
                minx = r.x < minx ? r.x : minx;
                miny = r.y < miny ? r.y : miny;
                maxx = r.x + r.w > maxx ? r.x + r.w : maxx;
                maxy = r.y + r.h > maxy ? r.y + r.h : maxy;
            }
            /* centred on the whole screen, and filling it across or down (but the gaps) */
            CHECK(abs(minx - (w - maxx)) <= 1);
            CHECK(abs(miny - (h - maxy)) <= 1);
            int gap = w / 60;
            CHECK(minx <= gap + 1 || miny <= gap + 1 + (n > 1 ? 0 : h / 100));
            struct rect none = layout_cell_rect(&A, w, h, n);
            CHECK(none.w == 0 && none.h == 0);
        }
    /* the 2x3 grid on a 1080p screen fills most of it, with a gap of about 1/60 of the width */
    app_grid(2, 3);
    struct rect c0 = layout_cell_rect(&A, 1920, 1080, 0), c1 = layout_cell_rect(&A, 1920, 1080, 1);
    CHECK(c0.w > 560);
    CHECK_NEAR(c1.x - (c0.x + c0.w), 32, 2);
    /* a 4x4 grid fills a 16:9 screen top to bottom, its gaps apart */
    app_grid(4, 4);
    c0 = layout_cell_rect(&A, 1920, 1080, 0);
    struct rect c15 = layout_cell_rect(&A, 1920, 1080, 15);
    CHECK(c0.y <= 17 && c15.y + c15.h >= 1080 - 17 && c0.x < 60);
}

/* A portrait screen (--rotate 90) lays the cells out for its shape: a 2x2 grid becomes a column
 * of four, using most of the screen rather than a strip across its middle. */
TEST(portrait_grid)
{
    app_grid(2, 2);
    long area = 0;
    for (int i = 0; i < 4; i++) {
        struct rect r = layout_cell_rect(&A, 1080, 1920, i);
        area += (long)r.w * r.h;
        if (i)
            CHECK(r.y > layout_cell_rect(&A, 1080, 1920, i - 1).y);
    }
    CHECK(area > 1080L * 1920 / 2);
    app_grid(3, 3);
    area = 0;
    for (int i = 0; i < 9; i++) {
        struct rect r = layout_cell_rect(&A, 1080, 1920, i);
        area += (long)r.w * r.h;
    }
    CHECK(area > 1080L * 1920 / 2);
    /* landscape keeps the configured grid */
    app_grid(2, 2);
    CHECK_EQ_INT(layout_cell_rect(&A, 1920, 1080, 1).y, layout_cell_rect(&A, 1920, 1080, 0).y);
}

TEST(grid_cells_drawn_in_slots)
{
    app_grid(2, 3);
    for (int seq = 0; seq < 6; seq++)
        put(seq, CELL_FAILED, NULL, NULL);
    frame(1920, 1080, 0);
    CHECK_EQ_INT(DL.overflow, 0);
    CHECK_EQ_INT(DL.cmds[0].kind, DRAW_RECT);
    CHECK(rect_eq(DL.cmds[0].r, ((struct rect){0, 0, 1920, 1080})));
    CHECK(color_eq(DL.cmds[0].color, LAYOUT_ZINC_900));
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(count_rects(layout_cell_rect(&A, 1920, 1080, i), LAYOUT_ROSE_950), 1);
}

TEST(seq_to_slot_ring_buffer)
{
    app_grid(2, 3);
    CHECK_EQ_INT(app_slot_for(&A.cfg, 7), 1);
    CHECK(put(1, CELL_TEXT, "one", NULL));
    CHECK_EQ_INT(A.cells[1].seq, 1);
    CHECK(put(7, CELL_TEXT, "seven", NULL));
    CHECK_EQ_INT(A.cells[1].seq, 7);
    CHECK(!put(1, CELL_TEXT, "one", NULL)); /* an older one never comes back */
    frame(1920, 1080, 0);
    const struct draw_cmd *d = find_text("seven");
    CHECK(d != NULL);
    if (d)
        CHECK(rect_inside(d->r, layout_text_box(layout_cell_rect(&A, 1920, 1080, 1))));
    CHECK(find_text("one") == NULL);
    /* another run's invocation is ignored */
    static struct app_inv other;
    other.run = 99;
    other.seq = 2;
    other.kind = CELL_FAILED;
    CHECK(!app_put_invocation(&A, &other, 0));
}

TEST(single_offset_stride)
{
    app_single(1, 4, 1);
    CHECK(put(0, CELL_TEXT, "genesis", NULL)); /* the genesis shows on every single screen */
    CHECK_EQ_INT(A.cells[0].seq, 0);
    CHECK(put(1, CELL_TEXT, "s1", NULL));
    CHECK(!put(2, CELL_TEXT, "s2", NULL));
    CHECK(!put(4, CELL_TEXT, "s4", NULL));
    CHECK_EQ_INT(A.cells[0].seq, 1);
    CHECK(put(5, CELL_TEXT, "s5", NULL));
    CHECK(put(9, CELL_TEXT, "s9", NULL));
    CHECK_EQ_INT(A.cells[0].seq, 9);
    frame(1920, 1080, 0);
    CHECK(find_text("s9") != NULL);
    CHECK(find_text("s2") == NULL);
    CHECK_EQ_INT(A.ncells, 1);
    for (int offset = 0; offset < 4; offset++) {
        app_single(offset, 4, 0);
        CHECK(put(0, CELL_TEXT, "genesis", NULL));
        frame(1280, 720, 0);
        CHECK(find_text("genesis") != NULL);
    }
    /* one 16:9 cell, as large as fits, centred */
    app_single(0, 1, 1);
    struct rect r = layout_cell_rect(&A, 1920, 1080, 0), hud = layout_hud_rect(&A, 1920, 1080);
    CHECK(abs(r.h * 16 - r.w * 9) <= 16);
    CHECK(r.y == 0 && r.h >= 1080 - 41);
    CHECK(abs(r.x - (1920 - r.x - r.w)) <= 1);
    CHECK(r.w == 1920 && r.h == 1080 && hud.w > 0); /* the whole screen; the HUD over it */
    r = layout_cell_rect(&A, 1080, 1920, 0);        /* portrait: letterboxed top and bottom */
    CHECK(r.w == 1080 && r.y > 0);
}

TEST(show_invoking_false_keeps_previous_output)
{
    app_single(0, 1, 0);
    CHECK(put(1, CELL_TEXT, "previous", NULL));
    CHECK(!put(2, CELL_INVOKING, NULL, NULL));
    frame(1920, 1080, 0);
    CHECK(find_text("previous") != NULL);
    CHECK_EQ_INT(count_rects(layout_cell_rect(&A, 1920, 1080, 0), LAYOUT_ROSE_500), 0);
    CHECK(find_text("P!") == NULL);
    app_single(0, 1, 1);
    CHECK(put(1, CELL_TEXT, "previous", NULL));
    CHECK(put(2, CELL_INVOKING, NULL, NULL));
    frame(1920, 1080, 0);
    CHECK(find_text("previous") == NULL);
    CHECK(find_text("P!") != NULL);
}

/* Lines of one wrap, checked against the rules in layout.h. */
static void check_wrap(const char *text, int cols, int max_lines)
{
    static const char *starts[LAYOUT_MAX_LINES];
    static size_t lens[LAYOUT_MAX_LINES];
    static char kept[APP_TEXT_MAX * 2], orig[APP_TEXT_MAX * 2];
    int trunc = -1;
    int n = layout_wrap(text, cols, max_lines, starts, lens, &trunc);
    CHECK(n >= 0 && n <= max_lines);
    CHECK(trunc == 0 || trunc == 1);
    size_t nk = 0, no = 0;
    const char *prev_end = text;
    for (int i = 0; i < n; i++) {
        CHECK(starts[i] >= prev_end);
        prev_end = starts[i] + lens[i];
        if (layout_utf8_cols(starts[i], lens[i]) > cols)
            TEST_FAIL_AT("line %d has %d > %d cols", i, layout_utf8_cols(starts[i], lens[i]), cols);
        if (!utf8_valid(starts[i], lens[i]))
            TEST_FAIL_AT("line %d splits a UTF-8 sequence", i);
        for (size_t j = 0; j < lens[i]; j++)
            if (!strchr(" \t\r\n", starts[i][j]))
                kept[nk++] = starts[i][j];
    }
    for (const char *p = text; *p; p++)
        if (!strchr(" \t\r\n", *p))
            orig[no++] = *p;
    /* Nothing is lost or reordered: what the lines hold is the text (a prefix if truncated). */
    if (trunc) {
        CHECK(nk < no && memcmp(kept, orig, nk) == 0);
        CHECK(n == max_lines);
    } else {
        CHECK(nk == no && memcmp(kept, orig, nk) == 0);
    }
}

TEST(wrap_rules)
{
    const char *s[8];
    size_t l[8];
    int t;
    CHECK_EQ_INT(layout_wrap("hello world", 5, 8, s, l, &t), 2);
    CHECK(l[0] == 5 && !strncmp(s[0], "hello", 5) && l[1] == 5 && !strncmp(s[1], "world", 5));
    CHECK_EQ_INT(t, 0);
    CHECK_EQ_INT(layout_wrap("the quick brown fox", 10, 8, s, l, &t), 2);
    CHECK(l[0] == 9 && !strncmp(s[0], "the quick", 9) && !strncmp(s[1], "brown fox", 9));
    CHECK_EQ_INT(layout_wrap("abcdefghij", 4, 8, s, l, &t), 3);
    CHECK(l[0] == 4 && l[1] == 4 && l[2] == 2 && !strncmp(s[2], "ij", 2));
    CHECK_EQ_INT(layout_wrap("a\n\nb\n\n\n", 4, 8, s, l, &t), 3);
    CHECK(l[0] == 1 && l[1] == 0 && l[2] == 1 && s[2][0] == 'b');
    CHECK_EQ_INT(layout_wrap("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 2, 8, s, l, &t), 3);
    CHECK(l[0] == 4 && l[1] == 4 && l[2] == 2);
    CHECK_EQ_INT(layout_wrap("one two three four", 5, 2, s, l, &t), 2);
    CHECK_EQ_INT(t, 1);
    CHECK_EQ_INT(layout_wrap("one two   \n  \n ", 8, 1, s, l, &t), 1);
    CHECK_EQ_INT(t, 0); /* only blanks left: not truncated */
    CHECK_EQ_INT(layout_wrap("", 5, 8, s, l, &t), 0);
    CHECK_EQ_INT(layout_wrap("abc", 0, 8, s, l, &t), 0);
    CHECK_EQ_INT(t, 1);
    CHECK_EQ_INT(layout_wrap("\xf0\x9f\x90\xa8 koala", 1, 8, s, l, &t), 6);
    CHECK(l[0] == 4);
    CHECK_EQ_INT(layout_utf8_cols("\xe2\x82\xac\xff"
                                  "a",
                                  5),
                 3);

    static const char *words[] = {"a",
                                  "cat",
                                  "koala",
                                  "\xf0\x9f\x90\xa8",
                                  "caf\xc3\xa9",
                                  "\xe2\x82\xac\xe2\x82\xac",
                                  "\n",
                                  "\n\n",
                                  "  ",
                                  "\t",
                                  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
                                  "supercalifragilisticexpialidocious-and-then-some-more-of-it"};
    static char text[APP_TEXT_MAX];
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = 0, target = rng() % 1200;
        text[0] = '\0';
        while (len < target) {
            const char *w = words[rng() % ARRAY_LEN(words)];
            size_t wl = strlen(w);
            if (len + wl + 2 >= sizeof text)
                break;
            memcpy(text + len, w, wl);
            len += wl;
            if (rng() % 3)
                text[len++] = ' ';
            text[len] = '\0';
        }
        check_wrap(text, 1 + (int)(rng() % 60), (int)(rng() % 40));
    }
}

/* The cell (of the ncells of A on w x h) whose text box holds r, or -1. */
static int owner_box(struct rect r, int w, int h)
{
    for (int i = 0; i < A.ncells; i++)
        if (rect_inside(r, layout_text_box(layout_cell_rect(&A, w, h, i))))
            return i;
    return -1;
}

TEST(text_fits_fuzz)
{
    static const int sizes[][2] = {{1920, 1080}, {3840, 2160}, {800, 480}, {320, 240},
                                   {160, 120},   {1080, 1920}, {64, 48}};
    static const int grids[][2] = {{1, 1}, {2, 3}, {4, 4}, {8, 8}, {16, 16}};
    static const char *words[] = {"the",
                                  "model",
                                  "saw",
                                  "a",
                                  "\xf0\x9f\x90\xa8",
                                  "\xc3\xa9t\xc3\xa9",
                                  "\n",
                                  "\n\n",
                                  "averyveryveryverylongwordwithoutanyspacesatallinsideitever",
                                  "\xe2\x80\x94",
                                  "end."};
    static char text[APP_TEXT_MAX];
    int checked = 0;
    for (int iter = 0; iter < 120; iter++) {
        int s = (int)(rng() % ARRAY_LEN(sizes)), g = (int)(rng() % ARRAY_LEN(grids));
        int w = sizes[s][0], h = sizes[s][1];
        app_grid(grids[g][0], grids[g][1]);
        for (int c = 0; c < A.ncells; c++) {
            size_t len = 0, target = rng() % (rng() % 2 ? 60 : 3000);
            while (len < target) {
                const char *wd = words[rng() % ARRAY_LEN(words)];
                size_t wl = strlen(wd);
                if (len + wl + 2 >= sizeof text)
                    break;
                memcpy(text + len, wd, wl);
                len += wl;
                text[len++] = ' ';
            }
            text[len] = '\0';
            put(c, CELL_TEXT, text, NULL);
        }
        frame(w, h, 0);
        struct rect hud = layout_hud_rect(&A, w, h);
        for (size_t i = 0; i < DL.n; i++) {
            const struct draw_cmd *d = &DL.cmds[i];
            if (d->kind != DRAW_TEXT)
                continue;
            int px = d->u.text.px, k = px / 11;
            CHECK(px >= 11 && px % 11 == 0);
            CHECK_EQ_INT(d->r.h, 14 * k);
            CHECK_EQ_INT(d->r.w, 7 * k * layout_utf8_cols(d->u.text.text, d->u.text.len));
            CHECK(utf8_valid(d->u.text.text, d->u.text.len));
            if (rect_inside(d->r, hud))
                continue;
            if (owner_box(d->r, w, h) < 0)
                TEST_FAIL_AT("text \"%s\" at %d,%d %dx%d is outside every cell (%dx%d, %dx%d)",
                             ctext(d), d->r.x, d->r.y, d->r.w, d->r.h, w, h, A.cfg.rows,
                             A.cfg.cols);
            checked++;
        }
    }
    CHECK(checked > 1000);
}

TEST(text_steps_down_then_truncates)
{
    app_single(0, 1, 1);
    put(1, CELL_TEXT, "short", NULL);
    frame(1920, 1080, 0);
    struct rect cell = layout_cell_rect(&A, 1920, 1080, 0);
    const struct draw_cmd *d = find_text("short");
    CHECK(d && d->u.text.px == layout_font_px(cell.w, cell.h));
    CHECK(layout_font_px(cell.w, cell.h) >= 33);
    if (d) /* a short text sits in the middle of the cell */
        CHECK(abs((d->r.x + d->r.w / 2) - (cell.x + cell.w / 2)) <= 7 * d->u.text.px / 11);

    static char long_text[APP_TEXT_MAX];
    for (size_t i = 0; i + 1 < sizeof long_text; i++)
        long_text[i] = i % 9 == 8 ? ' ' : 'a' + (char)(i % 26);
    long_text[sizeof long_text - 1] = '\0';
    put(2, CELL_TEXT, long_text, NULL);
    frame(1920, 1080, 0);
    int px = 0;
    for (size_t i = 0; i < DL.n; i++)
        if (DL.cmds[i].kind == DRAW_TEXT && rect_inside(DL.cmds[i].r, layout_text_box(cell)))
            px = DL.cmds[i].u.text.px;
    CHECK(px > 0 && px < layout_font_px(cell.w, cell.h));

    /* too long even at 11 px in a small cell: the last line ends in "..." */
    app_grid(8, 8);
    put(1, CELL_TEXT, long_text, NULL);
    frame(1920, 1080, 0);
    d = find_text("...");
    CHECK(d && d->u.text.px == 11);
    if (d)
        CHECK(rect_inside(d->r, layout_text_box(layout_cell_rect(&A, 1920, 1080, 1))));
}

TEST(cover_crop)
{
    struct rect r = layout_cover_crop(4000, 1000, 1600, 900); /* wide: crop the sides */
    CHECK_EQ_INT(r.h, 1000);
    CHECK_NEAR(r.w, 1000.0 * 16 / 9, 1);
    CHECK(abs(r.x - (4000 - r.x - r.w)) <= 1);
    CHECK_EQ_INT(r.y, 0);
    r = layout_cover_crop(1000, 4000, 1600, 900); /* tall: crop top and bottom */
    CHECK_EQ_INT(r.w, 1000);
    CHECK_NEAR(r.h, 1000.0 * 9 / 16, 1);
    CHECK(abs(r.y - (4000 - r.y - r.h)) <= 1);
    CHECK_EQ_INT(r.x, 0);
    r = layout_cover_crop(1920, 1080, 640, 360);
    CHECK(rect_eq(r, ((struct rect){0, 0, 1920, 1080})));
    r = layout_cover_crop(0, 10, 10, 10);
    CHECK(r.w == 0 && r.h == 0);
    for (int i = 0; i < 5000; i++) {
        int iw = 1 + (int)(rng() % 5000), ih = 1 + (int)(rng() % 5000);
        int cw = 1 + (int)(rng() % 4000), ch = 1 + (int)(rng() % 4000);
        r = layout_cover_crop(iw, ih, cw, ch);
        CHECK(rect_inside(r, ((struct rect){0, 0, iw, ih})));
        CHECK(r.w == iw || r.h == ih);
        CHECK(r.w >= 1 && r.h >= 1);
        /* the crop has the cell's aspect within 1 px of the cropped side */
        if (r.w < iw)
            CHECK(fabs(r.w - (double)ih * cw / ch) <= 1);
        if (r.h < ih)
            CHECK(fabs(r.h - (double)iw * ch / cw) <= 1);
        CHECK(abs(r.x - (iw - r.x - r.w)) <= 1 && abs(r.y - (ih - r.y - r.h)) <= 1);
    }
}

TEST(image_cells)
{
    app_grid(2, 3);
    put(0, CELL_IMAGE, NULL, "wide.png");
    put(1, CELL_IMAGE, NULL, "tall.png");
    put(2, CELL_IMAGE, NULL, "loading.png");
    frame(1920, 1080, 0);
    CHECK_EQ_INT(count_kind(DRAW_IMAGE), 2);
    for (size_t i = 0; i < DL.n; i++) {
        const struct draw_cmd *d = &DL.cmds[i];
        if (d->kind != DRAW_IMAGE)
            continue;
        int slot = !strcmp(d->u.image.media, "tall.png");
        struct rect cell = layout_cell_rect(&A, 1920, 1080, slot);
        CHECK(rect_eq(d->r, cell));
        struct rect want = slot ? layout_cover_crop(1000, 4000, cell.w, cell.h)
                                : layout_cover_crop(4000, 1000, cell.w, cell.h);
        CHECK(rect_eq(d->u.image.src, want));
    }
    /* not decoded yet: a zinc-800 cell with a small "...", never a hole */
    struct rect cell2 = layout_cell_rect(&A, 1920, 1080, 2);
    CHECK_EQ_INT(count_rects(cell2, LAYOUT_ZINC_800), 1);
    const struct draw_cmd *d = find_text("...");
    CHECK(d && rect_inside(d->r, cell2));
}

/* Text cells are Markdown, drawn as the original did: runs of styled text, a 2 px purple-900
 * shadow, a left-aligned block centred in the cell. */
TEST(markdown_text_cell)
{
    app_grid(2, 2);
    put(0, CELL_TEXT,
        "# A title\n\nSome **strong** words and *soft* ones, with `code`.\n\n- one\n- two", NULL);
    frame(1920, 1080, 0);
    struct rect cell = layout_cell_rect(&A, 1920, 1080, 0);
    const struct draw_cmd *title = find_text("A title"), *strong = find_text("strong"),
                          *soft = find_text("soft"), *code = find_text("code"),
                          *one = find_text("\xe2\x80\xa2 one");
    REQUIRE(title && strong && soft && code && one);
    CHECK(color_eq(strong->color, LAYOUT_PURPLE_100));
    CHECK(color_eq(title->color, LAYOUT_PURPLE_100));
    CHECK(color_eq(soft->color, LAYOUT_PURPLE_400));
    CHECK(color_eq(one->color, LAYOUT_PURPLE_300));
    CHECK(find_text_part("**") == NULL && find_text_part("`") == NULL);
    /* every line of the cell has the 2 px purple-900 shadow and stays inside the cell */
    int lines = 0, x0 = -1;
    for (size_t i = 0; i < DL.n; i++) {
        const struct draw_cmd *d = &DL.cmds[i];
        if (d->kind != DRAW_TEXT || !rect_inside(d->r, cell))
            continue;
        CHECK(color_eq(d->u.text.shadow, LAYOUT_PURPLE_900));
        CHECK(rect_inside(draw_bounds(d), cell));
        lines++;
    }
    CHECK(lines >= 6);
    /* left-aligned: the title, the paragraph and the list start at one x */
    x0 = title->r.x;
    CHECK_EQ_INT(one->r.x, x0);
    const struct draw_cmd *some = find_text_part("Some");
    CHECK(some && some->r.x == x0);
    /* the block is centred: as much room left of it as right of its widest line */
    int right = 0;
    for (size_t i = 0; i < DL.n; i++)
        if (DL.cmds[i].kind == DRAW_TEXT && rect_inside(DL.cmds[i].r, cell))
            right =
                DL.cmds[i].r.x + DL.cmds[i].r.w > right ? DL.cmds[i].r.x + DL.cmds[i].r.w : right;
    CHECK(abs((x0 - cell.x) - (cell.x + cell.w - right)) <= 7 * title->u.text.px / 11 + 1);
    /* code sits on a dark box of its own width */
    CHECK_EQ_INT(count_rects(code->r, LAYOUT_ZINC_900), 1);
    /* the size steps with the cell width: 22 px in a 1080p 2x2 cell (>= 600 px: 33 if it fits) */
    CHECK(title->u.text.px >= 22);
}

TEST(empty_placeholders)
{
    app_grid(2, 3);
    frame(1920, 1080, 0);
    int n = 0;
    for (size_t i = 0; i < DL.n; i++) {
        const struct draw_cmd *d = &DL.cmds[i];
        if (d->kind == DRAW_TEXT && !strcmp(ctext(d), "2/3")) {
            n++;
            CHECK(color_eq(d->color, ((struct rgba){0xd8, 0xb4, 0xfe, 128})));
            CHECK(owner_box(d->r, 1920, 1080) >= 0);
            /* legible across a room: the label is a good part of the cell */
            CHECK(d->u.text.px * 10 >= layout_cell_rect(&A, 1920, 1080, 0).w);
        }
    }
    CHECK_EQ_INT(n, 6);
    app_single(1, 4, 1);
    frame(1920, 1080, 0);
    const struct draw_cmd *d = find_text("1/4");
    CHECK(d != NULL);
    if (d) { /* centred */
        struct rect c = layout_cell_rect(&A, 1920, 1080, 0);
        CHECK(abs(d->r.x + d->r.w / 2 - (c.x + c.w / 2)) <= 1);
        CHECK(abs(d->r.y + d->r.h / 2 - (c.y + c.h / 2)) <= 1);
    }
}

/* Which cell is audible: the newest audio cell, or a fixed slot (--audible-slot) if it holds
 * audio; none when the display plays no audio. The ring is mirrored (audioMotion's mirror 1). */
TEST(audible_cell_rule)
{
    app_grid(2, 3);
    A.cfg.audio = 1;
    put(1, CELL_AUDIO, NULL, "a.wav");
    put(4, CELL_AUDIO, NULL, "b.wav");
    put(2, CELL_TEXT, "words", NULL);
    CHECK_EQ_INT(app_audible_cell(&A), 4); /* the newest */
    A.audible_slot = 1;
    CHECK_EQ_INT(app_audible_cell(&A), 1);
    A.audible_slot = 2; /* text: nothing plays */
    CHECK_EQ_INT(app_audible_cell(&A), -1);
    A.audible_slot = 99; /* past the grid */
    CHECK_EQ_INT(app_audible_cell(&A), -1);
    A.audible_slot = -1;
    A.cfg.audio = 0;
    CHECK_EQ_INT(app_audible_cell(&A), -1);
    struct app fresh;
    app_init(&fresh, "x");
    CHECK_EQ_INT(fresh.audible_slot, -1);
    frame(1920, 1080, 0);
    CHECK_EQ_INT(count_kind(DRAW_RING), 2);
    for (size_t i = 0; i < DL.n; i++)
        if (DL.cmds[i].kind == DRAW_RING)
            CHECK_EQ_INT(DL.cmds[i].u.ring.mirror, 1);
}

TEST(invoking_cell)
{
    app_grid(2, 3);
    put(4, CELL_INVOKING, NULL, NULL);
    struct rect cell = layout_cell_rect(&A, 1920, 1080, 4);
    frame(1920, 1080, 0);
    CHECK_EQ_INT(count_rects(cell, ((struct rgba){0xf4, 0x3f, 0x5e, 0xff})), 1);
    const struct draw_cmd *d = find_text("P!");
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK(d->u.text.px % 11 == 0);
    CHECK_NEAR(d->u.text.px, cell.w / 4.0, 5.5);
    CHECK(rect_inside(d->r, cell));
    CHECK(abs(d->r.x + d->r.w / 2 - (cell.x + cell.w / 2)) <= 1);
    CHECK(abs(d->r.y + d->r.h / 2 - (cell.y + cell.h / 2)) <= 1);
    CHECK_NEAR(d->color.a, 0.3 * 255, 1);
    frame(1920, 1080, 1500);
    CHECK_EQ_INT(find_text("P!")->color.a, 255);
    frame(1920, 1080, 3000);
    CHECK_NEAR(find_text("P!")->color.a, 0.3 * 255, 1);
    CHECK_NEAR(layout_breath(750), 0.65, 0.001);
    CHECK_NEAR(layout_breath(-1500), 1.0, 0.001);
    for (int64_t t = 0; t < 6000; t += 37) {
        float a = layout_breath(t);
        CHECK(a >= 0.3f - 1e-6f && a <= 1.0f + 1e-6f);
    }
    /* tiny cells keep the P! inside, or leave it out */
    for (int w = 1; w < 200; w++) {
        int px = layout_invoking_px(w, w * 9 / 16);
        CHECK(px % 11 == 0 && 14 * px / 11 <= w && 14 * px / 11 <= w * 9 / 16);
    }
}

TEST(failed_and_audio_cells)
{
    static const float bars[10] = {0.5f, 0.9f, 0.1f, 0.3f, 0.2f, 0.8f, 0.4f, 0.6f, 0.7f, 0.0f};
    app_grid(2, 3);
    put(0, CELL_FAILED, NULL, NULL);
    put(1, CELL_AUDIO, NULL, "a.wav");
    put(2, CELL_AUDIO, NULL, "b.wav");
    struct layout_env env = env_for(1920, 1080, 0);
    env.bars = bars;
    env.nbars = 10;
    env.ring_rotation = 1.25f;
    env.audible_cell = 2;
    layout_frame(&A, &env, &DL);
    CHECK_EQ_INT(count_rects(layout_cell_rect(&A, 1920, 1080, 0), LAYOUT_ROSE_950), 1);
    CHECK(color_eq(LAYOUT_ROSE_950, ((struct rgba){0x4c, 0x05, 0x19, 0xff})));
    CHECK_EQ_INT(count_rects(layout_cell_rect(&A, 1920, 1080, 1), LAYOUT_EMERALD_800), 1);
    CHECK_EQ_INT(count_rects(layout_cell_rect(&A, 1920, 1080, 2), LAYOUT_EMERALD_800), 1);
    CHECK_EQ_INT(count_kind(DRAW_RING), 2);
    for (size_t i = 0; i < DL.n; i++) {
        const struct draw_cmd *d = &DL.cmds[i];
        if (d->kind != DRAW_RING)
            continue;
        struct rect c1 = layout_cell_rect(&A, 1920, 1080, 1),
                    c2 = layout_cell_rect(&A, 1920, 1080, 2);
        CHECK(d->r.w == d->r.h);
        if (rect_inside(d->r, c2)) { /* the audible one spins with the live bars */
            CHECK(d->u.ring.values == bars && d->u.ring.nbars == 10);
            CHECK_NEAR(d->u.ring.rotation, 1.25, 1e-6);
            CHECK(d->r.w >= c2.h * 8 / 10);
        } else {
            CHECK(rect_inside(d->r, c1));
            CHECK(d->u.ring.values != bars && d->u.ring.nbars > 0);
        }
    }
}

TEST(hud_countdown)
{
    app_grid(2, 3);
    snprintf(A.network_name, sizeof A.network_name, "gallery");
    struct app_status st = {.run = 3, .seq = 7, .can_start_run = 0};
    snprintf(st.state, sizeof st.state, "lockout");
    snprintf(st.model, sizeof st.model, "flux-schnell");
    st.lockout_until = 100000 + 12500;
    app_set_status(&A, &st, 100000);
    struct layout_env env = env_for(1920, 1080, 100000);
    env.hud_line = "fps 60";
    layout_frame(&A, &env, &DL);
    const struct draw_cmd *d = find_text_part("ready in 13 s");
    CHECK(d != NULL);
    if (d) {
        const char *s = ctext(d);
        CHECK(strstr(s, "gallery") && strstr(s, "run 3") && strstr(s, "seq 7"));
        CHECK(strstr(s, "flux-schnell") && strstr(s, "fps 60"));
        CHECK(rect_inside(d->r, layout_hud_rect(&A, 1920, 1080)));
        CHECK_EQ_INT(d->u.text.px, 22);
        for (int i = 0; i < 6; i++)
            CHECK(!rect_overlap(d->r, layout_cell_rect(&A, 1920, 1080, i)));
    }
    env.now = 100000 + 12500;
    layout_frame(&A, &env, &DL);
    CHECK(find_text_part("ready in") == NULL);
    CHECK(find_text_part("gallery") != NULL);
    /* small screens get 11 px */
    frame(800, 480, 0);
    d = find_text_part("gallery");
    CHECK(d && d->u.text.px == 11);
    /* a HUD longer than the screen is cut, not overflowing */
    static char longline[600];
    memset(longline, 'x', sizeof longline - 1);
    env = env_for(640, 360, 0);
    env.hud_line = longline;
    layout_frame(&A, &env, &DL);
    d = find_text_part("gallery");
    CHECK(d && rect_inside(d->r, layout_hud_rect(&A, 640, 360)));
}

TEST(offline_indicator)
{
    app_grid(2, 3);
    put(1, CELL_TEXT, "still here", NULL);
    frame(1920, 1080, 0);
    struct rect dot = layout_offline_rect(1920, 1080);
    CHECK_EQ_INT(count_rects(dot, LAYOUT_ROSE_500), 0);
    app_set_online(&A, 0, 5000);
    frame(1920, 1080, 6000);
    CHECK_EQ_INT(count_rects(dot, LAYOUT_ROSE_500), 1);
    CHECK(rect_eq(DL.cmds[DL.n - 1].r, dot)); /* drawn last, on top */
    CHECK(find_text("still here") != NULL);   /* the last content stays */
    CHECK(dot.x + dot.w < 1920 && dot.y > 0 && dot.x > 1920 - 60 && dot.y < 30);
    CHECK(dot.w >= 4 && dot.w <= 40);
}

TEST(full_drawlist_counts_overflow)
{
    static char long_text[APP_TEXT_MAX];
    for (size_t i = 0; i + 1 < sizeof long_text; i++)
        long_text[i] = i % 4 == 3 ? '\n' : 'a' + (char)(i % 26);
    long_text[sizeof long_text - 1] = '\0';
    static const int sizes[][2] = {{1920, 1080}, {3840, 2160}, {7680, 4320}};
    int overflowed = 0;
    for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
        app_grid(16, 16);
        for (int c = 0; c < 256; c++)
            put(c, CELL_TEXT, long_text, NULL);
        app_set_online(&A, 0, 0);
        frame(sizes[s][0], sizes[s][1], 0);
        CHECK(DL.n <= DRAWLIST_MAX);
        if (DL.overflow) {
            overflowed = 1;
            CHECK_EQ_INT(DL.n, DRAWLIST_MAX);
        }
        /* the offline dot survives a full list */
        CHECK(rect_eq(DL.cmds[DL.n - 1].r, layout_offline_rect(sizes[s][0], sizes[s][1])));
        if (s < 2)
            CHECK_EQ_INT(DL.overflow, 0);
    }
    CHECK(overflowed); /* 8K with a line per command does not fit: counted, not crashed */
}

TEST(terminal_mode)
{
    app_mode(DISPLAY_MODE_TERMINAL);
    struct rect panel = layout_cell_rect(&A, 1920, 1080, 0);
    frame(1920, 1080, 0);
    CHECK(find_text("Current run:") != NULL);
    CHECK(find_text("the first prompt") != NULL);
    const struct draw_cmd *d = find_text("Ready for new input");
    CHECK(d && rect_inside(d->r, panel));

    struct app_status st = {.run = 1, .lockout_until = 20000};
    snprintf(st.state, sizeof st.state, "lockout");
    app_set_status(&A, &st, 0);
    frame(1920, 1080, 8000);
    CHECK(find_text("12 seconds until ready for new input") != NULL);
    CHECK(find_text("Ready for new input") == NULL);
    frame(1920, 1080, 19500);
    CHECK(find_text("1 second until ready for new input") != NULL);
    frame(1920, 1080, 20000);
    CHECK(find_text("Ready for new input") != NULL);

    /* typing: the input shows with a cursor after it; a long input shows its tail */
    snprintf(A.input, sizeof A.input, "a red balloon");
    frame(1920, 1080, 21000); /* 21000 / 500 is even: cursor on */
    d = find_text("a red balloon");
    CHECK(d != NULL);
    int cursor = 0;
    for (size_t i = 0; d && i < DL.n; i++)
        if (DL.cmds[i].kind == DRAW_RECT && DL.cmds[i].r.x == d->r.x + d->r.w &&
            DL.cmds[i].r.y > d->r.y && DL.cmds[i].r.y < d->r.y + d->r.h)
            cursor++;
    CHECK_EQ_INT(cursor, 1);
    for (size_t i = 0; i + 1 < sizeof A.input; i++)
        A.input[i] = i % 7 == 6 ? ' ' : 'a' + (char)(i % 26);
    memcpy(A.input, "HEADQ", 5);
    memcpy(A.input + sizeof A.input - 6, "QWXYZ", 6);
    frame(1920, 1080, 21000);
    CHECK(find_text_part("QWXYZ") != NULL);
    CHECK(find_text_part("HEADQ") == NULL); /* the head scrolled away */
    for (size_t i = 0; i < DL.n; i++)
        if (DL.cmds[i].kind == DRAW_TEXT &&
            !rect_inside(DL.cmds[i].r, layout_hud_rect(&A, 1920, 1080)))
            CHECK(rect_inside(DL.cmds[i].r, panel));

    /* a message shows until message_until */
    A.input[0] = '\0';
    snprintf(A.message, sizeof A.message, "Please wait before starting a new run");
    A.message_until = 30000;
    frame(1920, 1080, 25000);
    d = find_text("Please wait before starting a new run");
    CHECK(d && rect_inside(d->r, panel) && color_eq(d->color, LAYOUT_ROSE_500));
    frame(1920, 1080, 30000);
    CHECK(find_text("Please wait before starting a new run") == NULL);
}

TEST(info_mode)
{
    app_mode(DISPLAY_MODE_INFO);
    snprintf(A.network_name, sizeof A.network_name, "gallery loop");
    A.nmodels = 3;
    snprintf(A.models[0], sizeof A.models[0], "llama");
    snprintf(A.models[1], sizeof A.models[1], "flux");
    snprintf(A.models[2], sizeof A.models[2], "moondream");
    put(5, CELL_TEXT, "the latest output", NULL);
    frame(1920, 1080, 0);
    CHECK(find_text("gallery loop") != NULL);
    CHECK(find_text("1. llama") && find_text("3. moondream"));
    CHECK(find_text("Last prompt:") && find_text("the first prompt"));
    const struct draw_cmd *d = find_text("the latest output");
    struct rect out = layout_cell_rect(&A, 1920, 1080, 0);
    CHECK(abs(out.h * 16 - out.w * 9) <= 16);
    CHECK(d && rect_inside(d->r, layout_text_box(out)));
    /* the text column never runs into the output cell */
    struct rect hud = layout_hud_rect(&A, 1920, 1080);
    for (size_t i = 0; i < DL.n; i++)
        if (DL.cmds[i].kind == DRAW_TEXT && DL.cmds[i].r.x < out.x &&
            !rect_inside(DL.cmds[i].r, hud))
            CHECK(DL.cmds[i].r.x + DL.cmds[i].r.w <= out.x);
}

/* Info mode says what each model does, and what the run costs only when a model is paid. */
TEST(info_descriptions_and_cost)
{
    app_mode(DISPLAY_MODE_INFO);
    snprintf(A.network_name, sizeof A.network_name, "gallery loop");
    A.nmodels = 2;
    snprintf(A.models[0], sizeof A.models[0], "GPT Image 1");
    snprintf(A.model_desc[0], sizeof A.model_desc[0], "Paints a picture of the words.");
    snprintf(A.models[1], sizeof A.models[1], "Tesseract Reader");
    snprintf(A.model_desc[1], sizeof A.model_desc[1], "Reads any writing in the picture.");
    A.status.paid = 0;
    A.status.cost_usd = 0.25;
    A.status.burn_usd_per_hour = 1.5;
    frame(1920, 1080, 0);
    const struct draw_cmd *name = find_text("1. GPT Image 1");
    const struct draw_cmd *desc = find_text("Paints a picture of the words.");
    CHECK(name && desc && desc->r.y > name->r.y);
    CHECK(find_text("Reads any writing in the picture.") != NULL);
    CHECK(find_text_part("cost $") == NULL); /* a free network shows no cost */
    A.status.paid = 1;
    frame(1920, 1080, 0);
    const struct draw_cmd *cost = find_text("cost $0.25 so far \xc2\xb7 $1.50 an hour");
    struct rect out = layout_cell_rect(&A, 1920, 1080, 0);
    CHECK(cost && cost->r.x + cost->r.w <= out.x && cost->r.y + cost->r.h <= 1080);
    CHECK(find_text("Paints a picture of the words.") != NULL);
    A.status.paid = 0;
}

/* Rects drawn wholly inside r. */
static int rects_inside(struct rect r)
{
    int n = 0;
    for (size_t i = 0; i < DL.n; i++)
        n += DL.cmds[i].kind == DRAW_RECT && rect_inside(DL.cmds[i].r, r);
    return n;
}

TEST(qr_corner)
{
    app_grid(2, 3);
    CHECK(layout_qr_rect(&A, 1920, 1080).w == 0);
    snprintf(A.prompt_url, sizeof A.prompt_url, "http://panic.local:8080/t/1?token=abc");
    static const int sizes[][2] = {{1920, 1080}, {3840, 2160}, {1080, 1920}, {800, 480}};
    for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
        int w = sizes[s][0], h = sizes[s][1];
        struct rect q = layout_qr_rect(&A, w, h), hud = layout_hud_rect(&A, w, h);
        CHECK(q.w > 0 && q.w == q.h);
        CHECK(q.x + q.w > w - 30 && q.y + q.h > h - 30 && q.x + q.w <= w && q.y + q.h <= h);
        CHECK(!rect_overlap(q, hud));
        CHECK(q.w <= h / 6); /* a small overlay */
    }
    /* a 21 x 21 matrix: a light square and dark runs, all inside the corner */
    static unsigned char m[21 * 21];
    for (int i = 0; i < 21 * 21; i++)
        m[i] = (unsigned char)((i * 7 + i / 21) % 3 == 0);
    struct layout_env env = env_for(1920, 1080, 0);
    env.qr = m;
    env.qr_width = 21;
    layout_frame(&A, &env, &DL);
    struct rect q = layout_qr_rect(&A, 1920, 1080);
    int inside = 0;
    for (size_t i = 0; i < DL.n; i++)
        if (DL.cmds[i].kind == DRAW_RECT && rect_inside(DL.cmds[i].r, q))
            inside++;
    CHECK(inside > 10);
    /* only the background and the HUD's box besides */
    CHECK_EQ_INT(count_kind(DRAW_RECT) - inside, 2);
    /* drawn over the cells: on a 4x4 grid the code covers a corner of the last cell */
    app_grid(4, 4);
    snprintf(A.prompt_url, sizeof A.prompt_url, "http://panic.local:8080/t/1?token=abc");
    put(15, CELL_FAILED, NULL, NULL);
    layout_frame(&A, &env, &DL);
    struct rect c5 = layout_cell_rect(&A, 1920, 1080, 15);
    CHECK(rect_overlap(c5, q));
    size_t cell_at = DL.n, qr_at = DL.n;
    for (size_t i = 0; i < DL.n; i++) {
        if (DL.cmds[i].kind == DRAW_RECT && rect_eq(DL.cmds[i].r, c5))
            cell_at = i;
        if (DL.cmds[i].kind == DRAW_RECT && rect_inside(DL.cmds[i].r, q) && qr_at == DL.n)
            qr_at = i;
    }
    CHECK(cell_at < qr_at && qr_at < DL.n);
    /* --qr off and --hud off: neither is drawn */
    env.no_qr = 1;
    env.no_hud = 1;
    layout_frame(&A, &env, &DL);
    CHECK_EQ_INT(rects_inside(q), 0);
    CHECK(find_text_part("run") == NULL);
}

/* Offline, the QR code goes (its corner says "offline") and no countdown promises a run: not in
 * the HUD, not in the terminal's input box. Back online, both return. */
TEST(offline_hides_qr_and_countdown)
{
    app_grid(2, 3);
    snprintf(A.prompt_url, sizeof A.prompt_url, "http://panic.local:8080/t/1?token=abc");
    struct app_status st = {.run = 1, .seq = 2};
    snprintf(st.state, sizeof st.state, "lockout");
    st.lockout_until = 100000 + 12500;
    app_set_status(&A, &st, 100000);
    static unsigned char m[21 * 21];
    for (int i = 0; i < 21 * 21; i++)
        m[i] = (unsigned char)((i * 7 + i / 21) % 3 == 0);
    struct layout_env env = env_for(1920, 1080, 100000);
    env.qr = m;
    env.qr_width = 21;
    struct rect q = layout_qr_rect(&A, 1920, 1080);
    REQUIRE(q.w > 0);
    layout_frame(&A, &env, &DL);
    CHECK(rects_inside(q) > 10);
    CHECK(find_text_part("ready in 13 s") != NULL);

    app_set_online(&A, 0, 100000);
    layout_frame(&A, &env, &DL);
    CHECK_LE(rects_inside(q), 1); /* the corner's plain square, no modules */
    CHECK(find_text_part("ready in") == NULL);
    CHECK(find_text_part("offline") != NULL);
    const struct draw_cmd *d = find_text("offline");
    CHECK(d != NULL && rect_inside(d->r, q));
    CHECK_EQ_INT(rect_eq(layout_qr_rect(&A, 1920, 1080), q), 1); /* the cells do not move */

    app_mode(DISPLAY_MODE_TERMINAL);
    app_set_status(&A, &st, 100000);
    A.online = 0;
    layout_frame(&A, &env, &DL);
    CHECK(find_text_part("until ready") == NULL);
    CHECK(find_text_part("cannot reach the coordinator") != NULL);
    app_set_online(&A, 1, 100000);
    layout_frame(&A, &env, &DL);
    CHECK(find_text("13 seconds until ready for new input") != NULL);
}

TEST(degenerate_sizes)
{
    static const int sizes[][2] = {{0, 0}, {1, 1}, {10, 10}, {3, 2000}, {2000, 3}, {-5, 100}};
    for (int mode = 0; mode < 4; mode++)
        for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
            int w = sizes[s][0], h = sizes[s][1];
            app_mode((enum display_mode)mode);
            snprintf(A.prompt_url, sizeof A.prompt_url, "http://x/");
            put(1, CELL_TEXT, "some words that will not fit anywhere", NULL);
            A.online = 0;
            frame(w, h, 0);
            struct rect screen = {0, 0, w, h};
            for (size_t i = 0; i < DL.n; i++)
                if (DL.cmds[i].r.w > 0)
                    CHECK(rect_inside(DL.cmds[i].r, screen));
        }
    app_grid(300, 300); /* rows * cols beyond the cells the app keeps */
    frame(1920, 1080, 0);
    CHECK(DL.n <= DRAWLIST_MAX);
    for (int px = 1; px < 5000; px += 13) {
        CHECK(layout_font_px(px, px * 9 / 16) % 11 == 0);
        CHECK(layout_font_px(px, px * 9 / 16) >= 11);
    }
}

int main(void)
{
    RUN(grid_geometry);
    RUN(grid_cells_drawn_in_slots);
    RUN(seq_to_slot_ring_buffer);
    RUN(single_offset_stride);
    RUN(show_invoking_false_keeps_previous_output);
    RUN(wrap_rules);
    RUN(text_fits_fuzz);
    RUN(text_steps_down_then_truncates);
    RUN(cover_crop);
    RUN(image_cells);
    RUN(empty_placeholders);
    RUN(markdown_text_cell);
    RUN(audible_cell_rule);
    RUN(invoking_cell);
    RUN(failed_and_audio_cells);
    RUN(hud_countdown);
    RUN(offline_indicator);
    RUN(full_drawlist_counts_overflow);
    RUN(terminal_mode);
    RUN(info_mode);
    RUN(info_descriptions_and_cost);
    RUN(qr_corner);
    RUN(portrait_grid);
    RUN(offline_hides_qr_and_countdown);
    RUN(degenerate_sizes);
    TEST_END("test_layout");
}
