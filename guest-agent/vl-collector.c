/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-collector.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* clang-format off */
G_DEFINE_QUARK(vl-collector-error-quark, vl_collector_error)
/* clang-format on */

char *
vl_collect_path(const VlCollectContext *ctx, const char *path)
{
    if (g_str_equal(ctx->root, "/")) {
        return g_strdup(path);
    }
    return g_build_filename(ctx->root, path, NULL);
}

#define STREAM_CHUNK 65536

gboolean
vl_collect_stream(const VlCollectContext *ctx, const char *path, guint64 max_size,
                  VlCollectFeedFunc feed, gpointer user_data, GError **error)
{
    g_autofree char *full = vl_collect_path(ctx, path);
    g_autofree char *buf = NULL;
    guint64 total = 0;
    int fd;

    /* Files in /proc report size 0: read to the end, bounded, instead of trusting st_size. */
    fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, VL_COLLECTOR_ERROR,
                    saved == ENOENT ? VL_COLLECTOR_ERROR_MISSING : VL_COLLECTOR_ERROR_READ,
                    "cannot open %s: %s", full, g_strerror(saved));
        return FALSE;
    }
    buf = g_malloc(STREAM_CHUNK);
    for (;;) {
        ssize_t n = read(fd, buf, STREAM_CHUNK);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int saved = errno;
            close(fd);
            g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ, "cannot read %s: %s",
                        full, g_strerror(saved));
            return FALSE;
        }
        if (n == 0) {
            break;
        }
        total += (guint64)n;
        if (total > max_size) {
            close(fd);
            g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ,
                        "%s is larger than %" G_GUINT64_FORMAT " bytes", full, max_size);
            return FALSE;
        }
        feed(buf, (gsize)n, user_data);
    }
    close(fd);
    return TRUE;
}

static void
append_to_string(const char *data, gsize len, gpointer user_data)
{
    g_string_append_len(user_data, data, (gssize)len);
}

gboolean
vl_collect_read(const VlCollectContext *ctx, const char *path, gsize max_size, char **ret_contents,
                gsize *ret_len, GError **error)
{
    GString *contents = g_string_new(NULL);

    if (!vl_collect_stream(ctx, path, max_size, append_to_string, contents, error)) {
        g_string_free(contents, TRUE);
        return FALSE;
    }
    if (ret_len) {
        *ret_len = contents->len;
    }
    *ret_contents = g_string_free(contents, FALSE);
    return TRUE;
}

gboolean
vl_collect_excluded(const char *const *globs, const char *name)
{
    for (const char *const *g = globs; g && *g; g++) {
        if (g_pattern_match_simple(*g, name)) {
            return TRUE;
        }
    }
    return FALSE;
}

gboolean
vl_collect_all_digits(const char *s)
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
