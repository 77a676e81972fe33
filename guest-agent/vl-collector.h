/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Collectors: one per report section, behind one interface. Each platform implements the same
 * symbols in its own folder (linux/<section>.c, later windows/<section>.c), so the agent core
 * never sees platform code.
 *
 * A collector appends the value of its section (an object, or an array for applications,
 * filesystems and users) to a builder positioned right after the section's member name. What
 * it writes must pass vl_report_validate_section(): the tests check every collector that way.
 * Files are read below ctx->root, so tests run collectors on fixture trees; "/" in the agent.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

#define VL_COLLECTOR_ERROR (vl_collector_error_quark())
GQuark vl_collector_error_quark(void);

typedef enum {
    VL_COLLECTOR_ERROR_READ,    /* a source could not be read */
    VL_COLLECTOR_ERROR_PARSE,   /* a source is malformed */
    VL_COLLECTOR_ERROR_MISSING, /* a source does not exist (some collectors read that as empty) */
} VlCollectorError;

typedef struct {
    const char *root;               /* "/" or a fixture tree; never NULL */
    const char *const *net_exclude; /* interface name globs left out of the network section */
    const char *const *fs_exclude;  /* mount point globs left out of the filesystems section */
    GDBusConnection *system_bus;    /* for logind; NULL: the users collector falls back to utmp */
} VlCollectContext;

typedef struct {
    const char *name; /* the report section, one of vl_report_sections */
    gboolean (*collect)(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error);
} VlCollector;

/* Every collector of this platform, in report order, ended by NULL (in the platform's
 * collectors table, with vl_collector_lookup). */
extern const VlCollector *const vl_collectors[];
const VlCollector *vl_collector_lookup(const char *name);

/* A path below ctx->root ("/etc/os-release" under "/tmp/fixture" is "/tmp/fixture/etc/os-release").
 */
char *vl_collect_path(const VlCollectContext *ctx, const char *path);

/*
 * Streams a file below ctx->root to feed() in chunks, so large files (the dpkg database) are
 * parsed in bounded memory. Fails with VL_COLLECTOR_ERROR_MISSING when the file does not exist
 * and VL_COLLECTOR_ERROR_READ when it cannot be read or is larger than max_size bytes.
 */
typedef void (*VlCollectFeedFunc)(const char *data, gsize len, gpointer user_data);
gboolean vl_collect_stream(const VlCollectContext *ctx, const char *path, guint64 max_size,
                           VlCollectFeedFunc feed, gpointer user_data, GError **error);

/* Reads a small file below ctx->root (at most max_size bytes, else VL_COLLECTOR_ERROR_READ). */
gboolean vl_collect_read(const VlCollectContext *ctx, const char *path, gsize max_size,
                         char **ret_contents, gsize *ret_len, GError **error);

/* Whether name matches one of the globs (NULL globs: none). */
gboolean vl_collect_excluded(const char *const *globs, const char *name);

/* Whether s is one or more ASCII digits and nothing else (a PID, a mount ID). */
gboolean vl_collect_all_digits(const char *s);

G_END_DECLS
