/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest-get-fsinfo and guest-get-disks (linux/qga-fsinfo.c, linux/qga-disks.c) on sysfs trees
 * made here as the kernel lays them out: virtio-blk with partitions, virtio-scsi, LSI SCSI,
 * AHCI, IDE, NVMe, a disk behind a PCIe port, USB, s390 channel I/O, device mapper over a
 * partition, loop devices; udev's database beside them; then trees no kernel makes (loops,
 * cycles, garbage), which must be answered, bounded, without a crash.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "linux/block-devices.h"
#include "qga-check.h"
#include "vl-check.h"
#include "vl-qga-platform.h"
#include "vl-test-util.h"

#define VDA "devices/pci0000:00/0000:00:04.0/virtio2/block/vda"
#define SDA "devices/pci0000:00/0000:00:05.0/virtio3/host2/target2:0:1/2:0:1:3/block/sda"
#define SDB "devices/pci0000:00/0000:00:06.0/host0/target0:0:2/0:0:2:0/block/sdb"
#define SDC "devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/2:0:0:0/block/sdc"
#define SDD "devices/pci0000:00/0000:00:01.1/ata2/host1/target1:0:1/1:0:1:0/block/sdd"
#define NVME "devices/pci0000:00/0000:00:07.0/nvme/nvme0/nvme0n1"
#define VDB "devices/pci0000:00/0000:00:1c.0/0000:01:00.0/virtio4/block/vdb"
#define SDE "devices/pci0000:00/0000:00:0d.0/usb2/2-1/2-1:1.0/host3/target3:0:0/3:0:0:0/block/sde"
#define VDE "devices/css0/0.0.0003/0.0.0002/virtio1/block/vde"

/* The JSON of a GuestDiskAddress, as the writer orders it. */
#define PCI(d, b, s, f)                                                                            \
    "\"pci-controller\":{\"domain\":" #d ",\"bus\":" #b ",\"slot\":" #s ",\"function\":" #f "}"
#define BUS(type, b, t, u)                                                                         \
    ",\"bus-type\":\"" type "\",\"bus\":" #b ",\"target\":" #t ",\"unit\":" #u

/* A link at sys/link to sys/target, relative as the kernel makes them. */
static void
sys_link(const char *root, const char *link, const char *target)
{
    g_autofree char *path = g_build_filename("sys", link, NULL);
    g_autoptr(GString) relative = g_string_new(NULL);

    for (const char *p = strchr(link, '/'); p; p = strchr(p + 1, '/')) {
        g_string_append(relative, "../");
    }
    g_string_append(relative, target);
    vl_test_link(root, path, relative->str);
}

static void
driver(const char *root, const char *device, const char *name)
{
    g_autofree char *link = g_build_filename(device, "driver", NULL);
    g_autofree char *target = g_build_filename("bus/pci/drivers", name, NULL);

    sys_link(root, link, target);
}

static void
udev_db(const char *root, const char *id, const char *text)
{
    g_autofree char *path = g_build_filename("run/udev/data", id, NULL);

    vl_test_put(root, path, text);
}

/* A block device at sys/devdir: uevent, size, its /sys/dev/block link; a disk also slaves/,
 * holders/ and its /sys/block link. */
static void
block_device(const char *root, const char *devdir, guint major, guint minor, gboolean partition)
{
    g_autofree char *name = g_path_get_basename(devdir);
    g_autofree char *dir = g_build_filename("sys", devdir, NULL);
    g_autofree char *uevent = g_build_filename(dir, "uevent", NULL);
    g_autofree char *size = g_build_filename(dir, "size", NULL);
    g_autofree char *text = g_strdup_printf("MAJOR=%u\nMINOR=%u\nDEVNAME=%s\nDEVTYPE=%s\n", major,
                                            minor, name, partition ? "partition" : "disk");
    g_autofree char *dev = g_strdup_printf("dev/block/%u:%u", major, minor);

    vl_test_put(root, uevent, text);
    vl_test_put(root, size, "2097152\n");
    sys_link(root, dev, devdir);
    if (!partition) {
        g_autofree char *slaves = g_build_filename(dir, "slaves", NULL);
        g_autofree char *holders = g_build_filename(dir, "holders", NULL);
        g_autofree char *block = g_build_filename("block", name, NULL);

        vl_test_put(root, slaves, NULL);
        vl_test_put(root, holders, NULL);
        sys_link(root, block, devdir);
    }
}

