/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of VlFrameReader and vl_frame_encode().
 *
 * Every push goes through push_chunk(), which checks the reader's contract after each call
 * (progress, never past the first newline, never more than the cap held or allocated) and
 * records what came out as text ("frame {...}" or "error <code>"), so that feeding the same
 * bytes in different chunks can be compared as strings.
 */
#include <check.h>
#include <string.h>

#include "vl-error.h"
#include "vl-frame.h"
#include "vl-json-check.h"
#include "vl-json.h"

#define KiB 1024
#define MiB (1024 * 1024)
/* The size below which the reader keeps its buffer between frames (KEEP_BUFFER_SIZE). */
#define SMALL_BUFFER (64 * KiB)

typedef struct {
    VlFrameReader *reader;
    gsize cap;
    GPtrArray *events; /* char *: "frame <compact JSON>" or "error <wire name>" */
    GPtrArray *frames; /* VlJson *: the frames delivered, in order */
    guint n_errors;
    VlProtocolError last_error;
    gsize max_pending;
    gsize max_allocated;
} Feed;

static void
feed_init(Feed *f, gsize cap, guint max_depth)
{
    f->reader = vl_frame_reader_new(cap, max_depth);
    ck_assert_ptr_nonnull(f->reader);
    f->cap = cap;
    f->events = g_ptr_array_new_with_free_func(g_free);
    f->frames = g_ptr_array_new_with_free_func((GDestroyNotify)vl_json_unref);
    f->n_errors = 0;
    f->last_error = VL_PROTOCOL_ERROR_N_CODES;
    f->max_pending = 0;
    f->max_allocated = 0;
}

static void
feed_clear(Feed *f)
{
    g_clear_pointer(&f->reader, vl_frame_reader_free);
    g_clear_pointer(&f->events, g_ptr_array_unref);
    g_clear_pointer(&f->frames, g_ptr_array_unref);
}

/*
 * The invariants checked on every push. libcheck records a mark for every ck_assert that
 * passes (a message to the parent process in fork mode), and the chunk boundary tests push
 * millions of times: that made them ten times slower under ASan. This fails the same way,
 * without the marks.
 */
#define REQUIRE(expr, ...)                                                                         \
    do {                                                                                           \
        if (G_UNLIKELY(!(expr))) {                                                                 \
            ck_abort_msg("'" #expr "' failed: " __VA_ARGS__);                                      \
        }                                                                                          \
    } while (0)

/* Pushes one chunk until it is all consumed, checking the reader after every call. */
static void
push_chunk(Feed *f, const char *data, gsize len)
{
    if (len == 0) {
        g_autoptr(VlJson) frame = NULL;
        g_autoptr(GError) error = NULL;
        gsize used = 1;
        gboolean ok = vl_frame_reader_push(f->reader, data, 0, &used, &frame, &error);

        REQUIRE(ok && used == 0 && frame == NULL && error == NULL, "empty push");
        return;
    }

    while (len > 0) {
        g_autoptr(VlJson) frame = NULL;
        g_autoptr(GError) error = NULL;
        gsize used = 0;
        gboolean ok = vl_frame_reader_push(f->reader, data, len, &used, &frame, &error);
        gsize pending = vl_frame_reader_pending(f->reader);
        gsize allocated = vl_frame_reader_allocated(f->reader);

        REQUIRE(used > 0 && used <= len, "consumed %zu of %zu", used, len);
        /* Never past the first newline. */
        REQUIRE(used == len || data[used - 1] == '\n', "stopped inside a line");
        REQUIRE(memchr(data, '\n', used - 1) == NULL, "consumed past a newline");
        /* Never more than the cap held or allocated. */
        REQUIRE(pending <= f->cap, "%zu bytes held, cap %zu", pending, f->cap);
        REQUIRE(allocated <= f->cap, "%zu bytes allocated, cap %zu", allocated, f->cap);
        REQUIRE(pending <= allocated, "%zu bytes held in %zu", pending, allocated);
        f->max_pending = MAX(f->max_pending, pending);
        f->max_allocated = MAX(f->max_allocated, allocated);

        if (ok) {
            REQUIRE(error == NULL, "error set on success: %s", error->message);
            if (frame) {
                g_autofree char *text = vl_json_to_string(frame, NULL);

                REQUIRE(vl_json_kind(frame) == VL_JSON_OBJECT, "frame %s", text);
                REQUIRE(data[used - 1] == '\n', "frame %s before its newline", text);
                REQUIRE(pending == 0, "%zu bytes held after frame %s", pending, text);
                g_ptr_array_add(f->events, g_strconcat("frame ", text, NULL));
                g_ptr_array_add(f->frames, g_steal_pointer(&frame));
            }
        } else {
            REQUIRE(frame == NULL, "frame returned with an error");
            REQUIRE(error != NULL, "failed without an error");
            REQUIRE(error->domain == VL_PROTOCOL_ERROR, "error in domain %s: %s",
                    g_quark_to_string(error->domain), error->message);
            REQUIRE(vl_protocol_error_name(error->code) != NULL, "error code %d", error->code);
            REQUIRE(error->message[0] != '\0', "empty error message");
            f->n_errors++;
            f->last_error = error->code;
            g_ptr_array_add(f->events,
                            g_strconcat("error ", vl_protocol_error_name(error->code), NULL));
        }
        data += used;
        len -= used;
    }
}

static void
push_str(Feed *f, const char *text)
{
    push_chunk(f, text, strlen(text));
}

/* Pushes data in chunks of chunk_size bytes (the last one shorter). */
static void
push_in_chunks(Feed *f, const char *data, gsize len, gsize chunk_size)
{
    for (gsize at = 0; at < len; at += chunk_size) {
        push_chunk(f, data + at, MIN(chunk_size, len - at));
    }
}

/* Everything that came out, one event a line, and the statistics. */
static char *
feed_summary(const Feed *f)
{
    GString *out = g_string_new(NULL);
    VlFrameStats stats;

    for (guint i = 0; i < f->events->len; i++) {
        g_string_append_printf(out, "%s\n", (const char *)f->events->pdata[i]);
    }
    vl_frame_reader_get_stats(f->reader, &stats);
    g_string_append_printf(
        out, "frames=%" G_GUINT64_FORMAT " errors=%" G_GUINT64_FORMAT " dropped=%" G_GUINT64_FORMAT,
        stats.frames, stats.errors, stats.dropped_bytes);
    return g_string_free(out, FALSE);
}

static void
assert_stats(const VlFrameReader *reader, guint64 frames, guint64 errors, guint64 dropped)
{
    VlFrameStats stats;

    vl_frame_reader_get_stats(reader, &stats);
    ck_assert_uint_eq(stats.frames, frames);
    ck_assert_uint_eq(stats.errors, errors);
    ck_assert_uint_eq(stats.dropped_bytes, dropped);
}

/* An object frame of exactly size bytes, newline excluded: {"s":"xxx..."}. */
static GString *
frame_of_size(gsize size)
{
    GString *text = g_string_new("{\"s\":\"");

    ck_assert_uint_ge(size, 8);
    while (text->len < size - 2) {
        g_string_append_c(text, (char)('a' + text->len % 26));
    }
    g_string_append(text, "\"}");
    ck_assert_uint_eq(text->len, size);
    return text;
}

static gboolean json_equal(const VlJson *a, const VlJson *b);

typedef struct {
    const VlJson *other;
    gboolean equal;
} MemberCompare;

static void
compare_member(const char *name, VlJson *value, gpointer user_data)
{
    MemberCompare *cmp = user_data;
    const VlJson *other = vl_json_object_get(cmp->other, name);

    if (other == NULL || !json_equal(value, other)) {
        cmp->equal = FALSE;
    }
}

static gboolean
json_equal(const VlJson *a, const VlJson *b)
{
    if (vl_json_kind(a) != vl_json_kind(b)) {
        return FALSE;
    }
    switch (vl_json_kind(a)) {
    case VL_JSON_NULL:
        return TRUE;
    case VL_JSON_BOOL:
        return vl_json_get_bool(a) == vl_json_get_bool(b);
    case VL_JSON_INT:
        return vl_json_get_int(a) == vl_json_get_int(b);
    case VL_JSON_DOUBLE:
        return vl_json_get_double(a) == vl_json_get_double(b);
    case VL_JSON_STRING:
        return g_str_equal(vl_json_get_string(a), vl_json_get_string(b));
    case VL_JSON_ARRAY:
        if (vl_json_array_length(a) != vl_json_array_length(b)) {
            return FALSE;
        }
        for (guint i = 0; i < vl_json_array_length(a); i++) {
            if (!json_equal(vl_json_array_get(a, i), vl_json_array_get(b, i))) {
                return FALSE;
            }
        }
        return TRUE;
    case VL_JSON_OBJECT: {
        MemberCompare cmp = {.other = b, .equal = TRUE};

        if (vl_json_object_size(a) != vl_json_object_size(b)) {
            return FALSE;
        }
        vl_json_object_foreach(a, compare_member, &cmp);
        return cmp.equal;
    }
    }
    return FALSE;
}

/* Basic delivery. */

START_TEST(test_single_frame)
{
    g_autoptr(VlFrameReader) reader = vl_frame_reader_new(VL_FRAME_DEFAULT_MAX_SIZE, 8);
    g_autoptr(VlJson) frame = NULL;
    g_autoptr(GError) error = NULL;
    const char *text = "{\"a\":1,\"b\":\"two\"}\n";
    gsize used = 0;

    ck_assert(vl_frame_reader_push(reader, text, strlen(text), &used, &frame, &error));
    ck_assert_ptr_null(error);
    ck_assert_uint_eq(used, strlen(text));
    ck_assert_ptr_nonnull(frame);
    ck_assert_int_eq(vl_json_kind(frame), VL_JSON_OBJECT);
    ck_assert_uint_eq(vl_json_object_size(frame), 2);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(frame, "a")), 1);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(frame, "b")), "two");
    ck_assert_uint_eq(vl_frame_reader_pending(reader), 0);
    /* A whole line in one chunk is parsed in place, without buffering. */
    ck_assert_uint_eq(vl_frame_reader_allocated(reader), 0);
    assert_stats(reader, 1, 0, 0);
}
END_TEST

