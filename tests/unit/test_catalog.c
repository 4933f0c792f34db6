/* test_catalog.c: every model of the compiled catalogue has a sentence a gallery visitor can read
 * (the info screen and the phone page show it), and which models cost money per call. Pure: the
 * static tables only. */
#include "coordinator/core/catalog.h"
#include "test.h"

#include <ctype.h>
#include <string.h>

/* Words that mean nothing to a visitor: file formats, sizes, sampling rates, parameters. */
static const char *const jargon[] = {"PNG",         "WAV",    "16:9",   "1536x",  "kHz",
                                     "token",       "prompt", "API",    "model:", "hash",
                                     "passthrough", "DUMMY_", "params", "JSON"};

TEST(catalog_every_model_has_a_visitor_sentence)
{
    size_t n = catalog_count();
    REQUIRE(n > 20);
    for (size_t i = 0; i < n; i++) {
        const struct model_info *m = catalog_at(i);
        const char *d = m->description ? m->description : "";
        size_t len = strlen(d);
        int ok = len >= 30 && len <= 160 && d[len - 1] == '.' && isupper((unsigned char)d[0]);
        for (size_t j = 0; ok && j < sizeof jargon / sizeof jargon[0]; j++)
            ok = strstr(d, jargon[j]) == NULL;
        /* Where it runs: a visitor should know whether their words leave the building. */
        ok = ok && (strstr(d, "on this computer") || strstr(d, "on the internet"));
        if (!ok)
            fprintf(stderr, "model %s: description \"%s\"\n", m->id, d);
        CHECK(ok);
        /* A paid model says it goes to the internet; a model on this computer costs nothing. */
        if (strstr(d, "on this computer"))
            CHECK(!catalog_paid(m));
        else
            CHECK(catalog_paid(m));
    }
}

TEST(catalog_paid_models)
{
    CHECK(catalog_paid(catalog_find("gpt-image-1")));
    CHECK(catalog_paid(catalog_find("stable-diffusion")));
    CHECK(catalog_paid(catalog_find("gemini-audio-description")));
    CHECK(!catalog_paid(catalog_find("dummy-t2i")));
    CHECK(!catalog_paid(catalog_find("builtin-espeak")));
    /* A step that makes no call costs nothing, whatever its platform. */
    CHECK(!catalog_paid(catalog_find("image-reproducer-ii-flux")));
    CHECK(!catalog_paid(NULL));
    /* A model on a LAN server (it has a base_url) is free. */
    struct model_info lan = {"lan-llama", "Llama",    "lan",
                             MEDIA_TEXT,  MEDIA_TEXT, "Answers on a server on the local network.",
                             "{}",        "llama3",   "http://10.0.0.2:8080/v1"};
    CHECK(!catalog_paid(&lan));
    lan.platform = "openai";
    CHECK(!catalog_paid(&lan));
}

int main(void)
{
    RUN(catalog_every_model_has_a_visitor_sentence);
    RUN(catalog_paid_models);
    TEST_END("test_catalog");
}
