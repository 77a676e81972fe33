/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dispatcher's table covers every method a manager may call.
 */
#include <string.h>

#include "vl-check.h"
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

int
main(void)
{
    const TTest *const tests[] = {test_dispatch_covers_catalogue, NULL};

    return vl_check_run(vl_check_suite("dispatch", tests));
}