START_TEST(test_frame_waits_for_newline)
{
    g_autoptr(VlFrameReader) reader = vl_frame_reader_new(VL_FRAME_DEFAULT_MAX_SIZE, 8);
    g_autoptr(VlJson) frame = NULL;
    g_autoptr(GError) error = NULL;
    gsize used = 0;

    ck_assert(vl_frame_reader_push(reader, "{\"a\":1}", 7, &used, &frame, &error));
    ck_assert_uint_eq(used, 7);
    ck_assert_ptr_null(frame);
    ck_assert_ptr_null(error);
    ck_assert_uint_eq(vl_frame_reader_pending(reader), 7);
    ck_assert_uint_ge(vl_frame_reader_allocated(reader), 7);
    assert_stats(reader, 0, 0, 0);

    ck_assert(vl_frame_reader_push(reader, "\n", 1, &used, &frame, &error));
    ck_assert_uint_eq(used, 1);
    ck_assert_ptr_nonnull(frame);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(frame, "a")), 1);
    ck_assert_uint_eq(vl_frame_reader_pending(reader), 0);
    assert_stats(reader, 1, 0, 0);
}
END_TEST

START_TEST(test_empty_push)
{
    g_autoptr(VlFrameReader) reader = vl_frame_reader_new(64, 8);
    g_autoptr(VlJson) frame = NULL;
    g_autoptr(GError) error = NULL;
    gsize used = 1;

    ck_assert(vl_frame_reader_push(reader, NULL, 0, &used, &frame, &error));
    ck_assert_uint_eq(used, 0);
    ck_assert_ptr_null(frame);
    ck_assert_ptr_null(error);
    ck_assert(vl_frame_reader_push(reader, "x", 0, &used, &frame, &error));
    ck_assert_uint_eq(used, 0);
    ck_assert_uint_eq(vl_frame_reader_pending(reader), 0);
    assert_stats(reader, 0, 0, 0);
}
END_TEST

START_TEST(test_several_frames_in_one_chunk)
{
    g_autoptr(VlFrameReader) reader = vl_frame_reader_new(VL_FRAME_DEFAULT_MAX_SIZE, 8);
    const char *text = "{\"n\":1}\n{\"n\":22}\n{\"n\":333}\n";
    const char *p = text;
    gsize left = strlen(text);

    /* One frame per call, each call consuming exactly its line. */
    for (gint64 n = 1, line = 8; n <= 3; n++, line++) {
        g_autoptr(VlJson) frame = NULL;
        g_autoptr(GError) error = NULL;
        gsize used = 0;

        ck_assert(vl_frame_reader_push(reader, p, left, &used, &frame, &error));
        ck_assert_uint_eq(used, line);
        ck_assert_ptr_nonnull(frame);
        ck_assert_int_eq(vl_json_get_int(vl_json_object_get(frame, "n")), n == 1   ? 1
                                                                          : n == 2 ? 22
                                                                                   : 333);
        p += used;
        left -= used;
    }
    ck_assert_uint_eq(left, 0);
    assert_stats(reader, 3, 0, 0);
}
END_TEST

START_TEST(test_many_frames_in_one_chunk)
{
    Feed f;
    g_autoptr(GString) text = g_string_new(NULL);

    for (guint i = 0; i < 10000; i++) {
        g_string_append_printf(text, "{\"i\":%u}\n", i);
    }
    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, 8);
    push_chunk(&f, text->str, text->len);
    ck_assert_uint_eq(f.frames->len, 10000);
    ck_assert_uint_eq(f.n_errors, 0);
    for (guint i = 0; i < f.frames->len; i++) {
        ck_assert_int_eq(vl_json_get_int(vl_json_object_get(f.frames->pdata[i], "i")), i);
    }
    assert_stats(f.reader, 10000, 0, 0);
    feed_clear(&f);
}
END_TEST

/*
 * Chunk boundaries: each buffer is fed whole, cut at every byte position, cut at every pair of
 * positions, and one byte at a time; what comes out, statistics included, must not change.
 */
typedef struct {
    const char *name;
    const char *data;
    gsize len;
    gsize cap;
    guint max_depth;
    const char *expected; /* feed_summary() */
} SplitScenario;

#define SPLIT(name, data, cap, depth, expected)                                                    \
    {                                                                                              \
        name, data, sizeof(data) - 1, cap, depth, expected                                         \
    }

