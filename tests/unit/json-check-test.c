/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of vl_json_check(), the strict RFC 8259 checker every frame passes before the JSON
 * library sees it.
 *
 * Every text is handed over in a heap copy of exactly its length, so a read past len shows up
 * under ASan or valgrind. Every rejection is checked for its domain, its code and the byte
 * offset named in the message.
 */
#include <check.h>
#include <pthread.h>
#include <string.h>

#include "vl-error.h"
#include "vl-json-check.h"

#define DEFAULT_DEPTH 32
#define ANY_OFFSET (-1)

typedef struct {
    const char *text;
    gsize len;
} ValidCase;

typedef struct {
    const char *text;
    gsize len;
    VlProtocolError code;
    gssize offset; /* expected byte offset in the message, or ANY_OFFSET */
} InvalidCase;

/* sizeof, not strlen: some texts hold NUL bytes on purpose. */
#define VALID(s)                                                                                   \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
#define INVALID(s, code, offset)                                                                   \
    {                                                                                              \
        s, sizeof(s) - 1, VL_PROTOCOL_ERROR_##code, offset                                         \
    }

/* text[0..len) with bytes outside printable ASCII as \xNN, for failure messages. */
static char *
printable(const char *text, gsize len)
{
    GString *out = g_string_new(NULL);

    for (gsize i = 0; i < len && out->len < 200; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch >= 0x20 && ch < 0x7f) {
            g_string_append_c(out, (char)ch);
        } else {
            g_string_append_printf(out, "\\x%02x", ch);
        }
    }
    if (out->len >= 200) {
        g_string_append(out, "...");
    }
    return g_string_free(out, FALSE);
}

/* The offset named by "at byte N" in the message; fails the test when there is none. */
static gsize
error_offset(const GError *error)
{
    const char *at = strstr(error->message, "at byte ");
    const char *digits;
    char *end = NULL;
    guint64 offset;

    ck_assert_msg(at != NULL, "no byte offset in \"%s\"", error->message);
    digits = at + strlen("at byte ");
    offset = g_ascii_strtoull(digits, &end, 10);
    ck_assert_msg(end != digits, "no byte offset in \"%s\"", error->message);
    return (gsize)offset;
}

static void
assert_accepted(const char *text, gsize len, guint max_depth)
{
    g_autofree char *copy = g_memdup2(text, len);
    g_autofree char *shown = printable(text, len);
    g_autoptr(GError) error = NULL;
    gboolean ok = vl_json_check(copy, len, max_depth, &error);

    ck_assert_msg(ok, "rejected \"%s\" (depth %u): %s", shown, max_depth,
                  error ? error->message : "no error set");
    ck_assert_ptr_null(error);
    ck_assert(vl_json_check(copy, len, max_depth, NULL));
}

static void
assert_rejected(const char *text, gsize len, guint max_depth, VlProtocolError code, gssize offset)
{
    g_autofree char *copy = g_memdup2(text, len);
    g_autofree char *shown = printable(text, len);
    g_autoptr(GError) error = NULL;
    gboolean ok = vl_json_check(copy, len, max_depth, &error);
    gsize at;

    ck_assert_msg(!ok, "accepted \"%s\" (depth %u)", shown, max_depth);
    ck_assert_msg(error != NULL, "rejected \"%s\" without an error", shown);
    ck_assert_msg(error->domain == VL_PROTOCOL_ERROR, "\"%s\": error in domain %s", shown,
                  g_quark_to_string(error->domain));
    ck_assert_msg(error->code == (int)code, "\"%s\": expected %s, got %s (%s)", shown,
                  vl_protocol_error_name(code), vl_protocol_error_name(error->code),
                  error->message);
    at = error_offset(error);
    ck_assert_msg(at <= len, "\"%s\": offset %zu beyond the text (%s)", shown, at, error->message);
    if (offset != ANY_OFFSET) {
        ck_assert_msg(at == (gsize)offset, "\"%s\": expected offset %zd, got \"%s\"", shown, offset,
                      error->message);
    }
    /* Without an error pointer the answer is the same. */
    ck_assert(!vl_json_check(copy, len, max_depth, NULL));
}

/* Valid texts of every kind. */

