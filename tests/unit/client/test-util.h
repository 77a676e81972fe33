/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the client tests share: JSON to compare, text to search, folders to remove, and the
 * running of a suite.
 */
#pragma once

#include <check.h>
#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

/* Parses text, which must be valid JSON (the test fails otherwise). */
VlJson *test_util_parse(const char *text);
/* Fails unless node is the same document as expected_text (compared compact). */
void test_util_assert_json_eq(const VlJson *node, const char *expected_text);
/* Fails unless part is in text. */
void test_util_assert_contains(const char *text, const char *part);
/* Removes dir and everything under it. */
void test_util_remove_tree(const char *dir);
/* Runs suite (and frees it); the exit status: 0 when every test passed. */
int test_util_run(Suite *suite);

G_END_DECLS