static const char mountinfo[] =
    "20 1 253:0 / /srv/root rw,relatime - ext4 /dev/mapper/vg0-root rw\n"
    "21 20 254:1 / /boot rw,relatime - ext4 /dev/vda1 rw\n"
    "22 20 0:21 / /proc rw,nosuid - proc proc rw\n"
    "23 20 8:0 / /srv/scsi rw - xfs /dev/sda rw\n"
    "24 20 8:16 / /srv/lsi rw - xfs /dev/sdb rw\n"
    "25 20 8:32 / /srv/sata rw - xfs /dev/sdc rw\n"
    "26 20 8:48 / /srv/ide rw - xfs /dev/sdd rw\n"
    "27 20 259:1 / /srv/nvme rw - xfs /dev/nvme0n1p1 rw\n"
    "28 20 254:16 / /srv/bridge rw - ext4 /dev/vdb rw\n"
    "29 20 8:64 / /srv/usb rw - vfat /dev/sde rw\n"
    "30 20 254:64 / /srv/ccw rw - ext4 /dev/vde rw\n"
    "31 20 7:0 / /srv/loop rw - ext4 /dev/loop0 rw\n"
    "32 20 7:0 / /srv/loop\\040bind rw - ext4 /dev/loop0 rw\n"
    "33 20 8:80 / /srv/gone rw - ext4 /dev/sdf rw\n";

/* A guest with one disk of each kind qemu-ga 7.2 knows, and a few it does not. */
static char *
make_guest(void)
{
    char *root = vl_test_make_tmp_dir("vl-qga-disks-XXXXXX");

    /* virtio-blk with two partitions, its serial in udev's database. */
    driver(root, "devices/pci0000:00/0000:00:04.0", "virtio-pci");
    block_device(root, VDA, 254, 0, FALSE);
    block_device(root, VDA "/vda1", 254, 1, TRUE);
    block_device(root, VDA "/vda2", 254, 2, TRUE);
    vl_test_put(root, "sys/" VDA "/queue", NULL); /* folders that are no partition */
    vl_test_put(root, "sys/" VDA "/power", NULL);
    udev_db(root, "b254:0", "S:disk/by-id/virtio-vmlink-1\nE:ID_SERIAL=vmlink-1\nG:systemd\n");
    udev_db(root, "b254:1", "E:ID_SERIAL=vmlink-1\nE:ID_PART_ENTRY_NUMBER=1\n");
    udev_db(root, "b254:2", "E:ID_SERIAL=vmlink-1\n");
    /* Device mapper over vda2. */
    block_device(root, "devices/virtual/block/dm-0", 253, 0, FALSE);
    sys_link(root, "devices/virtual/block/dm-0/slaves/vda2", VDA "/vda2");
    udev_db(root, "b253:0", "E:DM_NAME=vg0-root\nE:DM_UUID=LVM-x\n");
    /* virtio-scsi: channel 0, target 1, LUN 3. */
    driver(root, "devices/pci0000:00/0000:00:05.0", "virtio-pci");
    block_device(root, SDA, 8, 0, FALSE);
    udev_db(root, "b8:0", "E:ID_SERIAL=0QEMU_QEMU_HARDDISK_drive-scsi0-0-1-3\n");
    /* LSI Logic SCSI, target 2. */
    driver(root, "devices/pci0000:00/0000:00:06.0", "sym53c8xx");
    block_device(root, SDB, 8, 16, FALSE);
    /* AHCI, the third port. */
    driver(root, "devices/pci0000:00/0000:00:1f.2", "ahci");
    vl_test_put(root, "sys/devices/pci0000:00/0000:00:1f.2/ata1", NULL);
    vl_test_put(root, "sys/devices/pci0000:00/0000:00:1f.2/ata2", NULL);
    block_device(root, SDC, 8, 32, FALSE);
    udev_db(root, "b8:32", "E:ID_SERIAL=QEMU_HARDDISK_QM00005\n");
    /* IDE (PIIX), the second channel, unit 1. */
    driver(root, "devices/pci0000:00/0000:00:01.1", "ata_piix");
    vl_test_put(root, "sys/devices/pci0000:00/0000:00:01.1/ata1", NULL);
    block_device(root, SDD, 8, 48, FALSE);
    /* NVMe with a partition. */
    driver(root, "devices/pci0000:00/0000:00:07.0", "nvme");
    block_device(root, NVME, 259, 0, FALSE);
    block_device(root, NVME "/nvme0n1p1", 259, 1, TRUE);
    udev_db(root, "b259:1", "E:ID_SERIAL=vmlink_nvme_1\n");
    /* virtio-blk behind a PCIe root port: the address of the device behind it. */
    driver(root, "devices/pci0000:00/0000:00:1c.0", "pcieport");
    driver(root, "devices/pci0000:00/0000:00:1c.0/0000:01:00.0", "virtio-pci");
    block_device(root, VDB, 254, 16, FALSE);
    /* USB storage: qemu-ga 7.2 knows no USB controller, the node only. */
    driver(root, "devices/pci0000:00/0000:00:0d.0", "xhci_hcd");
    block_device(root, SDE, 8, 64, FALSE);
    /* s390 channel I/O, without a slaves folder. */
    block_device(root, VDE, 254, 64, FALSE);
    {
        g_autofree char *slaves = g_build_filename(root, "sys", VDE, "slaves", NULL);

        ck_assert_int_eq(g_rmdir(slaves), 0);
    }
    /* Loop devices: loop0 holds a file, loop1 nothing (size 0). */
    block_device(root, "devices/virtual/block/loop0", 7, 0, FALSE);
    block_device(root, "devices/virtual/block/loop1", 7, 1, FALSE);
    vl_test_put(root, "sys/devices/virtual/block/loop1/size", "0\n");
    /* Not disks: a folder, and a device without a uevent. */
    vl_test_put(root, "sys/block/not-a-link", NULL);
    sys_link(root, "block/sr0", "devices/pci0000:00/0000:00:01.1/ata1/host0/block/sr0");
    vl_test_put(root, "sys/devices/pci0000:00/0000:00:01.1/ata1/host0/block/sr0/size", "1\n");

    vl_test_put(root, "proc/1/mountinfo", mountinfo);
    return root;
}

