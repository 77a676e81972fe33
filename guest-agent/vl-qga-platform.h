/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the QEMU guest agent commands need from the system beyond the report's collectors
 * (issue 8); linux/qga-*.c implement it from sysfs, mountinfo and utmp, below ctx->root. Each
 * writes its command's return value to the builder, in qemu-ga's shape.
 */
#pragma once

#include "vl-collector.h"

G_BEGIN_DECLS

/* guest-get-vcpus: [{"logical-id", "online", "can-offline"}], by logical id. */
gboolean vl_qga_write_vcpus(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error);
/* guest-get-memory-block-info: {"size"} of a memory block. */
gboolean vl_qga_write_memory_block_info(const VlCollectContext *ctx, VlJsonBuilder *b,
                                        GError **error);
/* guest-get-users: [{"user", "login-time"}], each user once with their first login (utmp). */
gboolean vl_qga_write_users(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error);

/* What the agent keeps between requests while it still holds (linux/qga-os.c). */
typedef struct _VlQgaCache VlQgaCache;
VlQgaCache *vl_qga_cache_new(void);
void vl_qga_cache_free(VlQgaCache *cache);
/*
 * guest-get-osinfo: the os section's values (os-release, the kernel) in qemu-ga's names and
 * order. CACHE (may be NULL) keeps them while the os-release file they came from is unchanged
 * (the same file, size, modification and change times), so a request costs a stat(2).
 */
gboolean vl_qga_write_osinfo(const VlCollectContext *ctx, VlQgaCache *cache, VlJsonBuilder *b,
                             GError **error);

/* guest-network-get-interfaces: [{"name", "hardware-address", "ip-addresses", "statistics"}],
 * of this network namespace (ctx->root is not used: the kernel answers). */
gboolean vl_qga_write_interfaces(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error);

/* guest-get-fsinfo: [{"name", "mountpoint", "type", "used-bytes", "total-bytes", "disk"}] of
 * the mounts on block devices, the last mounted first (linux/qga-fsinfo.c). CACHE (may be
 * NULL) keeps the list of mounts while the kernel says the mount table is unchanged. */
gboolean vl_qga_write_fsinfo(const VlCollectContext *ctx, VlQgaCache *cache, VlJsonBuilder *b,
                             GError **error);
/* guest-get-disks: [{"name", "partition", "dependencies", "address", "alias"}] of the block
 * devices and their partitions (linux/qga-disks.c). */
gboolean vl_qga_write_disks(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error);

G_END_DECLS
