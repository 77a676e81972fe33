/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The certificates of a TLS identity: made, parsed, described; and the checks on certificates
 * sent by peers.
 */
#include "vl-tls-identity-private.h"

#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

/* clang-format off */
G_DEFINE_QUARK(vl-tls-error-quark, vl_tls_error)
/* clang-format on */

/* notBefore is this far in the past, so that a peer whose clock is somewhat behind ours accepts
 * a certificate made a moment ago. */
#define CLOCK_SKEW_S (60 * 60)
/* RFC 5280 allows 20 bytes; 128 random bits make a serial no one can predict or repeat. */
#define SERIAL_BYTES 16

/* Errors --------------------------------------------------------------------------------------- */

void
vl_tls_set_error(GError **error, VlTlsError code, const char *fix, const char *format, ...)
{
    g_autoptr(GString) text = g_string_new(NULL);
    const char *sep = " (OpenSSL: ";
    unsigned long e;
    va_list ap;

    va_start(ap, format);
    g_string_append_vprintf(text, format, ap);
    va_end(ap);
    /* OpenSSL's error queue is drained: into the message, so that the reason reaches the admin,
     * and away, so that a later, unrelated call does not find a stale error there. */
    while ((e = ERR_get_error()) != 0) {
        const char *reason = ERR_reason_error_string(e);
        const char *lib = ERR_lib_error_string(e);

        g_string_append_printf(text, "%s%s%s%s", sep, lib ? lib : "", lib ? ": " : "",
                               reason ? reason : "unknown error");
        sep = "; ";
    }
    if (*sep == ';') {
        g_string_append_c(text, ')');
    }
    if (fix) {
        g_string_append_printf(text, ": %s", fix);
    }
    g_set_error_literal(error, VL_TLS_ERROR, code, text->str);
}

/* Certificates --------------------------------------------------------------------------------- */

/* Ed25519 and Ed448 sign the message itself, with no separate digest; everything else here
 * (P-256 we make, RSA an admin may have put in place) signs a SHA-256 digest. */
static const EVP_MD *
signing_digest(EVP_PKEY *key)
{
    if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448")) {
        return NULL;
    }
    return EVP_sha256();
}

X509 *
vl_tls_make_cert(EVP_PKEY *key, const X509_NAME *subject, guint validity_days, GError **error)
{
    static const struct {
        int nid;
        const char *value;
    } extensions[] = {
        /* An end entity: it signs handshakes, never other certificates. */
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, "critical,digitalSignature"},
        /* The bridge serves managers and is their client when it pushes events; the manager
         * identity is a client of bridges and serves the event receiver. */
        {NID_ext_key_usage, "serverAuth,clientAuth"},
        {NID_subject_key_identifier, "hash"},
    };
    g_autoptr(X509) cert = X509_new();
    g_autoptr(BIGNUM) serial = NULL;
    unsigned char raw[SERIAL_BYTES];
    X509V3_CTX ctx;

    if (!cert) {
        goto fail;
    }
    do {
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
            goto fail;
        }
        BN_free(serial);
        serial = BN_bin2bn(raw, sizeof(raw), NULL);
    } while (serial && BN_is_zero(serial)); /* RFC 5280: positive; one chance in 2^128 */
    if (!serial || !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) ||
        !X509_set_version(cert, X509_VERSION_3) || !X509_set_subject_name(cert, subject) ||
        !X509_set_issuer_name(cert, subject) ||
        !X509_gmtime_adj(X509_getm_notBefore(cert), -CLOCK_SKEW_S) ||
        !X509_time_adj_ex(X509_getm_notAfter(cert), (int)validity_days, 0, NULL) ||
        !X509_set_pubkey(cert, key)) {
        goto fail;
    }
    /* The subject key identifier hashes the public key, so it is set after it. */
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(extensions); i++) {
        X509_EXTENSION *ext =
            X509V3_EXT_nconf_nid(NULL, &ctx, extensions[i].nid, extensions[i].value);
        gboolean added = ext && X509_add_ext(cert, ext, -1);

        X509_EXTENSION_free(ext);
        if (!added) {
            goto fail;
        }
    }
    if (X509_sign(cert, key, signing_digest(key)) <= 0) {
        goto fail;
    }
    return g_steal_pointer(&cert);

fail:
    vl_tls_set_error(error, VL_TLS_ERROR_CRYPTO, NULL, "cannot make a certificate");
    return NULL;
}