static gboolean
fsinfo_uncached(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    return vl_qga_write_fsinfo(ctx, NULL, b, error);
}

static VlQgaCache *test_cache; /* for fsinfo_cached */

static gboolean
fsinfo_cached(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    return vl_qga_write_fsinfo(ctx, test_cache, b, error);
}

/* guest-get-fsinfo: the last mount first, bind mounts too, pseudo filesystems not; mounts whose
 * folders are not in the tree have no sizes. */
START_TEST(test_fsinfo)
{
    g_autofree char *root = make_guest();
    g_autofree char *got = qga_write_for(fsinfo_uncached, root);
    const char *expected =
        "[{\"name\":\"8:80\",\"mountpoint\":\"/srv/gone\",\"type\":\"ext4\",\"disk\":[]},"
        "{\"name\":\"loop0\",\"mountpoint\":\"/srv/loop bind\",\"type\":\"ext4\",\"disk\":[]},"
        "{\"name\":\"loop0\",\"mountpoint\":\"/srv/loop\",\"type\":\"ext4\",\"disk\":[]},"
        "{\"name\":\"vde\",\"mountpoint\":\"/srv/ccw\",\"type\":\"ext4\",\"disk\":[{" PCI(-1, -1,
                                                                                          -1, -1)
            BUS("virtio", 0, 0,
                0) ",\"dev\":\"/dev/vde\",\"ccw-address\":"
                   "{\"cssid\":0,\"ssid\":0,\"subchno\":3,"
                   "\"devno\":2}}]},"
                   "{\"name\":\"sde\",\"mountpoint\":\"/srv/"
                   "usb\",\"type\":\"vfat\",\"disk\":[{" PCI(-1, -1, -1, -1) BUS(
                       "unknown", 0, 0,
                       0) ",\"dev\":\"/dev/sde\"}]},"
                          "{\"name\":\"vdb\",\"mountpoint\":\"/srv/"
                          "bridge\",\"type\":\"ext4\",\"disk\":[{" PCI(0, 1, 0, 0) BUS(
                              "virtio", 0, 0,
                              0) ",\"dev\":\"/dev/vdb\"}]},"
                                 "{\"name\":\"nvme0n1p1\",\"mountpoint\":\"/srv/"
                                 "nvme\",\"type\":\"xfs\",\"disk\":[{" PCI(0, 0, 7, 0) BUS(
                                     "nvme", 0, 0,
                                     0) ",\"serial\":\"vmlink_nvme_1\","
                                        "\"dev\":\"/dev/nvme0n1p1\"}]},"
                                        "{\"name\":\"sdd\",\"mountpoint\":\"/srv/"
                                        "ide\",\"type\":\"xfs\",\"disk\":[{" PCI(0, 0, 1, 1) BUS(
                                            "ide", 1, 0,
                                            1) ",\"dev\":\"/dev/sdd\"}]},"
                                               "{\"name\":\"sdc\",\"mountpoint\":\"/srv/"
                                               "sata\",\"type\":\"xfs\",\"disk\":[{" PCI(0, 0, 31,
                                                                                         2)
                                                   BUS("sata", 0, 0,
                                                       2) ",\"serial\":\"QEMU_HARDDISK_"
                                                          "QM00005\","
                                                          "\"dev\":\"/dev/sdc\"}]},"
                                                          "{\"name\":\"sdb\",\"mountpoint\":\"/"
                                                          "srv/"
                                                          "lsi\",\"type\":\"xfs\",\"disk\":["
                                                          "{" PCI(0, 0, 6, 0) BUS(
                                                              "scsi",
                                                              0,
                                                              0,
                                                              2) ",\"dev\":\"/dev/sdb\"}]},"
                                                                 "{\"name\":\"sda\","
                                                                 "\"mountpoint\":\"/srv/"
                                                                 "scsi\",\"type\":\"xfs\","
                                                                 "\"disk\":[{" PCI(0, 0, 5, 0) BUS(
                                                                     "scsi",
                                                                     0, 0,
                                                                     3) ",\"serial\":\"0QEMU_"
                                                                        "QEMU_HARDDISK_drive-"
                                                                        "scsi0-0-"
                                                                        "1-3\",\"dev\":\"/dev/"
                                                                        "sda\"}]},"
                                                                        "{\"name\":\"vda1\","
                                                                        "\"mountpoint\":\"/"
                                                                        "boot\",\"type\":"
                                                                        "\"ext4\",\"disk\":["
                                                                        "{" PCI(0, 0, 4, 0) BUS(
                                                                            "virtio", 0, 0,
                                                                            0) ",\"serial\":"
                                                                               "\"vmlink-1\","
                                                                               "\"dev\":\"/"
                                                                               "dev/"
                                                                               "vda1\"}]},"
                                                                               "{\"name\":"
                                                                               "\"dm-0\","
                                                                               "\"mountpoint"
                                                                               "\":\"/srv/"
                                                                               "root\","
                                                                               "\"type\":"
                                                                               "\"ext4\","
                                                                               "\"disk\":["
                                                                               "{" PCI(0, 0, 4, 0)
                                                                                   BUS("virti"
                                                                                       "o",
                                                                                       0, 0, 0) ","
                                                                                                "\""
                                                                                                "se"
                                                                                                "ri"
                                                                                                "al"
                                                                                                "\""
                                                                                                ":"
                                                                                                "\""
                                                                                                "vm"
                                                                                                "li"
                                                                                                "nk"
                                                                                                "-1"
                                                                                                "\""
                                                                                                ","
                                                                                                "\""
                                                                                                "de"
                                                                                                "v"
                                                                                                "\""
                                                                                                ":"
                                                                                                "\""
                                                                                                "/d"
                                                                                                "ev"
                                                                                                "/v"
                                                                                                "da"
                                                                                                "2"
                                                                                                "\""
                                                                                                "}]"
                                                                                                "}"
                                                                                                "]";

    ck_assert_str_eq(got, expected);
    vl_test_remove_tree(root);
}
END_TEST

