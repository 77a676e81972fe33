/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Block devices in sysfs below the root, walked as qemu-ga 7.2 walks them (block-devices.h). */
#include "block-devices.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "udev-device.h"

struct _VlBlockSys {
    const VlCollectContext *ctx;
    char *real_root; /* the root resolved, without a trailing "/": "" for "/"; NULL: unusable */
};

/* One walk of vl_block_sys_disks(): what is left of its budget. */
typedef struct {
    const VlBlockSys *sys;
    GPtrArray *disks; /* found, in the order found */
    guint visits;
} Walk;

VlBlockSys *
vl_block_sys_new(const VlCollectContext *ctx)
{
    VlBlockSys *sys = g_new0(VlBlockSys, 1);

    sys->ctx = ctx;
    if (g_str_equal(ctx->root, "/")) {
        sys->real_root = g_strdup("");
    } else {
        sys->real_root = realpath(ctx->root, NULL);
    }
    return sys;
}

void
vl_block_sys_free(VlBlockSys *sys)
{
    if (sys) {
        free(sys->real_root);
        g_free(sys);
    }
}

/*
 * The path with every link resolved, as realpath(3) gives it (malloc'd), but in three system
 * calls rather than a readlink(2) for each component: the kernel walks the path once for an
 * O_PATH descriptor and names where it ended. realpath() where /proc is not mounted.
 */
static char *
real_path(const char *path)
{
    char proc[64];
    char target[PATH_MAX];
    ssize_t n;
    int fd = open(path, O_PATH | O_CLOEXEC);

    if (fd < 0) {
        return NULL;
    }
    g_snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    n = readlink(proc, target, sizeof target);
    close(fd);
    if (n <= 0 || (gsize)n >= sizeof target || target[0] != '/') {
        return realpath(path, NULL);
    }
    target[n] = '\0';
    return strdup(target);
}

char *
vl_block_sys_resolve(const VlBlockSys *sys, const char *path)
{
    g_autofree char *full = NULL;
    char *real;
    gsize root_len;
    char *inside;

    if (sys->real_root == NULL || strlen(path) >= PATH_MAX) {
        return NULL;
    }
    full = vl_collect_path(sys->ctx, path);
    real = real_path(full);
    if (real == NULL) {
        return NULL;
    }
    root_len = strlen(sys->real_root);
    if (strncmp(real, sys->real_root, root_len) != 0 || (real[root_len] != '/')) {
        free(real); /* out of the root (a link to an absolute path in a fixture tree) */
        return NULL;
    }
    inside = g_strdup(real + root_len);
    free(real);
    return inside;
}

gboolean
vl_block_sys_is_virtual(const char *syspath)
{
    return strstr(syspath, "/devices/virtual/block/") != NULL;
}

/* The entry's type, from lstat() where the folder does not tell it. */
static unsigned char
entry_type(const char *dir, const struct dirent *e)
{
    g_autofree char *path = NULL;
    struct stat st;

    if (e->d_type != DT_UNKNOWN) {
        return e->d_type;
    }
    path = g_build_filename(dir, e->d_name, NULL);
    if (lstat(path, &st) < 0) {
        return DT_UNKNOWN;
    }
    return S_ISLNK(st.st_mode) ? DT_LNK : S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
}

GPtrArray *
vl_block_sys_list(const VlBlockSys *sys, const char *path, VlBlockEntries which)
{
    char *full = vl_collect_path(sys->ctx, path);
    GPtrArray *names;
    struct dirent *e;
    DIR *dir = opendir(full);

    if (dir == NULL) {
        int saved = errno; /* for the caller's message */

        g_free(full);
        errno = saved;
        return NULL;
    }
    names = g_ptr_array_new_with_free_func(g_free);
    while (names->len < VL_BLOCK_ENTRIES_MAX && (e = readdir(dir)) != NULL) {
        unsigned char type;

        if (g_str_equal(e->d_name, ".") || g_str_equal(e->d_name, "..")) {
            continue;
        }
        type = which == VL_BLOCK_ANY ? DT_UNKNOWN : entry_type(full, e);
        if ((which == VL_BLOCK_LINKS && type != DT_LNK) ||
            (which == VL_BLOCK_DIRS && type != DT_DIR)) {
            continue;
        }
        g_ptr_array_add(names, g_strdup(e->d_name));
    }
    closedir(dir);
    g_free(full);
    return names;
}

static gboolean
load(const VlBlockSys *sys, const char *path, VlUdevDevice *ret)
{
    g_autofree char *syspath = vl_block_sys_resolve(sys, path);

    *ret = (VlUdevDevice){NULL};
    return syspath && vl_udev_device_load(sys->ctx, syspath, ret);
}

char *
vl_block_sys_devnode(const VlBlockSys *sys, const char *path)
{
    g_auto(VlUdevDevice) d = {NULL};

    return load(sys, path, &d) ? vl_udev_device_devnode(&d) : NULL;
}

