/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-test-tls.h"

#include <check.h>
#include <openssl/x509.h>

VlTlsIdentity *
vl_test_identity(const char *root, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_build_filename(root, name, NULL);
    VlTlsIdentity *id = vl_tls_identity_load_or_create(dir, name, 30, &error);

    ck_assert_msg(id != NULL, "%s", error ? error->message : "");
    return id;
}

X509 *
vl_test_redated(VlTlsIdentity *id, long before_s, long after_s)
{
    X509 *cert = X509_dup(vl_tls_identity_cert(id));

    ck_assert(cert != NULL);
    ck_assert(ASN1_INTEGER_set(X509_get_serialNumber(cert), g_random_int_range(2, G_MAXINT32)));
    ck_assert(X509_gmtime_adj(X509_getm_notBefore(cert), before_s));
    ck_assert(X509_gmtime_adj(X509_getm_notAfter(cert), after_s));
    ck_assert(X509_sign(cert, vl_tls_identity_key(id), EVP_sha256()) > 0);
    return cert;
}