/* Each entry of the answer as compact JSON, in a set: the order of /sys/block and of a disk's
 * folder is the file system's (qemu-ga's too), not the test's. */
static GHashTable *
entries_of(const char *answer)
{
    g_autoptr(VlJson) parsed = vl_json_parse(answer, strlen(answer), NULL);
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    ck_assert_msg(parsed != NULL && vl_json_kind(parsed) == VL_JSON_ARRAY, "%s", answer);
    for (guint i = 0; i < vl_json_array_length(parsed); i++) {
        g_hash_table_add(set, vl_json_to_string(vl_json_array_get(parsed, i), NULL));
    }
    ck_assert_uint_eq(g_hash_table_size(set), vl_json_array_length(parsed));
    return set;
}

/* guest-get-disks: every disk with a size and a node, each followed by its partitions. */
START_TEST(test_disks)
{
    static const char *const expected[] = {
        "{\"name\":\"/dev/vda\",\"partition\":false,\"dependencies\":[],\"address\":{" PCI(
            0, 0, 4, 0) BUS("virtio", 0, 0, 0) ",\"serial\":\"vmlink-1\",\"dev\":\"/dev/vda\"}}",
        "{\"name\":\"/dev/vda1\",\"partition\":true,\"dependencies\":[\"/dev/vda\"]}",
        "{\"name\":\"/dev/vda2\",\"partition\":true,\"dependencies\":[\"/dev/vda\"]}",
        "{\"name\":\"/dev/dm-0\",\"partition\":false,\"dependencies\":[\"/dev/vda2\"],"
        "\"alias\":\"vg0-root\"}",
        "{\"name\":\"/dev/sda\",\"partition\":false,\"dependencies\":[],\"address\":{" PCI(
            0, 0, 5, 0) BUS("scsi", 0, 0, 3) ",\"serial\":\"0QEMU_QEMU_HARDDISK_drive-scsi0-0-1-3\""
                                             ",\"dev\":\"/dev/sda\"}}",
        "{\"name\":\"/dev/sdb\",\"partition\":false,\"dependencies\":[],\"address\":{" PCI(
            0, 0, 6, 0) BUS("scsi", 0, 0, 2) ",\"dev\":\"/dev/sdb\"}}",
        "{\"name\":\"/dev/sdc\",\"partition\":false,\"dependencies\":[],\"address\":{" PCI(
            0, 0, 31, 2) BUS("sata", 0, 0, 2) ",\"serial\":\"QEMU_HARDDISK_QM00005\","
                                              "\"dev\":\"/dev/sdc\"}}",
        "{\"name\":\"/dev/sdd\",\"partition\":false,\"dependencies\":[],\"address\":{" PCI(
            0, 0, 1, 1) BUS("ide", 1, 0, 1) ",\"dev\":\"/dev/sdd\"}}",
        "{\"name\":\"/dev/nvme0n1\",\"partition\":false,\"dependencies\":[],\"address\":{" PCI(
            0, 0, 7, 0) BUS("nvme", 0, 0, 0) ",\"dev\":\"/dev/nvme0n1\"}}",
        "{\"name\":\"/dev/nvme0n1p1\",\"partition\":true,\"dependencies\":[\"/dev/nvme0n1\"]}",
        "{\"name\":\"/dev/vdb\",\"partition\":false,\"dependencies\":[],\"address\":{" PCI(
            0, 1, 0, 0) BUS("virtio", 0, 0, 0) ",\"dev\":\"/dev/vdb\"}}",
        "{\"name\":\"/dev/sde\",\"partition\":false,\"dependencies\":[],\"address\":{" PCI(
            -1, -1, -1, -1) BUS("unknown", 0, 0, 0) ",\"dev\":\"/dev/sde\"}}",
        "{\"name\":\"/dev/vde\",\"partition\":false,\"address\":{" PCI(-1, -1, -1, -1)
            BUS("virtio", 0, 0, 0) ",\"dev\":\"/dev/vde\",\"ccw-address\":{\"cssid\":0,\"ssid\":0,"
                                   "\"subchno\":3,\"devno\":2}}}",
        "{\"name\":\"/dev/loop0\",\"partition\":false,\"dependencies\":[]}",
    };
    g_autofree char *root = make_guest();
    g_autofree char *got = qga_write_for(vl_qga_write_disks, root);
    g_autoptr(GHashTable) entries = entries_of(got);
    g_autoptr(VlJson) parsed = vl_json_parse(got, strlen(got), NULL);
    guint vda = 0;

    for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
        ck_assert_msg(g_hash_table_contains(entries, expected[i]), "missing %s\nin %s", expected[i],
                      got);
    }
    ck_assert_uint_eq(g_hash_table_size(entries), G_N_ELEMENTS(expected));
    /* As qemu-ga prepends: a disk's partitions come before it. */
    for (guint i = 0; i < vl_json_array_length(parsed); i++) {
        const char *name =
            vl_json_get_string(vl_json_object_get(vl_json_array_get(parsed, i), "name"));

        if (g_str_equal(name, "/dev/vda")) {
            vda = i;
        }
    }
    ck_assert_uint_ge(vda, 2);
    ck_assert(g_str_has_prefix(
        vl_json_get_string(vl_json_object_get(vl_json_array_get(parsed, vda - 1), "name")),
        "/dev/vda"));
    ck_assert(g_str_has_prefix(
        vl_json_get_string(vl_json_object_get(vl_json_array_get(parsed, vda - 2), "name")),
        "/dev/vda"));
    vl_test_remove_tree(root);
}
END_TEST

