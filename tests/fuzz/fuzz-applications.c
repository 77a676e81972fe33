/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as a dpkg database through the applications parser
 * (guest-agent/linux/applications.c).
 *
 * The first input byte chooses a chunk size (1..256); the rest is split at form feeds into
 * files read one after the other, as the status file and its updates/ journal are. The section
 * written must pass the catalogue, be sorted by name without duplicates, and be the same
 * whether the files were fed whole or in chunks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/applications.h"
#include "vl-catalogue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
parse(const char *text, gsize len, gsize chunk)
{
    g_autoptr(VlApplications) apps = vl_applications_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;

    while (len > 0) {
        const char *ff = memchr(text, '\f', len);
        gsize file = ff ? (gsize)(ff - text) : len;

        for (gsize off = 0; off < file;) {
            gsize n = chunk ? MIN(chunk, file - off) : file;

            vl_applications_feed_dpkg(apps, text + off, n);
            off += n;
        }
        vl_applications_end_dpkg(apps);
        text += ff ? file + 1 : file;
        len -= ff ? file + 1 : file;
    }
    vl_applications_write(apps, b);
    section = vl_json_builder_finish(b);
    if (!vl_report_validate_section("applications", section, NULL)) {
        abort(); /* the parser wrote what the catalogue refuses */
    }
    for (guint i = 1; i < vl_json_array_length(section); i++) {
        const char *prev =
            vl_json_get_string(vl_json_object_get(vl_json_array_get(section, i - 1), "name"));
        const char *name =
            vl_json_get_string(vl_json_object_get(vl_json_array_get(section, i), "name"));

        if (strcmp(prev, name) >= 0) {
            abort(); /* not sorted, or a name twice */
        }
    }
    return vl_json_to_string(section, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *whole = NULL;
    g_autofree char *chunked = NULL;
    gsize chunk;

    if (size == 0) {
        return 0;
    }
    chunk = (gsize)data[0] + 1;
    whole = parse((const char *)data + 1, size - 1, 0);
    chunked = parse((const char *)data + 1, size - 1, chunk);
    if (!g_str_equal(whole, chunked)) {
        abort(); /* where reads split the file changed the result */
    }
    return 0;
}
