/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filesystems collector on Linux: /proc/1/mountinfo, parsed as it streams in, then
 * statvfs() on each mount point kept. See filesystems.h for what is kept.
 */
#include "filesystems.h"

#include <string.h>
#include <sys/statvfs.h>

#include "mountinfo.h"
#include "vl-collectors-linux.h"

/* Filesystems without storage of their own, or whose storage would mislead (filesystems.h). */
static const char *const pseudo_types[] = {
    /* Kernel interfaces; cgroup* is matched by prefix. */
    "anon_inodefs", "binder", "binfmt_misc", "bpf", "configfs", "debugfs", "devfs", "devpts",
    "efivarfs", "fusectl", "hugetlbfs", "mqueue", "nfsd", "nsfs", "pipefs", "proc", "pstore",
    "resctrl", "rpc_pipefs", "securityfs", "selinuxfs", "smackfs", "sockfs", "sysfs", "tracefs",
    "usbfs", "xenfs",
    /* Memory, not storage: the memory section accounts for it. */
    "devtmpfs", "ramfs", "rootfs", "tmpfs",
    /* A placeholder for what the automounter mounts there (reported once mounted). */
    "autofs",
    /* Views of filesystems reported anyway, and read-only images that are always full. */
    "overlay", "squashfs", "fuse.snapfuse",
    /* Desktop and container helpers. */
    "fuse.gvfs-fuse-daemon", "fuse.gvfsd-fuse", "fuse.lxcfs", "fuse.portal", NULL};

typedef struct {
    char *path;       /* the mount point's real bytes: the key, and what statvfs() is given */
    char *mountpoint; /* path as UTF-8, for the section and the exclude globs */
    char *type;
    char *device;  /* or NULL */
    guint64 order; /* line of the last mount on path */
} Mount;

struct _VlFilesystems {
    GHashTable *mounts; /* path -> Mount, owned */
    VlMountinfo *parser;
    guint64 lines; /* mount lines parsed */
};

static void on_mount(const VlMount *mount, gpointer user_data);

static void
mount_free(gpointer data)
{
    Mount *m = data;

    g_free(m->path);
    g_free(m->mountpoint);
    g_free(m->type);
    g_free(m->device);
    g_free(m);
}

VlFilesystems *
vl_filesystems_new(void)
{
    VlFilesystems *fs = g_new0(VlFilesystems, 1);

    fs->mounts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, mount_free);
    fs->parser = vl_mountinfo_new(on_mount, fs);
    return fs;
}

void
vl_filesystems_free(VlFilesystems *fs)
{
    if (fs == NULL) {
        return;
    }
    g_hash_table_destroy(fs->mounts);
    vl_mountinfo_free(fs->parser);
    g_free(fs);
}

gboolean
vl_filesystems_type_is_pseudo(const char *type)
{
    if (g_str_has_prefix(type, "cgroup")) {
        return TRUE;
    }
    for (const char *const *t = pseudo_types; *t; t++) {
        if (g_str_equal(type, *t)) {
            return TRUE;
        }
    }
    return FALSE;
}

/* Parsing ---------------------------------------------------------------------------------------
 */

/* One mount line (mountinfo.h): the last mount on a path replaces what was there. */
static void
on_mount(const VlMount *mount, gpointer user_data)
{
    VlFilesystems *fs = user_data;
    Mount *m = g_hash_table_lookup(fs->mounts, mount->path);

    if (m == NULL) {
        if (g_hash_table_size(fs->mounts) >= VL_FILESYSTEMS_TRACKED) {
            return;
        }
        m = g_new0(Mount, 1);
        m->path = g_strdup(mount->path);
        g_hash_table_insert(fs->mounts, m->path, m);
    }
    g_free(m->mountpoint);
    g_free(m->type);
    g_free(m->device);
    m->mountpoint = g_strdup(mount->mountpoint);
    m->type = g_strdup(mount->type);
    m->device = g_strdup(mount->device);
    m->order = fs->lines++;
}

void
vl_filesystems_feed(VlFilesystems *fs, const char *data, gsize len)
{
    vl_mountinfo_feed(fs->parser, data, len);
}

void
vl_filesystems_end(VlFilesystems *fs)
{
    vl_mountinfo_end(fs->parser);
}

/* Writing ---------------------------------------------------------------------------------------
 */

static int
compare_order(gconstpointer a, gconstpointer b)
{
    const Mount *x = *(const Mount *const *)a;
    const Mount *y = *(const Mount *const *)b;

    return x->order < y->order ? -1 : x->order > y->order;
}

/* Size and space used as df counts them; FALSE when statvfs() fails or the figures overflow. */
static gboolean
mount_sizes(const VlCollectContext *ctx, const char *path, gint64 *ret_total, gint64 *ret_used)
{
    g_autofree char *full = vl_collect_path(ctx, path);
    struct statvfs st;
    guint64 frsize, total, used;

    if (statvfs(full, &st) < 0) {
        return FALSE;
    }
    frsize = st.f_frsize ? st.f_frsize : st.f_bsize;
    if (st.f_bfree > st.f_blocks || !g_uint64_checked_mul(&total, st.f_blocks, frsize) ||
        !g_uint64_checked_mul(&used, st.f_blocks - st.f_bfree, frsize) || total > G_MAXINT64) {
        return FALSE;
    }
    *ret_total = (gint64)total;
    *ret_used = (gint64)used;
    return TRUE;
}

void
vl_filesystems_write(const VlFilesystems *fs, const char *const *exclude,
                     const VlCollectContext *size_ctx, VlJsonBuilder *b)
{
    g_autoptr(GPtrArray) list = g_ptr_array_sized_new(g_hash_table_size(fs->mounts));
    GHashTableIter iter;
    gpointer value;
    guint written = 0;

    g_hash_table_iter_init(&iter, fs->mounts);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        g_ptr_array_add(list, value);
    }
    g_ptr_array_sort(list, compare_order);
    vl_json_builder_begin_array(b);
    for (guint i = 0; i < list->len && written < VL_FILESYSTEMS_MAX; i++) {
        const Mount *m = list->pdata[i];
        gint64 total, used;

        if ((vl_filesystems_type_is_pseudo(m->type) && !g_str_equal(m->path, "/")) ||
            vl_collect_excluded(exclude, m->mountpoint)) {
            continue;
        }
        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "mountpoint");
        vl_json_builder_add_string(b, m->mountpoint);
        vl_json_builder_member(b, "type");
        vl_json_builder_add_string(b, m->type);
        if (m->device) {
            vl_json_builder_member(b, "device");
            vl_json_builder_add_string(b, m->device);
        }
        if (size_ctx && mount_sizes(size_ctx, m->path, &total, &used)) {
            vl_json_builder_member(b, "total_bytes");
            vl_json_builder_add_int(b, total);
            vl_json_builder_member(b, "used_bytes");
            vl_json_builder_add_int(b, used);
        }
        vl_json_builder_end_object(b);
        written++;
    }
    vl_json_builder_end_array(b);
}

/* Collecting ------------------------------------------------------------------------------------
 */

static gboolean
collect_filesystems(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autoptr(VlFilesystems) fs = vl_filesystems_new();

    if (!vl_mountinfo_read(ctx, on_mount, fs, error)) {
        return FALSE;
    }
    vl_filesystems_write(fs, ctx->fs_exclude, ctx, b);
    return TRUE;
}

const VlCollector vl_collector_filesystems = {
    .name = "filesystems",
    .collect = collect_filesystems,
};
