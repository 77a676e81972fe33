/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest-get-disks on Linux (vl-qga-platform.h), as qemu-ga 7.2 answers it: every entry of
 * /sys/block whose size is not 0 and that has a device node, the last listed first, each
 * followed by its partitions (folders named after it and a number, or "p" and a number) as
 * entries of their own. A disk lists its slaves' nodes as dependencies, its address unless it
 * is virtual, and device mapper's name (udev's DM_NAME) as alias; a partition has its disk as
 * its one dependency.
 */
#include "vl-qga-platform.h"

#include <errno.h>
#include <string.h>

#include "block-devices.h"

#define BLOCK_DIR "/sys/block"
#define DISKS_MAX 4096 /* entries answered, disks and partitions together */
#define SIZE_FILE_MAX 64

typedef struct {
    char *name; /* the device node */
    gboolean partition;
    GPtrArray *dependencies; /* device nodes; NULL: not listed */
    VlDiskAddress *address;  /* or NULL */
    char *alias;             /* or NULL */
} Disk;

static void
disk_free(gpointer data)
{
    Disk *d = data;

    g_free(d->name);
    g_clear_pointer(&d->dependencies, g_ptr_array_unref);
    vl_disk_address_free(d->address);
    g_free(d->alias);
    g_free(d);
}

/* Whether the disk's size can be read and is not 0 (an unused loop or zram device). */
static gboolean
has_size(const VlCollectContext *ctx, const char *disk_dir)
{
    g_autofree char *path = g_build_filename(disk_dir, "size", NULL);
    g_autofree char *text = NULL;

    return vl_collect_read(ctx, path, SIZE_FILE_MAX, &text, NULL, NULL) &&
           !g_str_equal(text, "0\n");
}

/* "<disk><number>" or "<disk>p<number>", as qemu-ga tells a partition from other folders. */
static gboolean
is_partition_of(const char *entry, const char *disk)
{
    gsize len = strlen(disk);

    if (strncmp(entry, disk, len) != 0) {
        return FALSE;
    }
    return g_ascii_isdigit(entry[len]) || (entry[len] == 'p' && g_ascii_isdigit(entry[len + 1]));
}

/* The nodes of the disk's slaves, the last listed first; NULL without a slaves folder. */
static GPtrArray *
dependencies(const VlBlockSys *sys, const char *disk_dir)
{
    g_autofree char *slaves = g_build_filename(disk_dir, "slaves", NULL);
    g_autoptr(GPtrArray) names = vl_block_sys_list(sys, slaves, VL_BLOCK_ANY);
    GPtrArray *nodes;

    if (names == NULL) {
        return NULL;
    }
    nodes = g_ptr_array_new_with_free_func(g_free);
    for (guint i = names->len; i > 0; i--) {
        g_autofree char *slave = g_build_filename(slaves, names->pdata[i - 1], NULL);
        char *node = vl_block_sys_devnode(sys, slave);

        if (node) {
            g_ptr_array_add(nodes, node);
        }
    }
    return nodes;
}

/* The address of a disk that is not virtual, or NULL. */
static VlDiskAddress *
address(const VlBlockSys *sys, const char *disk_dir)
{
    g_autofree char *syspath = vl_block_sys_resolve(sys, disk_dir);
    g_autoptr(GPtrArray) disks = NULL;

    if (syspath == NULL || vl_block_sys_is_virtual(syspath)) {
        return NULL;
    }
    disks = g_ptr_array_new_with_free_func((GDestroyNotify)vl_disk_address_free);
    g_free(vl_block_sys_disks(sys, disk_dir, disks));
    return disks->len > 0 ? g_ptr_array_steal_index(disks, 0) : NULL;
}

static void
add_partitions(const VlBlockSys *sys, const char *disk, const char *disk_dir, const char *disk_node,
               GPtrArray *found)
{
    g_autoptr(GPtrArray) names = vl_block_sys_list(sys, disk_dir, VL_BLOCK_DIRS);

    for (guint i = 0; names && i < names->len && found->len < DISKS_MAX; i++) {
        g_autofree char *dir = NULL;
        Disk *p;
        char *node;

        if (!is_partition_of(names->pdata[i], disk)) {
            continue;
        }
        dir = g_build_filename(disk_dir, names->pdata[i], NULL);
        node = vl_block_sys_devnode(sys, dir);
        if (node == NULL) {
            continue;
        }
        p = g_new0(Disk, 1);
        p->name = node;
        p->partition = TRUE;
        p->dependencies = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(p->dependencies, g_strdup(disk_node));
        g_ptr_array_add(found, p);
    }
}

static void
add_disk(const VlBlockSys *sys, const VlCollectContext *ctx, const char *disk, GPtrArray *found)
{
    g_autofree char *disk_dir = g_build_filename(BLOCK_DIR, disk, NULL);
    Disk *d;
    char *node;

    if (!has_size(ctx, disk_dir) || (node = vl_block_sys_devnode(sys, disk_dir)) == NULL) {
        return;
    }
    d = g_new0(Disk, 1);
    d->name = node;
    d->alias = vl_block_sys_property(sys, disk_dir, "DM_NAME");
    d->address = address(sys, disk_dir);
    d->dependencies = dependencies(sys, disk_dir);
    g_ptr_array_add(found, d);
    add_partitions(sys, disk, disk_dir, d->name, found);
}

static void
write_disk(const Disk *d, VlJsonBuilder *b)
{
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "name", d->name);
    vl_json_builder_add_member_bool(b, "partition", d->partition);
    if (d->dependencies) {
        vl_json_builder_member(b, "dependencies");
        vl_json_builder_begin_array(b);
        for (guint i = 0; i < d->dependencies->len; i++) {
            vl_json_builder_add_string(b, d->dependencies->pdata[i]);
        }
        vl_json_builder_end_array(b);
    }
    if (d->address) {
        vl_json_builder_member(b, "address");
        vl_disk_address_write(d->address, b);
    }
    if (d->alias) {
        vl_json_builder_add_member_string(b, "alias", d->alias);
    }
    vl_json_builder_end_object(b);
}

gboolean
vl_qga_write_disks(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autoptr(VlBlockSys) sys = vl_block_sys_new(ctx);
    g_autoptr(GPtrArray) names = vl_block_sys_list(sys, BLOCK_DIR, VL_BLOCK_LINKS);
    g_autoptr(GPtrArray) found = NULL;

    if (names == NULL) {
        g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ,
                    "Can't open directory \"" BLOCK_DIR "\": %s", g_strerror(errno));
        return FALSE;
    }
    found = g_ptr_array_new_with_free_func(disk_free);
    for (guint i = 0; i < names->len && found->len < DISKS_MAX; i++) {
        add_disk(sys, ctx, names->pdata[i], found);
    }
    /* qemu-ga prepends each entry to its answer. */
    vl_json_builder_begin_array(b);
    for (guint i = found->len; i > 0; i--) {
        write_disk(found->pdata[i - 1], b);
    }
    vl_json_builder_end_array(b);
    return TRUE;
}
