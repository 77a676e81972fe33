/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Linux collectors, one per report section, each defined in linux/<section>.c. The list
 * vl_collectors[] (vl-collector.h) is made of these, in report order.
 */
#pragma once

#include "vl-collector.h"

G_BEGIN_DECLS

extern const VlCollector vl_collector_os;
extern const VlCollector vl_collector_host;
extern const VlCollector vl_collector_network;
extern const VlCollector vl_collector_memory;
extern const VlCollector vl_collector_applications;
extern const VlCollector vl_collector_filesystems;
extern const VlCollector vl_collector_users;
extern const VlCollector vl_collector_cpu;

G_END_DECLS
