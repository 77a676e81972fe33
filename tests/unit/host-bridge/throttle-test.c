/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The password throttle: delays doubling to a maximum, one attempt at a time per source, a
 * success forgetting, a bounded table that never forgets a waiting source, IPv6 sources by /64
 * and their /56 and /48 counted too, and a bridge-wide limit. Time is passed in: nothing sleeps.
 */
#include <string.h>

#include "vl-check.h"
#include "vl-jsonrpc.h"
#include "vl-throttle.h"

#define S G_USEC_PER_SEC

/* Fails once at now; returns the retry the next attempt at now is told. */
static guint
fail_at(VlThrottle *t, const char *key, gint64 now)
{
    guint retry = 99;

    ck_assert(vl_throttle_begin(t, key, now, &retry, NULL));
    ck_assert_uint_eq(retry, 0);
    vl_throttle_end(t, key, FALSE, now);
    ck_assert(!vl_throttle_begin(t, key, now, &retry, NULL));
    return retry;
}

/* An attempt from key at now, let in, that fails. */
static void
fail_once(VlThrottle *t, const char *key, gint64 now)
{
    guint retry;

    ck_assert(vl_throttle_begin(t, key, now, &retry, NULL));
    vl_throttle_end(t, key, FALSE, now);
}

/* n sources, 198.51.100.0 on, fail once each (fail_at), the i-th at i * step. */
static void
fail_sources(VlThrottle *t, guint n, gint64 step)
{
    for (guint i = 0; i < n; i++) {
        g_autofree char *key = g_strdup_printf("198.51.100.%u", i);

        fail_at(t, key, i * step);
    }
}

START_TEST(test_backoff_doubles_to_max)
{
    g_autoptr(VlThrottle) t = vl_throttle_new(5, 16);
    const guint want[] = {1, 2, 4, 5, 5};
    gint64 now = 1000 * S;

    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        guint retry = fail_at(t, "192.0.2.7", now);

        ck_assert_uint_eq(retry, want[i]);
        /* Half a second before the end: still waiting, rounded up. */
        ck_assert(!vl_throttle_begin(t, "192.0.2.7", now + retry * S - S / 2, &retry, NULL));
        ck_assert_uint_eq(retry, 1);
        now += want[i] * S;
    }
    /* Another source is not affected. */
    {
        guint retry;

        ck_assert(vl_throttle_begin(t, "192.0.2.8", now, &retry, NULL));
        vl_throttle_cancel(t, "192.0.2.8");
    }
}
END_TEST

START_TEST(test_success_forgets_and_cancel_does_not_count)
{
    g_autoptr(VlThrottle) t = vl_throttle_new(300, 16);
    guint retry;

    ck_assert_uint_eq(fail_at(t, "a", 0), 1);
    ck_assert_uint_eq(fail_at(t, "a", 1 * S), 2);
    ck_assert(vl_throttle_begin(t, "a", 3 * S, &retry, NULL));
    vl_throttle_end(t, "a", TRUE, 3 * S);
    ck_assert_uint_eq(vl_throttle_size(t), 0);
    ck_assert_uint_eq(fail_at(t, "a", 4 * S), 1);

    /* A cancelled attempt (bad parameters) neither waits nor counts. */
    ck_assert(vl_throttle_begin(t, "b", 0, &retry, NULL));
    vl_throttle_cancel(t, "b");
    ck_assert(vl_throttle_begin(t, "b", 0, &retry, NULL));
    vl_throttle_cancel(t, "b");
    ck_assert_uint_eq(vl_throttle_size(t), 1);
}
END_TEST

START_TEST(test_one_attempt_at_a_time)
{
    g_autoptr(VlThrottle) t = vl_throttle_new(300, 16);
    guint retry;

    ck_assert(vl_throttle_begin(t, "a", 0, &retry, NULL));
    /* A second guess while the first is being hashed is refused, without hashing. */
    ck_assert(!vl_throttle_begin(t, "a", 0, &retry, NULL));
    ck_assert_uint_eq(retry, 1);
    vl_throttle_end(t, "a", TRUE, 0);
    ck_assert(vl_throttle_begin(t, "a", 0, &retry, NULL));
}
END_TEST

START_TEST(test_bounded_table)
{
    g_autoptr(VlThrottle) t = vl_throttle_new(300, 3);
    g_autoptr(GError) error = NULL;
    guint retry;

    vl_throttle_set_global_limit(t, 1000);
    fail_sources(t, 3, 0);
    /* Full of sources still inside their delay: none is forgotten for a newcomer, who is
     * refused until the first delay ends. */
    ck_assert(!vl_throttle_begin(t, "198.51.100.99", 0, &retry, &error));
    ck_assert(g_error_matches(error, VL_CALL_ERROR, VL_RPC_RATE_LIMITED));
    ck_assert_ptr_nonnull(strstr(error->message, "too many sources are waiting"));
    ck_assert_uint_eq(retry, 1);
    ck_assert_uint_eq(vl_throttle_size(t), 3);
    ck_assert(!vl_throttle_begin(t, "198.51.100.0", 0, &retry, NULL));

    /* Nor is a source whose attempt is being checked. */
    ck_assert(vl_throttle_begin(t, "198.51.100.0", 1 * S, &retry, NULL));
    ck_assert(vl_throttle_begin(t, "198.51.100.1", 1 * S, &retry, NULL));
    ck_assert(vl_throttle_begin(t, "198.51.100.2", 1 * S, &retry, NULL));
    ck_assert(!vl_throttle_begin(t, "198.51.100.99", 10 * S, &retry, NULL));
    vl_throttle_end(t, "198.51.100.0", FALSE, 1 * S); /* now waits 2 s */
    vl_throttle_end(t, "198.51.100.1", FALSE, 1 * S);
    vl_throttle_end(t, "198.51.100.2", FALSE, 1 * S);

    /* Once a delay is over, that source may be forgotten to make room; the others still wait. */
    ck_assert(vl_throttle_begin(t, "198.51.100.99", 3 * S, &retry, NULL));
    ck_assert_uint_eq(vl_throttle_size(t), 3);
}
END_TEST

