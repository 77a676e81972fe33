/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON seam's helpers beyond parsing and building (vl-json.h).
 */
#include <string.h>

#include "vl-check.h"
#include "vl-json.h"

static VlJson *
parse(const char *text)
{
    VlJson *node = vl_json_parse(text, strlen(text), NULL);

    ck_assert_msg(node != NULL, "%s", text);
    return node;
}

static void
expect_text(const VlJson *node, const char *want)
{
    g_autofree char *text = vl_json_to_string(node, NULL);

    ck_assert_str_eq(text, want);
}

START_TEST(test_object_with_string)
{
    g_autoptr(VlJson) object = parse("{\"a\":1,\"b\":{\"c\":[true,null]},\"s\":\"old\"}");
    g_autoptr(VlJson) added = vl_json_object_with_string(object, "t", "new");
    g_autoptr(VlJson) replaced = vl_json_object_with_string(object, "s", "new");
    g_autoptr(VlJson) empty = parse("{}");
    g_autoptr(VlJson) first = vl_json_object_with_string(empty, "k", "v");

    /* A new member goes last; an existing one is replaced, once; the original is untouched. */
    expect_text(added, "{\"a\":1,\"b\":{\"c\":[true,null]},\"s\":\"old\",\"t\":\"new\"}");
    expect_text(replaced, "{\"a\":1,\"b\":{\"c\":[true,null]},\"s\":\"new\"}");
    expect_text(object, "{\"a\":1,\"b\":{\"c\":[true,null]},\"s\":\"old\"}");
    expect_text(first, "{\"k\":\"v\"}");
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_object_with_string, NULL};

    return vl_check_run(vl_check_suite("json", tests));
}
