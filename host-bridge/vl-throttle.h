/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Throttling of password attempts per source: after each failure a source waits 1 s, then 2, 4,
 * ... up to a maximum; a success forgets it. While one attempt of a source is being checked (an
 * scrypt hash takes ~0.3 s), its next attempts are refused too, so a client cannot queue a
 * hundred guesses before the first one fails.
 *
 * A source is an IPv4 address or an IPv6 /64 (the block one client usually owns). An attacker
 * with a whole IPv6 allocation has many /64s, so failures are also counted per /56 and per /48:
 * past VL_THROTTLE_NET56_FREE (resp. _NET48_FREE) failures, every source inside waits too, with
 * the same doubling. Above them all, at most VL_THROTTLE_GLOBAL_PER_MINUTE failures per minute
 * are allowed bridge-wide: beyond that every TLS attempt waits until the minute has passed (the
 * local socket, root, is never held by others' failures).
 *
 * The table is bounded, and an entry that is being checked or still inside its delay is never
 * forgotten to make room: a flood of addresses cannot wash out a source's backoff. When the
 * table holds only such entries, new sources are refused (VL_RPC_RATE_LIMITED) until some
 * delays end.
 *
 * Time is passed in (monotonic microseconds) so that tests need not sleep.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_THROTTLE_DEFAULT_MAX_ENTRIES 4096
/* Failures of a /56 (/48) before its sources wait for it too. */
#define VL_THROTTLE_NET56_FREE 8
#define VL_THROTTLE_NET48_FREE 32
#define VL_THROTTLE_GLOBAL_PER_MINUTE 30

typedef struct _VlThrottle VlThrottle;

/* Delays double from 1 s up to max_delay_s; at most max_entries keys are remembered. */
VlThrottle *vl_throttle_new(guint max_delay_s, guint max_entries);
void vl_throttle_free(VlThrottle *throttle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlThrottle, vl_throttle_free)

/* Failed attempts allowed per minute bridge-wide (tests; default VL_THROTTLE_GLOBAL_PER_MINUTE,
 * at most 1024). */
void vl_throttle_set_global_limit(VlThrottle *throttle, guint failures_per_minute);

/* The key for an address: the address itself, or for IPv6 its /64 ("2001:db8:1:2::/64").
 * NULL (the local socket) gives "local". */
char *vl_throttle_key_for_address(const char *address);

/*
 * Starts an attempt from address (NULL: the local socket; anything not an IP address is its own
 * key) at now_us: TRUE when it may go on (it is then "in progress" until vl_throttle_end).
 * FALSE when it must wait, with *ret_retry_s the seconds left (at least 1) and a VL_CALL_ERROR
 * VL_RPC_RATE_LIMITED saying why: this source, its network, the whole bridge, or a table full
 * of waiting sources. An attempt already in progress for the source also answers FALSE.
 */
gboolean vl_throttle_begin(VlThrottle *throttle, const char *address, gint64 now_us,
                           guint *ret_retry_s, GError **error);
/* Ends the attempt of address: a success forgets its source; a failure makes the source wait
 * the next delay and counts for its networks and the bridge. An attempt that did not get as far
 * as the password (bad parameters) ends with neither: use vl_throttle_cancel. */
void vl_throttle_end(VlThrottle *throttle, const char *address, gboolean success, gint64 now_us);
void vl_throttle_cancel(VlThrottle *throttle, const char *address);

/* Keys remembered now (tests). */
guint vl_throttle_size(const VlThrottle *throttle);

G_END_DECLS
