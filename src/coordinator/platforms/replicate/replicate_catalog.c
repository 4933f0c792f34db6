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
        "Stability AI's fast Stable Diffusion 3.5 Large, 16:9 PNG.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\",\"output_format\":\"png\"}"),
    REP("imagen-4-fast", "Imagen 4 Fast", MEDIA_TEXT, MEDIA_IMAGE, "google/imagen-4-fast",
        "Google's Imagen 4, fast variant, 16:9, blocking only high-risk content.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\","
        "\"safety_filter_level\":\"block_only_high\"}"),
    REP("photon-flash", "Luma Photon Flash", MEDIA_TEXT, MEDIA_IMAGE, "luma/photon-flash",
        "Luma's quick, low-cost image model, 16:9.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\"}"),
    REP("flux-2-klein-4b", "FLUX 2 Klein 4B", MEDIA_TEXT, MEDIA_IMAGE,
        "black-forest-labs/flux-2-klein-4b",
        "Black Forest Labs' small 4B-parameter FLUX 2, 16:9 PNG.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\",\"output_format\":\"png\"}"),
    REP("seedream-4.5", "Seedream 4.5", MEDIA_TEXT, MEDIA_IMAGE, "bytedance/seedream-4.5",
        "ByteDance's Seedream 4.5 at 2K, 16:9.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\",\"size\":\"2K\",\"guidance_scale\":2.5}"),
    REP("z-image-turbo", "Z-Image Turbo", MEDIA_TEXT, MEDIA_IMAGE, "prunaai/z-image-turbo:latest",
        "A fast distilled text-to-image model, 16:9.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\"}"),
    REP("dreamina-3.1", "Dreamina 3.1", MEDIA_TEXT, MEDIA_IMAGE, "bytedance/dreamina-3.1",
        "4MP cinematic-quality text-to-image generation with precise style control from "
        "ByteDance, 16:9 at 2K.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\",\"resolution\":\"2K\","
        "\"enhance_prompt\":false}"),
    REP("ideogram-v3-turbo", "Ideogram V3 Turbo", MEDIA_TEXT, MEDIA_IMAGE,
        "ideogram-ai/ideogram-v3-turbo",
        "Fast text-to-image generation with stunning realism, creative designs, and consistent "
        "styles, 16:9.",
        "{\"_input\":\"prompt\",\"aspect_ratio\":\"16:9\"}"),
    REP("image-reproducer-i-flux", "Image Reproducer I (Flux)", MEDIA_TEXT, MEDIA_IMAGE,
        "black-forest-labs/flux-kontext-dev",
        "Reproduces the image a stored-image name points at with FLUX Kontext; any other text "
        "(a genesis prompt) is drawn by FLUX schnell.",
        "{\"_input\":\"input_image\",\"prompt\":\"reproduce this image exactly\","
        "\"guidance\":2.5,\"num_inference_steps\":30,\"output_format\":\"png\","
        "\"aspect_ratio\":\"16:9\","
        "\"_if_text\":{\"_path\":\"black-forest-labs/flux-schnell\",\"_input\":\"prompt\","
        "\"output_format\":\"png\",\"aspect_ratio\":\"16:9\",\"disable_safety_checker\":true}}"),
    /* image -> text */
    REP("image-reproducer-ii-flux", "Image Reproducer II (Flux)", MEDIA_IMAGE, MEDIA_TEXT,
        "black-forest-labs/flux-kontext-dev",
        "Image to text passthrough for completing image reproduction networks: answers with the "
        "image's own name, for Image Reproducer I. No API call.",
        "{\"_passthrough\":true}"),
    REP("molmo-7b", "Molmo 7B-D", MEDIA_IMAGE, MEDIA_TEXT, "zsxkib/molmo-7b:latest",
        "Allen AI's open vision-language model: a detailed answer to \"what do you see?\".",
        "{\"_input\":\"image\",\"text\":\"What do you see? Give me a detailed answer\","
        "\"max_new_tokens\":100,\"_strip_quotes\":true}"),
    REP("moondream2", "Moondream 2", MEDIA_IMAGE, MEDIA_TEXT, "lucataco/moondream2:latest",
        "A tiny vision-language model: a very short description including the style.",
        "{\"_input\":\"image\",\"question\":\"Provide a very short description of this picture, "
        "including both foreground and background elements, and the (artistic) style of the "
        "image.\"}"),
    REP("qwen2-vl-7b-instruct", "Qwen2-VL 7B", MEDIA_IMAGE, MEDIA_TEXT,
        "lucataco/qwen2-vl-7b-instruct:latest",
        "Alibaba's Qwen2 vision-language model, captioning.",
        "{\"_input\":\"media\",\"prompt\":\"" CAPTION_PROMPT "\"}"),
    REP("llama-4-scout-instruct", "Llama 4 Scout", MEDIA_IMAGE, MEDIA_TEXT,
        "meta/llama-4-scout-instruct", "Meta's multimodal Llama 4 Scout, captioning.",
        "{\"_input\":\"image\",\"prompt\":\"" CAPTION_PROMPT "\",\"max_tokens\":100}"),
    REP("claude-4-sonnet-caption", "Claude 4 Sonnet Caption", MEDIA_IMAGE, MEDIA_TEXT,
        "anthropic/claude-4-sonnet",
        "Anthropic's Claude 4 Sonnet describes the image in one "
        "sentence.",
        "{\"_input\":\"image\",\"prompt\":\"describe this image in one sentence\","
        "\"max_image_resolution\":0.5}"),
    /* text -> text */
    REP("claude-4-sonnet", "Claude 4 Sonnet", MEDIA_TEXT, MEDIA_TEXT, "anthropic/claude-4-sonnet",
        "Anthropic's Claude 4 Sonnet, answering the text as a prompt.", "{\"_input\":\"prompt\"}"),
    /* text -> audio */
    REP("magnet", "MAGNeT", MEDIA_TEXT, MEDIA_AUDIO, "lucataco/magnet:latest",
        "Meta's masked generative music model, 10 seconds.",
        "{\"_input\":\"prompt\",\"model\":\"facebook/magnet-medium-10secs\",\"variations\":1}"),
    REP("flux-music", "Flux Music", MEDIA_TEXT, MEDIA_AUDIO, "zsxkib/flux-music:latest",
        "Text-to-music with a rectified-flow transformer (WAV).",
        "{\"_input\":\"prompt\",\"model_version\":\"base\",\"steps\":50,\"_output\":\"wav\"}"),
    REP("lyria-2", "Lyria 2", MEDIA_TEXT, MEDIA_AUDIO, "google/lyria-2",
        "Lyria 2 is a music generation model that produces 48kHz stereo audio through "
        "text-based prompts.",
        "{\"_input\":\"prompt\"}"),
    /* audio -> text */
    REP("whisper", "Whisper", MEDIA_AUDIO, MEDIA_TEXT, "openai/whisper:latest",
        "OpenAI's speech recogniser; set to always guess at words, even in music.",
        "{\"_input\":\"audio\",\"transcription\":\"plain text\","
        "\"condition_on_previous_text\":false,\"no_speech_threshold\":1.0,"
        "\"_output\":\"transcription\"}"),
};
const size_t replicate_models_count = sizeof replicate_models / sizeof replicate_models[0];
