/* builtin_parrot.c: an offline stand-in for the original installation's "Prompt Parrot", which
 * took a short prompt and dressed it up the way image-model prompts were written in 2022
 * ("..., oil painting, by Hokusai, volumetric light, trending on artstation"). Here the dressing
 * comes from built-in word lists picked by a splitmix64 stream seeded from the text and a
 * counter, so the same call gives the same answer, and a loop that feeds the parrot its own
 * words keeps the subject, keeps a few old modifiers and swaps the rest: it drifts instead of
 * growing or resetting. Pure C: no library, no state. */
#include "builtin_engines.h"
#include "common/hash.h"
#include "common/rng.h"
#include "common/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SUBJECT_MAX 160 /* bytes of the first clause kept as the subject */
#define KEEP_MAX 2      /* old modifiers carried over */
#define OLD_MOD_MAX 48  /* longer "modifiers" are sentences, not style words: dropped */
#define CLAUSES_MAX 32

static const char *const mediums[] = {
    "oil painting",
    "watercolour",
    "risograph print",
    "charcoal sketch",
    "linocut",
    "gouache",
    "cyanotype",
    "ink wash",
    "pastel drawing",
    "paper collage",
    "stained glass",
    "mosaic",
    "woodblock print",
    "digital painting",
    "polaroid photo",
    "35mm film photograph",
    "tapestry",
    "screen print",
    "fresco",
    "claymation still",
    "isometric pixel art",
    "blueprint",
    "copperplate etching",
    "airbrush poster",
};
static const char *const styles[] = {
    "art nouveau",    "bauhaus",        "brutalist",  "vaporwave", "surrealist",
    "impressionist",  "cubist",         "baroque",    "ukiyo-e",   "art deco",
    "constructivist", "psychedelic",    "minimalist", "futurist",  "pre-raphaelite",
    "de stijl",       "solarpunk",      "cyberpunk",  "gothic",    "dada",
    "op art",         "memphis design",
};
static const char *const artists[] = {
    "in the style of Hilma af Klint",
    "by Hokusai",
    "by Hieronymus Bosch",
    "after J. M. W. Turner",
    "by Sonia Delaunay",
    "by Odilon Redon",
    "by Henri Rousseau",
    "by Wassily Kandinsky",
    "by Paul Klee",
    "by Remedios Varo",
    "by Alphonse Mucha",
    "by Caspar David Friedrich",
    "by Giorgio de Chirico",
    "by Gustav Klimt",
    "by Leonora Carrington",
    "in the style of M. C. Escher",
    "by Utagawa Hiroshige",
    "by Georgia O'Keeffe",
};
static const char *const lights[] = {
    "volumetric light",   "golden hour",          "neon glow",      "moonlit",      "rim lighting",
    "soft diffuse light", "dramatic chiaroscuro", "bioluminescent", "overcast sky", "candlelit",
    "harsh flash",        "long exposure",        "thick fog",      "god rays",
};
static const char *const moods[] = {
    "dreamlike", "melancholic", "intricate", "ethereal",   "ominous",   "whimsical",
    "serene",    "uncanny",     "lonely",    "triumphant", "cinematic", "liminal",
};
static const char *const qualities[] = {
    "highly detailed", "trending on artstation", "8k",          "octane render", "unreal engine",
    "sharp focus",     "award-winning",          "masterpiece", "concept art",   "matte painting",
    "hyperrealistic",  "depth of field",         "bokeh",       "wide angle",    "4k wallpaper",
};
static const char *const framings[] = {
    "a painting of ", "an illustration of ", "a photograph of ",
    "a poster of ",   "a dream of ",         "a memory of ",
};

static const struct {
    const char *const *words;
    size_t n;
} lists[] = {
    {mediums, ARRAY_LEN(mediums)}, {styles, ARRAY_LEN(styles)}, {artists, ARRAY_LEN(artists)},
    {lights, ARRAY_LEN(lights)},   {moods, ARRAY_LEN(moods)},   {qualities, ARRAY_LEN(qualities)},
};