/* Sizes as qemu-ga computes them: used = blocks - free, total = used + available to users. */
START_TEST(test_sizes)
{
    g_autofree char *root = vl_test_make_tmp_dir("vl-qga-disks-XXXXXX");
    g_autofree char *got = NULL;
    g_autoptr(VlJson) parsed = NULL;
    struct statvfs st;

    vl_test_put(root, "proc/1/mountinfo", "40 1 7:0 / /srv/data rw - ext4 /dev/loop0 rw\n");
    vl_test_put(root, "srv/data", NULL);
    got = qga_write_for(fsinfo_uncached, root);
    ck_assert_int_eq(statvfs(root, &st), 0);
    parsed = vl_json_parse(got, strlen(got), NULL);
    /* Used space moves while the test runs; the total does not. */
    ck_assert_int_eq(
        vl_json_get_int(vl_json_object_get(vl_json_array_get(parsed, 0), "total-bytes")),
        (gint64)((st.f_blocks - st.f_bfree + st.f_bavail) * st.f_frsize));
    ck_assert_int_le(
        vl_json_get_int(vl_json_object_get(vl_json_array_get(parsed, 0), "used-bytes")),
        (gint64)(st.f_blocks * st.f_frsize));
    vl_test_remove_tree(root);
}
END_TEST

