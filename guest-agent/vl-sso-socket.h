/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's credential socket (issue 7): pam_vmlink.so trades a one-time token for the user
 * and password behind it, with the protocol in vl-sso.h. Only the required peer (root) is
 * served, checked with SO_PEERCRED; each connection gets one exchange within a short deadline
 * and is closed; every buffer that held a token or a password is a wiped VlSecret.
 *
 * Runs on the GLib main loop of the default context. The directory of the socket is created
 * 0755 when missing and must not be writable by others; the socket is born 0600, and a stale
 * one (nobody listening) is replaced.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "vl-sso-tokens.h"

G_BEGIN_DECLS

#define VL_SSO_SOCKET_TIMEOUT_MS 5000 /* a client has this long to ask and read the answer */
#define VL_SSO_SOCKET_MAX_CLIENTS 16  /* connections served at once; more are closed at once */

typedef struct _VlSsoSocket VlSsoSocket;

/* Listens on PATH (NULL: VL_SSO_SOCKET_PATH), answering from TOKENS with times from
 * g_get_monotonic_time(). TOKENS must outlive the socket. Errors are G_IO_ERROR. */
VlSsoSocket *vl_sso_socket_new(VlSsoTokens *tokens, const char *path, GError **error);
/* Closes the socket and every connection, wiping their buffers, and removes the socket file. */
void vl_sso_socket_free(VlSsoSocket *socket);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlSsoSocket, vl_sso_socket_free)

/* The peer's user id that is served (default 0, root). Others get "ERR not-root". Tests use it
 * to check the refusal. */
void vl_sso_socket_set_required_uid(VlSsoSocket *socket, uid_t uid);
/* The deadline of each connection (default VL_SSO_SOCKET_TIMEOUT_MS). */
void vl_sso_socket_set_timeout(VlSsoSocket *socket, guint timeout_ms);

const char *vl_sso_socket_get_path(const VlSsoSocket *socket);

G_END_DECLS
