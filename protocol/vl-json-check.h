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

G_END_DECLS
