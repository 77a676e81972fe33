/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-check.h"

Suite *
vl_check_suite(const char *name, const TTest *const *tests)
{
    Suite *s = suite_create(name);
    TCase *tc = tcase_create(name);

    for (const TTest *const *t = tests; *t; t++) {
        tcase_add_test(tc, *t);
    }
    suite_add_tcase(s, tc);
    return s;
}

int
vl_check_run(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