START_TEST(test_flood_keeps_backoff)
{
    g_autoptr(VlThrottle) t = vl_throttle_new(300, 8);
    gint64 now = 0;
    guint retry;

    vl_throttle_set_global_limit(t, 1000);
    for (guint i = 0; i < 4; i++) {
        now += fail_at(t, "192.0.2.7", now) * S;
    }
    ck_assert_uint_eq(fail_at(t, "192.0.2.7", now), 16);
    /* 16 s to wait now. A flood of new sources cannot push it out of the table. */
    for (guint i = 0; i < 100; i++) {
        g_autofree char *key = g_strdup_printf("198.51.100.%u", i);

        if (vl_throttle_begin(t, key, now, &retry, NULL)) {
            vl_throttle_end(t, key, FALSE, now);
        }
        ck_assert_uint_le(vl_throttle_size(t), 8);
    }
    ck_assert(!vl_throttle_begin(t, "192.0.2.7", now, &retry, NULL));
    ck_assert_uint_eq(retry, 16);
}
END_TEST

START_TEST(test_ipv6_networks)
{
    g_autoptr(VlThrottle) t = vl_throttle_new(300, 4096);
    g_autoptr(GError) error = NULL;
    guint retry;
    guint i;

    vl_throttle_set_global_limit(t, 1000);
    /* Each failure from a new /64 of one /56: free until the /56 has had its share. */
    for (i = 0; i < VL_THROTTLE_NET56_FREE; i++) {
        g_autofree char *address = g_strdup_printf("2001:db8:0:%x::1", i);

        ck_assert_uint_eq(fail_at(t, address, 0), 1);
    }
    fail_once(t, "2001:db8:0:ff::1", 0);
    /* Now every /64 of that /56 waits for it, even a fresh one... */
    ck_assert(!vl_throttle_begin(t, "2001:db8:0:fe::1", 0, &retry, &error));
    ck_assert_ptr_nonnull(strstr(error->message, "2001:db8::/56"));
    ck_assert_uint_eq(retry, 1);
    g_clear_error(&error);
    /* ...and not another /56. */
    ck_assert(vl_throttle_begin(t, "2001:db8:0:100::1", 0, &retry, NULL));
    vl_throttle_cancel(t, "2001:db8:0:100::1");

    /* A /48: spread over its /56s, the failures add up there too. */
    for (i = 0; i < VL_THROTTLE_NET48_FREE; i++) {
        g_autofree char *address = g_strdup_printf("2001:db8:1:%x00::1", i);

        fail_once(t, address, 100 * S);
    }
    fail_once(t, "2001:db8:1:ff00::1", 100 * S);
    ck_assert(!vl_throttle_begin(t, "2001:db8:1:fe00::1", 100 * S, &retry, &error));
    ck_assert_ptr_nonnull(strstr(error->message, "2001:db8:1::/48"));
}
END_TEST

START_TEST(test_global_limit)
{
    g_autoptr(VlThrottle) t = vl_throttle_new(300, 4096);
    g_autoptr(GError) error = NULL;
    guint retry;

    vl_throttle_set_global_limit(t, 5);
    fail_sources(t, 5, S);
    /* Five failures within a minute: every source waits until the first is a minute old. */
    ck_assert(!vl_throttle_begin(t, "203.0.113.1", 10 * S, &retry, &error));
    ck_assert(g_error_matches(error, VL_CALL_ERROR, VL_RPC_RATE_LIMITED));
    ck_assert_ptr_nonnull(strstr(error->message, "on this host"));
    ck_assert_uint_eq(retry, 50);
    /* Root on the local socket is not held by others' failures. */
    ck_assert(vl_throttle_begin(t, NULL, 10 * S, &retry, NULL));
    vl_throttle_cancel(t, NULL);
    ck_assert(vl_throttle_begin(t, "203.0.113.1", 60 * S, &retry, NULL));
}
END_TEST

START_TEST(test_quiet_source_starts_over)
{
    g_autoptr(VlThrottle) t = vl_throttle_new(10, 16);
    gint64 now = 0;

    for (guint i = 0; i < 6; i++) {
        now += fail_at(t, "a", now) * S;
    }
    ck_assert_uint_eq(fail_at(t, "a", now), 10);
    /* Long after the last wait ended: the first delay again. */
    ck_assert_uint_eq(fail_at(t, "a", now + 100 * S), 1);
}
END_TEST

START_TEST(test_keys)
{
    const struct {
        const char *address;
        const char *key;
    } cases[] = {
        {NULL, "local"},
        {"192.0.2.7", "192.0.2.7"},
        {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
        {"2001:db8:1:2::99", "2001:db8:1:2::/64"},
        {"::ffff:192.0.2.7", "::ffff:192.0.2.7"},
        {"::1", "::1"},
        {"not an address", "not an address"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *key = vl_throttle_key_for_address(cases[i].address);

        ck_assert_str_eq(key, cases[i].key);
    }
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_backoff_doubles_to_max,
        test_success_forgets_and_cancel_does_not_count,
        test_one_attempt_at_a_time,
        test_bounded_table,
        test_flood_keeps_backoff,
        test_ipv6_networks,
        test_global_limit,
        test_quiet_source_starts_over,
        test_keys,
        NULL,
    };

    return vl_check_run(vl_check_suite("throttle", tests));
}
