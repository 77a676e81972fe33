/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A line-oriented client of a UNIX socket, for tests that play the host side of a channel.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_LINE_SOCKET_ERROR (vl_line_socket_error_quark())
GQuark vl_line_socket_error_quark(void);

typedef enum {
    VL_LINE_SOCKET_ERROR_TIMEOUT, /* no line in time */
    VL_LINE_SOCKET_ERROR_CLOSED,  /* the peer closed the connection */
} VlLineSocketError;

/* A line-oriented client of a UNIX socket, such as the host end of a channel. */
typedef struct _VlLineSocket VlLineSocket;
/* Connects, retrying until timeout_s (QEMU creates the socket as it starts). */
VlLineSocket *vl_line_socket_connect(const char *path, guint timeout_s, GError **error);
void vl_line_socket_free(VlLineSocket *sock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlLineSocket, vl_line_socket_free)
gboolean vl_line_socket_send(VlLineSocket *sock, const char *data, gsize len, GError **error);
/* The next line without its newline; NULL with an error on timeout or when the peer closed. */
char *vl_line_socket_recv(VlLineSocket *sock, guint timeout_ms, GError **error);
/*
 * Synchronises with an echoing guest, the way qemu-ga's guest-sync does: the guest kernel
 * drops what the host writes while no guest process has the port open, so a line sent right
 * after connecting may be lost. Sends "sync-N" every half second until the guest answers
 * echo_prefix + "sync-N" for the latest N, discarding older answers.
 */
gboolean vl_line_socket_sync(VlLineSocket *sock, const char *echo_prefix, guint timeout_s,
                             GError **error);

G_END_DECLS
