/* builtin_catalog.c: the builtin platform's models, as static data. Pure: no I/O. `path` names
 * the engine builtin.c runs for the model. */
#include "coordinator/core/catalog.h"

#define BUILTIN(id_, name_, in_, out_, engine_, desc_)                                             \
    {                                                                                              \
        id_, name_, "builtin", in_, out_, desc_, "{}", engine_, NULL                               \
    }

const struct model_info builtin_models[] = {
    BUILTIN("builtin-espeak", "eSpeak NG Voice", MEDIA_TEXT, MEDIA_AUDIO, "espeak-ng",
            "Offline speech synthesis with espeak-ng (American English, about 150 words a minute, "
            "speed and pitch shifting a little from call to call): a robotic formant voice that "
            "speech recognition often mishears, so loops drift."),
    BUILTIN("builtin-flite", "Flite Voice (slt)", MEDIA_TEXT, MEDIA_AUDIO, "flite",
            "Offline speech synthesis with flite's cmu_us_slt voice: clear, calm, and usually "
            "heard back word for word."),
    BUILTIN("builtin-sphinx", "PocketSphinx Transcriber", MEDIA_AUDIO, MEDIA_TEXT, "pocketsphinx",
            "Offline speech recognition with pocketsphinx and its US English model. Reads 16-bit "
            "PCM WAV (first 60 s); when it hears no words it describes the sound instead."),
    BUILTIN("builtin-tesseract", "Tesseract Reader", MEDIA_IMAGE, MEDIA_TEXT, "tesseract",
            "Offline text recognition with tesseract (English). A picture without readable text "
            "gets a short description of its colours, brightness and shapes instead."),
    BUILTIN("builtin-type", "Typesetter", MEDIA_TEXT, MEDIA_IMAGE, "type",
            "Offline text-to-image: the text typeset in DepartureMono on a 1280x720 picture whose "
            "colours, size, layout and shapes come from the words themselves."),
    BUILTIN("builtin-parrot", "Prompt Parrot", MEDIA_TEXT, MEDIA_TEXT, "parrot",
            "Offline prompt embellisher after the original's Prompt Parrot: keeps the subject and "
            "adds mediums, styles, artists, lighting and quality words."),
};
const size_t builtin_models_count = sizeof builtin_models / sizeof builtin_models[0];
