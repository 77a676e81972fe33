/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as /proc/meminfo. What the memory collector accepts must make a valid
 * memory section (also the heartbeat's memory member) and strict JSON once encoded.
 */
#include <stdint.h>
#include <stdlib.h>

#include "linux/memory.h"
#include "vl-protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;
    VlMeminfo info;

    if (!vl_meminfo_parse((const char *)data, size, &info, NULL)) {
        return 0;
    }
    if (info.total_kib < 0) {
        abort(); /* accepted without the required figure */
    }
    vl_meminfo_write(&info, b);
    section = vl_json_builder_finish(b);
    if (!vl_report_validate_section("memory", section, NULL)) {
        abort();
    }
    text = vl_json_to_string(section, &len);
    if (!vl_json_check(text, len, 16, NULL)) {
        abort();
    }
    return 0;
}
