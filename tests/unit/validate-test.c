/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The generic validator (vl-validate.c) on small field tables made for the test, so each rule is
 * checked on its own: presence, nullability, every type, bounds, choices, nested arrays and
 * objects with their error paths, dispatch to a sub-catalogue, the key and sender of a whole
 * message, and the escaping of hostile names in error messages.
 */
#include <check.h>
#include <string.h>

#include "vl-catalogue-private.h"
#include "vl-error.h"
#include "vl-json.h"

#define ACCEPT (-1)

/* Tables ------------------------------------------------------------------------------------ */

static const char *const colours[] = {"red", "green", "blue", NULL};

static const VlField scalar_fields[] = {
    F_STRING("s", REQ, 1, 4, "bounded string"),
    F_STRING("u", OPT, 0, 0, "unbounded string"),
    F_INT("i", OPT, -2, 2, "bounded integer"),
    F_INT("ui", OPT, 0, 0, "unbounded integer"),
    F_NUMBER("n", OPT, "number"),
    F_BOOL("b", OPT, "boolean"),
    F_ENUM("e", OPT, colours, "enumeration"),
    F_ID("id", OPT, "unbounded id"),
    {.name = "bid", .type = VL_TYPE_ID, .min = 1, .max = 3, .doc = "bounded id"},
    {.name = "nid", .type = VL_TYPE_ID, .flags = VL_FIELD_NULLABLE, .doc = "nullable id"},
    F_ANY("any", OPT, "anything"),
    {.name = "ns",
     .type = VL_TYPE_STRING,
     .flags = VL_FIELD_NULLABLE,
     .min = 1,
     .max = 2,
     .doc = "nullable string"},
    {.name = "rn",
     .type = VL_TYPE_INT,
     .flags = REQ | VL_FIELD_NULLABLE,
     .min = 0,
     .max = 9,
     .doc = "required but nullable"},
    F_END,
};

static const VlField c_fields[] = {
    F_INT("c", REQ, 0, 9, "c"),
    F_END,
};
static const VlField c_item[] = {ITEM_OBJECT(c_fields, "an object with c")};
static const VlField b_fields[] = {
    F_ARRAY("b", REQ, 0, 5, c_item, "objects"),
    F_END,
};
static const VlField word_item[] = {ITEM_STRING(1, 3, "a short word")};
static const VlField colour_item[] = {ITEM_ENUM(colours, "a colour")};
static const VlField word_list_item[] = {F_ARRAY("item", REQ, 1, 2, word_item, "word lists")};
/* An array of arrays of arrays ...: paths grow without limit, messages must not. */
static const VlField nest_item[] = {
    {.name = "item", .type = VL_TYPE_ARRAY, .flags = REQ, .items = nest_item, .doc = "nested"},
};
static const VlField nested_fields[] = {
    F_OBJECT("a", REQ, b_fields, "holds b"),
    F_ARRAY("w", OPT, 1, 3, word_item, "words"),
    F_ARRAY("m", OPT, 0, 4, word_list_item, "lists of words"),
    F_ARRAY("k", OPT, 0, 8, colour_item, "colours"),
    F_ARRAY("free", OPT, 0, 2, NULL, "items unchecked"),
    F_ARRAY("nest", OPT, 0, 0, nest_item, "deep"),
    F_OBJECT("open", OPT, NULL, "members unchecked"),
    F_END,
};

/* A sub-catalogue dispatched on "op", as guest commands are on "name". */
static const VlField move_args[] = {
    F_INT("x", REQ, 0, 10, "where to"),
    F_STRING("why", OPT, 1, 8, "reason"),
    F_END,
};
static const VlEntry sub_entries[] = {
    {.name = "move", .senders = VL_SENDER_HOST, .fields = move_args, .summary = "m", .example = ""},
    {.name = "stop",
     .senders = VL_SENDER_HOST,
     .fields = vl_no_fields,
     .summary = "s",
     .example = ""},
    {.name = NULL},
};
static const VlCatalogue sub_catalogue = {
    .id = "test-op",
    .title = "Test operations",
    .key = "op",
    .member = "args",
    .sender_names = {"host", "guest"},
    .entries = sub_entries,
};
static const VlField dispatch_fields[] = {
    F_STRING("op", REQ, 1, 16, "operation"),
    F_DISPATCH("args", REQ, &sub_catalogue, "op", "arguments"),
    F_END,
};
/* Tables written less carefully than the real catalogues: the sibling optional, or after. */
static const VlField loose_dispatch_fields[] = {
    F_STRING("op", OPT, 1, 16, "operation"),
    F_DISPATCH("args", REQ, &sub_catalogue, "op", "arguments"),
    F_END,
};
static const VlField late_dispatch_fields[] = {
    F_DISPATCH("args", REQ, &sub_catalogue, "op", "arguments"),
    F_ANY("op", OPT, "operation, checked after args"),
    F_END,
};
static const VlField dispatch_item[] = {
    F_DISPATCH("item", REQ, &sub_catalogue, "op", "an element cannot have a sibling"),
};
static const VlField dispatch_array_fields[] = {
    F_STRING("op", REQ, 1, 16, "operation"),
    F_ARRAY("list", REQ, 0, 4, dispatch_item, "elements"),
    F_END,
};

