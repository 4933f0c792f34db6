/* dummy_catalog.c: the dummy platform's models, as static data: one deterministic model for each
 * input/output pair so any network shape can run offline. Pure: no I/O. */
#include "coordinator/core/catalog.h"

#define DUMMY(id_, name_, in_, out_, desc_)                                                        \
    {                                                                                              \
        id_, name_, "dummy", in_, out_, desc_, "{}", NULL, NULL                                    \
    }

const struct model_info dummy_models[] = {
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
const size_t dummy_models_count = sizeof dummy_models / sizeof dummy_models[0];
