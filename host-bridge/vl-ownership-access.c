/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The checks of vl-ownership.h that read no file: what a manager sends in host.take_ownership,
 * and the access rule for TLS calls against the pinned certificate.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

#include "vl-jsonrpc.h"
#include "vl-openssl.h"
#include "vl-ownership-private.h"
#include "vl-protocol.h"
#include "vl-tls-context.h"

/* Checking what a manager sends -------------------------------------------------------------- */

gboolean
vl_ownership_check_manager_id(const char *id, GError **error)
{
    gsize len = id ? strlen(id) : 0;

    if (len == 0 || len > VL_MANAGER_ID_MAX_LEN ||
        strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") != len) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                    "manager_id must be 1 to %d letters, digits, '.', '_', '@' or '-'",
                    VL_MANAGER_ID_MAX_LEN);
        return FALSE;
    }
    return TRUE;
}

gboolean
vl_ownership_check_url(const char *name, const char *url, GError **error)
{
    g_autoptr(GUri) uri = NULL;

    if (url == NULL || *url == '\0') {
        return TRUE;
    }
    uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    if (uri == NULL || g_strcmp0(g_uri_get_scheme(uri), "https") != 0 ||
        g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0') {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                    "%s must be empty or an https:// URL with a host", name);
        return FALSE;
    }
    return TRUE;
}

VlOwner *
vl_owner_new(const char *manager_id, const char *certificate, X509 *presented,
             const char *event_url, const char *stats_url, GError **error)
{
    g_autoptr(GError) local_error = NULL;
    g_autoptr(VlOwner) owner = NULL;
    g_autoptr(X509) cert = NULL;

    if (!vl_ownership_check_manager_id(manager_id, error) ||
        !vl_ownership_check_url("event_url", event_url, error) ||
        !vl_ownership_check_url("stats_url", stats_url, error)) {
        return NULL;
    }
    if (!vl_tls_cert_pem_check(certificate, VL_CERT_MAX_LEN, &local_error)) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS, "manager_certificate: %s",
                    local_error->message);
        return NULL;
    }
    if (presented == NULL) {
        g_set_error_literal(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                            "this connection presented no client certificate: the manager must "
                            "present the certificate it sends as manager_certificate");
        return NULL;
    }
    cert = vl_tls_x509_from_pem(certificate);
    if (cert == NULL || X509_cmp(cert, presented) != 0) {
        g_autofree char *have = vl_tls_x509_fingerprint(presented);

        g_set_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                    "manager_certificate is not the certificate this connection presented (%s)",
                    have ? have : "unreadable");
        return NULL;
    }
    owner = g_new0(VlOwner, 1);
    owner->manager_id = g_strdup(manager_id);
    owner->certificate = g_strdup(certificate);
    owner->fingerprint = vl_tls_x509_fingerprint(cert);
    owner->event_url = event_url && *event_url ? g_strdup(event_url) : NULL;
    owner->stats_url = stats_url && *stats_url ? g_strdup(stats_url) : NULL;
    owner->since = g_get_real_time() / G_USEC_PER_SEC;
    return g_steal_pointer(&owner);
}

/* Access ------------------------------------------------------------------------------------- */

/* The pin itself, valid now: what every call of an owned connection presents, answered without
 * parsing the pin again. */
static gboolean
is_pin(VlOwnership *o, X509 *cert)
{
    return vl_ownership_pinned_cert(o) && X509_cmp(cert, vl_ownership_pinned_cert(o)) == 0 &&
           X509_cmp_time(X509_get0_notAfter(cert), NULL) > 0;
}

static gboolean
pin_expired(VlOwnership *o)
{
    X509 *pin = vl_ownership_pinned_cert(o);

    return pin && X509_cmp_time(X509_get0_notAfter(pin), NULL) <= 0;
}

/*
 * The owner check: the pin, a certificate already verified in this generation, or one of the
 * pin's key valid now (remembered unless it is a renewal the caller is about to pin, which then
 * becomes the pin itself). *ret_renewed: matched by key and lives longer than the pin.
 */
static gboolean
owner_check(VlOwnership *o, X509 *cert, gboolean *ret_renewed, GError **error)
{
    gboolean by_key = FALSE;

    *ret_renewed = FALSE;
    if (is_pin(o, cert) || vl_ownership_verified(o, cert)) {
        return TRUE;
    }
    if (!vl_tls_pin_matches(cert, vl_ownership_owner(o)->certificate, &by_key, error)) {
        ERR_clear_error();
        return FALSE;
    }
    /* An older certificate of the key (a connection from before a renewal) is the owner's, but
     * must not take the pin back. */
    *ret_renewed =
        by_key && vl_tls_x509_not_after(cert) > vl_tls_x509_not_after(vl_ownership_pinned_cert(o));
    if (!*ret_renewed) {
        vl_ownership_remember_verified(o, cert);
    }
    return TRUE;
}

gboolean
vl_ownership_is_owner(VlOwnership *o, X509 *cert)
{
    gboolean renewed;

    if (vl_ownership_state(o) != VL_OWNERSHIP_OWNED || cert == NULL) {
        return FALSE;
    }
    return owner_check(o, cert, &renewed, NULL);
}

