/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes a host sends on the QEMU guest agent channel (issue 8), read as the agent
 * reads them: split into values (vl-qga-reader, in reads of every size the first byte picks),
 * each checked, parsed and judged as a request (vl-qga). Every value comes out whole (never
 * longer than the cap, no 0xFF in it), a reader never holds more than the cap, and a request
 * either names a command of the table or gets one of qemu-ga's two error classes. The one-pass
 * strict parser the agent uses accepts what the checker accepts and builds what json-glib's
 * parser builds; what vmlink writes of it reads back the same; an answer is valid JSON. Read in
 * reads of one byte, the same bytes give the same values and errors.
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

/* TEXT of a frame: one valid JSON text and a newline. */
static void
assert_valid_frame(const GString *frame)
{
    if (frame->len == 0 || frame->str[frame->len - 1] != '\n' ||
        !vl_json_check(frame->str, frame->len - 1, VL_FRAME_DEFAULT_MAX_DEPTH + 2, NULL)) {
        abort();
    }
}

static void
judge(const char *text, gsize len)
{
    g_autoptr(VlJson) message = NULL;
    g_autoptr(VlJson) lenient = NULL;
    g_autoptr(VlJson) again = NULL;
    g_autofree char *desc = NULL;
    g_autofree char *written = NULL;
    g_autofree char *want = NULL;
    g_autofree char *rewritten = NULL;
    const char *klass = NULL;
    gsize written_len = 0;
    VlQgaRequest request;

    if (len > CAP || memchr(text, 0xFF, len) != NULL) {
        abort();
    }
    message = vl_json_parse_strict(text, len, VL_FRAME_DEFAULT_MAX_DEPTH, NULL);
    if ((message != NULL) != vl_json_check(text, len, VL_FRAME_DEFAULT_MAX_DEPTH, NULL)) {
        abort();
    }
    if (message == NULL) {
        return;
    }
    lenient = vl_json_parse(text, len, NULL);
    if (lenient == NULL) {
        abort(); /* the check passed it */
    }
    written = vl_json_to_string(message, &written_len);
    want = vl_json_to_string(lenient, NULL);
    again = vl_json_parse_strict(written, written_len, VL_FRAME_DEFAULT_MAX_DEPTH, NULL);
    rewritten = again ? vl_json_to_string(again, NULL) : NULL;
    if (!g_str_equal(written, want) || rewritten == NULL || !g_str_equal(rewritten, written)) {
        abort();
    }
    if (vl_qga_request_check(message, &request, &klass, &desc)) {
        g_autoptr(GString) answer = NULL;

        if (request.command == NULL || desc != NULL) {
            abort();
        }
        answer = vl_qga_encode_return(request.arguments ? request.arguments : message, request.id);
        assert_valid_frame(answer);
        return;
    }
    if (desc == NULL || (!g_str_equal(klass, VL_QGA_GENERIC_ERROR) &&
                         !g_str_equal(klass, VL_QGA_COMMAND_NOT_FOUND))) {
        abort();
    }
    {
        g_autoptr(GString) answer = vl_qga_encode_error(klass, desc, request.id);

        assert_valid_frame(answer);
    }
}

/* Reads DATA in reads of CHUNK bytes; what came out, values and errors in order, in *LOG. */
static void
read_all(const uint8_t *data, size_t size, gsize chunk, gboolean judging, GString *log)
{
    g_autoptr(VlQgaReader) reader = vl_qga_reader_new(CAP);

    while (size > 0) {
        gsize n = MIN(chunk, size);
        const char *p = (const char *)data;

        data += n;
        size -= n;
        while (n > 0) {
            g_autoptr(GError) error = NULL;
            g_autofree char *text = NULL;
            gsize used = 0;
            gsize len = 0;

            if (!vl_qga_reader_push(reader, p, n, &used, &text, &len, &error)) {
                g_string_append_printf(log, "error %d\n", error->code);
            } else if (text) {
                g_string_append_printf(log, "value %" G_GSIZE_FORMAT " ", len);
                g_string_append_len(log, text, (gssize)len);
                if (judging) {
                    judge(text, len);
                }
            }
            if (used == 0 || used > n || vl_qga_reader_pending(reader) > CAP) {
                abort();
            }
            p += used;
            n -= used;
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GString) log = g_string_new(NULL);
    g_autoptr(GString) bytewise = g_string_new(NULL);
    gsize chunk;

    if (size == 0) {
        return 0;
    }
    chunk = data[0] % 64 + 1;
    read_all(data + 1, size - 1, chunk, TRUE, log);
    /* The reader keeps runs of plain bytes in one go: it must read as it does byte by byte. */
    read_all(data + 1, size - 1, 1, FALSE, bytewise);
    if (!g_str_equal(log->str, bytewise->str)) {
        abort();
    }
    return 0;
}
