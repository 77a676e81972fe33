/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Linux collectors, in report order. */
#include "vl-collector.h"
#include "vl-collectors-linux.h"

const VlCollector *const vl_collectors[] = {
    &vl_collector_os,     &vl_collector_host,         &vl_collector_network,
    &vl_collector_memory, &vl_collector_applications, &vl_collector_filesystems,
    &vl_collector_users,  &vl_collector_cpu,          NULL,
};

const VlCollector *
vl_collector_lookup(const char *name)
{
    for (const VlCollector *const *c = vl_collectors; *c; c++) {
        if (g_str_equal((*c)->name, name)) {
            return *c;
        }
    }
    return NULL;
}
