/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's single sign-on credentials (issue 7): each user and password the host sends is
 * kept in locked, wiped memory (vl-secmem.h) behind a one-time token (vl-sso.h) that expires
 * after the store's TTL and can be taken once. At most MAX are held; more are refused, not
 * evicted, so a flood cannot push out a login in progress.
 *
 * Times are microseconds on one monotonic clock chosen by the caller (the agent uses
 * g_get_monotonic_time()), passed in so tests control them. Not thread-safe: the agent's main
 * loop owns the store.
 */
#pragma once

#include <glib.h>

#include "vl-secmem.h"

G_BEGIN_DECLS

#define VL_SSO_TOKENS_ERROR (vl_sso_tokens_error_quark())
GQuark vl_sso_tokens_error_quark(void);

typedef enum {
    VL_SSO_TOKENS_ERROR_INVALID, /* an empty or too long user, a too long password, a NUL */
    VL_SSO_TOKENS_ERROR_FULL,    /* MAX credentials are waiting already */
} VlSsoTokensError;

typedef struct _VlSsoTokens VlSsoTokens;

/* MAX: credentials held at once (normally VL_SSO_MAX_TOKENS); TTL_S: lifetime of a token
 * (normally VL_SSO_TOKEN_TTL_S). */
VlSsoTokens *vl_sso_tokens_new(guint max, guint ttl_s);
/* Wipes every credential still held. NULL is allowed. */
void vl_sso_tokens_free(VlSsoTokens *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlSsoTokens, vl_sso_tokens_free)

/* Keeps a copy of USER (1 to VL_SSO_USER_MAX bytes) and PASSWORD (PASSWORD_LEN bytes, at most
 * VL_SSO_PASSWORD_MAX, no NUL) and returns the new token: VL_SSO_TOKEN_LEN base64url
 * characters. The caller wipes its own copy of the password. Other errors than
 * VL_SSO_TOKENS_ERROR come from vl-secmem (no memory, no random numbers). */
char *vl_sso_tokens_add(VlSsoTokens *store, const char *user, const char *password,
                        gsize password_len, gint64 now_us, GError **error);

/* Hands over the credentials behind TOKEN and forgets them: a token works once. FALSE, with
 * nothing set, for a token that is wrong, used or expired (not told apart), or when the
 * password cannot be copied. The password comes as a VlSecret of its length, NUL-terminated. */
gboolean vl_sso_tokens_take(VlSsoTokens *store, const char *token, gint64 now_us, char **ret_user,
                            VlSecret **ret_password);

/* Called each time a token is taken, with that token, once its credentials are handed over (the
 * agent learns so that a greeter used them). NULL removes it. */
typedef void (*VlSsoTokensTakenFunc)(const char *token, gpointer user_data);
void vl_sso_tokens_set_taken_func(VlSsoTokens *store, VlSsoTokensTakenFunc func,
                                  gpointer user_data);

/* Wipes and forgets every expired credential (adding and taking sweep too). */
void vl_sso_tokens_sweep(VlSsoTokens *store, gint64 now_us);
/* Credentials held, expired or not, until the next sweep. */
guint vl_sso_tokens_count(const VlSsoTokens *store);

G_END_DECLS