char *
vl_tls_cert_fingerprint(X509 *cert, GError **error)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    GString *s;

    if (!X509_digest(cert, EVP_sha256(), md, &n)) {
        vl_tls_set_error(error, VL_TLS_ERROR_CRYPTO, NULL,
                         "cannot compute a certificate's fingerprint");
        return NULL;
    }
    s = g_string_sized_new(n * 3);
    for (unsigned int i = 0; i < n; i++) {
        g_string_append_printf(s, "%s%02X", i > 0 ? ":" : "", md[i]);
    }
    return g_string_free(s, FALSE);
}

gboolean
vl_tls_cert_not_after(X509 *cert, gint64 *ret_not_after, GError **error)
{
    struct tm tm;

    if (!ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm)) {
        vl_tls_set_error(error, VL_TLS_ERROR_INVALID, NULL,
                         "a certificate's notAfter cannot be read");
        return FALSE;
    }
    *ret_not_after = timegm(&tm);
    return TRUE;
}

static char *
format_time(gint64 unix_s)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_s);

    return t ? g_date_time_format_iso8601(t) : g_strdup_printf("%" G_GINT64_FORMAT, unix_s);
}

X509 *
vl_tls_parse_one_cert(const char *pem, gsize len, const char *what, VlTlsError code, GError **error)
{
    g_autoptr(BIO) bio = NULL;
    g_autoptr(X509) cert = NULL;
    g_autoptr(X509) more = NULL;
    unsigned long e;

    if (len > INT_MAX || !(bio = BIO_new_mem_buf(pem, (int)len))) {
        vl_tls_set_error(error, code, NULL, "%s cannot be read", what);
        return NULL;
    }
    cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (!cert) {
        vl_tls_set_error(error, code, NULL, "%s is not a PEM certificate", what);
        return NULL;
    }
    /* Trying to read a second certificate is expected to fail with "no start line": that
     * failure is ours to forget, an earlier one in the queue is not. */
    ERR_set_mark();
    more = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    e = ERR_peek_last_error();
    if (!more && ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_pop_to_mark();
        return g_steal_pointer(&cert);
    }
    if (more) {
        ERR_pop_to_mark();
        vl_tls_set_error(error, code, NULL, "%s holds more than one certificate", what);
    } else {
        vl_tls_set_error(error, code, NULL, "%s holds a damaged PEM block after the certificate",
                         what);
    }
    return NULL;
}

char *
vl_tls_cert_to_pem(X509 *cert, GError **error)
{
    g_autoptr(BIO) bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len;

    if (!bio || !PEM_write_bio_X509(bio, cert) || (len = BIO_get_mem_data(bio, &data)) <= 0) {
        vl_tls_set_error(error, VL_TLS_ERROR_CRYPTO, NULL, "cannot write a certificate as PEM");
        return NULL;
    }
    return g_strndup(data, len);
}

/* Certificates from peers ---------------------------------------------------------------------- */

char *
vl_tls_fingerprint_of_pem(const char *pem, GError **error)
{
    g_autoptr(X509) cert = NULL;

    g_return_val_if_fail(pem != NULL, NULL);

    cert = vl_tls_parse_one_cert(pem, strlen(pem), "the certificate", VL_TLS_ERROR_INVALID, error);
    return cert ? vl_tls_cert_fingerprint(cert, error) : NULL;
}

gboolean
vl_tls_cert_pem_check(const char *pem, gsize max_len, GError **error)
{
    g_autoptr(X509) cert = NULL;
    g_autofree char *when = NULL;
    gint64 not_after;
    gsize len;

    g_return_val_if_fail(pem != NULL, FALSE);

    /* strnlen: a long input is refused without reading all of it. */
    len = strnlen(pem, max_len < G_MAXSIZE ? max_len + 1 : max_len);
    if (len > max_len) {
        vl_tls_set_error(error, VL_TLS_ERROR_INVALID, NULL,
                         "the certificate is longer than %" G_GSIZE_FORMAT " bytes", max_len);
        return FALSE;
    }
    cert = vl_tls_parse_one_cert(pem, len, "the certificate", VL_TLS_ERROR_INVALID, error);
    if (!cert || !vl_tls_cert_not_after(cert, &not_after, error)) {
        return FALSE;
    }
    if (not_after <= g_get_real_time() / G_USEC_PER_SEC) {
        when = format_time(not_after);
        vl_tls_set_error(error, VL_TLS_ERROR_EXPIRED, NULL,
                         "the certificate expired on %s: make a new one and send that", when);
        return FALSE;
    }
    return TRUE;
}