/* With a cache, a mountinfo that is not the kernel's (this tree's) is read for every request:
 * nothing would tell of its changes. */
START_TEST(test_fsinfo_cache_tree)
{
    g_autofree char *root = vl_test_make_tmp_dir("vl-qga-disks-XXXXXX");
    g_autofree char *first = NULL;
    g_autofree char *second = NULL;
    g_autofree char *gone = NULL;
    g_autofree char *mountinfo_path = NULL;

    test_cache = vl_qga_cache_new();
    vl_test_put(root, "proc/1/mountinfo", "40 1 7:0 / /srv/a rw - ext4 /dev/loop0 rw\n");
    first = qga_write_for(fsinfo_cached, root);
    ck_assert_str_eq(first, "[{\"name\":\"7:0\",\"mountpoint\":\"/srv/a\",\"type\":\"ext4\","
                            "\"disk\":[]}]");
    vl_test_put(
        root, "proc/1/mountinfo",
        "40 1 7:0 / /srv/a rw - ext4 /dev/loop0 rw\n41 1 7:1 / /srv/b rw - xfs /dev/loop1 rw\n");
    second = qga_write_for(fsinfo_cached, root);
    ck_assert_str_eq(second, "[{\"name\":\"7:1\",\"mountpoint\":\"/srv/b\",\"type\":\"xfs\","
                             "\"disk\":[]},{\"name\":\"7:0\",\"mountpoint\":\"/srv/a\","
                             "\"type\":\"ext4\",\"disk\":[]}]");
    mountinfo_path = g_build_filename(root, "proc", "1", "mountinfo", NULL);
    ck_assert_int_eq(g_unlink(mountinfo_path), 0);
    gone = qga_write_for(fsinfo_cached, root);
    ck_assert_ptr_nonnull(strstr(gone, "error: "));
    g_clear_pointer(&test_cache, vl_qga_cache_free);
    vl_test_remove_tree(root);
}
END_TEST

/* Past 4096 mounts the newest are kept (qemu-ga answers the last mounted first); a device
 * whose name is not UTF-8 (an md array may be named anything) is named in valid UTF-8. */
