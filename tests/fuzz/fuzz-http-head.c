/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as the request line and headers a bridge (or anyone reaching the port)
 * sends to `vmlinkctl receive-events`. Each is accepted with a body length within the bound or
 * answered with one of the statuses the receiver sends, with a reason.
 */
#include <stdint.h>
#include <stdlib.h>

#include "vl-ctl-receive-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    gint64 length = 0;
    int status = vl_receive_http_parse_head((const char *)data, size, &length, &error);

    switch (status) {
    case 0:
        if (error != NULL || length < 0 || length > VL_RECEIVER_MAX_BODY) {
            abort();
        }
        break;
    case 400:
    case 405:
    case 411:
    case 413:
    case 431:
        if (error == NULL || error->message[0] == '\0') {
            abort();
        }
        break;
    default:
        abort();
    }
    return 0;
}
