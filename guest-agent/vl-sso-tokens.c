/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-sso-tokens.h"

#include <string.h>

#include "vl-sso.h"

/* clang-format off */
G_DEFINE_QUARK(vl-sso-tokens-error-quark, vl_sso_tokens_error)
/* clang-format on */

/* One credential, all of it in one secret: TOKEN (VL_SSO_TOKEN_LEN bytes), USER NUL,
 * PASSWORD NUL. */
typedef struct {
    VlSecret *secret;
    gsize user_len;
    gsize password_len;
    gint64 expires_us;
} Entry;

struct _VlSsoTokens {
    guint max;
    gint64 ttl_us;
    GPtrArray *entries; /* of Entry */
    VlSsoTokensTakenFunc taken_func;
    gpointer taken_data;
};

static void
entry_free(gpointer data)
{
    Entry *e = data;

    vl_secret_free(e->secret);
    g_free(e);
}

VlSsoTokens *
vl_sso_tokens_new(guint max, guint ttl_s)
{
    VlSsoTokens *store = g_new0(VlSsoTokens, 1);

    store->max = max;
    store->ttl_us = (gint64)ttl_s * G_USEC_PER_SEC;
    store->entries = g_ptr_array_new_with_free_func(entry_free);
    return store;
}

void
vl_sso_tokens_free(VlSsoTokens *store)
{
    if (store) {
        g_ptr_array_unref(store->entries);
        g_free(store);
    }
}

guint
vl_sso_tokens_count(const VlSsoTokens *store)
{
    return store->entries->len;
}

void
vl_sso_tokens_sweep(VlSsoTokens *store, gint64 now_us)
{
    for (guint i = store->entries->len; i > 0; i--) {
        Entry *e = g_ptr_array_index(store->entries, i - 1);

        if (now_us >= e->expires_us) {
            g_ptr_array_remove_index_fast(store->entries, i - 1);
        }
    }
}

/* base64url without padding (RFC 4648, section 5); OUT holds (LEN * 4 + 2) / 3 characters. Not
 * g_base64_encode: that pads, uses the other alphabet, and leaves a copy on the plain heap. */
static void
base64url_encode(const guint8 *in, gsize len, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    gsize o = 0;

    for (gsize i = 0; i < len; i += 3) {
        guint32 v = (guint32)in[i] << 16;
        gsize n = MIN(len - i, 3);

        if (n > 1) {
            v |= (guint32)in[i + 1] << 8;
        }
        if (n > 2) {
            v |= in[i + 2];
        }
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (n > 1) {
            out[o++] = alphabet[(v >> 6) & 63];
        }
        if (n > 2) {
            out[o++] = alphabet[v & 63];
        }
    }
}

G_STATIC_ASSERT((VL_SSO_TOKEN_BYTES * 4 + 2) / 3 == VL_SSO_TOKEN_LEN);

