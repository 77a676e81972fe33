/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS identities for tests (tests_tls_dep: only the tests that use OpenSSL link it).
 */
#pragma once

#include <glib.h>

#include "vl-tls-identity.h"

G_BEGIN_DECLS

/* The identity name (a key and a certificate valid 30 days), kept in root/name; the test fails
 * if it cannot be made. */
VlTlsIdentity *vl_test_identity(const char *root, const char *name);

/* The identity's certificate with new dates (notBefore before_s, notAfter after_s from now; a
 * negative after_s has expired) and a new serial, signed again by its key: a renewal, or an
 * expired one, as the other side would see it. */
X509 *vl_test_redated(VlTlsIdentity *id, long before_s, long after_s);

G_END_DECLS
