/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Folders and programs for tests: a temporary folder made and removed, a program run and its
 * output kept. GLib only (vl-test-tls.h has the OpenSSL helpers).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A new folder from tmpl (as g_dir_make_tmp()); the test fails if it cannot be made. */
char *vl_test_make_tmp_dir(const char *tmpl);

/* Removes path and everything under it; symbolic links are removed, never followed. */
void vl_test_remove_tree(const char *path);

/* Writes text to path below root, making the folders on the way; text NULL: path is a folder.
 * The test fails if it cannot. */
void vl_test_put(const char *root, const char *path, const char *text);

/* Makes path below root a symbolic link to target (as given: relative to the link's folder),
 * making the folders on the way. */
void vl_test_link(const char *root, const char *path, const char *target);

/* Runs argv (searched in PATH); returns its standard output, asserting that it exited 0. */
char *vl_test_run(const char *const *argv);

G_END_DECLS
