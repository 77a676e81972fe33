/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a disk sits, as qemu-ga 7.2 tells it (GuestDiskAddress of guest-get-fsinfo and
 * guest-get-disks): read from the device's sysfs path, the way its build_guest_fsinfo_for_*
 * functions read it. No I/O here: the two things the path does not say (the driver bound to a
 * PCI device, the host adapters beside a SCSI host) are asked through VlDiskLookup, of sysfs
 * by block-devices.c, of the input by the fuzzer.
 *
 * - PCI ("/devices/pciDDDD:BB/DDDD:BB:SS.F/..."): the PCI address of the first device on the
 *   path whose driver qemu-ga knows (ata_piix, sym53c8xx, virtio-pci, ahci, nvme), then by
 *   driver: ide (bus: the host's index among its siblings, unit: the SCSI target), scsi of
 *   sym53c8xx (unit: the target), virtio-pci: virtio-blk, or virtio-scsi with the LUN as unit,
 *   sata of ahci (unit: the host's index), nvme. Other drivers (USB, ...) say nothing.
 * - s390 channel I/O ("/devices/cssN/C.S.SUBCH/C.S.DEVNO/..."): the ccw address, and virtio
 *   as below.
 * - other virtio ("/virtio" and "/block" on the path): virtio-blk, or virtio-scsi with
 *   channel, target and LUN as bus, target and unit.
 * Numbers are parsed strictly (hexadecimal or decimal digits, 32 bits at most); a path that
 * does not parse says nothing.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

typedef struct {
    gint64 pci_domain; /* the PCI controller's address: -1 each when not found */
    gint64 pci_bus;
    gint64 pci_slot;
    gint64 pci_function;
    const char *bus_type; /* "ide", "scsi", "virtio", "sata", "nvme" or "unknown" */
    gint64 bus;
    gint64 target;
    gint64 unit;
    gboolean has_ccw;
    gint64 ccw_cssid;
    gint64 ccw_ssid;
    gint64 ccw_subchno;
    gint64 ccw_devno;
    char *serial; /* udev's ID_SERIAL, or NULL */
    char *dev;    /* the device node, or NULL */
} VlDiskAddress;

#define VL_DISK_HOSTS_MAX 8 /* host adapters compared, as qemu-ga */

typedef struct {
    /* The name of the driver bound to the device at the first len bytes of syspath, or NULL
     * (freed by the caller). */
    char *(*driver)(const char *syspath, gsize len, gpointer user_data);
    /* The numbers N of the entries "hostN" ("ataN" when ata) of the folder at the first len
     * bytes of syspath, the first max in directory order: how many, or -1 when the folder
     * cannot be read. */
    int (*hosts)(const char *syspath, gsize len, gboolean ata, guint *ret, guint max,
                 gpointer user_data);
    gpointer user_data;
} VlDiskLookup;

/* An address that says nothing yet: PCI -1, bus type unknown, the rest 0 or NULL. */
VlDiskAddress *vl_disk_address_new(void);
void vl_disk_address_free(VlDiskAddress *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlDiskAddress, vl_disk_address_free)

/* Fills a from syspath (the device's path as the kernel names it, "/sys/devices/..."): TRUE
 * when the path told where the disk is (qemu-ga's "has_hwinf"). Parts may be filled when it
 * returns FALSE, as in qemu-ga (the PCI address of a SCSI disk without a target). */
gboolean vl_disk_address_parse(const char *syspath, const VlDiskLookup *lookup, VlDiskAddress *a);

/* {"pci-controller", "bus-type", "bus", "target", "unit", "serial"?, "dev"?, "ccw-address"?} */
void vl_disk_address_write(const VlDiskAddress *a, VlJsonBuilder *b);

G_END_DECLS
