/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Changes to the addresses of another process's network namespace, made over rtnetlink
 * without starting a program per change (so a timing covers the change, not ip's startup).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BenchNetns BenchNetns;

/* An rtnetlink socket inside the network namespace of process pid. */
BenchNetns *bench_netns_open(GPid pid, GError **error);
void bench_netns_free(BenchNetns *ns);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BenchNetns, bench_netns_free)
/* Adds or removes an IPv4 address/32 on the namespace's loopback; returns once the kernel
 * has acknowledged the change. */
gboolean bench_netns_set_address(BenchNetns *ns, const char *ipv4, gboolean add, GError **error);

G_END_DECLS
