/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the two halves of the TLS identity share: errors that carry OpenSSL's reasons, and
 * certificates (made, parsed, described) in vl-tls-identity-cert.c; the files and the identity
 * itself are in vl-tls-identity.c.
 */
#pragma once

#include <stdarg.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/x509.h>

#include "vl-openssl.h"
#include "vl-tls-identity.h"

G_BEGIN_DECLS

#define VL_TLS_SECONDS_PER_DAY (24 * 60 * 60)

/* Sets error to the formatted problem, then OpenSSL's reasons if any, then fix (what the admin
 * can do about it) unless NULL. OpenSSL's error queue is left empty. */
void vl_tls_set_error(GError **error, VlTlsError code, const char *fix, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

/* A self-signed certificate for key: subject (also the issuer), validity_days from now, an hour
 * back for clock skew, the extensions of a TLS server and client. */
X509 *vl_tls_make_cert(EVP_PKEY *key, const X509_NAME *subject, guint validity_days,
                       GError **error);
/* Exactly one certificate from pem (len bytes); what names it in errors, code is the error for
 * a pem that is not one certificate. */
X509 *vl_tls_parse_one_cert(const char *pem, gsize len, const char *what, VlTlsError code,
                            GError **error);
char *vl_tls_cert_to_pem(X509 *cert, GError **error);
/* SHA-256 of the DER certificate, "AB:CD:...". */
char *vl_tls_cert_fingerprint(X509 *cert, GError **error);
gboolean vl_tls_cert_not_after(X509 *cert, gint64 *ret_not_after, GError **error);

G_END_DECLS
