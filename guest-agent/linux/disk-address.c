/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A disk's address from its sysfs path (disk-address.h), as qemu-ga 7.2 reads the path. */
#include "disk-address.h"

#include <stdlib.h>
#include <string.h>

/* The PCI drivers qemu-ga 7.2 tells the bus of. */
static const char *const known_drivers[] = {"ata_piix", "sym53c8xx", "virtio-pci",
                                            "ahci",     "nvme",      NULL};

VlDiskAddress *
vl_disk_address_new(void)
{
    VlDiskAddress *a = g_new0(VlDiskAddress, 1);

    a->pci_domain = a->pci_bus = a->pci_slot = a->pci_function = -1;
    a->bus_type = "unknown";
    return a;
}

void
vl_disk_address_free(VlDiskAddress *a)
{
    if (a) {
        g_free(a->serial);
        g_free(a->dev);
        g_free(a);
    }
}

/* Scanning ---------------------------------------------------------------------------------- */

/* Digits of base 16 or 10 at *s, at least one, of at most 32 bits; *s moves past them. */
static gboolean
scan_number(const char **s, guint base, guint *ret)
{
    guint64 value = 0;
    const char *p = *s;

    for (; base == 16 ? g_ascii_isxdigit(*p) : g_ascii_isdigit(*p); p++) {
        value = value * base + (guint)g_ascii_xdigit_value(*p);
        if (value > G_MAXUINT32) {
            return FALSE;
        }
    }
    if (p == *s) {
        return FALSE;
    }
    if (ret) {
        *ret = (guint)value;
    }
    *s = p;
    return TRUE;
}

static gboolean
hex(const char **s, guint *ret)
{
    return scan_number(s, 16, ret);
}

static gboolean
dec(const char **s, guint *ret)
{
    return scan_number(s, 10, ret);
}

static gboolean
expect(const char **s, char c)
{
    if (**s != c) {
        return FALSE;
    }
    (*s)++;
    return TRUE;
}

/* "DDDD:BB:SS.F": domain, bus, slot and function. */
static gboolean
pci_address(const char **s, guint pci[4])
{
    return hex(s, &pci[0]) && expect(s, ':') && hex(s, &pci[1]) && expect(s, ':') &&
           hex(s, &pci[2]) && expect(s, '.') && hex(s, &pci[3]);
}

/* After "/target": "H:C:T/H:C:T:L", the SCSI device's channel, target and LUN. */
static gboolean
scsi_target(const char *syspath, guint tgt[3])
{
    const char *p = strstr(syspath, "/target");

    if (p == NULL) {
        return FALSE;
    }
    p += strlen("/target");
    return dec(&p, NULL) && expect(&p, ':') && dec(&p, NULL) && expect(&p, ':') && dec(&p, NULL) &&
           expect(&p, '/') && dec(&p, NULL) && expect(&p, ':') && dec(&p, &tgt[0]) &&
           expect(&p, ':') && dec(&p, &tgt[1]) && expect(&p, ':') && dec(&p, &tgt[2]);
}

static int
compare_uint(const void *a, const void *b)
{
    guint x = *(const guint *)a;
    guint y = *(const guint *)b;

    return x < y ? -1 : x > y;
}

/* The index of host among hosts, or -1. */
static gint64
host_index(const guint *hosts, int n, guint host)
{
    for (int i = 0; i < n; i++) {
        if (hosts[i] == host) {
            return i;
        }
    }
    return -1;
}

/* PCI ------------------------------------------------------------------------------------- */

/* The driver of the first device on the path that qemu-ga knows, *p moved past its address. */
static char *
find_driver(const char *syspath, const VlDiskLookup *lookup, const char **p, guint pci[4])
{
    for (;;) {
        char *driver = lookup->driver(syspath, (gsize)(*p - syspath), lookup->user_data);
        const char *q = *p;

        if (driver && g_strv_contains(known_drivers, driver)) {
            return driver;
        }
        g_free(driver);
        /* A bridge: the device behind it. */
        if (!expect(&q, '/') || !pci_address(&q, pci)) {
            return NULL;
        }
        *p = q;
    }
}

