/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the tests of what the QEMU guest agent commands read (vl-qga-platform.h): runs a
 * command's writer on a fixture tree and gives its answer as compact JSON.
 */
#pragma once

#include "vl-collector.h"

typedef gboolean (*QgaWriter)(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error);

/* What writer writes for root, as compact JSON, or "error: " and the message. */
static inline char *
qga_write_for(QgaWriter writer, const char *root)
{
    VlCollectContext ctx = {.root = root};
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) value = NULL;
    g_autoptr(GError) error = NULL;

    vl_json_builder_begin_array(b);
    if (!writer(&ctx, b, &error)) {
        return g_strdup_printf("error: %s", error->message);
    }
    vl_json_builder_end_array(b);
    value = vl_json_builder_finish(b);
    return vl_json_to_string(vl_json_array_get(value, 0), NULL);
}