gboolean
vl_ownership_may_take(VlOwnership *o, const char *manager_id, X509 *cert, GError **error)
{
    const VlOwner *owner = vl_ownership_owner(o);

    if (vl_ownership_state(o) != VL_OWNERSHIP_OWNED) {
        return TRUE; /* unowned; a damaged state refuses every change by itself */
    }
    if (vl_ownership_is_owner(o, cert)) {
        return TRUE;
    }
    if (g_strcmp0(manager_id, owner->manager_id) == 0 && pin_expired(o)) {
        return TRUE;
    }
    g_set_error(error, VL_CALL_ERROR, VL_RPC_OWNED,
                "this bridge is owned by manager %s: %s must release it, or the host's root "
                "(vmlinkctl host release-ownership on the host)",
                owner->manager_id, owner->manager_id);
    return FALSE;
}

gboolean
vl_ownership_check_rotation(X509 *cert, const char *new_pem, GError **error)
{
    g_autoptr(X509) next = NULL;

    if (cert == NULL) {
        return TRUE;
    }
    next = vl_tls_x509_from_pem(new_pem);
    if (next == NULL) {
        g_set_error_literal(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                            "manager_certificate is not a PEM certificate");
        return FALSE;
    }
    if (EVP_PKEY_eq(X509_get0_pubkey(next), X509_get0_pubkey(cert)) != 1) {
        ERR_clear_error();
        g_set_error_literal(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                            "manager_certificate must have the public key of the certificate "
                            "this connection presents (a re-issued certificate): a new key "
                            "needs host release-ownership, then host take-ownership with it");
        return FALSE;
    }
    return TRUE;
}

static char *
take_ownership_hint(void)
{
    return g_strdup_printf("vmlinkctl --connect tls://%s host take-ownership", g_get_host_name());
}

gboolean
vl_ownership_allows(VlOwnership *o, const char *method, X509 *cert, gboolean *ret_renewed,
                    GError **error)
{
    g_autoptr(GError) pin_error = NULL;
    g_autofree char *hint = NULL;
    gboolean renewed = FALSE;
    gboolean take = g_str_equal(method, "host.take_ownership");

    if (ret_renewed) {
        *ret_renewed = FALSE;
    }
    if (g_str_equal(method, "host.info")) {
        return TRUE;
    }
    hint = take_ownership_hint();
    switch (vl_ownership_state(o)) {
    case VL_OWNERSHIP_DAMAGED:
        g_set_error(error, VL_CALL_ERROR, VL_RPC_UNAUTHORIZED,
                    "this bridge serves only host.info until the host's administrator repairs its "
                    "ownership state: %s",
                    vl_ownership_damage(o));
        return FALSE;
    case VL_OWNERSHIP_UNOWNED:
        if (take) {
            return TRUE;
        }
        g_set_error(error, VL_CALL_ERROR, VL_RPC_UNAUTHORIZED,
                    "this bridge has no owner: take ownership first (%s)", hint);
        return FALSE;
    case VL_OWNERSHIP_OWNED:
        break;
    }
    /* The owner again or its recovery: host.take_ownership decides (vl_ownership_may_take). */
    if (take) {
        return TRUE;
    }
    if (cert == NULL) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_OWNED,
                    "this bridge is owned by manager %s: present its certificate",
                    vl_ownership_owner(o)->manager_id);
        return FALSE;
    }
    if (owner_check(o, cert, &renewed, &pin_error)) {
        if (ret_renewed) {
            *ret_renewed = renewed;
        }
        return TRUE;
    }
    /* An expired certificate of the owner's key: the owner. With the pin expired too, it
     * recovers with the password; otherwise it presents the renewed certificate it has. */
    if (g_error_matches(pin_error, VL_TLS_ERROR, VL_TLS_ERROR_EXPIRED) &&
        vl_ownership_pinned_cert(o) &&
        EVP_PKEY_eq(X509_get0_pubkey(cert), X509_get0_pubkey(vl_ownership_pinned_cert(o))) == 1) {
        if (pin_expired(o)) {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_UNAUTHORIZED,
                        "the certificate of manager %s, this bridge's owner, has expired: take "
                        "ownership again with the agent password and a new certificate (%s)",
                        vl_ownership_owner(o)->manager_id, hint);
        } else {
            g_set_error(error, VL_CALL_ERROR, VL_RPC_UNAUTHORIZED,
                        "this certificate of manager %s, this bridge's owner, has expired: "
                        "present its renewed one",
                        vl_ownership_owner(o)->manager_id);
        }
        return FALSE;
    }
    ERR_clear_error();
    {
        g_autofree char *have = vl_tls_x509_fingerprint(cert);

        /* Not the pin's fingerprint: that is the owner's business. */
        g_set_error(error, VL_CALL_ERROR, VL_RPC_OWNED,
                    "this bridge is owned by manager %s: your certificate (%s) is not its pinned "
                    "one",
                    vl_ownership_owner(o)->manager_id, have ? have : "unreadable");
    }
    return FALSE;
}
