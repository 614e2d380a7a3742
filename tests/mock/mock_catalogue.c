/* mock_catalogue.c - the small built-in model catalogue of the mock server. */
#include "mock_internal.h"

#include <stdio.h>
#include <string.h>

static const mk_model catalogue[] = {
    {"bytedance/seedream-4.5-t2i", "text-to-image", 2000, false, "Seedream 4.5 text to image"},
    {"bytedance/seedream-5.0-lite", "text-to-image", 1500, false, "Seedream 5.0 lite text to image"},
    {"alibaba/qwen-image-plus", "text-to-image", 2500, false, "Qwen image plus"},
    {"alibaba/qwen-image-edit", "image-to-image", 3000, false, "Qwen image edit"},
    {"google/nano-banana-2", "text-to-image", 1800, false, "Nano Banana 2"},
    {"google/nano-banana-2-edit", "image-to-image", 2200, false, "Nano Banana 2 edit"},
    {"bytedance/seedance-2.0-mini-t2v", "text-to-video", 5000, true, "Seedance 2.0 mini text to video"},
    {"bytedance/seedance-1.0-pro-i2v", "image-to-video", 6000, true, "Seedance 1.0 pro image to video"},
    {"kling/kling-v2-t2v", "text-to-video", 4500, true, "Kling v2 text to video"},
    {"alibaba/wan-2.5-v2v", "video-to-video", 4000, true, "Wan 2.5 video to video"},
};

static const char *const types[] = {"text-to-image", "image-to-image", "text-to-video", "image-to-video",
                                    "video-to-video"};

const mk_model *mk_catalogue_find(const char *slug)
{
    for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++) {
        if (strcmp(catalogue[i].slug, slug) == 0)
            return &catalogue[i];
    }
    return NULL;
}

bool mk_catalogue_type_valid(const char *type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(types[i], type) == 0)
            return true;
    }
    return false;
}

json_t *mk_catalogue_json(void)
{
    json_t *models = json_array();
    for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++) {
        const mk_model *m = &catalogue[i];
        char provider[64], docs[160];
        const char *slash = strchr(m->slug, '/');
        size_t pl = slash ? (size_t)(slash - m->slug) : strlen(m->slug);
        if (pl >= sizeof provider)
            pl = sizeof provider - 1;
        memcpy(provider, m->slug, pl);
        provider[pl] = '\0';
        snprintf(docs, sizeof docs, "https://docs.modellix.ai/%s", m->slug);
        json_array_append_new(models, json_pack("{s:s, s:s, s:s, s:s, s:s}", "slug", m->slug, "type", m->type,
                                                "provider", provider, "docs_url", docs, "description",
                                                m->description));
    }
    return json_pack("{s:o}", "models", models);
}
