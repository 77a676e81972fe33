/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Single sign-on in the guest (issue 7): what the agent and pam_vmlink.so agree on.
 *
 * The manager sends a user and password through vmlinkd and the channel. The agent keeps them in
 * locked, wiped memory behind a one-time token (VL_SSO_TOKEN_BYTES random bytes, base64url
 * without padding) that expires (default VL_SSO_TOKEN_TTL_S) and works once. A greeter's PAM
 * stack (pam_vmlink.so, asking for the token through the PAM conversation) fetches them from the
 * agent's credential socket, which only root may use (the agent checks SO_PEERCRED).
 *
 * The credential socket's protocol, one exchange per connection:
 *
 *     client:  "GET " TOKEN "\n"                      (at most VL_SSO_REQUEST_MAX bytes)
 *     agent:   "OK\n" USER "\0" PASSWORD "\0"          then closes; or
 *              "ERR " REASON "\n"                      then closes
 *
 * USER is at most VL_SSO_USER_MAX bytes, PASSWORD at most VL_SSO_PASSWORD_MAX, neither holds a
 * NUL. REASON is one of "unknown-token" (wrong, used or expired: not told apart, so a guess
 * learns nothing), "not-root", "bad-request". The client wipes what it read once used.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_SSO_SOCKET_PATH "/run/vmlink/sso.sock"
/* What pam_vmlink.so asks through the PAM conversation; the agent answers nothing else. */
#define VL_SSO_TOKEN_PROMPT "vmlink SSO token: "
#define VL_SSO_TOKEN_BYTES 32 /* 256 bits */
#define VL_SSO_TOKEN_LEN 43   /* base64url of 32 bytes, no padding */
#define VL_SSO_TOKEN_TTL_S 30
#define VL_SSO_USER_MAX 256
#define VL_SSO_PASSWORD_MAX 1024
#define VL_SSO_REQUEST_MAX (4 + VL_SSO_TOKEN_LEN + 1)
#define VL_SSO_MAX_TOKENS 16 /* credentials held at once; more are refused */

G_END_DECLS
