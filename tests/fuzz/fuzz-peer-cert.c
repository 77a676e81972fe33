/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as a certificate a peer sends to be pinned (host.take_ownership's
 * manager_certificate, host.rotate_certificate's) or that vmlinkctl reads back as a pin. The
 * checks either accept exactly one well-formed certificate or refuse with an error; the
 * fingerprint and the pin comparison of what was accepted work.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "vl-openssl.h"
#include "vl-tls-context.h"
#include "vl-tls-identity.h"

#define FUZZ_MAX_PEM 16384

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *pem = g_strndup((const char *)data, size);
    g_autoptr(GError) error = NULL;
    g_autofree char *fingerprint = NULL;
    g_autoptr(BIO) bio = NULL;
    g_autoptr(X509) cert = NULL;

    if (!vl_tls_cert_pem_check(pem, FUZZ_MAX_PEM, &error)) {
        if (error == NULL) {
            abort();
        }
        ERR_clear_error();
        return 0;
    }
    fingerprint = vl_tls_fingerprint_of_pem(pem, NULL);
    if (fingerprint == NULL || strlen(fingerprint) != 95) {
        abort();
    }
    bio = BIO_new_mem_buf(pem, -1);
    cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (cert == NULL || !vl_tls_pin_matches(cert, pem, NULL, NULL)) {
        abort(); /* a valid certificate matches its own pin */
    }
    ERR_clear_error();
    return 0;
}
