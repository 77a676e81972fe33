/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's `login` command (issue 7): single sign-on of a user the manager names, with the
 * password the manager sends, on a console of the guest.
 *
 * In order: the console (the one asked for, or the first of the policy's that exists; not one
 * in use), the policy on the user ([sso] of agent.conf), then the credentials go into locked
 * memory behind a one-time token (vl-sso-tokens.h) that the credential socket
 * (vl-sso-socket.h) hands to pam_vmlink.so once. On a text console the agent runs the PAM
 * service itself (vl-sso-auth.h) and, if the system accepts the credentials, starts the login
 * there (vl-sso-console.h); for the graphical console it announces the token to the greeter
 * (vl-sso-greeter.h) and waits until the greeter has used it or it expires.
 *
 * Every login ends in exactly one result for the host: an outcome of the catalogue's `login`
 * result (logged_in, handed_to_greeter, wrong_credentials, not_allowed, no_console,
 * already_logged_in, timed_out), or an error when the system could not say (PAM or systemd
 * broke). One login runs at a time. Neither the password nor the token is ever logged.
 */
#pragma once

#include <gio/gio.h>

#include "vl-sso-policy.h"

G_BEGIN_DECLS

#define VL_SSO_LOGIN_ERROR (vl_sso_login_error_quark())
GQuark vl_sso_login_error_quark(void);

/* How long a user the policy refuses (or who does not exist) waits for the answer. */
#define VL_SSO_REFUSAL_DELAY_MS 2000

typedef enum {
    VL_SSO_LOGIN_ERROR_UNAVAILABLE, /* no credential socket, or the agent is stopping */
    VL_SSO_LOGIN_ERROR_BUSY,        /* another login is in progress */
    VL_SSO_LOGIN_ERROR_FAILED,      /* PAM or systemd failed: the message says how */
} VlSsoLoginError;

typedef struct {
    const char *outcome; /* the catalogue's outcome */
    const char *console; /* the console used, or NULL */
    const char *session; /* logind's id of the new session, or NULL */
} VlSsoLoginResult;

/* Exactly one of result and error is set. */
typedef void (*VlSsoLoginFunc)(const VlSsoLoginResult *result, const GError *error,
                               gpointer user_data);

typedef struct _VlSsoLogin VlSsoLogin;

/*
 * Sets single sign-on up: the token store and the greeter's name on BUS (may be NULL: no
 * greeters, no logind, no text consoles). The credential socket, at the policy's path, is open
 * only while a login is in progress. ROOT is the system's root ("/", or a fixture tree for
 * tests). POLICY must outlive the login.
 */
VlSsoLogin *vl_sso_login_new(const VlSsoPolicy *policy, const char *root, GDBusConnection *bus);
/* Ends a login in progress with VL_SSO_LOGIN_ERROR_UNAVAILABLE. NULL is allowed. */
void vl_sso_login_free(VlSsoLogin *login);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlSsoLogin, vl_sso_login_free)

/*
 * Starts a login of USER with PASSWORD (PASSWORD_LEN bytes; copied into locked memory, the
 * caller wipes its own copy) on CONSOLE (NULL: the agent chooses). FUNC is called once, maybe
 * before this returns.
 */
void vl_sso_login_start(VlSsoLogin *login, const char *user, const char *password,
                        gsize password_len, const char *console, VlSsoLoginFunc func,
                        gpointer user_data);

G_END_DECLS
