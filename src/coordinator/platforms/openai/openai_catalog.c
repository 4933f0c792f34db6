/* openai_catalog.c: the openai platform's models, as static data. Pure: no I/O.
 *
 * params_json is merged into the request body by openai.c, except "system", "prompt", "detail"
 * and "timeout_s", which it reads itself (see openai.h). Image sizes: the screens are 16:9 TVs;
 * gpt-image-1's widest size is 1536x1024 (3:2) and dall-e-3's is 1792x1024 (7:4, close to 16:9),
 * and the display letterboxes either. */
#include "coordinator/core/catalog.h"
#include "coordinator/core/openai_config.h"

#define OBLIQUE_SYSTEM_PROMPT                                                                      \
    "You are a deck of Oblique Strategies cards, in the manner of Brian Eno and Peter Schmidt. "   \
    "Whatever you are given, answer with exactly one short, gnomic, lateral instruction of at "    \
    "most twelve words, in the imperative mood, that a stuck artist could act on. Let the input "  \
    "suggest the card but never mention it. No quotation marks, no explanation, no preamble. "     \
    "Never leave a response empty."

#define OPENAI(id_, name_, in_, out_, path_, desc_, params_)                                       \
    {                                                                                              \
        id_, name_, "openai", in_, out_, desc_, params_, path_, NULL                               \
    }

const struct model_info openai_models[] = {
    OPENAI(
        "gpt-5-chat", "GPT-5 Chat", MEDIA_TEXT, MEDIA_TEXT, "gpt-5-chat-latest",
        "Answers the words with a short, imaginative reply of its own, using OpenAI's GPT-5 on the "
        "internet.",
        "{\"system\": \"" OPENAI_PANIC_SYSTEM_PROMPT "\", \"temperature\": 1.0, "
        "\"max_completion_tokens\": 150}"),
    OPENAI(
        "oblique-strategies", "Oblique Strategies", MEDIA_TEXT, MEDIA_TEXT, "gpt-5-chat-latest",
        "Answers anything with one short, sideways piece of advice for an artist, like a card from "
        "Brian Eno's Oblique Strategies, using OpenAI's GPT-5 on the internet.",
        "{\"system\": \"" OBLIQUE_SYSTEM_PROMPT "\", \"temperature\": 1.0, "
        "\"max_completion_tokens\": 40}"),
    OPENAI("gpt-4.1-mini-caption", "GPT-4.1 mini Caption", MEDIA_IMAGE, MEDIA_TEXT, "gpt-4.1-mini",
           "Looks at the picture and writes a short caption for it, using OpenAI's GPT-4.1 mini on "
           "the internet.",
           "{\"prompt\": \"" OPENAI_CAPTION_PROMPT "\", \"detail\": \"low\", "
           "\"max_completion_tokens\": 100}"),
    OPENAI(
        "gpt-image-1", "GPT Image 1", MEDIA_TEXT, MEDIA_IMAGE, "gpt-image-1",
        "Paints a picture of what the words describe, using OpenAI's image model on the internet; "
        "each picture takes up to a minute.",
        "{\"size\": \"1536x1024\", \"quality\": \"medium\", \"output_format\": \"png\", "
        "\"moderation\": \"low\"}"),
    OPENAI("dall-e-3", "DALL-E 3", MEDIA_TEXT, MEDIA_IMAGE, "dall-e-3",
           "Paints a wide picture of what the words describe, using OpenAI's older DALL-E 3 on the "
           "internet.",
           "{\"size\": \"1792x1024\", \"quality\": \"standard\", \"response_format\": "
           "\"b64_json\"}"),
    OPENAI("gpt-4o-mini-tts", "GPT-4o mini TTS", MEDIA_TEXT, MEDIA_AUDIO, "gpt-4o-mini-tts",
           "Reads the words aloud like a calm gallery guide, using OpenAI's voice model on the "
           "internet.",
           "{\"voice\": \"coral\", \"response_format\": \"wav\", \"instructions\": \"Read this "
           "aloud like the caption of an artwork in a quiet gallery: calm, clear and "
           "curious.\"}"),
    OPENAI(
        "gpt-4o-mini-transcribe", "GPT-4o mini Transcribe", MEDIA_AUDIO, MEDIA_TEXT,
        "gpt-4o-mini-transcribe",
        "Listens to the sound and writes down the words it hears, using OpenAI's speech model on "
        "the internet.",
        "{\"response_format\": \"json\"}"),
    OPENAI(
        "whisper-1", "Whisper (OpenAI)", MEDIA_AUDIO, MEDIA_TEXT, "whisper-1",
        "Writes down the words it hears in the sound, using OpenAI's Whisper on the internet; in "
        "music or noise it often hears words nobody said.",
        "{\"response_format\": \"json\"}"),
};
const size_t openai_models_count = sizeof openai_models / sizeof openai_models[0];
