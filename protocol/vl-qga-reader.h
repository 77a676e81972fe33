/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Framing of the QEMU guest agent protocol (issue 8), as qemu-ga reads it: a stream of JSON
 * values, one after the other, with or without whitespace or newlines between them. The reader
 * finds where each top-level value ends (tracking strings, escapes and nesting, never parsing)
 * and hands out its text; the caller checks and parses it (vl_json_check, vl_json_parse).
 *
 * A byte 0xFF, which never occurs in UTF-8, resets the reader wherever it comes: a client sends
 * it before guest-sync-delimited to flush a half-read message. A stray '}' or ']' outside any
 * value is reported, and so is a value longer than the cap, once, while its bytes are dropped
 * up to its end; reading then goes on. A top-level string or bare word (a number, "true", or
 * garbage) ends a value too, so that it is answered rather than waited on.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_QGA_READER_DEFAULT_MAX_SIZE (1024 * 1024)

typedef struct _VlQgaReader VlQgaReader;

/* MAX_SIZE: the longest value in bytes (at least 2). */
VlQgaReader *vl_qga_reader_new(gsize max_size);
void vl_qga_reader_free(VlQgaReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlQgaReader, vl_qga_reader_free)

/*
 * Consumes bytes of DATA, stopping after the first one that ends a value or makes an error.
 * *ret_consumed: bytes consumed (more than 0 when LEN is). TRUE with *ret_text set to the
 * value's text (NUL-terminated, *ret_len bytes; the caller frees it) or NULL when DATA ended
 * before a value did; FALSE with VL_PROTOCOL_ERROR_FRAME_TOO_LARGE or _INVALID_JSON.
 */
gboolean vl_qga_reader_push(VlQgaReader *reader, const char *data, gsize len, gsize *ret_consumed,
                            char **ret_text, gsize *ret_len, GError **error);

/* Forgets a partial value, as on a new connection or a 0xFF. */
void vl_qga_reader_reset(VlQgaReader *reader);

/* Bytes held for the current partial value. */
gsize vl_qga_reader_pending(const VlQgaReader *reader);

G_END_DECLS
