/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Addresses: which transport a "scheme:rest" address names. The table is the list of what
 * vl_client_connect() understands.
 */
#include "vl-transport.h"

#include <string.h>

#include <openssl/x509.h>

#include "vl-client.h"
#include "vl-protocol.h"

typedef VlTransport *(*VlTransportOpenFunc)(const char *rest, const char *address,
                                            const VlClientOptions *options, GError **error);

typedef struct {
    const char *scheme;
    VlTransportOpenFunc open;
} VlScheme;

static VlTransport *
open_unix(const char *rest, const char *address, const VlClientOptions *options, GError **error)
{
    if (!g_path_is_absolute(rest)) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_ADDRESS,
                    "%s: the socket path must be absolute (unix:/run/vmlink/vmlinkd.sock)",
                    address);
        return NULL;
    }
    return vl_transport_unix_open(rest, address, error);
}

/* Host names, IPv4 and IPv6 addresses (and an IPv6 zone): nothing that could leave the hosts/
 * folder when it becomes a pin's file name, nor confuse a message. */
static gboolean
host_is_valid(const char *host)
{
    if (*host == '\0' || *host == '.' || strlen(host) > 253) {
        return FALSE;
    }
    for (const char *p = host; *p; p++) {
        if (!g_ascii_isalnum(*p) && strchr(".-_:%", *p) == NULL) {
            return FALSE;
        }
    }
    return TRUE;
}

/* "HOST[:PORT]", "[V6]" or "[V6]:PORT", after "tls:" or "tls://". */
static gboolean
parse_tls_rest(const char *rest, const char *address, char **ret_host, guint16 *ret_port,
               GError **error)
{
    g_autofree char *text = g_strdup(g_str_has_prefix(rest, "//") ? rest + 2 : rest);
    g_autofree char *host = NULL;
    const char *port_text = NULL;
    guint64 port = VL_CONTROL_PORT;
    gsize len = strlen(text);

    if (len > 0 && text[len - 1] == '/') {
        text[len - 1] = '\0'; /* tls://host:8899/ as copied from a URL */
    }
    if (text[0] == '[') {
        char *close = strchr(text, ']');

        if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
            goto bad;
        }
        host = g_strndup(text + 1, close - text - 1);
        port_text = close[1] == ':' ? close + 2 : NULL;
    } else {
        char *colon = strchr(text, ':');

        if (colon && strchr(colon + 1, ':')) {
            g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_ADDRESS,
                        "%s: write an IPv6 address in brackets (tls://[::1]:%d)", address,
                        VL_CONTROL_PORT);
            return FALSE;
        }
        host = colon ? g_strndup(text, colon - text) : g_strdup(text);
        port_text = colon ? colon + 1 : NULL;
    }
    if (!host_is_valid(host)) {
        goto bad;
    }
    if (port_text && !g_ascii_string_to_unsigned(port_text, 10, 1, 65535, &port, NULL)) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_ADDRESS,
                    "%s: the port must be a number from 1 to 65535 (default %d)", address,
                    VL_CONTROL_PORT);
        return FALSE;
    }
    if (ret_host) {
        *ret_host = g_steal_pointer(&host);
    }
    if (ret_port) {
        *ret_port = (guint16)port;
    }
    return TRUE;

bad:
    g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_ADDRESS,
                "%s: not a TLS address: give tls://HOST, tls://HOST:PORT or tls://[IPV6]:PORT",
                address);
    return FALSE;
}

static VlTransport *
open_tls(const char *rest, const char *address, const VlClientOptions *options, GError **error)
{
    g_autofree char *host = NULL;
    guint16 port = 0;

    if (!parse_tls_rest(rest, address, &host, &port, error)) {
        return NULL;
    }
    return vl_transport_tls_open(host, port, address, options, error);
}

static const VlScheme schemes[] = {
    {"unix", open_unix},
    {"tls", open_tls},
};

/* The scheme of address and what follows its colon; NULL when it names none of the table. */
static const VlScheme *
find_scheme(const char *address, const char **ret_rest)
{
    const char *colon = strchr(address, ':');

    for (gsize i = 0; colon && i < G_N_ELEMENTS(schemes); i++) {
        const VlScheme *s = &schemes[i];

        if (strlen(s->scheme) == (gsize)(colon - address) &&
            strncmp(s->scheme, address, colon - address) == 0) {
            *ret_rest = colon + 1;
            return s;
        }
    }
    return NULL;
}

gboolean
vl_client_address_tls(const char *address, char **ret_host, guint16 *ret_port, GError **error)
{
    const char *rest = NULL;
    const VlScheme *s;

    g_return_val_if_fail(address != NULL, FALSE);

    s = g_path_is_absolute(address) ? NULL : find_scheme(address, &rest);
    if (s == NULL || s->open != open_tls) {
        return FALSE;
    }
    return parse_tls_rest(rest, address, ret_host, ret_port, error);
}

VlTransport *
vl_transport_open(const char *address, const VlClientOptions *options, GError **error)
{
    const char *rest = NULL;
    const VlScheme *s;

    g_return_val_if_fail(address != NULL, NULL);

    /* A bare absolute path is a UNIX socket: what people type on the host itself. */
    if (g_path_is_absolute(address)) {
        return open_unix(address, address, options, error);
    }
    s = find_scheme(address, &rest);
    if (s) {
        return s->open(rest, address, options, error);
    }
    g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_ADDRESS,
                "\"%s\" is not an address vmlinkd listens on: give unix:PATH, an absolute PATH "
                "or tls://HOST[:PORT]",
                address);
    return NULL;
}

void
vl_transport_free(VlTransport *transport)
{
    if (transport) {
        transport->klass->close(transport);
        X509_free(transport->peer_cert);
        g_free(transport->address);
        g_free(transport);
    }
}
