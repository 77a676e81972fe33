/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What vmlink-agent keeps between QEMU guest agent requests (VlQgaCache, vl-qga-platform.h):
 * each command's part is made by the file that answers it, on its first request.
 */
#pragma once

#include "vl-qga-platform.h"

G_BEGIN_DECLS

typedef struct _VlQgaOsCache VlQgaOsCache; /* qga-os.c */
typedef struct _VlQgaMounts VlQgaMounts;   /* qga-fsinfo.c */

struct _VlQgaCache {
    VlQgaOsCache *os;
    VlQgaMounts *mounts;
};

void vl_qga_os_cache_free(VlQgaOsCache *os);
void vl_qga_mounts_free(VlQgaMounts *mounts);

G_END_DECLS
