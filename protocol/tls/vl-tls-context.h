/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control plane's TLS policy, one place for both ends (vmlinkd's listener, vmlinkctl and
 * libvmlink-client): TLS 1.3 preferred and TLS 1.2 the minimum; with 1.2 only ECDHE key exchange
 * with AEAD ciphers (AES-GCM, ChaCha20-Poly1305); no compression, no renegotiation; both sides
 * present a certificate.
 *
 * Nobody trusts a CA: each side pins its peer. The handshake accepts any well-formed
 * certificate, and the caller decides afterwards with vl_tls_pin_matches() against what it
 * pinned (the manager's certificate in vmlinkd's state; the bridge's in vmlinkctl's
 * known-hosts). A pin matches the same certificate, or a valid certificate for the same public
 * key: a certificate renewed in place (same key, new dates) keeps working without re-pinning,
 * which is what ends the "expired certificate, manual recovery" pain of older agents. A new key
 * needs an explicit rotation.
 */
#pragma once

#include <signal.h>

#include <glib.h>
#include <openssl/ssl.h>

#include "vl-tls-identity.h"

G_BEGIN_DECLS

/*
 * An SSL_CTX for vmlinkd's listener with id's key and certificate: requests (does not require)
 * a client certificate, and accepts any in the handshake: an unowned bridge must talk to a
 * manager it does not know yet; vmlinkd checks the pin per call.
 */
SSL_CTX *vl_tls_context_new_server(const VlTlsIdentity *id, GError **error);

/*
 * An SSL_CTX for a client with id's key and certificate (NULL: present none). It accepts any
 * server certificate in the handshake; the caller checks the pin right after it, before sending
 * anything.
 */
SSL_CTX *vl_tls_context_new_client(const VlTlsIdentity *id, GError **error);

/* The certificate the peer presented (a new reference), or NULL. */
X509 *vl_tls_peer_cert(SSL *ssl);

/*
 * Whether cert (the peer's) matches pinned_pem (one PEM certificate): the same certificate, or
 * one with the same public key that is valid now. An expired certificate never matches
 * (VL_TLS_ERROR_EXPIRED, saying how to recover); nor does a different key (VL_TLS_ERROR_MISMATCH,
 * naming both fingerprints). *ret_renewed (may be NULL) is set when it matched by key only: the
 * caller then stores the new certificate as the pin.
 */
gboolean vl_tls_pin_matches(X509 *cert, const char *pinned_pem, gboolean *ret_renewed,
                            GError **error);

/* The first certificate of pem, or NULL (OpenSSL's error queue left empty). */
X509 *vl_tls_x509_from_pem(const char *pem);

/* The certificate's SHA-256 fingerprint ("AB:CD:...", as openssl x509 -fingerprint -sha256),
 * its PEM, and its notAfter (Unix seconds). */
char *vl_tls_x509_fingerprint(X509 *cert);
char *vl_tls_x509_pem(X509 *cert);
gint64 vl_tls_x509_not_after(X509 *cert);

/* The negotiated protocol and cipher, "TLSv1.3 TLS_AES_256_GCM_SHA384", for logs. */
char *vl_tls_describe(SSL *ssl);

/* OpenSSL's queued errors as one line (the queue is emptied), for messages; "" when none. */
char *vl_tls_error_string(void);

/*
 * OpenSSL writes to its socket with write(), which raises SIGPIPE when the peer has gone; a
 * library must not kill its program for that, nor change its signal handlers. So SIGPIPE is
 * blocked in this thread around each OpenSSL call that may write (handshakes, reads too: TLS
 * answers alerts and key updates), and one it raised is taken before unblocking.
 */
typedef struct {
    sigset_t old;
    gboolean was_blocked;
} VlTlsSigpipeGuard;

void vl_tls_sigpipe_block(VlTlsSigpipeGuard *guard);
void vl_tls_sigpipe_restore(VlTlsSigpipeGuard *guard);

G_END_DECLS
