/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent password: scrypt hashes and their strict parsing, reading from a pipe and a
 * terminal, wiping. Most tests use a cheap cost (ln=10) so that they run in milliseconds; one
 * runs the current cost and prints how long it takes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <gio/gio.h>

#include "vl-check.h"
#include "vl-password.h"

#define CHEAP_LN 10

static char *
cheap_hash(const char *password)
{
    g_autoptr(GError) error = NULL;
    char *stored = vl_password_hash_with_cost(password, strlen(password), CHEAP_LN, 8, 1, &error);

    ck_assert_msg(stored != NULL, "%s", error ? error->message : "");
    return stored;
}

static void
assert_verify_error(const char *stored, const char *password, gsize len, gint code)
{
    g_autoptr(GError) error = NULL;

    ck_assert(!vl_password_verify(stored, password, len, &error));
    ck_assert_msg(g_error_matches(error, VL_PASSWORD_ERROR, code), "%s: expected code %d, got %s",
                  stored ? stored : "(null)", code, error ? error->message : "no error");
}

/* Hashing and verifying ------------------------------------------------------------------------ */

START_TEST(test_round_trip)
{
    g_autofree char *stored = cheap_hash("correct horse battery staple");
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) fields = g_strsplit(stored, "$", -1);

    /* "", "scrypt", cost, salt, key */
    ck_assert_uint_eq(g_strv_length(fields), 5);
    ck_assert_str_eq(fields[1], "scrypt");
    ck_assert_str_eq(fields[2], "ln=10,r=8,p=1");
    ck_assert_uint_eq(strlen(fields[3]), 24); /* 16 bytes */
    ck_assert_uint_eq(strlen(fields[4]), 44); /* 32 bytes */
    ck_assert(vl_password_verify(stored, "correct horse battery staple", 28, &error));
    ck_assert(error == NULL);
    /* The length is the password's, not strlen's. */
    assert_verify_error(stored, "correct horse battery staple!", 28 + 1,
                        VL_PASSWORD_ERROR_MISMATCH);
    assert_verify_error(stored, "correct horse battery stapl", 27, VL_PASSWORD_ERROR_MISMATCH);
}
END_TEST

START_TEST(test_wrong_password)
{
    g_autofree char *stored = cheap_hash("s3cret");
    g_autofree char *long_one = g_strnfill(VL_PASSWORD_MAX_LEN + 1, 'x');

    assert_verify_error(stored, "S3cret", 6, VL_PASSWORD_ERROR_MISMATCH);
    assert_verify_error(stored, "s3cre", 5, VL_PASSWORD_ERROR_MISMATCH);
    /* Passwords that can never have been stored are a mismatch too, not a fault. */
    assert_verify_error(stored, "", 0, VL_PASSWORD_ERROR_MISMATCH);
    assert_verify_error(stored, NULL, 0, VL_PASSWORD_ERROR_MISMATCH);
    assert_verify_error(stored, long_one, strlen(long_one), VL_PASSWORD_ERROR_MISMATCH);
    assert_verify_error(stored, "s3cret\0x", 8, VL_PASSWORD_ERROR_MISMATCH);
}
END_TEST

START_TEST(test_salted)
{
    g_autofree char *a = cheap_hash("same");
    g_autofree char *b = cheap_hash("same");

    ck_assert_str_ne(a, b);
    ck_assert(vl_password_verify(a, "same", 4, NULL));
    ck_assert(vl_password_verify(b, "same", 4, NULL));
}
END_TEST

START_TEST(test_key_changed)
{
    g_autofree char *stored = cheap_hash("password");
    char *key = strrchr(stored, '$') + 1;

    /* The first character of the key carries six full bits: changing it is still canonical. */
    key[0] = key[0] == 'A' ? 'B' : 'A';
    assert_verify_error(stored, "password", 8, VL_PASSWORD_ERROR_MISMATCH);
}
END_TEST

