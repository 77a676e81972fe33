/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The byte stream under libvmlink-client, internal to it. A transport is a file descriptor to
 * poll and two non-blocking operations; vl-client.c does the waiting. The operations may ask to
 * wait for the other direction (TLS reads sometimes need to write, and writes to read), and may
 * hold bytes the descriptor no longer shows, so the client always tries an operation before it
 * polls. Adding a transport is one file and one line in the table of vl-transport.c.
 */
#pragma once

#include <glib.h>
#include <openssl/x509.h>

#include "vl-client.h"

G_BEGIN_DECLS

typedef struct _VlTransport VlTransport;

typedef struct {
    const char *scheme; /* "unix", "tls" */
    /*
     * Reads or writes up to len bytes without blocking. Returns the count (0 from read: the
     * peer closed the stream), or -1: with *ret_wait set to G_IO_IN or G_IO_OUT and no error
     * when the descriptor must be polled for that first, else with error set
     * (VL_CLIENT_ERROR_CLOSED when the connection is lost).
     */
    gssize (*read)(VlTransport *transport, void *buf, gsize len, GIOCondition *ret_wait,
                   GError **error);
    gssize (*write)(VlTransport *transport, const void *buf, gsize len, GIOCondition *ret_wait,
                    GError **error);
    void (*close)(VlTransport *transport); /* releases what the transport holds, not itself */
} VlTransportClass;

struct _VlTransport {
    const VlTransportClass *klass;
    int fd;          /* what to poll */
    char *address;   /* as given, for messages */
    X509 *peer_cert; /* tls: what the server presented in the handshake; NULL for unix */
};

/* Opens the transport named by the address's scheme (see vl_client_connect_full); options is
 * never NULL. */
VlTransport *vl_transport_open(const char *address, const VlClientOptions *options, GError **error);
void vl_transport_free(VlTransport *transport);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlTransport, vl_transport_free)

/* The UNIX socket transport: path is absolute. */
VlTransport *vl_transport_unix_open(const char *path, const char *address, GError **error);

/* The TLS transport: connects to host:port within options->timeout_ms and completes the
 * handshake with options->identity; the pin is the client's business. */
VlTransport *vl_transport_tls_open(const char *host, guint16 port, const char *address,
                                   const VlClientOptions *options, GError **error);

G_END_DECLS