START_TEST(test_fsinfo_bounds)
{
    g_autofree char *root = vl_test_make_tmp_dir("vl-qga-disks-XXXXXX");
    g_autoptr(GString) mountinfo_text = g_string_new(NULL);
    g_autofree char *got = NULL;
    g_autofree char *odd = NULL;
    g_autoptr(VlJson) parsed = NULL;

    for (guint i = 0; i < 4100; i++) {
        g_string_append_printf(mountinfo_text, "%u 1 7:0 / /srv/m%u rw - ext4 /dev/loop0 rw\n",
                               100 + i, i);
    }
    vl_test_put(root, "proc/1/mountinfo", mountinfo_text->str);
    got = qga_write_for(fsinfo_uncached, root);
    parsed = vl_json_parse(got, strlen(got), NULL);
    ck_assert_ptr_nonnull(parsed);
    ck_assert_uint_eq(vl_json_array_length(parsed), 4096);
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_array_get(parsed, 0), "mountpoint")),
        "/srv/m4099");
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_array_get(parsed, 4095), "mountpoint")),
        "/srv/m4");

    block_device(root, "devices/virtual/block/md_\xff", 9, 0, FALSE);
    vl_test_put(root, "proc/1/mountinfo", "40 1 9:0 / /srv/md rw - ext4 /dev/md_x rw\n");
    odd = qga_write_for(fsinfo_uncached, root);
    ck_assert_str_eq(odd, "[{\"name\":\"md_\xef\xbf\xbd\",\"mountpoint\":\"/srv/md\","
                          "\"type\":\"ext4\",\"disk\":[]}]");
    vl_test_remove_tree(root);
}
END_TEST

/* btrfs shows device 0:N in mountinfo: qemu-ga takes the device its source names. */
START_TEST(test_btrfs)
{
    g_autofree char *root = vl_test_make_tmp_dir("vl-qga-disks-XXXXXX");
    g_autofree char *node = g_build_filename(root, "dev", "vdc", NULL);
    g_autofree char *got = NULL;
    const char *expected =
        "[{\"name\":\"vdc\",\"mountpoint\":\"/srv/btrfs\",\"type\":\"btrfs\",\"disk\":[{" PCI(
            0, 0, 8, 0) BUS("virtio", 0, 0, 0) ",\"dev\":\"/dev/vdc\"}]}]";

    vl_test_put(root, "proc/1/mountinfo",
                "40 1 0:45 / /srv/btrfs rw - btrfs /dev/vdc rw\n"
                "41 1 0:46 / /srv/file rw - btrfs /dev/not-a-device rw\n"
                "42 1 0:47 / /srv/tmp rw - tmpfs /dev/vdc rw\n");
    vl_test_put(root, "dev/not-a-device", "");
    driver(root, "devices/pci0000:00/0000:00:08.0", "virtio-pci");
    block_device(root, "devices/pci0000:00/0000:00:08.0/virtio5/block/vdc", 254, 32, FALSE);
    if (mknod(node, S_IFBLK | 0600, makedev(254, 32)) < 0) {
        fprintf(stderr, "btrfs: no block device node (%s): only what is left out is checked\n",
                g_strerror(errno));
        expected = "[]";
    }
    got = qga_write_for(fsinfo_uncached, root);
    ck_assert_str_eq(got, expected);
    vl_test_remove_tree(root);
}
END_TEST