char *
vl_sso_tokens_add(VlSsoTokens *store, const char *user, const char *password, gsize password_len,
                  gint64 now_us, GError **error)
{
    gsize user_len = strlen(user);
    guint8 raw[VL_SSO_TOKEN_BYTES];
    Entry *e;
    char *mem;
    gboolean ok;

    if (user_len == 0 || user_len > VL_SSO_USER_MAX) {
        g_set_error(error, VL_SSO_TOKENS_ERROR, VL_SSO_TOKENS_ERROR_INVALID,
                    "the user name must be 1 to %d bytes, not %" G_GSIZE_FORMAT, VL_SSO_USER_MAX,
                    user_len);
        return NULL;
    }
    if (password_len > VL_SSO_PASSWORD_MAX) {
        g_set_error(error, VL_SSO_TOKENS_ERROR, VL_SSO_TOKENS_ERROR_INVALID,
                    "the password must be at most %d bytes", VL_SSO_PASSWORD_MAX);
        return NULL;
    }
    if (memchr(password, '\0', password_len) != NULL) {
        /* The credential socket separates user and password with NULs. */
        g_set_error_literal(error, VL_SSO_TOKENS_ERROR, VL_SSO_TOKENS_ERROR_INVALID,
                            "the password holds a NUL byte");
        return NULL;
    }
    vl_sso_tokens_sweep(store, now_us);
    if (store->entries->len >= store->max) {
        g_set_error(error, VL_SSO_TOKENS_ERROR, VL_SSO_TOKENS_ERROR_FULL,
                    "%u single sign-on credentials are waiting already; try again once one is "
                    "used or expires (after %" G_GINT64_FORMAT " s at most)",
                    store->max, store->ttl_us / G_USEC_PER_SEC);
        return NULL;
    }

    e = g_new0(Entry, 1);
    e->secret = vl_secret_new(VL_SSO_TOKEN_LEN + user_len + 1 + password_len + 1, error);
    if (e->secret == NULL) {
        g_free(e);
        return NULL;
    }
    e->user_len = user_len;
    e->password_len = password_len;
    e->expires_us = now_us + store->ttl_us;
    mem = vl_secret_data(e->secret);
    /* A collision of 256-bit random tokens is not a case worth code. */
    ok = vl_secmem_random(raw, sizeof(raw), error);
    base64url_encode(raw, sizeof(raw), mem);
    explicit_bzero(raw, sizeof(raw));
    if (!ok) {
        entry_free(e);
        return NULL;
    }
    memcpy(mem + VL_SSO_TOKEN_LEN, user, user_len);
    if (password_len > 0) {
        memcpy(mem + VL_SSO_TOKEN_LEN + user_len + 1, password, password_len);
    }
    g_ptr_array_add(store->entries, e);
    return g_strndup(mem, VL_SSO_TOKEN_LEN);
}

/* Whether A and B (LEN bytes each) are equal, in a time that does not depend on where they
 * differ, so a guess learns nothing from how long the answer takes. */
static gboolean
equal_constant_time(const char *a, const char *b, gsize len)
{
    volatile guint8 diff = 0;

    for (gsize i = 0; i < len; i++) {
        diff |= (guint8)a[i] ^ (guint8)b[i];
    }
    return diff == 0;
}

gboolean
vl_sso_tokens_take(VlSsoTokens *store, const char *token, gint64 now_us, char **ret_user,
                   VlSecret **ret_password)
{
    g_autoptr(VlSecret) password = NULL;
    Entry *found = NULL;
    guint found_index = 0;
    const char *mem;

    vl_sso_tokens_sweep(store, now_us);
    /* The length of a token is public; its characters are not. Every entry is compared, so the
     * time does not tell which one matched either. */
    if (strnlen(token, VL_SSO_TOKEN_LEN + 1) != VL_SSO_TOKEN_LEN) {
        return FALSE;
    }
    for (guint i = 0; i < store->entries->len; i++) {
        Entry *e = g_ptr_array_index(store->entries, i);

        if (equal_constant_time(vl_secret_data(e->secret), token, VL_SSO_TOKEN_LEN)) {
            found = e;
            found_index = i;
        }
    }
    if (found == NULL) {
        return FALSE;
    }
    mem = vl_secret_data(found->secret);
    password = vl_secret_new_from_data(mem + VL_SSO_TOKEN_LEN + found->user_len + 1,
                                       found->password_len, NULL);
    if (password == NULL) {
        /* Out of memory: the credential stays, and the client may ask again. */
        return FALSE;
    }
    *ret_user = g_strndup(mem + VL_SSO_TOKEN_LEN, found->user_len);
    *ret_password = g_steal_pointer(&password);
    g_ptr_array_remove_index_fast(store->entries, found_index);
    if (store->taken_func) {
        store->taken_func(token, store->taken_data);
    }
    return TRUE;
}

void
vl_sso_tokens_set_taken_func(VlSsoTokens *store, VlSsoTokensTakenFunc func, gpointer user_data)
{
    store->taken_func = func;
    store->taken_data = user_data;
}
