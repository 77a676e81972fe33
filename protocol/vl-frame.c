/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-frame.h"

#include <string.h>

#include "vl-error.h"
#include "vl-json-check.h"

/* Buffers above this are given back after each frame so idle channels stay small. */
#define KEEP_BUFFER_SIZE (64 * 1024)

/*
 * Frames carry passwords (host.take_ownership, the agent's channel): bytes the reader is done
 * with, delivered or dropped, are wiped rather than left in a kept or freed buffer. Only bytes
 * it held: what it touches anyway.
 */

struct _VlFrameReader {
    gsize max_size;
    guint max_depth;
    char *buf;
    gsize len;
    gsize allocated;
    gboolean dropping; /* inside an oversized frame, until the next newline */
    VlFrameStats stats;
};

VlFrameReader *
vl_frame_reader_new(gsize max_size, guint max_depth)
{
    VlFrameReader *r;

    g_return_val_if_fail(max_size >= 2, NULL);
    g_return_val_if_fail(max_depth >= 1 && max_depth <= VL_JSON_MAX_DEPTH_LIMIT, NULL);

    r = g_new0(VlFrameReader, 1);
    r->max_size = max_size;
    r->max_depth = max_depth;
    return r;
}

void
vl_frame_reader_free(VlFrameReader *reader)
{
    if (reader) {
        if (reader->buf) {
            explicit_bzero(reader->buf, reader->len);
        }
        g_free(reader->buf);
        g_free(reader);
    }
}

static void
release_buffer(VlFrameReader *r)
{
    if (r->buf) {
        explicit_bzero(r->buf, r->len);
    }
    r->len = 0;
    if (r->allocated > KEEP_BUFFER_SIZE) {
        g_clear_pointer(&r->buf, g_free);
        r->allocated = 0;
    }
}

void
vl_frame_reader_reset(VlFrameReader *reader)
{
    release_buffer(reader);
    reader->dropping = FALSE;
}

gsize
vl_frame_reader_pending(const VlFrameReader *reader)
{
    return reader->len;
}

gsize
vl_frame_reader_allocated(const VlFrameReader *reader)
{
    return reader->allocated;
}

const char *
vl_frame_reader_buffer(const VlFrameReader *reader)
{
    return reader->buf;
}

void
vl_frame_reader_get_stats(const VlFrameReader *reader, VlFrameStats *ret_stats)
{
    *ret_stats = reader->stats;
}

/* Appends n bytes; the caller made sure len + n <= max_size. */
static void
append(VlFrameReader *r, const char *data, gsize n)
{
    if (n == 0) {
        return; /* an empty push: buf and data may be NULL, which memcpy() must not see */
    }
    if (r->len + n > r->allocated) {
        gsize want = MAX(r->allocated, 256);
        char *bigger;

        while (want < r->len + n) {
            want *= 2;
        }
        want = MIN(want, r->max_size);
        /* Not g_realloc(): the old buffer is wiped before it is freed. */
        bigger = g_malloc(want);
        if (r->len > 0) {
            memcpy(bigger, r->buf, r->len);
            explicit_bzero(r->buf, r->len);
        }
        g_free(r->buf);
        r->buf = bigger;
        r->allocated = want;
    }
    memcpy(r->buf + r->len, data, n);
    r->len += n;
}

static gboolean
is_blank(const char *s, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            return FALSE;
        }
    }
    return TRUE;
}

/* Turns the line text[0..n) into a frame. NULL without error for a blank line. */
static gboolean
finish_frame(VlFrameReader *r, const char *text, gsize n, VlJson **ret_frame, GError **error)
{
    g_autoptr(VlJson) node = NULL;

    *ret_frame = NULL;
    if (n > 0 && text[n - 1] == '\r') {
        n--;
    }
    if (is_blank(text, n)) {
        return TRUE;
    }
    node = vl_json_parse_strict(text, n, r->max_depth, error);
    if (node == NULL) {
        r->stats.errors++;
        return FALSE;
    }
    if (vl_json_kind(node) != VL_JSON_OBJECT) {
        r->stats.errors++;
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_NOT_OBJECT,
                    "frame is a JSON %s, not an object", vl_json_kind_name(vl_json_kind(node)));
        return FALSE;
    }
    r->stats.frames++;
    *ret_frame = g_steal_pointer(&node);
    return TRUE;
}

gboolean
vl_frame_reader_push(VlFrameReader *reader, const char *data, gsize len, gsize *ret_consumed,
                     VlJson **ret_frame, GError **error)
{
    const char *nl;
    gsize line_len;
    gboolean ok;

    g_return_val_if_fail(reader != NULL, FALSE);
    g_return_val_if_fail(data != NULL || len == 0, FALSE);
    g_return_val_if_fail(ret_consumed != NULL && ret_frame != NULL, FALSE);

    *ret_frame = NULL;
    nl = len > 0 ? memchr(data, '\n', len) : NULL;
    line_len = nl ? (gsize)(nl - data) : len;
    *ret_consumed = nl ? line_len + 1 : len;

    if (reader->dropping) {
        reader->stats.dropped_bytes += line_len;
        if (nl) {
            reader->dropping = FALSE;
        }
        return TRUE;
    }

    if (reader->len + line_len > reader->max_size) {
        /* Over the cap: drop what is held and the rest of the line, report it once. */
        reader->stats.dropped_bytes += reader->len + line_len;
        reader->stats.errors++;
        release_buffer(reader);
        reader->dropping = nl == NULL;
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_FRAME_TOO_LARGE,
                    "frame longer than %" G_GSIZE_FORMAT " bytes dropped", reader->max_size);
        return FALSE;
    }

    if (nl == NULL) {
        append(reader, data, line_len);
        return TRUE;
    }

    if (reader->len == 0) {
        /* The whole line is in this chunk: parse it in place, without copying. */
        return finish_frame(reader, data, line_len, ret_frame, error);
    }
    append(reader, data, line_len);
    ok = finish_frame(reader, reader->buf, reader->len, ret_frame, error);
    release_buffer(reader);
    return ok;
}

GString *
vl_frame_encode(const VlJson *object)
{
    gsize len;
    g_autofree char *text = vl_json_to_string(object, &len);
    GString *out = g_string_sized_new(len + 1);

    g_string_append_len(out, text, (gssize)len);
    g_string_append_c(out, '\n');
    /* The text may hold a password (host.take_ownership): the caller wipes the frame it gets,
     * this copy is wiped here. */
    explicit_bzero(text, len);
    return out;
}
