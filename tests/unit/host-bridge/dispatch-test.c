/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dispatcher's table covers every method a manager may call.
 */
#include <check.h>
#include <string.h>

#include "vl-dispatch.h"
#include "vl-protocol.h"

/* Dispatcher ----------------------------------------------------------------------------------- */

START_TEST(test_dispatch_covers_catalogue)
{
    /* Every method a manager may call has a handler. */
    for (const VlEntry *e = vl_control_catalogue.entries; e->name; e++) {
        if (e->senders & VL_SENDER_CLIENT) {
            ck_assert_msg(vl_dispatch_serves(e->name), "%s has no handler", e->name);
        }
    }
    ck_assert(!vl_dispatch_serves("event"));
    ck_assert(!vl_dispatch_serves("vm.nope"));
}
END_TEST

static Suite *
make_suite(void)
{
    Suite *s = suite_create("dispatch");
    TCase *tc = tcase_create("dispatch");

    tcase_add_test(tc, test_dispatch_covers_catalogue);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(make_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
