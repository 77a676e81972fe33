/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cpu: the number of online CPUs (/sys/devices/system/cpu/online) and the load averages
 * (/proc/loadavg).
 */
#include "cpu.h"

#include <string.h>
#include <unistd.h>

#include "vl-collector.h"
#include "vl-collectors-linux.h"

#define ONLINE_PATH "/sys/devices/system/cpu/online"
#define LOADAVG_PATH "/proc/loadavg"
#define FILE_MAX_SIZE 4096 /* both are one short line */

/* Far above any kernel's NR_CPUS (8192 on x86_64), far below overflow of the count. */
#define CPU_NUMBER_MAX 1000000
/* Digits of the integral part of a load average: the kernel's loads stay below 2^21. */
#define LOAD_INT_DIGITS_MAX 9
#define LOAD_FRAC_DIGITS_MAX 6

static gboolean
fail_at(GError **error, const char *text, const char *p, const char *what)
{
    g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE, "%s at offset %zu", what,
                (size_t)(p - text));
    return FALSE;
}

/* A CPU number at *p, which is advanced past it. */
static gboolean
parse_cpu_number(const char *text, const char **p, const char *end, guint *ret, GError **error)
{
    const char *start = *p;
    guint value = 0;

    while (*p < end && g_ascii_isdigit(**p)) {
        value = value * 10 + (guint)(**p - '0');
        if (value > CPU_NUMBER_MAX) {
            return fail_at(error, text, start, "CPU number too large");
        }
        (*p)++;
    }
    if (*p == start) {
        return fail_at(error, text, start, "expected a CPU number");
    }
    *ret = value;
    return TRUE;
}

gboolean
vl_cpu_list_parse(const char *text, gsize len, guint *ret_count, GError **error)
{
    const char *p = text;
    const char *end = text + len;
    guint64 count = 0;
    gint64 highest = -1; /* the highest CPU listed so far */

    if (len > 0 && text[len - 1] == '\n') {
        end--;
    }
    if (p == end) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_PARSE, "no CPU listed");
        return FALSE;
    }
    for (;;) {
        guint lo, hi; /* an item: a CPU ("5", lo == hi) or a range ("0-3") */

        if (!parse_cpu_number(text, &p, end, &lo, error)) {
            return FALSE;
        }
        hi = lo;
        if (p < end && *p == '-') {
            const char *range = p++;
            if (!parse_cpu_number(text, &p, end, &hi, error)) {
                return FALSE;
            }
            if (hi < lo) {
                return fail_at(error, text, range, "descending range");
            }
        }
        if ((gint64)lo <= highest) {
            return fail_at(error, text, p, "ranges not ascending and disjoint");
        }
        highest = hi;
        count += (guint64)hi - lo + 1;
        if (p == end) {
            break;
        }
        if (*p != ',') {
            return fail_at(error, text, p, "expected ',' or '-'");
        }
        p++;
    }
    *ret_count = (guint)MIN(count, (guint64)VL_CPU_COUNT_MAX);
    return TRUE;
}

/* A load average at *p ("12.34"), which is advanced past it. */
static gboolean
parse_load(const char *text, const char **p, const char *end, double *ret, GError **error)
{
    const char *start = *p;
    char buf[LOAD_INT_DIGITS_MAX + 1 + LOAD_FRAC_DIGITS_MAX + 1];
    gsize n_int = 0, n_frac = 0;

    while (*p < end && g_ascii_isdigit(**p) && n_int <= LOAD_INT_DIGITS_MAX) {
        (*p)++;
        n_int++;
    }
    if (n_int == 0) {
        return fail_at(error, text, start, "expected a load average");
    }
    if (*p < end && **p == '.') {
        (*p)++;
        while (*p < end && g_ascii_isdigit(**p) && n_frac <= LOAD_FRAC_DIGITS_MAX) {
            (*p)++;
            n_frac++;
        }
        if (n_frac == 0) {
            return fail_at(error, text, start, "load average without decimals");
        }
    }
    if (n_int > LOAD_INT_DIGITS_MAX || n_frac > LOAD_FRAC_DIGITS_MAX) {
        return fail_at(error, text, start, "load average too long");
    }
    /* Only digits and one dot are copied, so strtod sees exactly what was checked. */
    memcpy(buf, start, (gsize)(*p - start));
    buf[*p - start] = '\0';
    *ret = g_ascii_strtod(buf, NULL);
    return TRUE;
}

