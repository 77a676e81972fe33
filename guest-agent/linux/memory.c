/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory: RAM and swap figures from /proc/meminfo. The heartbeat sends this section too, so it
 * reads one small file and nothing else.
 */
#include "memory.h"

#include <string.h>

#include "vl-collector.h"
#include "vl-collectors-linux.h"

#define MEMINFO_PATH "/proc/meminfo"
#define MEMINFO_MAX_SIZE (64 * 1024) /* about 1.5 KiB on a 6.x kernel */

typedef struct {
    const char *key;    /* in /proc/meminfo */
    const char *member; /* in the memory section */
    gsize offset;       /* in VlMeminfo */
} MeminfoField;

/* In catalogue order, which is the order they are written in. */
static const MeminfoField meminfo_fields[] = {
    {"MemTotal", "total_kib", G_STRUCT_OFFSET(VlMeminfo, total_kib)},
    {"MemAvailable", "available_kib", G_STRUCT_OFFSET(VlMeminfo, available_kib)},
    {"MemFree", "free_kib", G_STRUCT_OFFSET(VlMeminfo, free_kib)},
    {"Cached", "cached_kib", G_STRUCT_OFFSET(VlMeminfo, cached_kib)},
    {"SwapTotal", "swap_total_kib", G_STRUCT_OFFSET(VlMeminfo, swap_total_kib)},
    {"SwapFree", "swap_free_kib", G_STRUCT_OFFSET(VlMeminfo, swap_free_kib)},
};

static gboolean
is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses "<blanks><decimal> kB<blanks>" (the value part of a line, end excluded). */
static gboolean
parse_kib(const char *p, const char *end, guint line_no, const char *key, gint64 *ret,
          GError **error)
{
    gint64 value = 0;
    const char *digits;

    while (p < end && is_blank(*p)) {
        p++;
    }
    digits = p;
    while (p < end && g_ascii_isdigit(*p)) {
        int d = *p - '0';
        if (value > (G_MAXINT64 - d) / 10) {
            g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                        "line %u: %s is too large", line_no, key);
            return FALSE;
        }
        value = value * 10 + d;
        p++;
    }
    if (p == digits) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                    "line %u: %s has no decimal value", line_no, key);
        return FALSE;
    }
    while (p < end && is_blank(*p)) {
        p++;
    }
    if (end - p < 2 || p[0] != 'k' || p[1] != 'B') {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE, "line %u: %s is not in kB",
                    line_no, key);
        return FALSE;
    }
    for (p += 2; p < end; p++) {
        if (!is_blank(*p)) {
            g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                        "line %u: %s has trailing text", line_no, key);
            return FALSE;
        }
    }
    *ret = value;
    return TRUE;
}

gboolean
vl_meminfo_parse(const char *text, gsize len, VlMeminfo *ret, GError **error)
{
    VlMeminfo info = {-1, -1, -1, -1, -1, -1};
    const char *p = text;
    const char *end = text + len;
    guint line_no = 0;

    if (memchr(text, '\0', len)) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                    "not a text file (NUL byte at offset %zu)",
                    (size_t)((const char *)memchr(text, '\0', len) - text));
        return FALSE;
    }
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        const char *colon = memchr(p, ':', (size_t)(line_end - p));

        line_no++;
        if (colon) {
            gsize key_len = (gsize)(colon - p);
            for (gsize i = 0; i < G_N_ELEMENTS(meminfo_fields); i++) {
                const MeminfoField *field = &meminfo_fields[i];
                gint64 *value = G_STRUCT_MEMBER_P(&info, field->offset);

                if (strlen(field->key) != key_len || memcmp(field->key, p, key_len) != 0) {
                    continue;
                }
                if (*value >= 0) {
                    g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE,
                                "line %u: %s appears twice", line_no, field->key);
                    return FALSE;
                }
                if (!parse_kib(colon + 1, line_end, line_no, field->key, value, error)) {
                    return FALSE;
                }
                break;
            }
        }
        p = eol ? eol + 1 : end;
    }
    if (info.total_kib < 0) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE, "no MemTotal line");
        return FALSE;
    }
    *ret = info;
    return TRUE;
}

void
vl_meminfo_write(const VlMeminfo *info, VlJsonBuilder *b)
{
    vl_json_builder_begin_object(b);
    for (gsize i = 0; i < G_N_ELEMENTS(meminfo_fields); i++) {
        gint64 value = G_STRUCT_MEMBER(gint64, info, meminfo_fields[i].offset);

        if (value >= 0) {
            vl_json_builder_member(b, meminfo_fields[i].member);
            vl_json_builder_add_int(b, value);
        }
    }
    vl_json_builder_end_object(b);
}

static gboolean
memory_collect(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    VlMeminfo info;

    if (!vl_collect_read(ctx, MEMINFO_PATH, MEMINFO_MAX_SIZE, &text, &len, error)) {
        return FALSE;
    }
    if (!vl_meminfo_parse(text, len, &info, error)) {
        g_autofree char *path = vl_collect_path(ctx, MEMINFO_PATH);
        g_prefix_error(error, "%s: ", path);
        return FALSE;
    }
    vl_meminfo_write(&info, b);
    return TRUE;
}

const VlCollector vl_collector_memory = {.name = "memory", .collect = memory_collect};
