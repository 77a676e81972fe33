/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mountinfo push parser (mountinfo.h): lines split as they stream in, each parsed alone. */
#include "mountinfo.h"

#include <string.h>

/* More than this is not a mountinfo: stop instead of reading forever. */
#define MOUNTINFO_FILE_MAX ((guint64)256 << 20)

struct _VlMountinfo {
    VlMountFunc func;
    gpointer user_data;
    GString *line;
    gboolean line_long; /* the line is over VL_MOUNTINFO_LINE_MAX: skipped */
};

VlMountinfo *
vl_mountinfo_new(VlMountFunc func, gpointer user_data)
{
    VlMountinfo *mi = g_new0(VlMountinfo, 1);

    mi->func = func;
    mi->user_data = user_data;
    mi->line = g_string_new(NULL);
    return mi;
}

void
vl_mountinfo_free(VlMountinfo *mi)
{
    if (mi == NULL) {
        return;
    }
    g_string_free(mi->line, TRUE);
    g_free(mi);
}

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

/* "MAJ:MIN", each decimal and at most 32 bits. */
static gboolean
parse_dev(const char *s, guint *ret_major, guint *ret_minor)
{
    const char *colon = strchr(s, ':');
    g_autofree char *major = NULL;
    guint64 a, b;

    if (colon == NULL) {
        return FALSE;
    }
    major = g_strndup(s, (gsize)(colon - s));
    if (!vl_collect_all_digits(major) || !vl_collect_all_digits(colon + 1) ||
        !g_ascii_string_to_unsigned(major, 10, 0, G_MAXUINT32, &a, NULL) ||
        !g_ascii_string_to_unsigned(colon + 1, 10, 0, G_MAXUINT32, &b, NULL)) {
        return FALSE;
    }
    *ret_major = (guint)a;
    *ret_minor = (guint)b;
    return TRUE;
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" */
static void
parse_line(VlMountinfo *mi, const char *s, gsize len)
{
    g_autofree char *copy = NULL;
    g_auto(GStrv) f = NULL;
    g_autofree char *path = NULL;
    g_autofree char *raw_type = NULL;
    g_autofree char *source = NULL;
    g_autofree char *mountpoint = NULL;
    g_autofree char *type = NULL;
    g_autofree char *device = NULL;
    VlMount m = {0};
    guint n, sep;

    if (len == 0 || memchr(s, '\0', len) != NULL) {
        return;
    }
    copy = g_strndup(s, len);
    f = g_strsplit(copy, " ", -1);
    n = g_strv_length(f);
    /* Six fields, optional fields up to "-", then type, source and superblock options. */
    for (sep = 6; sep < n && !g_str_equal(f[sep], "-"); sep++) {
    }
    if (sep + 3 >= n || !vl_collect_all_digits(f[0]) || !vl_collect_all_digits(f[1]) ||
        !parse_dev(f[2], &m.major, &m.minor) || f[4][0] != '/') {
        return;
    }
    path = unescape(f[4]);
    raw_type = unescape(f[sep + 1]);
    source = unescape(f[sep + 2]);
    if (path == NULL || raw_type == NULL || source == NULL || raw_type[0] == '\0') {
        return;
    }
    mountpoint = to_utf8(path, VL_MOUNTINFO_PATH_MAX);
    type = to_utf8(raw_type, VL_MOUNTINFO_TYPE_MAX);
    device = to_utf8(source, VL_MOUNTINFO_PATH_MAX);
    if (mountpoint == NULL || type == NULL || device == NULL) {
        return;
    }
    m.path = path;
    m.mountpoint = mountpoint;
    m.type = type;
    m.source = source;
    m.device = device[0] ? device : NULL;
    mi->func(&m, mi->user_data);
}

static void
line_end(VlMountinfo *mi)
{
    if (!mi->line_long) {
        parse_line(mi, mi->line->str, mi->line->len);
    }
    g_string_truncate(mi->line, 0);
    mi->line_long = FALSE;
}

static void
line_append(VlMountinfo *mi, const char *data, gsize len)
{
    if (mi->line_long) {
        return;
    }
    if (len > VL_MOUNTINFO_LINE_MAX - mi->line->len) {
        mi->line_long = TRUE;
        g_string_truncate(mi->line, 0);
        return;
    }
    g_string_append_len(mi->line, data, (gssize)len);
}

void
vl_mountinfo_feed(VlMountinfo *mi, const char *data, gsize len)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        gsize n = nl ? (gsize)(nl - data) : len;

        line_append(mi, data, n);
        if (nl == NULL) {
            return;
        }
        line_end(mi);
        data += n + 1;
        len -= n + 1;
    }
}

void
vl_mountinfo_end(VlMountinfo *mi)
{
    if (mi->line->len > 0 || mi->line_long) {
        line_end(mi);
    }
}

/* Streams the file into the parser: /proc files have no size to trust, and may be long. */
static void
feed_chunk(const char *data, gsize len, gpointer user_data)
{
    vl_mountinfo_feed(user_data, data, len);
}

gboolean
vl_mountinfo_read(const VlCollectContext *ctx, VlMountFunc func, gpointer user_data, GError **error)
{
    g_autoptr(VlMountinfo) mi = vl_mountinfo_new(func, user_data);

    if (!vl_collect_stream(ctx, VL_MOUNTINFO_PATH, MOUNTINFO_FILE_MAX, feed_chunk, mi, error)) {
        return FALSE;
    }
    vl_mountinfo_end(mi);
    return TRUE;
}
