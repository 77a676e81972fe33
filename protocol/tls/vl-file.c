/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_INFIX ".tmp-"
#define TMP_RANDOM_LEN 12
#define TMP_ATTEMPTS 16

static gboolean
is_leftover(const char *name, const char *base)
{
    gsize base_len = strlen(base);
    const char *rest;

    if (name[0] != '.' || strncmp(name + 1, base, base_len) != 0) {
        return FALSE;
    }
    rest = name + 1 + base_len;
    if (!g_str_has_prefix(rest, TMP_INFIX)) {
        return FALSE;
    }
    rest += strlen(TMP_INFIX);
    if (strlen(rest) != TMP_RANDOM_LEN) {
        return FALSE;
    }
    for (const char *c = rest; *c; c++) {
        if (!g_ascii_isxdigit(*c)) {
            return FALSE;
        }
    }
    return TRUE;
}

/* Removes temporary files a crash left behind; failing to is no reason to fail the write. */
static void
remove_leftovers(int dirfd, const char *base)
{
    int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    DIR *dir;
    struct dirent *entry;

    if (fd < 0) {
        return;
    }
    dir = fdopendir(fd);
    if (dir == NULL) {
        close(fd);
        return;
    }
    while ((entry = readdir(dir)) != NULL) {
        if (is_leftover(entry->d_name, base)) {
            unlinkat(dirfd, entry->d_name, 0);
        }
    }
    closedir(dir);
}

static gboolean
write_all(int fd, const char *data, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return FALSE;
        }
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/*
 * Creates ".<base>.tmp-<12 hex digits>" in dirfd, mode 0600; the name goes to ret_name. O_EXCL
 * (which also refuses a symlink planted at the name) makes a guessed name harmless, so GLib's
 * generator is enough.
 */
static int
create_temp(int dirfd, const char *base, char **ret_name)
{
    for (guint attempt = 0; attempt < TMP_ATTEMPTS; attempt++) {
        g_autofree char *name = g_strdup_printf(".%s" TMP_INFIX "%04x%08x", base,
                                                g_random_int() & 0xffff, g_random_int());
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd >= 0 || errno != EEXIST) {
            *ret_name = fd >= 0 ? g_steal_pointer(&name) : NULL;
            return fd;
        }
    }
    errno = EEXIST;
    return -1;
}

/* Mode, content, flush: the failed step, or NULL. */
static const char *
fill_temp(int fd, const char *data, gsize len, int *ret_errno)
{
    const char *step = NULL;

    /* The umask may have taken bits away; the owner must keep read and write. */
    if (fchmod(fd, 0600) < 0) {
        step = "setting mode 0600";
    } else if (!write_all(fd, data, len)) {
        step = "writing";
    } else if (fsync(fd) < 0) {
        step = "flushing to disk";
    }
    *ret_errno = step ? errno : 0;
    return step;
}

gboolean
vl_file_replace(const char *path, const char *data, gsize len, const char **ret_step,
                int *ret_errno)
{
    g_autofree char *dir_path = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp_name = NULL;
    const char *step = NULL;
    int errsv = 0;
    int dirfd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int fd;

    if (dirfd < 0) {
        *ret_step = "opening its folder";
        *ret_errno = errno;
        return FALSE;
    }
    remove_leftovers(dirfd, base);
    fd = create_temp(dirfd, base, &tmp_name);
    if (fd < 0) {
        *ret_step = "creating a temporary file";
        *ret_errno = errno;
        close(dirfd);
        return FALSE;
    }
    step = fill_temp(fd, data, len, &errsv);
    if (close(fd) < 0 && step == NULL) {
        step = "closing";
        errsv = errno;
    }
    if (step == NULL && renameat(dirfd, tmp_name, dirfd, base) < 0) {
        step = "renaming the temporary file over it";
        errsv = errno;
    }
    if (step != NULL) {
        unlinkat(dirfd, tmp_name, 0);
    } else if (fsync(dirfd) < 0) {
        /* The rename is durable only once the folder is. */
        step = "flushing its folder";
        errsv = errno;
    }
    close(dirfd);
    *ret_step = step;
    *ret_errno = errsv;
    return step == NULL;
}