/* What no kernel writes: answered, bounded, without a crash. */
START_TEST(test_odd_trees)
{
    g_autofree char *root = make_guest();
    g_autofree char *fsinfo = NULL;
    g_autofree char *disks = NULL;
    g_autoptr(GString) many = g_string_new(NULL);
    g_autoptr(VlJson) parsed = NULL;
    const char *expected_start =
        "[{\"name\":\"vdx\",\"mountpoint\":\"/g\",\"type\":\"ext4\",\"disk\":[]},"
        "{\"name\":\"dm-1\",\"mountpoint\":\"/c\",\"type\":\"ext4\",\"disk\":[]},"
        "{\"name\":\"9:10\",\"mountpoint\":\"/b\",\"type\":\"ext4\",\"disk\":[]},"
        "{\"name\":\"9:9\",\"mountpoint\":\"/a\",\"type\":\"ext4\",\"disk\":[]},"
        "{\"name\":\"dm-3\",\"mountpoint\":\"/m\",\"type\":\"ext4\",\"disk\":[{" PCI(0, 0, 4, 0)
            BUS("virtio", 0, 0, 0) ",\"serial\":\"vmlink-1\",\"dev\":\"/dev/vda1\"}";

    vl_test_put(root, "proc/1/mountinfo",
                "40 1 253:3 / /m rw - ext4 /dev/dm-3 rw\n"
                "garbage\n"
                "41 1 x:y / /x rw - ext4 /dev/x rw\n"
                "42 1 99999999999:0 / /y rw - ext4 /dev/y rw\n"
                "43 1 9:9 / /a rw - ext4 /dev/a rw\n"
                "44 1 9:10 / /b rw - ext4 /dev/b rw\n"
                "45 1 253:1 / /c rw - ext4 /dev/dm-1 rw\n"
                "46 1 254:99 / /g rw - ext4 /dev/vdx rw\n");
    /* A link to itself, and one out of the tree. */
    vl_test_link(root, "sys/dev/block/9:9", "9:9");
    vl_test_link(root, "sys/dev/block/9:10", "/sys/" VDA);
    /* Device mappers over each other. */
    block_device(root, "devices/virtual/block/dm-1", 253, 1, FALSE);
    block_device(root, "devices/virtual/block/dm-2", 253, 2, FALSE);
    sys_link(root, "devices/virtual/block/dm-1/slaves/dm-2", "devices/virtual/block/dm-2");
    sys_link(root, "devices/virtual/block/dm-2/slaves/dm-1", "devices/virtual/block/dm-1");
    /* One over a hundred links to the same partition: VL_BLOCK_DISKS_MAX of them. */
    block_device(root, "devices/virtual/block/dm-3", 253, 3, FALSE);
    for (guint i = 0; i < 100; i++) {
        g_autofree char *link = g_strdup_printf("devices/virtual/block/dm-3/slaves/s%u", i);

        sys_link(root, link, VDA "/vda1");
    }
    /* Garbage in the PCI address, in the uevent, and a uevent too large to read. */
    block_device(root, "devices/pci0000:00/zz:00:04.0/virtio9/block/vdx", 254, 99, FALSE);
    vl_test_put(root, "sys/devices/pci0000:00/zz:00:04.0/virtio9/block/vdx/uevent",
                "MAJOR=huge\nMINOR=\nDEVNAME=\n\n=\nE:\n");
    for (guint i = 0; i < 70000; i++) {
        g_string_append_c(many, 'A');
    }
    vl_test_put(root, "sys/" SDB "/uevent", many->str);
    /* A /sys/block link to itself. */
    vl_test_link(root, "sys/block/loopy", "loopy");

    fsinfo = qga_write_for(fsinfo_uncached, root);
    ck_assert_msg(g_str_has_prefix(fsinfo, expected_start), "%s", fsinfo);
    parsed = vl_json_parse(fsinfo, strlen(fsinfo), NULL);
    ck_assert_uint_eq(vl_json_array_length(parsed), 5);
    ck_assert_uint_eq(
        vl_json_array_length(vl_json_object_get(vl_json_array_get(parsed, 4), "disk")),
        VL_BLOCK_DISKS_MAX);

    disks = qga_write_for(vl_qga_write_disks, root);
    ck_assert_msg(strstr(disks, "\"/dev/dm-1\",\"partition\":false,\"dependencies\":[\"/dev/"
                                "dm-2\"]") != NULL,
                  "%s", disks);
    ck_assert_msg(strstr(disks, "/dev/sdb") == NULL, "%s", disks); /* no node: not listed */
    vl_test_remove_tree(root);
}
END_TEST

START_TEST(test_missing)
{
    g_autofree char *root = vl_test_make_tmp_dir("vl-qga-disks-XXXXXX");
    g_autofree char *disks = qga_write_for(vl_qga_write_disks, root);
    g_autofree char *fsinfo = qga_write_for(fsinfo_uncached, root);

    ck_assert_str_eq(disks,
                     "error: Can't open directory \"/sys/block\": No such file or directory");
    ck_assert(g_str_has_prefix(fsinfo, "error: cannot open "));
    ck_assert(strstr(fsinfo, "proc/1/mountinfo") != NULL);
    vl_test_remove_tree(root);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_fsinfo,
                                  test_disks,
                                  test_sizes,
                                  test_fsinfo_cache_tree,
                                  test_fsinfo_bounds,
                                  test_btrfs,
                                  test_odd_trees,
                                  test_missing,
                                  NULL};

    return vl_check_run(vl_check_suite("qga-disks", tests));
}
