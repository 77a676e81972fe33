/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Token buckets and the log limit, on a clock the test drives.
 */
#include <string.h>

#include "vl-check.h"
#include "vl-rate.h"

/* Rates ---------------------------------------------------------------------------------------- */

START_TEST(test_token_bucket)
{
    VlTokenBucket b;
    gint64 t = 1000000;

    vl_token_bucket_init(&b, 10, 3, t); /* 10 per second, 3 at once */
    ck_assert(vl_token_bucket_take(&b, 1, t));
    ck_assert(vl_token_bucket_take(&b, 1, t));
    ck_assert(vl_token_bucket_take(&b, 1, t));
    ck_assert(!vl_token_bucket_take(&b, 1, t));
    ck_assert_int_eq(vl_token_bucket_wait_us(&b, 1, t), 100001);
    ck_assert(!vl_token_bucket_take(&b, 1, t + 99000));
    ck_assert(vl_token_bucket_take(&b, 1, t + 101000));
    /* Never more than the burst, however long the wait. */
    ck_assert(vl_token_bucket_take(&b, 3, t + 100 * G_USEC_PER_SEC));
    ck_assert(!vl_token_bucket_take(&b, 1, t + 100 * G_USEC_PER_SEC));
    /* Debt: spending more than there is must be paid back first. */
    ck_assert(!vl_token_bucket_spend(&b, 20, t + 100 * G_USEC_PER_SEC));
    ck_assert_int_eq(vl_token_bucket_wait_us(&b, 0, t + 100 * G_USEC_PER_SEC), 2000001);
    ck_assert(!vl_token_bucket_take(&b, 1, t + 101 * G_USEC_PER_SEC));
    ck_assert(vl_token_bucket_take(&b, 1, t + 103 * G_USEC_PER_SEC));
    /* Rate 0: no limit at all. */
    vl_token_bucket_init(&b, 0, 1, t);
    for (guint i = 0; i < 1000; i++) {
        ck_assert(vl_token_bucket_take(&b, 1000, t));
    }
    ck_assert(vl_token_bucket_spend(&b, 1e12, t));
    ck_assert_int_eq(vl_token_bucket_wait_us(&b, 5, t), 0);
}
END_TEST

START_TEST(test_log_limit)
{
    VlLogLimit l = {0};
    gint64 t = 5 * G_USEC_PER_SEC;
    guint suppressed = 99;

    for (guint i = 0; i < VL_LOG_LIMIT_BURST; i++) {
        ck_assert(vl_log_limit_allow(&l, t, &suppressed));
        ck_assert_uint_eq(suppressed, 0);
    }
    for (guint i = 0; i < 7; i++) {
        ck_assert(!vl_log_limit_allow(&l, t + i, &suppressed));
    }
    /* The next window says how many were left out. */
    ck_assert(vl_log_limit_allow(&l, t + VL_LOG_LIMIT_WINDOW_S * G_USEC_PER_SEC, &suppressed));
    ck_assert_uint_eq(suppressed, 7);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_token_bucket, test_log_limit, NULL};

    return vl_check_run(vl_check_suite("rate", tests));
}
