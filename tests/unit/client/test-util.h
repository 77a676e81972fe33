/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the client tests share: JSON to compare and text to search (folders to remove and the
 * running of a suite are tests/common's, included here).
 */
#pragma once

#include <check.h>
#include <glib.h>

#include "vl-check.h"
#include "vl-json.h"
#include "vl-test-util.h"

G_BEGIN_DECLS

/* Parses text, which must be valid JSON (the test fails otherwise). */
VlJson *test_util_parse(const char *text);
/* Fails unless node is the same document as expected_text (compared compact). */
void test_util_assert_json_eq(const VlJson *node, const char *expected_text);
/* Fails unless part is in text. */
void test_util_assert_contains(const char *text, const char *part);

G_END_DECLS