static const SplitScenario split_scenarios[] = {
    SPLIT("three frames",
          "{\"id\":1,\"s\":\"x y\"}\n"
          "{\"id\":2,\"list\":[1,2,3]}\n"
          "{\"id\":3,\"o\":{\"k\":null}}\n",
          VL_FRAME_DEFAULT_MAX_SIZE, 8,
          "frame {\"id\":1,\"s\":\"x y\"}\n"
          "frame {\"id\":2,\"list\":[1,2,3]}\n"
          "frame {\"id\":3,\"o\":{\"k\":null}}\n"
          "frames=3 errors=0 dropped=0"),
    SPLIT("crlf, blank lines and bad frames",
          "{\"a\":1}\r\n"
          "\n"
          "  \r\n"
          "[1]\n"
          "{\"b\":\"\xc3\xa9\"}\n"
          "{\"c\":}\n"
          "{\"d\":\"\xff\"}\n"
          "\t\n"
          "{\"x\":{\"y\":{\"z\":1}}}\n"
          "{\"e\":true}\r\n",
          VL_FRAME_DEFAULT_MAX_SIZE, 2,
          "frame {\"a\":1}\n"
          "error not_object\n"
          "frame {\"b\":\"\xc3\xa9\"}\n"
          "error invalid_json\n"
          "error invalid_utf8\n"
          "error too_deep\n"
          "frame {\"e\":true}\n"
          "frames=3 errors=4 dropped=0"),
    SPLIT(
        "frames around the cap",
        "{\"s\":\"0123456789abcdef\"}\n"  /* exactly 24: delivered */
        "{\"s\":\"0123456789abcdefg\"}\n" /* 25: too large */
        "{\"b\":2}\n"
        "\n"
        "   \n"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxx\n" /* 100: too large */
        "{\"c\":3}\r\n"
        "{\"s\":\"0123456789abcde\"}\r\n", /* 23 and a CR: delivered */
        24, 8,
        "frame {\"s\":\"0123456789abcdef\"}\n"
        "error frame_too_large\n"
        "frame {\"b\":2}\n"
        "error frame_too_large\n"
        "frame {\"c\":3}\n"
        "frame {\"s\":\"0123456789abcde\"}\n"
        "frames=4 errors=2 dropped=125"),
};

/* Feeds the scenario in the chunks between the given cut positions (sorted, may repeat). */
static char *
run_with_cuts(const SplitScenario *s, const gsize *cuts, guint n_cuts, gsize *ret_max_pending)
{
    Feed f;
    gsize from = 0;
    char *summary;

    feed_init(&f, s->cap, s->max_depth);
    for (guint i = 0; i <= n_cuts; i++) {
        gsize to = i < n_cuts ? cuts[i] : s->len;

        push_chunk(&f, s->data + from, to - from);
        from = to;
    }
    summary = feed_summary(&f);
    if (ret_max_pending) {
        *ret_max_pending = f.max_pending;
    }
    ck_assert_uint_eq(vl_frame_reader_pending(f.reader), 0);
    feed_clear(&f);
    return summary;
}

START_TEST(test_split_whole)
{
    const SplitScenario *s = &split_scenarios[_i];
    g_autofree char *summary = run_with_cuts(s, NULL, 0, NULL);

    ck_assert_str_eq(summary, s->expected);
}
END_TEST

START_TEST(test_split_every_position)
{
    const SplitScenario *s = &split_scenarios[_i];

    for (gsize cut = 0; cut <= s->len; cut++) {
        g_autofree char *summary = run_with_cuts(s, &cut, 1, NULL);

        REQUIRE(g_str_equal(summary, s->expected), "%s, cut at %zu:\n%s\nexpected:\n%s", s->name,
                cut, summary, s->expected);
    }
}
END_TEST

START_TEST(test_split_every_pair)
{
    const SplitScenario *s = &split_scenarios[_i];

    for (gsize first = 0; first <= s->len; first++) {
        for (gsize second = first; second <= s->len; second++) {
            gsize cuts[] = {first, second};
            g_autofree char *summary = run_with_cuts(s, cuts, 2, NULL);

            REQUIRE(g_str_equal(summary, s->expected),
                    "%s, cuts at %zu and %zu:\n%s\nexpected:\n%s", s->name, first, second, summary,
                    s->expected);
        }
    }
}
END_TEST

START_TEST(test_split_byte_by_byte)
{
    const SplitScenario *s = &split_scenarios[_i];
    g_autofree gsize *cuts = g_new(gsize, s->len);
    g_autofree char *summary = NULL;
    gsize max_pending = 0;
    gsize longest = 0;

    for (gsize i = 0, line = 0; i < s->len; i++) {
        cuts[i] = i + 1;
        line = s->data[i] == '\n' ? 0 : line + 1;
        longest = MAX(longest, line);
    }
    summary = run_with_cuts(s, cuts, (guint)s->len, &max_pending);
    ck_assert_str_eq(summary, s->expected);
    /* Byte by byte, every line is held whole before its newline, up to the cap. */
    ck_assert_uint_eq(max_pending, MIN(s->cap, longest));
}
END_TEST

/* Line endings and blank lines. */

START_TEST(test_crlf)
{
    Feed f;

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, 8);
    push_str(&f, "{\"a\":\"x\"}\r\n");
    push_str(&f, "{\"b\":2}\r");
    push_str(&f, "\n");
    push_str(&f, "{\"c\":3} \t\r\n");
    ck_assert_uint_eq(f.frames->len, 3);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(f.frames->pdata[0], "a")), "x");
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(f.frames->pdata[1], "b")), 2);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(f.frames->pdata[2], "c")), 3);

    /* A CR alone does not end a line: two objects on one line are one bad frame. */
    push_str(&f, "{\"d\":4}\r{\"e\":5}\n");
    ck_assert_uint_eq(f.n_errors, 1);
    ck_assert_int_eq(f.last_error, VL_PROTOCOL_ERROR_INVALID_JSON);
    ck_assert_uint_eq(f.frames->len, 3);
    assert_stats(f.reader, 3, 1, 0);
    feed_clear(&f);
}
END_TEST

START_TEST(test_blank_lines_skipped)
{
    Feed f;

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, 8);
    push_str(&f, "\n\n\r\n   \n\t\t\n \t \r\n\r\r\n");
    push_str(&f, "  ");
    push_str(&f, "\r");
    push_str(&f, "\n");
    ck_assert_uint_eq(f.events->len, 0);
    ck_assert_uint_eq(vl_frame_reader_pending(f.reader), 0);
    assert_stats(f.reader, 0, 0, 0);

    push_str(&f, "\n{\"a\":1}\n\n");
    ck_assert_uint_eq(f.frames->len, 1);
    ck_assert_uint_eq(f.n_errors, 0);
    assert_stats(f.reader, 1, 0, 0);
    feed_clear(&f);
}
END_TEST

/* Bad frames: each an error for that frame alone, the next frame still delivered. */

typedef struct {
    const char *line;
    gsize len;
    VlProtocolError code;
} BadFrame;

#define BAD(line, code)                                                                            \
    {                                                                                              \
        line, sizeof(line) - 1, VL_PROTOCOL_ERROR_##code                                           \
    }