char *
vl_block_sys_property(const VlBlockSys *sys, const char *path, const char *key)
{
    g_auto(VlUdevDevice) d = {NULL};
    g_autofree char *value = load(sys, path, &d) ? vl_udev_device_property(&d, key) : NULL;

    return value && value[0] ? g_steal_pointer(&value) : NULL;
}

/* Lookups of disk-address.h in sysfs ------------------------------------------------------ */

static char *
lookup_driver(const char *syspath, gsize len, gpointer user_data)
{
    const VlBlockSys *sys = user_data;
    g_autofree char *device = g_strndup(syspath, len);
    g_autofree char *link = g_build_filename(device, "driver", NULL);
    g_autofree char *full = vl_collect_path(sys->ctx, link);
    char target[PATH_MAX];
    ssize_t n = readlink(full, target, sizeof(target) - 1);

    if (n < 0) {
        return NULL;
    }
    target[n] = '\0';
    return g_path_get_basename(target);
}

/* "hostN" or "ataN": N, as qemu-ga's sscanf("host%d") reads it. */
static gboolean
host_number(const char *name, const char *prefix, guint *ret)
{
    guint64 n = 0;
    const char *p;

    if (!g_str_has_prefix(name, prefix)) {
        return FALSE;
    }
    p = name + strlen(prefix);
    if (!g_ascii_isdigit(*p)) {
        return FALSE;
    }
    for (; g_ascii_isdigit(*p) && n <= G_MAXINT32; p++) {
        n = n * 10 + (guint64)(*p - '0');
    }
    if (n > G_MAXINT32) {
        return FALSE;
    }
    *ret = (guint)n;
    return TRUE;
}

static int
lookup_hosts(const char *syspath, gsize len, gboolean ata, guint *ret, guint max,
             gpointer user_data)
{
    const VlBlockSys *sys = user_data;
    g_autofree char *folder = g_strndup(syspath, len);
    g_autoptr(GPtrArray) names = vl_block_sys_list(sys, folder, VL_BLOCK_ANY);
    guint n = 0;

    if (names == NULL) {
        return -1;
    }
    for (guint i = 0; i < names->len && n < max; i++) {
        if (host_number(names->pdata[i], ata ? "ata" : "host", &ret[n])) {
            n++;
        }
    }
    return (int)n;
}

/* Walking ---------------------------------------------------------------------------------- */

/* A disk that is not virtual: its address, when anything at all is known of it. */
static VlDiskAddress *
real_device(const VlBlockSys *sys, const char *syspath)
{
    const VlDiskLookup lookup = {lookup_driver, lookup_hosts, (gpointer)sys};
    g_autoptr(VlDiskAddress) a = vl_disk_address_new();
    g_auto(VlUdevDevice) d = {NULL};
    gboolean known;

    if (vl_udev_device_load(sys->ctx, syspath, &d)) {
        a->dev = vl_udev_device_devnode(&d);
        a->serial = vl_udev_device_property(&d, "ID_SERIAL");
        if (a->serial && a->serial[0] == '\0') {
            g_clear_pointer(&a->serial, g_free);
        }
    }
    known = vl_disk_address_parse(syspath, &lookup, a);
    return known || a->dev || a->serial ? g_steal_pointer(&a) : NULL;
}

static void
walk(Walk *w, const char *path, guint depth, char **name)
{
    g_autofree char *syspath = NULL;

    if (w->visits >= VL_BLOCK_VISITS_MAX) {
        return;
    }
    w->visits++;
    syspath = vl_block_sys_resolve(w->sys, path);
    if (*name == NULL) {
        *name = g_path_get_basename(syspath ? syspath : path);
    }
    if (syspath == NULL) {
        return; /* as qemu-ga: a device that is not there (a container) has no disks */
    }
    if (vl_block_sys_is_virtual(syspath)) {
        g_autofree char *slaves = g_build_filename(syspath, "slaves", NULL);
        g_autoptr(GPtrArray) names = NULL;

        if (depth >= VL_BLOCK_DEPTH_MAX) {
            return;
        }
        names = vl_block_sys_list(w->sys, slaves, VL_BLOCK_LINKS);
        for (guint i = 0; names && i < names->len; i++) {
            g_autofree char *slave = g_build_filename(slaves, names->pdata[i], NULL);

            walk(w, slave, depth + 1, name);
        }
    } else if (w->disks->len < VL_BLOCK_DISKS_MAX) {
        VlDiskAddress *a = real_device(w->sys, syspath);

        if (a) {
            g_ptr_array_add(w->disks, a);
        }
    }
}

char *
vl_block_sys_disks(const VlBlockSys *sys, const char *path, GPtrArray *disks)
{
    g_autoptr(GPtrArray) found = g_ptr_array_new();
    Walk w = {sys, found, 0};
    char *name = NULL;

    walk(&w, path, 0, &name);
    /* qemu-ga prepends each disk it finds. */
    for (guint i = found->len; i > 0; i--) {
        g_ptr_array_add(disks, found->pdata[i - 1]);
    }
    return name;
}
