/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linux side of vl-secmem.h: one anonymous mapping per secret. */
#include "vl-secmem.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

struct _VlSecret {
    char *mem;  /* the mapping, page aligned */
    gsize size; /* of the mapping, whole pages */
    gsize len;  /* bytes in use; mem[len] is NUL */
    gboolean locked;
};

/* Process-wide, like the memory-lock limit they are about: warn once, not for every secret. */
static gint warned_unlocked;
static VlSecmemReleaseHook release_hook;
static gpointer release_hook_data;

static void
set_error_errno(GError **error, int errsv, const char *what)
{
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s: %s", what, g_strerror(errsv));
}

VlSecret *
vl_secret_new(gsize len, GError **error)
{
    gsize page = (gsize)sysconf(_SC_PAGESIZE);
    gsize size;
    VlSecret *s;
    void *mem;

    if (len >= G_MAXSIZE - page) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "secret of %" G_GSIZE_FORMAT " bytes is too large", len);
        return NULL;
    }
    size = (len + 1 + page - 1) / page * page;
    mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        set_error_errno(error, errno, "cannot map memory for a secret");
        return NULL;
    }
    s = g_new0(VlSecret, 1);
    s->mem = mem;
    s->size = size;
    s->len = len;
    if (mlock(mem, size) == 0) {
        s->locked = TRUE;
    } else if (g_atomic_int_compare_and_exchange(&warned_unlocked, 0, 1)) {
        /* EPERM (no CAP_IPC_LOCK) or ENOMEM (RLIMIT_MEMLOCK): secrets may reach swap, but are
         * still wiped; an agent without its usual privileges should still work. */
        g_warning("secrets cannot be locked in memory (%s): they may be swapped out",
                  g_strerror(errno));
    }
    /* Best effort: older kernels lack these, and a secret works without them. */
    (void)madvise(mem, size, MADV_DONTDUMP);
    (void)madvise(mem, size, MADV_WIPEONFORK);
    return s;
}

VlSecret *
vl_secret_new_from_data(const void *data, gsize len, GError **error)
{
    VlSecret *s = vl_secret_new(len, error);

    if (s && len > 0) {
        memcpy(s->mem, data, len);
    }
    return s;
}

void
vl_secret_free(VlSecret *s)
{
    if (s == NULL) {
        return;
    }
    explicit_bzero(s->mem, s->size);
    if (release_hook) {
        release_hook(s->mem, s->size, release_hook_data);
    }
    if (s->locked) {
        (void)munlock(s->mem, s->size);
    }
    munmap(s->mem, s->size);
    g_free(s);
}

char *
vl_secret_data(VlSecret *s)
{
    return s->mem;
}

gsize
vl_secret_len(const VlSecret *s)
{
    return s->len;
}

gboolean
vl_secret_is_locked(const VlSecret *s)
{
    return s->locked;
}

gboolean
vl_secmem_random(void *buf, gsize len, GError **error)
{
    guint8 *p = buf;

    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            set_error_errno(error, errno, "getrandom");
            return FALSE;
        }
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

void
vl_secmem_set_release_hook(VlSecmemReleaseHook hook, gpointer user_data)
{
    release_hook = hook;
    release_hook_data = user_data;
}
