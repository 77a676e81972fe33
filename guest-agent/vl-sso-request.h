/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The request line of the agent's credential socket (vl-sso.h), judged without I/O: any local
 * root process may send anything there, so the judgement lives apart from the socket code
 * (linux/sso-socket.c) where a fuzzer and unit tests can reach it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    VL_SSO_REQUEST_INCOMPLETE, /* no line end yet, room for more, the stream open: read on */
    VL_SSO_REQUEST_GET,        /* exactly "GET " TOKEN "\n": look the token up */
    VL_SSO_REQUEST_BAD,        /* anything else: answer "ERR " REASON "\n" and close */
} VlSsoRequestKind;

/*
 * Judges the LEN bytes read so far on one connection (the socket reads at most
 * VL_SSO_REQUEST_MAX; more is BAD). ENDED: the peer has closed its end, so no more will come.
 * A whole line, a full buffer without one, or the end of the stream ends the exchange; bytes
 * after the line are not part of the protocol, so they make it BAD.
 *
 * For GET, *ret_token points at the token inside DATA: VL_SSO_TOKEN_LEN base64url characters
 * followed by the line's '\n' (not a NUL); nothing is copied, so the token stays only in the
 * caller's wiped buffer. For BAD, *ret_reason is the reason word of the answer. Each is NULL
 * otherwise; either may be NULL.
 */
VlSsoRequestKind vl_sso_request_parse(const char *data, gsize len, gboolean ended,
                                      const char **ret_token, const char **ret_reason);

G_END_DECLS