/* A whole-message catalogue keyed by "type", with one name per direction for "hello". */
static const VlField ping_fields[] = {
    F_INT("count", REQ, 1, 3, "how many"),
    F_END,
};
static const VlField host_hello_fields[] = {
    F_STRING("nonce", REQ, 4, 8, "nonce"),
    F_END,
};
static const VlField guest_hello_fields[] = {
    F_STRING("agent", REQ, 1, 8, "agent"),
    F_END,
};
static const VlEntry message_entries[] = {
    {.name = "ping",
     .senders = VL_SENDER_HOST,
     .fields = ping_fields,
     .summary = "p",
     .example = ""},
    {.name = "pong",
     .senders = VL_SENDER_GUEST,
     .fields = vl_no_fields,
     .summary = "p",
     .example = ""},
    {.name = "bye",
     .senders = VL_SENDER_BOTH,
     .fields = vl_no_fields,
     .summary = "b",
     .example = ""},
    {.name = "hello",
     .senders = VL_SENDER_HOST,
     .fields = host_hello_fields,
     .summary = "h",
     .example = ""},
    {.name = "hello",
     .senders = VL_SENDER_GUEST,
     .fields = guest_hello_fields,
     .summary = "h",
     .example = ""},
    {.name = "do",
     .senders = VL_SENDER_HOST,
     .fields = dispatch_fields,
     .summary = "d",
     .example = ""},
    {.name = NULL},
};
static const VlCatalogue message_catalogue = {
    .id = "test-message",
    .title = "Test messages",
    .key = "type",
    .sender_names = {"host", "guest"},
    .entries = message_entries,
};

/* Helpers ----------------------------------------------------------------------------------- */

static VlJson *
parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *node = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(node != NULL, "cannot parse %s: %s", text, error ? error->message : "?");
    return node;
}

/* Asserts a validation outcome: ACCEPT, or the error code and message ("" to skip the message). */
static void
assert_outcome(const char *what, gboolean ok, const GError *error, int code, const char *message)
{
    if (code == ACCEPT) {
        ck_assert_msg(ok, "%s: rejected: %s", what, error ? error->message : "(no error)");
        ck_assert_ptr_null(error);
        return;
    }
    ck_assert_msg(!ok, "%s: accepted, expected %s", what, vl_protocol_error_name(code));
    ck_assert_msg(error != NULL, "%s: failed without an error", what);
    ck_assert_msg(error->domain == VL_PROTOCOL_ERROR && error->code == code,
                  "%s: expected %s, got %s (%s)", what, vl_protocol_error_name(code),
                  vl_protocol_error_name(error->code), error->message);
    if (*message) {
        ck_assert_str_eq(error->message, message);
    }
}

/* Validates text against a field list. */
static void
expect_fields(const VlField *fields, const char *text, int code, const char *message)
{
    g_autoptr(VlJson) node = parse(text);
    g_autoptr(GError) error = NULL;
    gboolean ok = vl_fields_validate(fields, node, "", &error);

    assert_outcome(text, ok, error, code, message);
}

/* Validates text as a whole message of the test catalogue from sender. */
static void
expect_message(VlSender sender, const char *text, int code, const char *message,
               const VlEntry *want_entry)
{
    g_autoptr(VlJson) node = parse(text);
    g_autoptr(GError) error = NULL;
    const VlEntry *entry = NULL;
    gboolean ok = vl_catalogue_validate(&message_catalogue, sender, node, &entry, &error);

    assert_outcome(text, ok, error, code, message);
    ck_assert_ptr_eq(entry, ok ? want_entry : NULL);
}

static gboolean
is_printable_ascii(const char *s)
{
    for (; *s; s++) {
        if ((guchar)*s < 0x20 || (guchar)*s > 0x7e) {
            return FALSE;
        }
    }
    return TRUE;
}

/* Presence ------------------------------------------------------------------------------------ */

START_TEST(test_required_and_optional)
{
    expect_fields(scalar_fields, "{\"s\":\"ab\",\"rn\":1}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"rn\":1}", VL_PROTOCOL_ERROR_MISSING_FIELD,
                  "s: required field missing");
    expect_fields(scalar_fields, "{\"s\":\"ab\"}", VL_PROTOCOL_ERROR_MISSING_FIELD,
                  "rn: required field missing");
    expect_fields(scalar_fields, "{}", VL_PROTOCOL_ERROR_MISSING_FIELD,
                  "s: required field missing");
    /* Members the table does not name are ignored, whatever they hold. */
    expect_fields(scalar_fields,
                  "{\"s\":\"ab\",\"rn\":1,\"extra\":{\"deep\":[1,null,\"x\"]},\"S\":5}", ACCEPT,
                  NULL);
    /* No field list: any object. */
    expect_fields(vl_no_fields, "{\"anything\":[1,2]}", ACCEPT, NULL);
    expect_fields(NULL, "{\"anything\":[1,2]}", ACCEPT, NULL);
}
END_TEST

