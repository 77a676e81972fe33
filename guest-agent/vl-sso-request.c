/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-sso-request.h"

#include <string.h>

#include "vl-sso.h"

#define REQUEST_PREFIX "GET "
#define REQUEST_PREFIX_LEN 4

G_STATIC_ASSERT(REQUEST_PREFIX_LEN + VL_SSO_TOKEN_LEN + 1 == VL_SSO_REQUEST_MAX);

/* RFC 4648, section 5. g_ascii_* rather than ctype: the locale must not widen the alphabet. */
static gboolean
is_base64url(char c)
{
    return g_ascii_isalnum(c) || c == '-' || c == '_';
}

VlSsoRequestKind
vl_sso_request_parse(const char *data, gsize len, gboolean ended, const char **ret_token,
                     const char **ret_reason)
{
    const char *newline = memchr(data, '\n', len);
    gboolean good;

    if (ret_token) {
        *ret_token = NULL;
    }
    if (ret_reason) {
        *ret_reason = NULL;
    }
    if (newline == NULL && !ended && len < VL_SSO_REQUEST_MAX) {
        return VL_SSO_REQUEST_INCOMPLETE;
    }

    /* The only good request fills the buffer exactly, so its length says most of it; a NUL
     * anywhere in it fails the alphabet. */
    good = newline != NULL && newline == data + len - 1 && len == VL_SSO_REQUEST_MAX &&
           memcmp(data, REQUEST_PREFIX, REQUEST_PREFIX_LEN) == 0;
    for (gsize i = 0; good && i < VL_SSO_TOKEN_LEN; i++) {
        good = is_base64url(data[REQUEST_PREFIX_LEN + i]);
    }
    if (!good) {
        if (ret_reason) {
            *ret_reason = "bad-request";
        }
        return VL_SSO_REQUEST_BAD;
    }
    if (ret_token) {
        *ret_token = data + REQUEST_PREFIX_LEN;
    }
    return VL_SSO_REQUEST_GET;
}
