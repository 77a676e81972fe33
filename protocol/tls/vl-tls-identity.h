/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A TLS identity: a private key and a self-signed certificate kept in one folder as key.pem and
 * cert.pem. vmlinkd's is in its state folder; vmlinkctl's manager identity will be under
 * ~/.config/vmlink. Peers do not trust a CA: they pin the certificate, and compare it by its
 * SHA-256 fingerprint.
 *
 * The identity is made on first use and renewed in place before it expires, because the worst
 * pain of the agents this replaces was a certificate expiring and a host needing manual
 * recovery. Anything unexpected on disk (a damaged file, a key that does not match its
 * certificate, a key others can read) is an error that names the file and the fix; it is never
 * silently replaced, since replacing an identity breaks every peer that pinned it.
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

#define VL_TLS_ERROR (vl_tls_error_quark())
GQuark vl_tls_error_quark(void);

typedef enum {
    VL_TLS_ERROR_READ,        /* a file cannot be read */
    VL_TLS_ERROR_WRITE,       /* a file or the folder cannot be written or made */
    VL_TLS_ERROR_DAMAGED,     /* key.pem or cert.pem is not valid PEM, or one is missing */
    VL_TLS_ERROR_MISMATCH,    /* cert.pem is not the certificate of key.pem */
    VL_TLS_ERROR_PERMISSIONS, /* key.pem is open to group or others, or not ours */
    VL_TLS_ERROR_CRYPTO,      /* OpenSSL failed to make a key, a certificate or a digest */
    VL_TLS_ERROR_EXPIRED,     /* a certificate sent by a peer has expired */
    VL_TLS_ERROR_INVALID,     /* a certificate sent by a peer is malformed, too long or many */
} VlTlsError;

#define VL_TLS_KEY_FILE "key.pem"
#define VL_TLS_CERT_FILE "cert.pem"
/* The new pair while vl_tls_identity_rotate() puts it in place. */
#define VL_TLS_ROTATE_SUFFIX ".new"

typedef struct _VlTlsIdentity VlTlsIdentity;

/*
 * Loads dir/key.pem and dir/cert.pem, or makes them when neither exists: an ECDSA P-256 key and
 * a self-signed X.509 v3 certificate for CN=common_name valid for validity_days (from an hour
 * ago, for clock skew), usable for TLS server and client authentication. dir is made (0700)
 * when missing; files are written atomically with mode 0600. When key.pem exists alone (a
 * crash between the two writes), a certificate is made for it.
 *
 * common_name is used only when a certificate is made: a loaded certificate keeps its subject.
 * An expired certificate loads (so that vl_tls_identity_renew_if_needed() can recover it).
 * To start over with a new identity, remove both files; peers must then pin the new one.
 */
VlTlsIdentity *vl_tls_identity_load_or_create(const char *dir, const char *common_name,
                                              guint validity_days, GError **error);

/*
 * When the certificate expires within renew_before_days, or has expired, replaces it in place
 * (atomically) with a new one for the same key and subject, valid for validity_days; sets
 * *ret_renewed (may be NULL) to whether it did. On error the identity is unchanged.
 *
 * A renewal changes the certificate and so its fingerprint: peers pin the certificate, not the
 * key, so the owner must be sent the new certificate (the ownership layer does that) before it
 * can recognise this identity again.
 */
gboolean vl_tls_identity_renew_if_needed(VlTlsIdentity *id, guint renew_before_days,
                                         guint validity_days, gboolean *ret_renewed,
                                         GError **error);

/*
 * Replaces the key and the certificate with new ones (a new P-256 key; the same subject; valid
 * for validity_days): the owner asked for it, or the key may have leaked. Peers must then pin
 * the new certificate.
 *
 * A crash at any point leaves an identity that loads, the old or the new: the new pair is
 * written as key.pem.new and cert.pem.new, then renamed over the old files, key first, the
 * folder flushed after each step. vl_tls_identity_load_or_create() finishes a rotation whose
 * key is in place (only cert.pem.new is left) and discards one that had not got that far. On
 * error the identity is unchanged, in memory and on disk; past the key's rename (the point of
 * no return) a failure to rename the certificate is left for the next load to finish, and TRUE
 * is returned with the new pair in memory. Borrowed key and certificate pointers are invalid
 * afterwards.
 */
gboolean vl_tls_identity_rotate(VlTlsIdentity *id, guint validity_days, GError **error);

/* SHA-256 of the DER certificate as "AB:CD:...", as `openssl x509 -fingerprint -sha256`. */
const char *vl_tls_identity_fingerprint(const VlTlsIdentity *id);
/* The certificate in PEM, as sent to peers for pinning. */
const char *vl_tls_identity_cert_pem(const VlTlsIdentity *id);
/* The certificate's notAfter, Unix seconds. */
gint64 vl_tls_identity_not_after(const VlTlsIdentity *id);
/* Borrowed: valid until the identity is renewed (certificate) or freed (both). Take a
 * reference (EVP_PKEY_up_ref, X509_up_ref) to keep them longer, e.g. in an SSL_CTX. */
EVP_PKEY *vl_tls_identity_key(const VlTlsIdentity *id);
X509 *vl_tls_identity_cert(const VlTlsIdentity *id);
/* The folder holding key.pem and cert.pem. */
const char *vl_tls_identity_dir(const VlTlsIdentity *id);
/* TRUE when vl_tls_identity_load_or_create() made the key and certificate (rather than loading
 * them): vmlinkd then logs the fingerprint for the admin, vmlinkctl shows it. This module does
 * not log, so that a command-line tool stays quiet. */
gboolean vl_tls_identity_created(const VlTlsIdentity *id);

void vl_tls_identity_free(VlTlsIdentity *id);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlTlsIdentity, vl_tls_identity_free)

/* The fingerprint (as above) of the certificate in pem, which must hold exactly one. */
char *vl_tls_fingerprint_of_pem(const char *pem, GError **error);

/*
 * Checks a certificate sent by a peer before it is pinned: at most max_len bytes, exactly one
 * certificate, which parses and has not expired.
 */
gboolean vl_tls_cert_pem_check(const char *pem, gsize max_len, GError **error);

G_END_DECLS