static const BadFrame bad_frames[] = {
    /* Valid JSON, not an object. */
    BAD("[1,2]", NOT_OBJECT),
    BAD("[]", NOT_OBJECT),
    BAD("\"a string\"", NOT_OBJECT),
    BAD("42", NOT_OBJECT),
    BAD("-1.5e3", NOT_OBJECT),
    BAD("true", NOT_OBJECT),
    BAD("null", NOT_OBJECT),
    BAD("  [{\"a\":1}]  ", NOT_OBJECT),
    /* Not JSON, including everything a lenient parser forgives. */
    BAD("{", INVALID_JSON),
    BAD("{\"a\":}", INVALID_JSON),
    BAD("{\"a\":1,}", INVALID_JSON),
    BAD("{'a':1}", INVALID_JSON),
    BAD("{\"a\":1} // comment", INVALID_JSON),
    BAD("/* c */ {\"a\":1}", INVALID_JSON),
    BAD("{\"a\":0x10}", INVALID_JSON),
    BAD("{\"a\":01}", INVALID_JSON),
    BAD("{\"a\":NaN}", INVALID_JSON),
    BAD("{}{}", INVALID_JSON),
    BAD("{} x", INVALID_JSON),
    BAD("{\"a\":\"\\u0000\"}", INVALID_JSON),
    BAD("{\"a\":\"\\ud800\"}", INVALID_JSON),
    BAD("{\"a\":\"tab\there\"}", INVALID_JSON),
    BAD("hello", INVALID_JSON),
    /* Numbers out of range. */
    BAD("{\"n\":9223372036854775808}", OUT_OF_RANGE),
    BAD("{\"n\":123456789012345678901234567890}", OUT_OF_RANGE),
    BAD("{\"n\":1e999}", OUT_OF_RANGE),
    /* Bad UTF-8, NUL bytes. */
    BAD("{\"a\":\"\xff\"}", INVALID_UTF8),
    BAD("{\"a\":\"\xc0\xaf\"}", INVALID_UTF8),
    BAD("{\"a\":\"\xe2\x82\"}", INVALID_UTF8),
    BAD("{\"a\":\"\xed\xa0\x80\"}", INVALID_UTF8),
    BAD("{\"a\":\"b\0c\"}", INVALID_UTF8),
    BAD("{\"a\":1}\0", INVALID_UTF8),
    /* Deeper than the reader's limit (4 in this test). */
    BAD("{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", TOO_DEEP),
    BAD("{\"a\":[[[[1]]]]}", TOO_DEEP),
    BAD("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", TOO_DEEP),
};

static void
check_bad_frame(const BadFrame *bad, gsize chunk_size)
{
    g_autoptr(GString) data = g_string_new(NULL);
    g_autofree char *summary = NULL;
    g_autofree char *expected = NULL;
    Feed f;

    g_string_append(data, "{\"before\":1}\n");
    g_string_append_len(data, bad->line, (gssize)bad->len);
    g_string_append(data, "\n{\"after\":2}\n");

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, 4);
    push_in_chunks(&f, data->str, data->len, chunk_size);
    summary = feed_summary(&f);
    expected = g_strdup_printf("frame {\"before\":1}\nerror %s\nframe {\"after\":2}\n"
                               "frames=2 errors=1 dropped=0",
                               vl_protocol_error_name(bad->code));
    ck_assert_str_eq(summary, expected);
    feed_clear(&f);
}

START_TEST(test_bad_frame_whole)
{
    check_bad_frame(&bad_frames[_i], G_MAXSIZE);
}
END_TEST

START_TEST(test_bad_frame_byte_by_byte)
{
    check_bad_frame(&bad_frames[_i], 1);
}
END_TEST

START_TEST(test_not_object_message)
{
    Feed f;
    g_autoptr(VlJson) frame = NULL;
    g_autoptr(GError) error = NULL;
    gsize used = 0;

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, 8);
    ck_assert(!vl_frame_reader_push(f.reader, "[1]\n{}\n", 7, &used, &frame, &error));
    ck_assert_uint_eq(used, 4);
    ck_assert(g_error_matches(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_NOT_OBJECT));
    ck_assert_ptr_nonnull(strstr(error->message, "array"));
    /* The reader has moved past the bad frame: the rest of the chunk reads normally. */
    push_str(&f, "{}\n");
    ck_assert_uint_eq(f.frames->len, 1);
    assert_stats(f.reader, 1, 1, 0);
    feed_clear(&f);
}
END_TEST

/* Depth through the reader, up to the largest limit the checker allows. */
START_TEST(test_depth_limits)
{
    static const guint limits[] = {1, 4, VL_FRAME_DEFAULT_MAX_DEPTH, VL_JSON_MAX_DEPTH_LIMIT};

    for (guint l = 0; l < G_N_ELEMENTS(limits); l++) {
        guint max_depth = limits[l];
        Feed f;

        feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, max_depth);
        for (guint depth = max_depth; depth <= max_depth + 1; depth++) {
            g_autoptr(GString) text = g_string_new(NULL);

            /* One object around depth - 1 arrays. */
            g_string_append(text, "{\"a\":");
            for (guint i = 1; i < depth; i++) {
                g_string_append_c(text, '[');
            }
            g_string_append_c(text, '7');
            for (guint i = 1; i < depth; i++) {
                g_string_append_c(text, ']');
            }
            g_string_append(text, "}\n");
            push_chunk(&f, text->str, text->len);
        }
        ck_assert_uint_eq(f.frames->len, 1);
        ck_assert_uint_eq(f.n_errors, 1);
        ck_assert_int_eq(f.last_error, VL_PROTOCOL_ERROR_TOO_DEEP);
        feed_clear(&f);
    }
}
END_TEST

/* What the checker lets through, the parser behind the seam reads with the same values. */
START_TEST(test_int64_limits)
{
    Feed f;
    const VlJson *frame;

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, 8);
    push_str(&f, "{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"zero\":-0,"
                 "\"big\":1e308,\"tiny\":1e-999,\"half\":0.5}\n");
    ck_assert_uint_eq(f.frames->len, 1);
    frame = f.frames->pdata[0];
    ck_assert_int_eq(vl_json_kind(vl_json_object_get(frame, "max")), VL_JSON_INT);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(frame, "max")), G_MAXINT64);
    ck_assert_int_eq(vl_json_kind(vl_json_object_get(frame, "min")), VL_JSON_INT);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(frame, "min")), G_MININT64);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(frame, "zero")), 0);
    ck_assert_double_eq(vl_json_get_double(vl_json_object_get(frame, "big")), 1e308);
    ck_assert_double_eq(vl_json_get_double(vl_json_object_get(frame, "tiny")), 0.0);
    ck_assert_double_eq(vl_json_get_double(vl_json_object_get(frame, "half")), 0.5);

    push_str(&f, "{\"n\":9223372036854775808}\n{\"n\":-9223372036854775809}\n");
    ck_assert_uint_eq(f.frames->len, 1);
    ck_assert_uint_eq(f.n_errors, 2);
    ck_assert_int_eq(f.last_error, VL_PROTOCOL_ERROR_OUT_OF_RANGE);
    feed_clear(&f);
}
END_TEST

/*
 * What the checker accepts, the parser behind the seam reads, with the same meaning: every
 * value below, inside a frame, is delivered with the expected kind (and text, for strings).
 */
typedef struct {
    const char *json;
    VlJsonKind kind;
    const char *string; /* the decoded value of a string */
} AgreeCase;

