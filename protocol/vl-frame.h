/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Framing: newline-delimited JSON, one UTF-8 JSON object per line.
 *
 * VlFrameReader is fed arbitrary chunks of bytes as they arrive and hands out one parsed object
 * per complete line. It never holds more than its cap: a frame that grows past the cap is
 * reported once (VL_PROTOCOL_ERROR_FRAME_TOO_LARGE) and its bytes are dropped up to the next
 * newline, after which reading goes on normally. A trailing "\r" is removed (CRLF peers);
 * empty and all-blank lines are skipped. Each frame is checked by vl_json_check() before it is
 * parsed, so invalid UTF-8, nesting beyond the limit, non-JSON and non-object frames are each
 * reported as an error for that frame alone.
 *
 *     while (len > 0) {
 *         g_autoptr(VlJson) frame = NULL;
 *         g_autoptr(GError) error = NULL;
 *         gsize used;
 *
 *         if (!vl_frame_reader_push(reader, data, len, &used, &frame, &error))
 *             count_and_log(error);
 *         else if (frame)
 *             handle(frame);
 *         data += used;
 *         len -= used;
 *     }
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

#define VL_FRAME_DEFAULT_MAX_SIZE (1024 * 1024)
#define VL_FRAME_DEFAULT_MAX_DEPTH 32

typedef struct _VlFrameReader VlFrameReader;

/* max_size: cap per frame in bytes, newline excluded (>= 2); max_depth: 1..VL_JSON_MAX_DEPTH_LIMIT.
 */
VlFrameReader *vl_frame_reader_new(gsize max_size, guint max_depth);
void vl_frame_reader_free(VlFrameReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlFrameReader, vl_frame_reader_free)

/*
 * Consumes bytes of data, stopping after the first line that completes a frame.
 * *ret_consumed: bytes consumed (always > 0 when len > 0).
 * Returns FALSE with error set when a frame was bad (the reader has already moved past it or is
 * dropping it); otherwise TRUE with *ret_frame set to the object of a completed frame, or NULL
 * when data ended without completing one.
 */
gboolean vl_frame_reader_push(VlFrameReader *reader, const char *data, gsize len,
                              gsize *ret_consumed, VlJson **ret_frame, GError **error);

/* Forgets any partial frame, as on a new connection. */
void vl_frame_reader_reset(VlFrameReader *reader);

/* Bytes held for the current partial frame, and the size of the buffer holding them. */
gsize vl_frame_reader_pending(const VlFrameReader *reader);
gsize vl_frame_reader_allocated(const VlFrameReader *reader);
/* That buffer (NULL when none), for tests: the bytes of a frame delivered or dropped are wiped
 * (frames carry passwords), in a buffer kept for the next frame as in one given back. */
const char *vl_frame_reader_buffer(const VlFrameReader *reader);

/* Frame statistics since creation. */
typedef struct {
    guint64 frames;        /* objects delivered */
    guint64 errors;        /* frames reported as errors */
    guint64 dropped_bytes; /* bytes of oversized frames dropped */
} VlFrameStats;
void vl_frame_reader_get_stats(const VlFrameReader *reader, VlFrameStats *ret_stats);

/* Encodes an object as one frame: compact JSON and a newline. */
GString *vl_frame_encode(const VlJson *object);

G_END_DECLS
