/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as /sys/devices/system/cpu/online and as /proc/loadavg. What the cpu
 * collector accepts must make a valid cpu section and strict JSON once encoded.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "linux/cpu.h"
#include "vl-protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_write(guint count, const double *load)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;

    vl_cpu_write(count, load, b);
    section = vl_json_builder_finish(b);
    if (!vl_report_validate_section("cpu", section, NULL)) {
        abort();
    }
    text = vl_json_to_string(section, &len);
    if (!vl_json_check(text, len, 16, NULL)) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    guint count = 0;
    double load[3];
    gboolean have_count = vl_cpu_list_parse(text, size, &count, NULL);
    gboolean have_load = vl_loadavg_parse(text, size, load, NULL);

    if (have_count && (count < 1 || count > VL_CPU_COUNT_MAX)) {
        abort();
    }
    for (int i = 0; have_load && i < 3; i++) {
        if (!isfinite(load[i]) || load[i] < 0) {
            abort();
        }
    }
    check_write(have_count ? count : 1, have_load ? load : NULL);
    return 0;
}