START_TEST(test_password_bounds)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *longest = g_strnfill(VL_PASSWORD_MAX_LEN, 'p');
    g_autofree char *too_long = g_strnfill(VL_PASSWORD_MAX_LEN + 1, 'p');
    g_autofree char *stored = NULL;
    const char utf8[] = "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac";

    ck_assert(vl_password_hash("", 0, &error) == NULL);
    ck_assert(g_error_matches(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_EMPTY));
    g_clear_error(&error);
    ck_assert(vl_password_hash(too_long, strlen(too_long), &error) == NULL);
    ck_assert(g_error_matches(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_TOO_LONG));
    g_clear_error(&error);
    ck_assert(vl_password_hash("a\0b", 3, &error) == NULL);
    ck_assert(g_error_matches(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_INVALID));
    g_clear_error(&error);
    ck_assert(vl_password_hash("\xff\xfe", 2, &error) == NULL);
    ck_assert(g_error_matches(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_INVALID));
    g_clear_error(&error);

    stored = cheap_hash(longest);
    ck_assert(vl_password_verify(stored, longest, strlen(longest), NULL));
    g_free(stored);
    stored = cheap_hash(utf8);
    ck_assert(vl_password_verify(stored, utf8, strlen(utf8), NULL));
}
END_TEST

/* The current cost, timed: the figure next to VL_PASSWORD_LOG2_N comes from this line. */
START_TEST(test_current_cost)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *stored = NULL;
    g_autofree char *prefix = g_strdup_printf("$scrypt$ln=%d,r=%d,p=%d$", VL_PASSWORD_LOG2_N,
                                              VL_PASSWORD_R, VL_PASSWORD_P);
    gint64 start = g_get_monotonic_time();
    gint64 hashed, verified;

    stored = vl_password_hash("hunter2", 7, &error);
    hashed = g_get_monotonic_time();
    ck_assert_msg(stored != NULL, "%s", error ? error->message : "");
    ck_assert(g_str_has_prefix(stored, prefix));
    ck_assert(vl_password_verify(stored, "hunter2", 7, &error));
    verified = g_get_monotonic_time();
    ck_assert(!vl_password_needs_rehash(stored));
    printf("scrypt ln=%d r=%d p=%d: hash %.0f ms, verify %.0f ms\n", VL_PASSWORD_LOG2_N,
           VL_PASSWORD_R, VL_PASSWORD_P, (hashed - start) / 1000.0, (verified - hashed) / 1000.0);
}
END_TEST

START_TEST(test_needs_rehash)
{
    g_autofree char *cheap = cheap_hash("pw");
    g_autofree char *low_r = NULL;

    ck_assert(vl_password_needs_rehash(cheap));
    low_r = vl_password_hash_with_cost("pw", 2, VL_PASSWORD_LOG2_N, 4, 1, NULL);
    ck_assert(low_r != NULL);
    ck_assert(vl_password_needs_rehash(low_r));
    ck_assert(vl_password_needs_rehash("$scrypt$garbage"));
    ck_assert(vl_password_needs_rehash(""));
    ck_assert(vl_password_needs_rehash(NULL));
}
END_TEST

/* Malformed stored strings ----------------------------------------------------------------------
 */

