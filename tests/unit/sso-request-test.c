/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The credential socket's request parser (vl-sso-request.h) without a socket: the exact verdict,
 * token and reason for good requests, for requests still arriving, and for every kind of bad
 * one, whether the stream has ended or not.
 */
#include <string.h>

#include "vl-check.h"
#include "vl-sso-request.h"
#include "vl-sso.h"

#define TOKEN "alice-token-0123456789-abcdefghijklmnopqrst"
G_STATIC_ASSERT(sizeof(TOKEN) - 1 == VL_SSO_TOKEN_LEN);
/* Between them, every character of the base64url alphabet. */
#define TOKEN_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
#define TOKEN_REST "rstuvwxyz0123456789-_AAAAAAAAAAAAAAAAAAAAAA"
G_STATIC_ASSERT(sizeof(TOKEN_UPPER) - 1 == VL_SSO_TOKEN_LEN);
G_STATIC_ASSERT(sizeof(TOKEN_REST) - 1 == VL_SSO_TOKEN_LEN);

/* A string literal with its length, NULs inside included. */
#define BYTES(s) s, sizeof(s) - 1

typedef struct {
    const char *data;
    gsize len;
    const char *what;
} Input;

/* Parses and checks the verdict and both outputs exactly. */
static void
expect(const char *data, gsize len, gboolean ended, VlSsoRequestKind want, const char *what)
{
    const char *token = "unset";
    const char *reason = "unset";
    VlSsoRequestKind kind = vl_sso_request_parse(data, len, ended, &token, &reason);

    ck_assert_msg(kind == want, "%s (ended %d): kind %d, expected %d", what, ended, kind, want);
    switch (want) {
    case VL_SSO_REQUEST_GET:
        ck_assert_msg(token == data + 4, "%s: the token is not the one in the request", what);
        ck_assert_ptr_null(reason);
        break;
    case VL_SSO_REQUEST_BAD:
        ck_assert_ptr_null(token);
        ck_assert_msg(reason != NULL, "%s: no reason", what);
        ck_assert_str_eq(reason, "bad-request");
        break;
    case VL_SSO_REQUEST_INCOMPLETE:
        ck_assert_ptr_null(token);
        ck_assert_ptr_null(reason);
        break;
    }
}

START_TEST(test_get)
{
    static const char *const tokens[] = {TOKEN, TOKEN_UPPER, TOKEN_REST};

    for (gsize i = 0; i < G_N_ELEMENTS(tokens); i++) {
        g_autofree char *request = g_strdup_printf("GET %s\n", tokens[i]);
        const char *token = NULL;

        ck_assert_uint_eq(strlen(request), VL_SSO_REQUEST_MAX);
        expect(request, strlen(request), FALSE, VL_SSO_REQUEST_GET, tokens[i]);
        /* The line was whole before the stream ended: still good. */
        expect(request, strlen(request), TRUE, VL_SSO_REQUEST_GET, tokens[i]);
        ck_assert_int_eq(vl_sso_request_parse(request, strlen(request), FALSE, &token, NULL),
                         VL_SSO_REQUEST_GET);
        ck_assert_int_eq(memcmp(token, tokens[i], VL_SSO_TOKEN_LEN), 0);
        ck_assert_int_eq(token[VL_SSO_TOKEN_LEN], '\n');
    }
    /* Both outputs are optional. */
    ck_assert_int_eq(vl_sso_request_parse(BYTES("GET " TOKEN "\n"), FALSE, NULL, NULL),
                     VL_SSO_REQUEST_GET);
    ck_assert_int_eq(vl_sso_request_parse(BYTES("GET x\n"), FALSE, NULL, NULL), VL_SSO_REQUEST_BAD);
}
END_TEST

/* Prefixes of a request with no line end yet: read on while the stream is open, refused once it
 * has ended. */
START_TEST(test_incomplete_then_ended)
{
    static const Input inputs[] = {
        {BYTES(""), "nothing"},
        {BYTES("G"), "one byte"},
        {BYTES("GET "), "the prefix"},
        {BYTES("GET " TOKEN), "the token without its line end"},
        {BYTES("xxxx"), "a wrong prefix, no line end yet"},
        {BYTES("GET \0ab"), "a NUL, no line end yet"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
        ck_assert_uint_lt(inputs[i].len, VL_SSO_REQUEST_MAX);
        expect(inputs[i].data, inputs[i].len, FALSE, VL_SSO_REQUEST_INCOMPLETE, inputs[i].what);
        expect(inputs[i].data, inputs[i].len, TRUE, VL_SSO_REQUEST_BAD, inputs[i].what);
    }
}
END_TEST

/* Refused whether the stream has ended or not. */
START_TEST(test_bad)
{
    static const Input inputs[] = {
        {BYTES("\n"), "an empty line"},
        {BYTES("GET short\n"), "a short token"},
        {BYTES("GET \n"), "no token"},
        {BYTES("GET " TOKEN "\n\n"), "two line ends"},
        {BYTES("get " TOKEN "\n"), "lower case"},
        {BYTES("PUT " TOKEN "\n"), "another verb"},
        {BYTES("GET\t" TOKEN "\n"), "a tab for the space"},
        {BYTES("GET  alice-token-0123456789-abcdefghijklmnopqrs\n"), "two spaces"},
        {BYTES("GET alice-token-0123456789-abcdefghijklmnopqrs\n"), "42 characters"},
        {BYTES("GET alice-token-0123456789-abcdefghijklmnopqrs\r\n"), "a CR LF line end"},
        {BYTES("GET " TOKEN "x\n"), "44 characters, longer than a request"},
        {BYTES("GET !lice-token-0123456789-abcdefghijklmnopqrst\n"), "a '!'"},
        {BYTES("GET alice+token/0123456789-abcdefghijklmnopqrst\n"), "base64, not base64url"},
        {BYTES("GET alice-token-0123456789-abcdefghijklmnopqr=\n"), "padding"},
        {BYTES("GET alice-token-0123456789-abcdefghijklmnopqr\xc3\n"), "not ASCII"},
        {BYTES("GET alice-\0oken-0123456789-abcdefghijklmnopqrst\n"), "a NUL in the token"},
        {BYTES("GE\0 " TOKEN "\n"), "a NUL in the prefix"},
        {BYTES("GET " TOKEN "\0"), "a NUL for the line end, the buffer full"},
        {BYTES("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), "a full buffer, no line"},
        {BYTES("GET x\nmore"), "bytes after the line"},
        {BYTES("\nGET alice-token-0123456789-abcdefghijklmnopqrs"), "the line end first"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
        expect(inputs[i].data, inputs[i].len, FALSE, VL_SSO_REQUEST_BAD, inputs[i].what);
        expect(inputs[i].data, inputs[i].len, TRUE, VL_SSO_REQUEST_BAD, inputs[i].what);
    }
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_get, test_incomplete_then_ended, test_bad, NULL};

    return vl_check_run(vl_check_suite("sso-request", tests));
}