gboolean
vl_loadavg_parse(const char *text, gsize len, double ret_load[3], GError **error)
{
    const char *p = text;
    const char *end = text + len;
    double load[3];

    for (int i = 0; i < 3; i++) {
        if (!parse_load(text, &p, end, &load[i], error)) {
            return FALSE;
        }
        /* The kernel separates them with one space; what follows the third is not used. */
        if (p < end && *p != ' ' && (i < 2 || *p != '\n')) {
            return fail_at(error, text, p, "expected a space after a load average");
        }
        if (i < 2 && p == end) {
            return fail_at(error, text, p, "fewer than three load averages");
        }
        p++;
    }
    memcpy(ret_load, load, sizeof(load));
    return TRUE;
}

void
vl_cpu_write(guint count, const double *load, VlJsonBuilder *b)
{
    static const char *const load_members[] = {"load1", "load5", "load15"};

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "count");
    vl_json_builder_add_int(b, CLAMP(count, 1, VL_CPU_COUNT_MAX));
    for (int i = 0; load && i < 3; i++) {
        vl_json_builder_member(b, load_members[i]);
        vl_json_builder_add_double(b, load[i]);
    }
    vl_json_builder_end_object(b);
}

/* The file at path, parsed; FALSE with error naming the file when it cannot be read or parsed. */
static gboolean
read_cpu_count(const VlCollectContext *ctx, guint *ret_count, GError **error)
{
    g_autofree char *path = vl_collect_path(ctx, ONLINE_PATH);
    g_autofree char *text = NULL;
    gsize len = 0;

    /* /sys may be absent (a container without sysfs): the C library counts another way. */
    if (g_str_equal(ctx->root, "/") && !g_file_test(path, G_FILE_TEST_EXISTS)) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1) {
            g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ,
                        "%s is missing and sysconf cannot count online CPUs", path);
            return FALSE;
        }
        *ret_count = (guint)MIN(n, VL_CPU_COUNT_MAX);
        return TRUE;
    }
    if (!vl_collect_read(ctx, ONLINE_PATH, FILE_MAX_SIZE, &text, &len, error)) {
        return FALSE;
    }
    if (!vl_cpu_list_parse(text, len, ret_count, error)) {
        g_prefix_error(error, "%s: ", path);
        return FALSE;
    }
    return TRUE;
}

static gboolean
cpu_collect(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autofree char *loadavg_path = vl_collect_path(ctx, LOADAVG_PATH);
    g_autofree char *text = NULL;
    gsize len = 0;
    guint count;
    double load[3];
    gboolean have_load = FALSE;

    if (!read_cpu_count(ctx, &count, error)) {
        return FALSE;
    }
    /* The load averages are optional: a missing file leaves them out. */
    if (g_file_test(loadavg_path, G_FILE_TEST_EXISTS)) {
        if (!vl_collect_read(ctx, LOADAVG_PATH, FILE_MAX_SIZE, &text, &len, error)) {
            return FALSE;
        }
        if (!vl_loadavg_parse(text, len, load, error)) {
            g_prefix_error(error, "%s: ", loadavg_path);
            return FALSE;
        }
        have_load = TRUE;
    }
    vl_cpu_write(count, have_load ? load : NULL, b);
    return TRUE;
}

const VlCollector vl_collector_cpu = {.name = "cpu", .collect = cpu_collect};