START_TEST(test_malformed)
{
    /* A valid salt (16 bytes) and key (32 bytes) to build variants around. */
    const char *salt = "AAECAwQFBgcICQoLDA0ODw==";
    const char *key = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
    g_autofree char *good = g_strdup_printf("$scrypt$ln=10,r=8,p=1$%s$%s", salt, key);
    g_autofree char *huge = NULL;
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(g_free);
    gint64 start;

#define CASE(...) g_ptr_array_add(cases, g_strdup_printf(__VA_ARGS__))
    /* Prefix and shape. */
    CASE("%s", "");
    CASE("%s", "$scrypt$");
    CASE("scrypt$ln=10,r=8,p=1$%s$%s", salt, key);
    CASE("$scrypt2$ln=10,r=8,p=1$%s$%s", salt, key);
    CASE("$SCRYPT$ln=10,r=8,p=1$%s$%s", salt, key);
    CASE("$argon2id$v=19$m=65536,t=3,p=4$%s$%s", salt, key);
    CASE("$scrypt$ln=10,r=8,p=1$%s", salt);
    CASE("$scrypt$ln=10,r=8,p=1$%s$", salt);
    CASE("$scrypt$ln=10,r=8,p=1$$%s", key);
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s$", salt, key);
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s$extra", salt, key);
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s ", salt, key);
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s\n", salt, key);
    CASE(" $scrypt$ln=10,r=8,p=1$%s$%s", salt, key);
    /* The cost. */
    CASE("$scrypt$ln=10,r=8$%s$%s", salt, key);
    CASE("$scrypt$r=8,ln=10,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=10,r=8,p=1,x=1$%s$%s", salt, key);
    CASE("$scrypt$ln=10, r=8,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=,r=8,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=010,r=8,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=-1,r=8,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=+10,r=8,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=0,r=8,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=10,r=0,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=10,r=8,p=0$%s$%s", salt, key);
    CASE("$scrypt$ln=60,r=8,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=4294967306,r=8,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=99999999999999999999,r=8,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=21,r=8,p=1$%s$%s", salt, key);       /* 2 GiB */
    CASE("$scrypt$ln=10,r=8,p=4000000$%s$%s", salt, key); /* huge p */
    CASE("$scrypt$ln=10,r=999999999,p=1$%s$%s", salt, key);
    CASE("$scrypt$ln=18,r=8,p=64$%s$%s", salt, key); /* 256 MiB, but 64 times the work */
    CASE("$scrypt$ln=16,r=1,p=1$%s$%s", salt, key);  /* N must be below 2^(16 r) */
    /* Base64. */
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s", "AAECAwQFBgcICQoLDA0ODw", key);   /* unpadded */
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s", "AAECAwQFBgcICQoLDA0ODx==", key); /* padding bits */
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s", "AAECAwQFBgcI!QoLDA0ODw==", key);
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s", "AAECAwQFBgcI\nQoLDA0ODw==", key);
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s", "AAECAwQFBgcI-QoLDA0ODw==", key); /* base64url */
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s", "AAECAwQFBgc=", key);             /* 8-byte salt */
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s", "====", key);
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s", "AA=A", key);
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s", salt,
         "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pg==");  /* 31 */
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s%s", salt, key, key); /* '=' inside */
    huge = g_strnfill(1 << 20, 'A');
    CASE("$scrypt$ln=10,r=8,p=1$%s$%s", salt, huge); /* 1 MiB */

#undef CASE

    /* The valid string they are built around verifies as a mismatch, not a fault. */
    assert_verify_error(good, "password", 8, VL_PASSWORD_ERROR_MISMATCH);
    ck_assert(vl_password_hash_is_valid(good, NULL));

    start = g_get_monotonic_time();
    for (guint i = 0; i < cases->len; i++) {
        assert_verify_error(cases->pdata[i], "password", 8, VL_PASSWORD_ERROR_MALFORMED);
        ck_assert(vl_password_needs_rehash(cases->pdata[i]));
        /* The state file's check at load agrees with verify, without computing anything. */
        {
            g_autoptr(GError) error = NULL;

            ck_assert_msg(!vl_password_hash_is_valid(cases->pdata[i], &error), "valid: case %u", i);
            ck_assert(g_error_matches(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED));
        }
    }
    ck_assert(!vl_password_hash_is_valid(NULL, NULL));
    assert_verify_error(NULL, "password", 8, VL_PASSWORD_ERROR_MALFORMED);
    /* Refused before any scrypt: all of them together take less than one cheap hash would. */
    ck_assert_msg(g_get_monotonic_time() - start < 200 * 1000,
                  "malformed strings took %" G_GINT64_FORMAT " us", g_get_monotonic_time() - start);
}
END_TEST

/* Reading ------------------------------------------------------------------------------------ */

