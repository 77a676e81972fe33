/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A strict RFC 8259 checker run on every frame before it reaches the JSON library.
 *
 * It exists because the guest and the network are untrusted and JSON libraries differ in what
 * they forgive: json-glib 1.6 accepts comments, single quotes, hex and leading zeros, trailing
 * garbage after the first value, and silently wraps integers beyond 64 bits (measured: a
 * 30-digit number parses as -1). It also recurses once per nesting level. The checker accepts
 * exactly one JSON text, without recursion, and bounds what the parser will see:
 *  - nesting depth at most max_depth (arrays and objects together);
 *  - integers (no fraction, no exponent) within the signed 64-bit range;
 *  - other numbers finite and at most VL_JSON_MAX_NUMBER_LEN characters;
 *  - strings without raw control characters, without \u0000 and with paired surrogates.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_JSON_MAX_DEPTH_LIMIT 1024 /* the largest max_depth accepted */
#define VL_JSON_MAX_NUMBER_LEN 64

/*
 * TRUE when text[0..len) is one valid JSON text within the bounds above. Otherwise FALSE with
 * VL_PROTOCOL_ERROR_INVALID_UTF8, _TOO_DEEP, _OUT_OF_RANGE (an integer beyond 64 bits, or a
 * number that is not finite such as 1e999) or _INVALID_JSON, naming the byte offset of the
 * problem. Duplicate member names are accepted (RFC 8259 only advises against them); the parser
 * keeps the last.
 */
gboolean vl_json_check(const char *text, gsize len, guint max_depth, GError **error);

typedef enum {
    VL_JSON_TOKEN_NULL,
    VL_JSON_TOKEN_TRUE,
    VL_JSON_TOKEN_FALSE,
    VL_JSON_TOKEN_INTEGER, /* no fraction, no exponent: within gint64 */
    VL_JSON_TOKEN_NUMBER,  /* finite */
    VL_JSON_TOKEN_STRING,
} VlJsonToken;

/*
 * What vl_json_scan() reports while it checks, in the text's order, so that a parser can build
 * its tree in the same pass (vl_json_parse_strict). RAW is the token's text: for a string or a
 * member name the bytes between the quotes, ESCAPED when a backslash is among them
 * (vl_json_unescape decodes them); for a number its digits. A scan that fails stops at once,
 * leaving whatever the callbacks built half done.
 */
typedef struct {
    void (*open)(gpointer user_data, gboolean object);
    void (*close)(gpointer user_data);
    void (*name)(gpointer user_data, const char *raw, gsize len, gboolean escaped);
    void (*scalar)(gpointer user_data, VlJsonToken token, const char *raw, gsize len,
                   gboolean escaped);
} VlJsonEvents;

/* vl_json_check() that also reports every value to EVENTS (which may be NULL). */
gboolean vl_json_scan(const char *text, gsize len, guint max_depth, const VlJsonEvents *events,
                      gpointer user_data, GError **error);

/* The text of a string vl_json_scan() accepted, RAW being what it reported: escapes decoded,
 * surrogate pairs joined, as UTF-8. The caller frees it. */
char *vl_json_unescape(const char *raw, gsize len);

G_END_DECLS
