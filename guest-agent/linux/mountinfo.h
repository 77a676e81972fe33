/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc/PID/mountinfo, read as it streams in: a push parser with no I/O that hands each mount
 * line to a callback, so the filesystems section and guest-get-fsinfo read the same lines the
 * same way, and the fuzzer drives what the agent runs.
 *
 * A line is "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE
 * SUPEROPTIONS". Octal escapes of the kernel (\040 space, \011 tab, \012 newline, \134
 * backslash) are decoded; a line that is not of that shape, whose escape decodes to NUL, whose
 * mount point or source is over VL_MOUNTINFO_PATH_MAX bytes or type over VL_MOUNTINFO_TYPE_MAX,
 * or that is longer than VL_MOUNTINFO_LINE_MAX, is skipped. Bytes that are not UTF-8 are shown
 * as U+FFFD in the UTF-8 fields; the raw ones stay for system calls.
 */
#pragma once

#include <glib.h>

#include "vl-collector.h"

G_BEGIN_DECLS

/* The mounts of init's namespace: the agent's own (systemd's PrivateTmp, ProtectSystem) adds
 * bind mounts the system does not have. */
#define VL_MOUNTINFO_PATH "/proc/1/mountinfo"
#define VL_MOUNTINFO_PATH_MAX 4096  /* bytes in a mount point or source, per the catalogue */
#define VL_MOUNTINFO_TYPE_MAX 64    /* bytes in a type, per the catalogue */
#define VL_MOUNTINFO_LINE_MAX 65536 /* longer lines are skipped */

typedef struct {
    guint major; /* of the device, 0 for filesystems without one (and btrfs) */
    guint minor;
    const char *path;       /* the mount point's bytes, decoded: for statvfs() */
    const char *mountpoint; /* path as UTF-8 */
    const char *type;       /* UTF-8, never empty */
    const char *source;     /* the source's bytes, decoded; may be empty */
    const char *device;     /* source as UTF-8, or NULL when empty */
} VlMount;

/* Called for each well-formed line, in the file's order; the strings live for the call only. */
typedef void (*VlMountFunc)(const VlMount *mount, gpointer user_data);

typedef struct _VlMountinfo VlMountinfo;

VlMountinfo *vl_mountinfo_new(VlMountFunc func, gpointer user_data);
void vl_mountinfo_free(VlMountinfo *mi);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlMountinfo, vl_mountinfo_free)

/* Feeds the next len bytes; the chunks may split lines anywhere. */
void vl_mountinfo_feed(VlMountinfo *mi, const char *data, gsize len);

/* Ends the file: its last line counts without a newline after it. */
void vl_mountinfo_end(VlMountinfo *mi);

/* Streams VL_MOUNTINFO_PATH below ctx->root through a parser calling func, to its end. */
gboolean vl_mountinfo_read(const VlCollectContext *ctx, VlMountFunc func, gpointer user_data,
                           GError **error);

G_END_DECLS
