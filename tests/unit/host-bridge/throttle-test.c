/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The password throttle: delays doubling to a maximum, one attempt at a time per source, a
 * success forgetting, a bounded table, IPv6 sources by /64. Time is passed in: nothing sleeps.
 */
#include "vl-check.h"
#include "vl-throttle.h"

#define S G_USEC_PER_SEC

/* Fails once at now; returns the retry the next attempt at now is told. */
static guint
fail_at(VlThrottle *t, const char *key, gint64 now)
{
    guint retry = 99;

    ck_assert(vl_throttle_begin(t, key, now, &retry));
    ck_assert_uint_eq(retry, 0);
    vl_throttle_end(t, key, FALSE, now);
    ck_assert(!vl_throttle_begin(t, key, now, &retry));
    return retry;
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
        ck_assert(!vl_throttle_begin(t, "192.0.2.7", now + retry * S - S / 2, &retry));
        ck_assert_uint_eq(retry, 1);
        now += want[i] * S;
    }
    /* Another source is not affected. */
    {
        guint retry;

        ck_assert(vl_throttle_begin(t, "192.0.2.8", now, &retry));
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
    ck_assert(vl_throttle_begin(t, "a", 3 * S, &retry));
    vl_throttle_end(t, "a", TRUE, 3 * S);
    ck_assert_uint_eq(vl_throttle_size(t), 0);
    ck_assert_uint_eq(fail_at(t, "a", 4 * S), 1);

    /* A cancelled attempt (bad parameters) neither waits nor counts. */
    ck_assert(vl_throttle_begin(t, "b", 0, &retry));
    vl_throttle_cancel(t, "b");
    ck_assert(vl_throttle_begin(t, "b", 0, &retry));
    vl_throttle_cancel(t, "b");
    ck_assert_uint_eq(vl_throttle_size(t), 1);
}
END_TEST

START_TEST(test_one_attempt_at_a_time)
{
    g_autoptr(VlThrottle) t = vl_throttle_new(300, 16);
    guint retry;

    ck_assert(vl_throttle_begin(t, "a", 0, &retry));
    /* A second guess while the first is being hashed is refused, without hashing. */
    ck_assert(!vl_throttle_begin(t, "a", 0, &retry));
    ck_assert_uint_eq(retry, 1);
    vl_throttle_end(t, "a", TRUE, 0);
    ck_assert(vl_throttle_begin(t, "a", 0, &retry));
}
END_TEST

START_TEST(test_bounded_table)
{
    g_autoptr(VlThrottle) t = vl_throttle_new(300, 3);
    guint retry;

    for (guint i = 0; i < 100; i++) {
        g_autofree char *key = g_strdup_printf("198.51.100.%u", i);

        fail_at(t, key, 0);
        ck_assert_uint_le(vl_throttle_size(t), 3);
    }
    /* The oldest were forgotten; the newest still wait. */
    ck_assert(vl_throttle_begin(t, "198.51.100.0", 0, &retry));
    ck_assert(!vl_throttle_begin(t, "198.51.100.99", 0, &retry));
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
        test_quiet_source_starts_over,
        test_keys,
        NULL,
    };

    return vl_check_run(vl_check_suite("throttle", tests));
}
