/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "qga-cache.h"

VlQgaCache *
vl_qga_cache_new(void)
{
    return g_new0(VlQgaCache, 1);
}

void
vl_qga_cache_free(VlQgaCache *cache)
{
    if (cache) {
        vl_qga_os_cache_free(cache->os);
        vl_qga_mounts_free(cache->mounts);
        g_free(cache);
    }
}
