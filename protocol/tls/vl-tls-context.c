/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-tls-context.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "vl-tls-identity-private.h"

/* TLS 1.2 suites: ECDHE (forward secrecy) with an AEAD cipher, ECDSA first (our keys are P-256)
 * then RSA for a manager that brings its own. TLS 1.3's defaults are all AEAD already. */
#define TLS12_CIPHERS                                                                              \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:"   \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256"
#define TLS13_SUITES "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
#define GROUPS "X25519:P-256:P-384"

/* Verification is by pinning, after the handshake: any well-formed chain passes here. */
static int
accept_any(int preverify_ok, X509_STORE_CTX *ctx)
{
    (void)preverify_ok;
    (void)ctx;
    return 1;
}

static SSL_CTX *
context_new(const SSL_METHOD *method, const VlTlsIdentity *id, GError **error)
{
    g_autoptr(SSL_CTX) ctx = SSL_CTX_new(method);

    if (ctx == NULL) {
        vl_tls_set_error(error, VL_TLS_ERROR_CRYPTO, NULL, "cannot create a TLS context");
        return NULL;
    }
    /* CLEANSE_PLAINTEXT: requests carry the agent password; OpenSSL wipes the plaintext it
     * hands out instead of leaving it in its buffers. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_CLEANSE_PLAINTEXT);
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) ||
        !SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) || !SSL_CTX_set1_groups_list(ctx, GROUPS)) {
        vl_tls_set_error(error, VL_TLS_ERROR_CRYPTO, NULL, "cannot set the TLS policy");
        return NULL;
    }
    /* Partial writes: the loop's output queue keeps the rest and retries with the same buffer. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
    if (id) {
        if (SSL_CTX_use_certificate(ctx, vl_tls_identity_cert(id)) != 1 ||
            SSL_CTX_use_PrivateKey(ctx, vl_tls_identity_key(id)) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            vl_tls_set_error(error, VL_TLS_ERROR_CRYPTO, NULL, "cannot use the TLS identity in %s",
                             vl_tls_identity_dir(id));
            return NULL;
        }
    }
    return g_steal_pointer(&ctx);
}

SSL_CTX *
vl_tls_context_new_server(const VlTlsIdentity *id, GError **error)
{
    SSL_CTX *ctx = context_new(TLS_server_method(), id, error);

    if (ctx) {
        /* Sessions would let a reconnecting client skip the certificate exchange; each
         * connection is checked against the pin, so every handshake is a full one. */
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(ctx, 0);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    }
    return ctx;
}

SSL_CTX *
vl_tls_context_new_client(const VlTlsIdentity *id, GError **error)
{
    return context_new(TLS_client_method(), id, error);
}

X509 *
vl_tls_peer_cert(SSL *ssl)
{
    return SSL_get1_peer_certificate(ssl);
}

X509 *
vl_tls_x509_from_pem(const char *pem)
{
    g_autoptr(BIO) bio = BIO_new_mem_buf(pem, -1);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

    ERR_clear_error();
    return cert;
}

char *
vl_tls_x509_fingerprint(X509 *cert)
{
    return vl_tls_cert_fingerprint(cert, NULL);
}

char *
vl_tls_x509_pem(X509 *cert)
{
    return vl_tls_cert_to_pem(cert, NULL);
}

gint64
vl_tls_x509_not_after(X509 *cert)
{
    gint64 t = 0;

    return vl_tls_cert_not_after(cert, &t, NULL) ? t : 0;
}

gboolean
vl_tls_pin_matches(X509 *cert, const char *pinned_pem, gboolean *ret_renewed, GError **error)
{
    g_autoptr(X509) pinned = NULL;
    g_autofree char *have = NULL;
    g_autofree char *want = NULL;
    EVP_PKEY *have_key, *want_key;

    if (ret_renewed) {
        *ret_renewed = FALSE;
    }
    pinned = vl_tls_parse_one_cert(pinned_pem, strlen(pinned_pem), "the pinned certificate",
                                   VL_TLS_ERROR_DAMAGED, error);
    if (pinned == NULL) {
        return FALSE;
    }
    if (X509_cmp_time(X509_get0_notAfter(cert), NULL) <= 0) {
        have = vl_tls_x509_fingerprint(cert);
        g_set_error(error, VL_TLS_ERROR, VL_TLS_ERROR_EXPIRED,
                    "the certificate %s has expired: take ownership again with the agent "
                    "password and a new certificate",
                    have ? have : "(unreadable)");
        return FALSE;
    }
    if (X509_cmp(cert, pinned) == 0) {
        return TRUE;
    }
    have_key = X509_get0_pubkey(cert);
    want_key = X509_get0_pubkey(pinned);
    if (have_key && want_key && EVP_PKEY_eq(have_key, want_key) == 1 &&
        X509_cmp_time(X509_get0_notBefore(cert), NULL) < 0) {
        if (ret_renewed) {
            *ret_renewed = TRUE;
        }
        return TRUE;
    }
    ERR_clear_error();
    have = vl_tls_x509_fingerprint(cert);
    want = vl_tls_x509_fingerprint(pinned);
    g_set_error(error, VL_TLS_ERROR, VL_TLS_ERROR_MISMATCH,
                "the certificate %s is not the pinned one (%s) nor a renewal of it",
                have ? have : "(unreadable)", want ? want : "(unreadable)");
    return FALSE;
}

char *
vl_tls_describe(SSL *ssl)
{
    return g_strdup_printf("%s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
}

char *
vl_tls_error_string(void)
{
    g_autoptr(GString) text = g_string_new(NULL);
    unsigned long e;

    while ((e = ERR_get_error()) != 0) {
        const char *reason = ERR_reason_error_string(e);

        if (text->len) {
            g_string_append(text, "; ");
        }
        g_string_append(text, reason ? reason : "unknown error");
    }
    return g_string_free(g_steal_pointer(&text), FALSE);
}

void
vl_tls_sigpipe_block(VlTlsSigpipeGuard *guard)
{
    sigset_t pipe_set;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &guard->old);
    guard->was_blocked = sigismember(&guard->old, SIGPIPE);
}

void
vl_tls_sigpipe_restore(VlTlsSigpipeGuard *guard)
{
    sigset_t pending, pipe_set;
    const struct timespec zero = {0, 0};

    if (guard->was_blocked) {
        return; /* the caller blocks it already, and takes what is pending itself */
    }
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &guard->old, NULL);
}
