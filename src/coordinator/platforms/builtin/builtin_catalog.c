/* builtin_catalog.c: the builtin platform's models, as static data. Pure: no I/O. `path` names
 * the engine builtin.c runs for the model. */
#include "coordinator/core/catalog.h"

#define BUILTIN(id_, name_, in_, out_, engine_, desc_)                                             \
    {                                                                                              \
        id_, name_, "builtin", in_, out_, desc_, "{}", engine_, NULL                               \
    }

const struct model_info builtin_models[] = {
    BUILTIN("builtin-espeak", "eSpeak NG Voice", MEDIA_TEXT, MEDIA_AUDIO, "espeak-ng",
            "Reads the words aloud in a robotic voice, on this computer; its odd accent is often "
            "misheard, "
            "so the loop drifts."),
    BUILTIN("builtin-flite", "Flite Voice (slt)", MEDIA_TEXT, MEDIA_AUDIO, "flite",
            "Reads the words aloud in a clear, calm voice, on this computer."),
    BUILTIN(
        "builtin-sphinx", "PocketSphinx Transcriber", MEDIA_AUDIO, MEDIA_TEXT, "pocketsphinx",
        "Listens to the sound and writes down the words it hears, on this computer; with no words "
        "in it, it describes the sound instead."),
    BUILTIN(
        "builtin-tesseract", "Tesseract Reader", MEDIA_IMAGE, MEDIA_TEXT, "tesseract",
        "Reads any writing in the picture, on this computer; a picture without words gets a short "
        "description of its colours and shapes instead."),
    BUILTIN(
        "builtin-type", "Typesetter", MEDIA_TEXT, MEDIA_IMAGE, "type",
        "Sets the words as a poster whose colours and shapes come from the words themselves, on "
        "this computer."),
    BUILTIN("builtin-parrot", "Prompt Parrot", MEDIA_TEXT, MEDIA_TEXT, "parrot",
            "Dresses up the words as a request to an artist, adding styles, painters and lighting, "
            "on this computer."),
};
const size_t builtin_models_count = sizeof builtin_models / sizeof builtin_models[0];
