/* replicate_catalog.c: the replicate platform's models, as static data. Pure: no I/O.
 *
 * The non-deprecated Replicate models of the original (reference/panic-original.md section 3.2)
 * with its exact input parameters. How replicate.c reads a row:
 *
 *   path  "owner/name"          an official model: POST /v1/models/owner/name/predictions
 *         "owner/name:<hash>"   a pinned version: POST /v1/predictions {"version": hash}
 *         "owner/name:latest"   a community model: the latest version is looked up with
 *                               GET /v1/models/owner/name (cached for an hour), as the original
 *                               did for every call
 *   params_json                 every key not starting with '_' is sent as is inside "input";
 *     "_input"                  the input field that receives the invocation input: the text,
 *                               or the image/audio as a data: URL (or an uploaded file's URL)
 *     "_output"                 for a model answering with an object: the member to use
 *                               ("transcription", "wav"); without it the first URL member (media)
 *                               or "text"/"transcription"/"output" (text) is used
 *     "_strip_quotes"           true: strip double quotes around a text answer (Molmo)
 *     "_passthrough"            true: no API call, the input itself is the answer
 *     "_if_text"                an object with its own "_path", "_input" and parameters, used
 *                               instead when a text input does not name a stored image
 *                               (Image Reproducer I: a genesis prompt goes to FLUX schnell)
 * Text answers are joined when they come as a list of chunks, and trimmed. */
#include "coordinator/core/catalog.h"

#define CAPTION_PROMPT                                                                             \
    "Provide an interesting, concise caption for this image. Describe foreground and "             \
    "background elements."

#define REP(id_, name_, in_, out_, path_, desc_, params_)                                          \
    {                                                                                              \
        id_, name_, "replicate", in_, out_, desc_, params_, path_, NULL                            \
    }

