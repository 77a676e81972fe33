/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-test-util.h"

#include <check.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

char *
vl_test_make_tmp_dir(const char *tmpl)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp(tmpl, &error);

    ck_assert_msg(dir != NULL, "%s", error ? error->message : "");
    return dir;
}

void
vl_test_remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK)) {
            vl_test_remove_tree(child);
        } else {
            g_unlink(child);
        }
    }
    g_rmdir(path);
}

void
vl_test_put(const char *root, const char *path, const char *text)
{
    g_autofree char *full = g_build_filename(root, path, NULL);
    g_autofree char *dir = g_path_get_dirname(full);
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(g_mkdir_with_parents(dir, 0755), 0);
    if (text) {
        ck_assert_msg(g_file_set_contents(full, text, -1, &error), "%s", error->message);
    } else {
        ck_assert_int_eq(g_mkdir_with_parents(full, 0755), 0);
    }
}

void
vl_test_link(const char *root, const char *path, const char *target)
{
    g_autofree char *full = g_build_filename(root, path, NULL);
    g_autofree char *dir = g_path_get_dirname(full);

    ck_assert_int_eq(g_mkdir_with_parents(dir, 0755), 0);
    ck_assert_msg(symlink(target, full) == 0, "symlink %s -> %s: %s", full, target,
                  g_strerror(errno));
}

char *
vl_test_run(const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *err = NULL;
    char *out = NULL;
    int status = 0;

    ck_assert_msg(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &err, &status, &error),
                  "%s: %s", argv[0], error ? error->message : "");
    ck_assert_msg(g_spawn_check_wait_status(status, &error), "%s %s: %s\n%s", argv[0], argv[1],
                  error->message, err);
    return out;
}
