/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory for secrets (passwords, one-time tokens): each VlSecret is its own anonymous mapping,
 * locked in RAM where the system allows it (else a one-time warning, and it is still wiped),
 * left out of core dumps, zeroed in any forked child, and wiped before it is unmapped. Never
 * log its contents. Also the kernel's random numbers, which the secrets are made from.
 *
 * The interface is platform-neutral; linux/secmem.c implements it (mmap, mlock, madvise,
 * explicit_bzero, getrandom). Errors are G_IO_ERROR from the failing system call.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VlSecret VlSecret;

/* A zeroed secret of LEN bytes, followed by at least one NUL so text can be used as a string.
 * Fails only when the system cannot map memory. */
VlSecret *vl_secret_new(gsize len, GError **error);
/* A secret holding a copy of LEN bytes of DATA (the caller wipes its own copy). */
VlSecret *vl_secret_new_from_data(const void *data, gsize len, GError **error);
/* Wipes and unmaps. NULL is allowed. */
void vl_secret_free(VlSecret *secret);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlSecret, vl_secret_free)

char *vl_secret_data(VlSecret *secret);
gsize vl_secret_len(const VlSecret *secret);
/* Whether the memory is locked in RAM (mlock succeeded), for diagnostics and tests. */
gboolean vl_secret_is_locked(const VlSecret *secret);

/* Fills BUF with LEN bytes from the kernel's CSPRNG, blocking until it is seeded. */
gboolean vl_secmem_random(void *buf, gsize len, GError **error);

/* For tests only: called with every secret's whole mapping after it is wiped and just before it
 * is unmapped, so a test can check that nothing is left. NULL removes the hook. */
typedef void (*VlSecmemReleaseHook)(const void *mem, gsize size, gpointer user_data);
void vl_secmem_set_release_hook(VlSecmemReleaseHook hook, gpointer user_data);

G_END_DECLS