static const AgreeCase agree_cases[] = {
    {"0", VL_JSON_INT, NULL},
    {"-0", VL_JSON_INT, NULL},
    {"1E+2", VL_JSON_DOUBLE, NULL},
    {"1e-2", VL_JSON_DOUBLE, NULL},
    {"-1.5e10", VL_JSON_DOUBLE, NULL},
    {"0.0", VL_JSON_DOUBLE, NULL},
    {"1e0000000000000000000000005", VL_JSON_DOUBLE, NULL},
    {"9223372036854775808.0", VL_JSON_DOUBLE, NULL},
    {"0.11111111111111111111111111111111111111111111111111111111111111", VL_JSON_DOUBLE, NULL},
    {"true", VL_JSON_BOOL, NULL},
    {"null", VL_JSON_NULL, NULL},
    {"[]", VL_JSON_ARRAY, NULL},
    {"{}", VL_JSON_OBJECT, NULL},
    {"\"\"", VL_JSON_STRING, ""},
    {"\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", VL_JSON_STRING, "\" \\ / \b \f \n \r \t"},
    {"\"\\u0041\\u00e9\\u2603\\uFFFF\"", VL_JSON_STRING, "A\xc3\xa9\xe2\x98\x83\xef\xbf\xbf"},
    {"\"\\u0001\\u001f\\u007f\"", VL_JSON_STRING, "\x01\x1f\x7f"},
    {"\"\\ud834\\udd1e\"", VL_JSON_STRING, "\xf0\x9d\x84\x9e"},
    {"\"\\uDBFF\\uDFFF\"", VL_JSON_STRING, "\xf4\x8f\xbf\xbf"},
    {"\"h\xc3\xa9llo \xf0\x9d\x84\x9e\"", VL_JSON_STRING, "h\xc3\xa9llo \xf0\x9d\x84\x9e"},
};

START_TEST(test_checker_and_parser_agree)
{
    const AgreeCase *c = &agree_cases[_i];
    g_autofree char *line = g_strdup_printf("{\"v\":%s}\n", c->json);
    const VlJson *value;
    Feed f;

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, 8);
    push_str(&f, line);
    ck_assert_msg(f.frames->len == 1, "%s not delivered (%s)", c->json,
                  f.n_errors ? vl_protocol_error_name(f.last_error) : "no error");
    value = vl_json_object_get(f.frames->pdata[0], "v");
    ck_assert_ptr_nonnull(value);
    ck_assert_msg(vl_json_kind(value) == c->kind, "%s read as a %s", c->json,
                  vl_json_kind_name(vl_json_kind(value)));
    if (c->string) {
        ck_assert_str_eq(vl_json_get_string(value), c->string);
    }
    feed_clear(&f);
}
END_TEST

/* The cap. */

static void
check_cap(gsize cap, gsize chunk_size)
{
    g_autoptr(GString) exact = frame_of_size(cap);
    g_autoptr(GString) over = frame_of_size(cap + 1);
    g_autoptr(GString) exact_crlf = frame_of_size(cap - 1);
    g_autoptr(GString) data = g_string_new(NULL);
    g_autofree char *expected = NULL;
    g_autofree char *summary = NULL;
    Feed f;

    g_string_append_printf(data, "%s\n", exact->str);
    g_string_append_printf(data, "%s\n", over->str);
    g_string_append(data, "{\"next\":1}\n");
    g_string_append_printf(data, "%s\r\n", exact_crlf->str);
    g_string_append(data, "{\"last\":2}\n");

    feed_init(&f, cap, 8);
    push_in_chunks(&f, data->str, data->len, chunk_size);
    summary = feed_summary(&f);
    expected = g_strdup_printf("frame %s\nerror frame_too_large\nframe {\"next\":1}\n"
                               "frame %s\nframe {\"last\":2}\n"
                               "frames=4 errors=1 dropped=%zu",
                               exact->str, exact_crlf->str, cap + 1);
    ck_assert_str_eq(summary, expected);
    ck_assert_uint_le(f.max_pending, cap);
    ck_assert_uint_le(f.max_allocated, cap);
    if (chunk_size == 1) {
        /* Byte by byte, the frame of exactly the cap was held whole. */
        ck_assert_uint_eq(f.max_pending, cap);
    }
    feed_clear(&f);
}

START_TEST(test_cap_small)
{
    static const gsize chunk_sizes[] = {1, 2, 3, 7, 16, 64, 65, 66, 1000};

    for (guint i = 0; i < G_N_ELEMENTS(chunk_sizes); i++) {
        check_cap(64, chunk_sizes[i]);
        check_cap(100, chunk_sizes[i]);
        check_cap(300, chunk_sizes[i]); /* past the first buffer size */
    }
}
END_TEST

START_TEST(test_cap_default)
{
    check_cap(VL_FRAME_DEFAULT_MAX_SIZE, 4 * KiB);
    check_cap(VL_FRAME_DEFAULT_MAX_SIZE, 4 * KiB + 1);
    check_cap(VL_FRAME_DEFAULT_MAX_SIZE, G_MAXSIZE);
}
END_TEST

START_TEST(test_cap_minimum)
{
    g_autofree char *summary = NULL;
    Feed f;

    feed_init(&f, 2, 8);
    push_str(&f, "{}\n{ }\n{}\n");
    push_str(&f, "{");
    push_str(&f, "}");
    push_str(&f, "\n");
    push_str(&f, "{");
    push_str(&f, " ");
    push_str(&f, "}\n{}\n");
    summary = feed_summary(&f);
    ck_assert_str_eq(summary, "frame {}\nerror frame_too_large\nframe {}\nframe {}\n"
                              "error frame_too_large\nframe {}\n"
                              "frames=4 errors=2 dropped=6");
    feed_clear(&f);
}
END_TEST

/*
 * The acceptance test: 10 MiB without a newline, in 4 KiB chunks, against the default 1 MiB
 * cap. The reader never holds or allocates more than the cap, reports the frame once, and
 * reads the frame after the newline.
 */
#define HUGE_FRAME_SIZE (10 * MiB)
#define CHUNK_SIZE (4 * KiB)

START_TEST(test_huge_frame_in_chunks)
{
    g_autofree char *chunk = g_malloc(CHUNK_SIZE);
    g_autofree char *summary = NULL;
    Feed f;

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, VL_FRAME_DEFAULT_MAX_DEPTH);
    memset(chunk, 'x', CHUNK_SIZE);
    memcpy(chunk, "{\"a\":\"", 6); /* the start of a string that never ends */
    push_chunk(&f, chunk, CHUNK_SIZE);
    memset(chunk, 'x', CHUNK_SIZE);
    for (gsize fed = CHUNK_SIZE; fed < HUGE_FRAME_SIZE; fed += CHUNK_SIZE) {
        push_chunk(&f, chunk, CHUNK_SIZE);
        ck_assert_uint_le(vl_frame_reader_pending(f.reader), VL_FRAME_DEFAULT_MAX_SIZE);
        ck_assert_uint_le(vl_frame_reader_allocated(f.reader), VL_FRAME_DEFAULT_MAX_SIZE);
    }
    ck_assert_uint_le(f.max_pending, VL_FRAME_DEFAULT_MAX_SIZE);
    ck_assert_uint_le(f.max_allocated, VL_FRAME_DEFAULT_MAX_SIZE);
    ck_assert_uint_eq(f.n_errors, 1);
    ck_assert_int_eq(f.last_error, VL_PROTOCOL_ERROR_FRAME_TOO_LARGE);
    ck_assert_uint_eq(f.frames->len, 0);
    ck_assert_uint_eq(vl_frame_reader_pending(f.reader), 0);
    ck_assert_uint_le(vl_frame_reader_allocated(f.reader), SMALL_BUFFER);

    push_str(&f, "\n{\"after\":1}\n");
    summary = feed_summary(&f);
    ck_assert_str_eq(summary, "error frame_too_large\nframe {\"after\":1}\n"
                              "frames=1 errors=1 dropped=10485760");
    feed_clear(&f);
}
END_TEST

