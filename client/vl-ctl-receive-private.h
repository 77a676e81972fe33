/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The push receiver's HTTP (vl-ctl-receive-http.c): just enough HTTP/1.1 for a bridge's POSTs.
 */
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

G_BEGIN_DECLS

/*
 * Reads one request from ssl: a POST with a Content-Length of at most VL_RECEIVER_MAX_BODY and
 * headers of at most VL_RECEIVER_MAX_HEADER bytes. Returns 0 with the body in body, or the HTTP
 * status to answer (400, 405, 411 for chunked or no length, 413, 431, 408 for a timeout) with
 * error saying why.
 */
int vl_receive_http_read(SSL *ssl, GString *body, GError **error);

/* Answers status with reason (may be NULL) as a text body; the connection is then closed. */
void vl_receive_http_answer(SSL *ssl, int status, const char *reason);

G_END_DECLS
