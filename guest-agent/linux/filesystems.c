/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filesystems collector on Linux: /proc/1/mountinfo, parsed as it streams in, then
 * statvfs() on each mount point kept. See filesystems.h for what is kept.
 */
#include "filesystems.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "vl-collectors-linux.h"

/* The mounts of init's namespace: the agent's own (systemd's PrivateTmp, ProtectSystem) adds
 * bind mounts the system does not have. */
#define MOUNTINFO_PATH "/proc/1/mountinfo"
#define READ_CHUNK (16 * 1024)
/* More than this is not a mountinfo: stop instead of reading forever. */
#define MOUNTINFO_FILE_MAX ((guint64)256 << 20)

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
    GString *line;
    gboolean line_long; /* the line is over VL_MOUNTINFO_LINE_MAX: skipped */
    guint64 lines;
};

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
    fs->line = g_string_new(NULL);
    return fs;
}

void
vl_filesystems_free(VlFilesystems *fs)
{
    if (fs == NULL) {
        return;
    }
    g_hash_table_destroy(fs->mounts);
    g_string_free(fs->line, TRUE);
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

static gboolean
is_octal(char c)
{
    return c >= '0' && c <= '7';
}

/*
 * Decodes the kernel's \ooo escapes (fs/proc_namespace.c, mangle()); a backslash not followed
 * by three octal digits of a byte stays as it is, as libmount does. NULL when an escape
 * decodes to NUL, which the kernel never writes.
 */
static char *
unescape(const char *s)
{
    gsize len = strlen(s);
    char *out = g_malloc(len + 1);
    gsize n = 0;

    for (gsize i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 3 < len && is_octal(s[i + 1]) && s[i + 1] <= '3' &&
            is_octal(s[i + 2]) && is_octal(s[i + 3])) {
            char c = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));

            if (c == '\0') {
                g_free(out);
                return NULL;
            }
            out[n++] = c;
            i += 3;
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
    return out;
}

/* As UTF-8, invalid bytes shown as U+FFFD; NULL when longer than max bytes then. */
static char *
to_utf8(const char *s, gsize max)
{
    char *out = g_utf8_validate(s, -1, NULL) ? g_strdup(s) : g_utf8_make_valid(s, -1);

    if (strlen(out) > max) {
        g_free(out);
        return NULL;
    }
    return out;
}

static gboolean
all_digits(const char *s)
{
    if (*s == '\0') {
        return FALSE;
    }
    for (; *s; s++) {
        if (!g_ascii_isdigit(*s)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
dev_valid(const char *s)
{
    const char *colon = strchr(s, ':');
    g_autofree char *major = NULL;

    if (colon == NULL) {
        return FALSE;
    }
    major = g_strndup(s, (gsize)(colon - s));
    return all_digits(major) && all_digits(colon + 1);
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" */
static void
parse_line(VlFilesystems *fs, const char *s, gsize len)
{
    g_autofree char *copy = NULL;
    g_auto(GStrv) f = NULL;
    g_autofree char *path = NULL;
    g_autofree char *raw_type = NULL;
    g_autofree char *raw_device = NULL;
    g_autofree char *mountpoint = NULL;
    g_autofree char *type = NULL;
    g_autofree char *device = NULL;
    guint n, sep;
    Mount *m;

    if (len == 0 || memchr(s, '\0', len) != NULL) {
        return;
    }
    copy = g_strndup(s, len);
    f = g_strsplit(copy, " ", -1);
    n = g_strv_length(f);
    /* Six fields, optional fields up to "-", then type, source and superblock options. */
    for (sep = 6; sep < n && !g_str_equal(f[sep], "-"); sep++) {
    }
    if (sep + 3 >= n || !all_digits(f[0]) || !all_digits(f[1]) || !dev_valid(f[2]) ||
        f[4][0] != '/') {
        return;
    }
    path = unescape(f[4]);
    raw_type = unescape(f[sep + 1]);
    raw_device = unescape(f[sep + 2]);
    if (path == NULL || raw_type == NULL || raw_device == NULL || raw_type[0] == '\0') {
        return;
    }
    mountpoint = to_utf8(path, VL_FILESYSTEM_PATH_MAX);
    type = to_utf8(raw_type, VL_FILESYSTEM_TYPE_MAX);
    device = to_utf8(raw_device, VL_FILESYSTEM_PATH_MAX);
    if (mountpoint == NULL || type == NULL || device == NULL) {
        return;
    }

    m = g_hash_table_lookup(fs->mounts, path);
    if (m == NULL) {
        if (g_hash_table_size(fs->mounts) >= VL_FILESYSTEMS_TRACKED) {
            return;
        }
        m = g_new0(Mount, 1);
        m->path = g_steal_pointer(&path);
        g_hash_table_insert(fs->mounts, m->path, m);
    }
    g_free(m->mountpoint);
    g_free(m->type);
    g_free(m->device);
    m->mountpoint = g_steal_pointer(&mountpoint);
    m->type = g_steal_pointer(&type);
    m->device = device[0] ? g_steal_pointer(&device) : NULL;
    m->order = fs->lines;
}

static void
line_end(VlFilesystems *fs)
{
    if (!fs->line_long) {
        parse_line(fs, fs->line->str, fs->line->len);
    }
    fs->lines++;
    g_string_truncate(fs->line, 0);
    fs->line_long = FALSE;
}

static void
line_append(VlFilesystems *fs, const char *data, gsize len)
{
    if (fs->line_long) {
        return;
    }
    if (len > VL_MOUNTINFO_LINE_MAX - fs->line->len) {
        fs->line_long = TRUE;
        g_string_truncate(fs->line, 0);
        return;
    }
    g_string_append_len(fs->line, data, (gssize)len);
}

void
vl_filesystems_feed(VlFilesystems *fs, const char *data, gsize len)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        gsize n = nl ? (gsize)(nl - data) : len;

        line_append(fs, data, n);
        if (nl == NULL) {
            return;
        }
        line_end(fs);
        data += n + 1;
        len -= n + 1;
    }
}

void
vl_filesystems_end(VlFilesystems *fs)
{
    if (fs->line->len > 0 || fs->line_long) {
        line_end(fs);
    }
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

/* Streams mountinfo into the parser: /proc files have no size to trust, and may be long. */
static void
feed_mountinfo(const char *data, gsize len, gpointer user_data)
{
    vl_filesystems_feed(user_data, data, len);
}

static gboolean
read_mountinfo(const VlCollectContext *ctx, VlFilesystems *fs, GError **error)
{
    if (!vl_collect_stream(ctx, MOUNTINFO_PATH, MOUNTINFO_FILE_MAX, feed_mountinfo, fs, error)) {
        return FALSE;
    }
    vl_filesystems_end(fs);
    return TRUE;
}

static gboolean
collect_filesystems(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autoptr(VlFilesystems) fs = vl_filesystems_new();

    if (!read_mountinfo(ctx, fs, error)) {
        return FALSE;
    }
    vl_filesystems_write(fs, ctx->fs_exclude, ctx, b);
    return TRUE;
}

const VlCollector vl_collector_filesystems = {
    .name = "filesystems",
    .collect = collect_filesystems,
};
