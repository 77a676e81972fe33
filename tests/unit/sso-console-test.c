/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which consoles exist for single sign-on (linux/sso-console.c), in trees made by the test:
 * a terminal needs a character device in /dev and the kernel's entry in /sys/class/tty, and a
 * serial port a UART behind it.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vl-sso-console.h"
#include "vl-test-util.h"

static char *root;

/* A terminal NAME in the tree: its device (a link to /dev/null, a character device), and its
 * sysfs folder with TYPE in "type" when not NULL. */
static void
add_tty(const char *name, gboolean device, gboolean sysfs, const char *type)
{
    g_autofree char *dev = g_build_filename(root, "dev", name, NULL);
    g_autofree char *sys = g_build_filename(root, "sys", "class", "tty", name, NULL);

    if (device) {
        ck_assert_int_eq(symlink("/dev/null", dev), 0);
    }
    if (sysfs) {
        ck_assert_int_eq(g_mkdir_with_parents(sys, 0755), 0);
    }
    if (type) {
        g_autofree char *path = g_build_filename(sys, "type", NULL);

        ck_assert(g_file_set_contents(path, type, -1, NULL));
    }
}

static void
setup(void)
{
    g_autofree char *dev = NULL;

    root = g_dir_make_tmp("vl-sso-console-XXXXXX", NULL);
    dev = g_build_filename(root, "dev", NULL);
    ck_assert_int_eq(g_mkdir(dev, 0755), 0);
}

static void
teardown(void)
{
    vl_test_remove_tree(root);
    g_clear_pointer(&root, g_free);
}

START_TEST(test_exists)
{
    g_autofree char *regular = g_build_filename(root, "dev", "hvc1", NULL);

    add_tty("tty1", TRUE, TRUE, NULL);
    add_tty("ttyS0", TRUE, TRUE, "4\n"); /* a 16550A */
    add_tty("ttyS1", TRUE, TRUE, "0\n"); /* made by the driver, no UART behind it */
    add_tty("hvc0", TRUE, FALSE, NULL);  /* a device node without the kernel's terminal */
    add_tty("tty2", FALSE, TRUE, NULL);  /* the kernel's terminal without a device node */
    add_tty("hvc1", FALSE, TRUE, NULL);
    ck_assert(g_file_set_contents(regular, "", 0, NULL)); /* not a character device */

    ck_assert(vl_sso_console_exists(root, "tty1"));
    ck_assert(vl_sso_console_exists(root, "ttyS0"));
    ck_assert(!vl_sso_console_exists(root, "ttyS1"));
    ck_assert(!vl_sso_console_exists(root, "hvc0"));
    ck_assert(!vl_sso_console_exists(root, "tty2"));
    ck_assert(!vl_sso_console_exists(root, "hvc1"));
    ck_assert(!vl_sso_console_exists(root, "tty9"));
}
END_TEST

START_TEST(test_names_never_reach_the_file_system)
{
    add_tty("tty1", TRUE, TRUE, NULL);
    /* Not console names: never looked up, whatever the tree holds. */
    ck_assert(!vl_sso_console_exists(root, "../dev/tty1"));
    ck_assert(!vl_sso_console_exists(root, "graphical"));
    ck_assert(!vl_sso_console_exists(root, ""));
}
END_TEST

START_TEST(test_unit_name)
{
    g_autofree char *unit = vl_sso_console_unit_name("ttyS0");

    ck_assert_str_eq(unit, "vmlink-sso-ttyS0.service");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("sso-console");
    TCase *tc = tcase_create("console");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_exists);
    tcase_add_test(tc, test_names_never_reach_the_file_system);
    tcase_add_test(tc, test_unit_name);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
