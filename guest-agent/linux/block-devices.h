/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block devices in sysfs below ctx->root, walked as qemu-ga 7.2 walks them for guest-get-fsinfo
 * and guest-get-disks. A path (/sys/dev/block/MAJ:MIN, /sys/block/NAME, an entry of slaves/)
 * is resolved with realpath() and must stay below the root. A device below
 * /sys/devices/virtual/block/ (device mapper, md, loop, zram...) stands for the disks of its
 * slaves/, recursively; any other device is a disk, with the address its path tells
 * (disk-address.h), its node and udev's serial (udev-device.h).
 *
 * Bounded, whatever the tree holds: VL_BLOCK_DEPTH_MAX levels of slaves, VL_BLOCK_VISITS_MAX
 * paths resolved and VL_BLOCK_DISKS_MAX disks per device, VL_BLOCK_ENTRIES_MAX entries read
 * from a folder; realpath() ends symlink loops.
 */
#pragma once

#include <glib.h>

#include "disk-address.h"
#include "vl-collector.h"

G_BEGIN_DECLS

#define VL_BLOCK_DEPTH_MAX 8
#define VL_BLOCK_VISITS_MAX 256
#define VL_BLOCK_DISKS_MAX 64
#define VL_BLOCK_ENTRIES_MAX 16384

typedef struct _VlBlockSys VlBlockSys;

VlBlockSys *vl_block_sys_new(const VlCollectContext *ctx);
void vl_block_sys_free(VlBlockSys *sys);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlBlockSys, vl_block_sys_free)

/* path ("/sys/...") resolved below the root as the kernel names it ("/sys/devices/..."), or
 * NULL when it does not exist, loops, or leads out of the root. */
char *vl_block_sys_resolve(const VlBlockSys *sys, const char *path);

/* Whether a resolved path is a virtual block device: a stand-in for its slaves. */
gboolean vl_block_sys_is_virtual(const char *syspath);

typedef enum {
    VL_BLOCK_ANY,   /* every entry */
    VL_BLOCK_LINKS, /* symbolic links */
    VL_BLOCK_DIRS,  /* folders */
} VlBlockEntries;

/* The names in the folder at path below the root, in directory order, at most
 * VL_BLOCK_ENTRIES_MAX; NULL with errno when it cannot be opened. */
GPtrArray *vl_block_sys_list(const VlBlockSys *sys, const char *path, VlBlockEntries which);

/* The device node of the device at path (resolved first), or NULL. */
char *vl_block_sys_devnode(const VlBlockSys *sys, const char *path);

/* A udev property of the device at path (resolved first), NULL when it has none or it is "". */
char *vl_block_sys_property(const VlBlockSys *sys, const char *path, const char *key);

/*
 * The disks the device at path is on, appended to disks (of VlDiskAddress, owned) in qemu-ga's
 * order: the last found first. Returns the device's name: the last part of the resolved path
 * ("vda1", "dm-0"), or of path itself when it does not resolve.
 */
char *vl_block_sys_disks(const VlBlockSys *sys, const char *path, GPtrArray *disks);

G_END_DECLS
