/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Throttling of password attempts per source: after each failure a source waits 1 s, then 2, 4,
 * ... up to a maximum; a success forgets it. While one attempt of a source is being checked (an
 * scrypt hash takes ~0.3 s), its next attempts are refused too, so a client cannot queue a
 * hundred guesses before the first one fails.
 *
 * The table is bounded: when it is full the source that failed longest ago is forgotten, so a
 * flood of addresses costs a fixed amount of memory. That lets an attacker with many addresses
 * push its own out, but such an attacker gets a fresh delay from each address anyway. IPv6
 * sources are keyed by their /64, the block one client usually owns.
 *
 * Time is passed in (monotonic microseconds) so that tests need not sleep.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_THROTTLE_DEFAULT_MAX_ENTRIES 4096

typedef struct _VlThrottle VlThrottle;

/* Delays double from 1 s up to max_delay_s; at most max_entries sources are remembered. */
VlThrottle *vl_throttle_new(guint max_delay_s, guint max_entries);
void vl_throttle_free(VlThrottle *throttle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlThrottle, vl_throttle_free)

/* The key for an address: the address itself, or for IPv6 its /64 ("2001:db8:1:2::/64").
 * NULL (the local socket) gives "local". */
char *vl_throttle_key_for_address(const char *address);

/*
 * Starts an attempt of key at now_us: TRUE when it may go on (it is then "in progress" until
 * vl_throttle_end). FALSE when it must wait, with *ret_retry_s the seconds left (at least 1);
 * an attempt already in progress for key also answers FALSE.
 */
gboolean vl_throttle_begin(VlThrottle *throttle, const char *key, gint64 now_us,
                           guint *ret_retry_s);
/* Ends the attempt of key: a success forgets key; a failure makes it wait the next delay. An
 * attempt that did not get as far as the password (bad parameters) ends with neither: use
 * vl_throttle_cancel. */
void vl_throttle_end(VlThrottle *throttle, const char *key, gboolean success, gint64 now_us);
void vl_throttle_cancel(VlThrottle *throttle, const char *key);

/* Sources remembered now (tests). */
guint vl_throttle_size(const VlThrottle *throttle);

G_END_DECLS
