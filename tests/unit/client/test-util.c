/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "test-util.h"

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
