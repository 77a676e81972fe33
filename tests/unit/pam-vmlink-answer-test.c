/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pam_vmlink.so's parser of the agent's answer (pam-vmlink-answer.h) without PAM or a socket:
 * the exact code and fields for good answers, refusals and every way an answer can be broken.
 */
#include <string.h>

#include "pam-vmlink-answer.h"
#include "vl-check.h"
#include "vl-sso.h"

/* The parser's bound on a whole answer is the contract's. */
G_STATIC_ASSERT(PAM_VMLINK_ANSWER_MAX == 3 + VL_SSO_USER_MAX + 1 + VL_SSO_PASSWORD_MAX + 1);

/* A string literal with its length, NULs inside included. */
#define BYTES(s) s, sizeof(s) - 1

typedef struct {
    const char *data;
    size_t len;
    PamVmlinkAnswerCode code;
    const char *what;
} Case;

static void
assert_no_fields(const PamVmlinkAnswerFields *f, const char *what)
{
    ck_assert_msg(f->user == NULL && f->user_len == 0 && f->password == NULL &&
                      f->password_len == 0,
                  "%s: credentials set", what);
}

static PamVmlinkAnswerFields
parse(const char *data, size_t len, PamVmlinkAnswerCode want, const char *what)
{
    PamVmlinkAnswerFields f;
    PamVmlinkAnswerCode code;

    /* Garbage first: the parser must set every field itself. */
    memset(&f, 0xa5, sizeof(f));
    code = pam_vmlink_answer_parse(data, len, &f);
    ck_assert_msg(code == want, "%s: code %d, expected %d", what, code, want);
    if (want != PAM_VMLINK_ANSWER_REFUSED) {
        ck_assert_msg(f.reason == NULL && f.reason_len == 0, "%s: reason set", what);
    }
    if (want != PAM_VMLINK_ANSWER_OK) {
        assert_no_fields(&f, what);
    }
    return f;
}

static void
expect_ok(const char *data, size_t len, size_t user_len, size_t password_len, const char *what)
{
    PamVmlinkAnswerFields f = parse(data, len, PAM_VMLINK_ANSWER_OK, what);

    ck_assert_ptr_eq(f.user, data + 3);
    ck_assert_uint_eq(f.user_len, user_len);
    ck_assert_ptr_eq(f.password, data + 3 + user_len + 1);
    ck_assert_uint_eq(f.password_len, password_len);
}

static void
expect_refused(const char *data, size_t len, const char *reason, const char *what)
{
    PamVmlinkAnswerFields f = parse(data, len, PAM_VMLINK_ANSWER_REFUSED, what);

    ck_assert_ptr_eq(f.reason, data + 4);
    ck_assert_msg(f.reason_len == strlen(reason) && memcmp(f.reason, reason, f.reason_len) == 0,
                  "%s: reason \"%.*s\", expected \"%s\"", what, (int)f.reason_len, f.reason,
                  reason);
}

START_TEST(test_ok)
{
    expect_ok(BYTES("OK\nalice\0pw\0"), 5, 2, "short");
    expect_ok(BYTES("OK\nalice\0pa ss\nword\0"), 5, 10, "a password with a space and a newline");
    expect_ok(BYTES("OK\nj\xc3\xbcrgen\0\x01\x7f\xff\0"), 7, 3,
              "UTF-8 in the user, any byte but NUL in the password");
    expect_ok(BYTES("OK\nERR x\0ERR \0"), 5, 4, "ERR inside the fields");
}
END_TEST

/* The longest answer the contract allows, and one byte over it in each field. */
START_TEST(test_bounds)
{
    char buf[PAM_VMLINK_ANSWER_MAX + 2];
    size_t len;

    memcpy(buf, "OK\n", 3);
    memset(buf + 3, 'u', PAM_VMLINK_USER_MAX);
    buf[3 + PAM_VMLINK_USER_MAX] = '\0';
    memset(buf + 3 + PAM_VMLINK_USER_MAX + 1, 'p', PAM_VMLINK_PASSWORD_MAX);
    len = PAM_VMLINK_ANSWER_MAX;
    buf[len - 1] = '\0';
    expect_ok(buf, len, PAM_VMLINK_USER_MAX, PAM_VMLINK_PASSWORD_MAX, "the longest");

    /* A password one byte too long. */
    buf[len - 1] = 'p';
    buf[len] = '\0';
    parse(buf, len + 1, PAM_VMLINK_ANSWER_BAD_PASSWORD, "a password over the bound");

    /* A user one byte too long (its NUL is now where the password began). */
    buf[3 + PAM_VMLINK_USER_MAX] = 'u';
    buf[3 + PAM_VMLINK_USER_MAX + 1] = '\0';
    parse(buf, len + 1, PAM_VMLINK_ANSWER_BAD_USER, "a user over the bound");
}
END_TEST

