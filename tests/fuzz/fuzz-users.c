/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as a utmp file. Whatever records the parser accepts, the users section
 * written from them must be valid and strict JSON once encoded.
 */
#include <stdint.h>
#include <stdlib.h>

#include "linux/users.h"
#include "vl-protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) users = vl_users_parse_utmp(data, size);
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;

    if (users->len > VL_USERS_MAX) {
        abort();
    }
    vl_users_write(users, b);
    section = vl_json_builder_finish(b);
    if (!vl_report_validate_section("users", section, NULL)) {
        abort();
    }
    text = vl_json_to_string(section, &len);
    if (!vl_json_check(text, len, 16, NULL)) {
        abort();
    }
    return 0;
}
