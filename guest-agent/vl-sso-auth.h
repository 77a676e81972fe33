/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whether the system accepts a user's credentials (issue 7), asked the way a login program
 * asks: on Linux through PAM (linux/sso-pam.c), with the service the policy names
 * (vmlink-sso: pam_vmlink.so trades the one-time token for the credentials, the system's own
 * module judges the password). The agent never compares a password itself.
 *
 * PAM blocks (pam_unix waits about two seconds after a wrong password, NSS may ask a
 * directory), and pam_vmlink.so fetches the credentials from the agent's own credential socket,
 * which the main loop serves: so the check runs on a worker thread.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
    VL_SSO_AUTH_OK,      /* the credentials are right and the account may log in now */
    VL_SSO_AUTH_REFUSED, /* wrong credentials (or the token was refused) */
    VL_SSO_AUTH_ACCOUNT, /* right credentials, but the account may not log in (expired, locked,
                            password change required, not allowed here) */
} VlSsoAuthResult;

/*
 * Authenticates USER with the PAM service SERVICE, answering the conversation's first prompt
 * with TOKEN (copied into locked memory), with PAM_TTY set to CONSOLE (may be NULL), then
 * checks the account. CALLBACK runs on the thread-default main context of the caller.
 */
void vl_sso_auth_async(const char *service, const char *user, const char *token,
                       const char *console, GAsyncReadyCallback callback, gpointer user_data);
/* FALSE with an error when PAM itself failed (no such service, a module that broke): that is
 * not a verdict on the credentials. */
gboolean vl_sso_auth_finish(GAsyncResult *result, VlSsoAuthResult *ret_result, GError **error);

G_END_DECLS