static gboolean
parse_pci(const char *syspath, const VlDiskLookup *lookup, VlDiskAddress *a)
{
    const char *p = strstr(syspath, "/devices/pci") + strlen("/devices/pci");
    g_autofree char *driver = NULL;
    guint pci[4], tgt[3] = {0}, host = 0, hosts[VL_DISK_HOSTS_MAX];
    gboolean has_tgt, has_host = FALSE, ata;
    int nhosts = 0;
    gint64 index = -1;

    /* "DDDD:BB/DDDD:BB:SS.F": the root bus, then the first device. */
    if (!hex(&p, NULL) || !expect(&p, ':') || !hex(&p, NULL) || !expect(&p, '/') ||
        !pci_address(&p, pci)) {
        return FALSE;
    }
    driver = find_driver(syspath, lookup, &p, pci);
    if (driver == NULL) {
        return FALSE;
    }
    has_tgt = scsi_target(syspath, tgt);
    /* The SCSI host, numbered among its siblings: "ataN" for libata, "hostN" else. */
    p = strstr(syspath, "/ata");
    ata = p != NULL;
    if (p == NULL) {
        p = strstr(syspath, "/host");
    }
    if (p) {
        const char *q = p + (ata ? strlen("/ata") : strlen("/host"));

        has_host = dec(&q, &host);
    }
    if (has_host) {
        nhosts = lookup->hosts(syspath, (gsize)(p - syspath), ata, hosts, VL_DISK_HOSTS_MAX,
                               lookup->user_data);
        if (nhosts < 0) {
            return FALSE;
        }
        qsort(hosts, (gsize)nhosts, sizeof(hosts[0]), compare_uint);
        index = host_index(hosts, nhosts, host);
    }

    a->pci_domain = pci[0];
    a->pci_bus = pci[1];
    a->pci_slot = pci[2];
    a->pci_function = pci[3];
    if (g_str_equal(driver, "ata_piix")) {
        /* A host per IDE bus, target*:0:<unit>:0. */
        if (!has_tgt || index < 0) {
            return FALSE;
        }
        a->bus_type = "ide";
        a->bus = index;
        a->unit = tgt[1];
    } else if (g_str_equal(driver, "sym53c8xx")) {
        /* LSI Logic SCSI: target*:0:<unit>:0. */
        if (!has_tgt) {
            return FALSE;
        }
        a->bus_type = "scsi";
        a->unit = tgt[1];
    } else if (g_str_equal(driver, "virtio-pci")) {
        /* virtio-scsi (target*:0:0:<unit>), or virtio-blk: a disk per device. */
        a->bus_type = has_tgt ? "scsi" : "virtio";
        a->unit = has_tgt ? tgt[2] : 0;
    } else if (g_str_equal(driver, "ahci")) {
        /* A host per unit. */
        if (!has_tgt || index < 0) {
            return FALSE;
        }
        a->bus_type = "sata";
        a->unit = index;
    } else {
        a->bus_type = "nvme";
    }
    return TRUE;
}

/* virtio and s390 channel I/O ------------------------------------------------------------ */

static gboolean
parse_virtio(const char *syspath, VlDiskAddress *a)
{
    guint tgt[3];

    if (!strstr(syspath, "/virtio") || !strstr(syspath, "/block")) {
        return FALSE;
    }
    if (scsi_target(syspath, tgt)) {
        /* virtio-scsi: target*:0:<target>:<unit> */
        a->bus_type = "scsi";
        a->bus = tgt[0];
        a->target = tgt[1];
        a->unit = tgt[2];
    } else {
        a->bus_type = "virtio";
    }
    return TRUE;
}

/* "/devices/cssN/C.S.SUBCH/C.S.DEVNO/...". */
static gboolean
parse_ccw(const char *syspath, VlDiskAddress *a)
{
    const char *css = strstr(syspath, "/devices/css");
    const char *p = css + strlen("/devices/css");
    guint cssid, ssid, subchno, devno;

    if (!hex(&p, NULL) || !expect(&p, '/') || !hex(&p, &cssid) || !expect(&p, '.') ||
        !hex(&p, &ssid) || !expect(&p, '.') || !hex(&p, &subchno) || !expect(&p, '/') ||
        !hex(&p, NULL) || !expect(&p, '.') || !hex(&p, NULL) || !expect(&p, '.') ||
        !hex(&p, &devno)) {
        return FALSE;
    }
    a->has_ccw = TRUE;
    a->ccw_cssid = cssid;
    a->ccw_ssid = ssid;
    a->ccw_subchno = subchno;
    a->ccw_devno = devno;
    if (strstr(css, "/virtio")) {
        parse_virtio(syspath, a);
    }
    return TRUE;
}

gboolean
vl_disk_address_parse(const char *syspath, const VlDiskLookup *lookup, VlDiskAddress *a)
{
    if (strstr(syspath, "/devices/pci")) {
        return parse_pci(syspath, lookup, a);
    }
    if (strstr(syspath, "/devices/css")) {
        return parse_ccw(syspath, a);
    }
    if (strstr(syspath, "/virtio")) {
        return parse_virtio(syspath, a);
    }
    return FALSE;
}

/* Writing ---------------------------------------------------------------------------------- */

/* NAME: {KEYS[0]: VALUES[0], ...}, four members. */
static void
write_quad(VlJsonBuilder *b, const char *name, const char *const keys[4], const gint64 values[4])
{
    vl_json_builder_member(b, name);
    vl_json_builder_begin_object(b);
    for (guint i = 0; i < 4; i++) {
        vl_json_builder_add_member_int(b, keys[i], values[i]);
    }
    vl_json_builder_end_object(b);
}

void
vl_disk_address_write(const VlDiskAddress *a, VlJsonBuilder *b)
{
    static const char *const pci_keys[4] = {"domain", "bus", "slot", "function"};
    static const char *const ccw_keys[4] = {"cssid", "ssid", "subchno", "devno"};
    const gint64 pci[4] = {a->pci_domain, a->pci_bus, a->pci_slot, a->pci_function};
    const gint64 ccw[4] = {a->ccw_cssid, a->ccw_ssid, a->ccw_subchno, a->ccw_devno};

    vl_json_builder_begin_object(b);
    write_quad(b, "pci-controller", pci_keys, pci);
    vl_json_builder_add_member_string(b, "bus-type", a->bus_type);
    vl_json_builder_add_member_int(b, "bus", a->bus);
    vl_json_builder_add_member_int(b, "target", a->target);
    vl_json_builder_add_member_int(b, "unit", a->unit);
    if (a->serial) {
        vl_json_builder_add_member_string(b, "serial", a->serial);
    }
    if (a->dev) {
        vl_json_builder_add_member_string(b, "dev", a->dev);
    }
    if (a->has_ccw) {
        write_quad(b, "ccw-address", ccw_keys, ccw);
    }
    vl_json_builder_end_object(b);
}
