/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as an os-release file, as a one-line kernel file (osrelease, arch), and as
 * raw values handed to the writer. Whatever the os collector writes must be a valid os section
 * and strict JSON once encoded.
 */
#include <stdint.h>
#include <stdlib.h>

#include "linux/os.h"
#include "vl-protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_write(const VlOsRelease *rel, const char *kernel_release, const char *arch)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;

    vl_os_write(rel, kernel_release, kernel_release, arch, b);
    section = vl_json_builder_finish(b);
    if (!vl_report_validate_section("os", section, NULL)) {
        abort();
    }
    text = vl_json_to_string(section, &len);
    if (!vl_json_check(text, len, 16, NULL)) {
        abort(); /* not UTF-8, or not JSON at all */
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    g_auto(VlOsRelease) rel = {0};
    g_autofree char *line = NULL;
    g_autofree char *raw = g_strndup(text, size); /* up to the first NUL */
    VlOsRelease raw_rel = {raw, raw, raw, raw};

    if (vl_os_release_parse(text, size, &rel, NULL)) {
        check_write(&rel, "6.1.0-27-cloud-amd64", "x86_64");
    }
    if (vl_os_kernel_line_parse(text, size, 256, &line, NULL)) {
        check_write(NULL, line, line);
    }
    check_write(&raw_rel, raw, raw);
    return 0;
}
