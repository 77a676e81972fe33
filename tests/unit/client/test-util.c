/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "test-util.h"

#include <glib/gstdio.h>
#include <string.h>

VlJson *
test_util_parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *node = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(node != NULL, "cannot parse %s: %s", text, error ? error->message : "?");
    return node;
}

void
test_util_assert_json_eq(const VlJson *node, const char *expected_text)
{
    g_autoptr(VlJson) expected = test_util_parse(expected_text);
    g_autofree char *got = vl_json_to_string(node, NULL);
    g_autofree char *want = vl_json_to_string(expected, NULL);

    ck_assert_str_eq(got, want);
}

void
test_util_assert_contains(const char *text, const char *part)
{
    ck_assert_msg(strstr(text, part) != NULL, "\"%s\" not in:\n%s", part, text);
}

void
test_util_remove_tree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d)) != NULL) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
            test_util_remove_tree(path);
        } else {
            g_unlink(path);
        }
    }
    g_rmdir(dir);
}

int
test_util_run(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
