/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vl-push.c's HTTPS client (vl-push-curl.c): POSTs of JSON bodies with libcurl's multi interface
 * driven by the GLib main loop, so a slow or absent manager never blocks the loop.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_PUSH_ERROR (vl_push_error_quark())
GQuark vl_push_error_quark(void);

typedef enum {
    VL_PUSH_ERROR_TRANSPORT, /* connect, TLS (pin included), timeout, or a too large answer */
    VL_PUSH_ERROR_STATUS,    /* an answer other than 2xx */
    VL_PUSH_ERROR_PIN,       /* the manager's certificate cannot be read to pin it */
} VlPushError;

typedef struct _VlPushHttp VlPushHttp;
typedef struct _VlPushPost VlPushPost;

/* error: NULL when the answer was 2xx. Called on the loop's thread, never from inside
 * vl_push_http_post() or vl_push_http_cancel(). */
typedef void (*VlPushDoneFunc)(const GError *error, gpointer user_data);

VlPushHttp *vl_push_http_new(void);
/* Abandons the POSTs in flight without calling their done functions. */
void vl_push_http_free(VlPushHttp *http);

/*
 * What every later POST uses: the client certificate (cert.pem and key.pem in identity_dir),
 * the manager pinned by the public key of manager_cert_pem, and timeout_s for the whole POST.
 */
gboolean vl_push_http_configure(VlPushHttp *http, const char *identity_dir,
                                const char *manager_cert_pem, guint timeout_s, GError **error);

/* Starts a POST of body (application/json) to url; done is called once, later. */
VlPushPost *vl_push_http_post(VlPushHttp *http, const char *url, GBytes *body, VlPushDoneFunc done,
                              gpointer user_data);
/* Abandons a POST in flight; its done function is not called. */
void vl_push_http_cancel(VlPushHttp *http, VlPushPost *post);

/* libcurl's pin of the certificate's public key: "sha256//" and the base64 of the SHA-256 of
 * its SubjectPublicKeyInfo (DER). */
char *vl_push_pin_of_pem(const char *pem, GError **error);

G_END_DECLS
