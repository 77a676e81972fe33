/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What libudev tells qemu-ga of a block device, read from the same files without libudev: the
 * device node from the uevent's DEVNAME, and properties (ID_SERIAL, DM_NAME) from udev's
 * database entry /run/udev/data/bMAJ:MIN ("E:KEY=VALUE" lines), then the uevent ("KEY=VALUE").
 * Without a udev database (udev not running, a container) only the uevent's keys are there, as
 * for libudev. Both files are read below ctx->root and bounded.
 */
#pragma once

#include <glib.h>

#include "vl-collector.h"

G_BEGIN_DECLS

#define VL_UDEV_FILE_MAX (64 * 1024) /* a uevent or database entry longer than this is ignored */

typedef struct {
    char *uevent; /* the uevent's text */
    char *db;     /* the database entry's text, or NULL */
} VlUdevDevice;

/*
 * Loads the device at syspath (as the kernel names it, resolved: "/sys/devices/..."). FALSE
 * when it is no device for libudev: not below /sys/, or without a uevent file.
 */
gboolean vl_udev_device_load(const VlCollectContext *ctx, const char *syspath, VlUdevDevice *ret);
void vl_udev_device_clear(VlUdevDevice *d);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VlUdevDevice, vl_udev_device_clear)

/* "/dev/" and the uevent's DEVNAME, or NULL. */
char *vl_udev_device_devnode(const VlUdevDevice *d);

/* The property KEY of the database entry, else of the uevent, or NULL. */
char *vl_udev_device_property(const VlUdevDevice *d, const char *key);

/* The value of the first line "PREFIX KEY=VALUE" (no space between) of text, as UTF-8 (invalid
 * bytes as U+FFFD), or NULL. */
char *vl_udev_find(const char *text, const char *prefix, const char *key);

G_END_DECLS
