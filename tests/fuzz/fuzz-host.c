/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as each file the host collector parses (hostname, /proc/uptime, boot_id,
 * /etc/hosts, /etc/timezone, the /etc/localtime link target), and as raw values handed to the
 * writer. Whatever it writes must be a valid host section and strict JSON once encoded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/host.h"
#include "vl-protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_write(const VlHostInfo *info)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) section = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;

    vl_host_write(info, b);
    section = vl_json_builder_finish(b);
    if (!vl_report_validate_section("host", section, NULL)) {
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
    g_autofree char *raw = g_strndup(text, size); /* up to the first NUL */
    g_auto(VlHostInfo) info = {.uptime_s = -1};
    VlHostInfo raw_info = {
        .hostname = raw,
        .fqdn = raw,
        .timezone = raw,
        .has_utc_offset = TRUE,
        .utc_offset_s = (gint64)size - 60000, /* both sides of the bound */
        .uptime_s = (gint64)size - 1,
        .boot_id = raw,
    };
    g_autofree char *zone_line = NULL;
    g_autofree char *zone_link = NULL;

    if (!vl_host_line_parse(text, size, VL_HOST_NAME_MAX, &info.hostname, NULL)) {
        info.hostname = g_strdup("web1");
    }
    /* The hostname as parsed looked up in the same bytes as /etc/hosts, and a fixed one. */
    info.fqdn = vl_host_hosts_lookup(text, size, info.hostname);
    g_free(vl_host_hosts_lookup(text, size, "web1"));
    if (!vl_host_uptime_parse(text, size, &info.uptime_s, NULL)) {
        info.uptime_s = -1;
    } else if (info.uptime_s < 0) {
        abort();
    }
    if (vl_host_boot_id_parse(text, size, &info.boot_id, NULL) && strlen(info.boot_id) != 32) {
        abort();
    }
    zone_line = vl_host_zone_from_file(text, size);
    zone_link = vl_host_zone_from_link(raw);
    if ((zone_line && !vl_host_zone_valid(zone_line)) ||
        (zone_link && !vl_host_zone_valid(zone_link))) {
        abort();
    }
    info.timezone = g_strdup(zone_line ? zone_line : zone_link);
    check_write(&info);
    check_write(&raw_info);
    return 0;
}
