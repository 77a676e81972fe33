/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Single sign-on for graphical greeters (issue 7): the agent owns VL_SSO_GREETER_BUS_NAME on the
 * system bus and, for each new one-time token (vl-sso.h), broadcasts the signal
 * VL_SSO_GREETER_SIGNAL (one string: the token) of VL_SSO_GREETER_INTERFACE at
 * VL_SSO_GREETER_OBJECT_PATH. It exports nothing else. The model is ovirt-guest-agent's
 * UserAuthenticated(token) on org.ovirt.vdsm.Credentials.
 *
 * The bus policy org.vmlink.Agent.conf (packaging/dbus/, installed to
 * share/dbus-1/system.d/) lets only root own the name and only root receive the signal, and
 * lets nobody call methods on the name. The token is redeemable only at the root-only
 * credential socket anyway; keeping it from unprivileged users is defence in depth. A site lets
 * its greeter's user receive the signal with a policy of its own (the example
 * vmlink-greeter.conf.example in share/doc/vmlink).
 *
 * The greeter's side: subscribe on the system bus to VL_SSO_GREETER_SIGNAL of
 * VL_SSO_GREETER_INTERFACE with the sender VL_SSO_GREETER_BUS_NAME (so a signal from anyone else
 * is not taken for ours); on each signal start a PAM conversation on the service "gdm-vmlink"
 * (packaging/pam/gdm-vmlink.example) and answer pam_vmlink's prompt "vmlink SSO token: " with
 * the token. pam_vmlink trades it at the credential socket for the user and password; a token
 * works once and expires after VL_SSO_TOKEN_TTL_S seconds, so the greeter must not keep it.
 *
 * Runs on the thread-default main context of the caller of vl_sso_greeter_new(). The interface
 * is platform-neutral; linux/sso-greeter.c implements it with GDBus.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VL_SSO_GREETER_BUS_NAME "org.vmlink.Agent"
#define VL_SSO_GREETER_OBJECT_PATH "/org/vmlink/Agent"
#define VL_SSO_GREETER_INTERFACE "org.vmlink.Sso1"
#define VL_SSO_GREETER_SIGNAL "TokenReady"

#define VL_SSO_GREETER_ERROR (vl_sso_greeter_error_quark())
GQuark vl_sso_greeter_error_quark(void);

typedef enum {
    VL_SSO_GREETER_ERROR_NOT_OWNER, /* the bus name is not ours: no greeter would trust us */
    VL_SSO_GREETER_ERROR_INVALID,   /* not a token of vl-sso.h's form */
} VlSsoGreeterError;

typedef struct _VlSsoGreeter VlSsoGreeter;

/* Asks BUS (the system bus; NULL when there is none) for VL_SSO_GREETER_BUS_NAME without
 * queueing. Never fails: when the name cannot be had (no bus, no policy installed, another
 * owner) one message says so and the greeter is simply not available. BUS is referenced. */
VlSsoGreeter *vl_sso_greeter_new(GDBusConnection *bus);
/* Gives the name back. NULL is allowed. */
void vl_sso_greeter_free(VlSsoGreeter *greeter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlSsoGreeter, vl_sso_greeter_free)

/* Whether the name is ours now. FALSE until the bus has answered. */
gboolean vl_sso_greeter_available(const VlSsoGreeter *greeter);

/* Iterates the greeter's main context until the bus has answered whether the name is ours, at
 * most TIMEOUT_MS. FALSE if it has not answered by then. For tests and for callers that must
 * know before they go on. */
gboolean vl_sso_greeter_wait(VlSsoGreeter *greeter, guint timeout_ms);

/* Broadcasts TOKEN (VL_SSO_TOKEN_LEN base64url characters) to greeters. Fails with
 * VL_SSO_GREETER_ERROR_NOT_OWNER, emitting nothing, when the name is not ours; other errors are
 * GDBus's (G_IO_ERROR_CLOSED when the bus has gone). The token is never logged. */
gboolean vl_sso_greeter_announce(VlSsoGreeter *greeter, const char *token, GError **error);

G_END_DECLS