START_TEST(test_nullable)
{
    expect_fields(scalar_fields, "{\"s\":\"ab\",\"rn\":null}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"ab\",\"rn\":10}", VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                  "rn: value 10 is outside 0..9");
    expect_fields(scalar_fields, "{\"s\":\"ab\",\"rn\":1,\"ns\":null}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"ab\",\"rn\":1,\"ns\":\"\"}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "ns: length 0 is outside 1..2");
    expect_fields(scalar_fields, "{\"s\":\"ab\",\"rn\":1,\"ns\":1}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "ns: expected string, found integer");
    expect_fields(scalar_fields, "{\"s\":\"ab\",\"rn\":1,\"nid\":null}", ACCEPT, NULL);
    /* Not nullable: null is a wrong type, for required and optional fields alike. */
    expect_fields(scalar_fields, "{\"s\":null,\"rn\":1}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "s: expected string, found null");
    expect_fields(scalar_fields, "{\"s\":\"ab\",\"rn\":1,\"i\":null}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "i: expected integer, found null");
    expect_fields(scalar_fields, "{\"s\":\"ab\",\"rn\":1,\"id\":null}",
                  VL_PROTOCOL_ERROR_WRONG_TYPE, "id: expected string or integer, found null");
}
END_TEST

/* Types ------------------------------------------------------------------------------------- */

/* Each kind of JSON value against each field of scalar_fields. */
static const struct {
    const char *value;
    VlJsonKind kind;
} kind_samples[] = {
    {"null", VL_JSON_NULL},    {"true", VL_JSON_BOOL},  {"false", VL_JSON_BOOL},
    {"1", VL_JSON_INT},        {"1.5", VL_JSON_DOUBLE}, {"1.0", VL_JSON_DOUBLE},
    {"\"g\"", VL_JSON_STRING}, {"[]", VL_JSON_ARRAY},   {"{}", VL_JSON_OBJECT},
};

static const struct {
    const char *field;
    const char *type_name;
    guint accepted; /* bits of VlJsonKind */
} type_rules[] = {
    {"u", "string", 1 << VL_JSON_STRING},
    {"ui", "integer", 1 << VL_JSON_INT},
    {"n", "number", 1 << VL_JSON_INT | 1 << VL_JSON_DOUBLE},
    {"b", "boolean", 1 << VL_JSON_BOOL},
    {"id", "string or integer", 1 << VL_JSON_STRING | 1 << VL_JSON_INT},
    {"nid", "string or integer", 1 << VL_JSON_STRING | 1 << VL_JSON_INT | 1 << VL_JSON_NULL},
    {"any", "any", 0x7f},
};

START_TEST(test_types)
{
    const char *field = type_rules[_i].field;

    for (guint k = 0; k < G_N_ELEMENTS(kind_samples); k++) {
        g_autofree char *text =
            g_strdup_printf("{\"s\":\"ab\",\"rn\":1,\"%s\":%s}", field, kind_samples[k].value);
        g_autofree char *message =
            g_strdup_printf("%s: expected %s, found %s", field, type_rules[_i].type_name,
                            vl_json_kind_name(kind_samples[k].kind));

        if (type_rules[_i].accepted & (1u << kind_samples[k].kind)) {
            expect_fields(scalar_fields, text, ACCEPT, NULL);
        } else {
            expect_fields(scalar_fields, text, VL_PROTOCOL_ERROR_WRONG_TYPE, message);
        }
    }
}
END_TEST

START_TEST(test_string_bounds)
{
    expect_fields(scalar_fields, "{\"rn\":1,\"s\":\"\"}", VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                  "s: length 0 is outside 1..4");
    expect_fields(scalar_fields, "{\"rn\":1,\"s\":\"a\"}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"rn\":1,\"s\":\"abcd\"}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"rn\":1,\"s\":\"abcde\"}", VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                  "s: length 5 is outside 1..4");
    /* Bounds count bytes of UTF-8, not characters; escapes count as what they decode to. */
    expect_fields(scalar_fields, "{\"rn\":1,\"s\":\"\xc3\xa9\xc3\xa9\"}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"rn\":1,\"s\":\"\xc3\xa9\xc3\xa9x\"}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "s: length 5 is outside 1..4");
    expect_fields(scalar_fields, "{\"rn\":1,\"s\":\"\\u00e9\\u00e9\"}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"rn\":1,\"s\":\"\\ud83d\\ude00\"}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"rn\":1,\"s\":\"\\ud83d\\ude00x\"}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "s: length 5 is outside 1..4");
    /* Both bounds 0: unbounded. */
    {
        g_autofree char *long_value = g_strnfill(100000, 'u');
        g_autofree char *text = g_strdup_printf("{\"s\":\"a\",\"rn\":1,\"u\":\"%s\"}", long_value);

        expect_fields(scalar_fields, text, ACCEPT, NULL);
        expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"u\":\"\"}", ACCEPT, NULL);
    }
}
END_TEST

START_TEST(test_int_bounds)
{
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"i\":-3}", VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                  "i: value -3 is outside -2..2");
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"i\":-2}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"i\":2}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"i\":3}", VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                  "i: value 3 is outside -2..2");
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"i\":-9223372036854775808}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "i: value -9223372036854775808 is outside -2..2");
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"i\":9223372036854775807}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "i: value 9223372036854775807 is outside -2..2");
    /* A number with a fraction or exponent is not an integer, even when it is a whole number. */
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"i\":1.0}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "i: expected integer, found number");
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"i\":1e0}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "i: expected integer, found number");
    /* Unbounded: the whole 64-bit range. */
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"ui\":-9223372036854775808}", ACCEPT,
                  NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"ui\":9223372036854775807}", ACCEPT, NULL);
}
END_TEST

START_TEST(test_number)
{
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"n\":0}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"n\":-9223372036854775808}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"n\":0.125}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"n\":-1.5e300}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"n\":\"1\"}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "n: expected number, found string");
}
END_TEST

START_TEST(test_id)
{
    /* Bounds of an id apply to the length of a string id only. */
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"bid\":\"\"}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "bid: length 0 is outside 1..3");
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"bid\":\"a\"}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"bid\":\"abc\"}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"bid\":\"abcd\"}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "bid: length 4 is outside 1..3");
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"bid\":0}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"bid\":-5}", ACCEPT, NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"bid\":9223372036854775807}", ACCEPT,
                  NULL);
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"bid\":2.5}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "bid: expected string or integer, found number");
}
END_TEST

START_TEST(test_any)
{
    static const char *const values[] = {
        "null",
        "false",
        "0",
        "-0.5",
        "\"\"",
        "[]",
        "{}",
        "[[[{\"a\":[null]}]]]",
        "{\"x\":{\"y\":{\"z\":[1,\"2\",3.0]}}}",
    };

    for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autofree char *text = g_strdup_printf("{\"s\":\"a\",\"rn\":1,\"any\":%s}", values[i]);

        expect_fields(scalar_fields, text, ACCEPT, NULL);
    }
}
END_TEST

