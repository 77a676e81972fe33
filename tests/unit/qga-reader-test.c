/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QEMU guest agent protocol's framing (vl-qga-reader): values found in a byte stream. */
#include <string.h>

#include "vl-check.h"
#include "vl-error.h"
#include "vl-qga-reader.h"

/* Feeds STREAM in reads of CHUNK bytes; returns what came out, one line per value ("E:" and the
 * error's code for an error). */
static char *
run(gsize max, const char *stream, gsize len, gsize chunk)
{
    g_autoptr(VlQgaReader) r = vl_qga_reader_new(max);
    GString *out = g_string_new(NULL);

    for (gsize off = 0; off < len;) {
        gsize n = MIN(chunk, len - off);
        const char *data = stream + off;

        off += n;
        while (n > 0) {
            g_autoptr(GError) error = NULL;
            g_autofree char *text = NULL;
            gsize used = 0;
            gsize text_len = 0;

            if (!vl_qga_reader_push(r, data, n, &used, &text, &text_len, &error)) {
                g_string_append_printf(out, "E:%d\n", error->code);
            } else if (text) {
                ck_assert_uint_eq(strlen(text), text_len);
                g_string_append_printf(out, "%s\n", text);
            }
            ck_assert_uint_gt(used, 0);
            ck_assert_uint_le(used, n);
            data += used;
            n -= used;
        }
    }
    return g_string_free(out, FALSE);
}

static void
assert_run(const char *stream, const char *expected)
{
    for (gsize chunk = 1; chunk <= strlen(stream) + 1; chunk++) {
        g_autofree char *got = run(1024, stream, strlen(stream), chunk);

        ck_assert_msg(g_str_equal(got, expected), "%s in reads of %zu:\n%s\nnot\n%s", stream, chunk,
                      got, expected);
    }
}

START_TEST(test_values)
{
    assert_run("{\"execute\":\"guest-ping\"}", "{\"execute\":\"guest-ping\"}\n");
    /* Back to back, across whitespace and newlines, nested, with braces in strings. */
    assert_run("{\"a\":1}{\"b\":[1,{\"c\":2}]}\n\n  {\"d\":\"}{][\\\"\"}\r\n",
               "{\"a\":1}\n{\"b\":[1,{\"c\":2}]}\n{\"d\":\"}{][\\\"\"}\n");
    assert_run("[1,2] [3]", "[1,2]\n[3]\n");
    /* Top-level strings and bare words end too, so they are answered. */
    assert_run("\"hello\" 42 true{\"x\":1}", "\"hello\"\n42\ntrue\n{\"x\":1}\n");
    assert_run("not json\n", "not\njson\n");
    /* A word ends where a value begins. */
    assert_run("nope\"s\"[1]", "nope\n\"s\"\n[1]\n");
}
END_TEST

START_TEST(test_sentinel_resets)
{
    /* guest-sync-delimited: the client flushes a half-sent message with 0xFF. */
    assert_run("{\"execute\":\"gue\xff{\"execute\":\"guest-sync-delimited\"}",
               "{\"execute\":\"guest-sync-delimited\"}\n");
    assert_run("\xff\xff{\"a\":\"x\xff{\"b\":1}", "{\"b\":1}\n");
    assert_run("tru\xff"
               "1 ",
               "1\n");
}
END_TEST

START_TEST(test_stray_closers)
{
    assert_run("}{\"a\":1}]", "E:3\n{\"a\":1}\nE:3\n");
}
END_TEST

START_TEST(test_cap)
{
    g_autofree char *big = g_strdup_printf("{\"a\":\"%s\"}{\"b\":1}", "xxxxxxxxxxxxxxxxxxxxxxxx");
    g_autofree char *got = run(16, big, strlen(big), 5);
    g_autofree char *exact = run(7, "{\"a\":1}{\"b\":22}", 15, 3);

    /* Reported once, dropped to its end, then the next value as usual. */
    ck_assert_str_eq(got, "E:0\n{\"b\":1}\n");
    ck_assert_str_eq(exact, "{\"a\":1}\nE:0\n");
}
END_TEST

START_TEST(test_pending_and_reset)
{
    g_autoptr(VlQgaReader) r = vl_qga_reader_new(64);
    g_autofree char *partial = NULL;
    g_autofree char *whole = NULL;
    g_autofree char *none = NULL;
    g_autoptr(GError) error = NULL;
    gsize used = 0;
    gsize len = 0;

    ck_assert(vl_qga_reader_push(r, "{\"a\":", 5, &used, &partial, &len, &error));
    ck_assert_uint_eq(used, 5);
    ck_assert_ptr_null(partial);
    ck_assert_uint_eq(vl_qga_reader_pending(r), 5);
    vl_qga_reader_reset(r);
    ck_assert_uint_eq(vl_qga_reader_pending(r), 0);
    ck_assert(vl_qga_reader_push(r, "[1]", 3, &used, &whole, &len, &error));
    ck_assert_str_eq(whole, "[1]");
    ck_assert(vl_qga_reader_push(r, "", 0, &used, &none, &len, &error));
    ck_assert_uint_eq(used, 0);
    ck_assert_ptr_null(none);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_values, test_sentinel_resets,   test_stray_closers,
        test_cap,    test_pending_and_reset, NULL,
    };

    return vl_check_run(vl_check_suite("qga-reader", tests));
}
