/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest-get-fsinfo on Linux (vl-qga-platform.h), as qemu-ga 7.2 answers it: every mount of
 * mountinfo (mountinfo.h) on a block device, the last mounted first, bind mounts and mounts
 * hidden by later ones included; a btrfs mount (device 0:N) by the device its source names.
 * Each with the device's name and the disks under it (block-devices.h), and its size and use
 * from statvfs() as df counts them for users other than root.
 */
#include "vl-qga-platform.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "block-devices.h"
#include "mountinfo.h"

#define FSINFO_MAX 4096 /* mounts answered; mountinfo has more only on odd systems */

typedef struct {
    char *path; /* the mount point's bytes, for statvfs() */
    char *mountpoint;
    char *type;
    guint major;
    guint minor;
} FsMount;

typedef struct {
    const VlCollectContext *ctx;
    GPtrArray *mounts; /* of FsMount, in mount order */
} FsMounts;

static void
fs_mount_free(gpointer data)
{
    FsMount *m = data;

    g_free(m->path);
    g_free(m->mountpoint);
    g_free(m->type);
    g_free(m);
}

/* btrfs mounts show no device (0:N): the block device its source names, as qemu-ga stat()s. */
static gboolean
btrfs_device(const VlCollectContext *ctx, const VlMount *mount, guint *ret_major, guint *ret_minor)
{
    g_autofree char *source = NULL;
    struct stat st;

    if (!g_str_equal(mount->type, "btrfs") || mount->source[0] != '/') {
        return FALSE;
    }
    source = vl_collect_path(ctx, mount->source);
    if (stat(source, &st) < 0 || !S_ISBLK(st.st_mode)) {
        return FALSE;
    }
    *ret_major = major(st.st_rdev);
    *ret_minor = minor(st.st_rdev);
    return TRUE;
}

static void
on_mount(const VlMount *mount, gpointer user_data)
{
    FsMounts *list = user_data;
    guint major = mount->major;
    guint minor = mount->minor;
    FsMount *m;

    if (list->mounts->len >= FSINFO_MAX ||
        (major == 0 && !btrfs_device(list->ctx, mount, &major, &minor))) {
        return;
    }
    m = g_new0(FsMount, 1);
    m->path = g_strdup(mount->path);
    m->mountpoint = g_strdup(mount->mountpoint);
    m->type = g_strdup(mount->type);
    m->major = major;
    m->minor = minor;
    g_ptr_array_add(list->mounts, m);
}

/* qemu-ga's "used-bytes" and "total-bytes": FALSE when statvfs() fails or they overflow. */
static gboolean
mount_sizes(const VlCollectContext *ctx, const char *path, gint64 *ret_used, gint64 *ret_total)
{
    g_autofree char *full = vl_collect_path(ctx, path);
    struct statvfs st;
    guint64 used, total, used_bytes, total_bytes;

    if (statvfs(full, &st) < 0 || st.f_bfree > st.f_blocks) {
        return FALSE;
    }
    used = st.f_blocks - st.f_bfree;
    if (!g_uint64_checked_add(&total, used, st.f_bavail) ||
        !g_uint64_checked_mul(&used_bytes, used, st.f_frsize) ||
        !g_uint64_checked_mul(&total_bytes, total, st.f_frsize) || total_bytes > G_MAXINT64) {
        return FALSE;
    }
    *ret_used = (gint64)used_bytes;
    *ret_total = (gint64)total_bytes;
    return TRUE;
}

static void
write_mount(const VlCollectContext *ctx, const VlBlockSys *sys, const FsMount *m, VlJsonBuilder *b)
{
    g_autofree char *device = g_strdup_printf("/sys/dev/block/%u:%u", m->major, m->minor);
    g_autoptr(GPtrArray) disks =
        g_ptr_array_new_with_free_func((GDestroyNotify)vl_disk_address_free);
    g_autofree char *name = vl_block_sys_disks(sys, device, disks);
    gint64 used, total;

    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "name", name);
    vl_json_builder_add_member_string(b, "mountpoint", m->mountpoint);
    vl_json_builder_add_member_string(b, "type", m->type);
    if (mount_sizes(ctx, m->path, &used, &total)) {
        vl_json_builder_add_member_int(b, "used-bytes", used);
        vl_json_builder_add_member_int(b, "total-bytes", total);
    }
    vl_json_builder_member(b, "disk");
    vl_json_builder_begin_array(b);
    for (guint i = 0; i < disks->len; i++) {
        vl_disk_address_write(disks->pdata[i], b);
    }
    vl_json_builder_end_array(b);
    vl_json_builder_end_object(b);
}

gboolean
vl_qga_write_fsinfo(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autoptr(GPtrArray) mounts = g_ptr_array_new_with_free_func(fs_mount_free);
    FsMounts list = {ctx, mounts};
    g_autoptr(VlBlockSys) sys = NULL;

    if (!vl_mountinfo_read(ctx, on_mount, &list, error)) {
        return FALSE;
    }
    sys = vl_block_sys_new(ctx);
    vl_json_builder_begin_array(b);
    /* qemu-ga prepends each mount to its answer. */
    for (guint i = mounts->len; i > 0; i--) {
        write_mount(ctx, sys, mounts->pdata[i - 1], b);
    }
    vl_json_builder_end_array(b);
    return TRUE;
}
