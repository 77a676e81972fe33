/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Addresses: which transport a "scheme:rest" address names. The table is the list of what
 * vl_client_connect() understands; a scheme without an open function is known but not built yet,
 * so it fails with a message saying so rather than "unknown address".
 */
#include "vl-transport.h"

#include <string.h>

#include "vl-client.h"

typedef VlTransport *(*VlTransportOpenFunc)(const char *rest, const char *address, GError **error);

typedef struct {
    const char *scheme;
    VlTransportOpenFunc open; /* NULL: not supported yet */
    const char *not_yet;      /* why, and what to do instead */
} VlScheme;

static VlTransport *
open_unix(const char *rest, const char *address, GError **error)
{
    if (!g_path_is_absolute(rest)) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_ADDRESS,
                    "%s: the socket path must be absolute (unix:/run/vmlink/vmlinkd.sock)",
                    address);
        return NULL;
    }
    return vl_transport_unix_open(rest, address, error);
}

static const VlScheme schemes[] = {
    {"unix", open_unix, NULL},
    {"tls", NULL,
     "TLS connections are not supported yet; on the KVM host, use the local socket "
     "(" VL_CLIENT_DEFAULT_ADDRESS ")"},
};

VlTransport *
vl_transport_open(const char *address, GError **error)
{
    const char *colon;

    g_return_val_if_fail(address != NULL, NULL);

    /* A bare absolute path is a UNIX socket: what people type on the host itself. */
    if (g_path_is_absolute(address)) {
        return open_unix(address, address, error);
    }
    colon = strchr(address, ':');
    for (gsize i = 0; colon && i < G_N_ELEMENTS(schemes); i++) {
        const VlScheme *s = &schemes[i];

        if (strlen(s->scheme) != (gsize)(colon - address) ||
            strncmp(s->scheme, address, colon - address) != 0) {
            continue;
        }
        if (s->open == NULL) {
            g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_UNSUPPORTED,
                        "cannot connect to %s: %s", address, s->not_yet);
            return NULL;
        }
        return s->open(colon + 1, address, error);
    }
    g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_ADDRESS,
                "\"%s\" is not an address vmlinkd listens on: give unix:PATH or an "
                "absolute PATH",
                address);
    return NULL;
}

void
vl_transport_free(VlTransport *transport)
{
    if (transport) {
        transport->klass->close(transport);
        g_free(transport->address);
        g_free(transport);
    }
}
