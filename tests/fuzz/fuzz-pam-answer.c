/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as the answer that pam_vmlink.so reads from the credential socket (a
 * process posing as the agent, or a broken one). Plain C like the module.
 *
 * A user and password are found only in an answer of exactly the right length, and lie inside
 * it, NUL-terminated, without a NUL or (the user) a control character, within their bounds;
 * the parser's verdict on whether an answer is good is checked against the protocol written out
 * again here. A reason is the longest printable start of an "ERR " answer, within its bound.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pam-vmlink-answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
is_printable(char c)
{
    return c >= 0x20 && c <= 0x7e;
}

/* Whether [p, p + len] (the field and its NUL) lies inside the answer. */
static bool
inside(const char *buf, size_t size, const char *p, size_t len)
{
    return p >= buf && len < size && (size_t)(p - buf) <= size - len - 1;
}

/* The protocol's good answer, independently of the parser. */
static bool
is_good_answer(const char *buf, size_t size)
{
    size_t user_len = 0;
    size_t password_len = 0;
    size_t i = 3;

    if (size < 3 || memcmp(buf, "OK\n", 3) != 0) {
        return false;
    }
    for (; i < size && buf[i] != '\0'; i++, user_len++) {
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) {
            return false;
        }
    }
    if (i == size || user_len < 1 || user_len > PAM_VMLINK_USER_MAX) {
        return false;
    }
    for (i++; i < size && buf[i] != '\0'; i++, password_len++) {
    }
    return i == size - 1 && password_len >= 1 && password_len <= PAM_VMLINK_PASSWORD_MAX;
}

static void
check_ok(const char *buf, size_t size, const PamVmlinkAnswerFields *f)
{
    if (!inside(buf, size, f->user, f->user_len) ||
        !inside(buf, size, f->password, f->password_len)) {
        abort(); /* a field outside the answer */
    }
    if (f->user != buf + 3 || f->password != f->user + f->user_len + 1 ||
        3 + f->user_len + 1 + f->password_len + 1 != size || size > PAM_VMLINK_ANSWER_MAX) {
        abort(); /* not exactly "OK\n" USER "\0" PASSWORD "\0" */
    }
    if (f->user_len < 1 || f->user_len > PAM_VMLINK_USER_MAX || f->password_len < 1 ||
        f->password_len > PAM_VMLINK_PASSWORD_MAX) {
        abort(); /* a field out of its bounds */
    }
    if (f->user[f->user_len] != '\0' || f->password[f->password_len] != '\0' ||
        memchr(f->user, '\0', f->user_len) != NULL ||
        memchr(f->password, '\0', f->password_len) != NULL) {
        abort(); /* a field that is not one NUL-terminated string */
    }
    for (size_t i = 0; i < f->user_len; i++) {
        if ((unsigned char)f->user[i] < 0x20 || f->user[i] == 0x7f) {
            abort(); /* a control character would reach PAM_USER and the log */
        }
    }
    if (f->reason != NULL || f->reason_len != 0) {
        abort();
    }
}

static void
check_refused(const char *buf, size_t size, const PamVmlinkAnswerFields *f)
{
    size_t end = 4 + f->reason_len;

    if (size < 4 || memcmp(buf, "ERR ", 4) != 0 || f->reason != buf + 4 || end > size ||
        f->reason_len > PAM_VMLINK_REASON_MAX) {
        abort(); /* a reason that is not in an "ERR " answer, or too long for the log */
    }
    for (size_t i = 0; i < f->reason_len; i++) {
        if (!is_printable(f->reason[i])) {
            abort(); /* an unprintable character would reach the log */
        }
    }
    if (f->reason_len < PAM_VMLINK_REASON_MAX && end < size && is_printable(buf[end])) {
        abort(); /* cut before its end for no reason */
    }
    if (f->user != NULL || f->user_len != 0 || f->password != NULL || f->password_len != 0) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    PamVmlinkAnswerFields f;
    PamVmlinkAnswerCode code;
    bool is_err = size >= 4 && memcmp(buf, "ERR ", 4) == 0;

    memset(&f, 0xa5, sizeof(f));
    code = pam_vmlink_answer_parse(buf, size, &f);
    if ((code == PAM_VMLINK_ANSWER_OK) != is_good_answer(buf, size) ||
        (code == PAM_VMLINK_ANSWER_REFUSED) != is_err) {
        abort(); /* a good answer refused, a bad one taken, or a refusal missed */
    }
    switch (code) {
    case PAM_VMLINK_ANSWER_OK:
        check_ok(buf, size, &f);
        break;
    case PAM_VMLINK_ANSWER_REFUSED:
        check_refused(buf, size, &f);
        break;
    case PAM_VMLINK_ANSWER_MALFORMED:
    case PAM_VMLINK_ANSWER_BAD_USER:
    case PAM_VMLINK_ANSWER_USER_CONTROL:
    case PAM_VMLINK_ANSWER_BAD_PASSWORD:
        if (f.user != NULL || f.user_len != 0 || f.password != NULL || f.password_len != 0 ||
            f.reason != NULL || f.reason_len != 0) {
            abort(); /* fields left pointing into an answer that was refused */
        }
        if ((code == PAM_VMLINK_ANSWER_MALFORMED) != (size < 3 || memcmp(buf, "OK\n", 3) != 0)) {
            abort();
        }
        break;
    default:
        abort();
    }
    return 0;
}