/* Reads a password from a pipe that holds input[0..len) and then ends. */
static char *
read_from_pipe(const char *input, gsize len, gsize *ret_len, int *ret_rest_fd, GError **error)
{
    int fds[2];
    char *result;

    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], input, len), (ssize_t)len);
    close(fds[1]);
    result = vl_password_read(fds[0], ret_len, error);
    if (ret_rest_fd) {
        *ret_rest_fd = fds[0];
    } else {
        close(fds[0]);
    }
    return result;
}

static void
assert_read(const char *input, gsize input_len, const char *expected)
{
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    char *pw = read_from_pipe(input, input_len, &len, NULL, &error);

    ck_assert_msg(pw != NULL, "%s", error ? error->message : "");
    ck_assert_uint_eq(len, strlen(expected));
    ck_assert_str_eq(pw, expected);
    vl_password_free(pw, len);
}

static void
assert_read_error(const char *input, gsize input_len, gint code)
{
    g_autoptr(GError) error = NULL;
    gsize len = 99;

    ck_assert(read_from_pipe(input, input_len, &len, NULL, &error) == NULL);
    ck_assert_msg(g_error_matches(error, VL_PASSWORD_ERROR, code), "expected %d, got %s", code,
                  error ? error->message : "no error");
    ck_assert_uint_eq(len, 99);
}

START_TEST(test_read_pipe)
{
    g_autofree char *longest = g_strnfill(VL_PASSWORD_MAX_LEN, 'a');
    g_autofree char *longest_line = g_strconcat(longest, "\n", NULL);
    g_autofree char *too_long = g_strnfill(VL_PASSWORD_MAX_LEN + 1, 'a');
    g_autofree char *too_long_line = g_strconcat(too_long, "\n", NULL);
    g_autofree char *very_long = g_strnfill(60000, 'a');

    assert_read("secret\n", 7, "secret");
    assert_read("secret\r\n", 8, "secret");
    assert_read("secret", 6, "secret"); /* end of input ends the line */
    assert_read(" with spaces \n", 14, " with spaces ");
    assert_read("p\xc3\xa4ss\n", 6, "p\xc3\xa4ss");
    assert_read(longest_line, strlen(longest_line), longest);
    assert_read(longest, strlen(longest), longest);

    assert_read_error("\n", 1, VL_PASSWORD_ERROR_EMPTY);
    assert_read_error("\r\n", 2, VL_PASSWORD_ERROR_EMPTY);
    assert_read_error("", 0, VL_PASSWORD_ERROR_EMPTY);
    assert_read_error(too_long, strlen(too_long), VL_PASSWORD_ERROR_TOO_LONG);
    assert_read_error(too_long_line, strlen(too_long_line), VL_PASSWORD_ERROR_TOO_LONG);
    assert_read_error(very_long, strlen(very_long), VL_PASSWORD_ERROR_TOO_LONG);
    assert_read_error("a\0b\n", 4, VL_PASSWORD_ERROR_INVALID);
    assert_read_error("\xff\xfe\n", 3, VL_PASSWORD_ERROR_INVALID);
}
END_TEST

START_TEST(test_read_one_line)
{
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    int rest_fd = -1;
    char rest[16] = "";
    char *pw = read_from_pipe("first\nsecond\n", 13, &len, &rest_fd, &error);

    ck_assert_str_eq(pw, "first");
    vl_password_free(pw, len);
    /* Nothing after the line was taken. */
    ck_assert_int_eq(read(rest_fd, rest, sizeof(rest) - 1), 7);
    ck_assert_str_eq(rest, "second\n");
    close(rest_fd);
}
END_TEST