START_TEST(test_refused)
{
    g_autofree char *reason = g_strnfill(100, 'r');
    g_autofree char *longer = g_strconcat("ERR ", reason, "\n", NULL);
    g_autofree char *kept = g_strnfill(PAM_VMLINK_REASON_MAX, 'r');

    expect_refused(BYTES("ERR unknown-token\n"), "unknown-token", "unknown token");
    expect_refused(BYTES("ERR not-root\n"), "not-root", "not root");
    expect_refused(BYTES("ERR bad-request\n"), "bad-request", "bad request");
    expect_refused(BYTES("ERR "), "", "no reason");
    expect_refused(BYTES("ERR \n"), "", "an empty reason");
    expect_refused(BYTES("ERR no line end"), "no line end", "no line end");
    expect_refused(BYTES("ERR bad\x1b[31m\n"), "bad", "an escape sequence cut");
    expect_refused(BYTES("ERR bad\x7f"), "bad", "DEL cut");
    expect_refused(BYTES("ERR caf\xc3\xa9\n"), "caf", "not ASCII cut");
    expect_refused(BYTES("ERR x\0OK\nalice\0pw\0"), "x", "an OK answer after a NUL");
    expect_refused(longer, strlen(longer), kept, "a reason over the bound, cut");
}
END_TEST

START_TEST(test_malformed)
{
    static const Case cases[] = {
        {BYTES(""), PAM_VMLINK_ANSWER_MALFORMED, "empty"},
        {BYTES("O"), PAM_VMLINK_ANSWER_MALFORMED, "one byte"},
        {BYTES("OK"), PAM_VMLINK_ANSWER_MALFORMED, "OK without a line end"},
        {BYTES("OK\r\nalice\0pw\0"), PAM_VMLINK_ANSWER_MALFORMED, "CR LF"},
        {BYTES("ok\nalice\0pw\0"), PAM_VMLINK_ANSWER_MALFORMED, "lower case"},
        {BYTES("\0OK\nalice\0pw\0"), PAM_VMLINK_ANSWER_MALFORMED, "a NUL first"},
        {BYTES("ERR"), PAM_VMLINK_ANSWER_MALFORMED, "ERR alone"},
        {BYTES("ERR\n"), PAM_VMLINK_ANSWER_MALFORMED, "ERR without a space"},
        {BYTES("err unknown-token\n"), PAM_VMLINK_ANSWER_MALFORMED, "err in lower case"},
        {BYTES("OK\n"), PAM_VMLINK_ANSWER_BAD_USER, "OK alone"},
        {BYTES("OK\nalice"), PAM_VMLINK_ANSWER_BAD_USER, "a user without its NUL"},
        {BYTES("OK\n\0pw\0"), PAM_VMLINK_ANSWER_BAD_USER, "an empty user"},
        {BYTES("OK\nali\nce\0pw\0"), PAM_VMLINK_ANSWER_USER_CONTROL, "a newline in the user"},
        {BYTES("OK\n\x1b[2Jalice\0pw\0"), PAM_VMLINK_ANSWER_USER_CONTROL, "an escape"},
        {BYTES("OK\nalice\x7f\0pw\0"), PAM_VMLINK_ANSWER_USER_CONTROL, "DEL in the user"},
        {BYTES("OK\nalice\t\0pw\0"), PAM_VMLINK_ANSWER_USER_CONTROL, "a tab in the user"},
        {BYTES("OK\nalice\0"), PAM_VMLINK_ANSWER_BAD_PASSWORD, "no password"},
        {BYTES("OK\nalice\0\0"), PAM_VMLINK_ANSWER_BAD_PASSWORD, "an empty password"},
        {BYTES("OK\nalice\0pw"), PAM_VMLINK_ANSWER_BAD_PASSWORD, "a password without its NUL"},
        {BYTES("OK\nalice\0pw\0more"), PAM_VMLINK_ANSWER_BAD_PASSWORD, "bytes after it"},
        {BYTES("OK\nalice\0pw\0\0"), PAM_VMLINK_ANSWER_BAD_PASSWORD, "a NUL after it"},
        {BYTES("OK\nalice\0p\0w\0"), PAM_VMLINK_ANSWER_BAD_PASSWORD, "three fields"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        parse(cases[i].data, cases[i].len, cases[i].code, cases[i].what);
    }
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {test_ok, test_bounds, test_refused, test_malformed, NULL};

    return vl_check_run(vl_check_suite("pam-vmlink-answer", tests));
}