/* The same, with the newline arriving alone and the next frame in pieces. */
START_TEST(test_huge_frame_newline_alone)
{
    g_autofree char *chunk = g_malloc(CHUNK_SIZE);
    Feed f;

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, VL_FRAME_DEFAULT_MAX_DEPTH);
    memset(chunk, ' ', CHUNK_SIZE);
    for (gsize fed = 0; fed < HUGE_FRAME_SIZE; fed += CHUNK_SIZE) {
        push_chunk(&f, chunk, CHUNK_SIZE);
    }
    push_str(&f, "\n");
    push_str(&f, "{\"af");
    push_str(&f, "ter\":1}");
    push_str(&f, "\n");
    ck_assert_uint_le(f.max_pending, VL_FRAME_DEFAULT_MAX_SIZE);
    ck_assert_uint_le(f.max_allocated, VL_FRAME_DEFAULT_MAX_SIZE);
    ck_assert_uint_eq(f.n_errors, 1);
    ck_assert_int_eq(f.last_error, VL_PROTOCOL_ERROR_FRAME_TOO_LARGE);
    ck_assert_uint_eq(f.frames->len, 1);
    assert_stats(f.reader, 1, 1, HUGE_FRAME_SIZE);
    feed_clear(&f);
}
END_TEST

/* An oversized frame whose newline, and the next frame, arrive in the same chunk. */
START_TEST(test_huge_frame_newline_same_chunk)
{
    g_autoptr(GString) data = g_string_new(NULL);
    g_autofree char *summary = NULL;
    Feed f;

    /* All of it in one chunk: nothing is buffered at all. */
    g_string_append(data, "{\"a\":\"");
    while (data->len < 2 * MiB) {
        g_string_append_c(data, 'x');
    }
    g_string_append(data, "\"}\n{\"after\":1}\n");
    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, VL_FRAME_DEFAULT_MAX_DEPTH);
    push_chunk(&f, data->str, data->len);
    summary = feed_summary(&f);
    ck_assert_str_eq(summary, "error frame_too_large\nframe {\"after\":1}\n"
                              "frames=1 errors=1 dropped=2097154");
    ck_assert_uint_eq(f.max_pending, 0);
    ck_assert_uint_eq(f.max_allocated, 0);
    feed_clear(&f);

    /* Most of it held, then the rest, the newline and the next frame in one chunk. */
    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, VL_FRAME_DEFAULT_MAX_DEPTH);
    push_chunk(&f, data->str, VL_FRAME_DEFAULT_MAX_SIZE - 10);
    ck_assert_uint_eq(vl_frame_reader_pending(f.reader), VL_FRAME_DEFAULT_MAX_SIZE - 10);
    ck_assert_uint_eq(f.n_errors, 0);
    push_chunk(&f, data->str + VL_FRAME_DEFAULT_MAX_SIZE - 10,
               data->len - (VL_FRAME_DEFAULT_MAX_SIZE - 10));
    g_free(summary);
    summary = feed_summary(&f);
    ck_assert_str_eq(summary, "error frame_too_large\nframe {\"after\":1}\n"
                              "frames=1 errors=1 dropped=2097154");
    ck_assert_uint_le(vl_frame_reader_allocated(f.reader), SMALL_BUFFER);
    feed_clear(&f);

    /* The cap exactly held, then one byte too many with the newline. */
    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, VL_FRAME_DEFAULT_MAX_DEPTH);
    push_chunk(&f, data->str, VL_FRAME_DEFAULT_MAX_SIZE);
    ck_assert_uint_eq(vl_frame_reader_pending(f.reader), VL_FRAME_DEFAULT_MAX_SIZE);
    push_str(&f, "x\n{\"after\":1}\n");
    g_free(summary);
    summary = feed_summary(&f);
    ck_assert_str_eq(summary, "error frame_too_large\nframe {\"after\":1}\n"
                              "frames=1 errors=1 dropped=1048577");
    feed_clear(&f);
}
END_TEST

/* Two oversized frames in a row are two errors; each is reported once. */
START_TEST(test_oversized_frames_in_a_row)
{
    g_autofree char *chunk = g_malloc(1000);
    g_autofree char *summary = NULL;
    Feed f;

    memset(chunk, 'y', 1000);
    feed_init(&f, 256, 8);
    for (guint frame = 0; frame < 3; frame++) {
        for (guint i = 0; i < 5; i++) {
            push_chunk(&f, chunk, 1000);
        }
        push_str(&f, "\n");
    }
    push_str(&f, "{}\n");
    summary = feed_summary(&f);
    ck_assert_str_eq(summary, "error frame_too_large\nerror frame_too_large\n"
                              "error frame_too_large\nframe {}\n"
                              "frames=1 errors=3 dropped=15000");
    feed_clear(&f);
}
END_TEST

START_TEST(test_stats)
{
    g_autoptr(GString) big = frame_of_size(40);
    Feed f;

    feed_init(&f, 32, 2);
    assert_stats(f.reader, 0, 0, 0);
    push_str(&f, "{\"a\":1}\n\n  \n");
    assert_stats(f.reader, 1, 0, 0);
    push_str(&f, "[1]\n{\"a\":}\n{\"a\":[[1]]}\n{\"a\":\"\xff\"}\n");
    assert_stats(f.reader, 1, 4, 0);
    /* 40 bytes in one chunk, then 40 in chunks of 10, then 40 with a CR. */
    push_chunk(&f, big->str, big->len);
    push_str(&f, "\n");
    assert_stats(f.reader, 1, 5, 40);
    push_in_chunks(&f, big->str, big->len, 10);
    assert_stats(f.reader, 1, 6, 80);
    push_str(&f, "\n");
    assert_stats(f.reader, 1, 6, 80);
    push_str(&f, big->str);
    push_str(&f, "\r\n{\"b\":2}\n");
    assert_stats(f.reader, 2, 7, 121);
    ck_assert_uint_eq(f.n_errors, 7);
    ck_assert_uint_eq(f.frames->len, 2);
    feed_clear(&f);
}
END_TEST

