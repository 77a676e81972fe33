/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as what a local root process sends on the agent's credential socket.
 *
 * The first input byte chooses the read size (1..256); the rest arrives as the socket code sees
 * it, in reads into a buffer of VL_SSO_REQUEST_MAX bytes judged after each, until a verdict or
 * the end of the stream. Each verdict is checked against the protocol written out again here:
 * a token only from exactly "GET " TOKEN "\n", pointing into the buffer; more reads asked for
 * only while the line can still come. The whole input is also judged in one piece, longer than
 * the socket ever reads included.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vl-sso-request.h"
#include "vl-sso.h"

#define BASE64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The protocol's one good request, independently of the parser. */
static gboolean
is_request(const char *data, gsize len)
{
    if (len != 4 + VL_SSO_TOKEN_LEN + 1 || memcmp(data, "GET ", 4) != 0 || data[len - 1] != '\n') {
        return FALSE;
    }
    for (gsize i = 4; i < len - 1; i++) {
        if (data[i] == '\0' || strchr(BASE64URL, data[i]) == NULL) {
            return FALSE;
        }
    }
    return TRUE;
}

static VlSsoRequestKind
judge(const char *data, gsize len, gboolean ended)
{
    const char *token = NULL;
    const char *reason = NULL;
    VlSsoRequestKind kind = vl_sso_request_parse(data, len, ended, &token, &reason);

    switch (kind) {
    case VL_SSO_REQUEST_INCOMPLETE:
        if (ended || len >= VL_SSO_REQUEST_MAX || memchr(data, '\n', len) != NULL ||
            token != NULL || reason != NULL) {
            abort(); /* waits for what cannot come, or past the line */
        }
        break;
    case VL_SSO_REQUEST_GET:
        if (!is_request(data, len) || token != data + 4 || reason != NULL) {
            abort(); /* a token from anything but a good request, or not the one sent */
        }
        break;
    case VL_SSO_REQUEST_BAD:
        if (is_request(data, len) || token != NULL || reason == NULL ||
            strcmp(reason, "bad-request") != 0) {
            abort(); /* a good request refused, or a reason the protocol does not have */
        }
        break;
    default:
        abort();
    }
    return kind;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[VL_SSO_REQUEST_MAX];
    gsize chunk;
    gsize received = 0;
    VlSsoRequestKind kind = VL_SSO_REQUEST_INCOMPLETE;

    if (size == 0) {
        return 0;
    }
    chunk = (gsize)data[0] + 1;
    data++;
    size--;

    /* In one piece: the end of the stream only ever turns "read on" into a verdict. */
    kind = judge((const char *)data, size, FALSE);
    if (kind != VL_SSO_REQUEST_INCOMPLETE && judge((const char *)data, size, TRUE) != kind) {
        abort();
    }
    if (judge((const char *)data, size, TRUE) == VL_SSO_REQUEST_INCOMPLETE) {
        abort();
    }

    /* As the socket reads it: a read of 0 bytes is the end of the stream. */
    do {
        gsize n = MIN(MIN(chunk, size), sizeof(buf) - received);

        if (received == sizeof(buf)) {
            abort(); /* a full buffer with no verdict: the socket would read 0 bytes forever */
        }
        memcpy(buf + received, data, n);
        data += n;
        size -= n;
        received += n;
        kind = judge(buf, received, n == 0);
    } while (kind == VL_SSO_REQUEST_INCOMPLETE);
    return 0;
}
