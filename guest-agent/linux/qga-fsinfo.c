/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest-get-fsinfo on Linux (vl-qga-platform.h), as qemu-ga 7.2 answers it: every mount of
 * mountinfo (mountinfo.h) on a block device, the last mounted first, bind mounts and mounts
 * hidden by later ones included; a btrfs mount (device 0:N) by the device its source names.
 * Each with the device's name and the disks under it (block-devices.h), and its size and use
 * from statvfs() as df counts them for users other than root.
 *
 * With a cache, the list of mounts is kept between requests and read again only when the
 * kernel says the mount table changed: a descriptor of init's mountinfo held open polls with
 * POLLPRI when a mount came, went or moved since the last poll (as libmount's monitor and
 * systemd watch it), and a stat() of each mount point must still give its device (a folder
 * above a mount point can be renamed without a change to any mount). A request then costs the
 * poll, the stats, the sysfs walk and statvfs(). Where the file is not the kernel's (a test's
 * tree), it is read every time.
 */
#include "vl-qga-platform.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "block-devices.h"
#include "mountinfo.h"
#include "qga-cache.h"

#define FSINFO_MAX 4096 /* the last mounts answered; mountinfo has more only on odd systems */

typedef struct {
    char *path; /* the mount point's bytes, for statvfs() */
    char *mountpoint;
    char *type;
    guint major; /* the block device (btrfs: its source's) */
    guint minor;
    dev_t dev;      /* as mountinfo shows it: what stat() of the mount point gives */
    gboolean shown; /* stat() of path gave dev when the list was read */
} FsMount;

typedef struct {
    const VlCollectContext *ctx;
    GPtrArray *mounts; /* of FsMount, in mount order; past FSINFO_MAX a ring */
    guint next;        /* where the ring's oldest is, once full */
} FsMounts;

struct _VlQgaMounts {
    int fd;            /* mountinfo, for poll(); -1 until opened or where it cannot tell */
    GPtrArray *mounts; /* of FsMount, as last read; NULL: to be read */
};

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

    if (major == 0 && !btrfs_device(list->ctx, mount, &major, &minor)) {
        return;
    }
    m = g_new0(FsMount, 1);
    m->path = g_strdup(mount->path);
    m->mountpoint = g_strdup(mount->mountpoint);
    m->type = g_strdup(mount->type);
    m->major = major;
    m->minor = minor;
    m->dev = makedev(mount->major, mount->minor);
    if (list->mounts->len < FSINFO_MAX) {
        g_ptr_array_add(list->mounts, m);
        return;
    }
    /* Full: the newest replaces the oldest, as qemu-ga answers the last mounted first. */
    fs_mount_free(list->mounts->pdata[list->next]);
    list->mounts->pdata[list->next] = m;
    list->next = (list->next + 1) % FSINFO_MAX;
}

/* Whether stat() of the mount point gives the mount's device. */
static gboolean
mount_shown(const VlCollectContext *ctx, const FsMount *m)
{
    g_autofree char *full = vl_collect_path(ctx, m->path);
    struct stat st;

    return stat(full, &st) == 0 && st.st_dev == m->dev;
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
    g_autofree char *raw_name = vl_block_sys_disks(sys, device, disks);
    /* A device's name is bytes (md arrays may be named anything): JSON needs UTF-8. */
    g_autofree char *name = raw_name ? g_utf8_make_valid(raw_name, -1) : NULL;
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

void
vl_qga_mounts_free(VlQgaMounts *cache)
{
    if (cache) {
        if (cache->fd >= 0) {
            close(cache->fd);
        }
        g_clear_pointer(&cache->mounts, g_ptr_array_unref);
        g_free(cache);
    }
}

static GPtrArray *
read_mounts(const VlCollectContext *ctx, GError **error)
{
    g_autoptr(GPtrArray) mounts = g_ptr_array_new_with_free_func(fs_mount_free);
    FsMounts list = {ctx, mounts, 0};
    GPtrArray *ordered;

    if (!vl_mountinfo_read(ctx, on_mount, &list, error)) {
        return NULL;
    }
    if (list.next == 0) {
        return g_steal_pointer(&mounts);
    }
    /* The ring in mount order again, the oldest kept first. */
    ordered = g_ptr_array_new_full(mounts->len, fs_mount_free);
    for (guint i = 0; i < mounts->len; i++) {
        g_ptr_array_add(ordered, mounts->pdata[(list.next + i) % mounts->len]);
    }
    g_ptr_array_set_free_func(mounts, NULL);
    return ordered;
}

/*
 * Whether a mount point that stat() reached when the list was read no longer does: a folder
 * above it was renamed (rename(2) of a folder that holds a mount changes no mount, so mountinfo
 * does not poll) or removed. Mounts it did not reach then (hidden by a later mount, or outside
 * the agent's sandbox) are not asked again.
 */
static gboolean
mounts_moved(const VlCollectContext *ctx, GPtrArray *mounts)
{
    for (guint i = 0; i < mounts->len; i++) {
        const FsMount *m = mounts->pdata[i];

        if (m->shown && !mount_shown(ctx, m)) {
            return TRUE;
        }
    }
    return FALSE;
}

/* The kernel's mountinfo opened for poll(), or -1 (no such file, or not /proc's). */
static int
open_watch(const VlCollectContext *ctx)
{
    g_autofree char *path = vl_collect_path(ctx, VL_MOUNTINFO_PATH);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct statfs st;

    if (fd >= 0 && (fstatfs(fd, &st) < 0 || st.f_type != PROC_SUPER_MAGIC)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Whether the mount table changed since the last call (TRUE when it cannot tell); a poll()
 * also takes the change as seen. */
static gboolean
mounts_changed(VlQgaMounts *cache)
{
    struct pollfd pfd = {.fd = cache->fd, .events = POLLPRI};
    int r;

    if (cache->fd < 0) {
        return TRUE;
    }
    do {
        r = poll(&pfd, 1, 0);
    } while (r < 0 && errno == EINTR);
    return r != 0;
}

/* The mounts, from the cache while the table holds; NULL with error when mountinfo cannot be
 * read. The caller owns a reference. */
static GPtrArray *
cached_mounts(const VlCollectContext *ctx, VlQgaCache *qga, GError **error)
{
    VlQgaMounts *cache = qga->mounts;

    if (cache == NULL) {
        cache = qga->mounts = g_new0(VlQgaMounts, 1);
        /* Opened before the first read: a change while it reads shows at the next poll. */
        cache->fd = open_watch(ctx);
    } else if (cache->mounts && !mounts_changed(cache) && !mounts_moved(ctx, cache->mounts)) {
        return g_ptr_array_ref(cache->mounts);
    }
    g_clear_pointer(&cache->mounts, g_ptr_array_unref);
    cache->mounts = read_mounts(ctx, error);
    if (cache->mounts == NULL) {
        return NULL;
    }
    if (cache->fd < 0) {
        return g_steal_pointer(&cache->mounts); /* nothing would tell of a change */
    }
    for (guint i = 0; i < cache->mounts->len; i++) {
        FsMount *m = cache->mounts->pdata[i];

        m->shown = mount_shown(ctx, m);
    }
    return g_ptr_array_ref(cache->mounts);
}

gboolean
vl_qga_write_fsinfo(const VlCollectContext *ctx, VlQgaCache *cache, VlJsonBuilder *b,
                    GError **error)
{
    g_autoptr(GPtrArray) mounts =
        cache ? cached_mounts(ctx, cache, error) : read_mounts(ctx, error);
    g_autoptr(VlBlockSys) sys = NULL;

    if (mounts == NULL) {
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
