/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cpu section's parsers, apart from file reading so that tests and the fuzzer can feed them
 * any bytes. Each takes len bytes that need not be NUL-terminated and fails with
 * VL_COLLECTOR_ERROR_PARSE.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

#define VL_CPU_COUNT_MAX 65536 /* the catalogue's bound; larger counts are clamped to it */

/*
 * Counts the CPUs of a kernel CPU list, as in /sys/devices/system/cpu/online: "0-3,5", one
 * optional newline at the end. Ranges must be ascending and disjoint, as the kernel writes them,
 * so that the count is exact; at least one CPU must be listed.
 */
gboolean vl_cpu_list_parse(const char *text, gsize len, guint *ret_count, GError **error);

/* Parses the three load averages at the start of /proc/loadavg ("0.52 0.58 0.59 1/467 1234"). */
gboolean vl_loadavg_parse(const char *text, gsize len, double ret_load[3], GError **error);

/* Writes the cpu section's object; load is NULL when unknown. */
void vl_cpu_write(guint count, const double *load, VlJsonBuilder *b);

G_END_DECLS
