/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The memory section's parser, apart from file reading so that tests and the fuzzer can feed it
 * any bytes.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

/* The figures of the memory section, in KiB; -1 where /proc/meminfo does not give one. */
typedef struct {
    gint64 total_kib;
    gint64 available_kib;
    gint64 free_kib;
    gint64 cached_kib;
    gint64 swap_total_kib;
    gint64 swap_free_kib;
} VlMeminfo;

/*
 * Parses the text of /proc/meminfo (len bytes, need not be NUL-terminated). Lines of other keys
 * are skipped unread; the lines of the keys used must be "Key: <decimal> kB", appear once, and
 * MemTotal must be there. Fails with VL_COLLECTOR_ERROR_PARSE, naming the line.
 */
gboolean vl_meminfo_parse(const char *text, gsize len, VlMeminfo *ret, GError **error);

/* Writes the memory section's object: the figures known, in catalogue order. */
void vl_meminfo_write(const VlMeminfo *info, VlJsonBuilder *b);

G_END_DECLS
