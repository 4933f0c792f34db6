/* dummy_catalog.c: the dummy platform's models, as static data: one deterministic model for each
 * input/output pair so any network shape can run offline. Pure: no I/O. */
#include "coordinator/core/catalog.h"

#define DUMMY(id_, name_, in_, out_, desc_)                                                        \
    {                                                                                              \
        id_, name_, "dummy", in_, out_, desc_, "{}", NULL, NULL                                    \
    }

const struct model_info dummy_models[] = {
    DUMMY("dummy-t2t", "Dummy Text-to-Text", MEDIA_TEXT, MEDIA_TEXT,
          "A test stand-in that writes the words back to front, on this computer."),
    DUMMY("dummy-t2i", "Dummy Text-to-Image", MEDIA_TEXT, MEDIA_IMAGE,
          "A test stand-in that draws flat shapes picked from the words, on this computer."),
    DUMMY("dummy-t2a", "Dummy Text-to-Audio", MEDIA_TEXT, MEDIA_AUDIO,
          "A test stand-in that plays a few beeps picked from the words, on this computer."),
    DUMMY("dummy-i2t", "Dummy Image-to-Text", MEDIA_IMAGE, MEDIA_TEXT,
          "A test stand-in that answers a picture with a code name for it, on this computer."),
    DUMMY("dummy-i2i", "Dummy Image-to-Image", MEDIA_IMAGE, MEDIA_IMAGE,
          "A test stand-in that turns a picture into flat shapes, on this computer."),
    DUMMY("dummy-i2a", "Dummy Image-to-Audio", MEDIA_IMAGE, MEDIA_AUDIO,
          "A test stand-in that turns a picture into a few beeps, on this computer."),
    DUMMY("dummy-a2t", "Dummy Audio-to-Text", MEDIA_AUDIO, MEDIA_TEXT,
          "A test stand-in that answers a sound with a code name for it, on this computer."),
    DUMMY("dummy-a2i", "Dummy Audio-to-Image", MEDIA_AUDIO, MEDIA_IMAGE,
          "A test stand-in that turns a sound into flat shapes, on this computer."),
    DUMMY("dummy-a2a", "Dummy Audio-to-Audio", MEDIA_AUDIO, MEDIA_AUDIO,
          "A test stand-in that turns a sound into a few beeps, on this computer."),
};
const size_t dummy_models_count = sizeof dummy_models / sizeof dummy_models[0];