/* Whitespace and control characters become single spaces; the ends are trimmed. */
static char *normalise(const char *text)
{
    struct buf b = BUF_INIT;
    int space = 1;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == ' ') {
            space = 1;
            continue;
        }
        if (space && b.len)
            buf_append(&b, " ", 1);
        space = 0;
        buf_append(&b, p, 1);
    }
    return buf_steal(&b);
}

/* Cut s to at most max bytes at a space (or a code point boundary if there is none). */
static size_t cut_len(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > max / 2 && s[n] != ' ')
        n--;
    if (s[n] != ' ') {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    while (n > 0 && s[n - 1] == ' ')
        n--;
    return n;
}

/* Case-insensitive: after a reading hop "a painting of" may come back as "A PAINTING OF". */
static int has_framing(const char *s)
{
    for (size_t i = 0; i < ARRAY_LEN(framings); i++)
        if (!strncasecmp(s, framings[i], strlen(framings[i])))
            return 1;
    return 0;
}

/* Case-insensitive ASCII search, so "Oil Painting" from OCR counts as already there. */
static int contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

/* Append ", word" if it fits and is not already in out. */
static void add_modifier(struct buf *out, const char *word, size_t wlen)
{
    if (out->len + 2 + wlen > BUILTIN_PARROT_MAX)
        return;
    char tmp[OLD_MOD_MAX + 1];
    if (wlen > OLD_MOD_MAX)
        return;
    memcpy(tmp, word, wlen);
    tmp[wlen] = '\0';
    if (out->data && contains(out->data, tmp))
        return;
    buf_append(out, ", ", 2);
    buf_append(out, word, wlen);
}

char *builtin_parrot(const char *text, uint64_t counter)
{
    char *norm = normalise(text ? text : "");
    uint64_t rs = fnv1a64(FNV1A64_INIT, norm, strlen(norm)) ^ (counter * 0xd1b54a32d192ed03ull);

    /* Clauses: the subject, then whatever modifiers an earlier hop left. */
    const char *clause[CLAUSES_MAX];
    size_t clen[CLAUSES_MAX], nclauses = 0;
    for (const char *p = norm; *p && nclauses < CLAUSES_MAX;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len) {
            clause[nclauses] = p;
            clen[nclauses++] = len;
        }
        p = end ? end + 1 : p + strlen(p);
    }

    struct buf out = BUF_INIT;
    if (nclauses == 0) {
        buf_puts(&out, "an empty room");
    } else {
        size_t len = cut_len(clause[0], clen[0], SUBJECT_MAX);
        /* Strip trailing sentence punctuation so the modifiers read as a list. */
        while (len > 0 && strchr(".!?;:", clause[0][len - 1]))
            len--;
        char *subject = xstrndup(clause[0], len ? len : clen[0]);
        if (!has_framing(subject) && rng_below(&rs, 4) == 0)
            buf_puts(&out, framings[rng_below(&rs, ARRAY_LEN(framings))]);
        buf_puts(&out, subject);
        free(subject);
    }

    size_t kept = 0;
    for (size_t i = 1; i < nclauses && kept < KEEP_MAX; i++) {
        if (rng_below(&rs, 3) == 0 && clen[i] <= OLD_MOD_MAX) {
            add_modifier(&out, clause[i], clen[i]);
            kept++;
        }
    }

    /* Three to four new modifiers from different lists, in list order so they read naturally. */
    int use[ARRAY_LEN(lists)] = {0};
    size_t want = 3 + rng_below(&rs, 2);
    for (size_t got = 0; got < want;) {
        size_t k = rng_below(&rs, ARRAY_LEN(lists));
        if (!use[k]) {
            use[k] = 1;
            got++;
        }
    }
    for (size_t k = 0; k < ARRAY_LEN(lists); k++) {
        if (!use[k])
            continue;
        const char *w = lists[k].words[rng_below(&rs, lists[k].n)];
        add_modifier(&out, w, strlen(w));
    }
    free(norm);
    return buf_steal(&out);
}
