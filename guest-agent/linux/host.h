/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host section's parsers, apart from file reading so that tests and the fuzzer can feed them
 * any bytes. Text arguments are len bytes that need not be NUL-terminated; parsers that can fail
 * do so with VL_COLLECTOR_ERROR_PARSE.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

#define VL_HOST_NAME_MAX 253 /* the catalogue's bound for hostname and fqdn (a DNS name) */

/* What the host section reports; NULL or -1 where unknown. */
typedef struct {
    char *hostname;
    char *fqdn;
    char *timezone;
    gboolean has_utc_offset;
    gint64 utc_offset_s;
    gint64 uptime_s;
    char *boot_id;
} VlHostInfo;

void vl_host_info_clear(VlHostInfo *info);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VlHostInfo, vl_host_info_clear)

/*
 * A one-line kernel file (proc/sys/kernel/hostname, domainname): at most max_len bytes of UTF-8
 * without control characters, an optional newline after them. May be empty.
 */
gboolean vl_host_line_parse(const char *text, gsize len, gsize max_len, char **ret_line,
                            GError **error);

/* Whole seconds since boot from /proc/uptime ("3825.50 5418.55"). */
gboolean vl_host_uptime_parse(const char *text, gsize len, gint64 *ret_seconds, GError **error);

/* The boot id from /proc/sys/kernel/random/boot_id (a UUID) as 32 lower-case hex digits. */
gboolean vl_host_boot_id_parse(const char *text, gsize len, char **ret_id, GError **error);

/* Whether name is a plausible fully qualified domain name: ASCII labels joined by dots. */
gboolean vl_host_fqdn_valid(const char *name);

/*
 * The canonical name that /etc/hosts text gives hostname (compared without case), from the first
 * line that lists hostname and whose canonical name is a fully qualified domain name; NULL when
 * there is none. Lines the C library would skip (no valid address) are skipped.
 */
char *vl_host_hosts_lookup(const char *text, gsize len, const char *hostname);

/* Whether name is a plausible time zone name ("Europe/Paris", "Etc/GMT+5", "UTC"). */
gboolean vl_host_zone_valid(const char *name);

/* The zone named by an /etc/localtime symlink target (".../zoneinfo/Europe/Paris"), or NULL. */
char *vl_host_zone_from_link(const char *target);

/* The zone named by the text of /etc/timezone (its first line), or NULL. */
char *vl_host_zone_from_file(const char *text, gsize len);

/*
 * Writes the host section's object. Values that do not fit the catalogue are left out, except
 * the required hostname, written as "(none)" (what the kernel shows before one is set).
 */
void vl_host_write(const VlHostInfo *info, VlJsonBuilder *b);

G_END_DECLS
