/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vl-qga-platform.h on Linux: CPUs and memory blocks in sysfs, logins in utmp, as qemu-ga
 * reads them. */
#include "vl-qga-platform.h"

#include <string.h>
#include <unistd.h>

#include "users.h"

#define CPU_DIR "/sys/devices/system/cpu"
#define BLOCK_SIZE_FILE "/sys/devices/system/memory/block_size_bytes"
#define SMALL_FILE_MAX 64

/* The CPUs the system is configured for: sysconf on "/", the cpuN folders of a fixture tree. */
static long
configured_cpus(const VlCollectContext *ctx)
{
    g_autofree char *path = NULL;
    g_autoptr(GDir) dir = NULL;
    const char *name;
    long highest = -1;

    if (g_str_equal(ctx->root, "/")) {
        return sysconf(_SC_NPROCESSORS_CONF);
    }
    path = vl_collect_path(ctx, CPU_DIR);
    dir = g_dir_open(path, 0, NULL);
    while (dir && (name = g_dir_read_name(dir))) {
        guint64 n;

        if (g_str_has_prefix(name, "cpu") &&
            g_ascii_string_to_unsigned(name + 3, 10, 0, 65535, &n, NULL)) {
            highest = MAX(highest, (long)n);
        }
    }
    return highest + 1;
}

gboolean
vl_qga_write_vcpus(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    long count = configured_cpus(ctx);

    if (count <= 0) {
        g_set_error_literal(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ,
                            "the number of CPUs is not known");
        return FALSE;
    }
    vl_json_builder_begin_array(b);
    for (long i = 0; i < count && i < 65536; i++) {
        g_autofree char *file = g_strdup_printf(CPU_DIR "/cpu%ld/online", i);
        g_autofree char *text = NULL;
        gsize len = 0;
        /* No "online" file: a CPU that cannot go offline (cpu0 on x86), so online. */
        gboolean can_offline = vl_collect_read(ctx, file, SMALL_FILE_MAX, &text, &len, NULL);
        gboolean online = !can_offline || (len > 0 && text[0] != '0');

        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "logical-id");
        vl_json_builder_add_int(b, i);
        vl_json_builder_member(b, "online");
        vl_json_builder_add_bool(b, online);
        vl_json_builder_member(b, "can-offline");
        vl_json_builder_add_bool(b, can_offline);
        vl_json_builder_end_object(b);
    }
    vl_json_builder_end_array(b);
    return TRUE;
}

gboolean
vl_qga_write_memory_block_info(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autofree char *text = NULL;
    guint64 size = 0;
    gsize len = 0;

    if (!vl_collect_read(ctx, BLOCK_SIZE_FILE, SMALL_FILE_MAX, &text, &len, error)) {
        return FALSE;
    }
    if (!g_ascii_string_to_unsigned(g_strstrip(text), 16, 1, G_MAXINT64, &size, NULL)) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                    "%s holds no block size in hexadecimal", BLOCK_SIZE_FILE);
        return FALSE;
    }
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "size");
    vl_json_builder_add_int(b, (gint64)size);
    vl_json_builder_end_object(b);
    return TRUE;
}

gboolean
vl_qga_write_users(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autoptr(GPtrArray) records = NULL;
    g_autoptr(GPtrArray) first = g_ptr_array_new(); /* one VlUser per name, in utmp order */

    if (!vl_users_from_utmp(ctx, &records, error)) {
        return FALSE;
    }
    for (guint i = 0; i < records->len; i++) {
        VlUser *u = g_ptr_array_index(records, i);
        guint j;

        for (j = 0; j < first->len; j++) {
            VlUser *seen = g_ptr_array_index(first, j);

            if (g_str_equal(seen->name, u->name)) {
                if (u->since >= 0 &&
                    (seen->since < 0 || u->since < seen->since ||
                     (u->since == seen->since && u->since_usec < seen->since_usec))) {
                    first->pdata[j] = u;
                }
                break;
            }
        }
        if (j == first->len) {
            g_ptr_array_add(first, u);
        }
    }
    vl_json_builder_begin_array(b);
    for (guint i = 0; i < first->len; i++) {
        const VlUser *u = g_ptr_array_index(first, i);

        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "user");
        vl_json_builder_add_string(b, u->name);
        vl_json_builder_member(b, "login-time");
        vl_json_builder_add_double(b, u->since < 0 ? 0.0 : (double)u->since + u->since_usec / 1e6);
        vl_json_builder_end_object(b);
    }
    vl_json_builder_end_array(b);
    return TRUE;
}
