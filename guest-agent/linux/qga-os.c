/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest-get-osinfo on Linux: the os section's values (os.h), kept between requests. qemu-ga
 * reads os-release again for every request; here a stat(2) of it tells whether what was read
 * still holds. The kernel's strings (uname's release, version and machine) are fixed from boot,
 * so they are kept with it (below another root, the files that stand for them are taken to be
 * as fixed).
 */
#include "vl-qga-platform.h"

#include <string.h>
#include <sys/stat.h>

#include "os.h"
#include "qga-cache.h"

typedef struct {
    gboolean exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct timespec ctime;
} FileState;

struct _VlQgaOsCache {
    gboolean valid;
    FileState files[VL_OS_RELEASE_N_PATHS]; /* up to the first that exists */
    VlOsFields os;
};

void
vl_qga_os_cache_free(VlQgaOsCache *os)
{
    if (os) {
        vl_os_fields_clear(&os->os);
        g_free(os);
    }
}

/* As vl_os_read() looks: the first path that exists (through symlinks) is the one read. */
static void
release_state(const VlCollectContext *ctx, FileState ret[VL_OS_RELEASE_N_PATHS])
{
    memset(ret, 0, sizeof(FileState) * VL_OS_RELEASE_N_PATHS);
    for (gsize i = 0; i < VL_OS_RELEASE_N_PATHS; i++) {
        g_autofree char *path = vl_collect_path(ctx, vl_os_release_paths[i]);
        struct stat st;

        if (stat(path, &st) == 0) {
            ret[i] = (FileState){TRUE, st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
            return;
        }
    }
}

static gboolean
same_time(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static gboolean
same_state(const FileState *a, const FileState *b)
{
    for (gsize i = 0; i < VL_OS_RELEASE_N_PATHS; i++) {
        if (a[i].exists != b[i].exists || a[i].dev != b[i].dev || a[i].ino != b[i].ino ||
            a[i].size != b[i].size || !same_time(&a[i].mtime, &b[i].mtime) ||
            !same_time(&a[i].ctime, &b[i].ctime)) {
            return FALSE;
        }
    }
    return TRUE;
}

/* The values, from the cache while the file holds, read again (and kept) when it changed. */
static const VlOsFields *
cached_os(const VlCollectContext *ctx, VlQgaCache *qga, GError **error)
{
    FileState now[VL_OS_RELEASE_N_PATHS];
    VlQgaOsCache *cache;

    if (qga->os == NULL) {
        qga->os = g_new0(VlQgaOsCache, 1);
    }
    cache = qga->os;

    release_state(ctx, now);
    if (cache->valid && same_state(cache->files, now)) {
        return &cache->os;
    }
    cache->valid = FALSE;
    vl_os_fields_clear(&cache->os);
    /* A change between the stat and the read shows at the next request's stat. */
    if (!vl_os_read(ctx, &cache->os, error)) {
        return NULL;
    }
    memcpy(cache->files, now, sizeof now);
    cache->valid = TRUE;
    return &cache->os;
}

gboolean
vl_qga_write_osinfo(const VlCollectContext *ctx, VlQgaCache *cache, VlJsonBuilder *b,
                    GError **error)
{
    g_auto(VlOsFields) fresh = {0};
    const VlOsFields *os = &fresh;

    if (cache) {
        os = cached_os(ctx, cache, error);
        if (os == NULL) {
            return FALSE;
        }
    } else if (!vl_os_read(ctx, &fresh, error)) {
        return FALSE;
    }
    /* qemu-ga's names and order. */
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "name", os->name);
    vl_json_builder_add_member_string(b, "kernel-release", os->kernel_release);
    vl_json_builder_add_member_string(b, "version", os->version);
    vl_json_builder_add_member_string(b, "pretty-name", os->pretty_name);
    vl_json_builder_add_member_string(b, "version-id", os->version_id);
    vl_json_builder_add_member_string(b, "kernel-version", os->kernel_version);
    vl_json_builder_add_member_string(b, "machine", os->arch);
    vl_json_builder_add_member_string(b, "id", os->id);
    vl_json_builder_add_member_string(b, "variant", os->variant);
    vl_json_builder_add_member_string(b, "variant-id", os->variant_id);
    vl_json_builder_end_object(b);
    return TRUE;
}
