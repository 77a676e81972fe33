/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filesystems section on Linux: the mounts of /proc/1/mountinfo that hold data, with
 * their size from statvfs().
 *
 * The mountinfo parser (mountinfo.h) is a push parser with no I/O (bytes in any chunks, then
 * the section written from what it kept), so the collector and the fuzzer drive the same
 * functions.
 *
 * What is reported:
 * - one entry per mount point, the last mount on it: mountinfo lists mounts in the order they
 *   were made, and a later mount on the same path hides the earlier one, as the kernel sees it.
 *   When that last mount is left out (below), nothing is reported for the path.
 * - filesystems that store data: block-device backed (ext4, xfs, btrfs, vfat, iso9660...),
 *   network and host-shared ones (nfs, cifs, ceph, 9p, virtiofs, fuse.sshfs...), and any type
 *   we do not know. Left out, like df -x and qemu-ga's guest-get-fsinfo do: virtual
 *   filesystems without storage (proc, sysfs, cgroup*, devtmpfs, devpts, tmpfs, ramfs,
 *   debugfs... see pseudo_types in filesystems.c), and two kinds with storage that would only
 *   mislead a manager: overlay (container roots, views of filesystems already listed) and
 *   squashfs/fuse.snapfuse (read-only images, always 100% full; snaps mount dozens).
 *   "/" is always reported whatever its type (a live system's or composefs' overlay root),
 *   unless an exclude glob matches it.
 * - mount points matching one of the exclude globs (g_pattern_match_simple: '*' also matches
 *   '/') are left out.
 * - lines are read as mountinfo.h says (escapes decoded, malformed or too long lines
 *   skipped, bytes that are not UTF-8 shown as U+FFFD while statvfs uses the real path).
 * - bounds: only the first VL_FILESYSTEMS_TRACKED distinct mount points are tracked and only
 *   the first VL_FILESYSTEMS_MAX entries reported.
 */
#pragma once

#include <glib.h>

#include "mountinfo.h"
#include "vl-collector.h"
#include "vl-json.h"

G_BEGIN_DECLS

#define VL_FILESYSTEMS_MAX 4096      /* entries in the section, per the catalogue */
#define VL_FILESYSTEMS_TRACKED 16384 /* distinct mount points held while parsing */

typedef struct _VlFilesystems VlFilesystems;

VlFilesystems *vl_filesystems_new(void);
void vl_filesystems_free(VlFilesystems *fs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlFilesystems, vl_filesystems_free)

/* Feeds the next len bytes of a mountinfo file; the chunks may split lines anywhere. */
void vl_filesystems_feed(VlFilesystems *fs, const char *data, gsize len);

/* Ends the file: its last line counts without a newline after it. */
void vl_filesystems_end(VlFilesystems *fs);

/*
 * Writes the section's value: an array of {mountpoint, type, device, total_bytes, used_bytes}
 * in mount order, without pseudo filesystems and mount points matching exclude (NULL: none).
 * Sizes come from statvfs() on the mount point below size_ctx->root (vl_collect_path) and are
 * left out when that fails (a fixture tree without the folder, a mount we may not enter);
 * size_ctx NULL: no sizes at all (the fuzzer).
 */
void vl_filesystems_write(const VlFilesystems *fs, const char *const *exclude,
                          const VlCollectContext *size_ctx, VlJsonBuilder *b);

/* Whether a filesystem type is one we leave out (at any mount point but "/"). */
gboolean vl_filesystems_type_is_pseudo(const char *type);

G_END_DECLS
