/* catalog.c: every model panicd knows, as static data. The dummy platform has one deterministic
 * model for each input/output pair so any network shape can run offline. Pure C: no I/O. */
#include "catalog.h"

#include <string.h>

#define DUMMY(id_, name_, in_, out_, desc_)                                                        \
    {                                                                                              \
        id_, name_, "dummy", in_, out_, desc_, "{}", NULL, NULL                                    \
    }

static const struct model_info models[] = {
    DUMMY("dummy-t2t", "Dummy Text-to-Text", MEDIA_TEXT, MEDIA_TEXT,
          "Offline test model: answers with the input reversed, prefixed DUMMY_TEXT."),
    DUMMY("dummy-t2i", "Dummy Text-to-Image", MEDIA_TEXT, MEDIA_IMAGE,
          "Offline test model: draws a 640x360 PNG of flat shapes derived from the input."),
    DUMMY("dummy-t2a", "Dummy Text-to-Audio", MEDIA_TEXT, MEDIA_AUDIO,
          "Offline test model: plays a few seconds of tones derived from the input (WAV)."),
    DUMMY("dummy-i2t", "Dummy Image-to-Text", MEDIA_IMAGE, MEDIA_TEXT,
          "Offline test model: a caption naming the image's hash."),
    DUMMY("dummy-i2i", "Dummy Image-to-Image", MEDIA_IMAGE, MEDIA_IMAGE,
          "Offline test model: a new picture derived from the input picture."),
    DUMMY("dummy-i2a", "Dummy Image-to-Audio", MEDIA_IMAGE, MEDIA_AUDIO,
          "Offline test model: tones derived from the input picture."),
    DUMMY("dummy-a2t", "Dummy Audio-to-Text", MEDIA_AUDIO, MEDIA_TEXT,
          "Offline test model: a transcript naming the audio's hash."),
    DUMMY("dummy-a2i", "Dummy Audio-to-Image", MEDIA_AUDIO, MEDIA_IMAGE,
          "Offline test model: a picture derived from the input audio."),
    DUMMY("dummy-a2a", "Dummy Audio-to-Audio", MEDIA_AUDIO, MEDIA_AUDIO,
          "Offline test model: new tones derived from the input audio."),
};

const struct model_info *catalog_find(const char *id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (strcmp(models[i].id, id) == 0)
            return &models[i];
    return NULL;
}

size_t catalog_count(void)
{
    return sizeof models / sizeof models[0];
}

const struct model_info *catalog_at(size_t i)
{
    return i < catalog_count() ? &models[i] : NULL;
}

const char *media_type_name(enum media_type t)
{
    switch (t) {
    case MEDIA_TEXT:
        return "text";
    case MEDIA_IMAGE:
        return "image";
    case MEDIA_AUDIO:
        return "audio";
    }
    return "?";
}

int media_type_parse(const char *s, enum media_type *out)
{
    static const enum media_type all[] = {MEDIA_TEXT, MEDIA_IMAGE, MEDIA_AUDIO};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(s, media_type_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return -1;
}
