/* gemini_catalog.c: the gemini platform's models, as static data. Pure: no I/O.
 *
 * path is the Gemini model name (models/{path}:generateContent); params_json holds "prompt",
 * the text sent beside the audio (the original's, word for word). */
#include "coordinator/core/catalog.h"

#define AUDIO_PROMPT                                                                               \
    "Describe this audio. The description will be fed into a text-to-audio generative model, "     \
    "and your aim is to have that model reproduce the original audio as closely as possible. "     \
    "Never include any specific artist or song names in the description. Be concise - less "       \
    "than 100 words in total."

const struct model_info gemini_models[] = {
    {"gemini-audio-description", "Gemini Audio Description (Flash)", "gemini", MEDIA_AUDIO,
     MEDIA_TEXT,
     "Listens to the sound and describes it in words so it can be made again, using Google's "
     "Gemini Flash on the internet.",
     "{\"prompt\":\"" AUDIO_PROMPT "\"}", "gemini-2.5-flash", NULL},
    {"gemini-audio-description-pro", "Gemini Audio Description (Pro)", "gemini", MEDIA_AUDIO,
     MEDIA_TEXT,
     "Listens closely to the sound and describes it in words so it can be made again, using "
     "Google's Gemini Pro on the internet.",
     "{\"prompt\":\"" AUDIO_PROMPT "\"}", "gemini-2.5-pro", NULL},
};
const size_t gemini_models_count = sizeof gemini_models / sizeof gemini_models[0];