START_TEST(test_choices)
{
    for (const char *const *c = colours; *c; c++) {
        g_autofree char *text = g_strdup_printf("{\"s\":\"a\",\"rn\":1,\"e\":\"%s\"}", *c);

        expect_fields(scalar_fields, text, ACCEPT, NULL);
    }
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"e\":\"Red\"}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "e: value is not one of the allowed choices");
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"e\":\"red \"}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "e: value is not one of the allowed choices");
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"e\":\"re\"}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "e: value is not one of the allowed choices");
    /* Length is checked first (F_ENUM bounds choices to 1..64 bytes). */
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"e\":\"\"}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "e: length 0 is outside 1..64");
    expect_fields(scalar_fields, "{\"s\":\"a\",\"rn\":1,\"e\":3}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "e: expected string, found integer");
}
END_TEST

/* Nesting ----------------------------------------------------------------------------------- */

START_TEST(test_nested_paths)
{
    expect_fields(nested_fields, "{\"a\":{\"b\":[]}}", ACCEPT, NULL);
    expect_fields(nested_fields, "{\"a\":{\"b\":[{\"c\":1},{\"c\":2},{\"c\":9}]}}", ACCEPT, NULL);
    expect_fields(nested_fields, "{\"a\":{\"b\":[{\"c\":1},{\"c\":2},{\"c\":10}]}}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "a.b[2].c: value 10 is outside 0..9");
    expect_fields(nested_fields, "{\"a\":{\"b\":[{\"c\":1},{\"c\":2},{\"d\":1}]}}",
                  VL_PROTOCOL_ERROR_MISSING_FIELD, "a.b[2].c: required field missing");
    expect_fields(nested_fields, "{\"a\":{\"b\":[{\"c\":1},{\"c\":2},{\"c\":\"1\"}]}}",
                  VL_PROTOCOL_ERROR_WRONG_TYPE, "a.b[2].c: expected integer, found string");
    expect_fields(nested_fields, "{\"a\":{\"b\":[{\"c\":1},{\"c\":2},3]}}",
                  VL_PROTOCOL_ERROR_WRONG_TYPE, "a.b[2]: expected object, found integer");
    expect_fields(nested_fields, "{\"a\":{\"b\":[{\"c\":1},{\"c\":2},null]}}",
                  VL_PROTOCOL_ERROR_WRONG_TYPE, "a.b[2]: expected object, found null");
    expect_fields(nested_fields, "{\"a\":{\"b\":{}}}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "a.b: expected array, found object");
    expect_fields(nested_fields, "{\"a\":{}}", VL_PROTOCOL_ERROR_MISSING_FIELD,
                  "a.b: required field missing");
    expect_fields(nested_fields, "{\"a\":[]}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "a: expected object, found array");
    expect_fields(nested_fields,
                  "{\"a\":{\"b\":[{\"c\":0},{\"c\":0},{\"c\":0},{\"c\":0},{\"c\":0}]}}", ACCEPT,
                  NULL);
    expect_fields(nested_fields,
                  "{\"a\":{\"b\":[{\"c\":0},{\"c\":0},{\"c\":0},{\"c\":0},{\"c\":0},{\"c\":0}]}}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "a.b: length 6 is outside 0..5");
    /* The first bad element is reported. */
    expect_fields(nested_fields, "{\"a\":{\"b\":[{\"c\":1},{},{\"c\":-1}]}}",
                  VL_PROTOCOL_ERROR_MISSING_FIELD, "a.b[1].c: required field missing");
}
END_TEST

START_TEST(test_scalar_arrays)
{
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"w\":[\"a\",\"abc\"]}", ACCEPT, NULL);
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"w\":[]}", VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                  "w: length 0 is outside 1..3");
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"w\":[\"a\",\"b\",\"c\",\"d\"]}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "w: length 4 is outside 1..3");
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"w\":[\"a\",\"abcd\"]}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "w[1]: length 4 is outside 1..3");
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"w\":[\"a\",\"\"]}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "w[1]: length 0 is outside 1..3");
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"w\":[1]}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "w[0]: expected string, found integer");
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"k\":[\"red\",\"blue\",\"red\"]}", ACCEPT,
                  NULL);
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"k\":[\"red\",\"pink\"]}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "k[1]: value is not one of the allowed choices");
    /* Arrays of arrays. */
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"m\":[[\"a\"],[\"b\",\"c\"]]}", ACCEPT, NULL);
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"m\":[[\"a\"],[]]}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "m[1]: length 0 is outside 1..2");
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"m\":[[\"a\"],[\"b\",\"cccc\"]]}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "m[1][1]: length 4 is outside 1..3");
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"m\":[[\"a\"],\"b\"]}",
                  VL_PROTOCOL_ERROR_WRONG_TYPE, "m[1]: expected array, found string");
    /* No item spec, no member list: only the container is checked. */
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"free\":[null,{\"x\":[1]}]}", ACCEPT, NULL);
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"free\":[1,2,3]}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "free: length 3 is outside 0..2");
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"open\":{\"x\":[1,{\"y\":null}]}}", ACCEPT,
                  NULL);
    expect_fields(nested_fields, "{\"a\":{\"b\":[]},\"open\":[]}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "open: expected object, found array");
}
END_TEST

