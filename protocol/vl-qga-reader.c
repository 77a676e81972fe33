/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-qga-reader.h"

#include <string.h>

#include "vl-error.h"

#define QGA_RESET 0xFF

struct _VlQgaReader {
    gsize max_size;
    GString *buf;      /* the value so far (empty while dropping) */
    gboolean active;   /* inside a value */
    gboolean word;     /* ... a bare word (number, literal, garbage) at the top level */
    gboolean string;   /* ... inside a string */
    gboolean escape;   /* ... right after a backslash in it */
    guint64 depth;     /* open objects and arrays */
    gboolean dropping; /* the value outgrew the cap: its bytes are not kept */
};

VlQgaReader *
vl_qga_reader_new(gsize max_size)
{
    VlQgaReader *r;

    g_return_val_if_fail(max_size >= 2, NULL);
    r = g_new0(VlQgaReader, 1);
    r->max_size = max_size;
    r->buf = g_string_new(NULL);
    return r;
}

void
vl_qga_reader_reset(VlQgaReader *r)
{
    explicit_bzero(r->buf->str, r->buf->len);
    g_string_truncate(r->buf, 0);
    r->active = r->word = r->string = r->escape = r->dropping = FALSE;
    r->depth = 0;
}

void
vl_qga_reader_free(VlQgaReader *r)
{
    if (r) {
        vl_qga_reader_reset(r);
        g_string_free(r->buf, TRUE);
        g_free(r);
    }
}

gsize
vl_qga_reader_pending(const VlQgaReader *r)
{
    return r->buf->len;
}

static gboolean
is_space(guchar c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Hands the finished value over (nothing when it was dropped) and starts afresh. */
static void
finish(VlQgaReader *r, char **ret_text, gsize *ret_len)
{
    if (!r->dropping) {
        *ret_len = r->buf->len;
        *ret_text = g_strndup(r->buf->str, r->buf->len);
    }
    vl_qga_reader_reset(r);
}

/* Starts a value with its first byte C. */
static void
begin(VlQgaReader *r, guchar c)
{
    r->active = TRUE;
    r->word = c != '{' && c != '[' && c != '"';
    r->string = c == '"';
    r->depth = c == '{' || c == '[';
}

/* Keeps C, unless the value is over the cap: then FALSE, once, and the value is dropped. */
static gboolean
keep(VlQgaReader *r, guchar c, GError **error)
{
    if (r->dropping) {
        return TRUE;
    }
    if (r->buf->len >= r->max_size) {
        explicit_bzero(r->buf->str, r->buf->len);
        g_string_truncate(r->buf, 0);
        r->dropping = TRUE;
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_FRAME_TOO_LARGE,
                    "JSON value longer than %" G_GSIZE_FORMAT " bytes; dropped", r->max_size);
        return FALSE;
    }
    g_string_append_c(r->buf, (char)c);
    return TRUE;
}

/*
 * How many bytes from P on change nothing but the value's length: inside a string up to a quote
 * or backslash, inside a container up to a quote or bracket, never 0xFF. None right after a
 * backslash. They are kept in one go instead of one by one.
 */
static gsize
plain_run(const VlQgaReader *r, const char *p, gsize len)
{
    gsize n = 0;

    if (r->escape) {
        return 0;
    }
    while (n < len) {
        guchar c = (guchar)p[n];

        if (c == QGA_RESET || c == '"' ||
            (r->string ? c == '\\' : (c == '{' || c == '[' || c == '}' || c == ']'))) {
            break;
        }
        n++;
    }
    return n;
}

gboolean
vl_qga_reader_push(VlQgaReader *r, const char *data, gsize len, gsize *ret_consumed,
                   char **ret_text, gsize *ret_len, GError **error)
{
    *ret_text = NULL;
    *ret_len = 0;
    for (gsize i = 0; i < len; i++) {
        gboolean ends = FALSE;
        gboolean kept;
        guchar c;

        if (r->active && !r->word && !r->dropping) {
            gsize n = plain_run(r, data + i, len - i);

            /* Near the cap, byte by byte: the byte over it is the one reported. */
            if (n > 0 && r->buf->len + n <= r->max_size) {
                g_string_append_len(r->buf, data + i, (gssize)n);
                i += n;
                *ret_consumed = i;
                if (i == len) {
                    break;
                }
            }
        }
        c = (guchar)data[i];
        *ret_consumed = i + 1;
        if (c == QGA_RESET) {
            vl_qga_reader_reset(r);
            continue;
        }
        if (!r->active) {
            if (is_space(c)) {
                continue;
            }
            if (c == '}' || c == ']') {
                g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_INVALID_JSON,
                            "JSON parse error, stray '%c'", c);
                return FALSE;
            }
            begin(r, c);
            if (!keep(r, c, error)) {
                return FALSE;
            }
            continue;
        }
        if (r->word) {
            if (is_space(c) || strchr("{}[]\",:", c)) {
                /* The word ends here; a value that begins with this byte starts now. */
                finish(r, ret_text, ret_len);
                if (c == '{' || c == '[' || c == '"') {
                    begin(r, c);
                    keep(r, c, NULL); /* one byte always fits */
                }
                return TRUE;
            }
            if (!keep(r, c, error)) {
                return FALSE;
            }
            continue;
        }
        /* The structure first, so that a byte over the cap still counts for it. */
        if (r->string) {
            if (r->escape) {
                r->escape = FALSE;
            } else if (c == '\\') {
                r->escape = TRUE;
            } else if (c == '"') {
                r->string = FALSE;
                ends = r->depth == 0;
            }
        } else if (c == '"') {
            r->string = TRUE;
        } else if (c == '{' || c == '[') {
            r->depth++;
        } else if (c == '}' || c == ']') {
            ends = --r->depth == 0;
        }
        kept = keep(r, c, error);
        if (ends) {
            if (kept) {
                finish(r, ret_text, ret_len);
            } else {
                vl_qga_reader_reset(r);
            }
            return kept;
        }
        if (!kept) {
            return FALSE;
        }
    }
    if (len == 0) {
        *ret_consumed = 0;
    }
    return TRUE;
}
