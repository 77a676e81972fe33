/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes a host sends on the QEMU guest agent channel (issue 8), read as the agent
 * reads them: split into values (vl-qga-reader, in reads of every size the first byte picks),
 * each checked, parsed and judged as a request (vl-qga). Every value comes out whole (never
 * longer than the cap, no 0xFF in it), a reader never holds more than the cap, and a request
 * either names a command of the table or gets one of qemu-ga's two error classes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vl-json-check.h"
#include "vl-protocol.h"
#include "vl-qga-reader.h"
#include "vl-qga.h"

#define CAP 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
judge(const char *text, gsize len)
{
    g_autoptr(VlJson) message = NULL;
    g_autofree char *desc = NULL;
    const char *klass = NULL;
    VlQgaRequest request;

    if (len > CAP || memchr(text, 0xFF, len) != NULL) {
        abort();
    }
    if (!vl_json_check(text, len, VL_FRAME_DEFAULT_MAX_DEPTH, NULL)) {
        return;
    }
    message = vl_json_parse(text, len, NULL);
    if (message == NULL) {
        abort(); /* the check passed it */
    }
    if (vl_qga_request_check(message, &request, &klass, &desc)) {
        if (request.command == NULL || desc != NULL) {
            abort();
        }
        return;
    }
    if (desc == NULL || (!g_str_equal(klass, VL_QGA_GENERIC_ERROR) &&
                         !g_str_equal(klass, VL_QGA_COMMAND_NOT_FOUND))) {
        abort();
    }
    g_string_free(vl_qga_encode_error(klass, desc, request.id), TRUE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VlQgaReader) reader = vl_qga_reader_new(CAP);
    gsize chunk;

    if (size == 0) {
        return 0;
    }
    chunk = data[0] % 64 + 1;
    data++;
    size--;
    while (size > 0) {
        gsize n = MIN(chunk, size);
        const char *p = (const char *)data;

        data += n;
        size -= n;
        while (n > 0) {
            g_autofree char *text = NULL;
            gsize used = 0;
            gsize len = 0;

            if (vl_qga_reader_push(reader, p, n, &used, &text, &len, NULL) && text) {
                judge(text, len);
            }
            if (used == 0 || used > n || vl_qga_reader_pending(reader) > CAP) {
                abort();
            }
            p += used;
            n -= used;
        }
    }
    return 0;
}