START_TEST(test_long_path)
{
    /* 200 levels of arrays around a number: the path would be 600 bytes; the message stays
     * short and still starts with the path. */
    g_autoptr(GString) text = g_string_new("{\"a\":{\"b\":[]},\"nest\":");
    g_autoptr(VlJson) node = NULL;
    g_autoptr(GError) error = NULL;

    for (int i = 0; i < 200; i++) {
        g_string_append_c(text, '[');
    }
    g_string_append_c(text, '1');
    for (int i = 0; i < 200; i++) {
        g_string_append_c(text, ']');
    }
    g_string_append_c(text, '}');
    node = parse(text->str);
    ck_assert(!vl_fields_validate(nested_fields, node, "", &error));
    ck_assert_int_eq(error->code, VL_PROTOCOL_ERROR_WRONG_TYPE);
    ck_assert(g_str_has_prefix(error->message, "nest[0][0][0][0]"));
    ck_assert(strstr(error->message, ": expected array, found integer") != NULL);
    ck_assert_uint_lt(strlen(error->message), 400);
}
END_TEST

START_TEST(test_fields_validate_non_object)
{
    static const struct {
        const char *text;
        const char *path;
        const char *message;
    } cases[] = {
        {"[]", "", "message: expected object, found array"},
        {"[]", NULL, "message: expected object, found array"},
        {"null", "result", "result: expected object, found null"},
        {"\"x\"", "params", "params: expected object, found string"},
        {"7", "a.b[1]", "a.b[1]: expected object, found integer"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(VlJson) node = parse(cases[i].text);
        g_autoptr(GError) error = NULL;

        ck_assert(!vl_fields_validate(scalar_fields, node, cases[i].path, &error));
        assert_outcome(cases[i].text, FALSE, error, VL_PROTOCOL_ERROR_WRONG_TYPE, cases[i].message);
    }
    /* A path prefixes member paths. */
    {
        g_autoptr(VlJson) node = parse("{\"s\":\"\",\"rn\":0}");
        g_autoptr(GError) error = NULL;

        ck_assert(!vl_fields_validate(scalar_fields, node, "params", &error));
        ck_assert_str_eq(error->message, "params.s: length 0 is outside 1..4");
    }
}
END_TEST

/* Dispatch ---------------------------------------------------------------------------------- */

START_TEST(test_dispatch)
{
    expect_fields(dispatch_fields, "{\"op\":\"move\",\"args\":{\"x\":3}}", ACCEPT, NULL);
    expect_fields(dispatch_fields, "{\"op\":\"move\",\"args\":{\"x\":3,\"why\":\"fun\"}}", ACCEPT,
                  NULL);
    expect_fields(dispatch_fields, "{\"op\":\"stop\",\"args\":{\"x\":\"ignored\"}}", ACCEPT, NULL);
    expect_fields(dispatch_fields, "{\"op\":\"move\",\"args\":{\"x\":11}}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "args.x: value 11 is outside 0..10");
    expect_fields(dispatch_fields, "{\"op\":\"move\",\"args\":{}}", VL_PROTOCOL_ERROR_MISSING_FIELD,
                  "args.x: required field missing");
    expect_fields(dispatch_fields, "{\"op\":\"move\",\"args\":{\"x\":1,\"why\":\"\"}}",
                  VL_PROTOCOL_ERROR_OUT_OF_RANGE, "args.why: length 0 is outside 1..8");
    expect_fields(dispatch_fields, "{\"op\":\"move\",\"args\":[]}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "args: expected object, found array");
    expect_fields(dispatch_fields, "{\"op\":\"move\"}", VL_PROTOCOL_ERROR_MISSING_FIELD,
                  "args: required field missing");
    /* An unknown name in the sibling: the dispatch fails with UNKNOWN_TYPE at the object. */
    expect_fields(dispatch_fields, "{\"op\":\"fly\",\"args\":{}}", VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                  "args: unknown op");
    expect_fields(dispatch_fields, "{\"op\":\"MOVE\",\"args\":{\"x\":1}}",
                  VL_PROTOCOL_ERROR_UNKNOWN_TYPE, "args: unknown op");
    /* The sibling is checked by its own field first. */
    expect_fields(dispatch_fields, "{\"op\":5,\"args\":{}}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                  "op: expected string, found integer");
    expect_fields(dispatch_fields, "{\"args\":{}}", VL_PROTOCOL_ERROR_MISSING_FIELD,
                  "op: required field missing");
}
END_TEST

START_TEST(test_dispatch_without_sibling)
{
    /* Catalogue tables should put a required string sibling first, but a table that does not
     * must still fail cleanly, never read a member that is not there. */
    expect_fields(loose_dispatch_fields, "{\"op\":\"move\",\"args\":{\"x\":1}}", ACCEPT, NULL);
    expect_fields(loose_dispatch_fields, "{\"args\":{\"x\":1}}", VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                  "args: unknown op");
    expect_fields(late_dispatch_fields, "{\"args\":{}}", VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                  "args: unknown op");
    expect_fields(late_dispatch_fields, "{\"op\":7,\"args\":{}}", VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                  "args: unknown op");
    expect_fields(late_dispatch_fields, "{\"op\":null,\"args\":{}}", VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                  "args: unknown op");
    expect_fields(late_dispatch_fields, "{\"op\":\"stop\",\"args\":{}}", ACCEPT, NULL);
    /* An array element has no sibling at all. */
    expect_fields(dispatch_array_fields, "{\"op\":\"stop\",\"list\":[]}", ACCEPT, NULL);
    expect_fields(dispatch_array_fields, "{\"op\":\"stop\",\"list\":[{}]}",
                  VL_PROTOCOL_ERROR_UNKNOWN_TYPE, "list[0]: unknown op");
}
END_TEST

/* Whole messages ---------------------------------------------------------------------------- */

START_TEST(test_message_not_object)
{
    static const struct {
        const char *text;
        const char *kind;
    } cases[] = {
        {"[]", "array"},        {"[{\"type\":\"ping\"}]", "array"},
        {"\"ping\"", "string"}, {"1", "integer"},
        {"1.5", "number"},      {"null", "null"},
        {"true", "boolean"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *message =
            g_strdup_printf("test-message message is a JSON %s, not an object", cases[i].kind);

        expect_message(VL_SENDER_HOST, cases[i].text, VL_PROTOCOL_ERROR_NOT_OBJECT, message, NULL);
    }
}
END_TEST

START_TEST(test_message_key)
{
    expect_message(VL_SENDER_HOST, "{}", VL_PROTOCOL_ERROR_MISSING_FIELD,
                   "type: required field missing", NULL);
    expect_message(VL_SENDER_HOST, "{\"Type\":\"ping\",\"count\":1}",
                   VL_PROTOCOL_ERROR_MISSING_FIELD, "type: required field missing", NULL);
    expect_message(VL_SENDER_HOST, "{\"type\":5}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                   "type: expected string, found integer", NULL);
    expect_message(VL_SENDER_HOST, "{\"type\":null}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                   "type: expected string, found null", NULL);
    expect_message(VL_SENDER_HOST, "{\"type\":[\"ping\"]}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                   "type: expected string, found array", NULL);
    expect_message(VL_SENDER_HOST, "{\"type\":{}}", VL_PROTOCOL_ERROR_WRONG_TYPE,
                   "type: expected string, found object", NULL);
    expect_message(VL_SENDER_HOST, "{\"type\":\"nope\"}", VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                   "type: unknown test-message \"nope\"", NULL);
    expect_message(VL_SENDER_HOST, "{\"type\":\"\"}", VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                   "type: unknown test-message \"\"", NULL);
    expect_message(VL_SENDER_HOST, "{\"type\":\"PING\",\"count\":1}",
                   VL_PROTOCOL_ERROR_UNKNOWN_TYPE, "type: unknown test-message \"PING\"", NULL);
}
END_TEST

START_TEST(test_message_senders)
{
    const VlEntry *ping = &message_entries[0], *pong = &message_entries[1];
    const VlEntry *bye = &message_entries[2];
    const VlEntry *host_hello = &message_entries[3], *guest_hello = &message_entries[4];

    expect_message(VL_SENDER_HOST, "{\"type\":\"ping\",\"count\":1}", ACCEPT, NULL, ping);
    expect_message(VL_SENDER_GUEST, "{\"type\":\"ping\",\"count\":1}",
                   VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                   "type: unknown test-message \"ping\" (not accepted from this side)", NULL);
    expect_message(VL_SENDER_GUEST, "{\"type\":\"pong\"}", ACCEPT, NULL, pong);
    expect_message(VL_SENDER_HOST, "{\"type\":\"pong\"}", VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                   "type: unknown test-message \"pong\" (not accepted from this side)", NULL);
    expect_message(VL_SENDER_HOST, "{\"type\":\"bye\"}", ACCEPT, NULL, bye);
    expect_message(VL_SENDER_GUEST, "{\"type\":\"bye\"}", ACCEPT, NULL, bye);
    /* One name, one entry per direction. */
    expect_message(VL_SENDER_HOST, "{\"type\":\"hello\",\"nonce\":\"abcd\"}", ACCEPT, NULL,
                   host_hello);
    expect_message(VL_SENDER_GUEST, "{\"type\":\"hello\",\"agent\":\"a\"}", ACCEPT, NULL,
                   guest_hello);
    expect_message(VL_SENDER_GUEST, "{\"type\":\"hello\",\"nonce\":\"abcd\"}",
                   VL_PROTOCOL_ERROR_MISSING_FIELD, "agent: required field missing", NULL);
    expect_message(VL_SENDER_HOST, "{\"type\":\"hello\",\"agent\":\"a\"}",
                   VL_PROTOCOL_ERROR_MISSING_FIELD, "nonce: required field missing", NULL);
    /* Fields of the entry, with paths from the top. */
    expect_message(VL_SENDER_HOST, "{\"type\":\"ping\",\"count\":4}",
                   VL_PROTOCOL_ERROR_OUT_OF_RANGE, "count: value 4 is outside 1..3", NULL);
    expect_message(VL_SENDER_HOST, "{\"type\":\"do\",\"op\":\"move\",\"args\":{\"x\":-1}}",
                   VL_PROTOCOL_ERROR_OUT_OF_RANGE, "args.x: value -1 is outside 0..10", NULL);
    expect_message(VL_SENDER_HOST, "{\"type\":\"do\",\"op\":\"move\",\"args\":{\"x\":1}}", ACCEPT,
                   NULL, &message_entries[5]);
}
END_TEST

START_TEST(test_message_ret_entry_optional)
{
    g_autoptr(VlJson) good = parse("{\"type\":\"pong\"}");
    g_autoptr(VlJson) bad = parse("{\"type\":\"ping\",\"count\":0}");
    const VlEntry *entry = &message_entries[2];
    g_autoptr(GError) error = NULL;

    ck_assert(vl_catalogue_validate(&message_catalogue, VL_SENDER_GUEST, good, NULL, NULL));
    ck_assert(!vl_catalogue_validate(&message_catalogue, VL_SENDER_HOST, bad, NULL, NULL));
    /* On failure *ret_entry is left alone. */
    ck_assert(!vl_catalogue_validate(&message_catalogue, VL_SENDER_HOST, bad, &entry, &error));
    ck_assert_ptr_eq(entry, &message_entries[2]);
    ck_assert_int_eq(error->code, VL_PROTOCOL_ERROR_OUT_OF_RANGE);
}
END_TEST

START_TEST(test_lookup)
{
    ck_assert_ptr_eq(vl_catalogue_lookup(&message_catalogue, "ping", VL_SENDER_HOST),
                     &message_entries[0]);
    ck_assert_ptr_eq(vl_catalogue_lookup(&message_catalogue, "ping", VL_SENDER_BOTH),
                     &message_entries[0]);
    ck_assert_ptr_null(vl_catalogue_lookup(&message_catalogue, "ping", VL_SENDER_GUEST));
    ck_assert_ptr_null(vl_catalogue_lookup(&message_catalogue, "ping", 0));
    ck_assert_ptr_null(vl_catalogue_lookup(&message_catalogue, NULL, VL_SENDER_BOTH));
    ck_assert_ptr_null(vl_catalogue_lookup(&message_catalogue, "", VL_SENDER_BOTH));
    ck_assert_ptr_null(vl_catalogue_lookup(&message_catalogue, "pin", VL_SENDER_BOTH));
    ck_assert_ptr_null(vl_catalogue_lookup(&message_catalogue, "pingg", VL_SENDER_BOTH));
    ck_assert_ptr_eq(vl_catalogue_lookup(&message_catalogue, "hello", VL_SENDER_HOST),
                     &message_entries[3]);
    ck_assert_ptr_eq(vl_catalogue_lookup(&message_catalogue, "hello", VL_SENDER_GUEST),
                     &message_entries[4]);
    ck_assert_ptr_eq(vl_catalogue_lookup(&message_catalogue, "bye", VL_SENDER_GUEST),
                     &message_entries[2]);
}
END_TEST

/* Hostile names ----------------------------------------------------------------------------- */

/* A type name from the guest, built with the builder so any bytes at all can be tried. */
static void
check_hostile_type(const char *name, const char *must_contain)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) message = NULL;
    g_autoptr(GError) error = NULL;

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "type");
    vl_json_builder_add_string(b, name);
    vl_json_builder_end_object(b);
    message = vl_json_builder_finish(b);

    ck_assert(!vl_catalogue_validate(&message_catalogue, VL_SENDER_HOST, message, NULL, &error));
    ck_assert_int_eq(error->code, VL_PROTOCOL_ERROR_UNKNOWN_TYPE);
    ck_assert_msg(is_printable_ascii(error->message), "not escaped: %s", error->message);
    ck_assert_msg(g_utf8_validate(error->message, -1, NULL), "not UTF-8");
    ck_assert(g_str_has_prefix(error->message, "type: unknown test-message \""));
    /* At most 64 bytes of the name, each escaped to at most 4 characters. */
    ck_assert_uint_le(strlen(error->message), strlen("type: unknown test-message \"\"") + 64 * 4);
    if (must_contain) {
        ck_assert_msg(strstr(error->message, must_contain) != NULL, "%s not in %s", must_contain,
                      error->message);
    }
}

START_TEST(test_hostile_names)
{
    g_autofree char *long_name = g_strnfill(1000, 'A');
    g_autofree char *shown = g_strnfill(64, 'A');
    g_autofree char *not_shown = g_strnfill(65, 'A');
    g_autofree char *long_escapes = g_strnfill(1000, '\x01');
    g_autoptr(GString) long_utf8 = g_string_new(NULL);

    check_hostile_type("\x01\x02\x1b[31m\n\r\t\x7f", "\\001\\002\\033[31m\\n\\r\\t\\177");
    check_hostile_type("quote\"break\\out", "quote\\\"break\\\\out");
    check_hostile_type("\xff\xfe\xc3(\xed\xa0\x80", "\\377\\376\\303(\\355\\240\\200");
    check_hostile_type("\xe2\x80\xae"
                       "evil",
                       "\\342\\200\\256evil");
    check_hostile_type(long_escapes, "\\001");
    check_hostile_type(long_name, shown);
    {
        g_autoptr(VlJson) message = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *text = g_strdup_printf("{\"type\":\"%s\"}", long_name);

        message = parse(text);
        ck_assert(
            !vl_catalogue_validate(&message_catalogue, VL_SENDER_HOST, message, NULL, &error));
        ck_assert(strstr(error->message, not_shown) == NULL);
    }
    /* A cut inside a multi-byte character still yields printable ASCII. */
    for (int i = 0; i < 500; i++) {
        g_string_append(long_utf8, "\xc3\xa9");
    }
    check_hostile_type(long_utf8->str, "\\303\\251");
    g_string_prepend_c(long_utf8, 'x');
    check_hostile_type(long_utf8->str, "x\\303\\251");
}
END_TEST

static Suite *
validate_suite(void)
{
    Suite *s = suite_create("validate");
    TCase *tc;

    tc = tcase_create("fields");
    tcase_add_test(tc, test_required_and_optional);
    tcase_add_test(tc, test_nullable);
    tcase_add_loop_test(tc, test_types, 0, G_N_ELEMENTS(type_rules));
    tcase_add_test(tc, test_string_bounds);
    tcase_add_test(tc, test_int_bounds);
    tcase_add_test(tc, test_number);
    tcase_add_test(tc, test_id);
    tcase_add_test(tc, test_any);
    tcase_add_test(tc, test_choices);
    tcase_add_test(tc, test_fields_validate_non_object);
    suite_add_tcase(s, tc);

    tc = tcase_create("nesting");
    tcase_add_test(tc, test_nested_paths);
    tcase_add_test(tc, test_scalar_arrays);
    tcase_add_test(tc, test_long_path);
    suite_add_tcase(s, tc);

    tc = tcase_create("dispatch");
    tcase_add_test(tc, test_dispatch);
    tcase_add_test(tc, test_dispatch_without_sibling);
    suite_add_tcase(s, tc);

    tc = tcase_create("message");
    tcase_add_test(tc, test_message_not_object);
    tcase_add_test(tc, test_message_key);
    tcase_add_test(tc, test_message_senders);
    tcase_add_test(tc, test_message_ret_entry_optional);
    tcase_add_test(tc, test_lookup);
    tcase_add_test(tc, test_hostile_names);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(validate_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