/* reset() forgets a partial frame, or an oversized one being dropped; statistics stay. */
START_TEST(test_reset)
{
    g_autoptr(GString) big = frame_of_size(200 * KiB);
    Feed f;

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, 8);
    push_str(&f, "{\"a\":");
    ck_assert_uint_eq(vl_frame_reader_pending(f.reader), 5);
    vl_frame_reader_reset(f.reader);
    ck_assert_uint_eq(vl_frame_reader_pending(f.reader), 0);
    push_str(&f, "{\"b\":2}\n");
    ck_assert_uint_eq(f.n_errors, 0);
    ck_assert_uint_eq(f.frames->len, 1);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(f.frames->pdata[0], "b")), 2);

    /* A large partial frame: its buffer goes too. */
    push_chunk(&f, big->str, big->len - 1);
    ck_assert_uint_eq(vl_frame_reader_pending(f.reader), big->len - 1);
    ck_assert_uint_ge(vl_frame_reader_allocated(f.reader), big->len - 1);
    vl_frame_reader_reset(f.reader);
    ck_assert_uint_eq(vl_frame_reader_pending(f.reader), 0);
    ck_assert_uint_le(vl_frame_reader_allocated(f.reader), SMALL_BUFFER);
    push_str(&f, "}\n{\"c\":3}\n");
    ck_assert_uint_eq(f.n_errors, 1); /* the "}" alone */
    ck_assert_uint_eq(f.frames->len, 2);
    feed_clear(&f);

    /* While an oversized frame is being dropped: the next line is read, not dropped. */
    feed_init(&f, 64, 8);
    push_chunk(&f, big->str, 1000);
    ck_assert_uint_eq(f.n_errors, 1);
    vl_frame_reader_reset(f.reader);
    push_str(&f, "{\"d\":4}\n");
    ck_assert_uint_eq(f.n_errors, 1);
    ck_assert_uint_eq(f.frames->len, 1);
    assert_stats(f.reader, 1, 1, 1000);
    feed_clear(&f);
}
END_TEST

/* A large frame's buffer is given back once the frame is done. */
START_TEST(test_buffer_given_back)
{
    g_autoptr(GString) big = frame_of_size(512 * KiB);
    Feed f;

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, 8);
    push_in_chunks(&f, big->str, big->len, 4 * KiB);
    ck_assert_uint_ge(vl_frame_reader_allocated(f.reader), big->len);
    push_str(&f, "\n");
    ck_assert_uint_eq(f.frames->len, 1);
    ck_assert_uint_eq(vl_frame_reader_pending(f.reader), 0);
    ck_assert_uint_le(vl_frame_reader_allocated(f.reader), SMALL_BUFFER);

    /* Small frames in pieces stay in a small buffer. */
    for (guint i = 0; i < 100; i++) {
        push_str(&f, "{\"small\":");
        push_str(&f, "true}\n");
    }
    ck_assert_uint_eq(f.frames->len, 101);
    ck_assert_uint_le(vl_frame_reader_allocated(f.reader), SMALL_BUFFER);

    /* And after a bad large frame, and after an oversized one. */
    push_in_chunks(&f, big->str, big->len - 1, 4 * KiB);
    push_str(&f, "\n");
    ck_assert_int_eq(f.last_error, VL_PROTOCOL_ERROR_INVALID_JSON);
    ck_assert_uint_le(vl_frame_reader_allocated(f.reader), SMALL_BUFFER);
    for (guint i = 0; i < 3; i++) {
        push_in_chunks(&f, big->str, big->len, 4 * KiB);
    }
    ck_assert_int_eq(f.last_error, VL_PROTOCOL_ERROR_FRAME_TOO_LARGE);
    ck_assert_uint_le(vl_frame_reader_allocated(f.reader), SMALL_BUFFER);
    ck_assert_uint_eq(f.n_errors, 2);
    feed_clear(&f);
}
END_TEST

/* Whether the reader's buffer holds any of the secret: the bytes it is done with are wiped. */
static gboolean
buffer_holds(const VlFrameReader *reader, const char *secret)
{
    const char *buf = vl_frame_reader_buffer(reader);

    ck_assert_ptr_nonnull(buf); /* kept for the next frame: small */
    return memmem(buf, vl_frame_reader_allocated(reader), secret, strlen(secret)) != NULL;
}

/* Frames carry passwords: none stays in the buffer kept for the next frame. */
START_TEST(test_consumed_bytes_wiped)
{
    g_autofree char *filler = g_strnfill(600, 'x');
    Feed f;

    feed_init(&f, 1024, 8);
    /* A frame in two pieces (held, then delivered), the buffer grown on the way. */
    push_str(&f, "{\"password\":\"hunter2-");
    push_str(&f, filler);
    ck_assert(buffer_holds(f.reader, "hunter2-"));
    push_str(&f, "\"}\n");
    ck_assert_uint_eq(f.frames->len, 1);
    ck_assert(!buffer_holds(f.reader, "hunter2-"));
    ck_assert(!buffer_holds(f.reader, "xxxxxxxx"));

    /* A bad frame, reported. */
    push_str(&f, "{\"password\":\"swordfish\"");
    push_str(&f, "\n");
    ck_assert_uint_eq(f.n_errors, 1);
    ck_assert(!buffer_holds(f.reader, "swordfish"));

    /* An oversized frame, dropped. */
    push_str(&f, "{\"password\":\"opensesame-");
    push_str(&f, filler);
    push_str(&f, filler);
    ck_assert_int_eq(f.last_error, VL_PROTOCOL_ERROR_FRAME_TOO_LARGE);
    ck_assert(!buffer_holds(f.reader, "opensesame-"));
    feed_clear(&f);
}
END_TEST

/* Encoding. */

static VlJson *
build_tricky_object(void)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "newline");
    vl_json_builder_add_string(b, "line one\nline two\n");
    vl_json_builder_member(b, "crlf");
    vl_json_builder_add_string(b, "a\r\nb\rc");
    vl_json_builder_member(b, "only newlines");
    vl_json_builder_add_string(b, "\n\n\n");
    vl_json_builder_member(b, "controls");
    vl_json_builder_add_string(b, "\x01\x02\x08\x0b\x0c\x1b\x1f\t");
    vl_json_builder_member(b, "quotes \"and\" \\ slashes /");
    vl_json_builder_add_string(b, "\"\\/\\\"");
    vl_json_builder_member(b, "name with\nnewline");
    vl_json_builder_add_string(b, "");
    vl_json_builder_member(b, "unicode");
    vl_json_builder_add_string(b, "h\xc3\xa9llo \xe2\x98\x83 \xf0\x9d\x84\x9e \xe2\x80\xa8 \x7f");
    vl_json_builder_member(b, "max");
    vl_json_builder_add_int(b, G_MAXINT64);
    vl_json_builder_member(b, "min");
    vl_json_builder_add_int(b, G_MININT64);
    vl_json_builder_member(b, "zero");
    vl_json_builder_add_int(b, 0);
    vl_json_builder_member(b, "half");
    vl_json_builder_add_double(b, -0.5);
    vl_json_builder_member(b, "two");
    vl_json_builder_add_double(b, 2.0);
    vl_json_builder_member(b, "large");
    vl_json_builder_add_double(b, 1.7976931348623157e308);
    vl_json_builder_member(b, "small");
    vl_json_builder_add_double(b, 4.9e-324);
    vl_json_builder_member(b, "third");
    vl_json_builder_add_double(b, 1.0 / 3.0);
    vl_json_builder_member(b, "yes");
    vl_json_builder_add_bool(b, TRUE);
    vl_json_builder_member(b, "no");
    vl_json_builder_add_bool(b, FALSE);
    vl_json_builder_member(b, "nothing");
    vl_json_builder_add_null(b);
    vl_json_builder_member(b, "list");
    vl_json_builder_begin_array(b);
    vl_json_builder_add_string(b, "x\ny");
    vl_json_builder_begin_array(b);
    vl_json_builder_end_array(b);
    vl_json_builder_begin_object(b);
    vl_json_builder_end_object(b);
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "deep");
    vl_json_builder_begin_array(b);
    vl_json_builder_add_int(b, -1);
    vl_json_builder_end_array(b);
    vl_json_builder_end_object(b);
    vl_json_builder_end_array(b);
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