START_TEST(test_read_error)
{
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    int fds[2];

    ck_assert(vl_password_read(-1, &len, &error) == NULL);
    ck_assert(g_error_matches(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_READ));
    g_clear_error(&error);
    /* A write-only end cannot be read. */
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert(vl_password_read(fds[1], &len, &error) == NULL);
    ck_assert(g_error_matches(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_READ));
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* Types the line into the terminal once echo is off, as a person would after the prompt. */
static gpointer
type_when_quiet(gpointer data)
{
    int *fds = data; /* master, slave */
    struct termios t;

    for (guint i = 0; i < 5000; i++) {
        if (tcgetattr(fds[1], &t) == 0 && !(t.c_lflag & ECHO)) {
            ck_assert_int_eq(write(fds[0], "typed\n", 6), 6);
            return NULL;
        }
        g_usleep(1000);
    }
    return NULL;
}

START_TEST(test_read_terminal)
{
    g_autoptr(GError) error = NULL;
    int fds[2];
    struct termios before, after;
    GThread *typist;
    char echoed[64] = "";
    ssize_t n;
    gsize len = 0;
    char *pw;

    fds[0] = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fds[0] < 0) {
        printf("test_read_terminal skipped: no pseudo-terminal (%s)\n", g_strerror(errno));
        return;
    }
    ck_assert_int_eq(grantpt(fds[0]), 0);
    ck_assert_int_eq(unlockpt(fds[0]), 0);
    fds[1] = open(ptsname(fds[0]), O_RDWR | O_NOCTTY | O_CLOEXEC);
    ck_assert_int_ge(fds[1], 0);
    ck_assert_int_eq(tcgetattr(fds[1], &before), 0);
    ck_assert(before.c_lflag & ECHO);

    typist = g_thread_new("typist", type_when_quiet, fds);
    pw = vl_password_read(fds[1], &len, &error);
    g_thread_join(typist);
    ck_assert_msg(pw != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(pw, "typed");
    vl_password_free(pw, len);

    /* Only the newline came back to the screen, and echo is on again. */
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    n = read(fds[0], echoed, sizeof(echoed) - 1);
    ck_assert_int_gt(n, 0);
    ck_assert_msg(strstr(echoed, "typed") == NULL, "echoed: %s", echoed);
    ck_assert(strchr(echoed, '\n') != NULL);
    ck_assert_int_eq(tcgetattr(fds[1], &after), 0);
    ck_assert(after.c_lflag & ECHO);
    close(fds[1]);
    close(fds[0]);
}
END_TEST

/* Wiping ------------------------------------------------------------------------------------ */

START_TEST(test_wipe)
{
    char buf[] = "a secret that must go";
    char guard[] = "untouched";

    vl_password_wipe(buf, 9);
    for (guint i = 0; i < 9; i++) {
        ck_assert_int_eq(buf[i], 0);
    }
    ck_assert_str_eq(buf + 9, "that must go");
    vl_password_wipe(buf, sizeof(buf));
    for (guint i = 0; i < sizeof(buf); i++) {
        ck_assert_int_eq(buf[i], 0);
    }
    ck_assert_str_eq(guard, "untouched");
    /* Nothing to wipe or free is fine. */
    vl_password_wipe(NULL, 0);
    vl_password_wipe(guard, 0);
    ck_assert_str_eq(guard, "untouched");
    vl_password_free(NULL, 10);
    vl_password_free(g_strdup("x"), 1);
}
END_TEST

/* The hashing queue -----------------------------------------------------------------------------
 */

typedef struct {
    guint order;
    char *new_hash;
    GError *error;
    gboolean done;
} Checked;

static guint checked_count;

static void
on_checked(const char *new_hash, const GError *error, gpointer user_data)
{
    Checked *c = user_data;

    c->order = checked_count++;
    c->new_hash = g_strdup(new_hash);
    c->error = error ? g_error_copy(error) : NULL;
    c->done = TRUE;
}

static char *
secret(const char *text)
{
    return g_strdup(text);
}

START_TEST(test_queue)
{
    VlPasswordQueue *q = vl_password_queue_new();
    g_autofree char *stored = cheap_hash("right");
    Checked c[3] = {{0}};

    vl_password_queue_set_cost(q, CHEAP_LN, 8, 1);
    vl_password_queue_check(q, stored, secret("wrong"), 5, secret("new one"), 7, on_checked, &c[0]);
    vl_password_queue_check(q, stored, secret("right"), 5, secret("new one"), 7, on_checked, &c[1]);
    vl_password_queue_check(q, stored, secret("right"), 5, NULL, 0, on_checked, &c[2]);
    /* One runs, the others wait: all three are counted until answered. */
    ck_assert_uint_eq(vl_password_queue_length(q), 3);
    while (!c[2].done) {
        g_main_context_iteration(NULL, TRUE);
    }
    ck_assert_uint_eq(vl_password_queue_length(q), 0);
    /* In order. */
    ck_assert_uint_eq(c[0].order, 0);
    ck_assert_uint_eq(c[1].order, 1);
    ck_assert_uint_eq(c[2].order, 2);
    ck_assert(g_error_matches(c[0].error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MISMATCH));
    ck_assert_ptr_null(c[0].new_hash);
    ck_assert_ptr_null(c[1].error);
    ck_assert(vl_password_verify(c[1].new_hash, "new one", 7, NULL));
    ck_assert_ptr_null(c[2].error);
    ck_assert_ptr_null(c[2].new_hash);
    vl_password_queue_free(q);
    for (guint i = 0; i < 3; i++) {
        g_free(c[i].new_hash);
        g_clear_error(&c[i].error);
    }
}
END_TEST

START_TEST(test_queue_freed_with_checks_waiting)
{
    VlPasswordQueue *q = vl_password_queue_new();
    g_autofree char *stored = cheap_hash("right");
    Checked c[2] = {{0}};

    vl_password_queue_check(q, stored, secret("right"), 5, NULL, 0, on_checked, &c[0]);
    vl_password_queue_check(q, stored, secret("right"), 5, NULL, 0, on_checked, &c[1]);
    vl_password_queue_free(q);
    /* The waiting one is cancelled at once, the running one when its thread is done. */
    ck_assert(c[1].done);
    ck_assert(g_error_matches(c[1].error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
    while (!c[0].done) {
        g_main_context_iteration(NULL, TRUE);
    }
    ck_assert(g_error_matches(c[0].error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
    g_clear_error(&c[0].error);
    g_clear_error(&c[1].error);
}
END_TEST

START_TEST(test_queue_bounded)
{
    VlPasswordQueue *q = vl_password_queue_new();
    g_autofree char *stored = cheap_hash("right");
    Checked c[4] = {{0}};

    vl_password_queue_set_cost(q, CHEAP_LN, 8, 1);
    vl_password_queue_set_max_waiting(q, 2);
    ck_assert(!vl_password_queue_is_full(q));
    /* One runs, two wait: full. The next is refused, its buffers taken and never answered. */
    ck_assert(vl_password_queue_check(q, stored, secret("right"), 5, NULL, 0, on_checked, &c[0]));
    ck_assert(vl_password_queue_check(q, stored, secret("right"), 5, NULL, 0, on_checked, &c[1]));
    ck_assert(!vl_password_queue_is_full(q));
    ck_assert(vl_password_queue_check(q, stored, secret("right"), 5, NULL, 0, on_checked, &c[2]));
    ck_assert(vl_password_queue_is_full(q));
    ck_assert(!vl_password_queue_check(q, stored, secret("right"), 5, secret("new"), 3, on_checked,
                                       &c[3]));
    ck_assert_uint_eq(vl_password_queue_length(q), 3);
    while (!c[2].done) {
        g_main_context_iteration(NULL, TRUE);
    }
    ck_assert(!c[3].done);
    ck_assert(!vl_password_queue_is_full(q));
    vl_password_queue_free(q);
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_round_trip,
        test_wrong_password,
        test_salted,
        test_key_changed,
        test_password_bounds,
        test_current_cost,
        test_needs_rehash,
        test_malformed,
        test_read_pipe,
        test_read_one_line,
        test_read_error,
        test_read_terminal,
        test_wipe,
        test_queue,
        test_queue_freed_with_checks_waiting,
        test_queue_bounded,
        NULL,
    };

    return vl_check_run(vl_check_suite("password", tests));
}