static const ValidCase valid_cases[] = {
    /* Objects and arrays. */
    VALID("{}"),
    VALID("[]"),
    VALID("{\"a\":1}"),
    VALID("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}"),
    VALID("[1,2,3]"),
    VALID("[[],{},[[]],[{}],\"\",0]"),
    VALID(" \t\r\n{ \"a\" : [ 1 , { } , [ ] ] , \"b\" : null }\r\n \t"),
    VALID("{\"\":\"\"}"),
    VALID("{\"a\":1,\"a\":2}"), /* RFC 8259 says names SHOULD be unique, not MUST */
    /* Scalars at the top level. */
    VALID("\"text\""),
    VALID("\"\""),
    VALID("true"),
    VALID("false"),
    VALID("null"),
    VALID(" null "),
    /* Numbers. */
    VALID("0"),
    VALID("-0"),
    VALID("1"),
    VALID("-1"),
    VALID("42"),
    VALID("1.5"),
    VALID("-1.5"),
    VALID("0.0"),
    VALID("-0.0"),
    VALID("1e5"),
    VALID("1E5"),
    VALID("1e+5"),
    VALID("1e-5"),
    VALID("-1.5e10"),
    VALID("0e0"),
    VALID("1.7976931348623157e308"),
    VALID("1e-999"),                      /* underflows to zero: finite */
    VALID("1e0000000000000000000000005"), /* leading zeros are allowed in exponents */
    VALID("1000000000000000000"),
    VALID("123456789012345678901234567890.5"), /* a long mantissa is a double, not an integer */
    VALID("[0,-0,1,-1,0.5,-0.5,1e1,1E-1]"),
    /* Strings: raw UTF-8, every simple escape, \u escapes, a surrogate pair. */
    VALID("\"h\xc3\xa9llo \xe2\x98\x83 \xf0\x9d\x84\x9e\""),
    VALID("\"\xf4\x8f\xbf\xbf\""), /* U+10FFFF */
    VALID("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""),
    VALID("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
    VALID("\"\\u0041\\u00e9\\u2603\\uFFFF\""),
    VALID("\"\\u0001\\u001f\""), /* escaped control characters are fine */
    VALID("\"\\ud834\\udd1e\""),
    VALID("\"\\uD834\\uDD1E\""),
    VALID("\"\\udbff\\udfff\""),
    VALID("\"a\\ud834\\udd1eb\""),
    VALID("\"\x7f\""), /* DEL is not a control character for JSON */
    VALID("{\"\\u00e9\\n\":\"\\ud83d\\ude00\"}"),
};

START_TEST(test_valid)
{
    assert_accepted(valid_cases[_i].text, valid_cases[_i].len, DEFAULT_DEPTH);
}
END_TEST

/* The leniencies of other parsers, and plain syntax errors. */

static const InvalidCase invalid_cases[] = {
    /* Empty text. */
    INVALID("", INVALID_JSON, 0),
    INVALID("   ", INVALID_JSON, 3),
    INVALID("\r\n", INVALID_JSON, 2),
    /* Comments. */
    INVALID("/* c */ {}", INVALID_JSON, 0),
    INVALID("// c\n{}", INVALID_JSON, 0),
    INVALID("# c\n{}", INVALID_JSON, 0),
    INVALID("{} // c", INVALID_JSON, 3),
    INVALID("{} /* c */", INVALID_JSON, 3),
    INVALID("{\"a\":1 /* c */}", INVALID_JSON, 7),
    INVALID("[1, // c\n2]", INVALID_JSON, 4),
    /* Single quotes. */
    INVALID("'a'", INVALID_JSON, 0),
    INVALID("{'a':1}", INVALID_JSON, 1),
    INVALID("{\"a\":'b'}", INVALID_JSON, 5),
    /* Unquoted names. */
    INVALID("{a:1}", INVALID_JSON, 1),
    INVALID("{1:2}", INVALID_JSON, 1),
    /* Hex, octal, leading zeros, other number forms. */
    INVALID("0x10", INVALID_JSON, 1),
    INVALID("[0x10]", INVALID_JSON, 2),
    INVALID("0X1F", INVALID_JSON, 1),
    INVALID("01", INVALID_JSON, 1),
    INVALID("-01", INVALID_JSON, 2),
    INVALID("00", INVALID_JSON, 1),
    INVALID("[007]", INVALID_JSON, 2),
    INVALID("+1", INVALID_JSON, 0),
    INVALID(".5", INVALID_JSON, 0),
    INVALID("1.", INVALID_JSON, 2),
    INVALID("1.e5", INVALID_JSON, 2),
    INVALID("1e", INVALID_JSON, 2),
    INVALID("1e+", INVALID_JSON, 3),
    INVALID("1E-x", INVALID_JSON, 3),
    INVALID("-", INVALID_JSON, 1),
    INVALID("- 1", INVALID_JSON, 1),
    INVALID("1_000", INVALID_JSON, 1),
    /* Trailing and doubled commas. */
    INVALID("[1,]", INVALID_JSON, 3),
    INVALID("[1,2,]", INVALID_JSON, 5),
    INVALID("{\"a\":1,}", INVALID_JSON, 7),
    INVALID("[,]", INVALID_JSON, 1),
    INVALID("[1,,2]", INVALID_JSON, 3),
    INVALID("{,}", INVALID_JSON, 1),
    INVALID("{\"a\":1,,\"b\":2}", INVALID_JSON, 7),
    /* NaN and infinities. */
    INVALID("NaN", INVALID_JSON, 0),
    INVALID("nan", INVALID_JSON, 0),
    INVALID("[NaN]", INVALID_JSON, 1),
    INVALID("Infinity", INVALID_JSON, 0),
    INVALID("-Infinity", INVALID_JSON, 1),
    INVALID("{\"a\":-Infinity}", INVALID_JSON, 6),
    /* Trailing garbage after one complete value. */
    INVALID("{}{}", INVALID_JSON, 2),
    INVALID("{} x", INVALID_JSON, 3),
    INVALID("[] []", INVALID_JSON, 3),
    INVALID("1 2", INVALID_JSON, 2),
    INVALID("\"a\"\"b\"", INVALID_JSON, 3),
    INVALID("{},", INVALID_JSON, 2),
    INVALID("{}]", INVALID_JSON, 2),
    INVALID("truex", INVALID_JSON, 4),
    /* Broken literals. */
    INVALID("tru", INVALID_JSON, 0),
    INVALID("True", INVALID_JSON, 0),
    INVALID("nul", INVALID_JSON, 0),
    INVALID("[fals]", INVALID_JSON, 1),
    INVALID("undefined", INVALID_JSON, 0),
    /* Structure. */
    INVALID("[", INVALID_JSON, 1),
    INVALID("]", INVALID_JSON, 0),
    INVALID("{", INVALID_JSON, 1),
    INVALID("}", INVALID_JSON, 0),
    INVALID("[1", INVALID_JSON, 2),
    INVALID("[1 2]", INVALID_JSON, 3),
    INVALID("[1:2]", INVALID_JSON, 2),
    INVALID("{\"a\"", INVALID_JSON, 4),
    INVALID("{\"a\" 1}", INVALID_JSON, 5),
    INVALID("{\"a\":}", INVALID_JSON, 5),
    INVALID("{\"a\":1", INVALID_JSON, 6),
    INVALID("{\"a\":1]", INVALID_JSON, 6),
    INVALID("[1}", INVALID_JSON, 2),
    INVALID("{\"a\",\"b\"}", INVALID_JSON, 4),
    /* Whitespace beyond the four RFC 8259 characters, and a byte order mark. */
    INVALID("\f{}", INVALID_JSON, 0),
    INVALID("\v{}", INVALID_JSON, 0),
    INVALID("[1,\f2]", INVALID_JSON, 3),
    INVALID("\xc2\xa0{}", INVALID_JSON, 0),
    INVALID("\xef\xbb\xbf{}", INVALID_JSON, 0),
};

START_TEST(test_invalid)
{
    const InvalidCase *c = &invalid_cases[_i];

    assert_rejected(c->text, c->len, DEFAULT_DEPTH, c->code, c->offset);
}
END_TEST

START_TEST(test_empty_text)
{
    g_autoptr(GError) error = NULL;

    ck_assert(!vl_json_check(NULL, 0, DEFAULT_DEPTH, &error));
    ck_assert(g_error_matches(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_INVALID_JSON));
    ck_assert_uint_eq(error_offset(error), 0);
    g_clear_error(&error);

    ck_assert(!vl_json_check("{}", 0, DEFAULT_DEPTH, &error));
    ck_assert(g_error_matches(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_INVALID_JSON));
}
END_TEST

/* Only len bytes count: what follows them is neither read nor judged. */
START_TEST(test_length_bounds_the_text)
{
    assert_accepted("[1]xyz", 3, DEFAULT_DEPTH);
    assert_accepted("{}\0garbage", 2, DEFAULT_DEPTH);
    assert_accepted("123456", 3, DEFAULT_DEPTH);
    assert_rejected("{\"a\":1}", 6, DEFAULT_DEPTH, VL_PROTOCOL_ERROR_INVALID_JSON, 6);
    assert_rejected("\"abc\"", 4, DEFAULT_DEPTH, VL_PROTOCOL_ERROR_INVALID_JSON, ANY_OFFSET);
    assert_rejected("tru"
                    "e",
                    3, DEFAULT_DEPTH, VL_PROTOCOL_ERROR_INVALID_JSON, 0);
    /* A number cut by len is judged by the digits inside len only. */
    assert_accepted("9223372036854775807"
                    "0",
                    19, DEFAULT_DEPTH);
}
END_TEST

/* Integers: exactly the signed 64-bit range; other numbers finite and short. */

static const ValidCase valid_numbers[] = {
    VALID("9223372036854775807"),
    VALID("-9223372036854775808"),
    VALID("9223372036854775806"),
    VALID("-9223372036854775807"),
    VALID("999999999999999999"),  /* 18 digits */
    VALID("1000000000000000000"), /* 19 digits below the limit */
    VALID("[9223372036854775807,-9223372036854775808]"),
    VALID("{\"max\":9223372036854775807,\"min\":-9223372036854775808}"),
    VALID("9223372036854775808.0"), /* not an integer: a double */
    VALID("9223372036854775808e0"),
    VALID("1e308"),
    VALID("-1.7976931348623157e308"),
    /* Exactly VL_JSON_MAX_NUMBER_LEN characters. */
    VALID("0.11111111111111111111111111111111111111111111111111111111111111"),
    VALID("-0.1111111111111111111111111111111111111111111111111111111111111"),
};

START_TEST(test_valid_number)
{
    assert_accepted(valid_numbers[_i].text, valid_numbers[_i].len, DEFAULT_DEPTH);
}
END_TEST

static const InvalidCase invalid_numbers[] = {
    INVALID("9223372036854775808", OUT_OF_RANGE, 0),
    INVALID("-9223372036854775809", OUT_OF_RANGE, 0),
    INVALID("9223372036854775810", OUT_OF_RANGE, 0),
    INVALID("9999999999999999999", OUT_OF_RANGE, 0),
    INVALID("10000000000000000000", OUT_OF_RANGE, 0), /* 20 digits */
    INVALID("18446744073709551615", OUT_OF_RANGE, 0), /* G_MAXUINT64 */
    INVALID("18446744073709551617", OUT_OF_RANGE, 0), /* wraps to 1 as a guint64 */
    INVALID("123456789012345678901234567890", OUT_OF_RANGE, 0),
    INVALID("-123456789012345678901234567890", OUT_OF_RANGE, 0),
    INVALID("[1,9223372036854775808]", OUT_OF_RANGE, 3),
    INVALID("{\"n\":-9223372036854775809}", OUT_OF_RANGE, 5),
    /* Not finite. */
    INVALID("1e999", OUT_OF_RANGE, 0),
    INVALID("-1e999", OUT_OF_RANGE, 0),
    INVALID("1.5e309", OUT_OF_RANGE, 0),
    INVALID("1E+400", OUT_OF_RANGE, 0),
    INVALID("[1e999]", OUT_OF_RANGE, 1),
    INVALID("{\"x\":1e999}", OUT_OF_RANGE, 5),
    /* VL_JSON_MAX_NUMBER_LEN + 1 characters. */
    INVALID("0.111111111111111111111111111111111111111111111111111111111111111", INVALID_JSON, 0),
    INVALID("[0.111111111111111111111111111111111111111111111111111111111111111]", INVALID_JSON, 1),
    INVALID("1e-00000000000000000000000000000000000000000000000000000000000001", INVALID_JSON, 0),
};

START_TEST(test_invalid_number)
{
    const InvalidCase *c = &invalid_numbers[_i];

    assert_rejected(c->text, c->len, DEFAULT_DEPTH, c->code, c->offset);
}
END_TEST

START_TEST(test_number_length_limit)
{
    /* A double of each length around the limit: "0." and digits. */
    for (gsize n = 3; n <= VL_JSON_MAX_NUMBER_LEN + 8; n++) {
        g_autoptr(GString) text = g_string_new("0.");

        while (text->len < n) {
            g_string_append_c(text, '5');
        }
        if (n <= VL_JSON_MAX_NUMBER_LEN) {
            assert_accepted(text->str, text->len, DEFAULT_DEPTH);
        } else {
            assert_rejected(text->str, text->len, DEFAULT_DEPTH, VL_PROTOCOL_ERROR_INVALID_JSON, 0);
        }
    }
}
END_TEST

/* Strings. */

static const InvalidCase invalid_strings[] = {
    /* Raw control characters. */
    INVALID("\"a\tb\"", INVALID_JSON, 2),
    INVALID("\"a\nb\"", INVALID_JSON, 2),
    INVALID("\"a\rb\"", INVALID_JSON, 2),
    INVALID("\"\x01\"", INVALID_JSON, 1),
    INVALID("\"\x1f\"", INVALID_JSON, 1),
    INVALID("\"\x1b[0m\"", INVALID_JSON, 1),
    INVALID("{\"a\x08\":1}", INVALID_JSON, 3),
    /* \u0000. */
    INVALID("\"\\u0000\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"a\\u0000b\"", INVALID_JSON, ANY_OFFSET),
    INVALID("{\"\\u0000\":1}", INVALID_JSON, ANY_OFFSET),
    /* Lone and misordered surrogates. */
    INVALID("\"\\ud800\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\udbff\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\ud800x\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\ud800\\n\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\ud800\\u0041\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\ud800\\ud800\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\ud800\\u0000\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\ud800", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\ud800\\", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\ud800\\u", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\ud800\\udc", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\udc00\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\udfff\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\udd1e\\ud834\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"a\\udc00\\udc00\"", INVALID_JSON, ANY_OFFSET),
    /* Bad escapes. */
    INVALID("\"\\x41\"", INVALID_JSON, 2),
    INVALID("\"\\a\"", INVALID_JSON, 2),
    INVALID("\"\\v\"", INVALID_JSON, 2),
    INVALID("\"\\0\"", INVALID_JSON, 2),
    INVALID("\"\\'\"", INVALID_JSON, 2),
    INVALID("\"\\ \"", INVALID_JSON, 2),
    INVALID("\"\\U0041\"", INVALID_JSON, 2),
    INVALID("\"\\N\"", INVALID_JSON, 2),
    INVALID("\"\\\xc3\xa9\"", INVALID_JSON, 2),
    INVALID("\"\\u12\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\u12G4\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\u 123\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\u-123\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\u\"", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\u", INVALID_JSON, ANY_OFFSET),
    INVALID("\"\\", INVALID_JSON, ANY_OFFSET),
    /* Unterminated. */
    INVALID("\"", INVALID_JSON, 1),
    INVALID("\"abc", INVALID_JSON, 4),
    INVALID("\"abc\\\"", INVALID_JSON, 6),
    INVALID("{\"a", INVALID_JSON, 3),
    INVALID("[\"a]", INVALID_JSON, 4),
};

START_TEST(test_invalid_string)
{
    const InvalidCase *c = &invalid_strings[_i];

    assert_rejected(c->text, c->len, DEFAULT_DEPTH, c->code, c->offset);
}
END_TEST

START_TEST(test_every_control_character)
{
    for (int ch = 0x01; ch < 0x20; ch++) {
        char raw[] = {'"', (char)ch, '"'};
        g_autofree char *escaped = g_strdup_printf("\"\\u%04x\"", (guint)ch);

        assert_rejected(raw, sizeof(raw), DEFAULT_DEPTH, VL_PROTOCOL_ERROR_INVALID_JSON, 1);
        assert_accepted(escaped, strlen(escaped), DEFAULT_DEPTH);
    }
}
END_TEST

START_TEST(test_every_escape_letter)
{
    for (int ch = 0x20; ch < 0x7f; ch++) {
        char text[] = {'"', '\\', (char)ch, '"'};

        if (strchr("\"\\/bfnrt", ch) != NULL) {
            assert_accepted(text, sizeof(text), DEFAULT_DEPTH);
        } else if (ch == 'u') {
            assert_rejected(text, sizeof(text), DEFAULT_DEPTH, VL_PROTOCOL_ERROR_INVALID_JSON,
                            ANY_OFFSET);
        } else {
            assert_rejected(text, sizeof(text), DEFAULT_DEPTH, VL_PROTOCOL_ERROR_INVALID_JSON, 2);
        }
    }
}
END_TEST

START_TEST(test_surrogate_ranges)
{
    /* Every high surrogate pairs with the first and the last low one; neither alone passes. */
    for (guint high = 0xD800; high <= 0xDBFF; high += 0x3F) {
        g_autofree char *alone = g_strdup_printf("\"\\u%04x\"", high);
        g_autofree char *first = g_strdup_printf("\"\\u%04x\\udc00\"", high);
        g_autofree char *last = g_strdup_printf("\"\\u%04X\\uDFFF\"", high);

        assert_rejected(alone, strlen(alone), DEFAULT_DEPTH, VL_PROTOCOL_ERROR_INVALID_JSON,
                        ANY_OFFSET);
        assert_accepted(first, strlen(first), DEFAULT_DEPTH);
        assert_accepted(last, strlen(last), DEFAULT_DEPTH);
    }
    /* The code units just around the surrogate block are ordinary characters. */
    assert_accepted("\"\\ud7ff\"", 8, DEFAULT_DEPTH);
    assert_accepted("\"\\ue000\"", 8, DEFAULT_DEPTH);
}
END_TEST

/* UTF-8: checked over the whole text before anything else. */

static const InvalidCase invalid_utf8[] = {
    /* Overlong encodings. */
    INVALID("\"\xc0\xaf\"", INVALID_UTF8, 1),
    INVALID("\"\xc1\xbf\"", INVALID_UTF8, 1),
    INVALID("\"\xe0\x80\xaf\"", INVALID_UTF8, 1),
    INVALID("\"\xf0\x80\x80\xaf\"", INVALID_UTF8, 1),
    INVALID("\"\xc0\x80\"", INVALID_UTF8, 1), /* the "modified UTF-8" NUL */
    /* Truncated sequences. */
    INVALID("\"\xc3\"", INVALID_UTF8, 1),
    INVALID("\"\xe2\x82\"", INVALID_UTF8, 1),
    INVALID("\"\xf0\x9d\x84\"", INVALID_UTF8, 1),
    INVALID("\"ab\xc3", INVALID_UTF8, 3),
    INVALID("\"ab\xf0\x9d", INVALID_UTF8, 3),
    /* Bytes that never occur, and stray continuation bytes. */
    INVALID("\xff", INVALID_UTF8, 0),
    INVALID("\"\xff\"", INVALID_UTF8, 1),
    INVALID("\"\xfe\"", INVALID_UTF8, 1),
    INVALID("\"\x80\"", INVALID_UTF8, 1),
    INVALID("\"\xbf\"", INVALID_UTF8, 1),
    /* Surrogates and code points past U+10FFFF encoded as UTF-8. */
    INVALID("\"\xed\xa0\x80\"", INVALID_UTF8, 1),
    INVALID("\"\xed\xbf\xbf\"", INVALID_UTF8, 1),
    INVALID("\"\xf4\x90\x80\x80\"", INVALID_UTF8, 1),
    INVALID("\"\xf8\x88\x80\x80\x80\"", INVALID_UTF8, 1),
    /* Raw NUL bytes, inside and outside strings. */
    INVALID("\0", INVALID_UTF8, 0),
    INVALID("\"a\0b\"", INVALID_UTF8, 2),
    INVALID("{\"a\":\"b\0c\"}", INVALID_UTF8, 7),
    INVALID("{}\0", INVALID_UTF8, 2),
    INVALID("[1,\0 2]", INVALID_UTF8, 3),
    /* Outside strings too, and before any syntax error further on. */
    INVALID("{\xff}", INVALID_UTF8, 1),
    INVALID("[1,,\xff]", INVALID_UTF8, 4),
    INVALID("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\xff", INVALID_UTF8, 40),
};

START_TEST(test_invalid_utf8)
{
    const InvalidCase *c = &invalid_utf8[_i];

    assert_rejected(c->text, c->len, DEFAULT_DEPTH, c->code, c->offset);
}
END_TEST

/* Depth: arrays and objects count together; exactly max_depth passes. */

typedef enum {
    SHAPE_ARRAYS,
    SHAPE_OBJECTS,
    SHAPE_MIXED,
} Shape;

/* levels containers nested around a 0, and the offset of each opening bracket. */
static GString *
nested(guint levels, Shape shape, GArray *ret_opens)
{
    GString *text = g_string_new(NULL);

    for (guint i = 0; i < levels; i++) {
        gboolean object = shape == SHAPE_OBJECTS || (shape == SHAPE_MIXED && i % 2 == 1);
        gsize offset = text->len;

        if (ret_opens) {
            g_array_append_val(ret_opens, offset);
        }
        g_string_append(text, object ? "{\"k\":" : "[");
    }
    g_string_append_c(text, '0');
    for (guint i = levels; i > 0; i--) {
        gboolean object = shape == SHAPE_OBJECTS || (shape == SHAPE_MIXED && (i - 1) % 2 == 1);

        g_string_append_c(text, object ? '}' : ']');
    }
    return text;
}

static const guint depth_limits[] = {1, 2, 3, 7, DEFAULT_DEPTH, 100, VL_JSON_MAX_DEPTH_LIMIT};

static void
check_depth(guint max_depth, Shape shape)
{
    g_autoptr(GArray) opens = g_array_new(FALSE, FALSE, sizeof(gsize));
    g_autoptr(GString) at_limit = nested(max_depth, shape, NULL);
    g_autoptr(GString) over_limit = nested(max_depth + 1, shape, opens);
    g_autoptr(GString) far_over = nested(max_depth + 50, shape, NULL);

    assert_accepted(at_limit->str, at_limit->len, max_depth);
    assert_rejected(over_limit->str, over_limit->len, max_depth, VL_PROTOCOL_ERROR_TOO_DEEP,
                    (gssize)g_array_index(opens, gsize, max_depth));
    assert_rejected(far_over->str, far_over->len, max_depth, VL_PROTOCOL_ERROR_TOO_DEEP,
                    ANY_OFFSET);
    /* A larger limit lets the deeper text through. */
    if (max_depth < VL_JSON_MAX_DEPTH_LIMIT) {
        assert_accepted(over_limit->str, over_limit->len, max_depth + 1);
    }
}

START_TEST(test_depth_arrays)
{
    check_depth(depth_limits[_i], SHAPE_ARRAYS);
}
END_TEST

START_TEST(test_depth_objects)
{
    check_depth(depth_limits[_i], SHAPE_OBJECTS);
}
END_TEST

START_TEST(test_depth_mixed)
{
    check_depth(depth_limits[_i], SHAPE_MIXED);
}
END_TEST

START_TEST(test_depth_empty_containers)
{
    assert_accepted("1", 1, 0);
    assert_rejected("[]", 2, 0, VL_PROTOCOL_ERROR_TOO_DEEP, 0);
    assert_rejected("{}", 2, 0, VL_PROTOCOL_ERROR_TOO_DEEP, 0);
    assert_accepted("[]", 2, 1);
    assert_accepted("{}", 2, 1);
    assert_rejected("[[]]", 4, 1, VL_PROTOCOL_ERROR_TOO_DEEP, 1);
    assert_rejected("{\"a\":{}}", 8, 1, VL_PROTOCOL_ERROR_TOO_DEEP, 5);
    assert_rejected("[{}]", 4, 1, VL_PROTOCOL_ERROR_TOO_DEEP, 1);
    assert_accepted("[{\"a\":[{}]}]", 12, 4);
    assert_rejected("[{\"a\":[{}]}]", 12, 3, VL_PROTOCOL_ERROR_TOO_DEEP, 7);
    /* The error names the first container too deep, not a later one. */
    assert_rejected("[[[]],[[[]]]]", 13, 3, VL_PROTOCOL_ERROR_TOO_DEEP, 8);
}
END_TEST

/* Depth is nesting, not a count of containers: closed siblings do not add up. */
START_TEST(test_depth_siblings)
{
    g_autoptr(GString) arrays = g_string_new("[");
    g_autoptr(GString) objects = g_string_new("{");

    for (guint i = 0; i < 2000; i++) {
        g_string_append(arrays, i ? ",[[0],{\"a\":0}]" : "[[0],{\"a\":0}]");
        g_string_append_printf(objects, "%s\"m%u\":{\"a\":[1]}", i ? "," : "", i);
    }
    g_string_append_c(arrays, ']');
    g_string_append_c(objects, '}');
    assert_accepted(arrays->str, arrays->len, 3);
    assert_rejected(arrays->str, arrays->len, 2, VL_PROTOCOL_ERROR_TOO_DEEP, 2);
    assert_accepted(objects->str, objects->len, 3);
    assert_rejected(objects->str, objects->len, 2, VL_PROTOCOL_ERROR_TOO_DEEP, 11);
}
END_TEST

#define HUGE_DEPTH 100000

START_TEST(test_huge_nesting)
{
    g_autoptr(GString) opens = g_string_new(NULL);
    g_autoptr(GString) balanced = g_string_new(NULL);
    g_autoptr(GString) objects = g_string_new(NULL);

    for (guint i = 0; i < HUGE_DEPTH; i++) {
        g_string_append_c(opens, '[');
        g_string_append(objects, "{\"a\":");
    }
    g_string_append(balanced, opens->str);
    for (guint i = 0; i < HUGE_DEPTH; i++) {
        g_string_append_c(balanced, ']');
    }

    assert_rejected(opens->str, opens->len, DEFAULT_DEPTH, VL_PROTOCOL_ERROR_TOO_DEEP,
                    DEFAULT_DEPTH);
    assert_rejected(opens->str, opens->len, VL_JSON_MAX_DEPTH_LIMIT, VL_PROTOCOL_ERROR_TOO_DEEP,
                    VL_JSON_MAX_DEPTH_LIMIT);
    assert_rejected(balanced->str, balanced->len, VL_JSON_MAX_DEPTH_LIMIT,
                    VL_PROTOCOL_ERROR_TOO_DEEP, VL_JSON_MAX_DEPTH_LIMIT);
    assert_rejected(objects->str, objects->len, VL_JSON_MAX_DEPTH_LIMIT, VL_PROTOCOL_ERROR_TOO_DEEP,
                    5 * VL_JSON_MAX_DEPTH_LIMIT);
}
END_TEST

/*
 * No recursion: the deepest text allowed, and a far deeper one, checked on a thread with a
 * 64 KiB stack. A checker recursing once per level would need far more than 64 bytes a level.
 */
#define SMALL_STACK_SIZE (64 * 1024)

typedef struct {
    GString *deepest;
    GString *deeper;
    gboolean deepest_ok;
    gboolean deeper_ok;
    int deeper_code;
} SmallStackRun;

static void *
check_on_small_stack(void *data)
{
    SmallStackRun *run = data;
    GError *error = NULL;

    run->deepest_ok =
        vl_json_check(run->deepest->str, run->deepest->len, VL_JSON_MAX_DEPTH_LIMIT, NULL);
    run->deeper_ok =
        vl_json_check(run->deeper->str, run->deeper->len, VL_JSON_MAX_DEPTH_LIMIT, &error);
    run->deeper_code = error ? error->code : -1;
    g_clear_error(&error);
    return NULL;
}

START_TEST(test_no_recursion)
{
    SmallStackRun run = {
        .deepest = nested(VL_JSON_MAX_DEPTH_LIMIT, SHAPE_MIXED, NULL),
        .deeper = nested(HUGE_DEPTH, SHAPE_ARRAYS, NULL),
    };
    pthread_attr_t attr;
    pthread_t thread;

    ck_assert_int_eq(pthread_attr_init(&attr), 0);
    ck_assert_int_eq(pthread_attr_setstacksize(&attr, SMALL_STACK_SIZE), 0);
    ck_assert_int_eq(pthread_create(&thread, &attr, check_on_small_stack, &run), 0);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    pthread_attr_destroy(&attr);

    ck_assert(run.deepest_ok);
    ck_assert(!run.deeper_ok);
    ck_assert_int_eq(run.deeper_code, VL_PROTOCOL_ERROR_TOO_DEEP);
    g_string_free(run.deepest, TRUE);
    g_string_free(run.deeper, TRUE);
}
END_TEST

static Suite *
json_check_suite(void)
{
    Suite *s = suite_create("json-check");
    TCase *tc;

    tc = tcase_create("syntax");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_valid, 0, G_N_ELEMENTS(valid_cases));
    tcase_add_loop_test(tc, test_invalid, 0, G_N_ELEMENTS(invalid_cases));
    tcase_add_test(tc, test_empty_text);
    tcase_add_test(tc, test_length_bounds_the_text);
    suite_add_tcase(s, tc);

    tc = tcase_create("numbers");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_valid_number, 0, G_N_ELEMENTS(valid_numbers));
    tcase_add_loop_test(tc, test_invalid_number, 0, G_N_ELEMENTS(invalid_numbers));
    tcase_add_test(tc, test_number_length_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("strings");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_invalid_string, 0, G_N_ELEMENTS(invalid_strings));
    tcase_add_test(tc, test_every_control_character);
    tcase_add_test(tc, test_every_escape_letter);
    tcase_add_test(tc, test_surrogate_ranges);
    suite_add_tcase(s, tc);

    tc = tcase_create("utf8");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_invalid_utf8, 0, G_N_ELEMENTS(invalid_utf8));
    suite_add_tcase(s, tc);

    tc = tcase_create("depth");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_depth_arrays, 0, G_N_ELEMENTS(depth_limits));
    tcase_add_loop_test(tc, test_depth_objects, 0, G_N_ELEMENTS(depth_limits));
    tcase_add_loop_test(tc, test_depth_mixed, 0, G_N_ELEMENTS(depth_limits));
    tcase_add_test(tc, test_depth_empty_containers);
    tcase_add_test(tc, test_depth_siblings);
    tcase_add_test(tc, test_huge_nesting);
    tcase_add_test(tc, test_no_recursion);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(json_check_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