static void
assert_encodes_and_reads_back(const VlJson *object)
{
    g_autoptr(GString) encoded = vl_frame_encode(object);
    g_autoptr(VlFrameReader) reader = vl_frame_reader_new(VL_FRAME_DEFAULT_MAX_SIZE, 8);
    g_autoptr(VlJson) decoded = NULL;
    g_autoptr(GError) error = NULL;
    gsize used = 0;

    /* Exactly one newline, at the end, and no other control character. */
    ck_assert_uint_ge(encoded->len, 3);
    ck_assert_int_eq(encoded->str[encoded->len - 1], '\n');
    ck_assert_ptr_null(memchr(encoded->str, '\n', encoded->len - 1));
    for (gsize i = 0; i < encoded->len - 1; i++) {
        ck_assert_msg((unsigned char)encoded->str[i] >= 0x20, "raw control 0x%02x at %zu in %s",
                      (unsigned char)encoded->str[i], i, encoded->str);
    }
    ck_assert_uint_eq(strlen(encoded->str), encoded->len);
    ck_assert(vl_json_check(encoded->str, encoded->len - 1, 8, NULL));

    ck_assert_msg(vl_frame_reader_push(reader, encoded->str, encoded->len, &used, &decoded, &error),
                  "%s: %s", encoded->str, error ? error->message : "");
    ck_assert_uint_eq(used, encoded->len);
    ck_assert_ptr_nonnull(decoded);
    ck_assert_msg(json_equal(object, decoded), "read back differs: %s", encoded->str);
}

START_TEST(test_encode)
{
    g_autoptr(VlJson) object = build_tricky_object();
    g_autoptr(GString) encoded = vl_frame_encode(object);
    const VlJson *list;

    assert_encodes_and_reads_back(object);
    /* The builder's object really holds what the read-back is compared with. */
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(object, "newline")),
                     "line one\nline two\n");
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(object, "min")), G_MININT64);
    ck_assert_int_eq(vl_json_kind(vl_json_object_get(object, "two")), VL_JSON_DOUBLE);
    list = vl_json_object_get(object, "list");
    ck_assert_uint_eq(vl_json_array_length(list), 4);
    ck_assert_ptr_nonnull(strstr(encoded->str, "\\n"));
}
END_TEST

START_TEST(test_encode_empty_object)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) object = NULL;
    g_autoptr(GString) encoded = NULL;

    vl_json_builder_begin_object(b);
    vl_json_builder_end_object(b);
    object = vl_json_builder_finish(b);
    encoded = vl_frame_encode(object);
    ck_assert_str_eq(encoded->str, "{}\n");
    assert_encodes_and_reads_back(object);
}
END_TEST

/*
 * Every control character, in values and in member names, comes out escaped. (json-glib 1.6
 * writes U+001F raw.) Also as a peer's frame forwarded: read, encoded, read again.
 */
START_TEST(test_encode_every_control_character)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) object = NULL;
    Feed f;

    vl_json_builder_begin_object(b);
    for (int ch = 0x01; ch < 0x20; ch++) {
        char name[] = {'k', (char)ch, '\0'};
        char value[] = {'<', (char)ch, '>', '\0'};

        vl_json_builder_member(b, name);
        vl_json_builder_add_string(b, value);
    }
    vl_json_builder_end_object(b);
    object = vl_json_builder_finish(b);
    ck_assert_uint_eq(vl_json_object_size(object), 0x1f);
    assert_encodes_and_reads_back(object);

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, 8);
    push_str(&f, "{\"a\":\"\\u001f\",\"\\u001f\":[\"\\u0001\\n\\u001e\"]}\n");
    ck_assert_uint_eq(f.frames->len, 1);
    assert_encodes_and_reads_back(f.frames->pdata[0]);
    feed_clear(&f);
}
END_TEST

/* Every frame of the split scenarios, encoded again, reads back equal. */
START_TEST(test_encode_read_frames)
{
    Feed f;

    feed_init(&f, VL_FRAME_DEFAULT_MAX_SIZE, 8);
    for (guint i = 0; i < G_N_ELEMENTS(split_scenarios); i++) {
        push_chunk(&f, split_scenarios[i].data, split_scenarios[i].len);
    }
    ck_assert_uint_ge(f.frames->len, 8);
    for (guint i = 0; i < f.frames->len; i++) {
        assert_encodes_and_reads_back(f.frames->pdata[i]);
    }
    feed_clear(&f);
}
END_TEST

static Suite *
frame_suite(void)
{
    Suite *s = suite_create("frame");
    TCase *tc;

    tc = tcase_create("reader");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_single_frame);
    tcase_add_test(tc, test_frame_waits_for_newline);
    tcase_add_test(tc, test_empty_push);
    tcase_add_test(tc, test_several_frames_in_one_chunk);
    tcase_add_test(tc, test_many_frames_in_one_chunk);
    tcase_add_test(tc, test_crlf);
    tcase_add_test(tc, test_blank_lines_skipped);
    tcase_add_test(tc, test_stats);
    tcase_add_test(tc, test_reset);
    suite_add_tcase(s, tc);

    tc = tcase_create("chunks");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_split_whole, 0, G_N_ELEMENTS(split_scenarios));
    tcase_add_loop_test(tc, test_split_every_position, 0, G_N_ELEMENTS(split_scenarios));
    tcase_add_loop_test(tc, test_split_every_pair, 0, G_N_ELEMENTS(split_scenarios));
    tcase_add_loop_test(tc, test_split_byte_by_byte, 0, G_N_ELEMENTS(split_scenarios));
    suite_add_tcase(s, tc);

    tc = tcase_create("bad-frames");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_bad_frame_whole, 0, G_N_ELEMENTS(bad_frames));
    tcase_add_loop_test(tc, test_bad_frame_byte_by_byte, 0, G_N_ELEMENTS(bad_frames));
    tcase_add_test(tc, test_not_object_message);
    tcase_add_test(tc, test_depth_limits);
    tcase_add_test(tc, test_int64_limits);
    tcase_add_loop_test(tc, test_checker_and_parser_agree, 0, G_N_ELEMENTS(agree_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("cap");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_cap_small);
    tcase_add_test(tc, test_cap_default);
    tcase_add_test(tc, test_cap_minimum);
    tcase_add_test(tc, test_huge_frame_in_chunks);
    tcase_add_test(tc, test_huge_frame_newline_alone);
    tcase_add_test(tc, test_huge_frame_newline_same_chunk);
    tcase_add_test(tc, test_oversized_frames_in_a_row);
    tcase_add_test(tc, test_buffer_given_back);
    suite_add_tcase(s, tc);

    tc = tcase_create("encode");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_encode);
    tcase_add_test(tc, test_encode_empty_object);
    tcase_add_test(tc, test_encode_every_control_character);
    tcase_add_test(tc, test_encode_read_frames);
    tcase_add_test(tc, test_consumed_bytes_wiped);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(frame_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
