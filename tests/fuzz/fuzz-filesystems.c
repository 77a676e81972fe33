/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as /proc/1/mountinfo through the filesystems parser
 * (guest-agent/linux/filesystems.c), with exclude globs and without statvfs().
 *
 * The first input byte chooses a chunk size (1..256). The section written must pass the
 * catalogue and be the same whether the text was fed whole or in chunks.
 */
#include <stdint.h>
#include <stdlib.h>

#include "linux/filesystems.h"
#include "vl-catalogue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
parse(const char *text, gsize len, gsize chunk)
{
    static const char *const exclude[] = {"/ex*", "*/skip", "/m?t/*", NULL};
    g_autoptr(VlFilesystems) fs = vl_filesystems_new();
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;

    for (gsize off = 0; off < len;) {
        gsize n = chunk ? MIN(chunk, len - off) : len;

        vl_filesystems_feed(fs, text + off, n);
        off += n;
    }
    vl_filesystems_end(fs);
    vl_filesystems_write(fs, exclude, NULL, b);
    section = vl_json_builder_finish(b);
    if (!vl_report_validate_section("filesystems", section, NULL)) {
        abort(); /* the parser wrote what the catalogue refuses */
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
