/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON seam (vl-json.h): its helpers, the one-pass strict parser against the checker and
 * json-glib's parser, the compact text, and the text builder against the tree builder.
 */
#include <string.h>

#include "vl-check.h"
#include "vl-json-check.h"
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

/* Whatever the checker accepts, the strict parser builds the tree json-glib's parser builds;
 * whatever it refuses, the strict parser refuses with the same error. */
START_TEST(test_parse_strict_agrees)
{
    static const char *const texts[] = {
        "{\"execute\":\"guest-ping\"}",
        " {\"a\" : [1, -0, 2.5, 1E2, -1e-3, 9223372036854775807, -9223372036854775808], \"b\":{}}",
        "[true,false,null,[],[[]],{\"x\":{\"y\":[{}]}}]",
        "\"\\u00e9\\n\\t\\\"\\\\\\/\\b\\f\\r\\ud83d\\ude00 \\u001f\"",
        "{\"a\":1,\"b\":2,\"a\":3}",
        "{\"\\u0061b\":\"caf\xc3\xa9\"}",
        "42",
        "0.1",
        "[1,]",
        "{\"a\":1,}",
        "{'a':1}",
        "[1] x",
        "[01]",
        "99999999999999999999",
        "1e999",
        "\"\\u0000\"",
        "\"\\ud800\"",
        "\"\xff\"",
        "[[[[1]]]]",
        "",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
        const char *text = texts[i];
        g_autoptr(GError) check_error = NULL;
        g_autoptr(GError) error = NULL;
        gboolean checked = vl_json_check(text, strlen(text), 3, &check_error);
        g_autoptr(VlJson) strict = vl_json_parse_strict(text, strlen(text), 3, &error);

        ck_assert_msg(checked == (strict != NULL), "%s", text);
        if (checked) {
            g_autoptr(VlJson) lenient = parse(text);
            g_autofree char *want = vl_json_to_string(lenient, NULL);

            expect_text(strict, want);
        } else {
            ck_assert_str_eq(error->message, check_error->message);
            ck_assert_int_eq(error->code, check_error->code);
        }
    }
}
END_TEST

/* The compact text: json-glib's, but valid JSON where json-glib's is not. */
START_TEST(test_compact_text)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) node = NULL;

    vl_json_builder_begin_array(b);
    vl_json_builder_add_string(b, "\x01\x1e\x1f\x7f\"\\/\b\f\n\r\t caf\xc3\xa9");
    vl_json_builder_add_double(b, 1.0);
    vl_json_builder_add_double(b, 0.1);
    vl_json_builder_add_double(b, -0.0);
    vl_json_builder_add_double(b, 3e20);
    vl_json_builder_add_double(b, 1.5e-7);
    vl_json_builder_add_double(b, 1.0 / 0.0);
    vl_json_builder_add_int(b, G_MININT64);
    vl_json_builder_begin_object(b);
    vl_json_builder_end_object(b);
    vl_json_builder_end_array(b);
    node = vl_json_builder_finish(b);
    expect_text(node, "[\"\\u0001\\u001e\\u001f\\u007f\\\"\\\\/\\b\\f\\n\\r\\t caf\xc3\xa9\","
                      "1.0,0.10000000000000001,-0.0,3e+20,1.4999999999999999e-07,null,"
                      "-9223372036854775808,{}]");
}
END_TEST

static void
build(VlJsonBuilder *b, const VlJson *node)
{
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "list");
    vl_json_builder_begin_array(b);
    vl_json_builder_begin_object(b);
    vl_json_builder_add_member_string(b, "name", "a\tb");
    vl_json_builder_add_member_string(b, "absent", NULL);
    vl_json_builder_add_member_int(b, "n", -5);
    vl_json_builder_add_member_bool(b, "on", TRUE);
    vl_json_builder_end_object(b);
    vl_json_builder_begin_array(b);
    vl_json_builder_end_array(b);
    vl_json_builder_add_null(b);
    vl_json_builder_add_double(b, 2.5);
    vl_json_builder_add_node(b, node);
    vl_json_builder_end_array(b);
    vl_json_builder_member(b, "copy");
    vl_json_builder_add_node(b, node);
    vl_json_builder_member(b, "empty");
    vl_json_builder_begin_object(b);
    vl_json_builder_end_object(b);
    vl_json_builder_end_object(b);
}

/* A text builder writes what the tree builder's tree reads as, after what OUT held. */
START_TEST(test_text_builder)
{
    g_autoptr(VlJson) node = parse("{\"id\":[1,{\"x\":\"\\u00e9\"}],\"f\":false}");
    g_autoptr(VlJsonBuilder) tree = vl_json_builder_new();
    g_autoptr(VlJsonBuilder) text = NULL;
    g_autoptr(GString) out = g_string_new("\xff");
    g_autoptr(VlJson) built = NULL;
    g_autofree char *want = NULL;

    build(tree, node);
    built = vl_json_builder_finish(tree);
    want = vl_json_to_string(built, NULL);
    text = vl_json_builder_new_text(out);
    build(text, node);
    ck_assert_ptr_null(vl_json_builder_finish(text));
    ck_assert_int_eq(out->str[0], '\xff');
    ck_assert_str_eq(out->str + 1, want);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_object_with_string, test_parse_strict_agrees,
                                  test_compact_text, test_text_builder, NULL};

    return vl_check_run(vl_check_suite("json", tests));
}