const struct model_info replicate_models[] = {
    /* text -> image */
    REP("stable-diffusion", "Stable Diffusion 3.5 Turbo", MEDIA_TEXT, MEDIA_IMAGE,
        "stability-ai/stable-diffusion-3.5-large-turbo",
        "Paints a picture of what the words describe, using Stability AI's Stable Diffusion on "
        "the internet.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\",\"output_format\":\"png\"}"),
    REP("imagen-4-fast", "Imagen 4 Fast", MEDIA_TEXT, MEDIA_IMAGE, "google/imagen-4-fast",
        "Paints a picture of what the words describe, using Google's Imagen on the internet.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\","
        "\"safety_filter_level\":\"block_only_high\"}"),
    REP("photon-flash", "Luma Photon Flash", MEDIA_TEXT, MEDIA_IMAGE, "luma/photon-flash",
        "Quickly paints a picture of what the words describe, using Luma's Photon on the "
        "internet.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\"}"),
    REP("flux-2-klein-4b", "FLUX 2 Klein 4B", MEDIA_TEXT, MEDIA_IMAGE,
        "black-forest-labs/flux-2-klein-4b",
        "Paints a picture of what the words describe, using a small, quick FLUX model on the "
        "internet.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\",\"output_format\":\"png\"}"),
    REP("seedream-4.5", "Seedream 4.5", MEDIA_TEXT, MEDIA_IMAGE, "bytedance/seedream-4.5",
        "Paints a detailed picture of what the words describe, using ByteDance's Seedream on the "
        "internet.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\",\"size\":\"2K\",\"guidance_scale\":2.5}"),
    REP("z-image-turbo", "Z-Image Turbo", MEDIA_TEXT, MEDIA_IMAGE, "prunaai/z-image-turbo:latest",
        "Quickly paints a picture of what the words describe, using Z-Image Turbo on the "
        "internet.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\"}"),
    REP("dreamina-3.1", "Dreamina 3.1", MEDIA_TEXT, MEDIA_IMAGE, "bytedance/dreamina-3.1",
        "Paints a cinematic picture of what the words describe, using ByteDance's Dreamina on the "
        "internet.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\",\"resolution\":\"2K\","
        "\"enhance_prompt\":false}"),
    REP("ideogram-v3-turbo", "Ideogram V3 Turbo", MEDIA_TEXT, MEDIA_IMAGE,
        "ideogram-ai/ideogram-v3-turbo",
        "Paints a picture of what the words describe, good at lettering and design, using "
        "Ideogram on the internet.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\"}"),
    REP("image-reproducer-i-flux", "Image Reproducer I (Flux)", MEDIA_TEXT, MEDIA_IMAGE,
        "black-forest-labs/flux-kontext-dev",
        "Tries to copy the previous picture as exactly as it can, or paints the first words it is "
        "given, using FLUX on the internet.",
        "{\"_input\":\"input_image\",\"prompt\":\"reproduce this image exactly\","
        "\"guidance\":2.5,\"num_inference_steps\":30,\"output_format\":\"png\","
        "\"aspect_ratio\":\"16:9\","
        "\"_if_text\":{\"_path\":\"black-forest-labs/flux-schnell\",\"_input\":\"prompt\","
        "\"output_format\":\"png\",\"aspect_ratio\":\"16:9\",\"disable_safety_checker\":true}}"),
    /* image -> text */
    REP("image-reproducer-ii-flux", "Image Reproducer II (Flux)", MEDIA_IMAGE, MEDIA_TEXT,
        "black-forest-labs/flux-kontext-dev",
        "Passes the picture on unchanged so the next step can copy it; it makes nothing itself "
        "and runs on this computer.",
        "{\"_passthrough\":true}"),
    REP("molmo-7b", "Molmo 7B-D", MEDIA_IMAGE, MEDIA_TEXT, "zsxkib/molmo-7b:latest",
        "Looks at the picture and says in detail what it sees, using Allen AI's Molmo on the "
        "internet.",
        "{\"_input\":\"image\",\"text\":\"What do you see? Give me a detailed answer\","
        "\"max_new_tokens\":100,\"_strip_quotes\":true}"),
    REP("moondream2", "Moondream 2", MEDIA_IMAGE, MEDIA_TEXT, "lucataco/moondream2:latest",
        "Looks at the picture and describes it and its style in a few words, using the tiny "
        "Moondream on the internet.",
        "{\"_input\":\"image\",\"question\":\"Provide a very short description of this picture, "
        "including both foreground and background elements, and the (artistic) style of the "
        "image.\"}"),
    REP("qwen2-vl-7b-instruct", "Qwen2-VL 7B", MEDIA_IMAGE, MEDIA_TEXT,
        "lucataco/qwen2-vl-7b-instruct:latest",
        "Looks at the picture and writes a short caption for it, using Alibaba's Qwen on the "
        "internet.",
        "{\"_input\":\"media\",\"prompt\":\"" CAPTION_PROMPT "\"}"),
    REP("llama-4-scout-instruct", "Llama 4 Scout", MEDIA_IMAGE, MEDIA_TEXT,
        "meta/llama-4-scout-instruct",
        "Looks at the picture and writes a short caption for it, using Meta's Llama on the "
        "internet.",
        "{\"_input\":\"image\",\"prompt\":\"" CAPTION_PROMPT "\",\"max_tokens\":100}"),
    REP("claude-4-sonnet-caption", "Claude 4 Sonnet Caption", MEDIA_IMAGE, MEDIA_TEXT,
        "anthropic/claude-4-sonnet",
        "Looks at the picture and describes it in one sentence, using Anthropic's Claude on the "
        "internet.",
        "{\"_input\":\"image\",\"prompt\":\"describe this image in one sentence\","
        "\"max_image_resolution\":0.5}"),
    /* text -> text */
    REP("claude-4-sonnet", "Claude 4 Sonnet", MEDIA_TEXT, MEDIA_TEXT, "anthropic/claude-4-sonnet",
        "Answers the words as if they were a question or a request, using Anthropic's Claude on "
        "the internet.",
        "{\"_input\":\"prompt\"}"),
    /* text -> audio */
    REP("magnet", "MAGNeT", MEDIA_TEXT, MEDIA_AUDIO, "lucataco/magnet:latest",
        "Makes ten seconds of music from the words, using Meta's MAGNeT on the internet.",
        "{\"_input\":\"prompt\",\"model\":\"facebook/magnet-medium-10secs\",\"variations\":1}"),
    REP("flux-music", "Flux Music", MEDIA_TEXT, MEDIA_AUDIO, "zsxkib/flux-music:latest",
        "Makes a short piece of music from the words, using Flux Music on the internet.",
        "{\"_input\":\"prompt\",\"model_version\":\"base\",\"steps\":50,\"_output\":\"wav\"}"),
    REP("lyria-2", "Lyria 2", MEDIA_TEXT, MEDIA_AUDIO, "google/lyria-2",
        "Makes a short piece of music from the words, using Google's Lyria on the internet.",
        "{\"_input\":\"prompt\"}"),
    /* audio -> text */
    REP("whisper", "Whisper", MEDIA_AUDIO, MEDIA_TEXT, "openai/whisper:latest",
        "Writes down the words it hears in the sound, always guessing, even in music, using "
        "OpenAI's Whisper on the internet.",
        "{\"_input\":\"audio\",\"transcription\":\"plain text\","
        "\"condition_on_previous_text\":false,\"no_speech_threshold\":1.0,"
        "\"_output\":\"transcription\"}"),
};
const size_t replicate_models_count = sizeof replicate_models / sizeof replicate_models[0];
