/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pam-vmlink-answer.h"

#include <string.h>

/* The length of the NUL-terminated field at p (at most avail bytes), or -1 without a NUL. */
static long
pam_vmlink_field_len(const char *p, size_t avail)
{
    const char *nul = memchr(p, '\0', avail);

    return nul ? (long)(nul - p) : -1;
}

PamVmlinkAnswerCode
pam_vmlink_answer_parse(const char *buf, size_t len, PamVmlinkAnswerFields *ret_fields)
{
    const char *p;
    size_t avail;
    long user_len, password_len;

    memset(ret_fields, 0, sizeof(*ret_fields));
    if (len >= 4 && memcmp(buf, "ERR ", 4) == 0) {
        size_t i;

        for (i = 0; i < PAM_VMLINK_REASON_MAX && 4 + i < len; i++) {
            unsigned char c = (unsigned char)buf[4 + i];

            if (c < 0x20 || c > 0x7e) {
                break;
            }
        }
        ret_fields->reason = buf + 4;
        ret_fields->reason_len = i;
        return PAM_VMLINK_ANSWER_REFUSED;
    }
    if (len < 3 || memcmp(buf, "OK\n", 3) != 0) {
        return PAM_VMLINK_ANSWER_MALFORMED;
    }

    p = buf + 3;
    avail = len - 3;
    user_len = pam_vmlink_field_len(p, avail);
    if (user_len < 1 || user_len > PAM_VMLINK_USER_MAX) {
        return PAM_VMLINK_ANSWER_BAD_USER;
    }
    /* The user reaches the log and PAM_USER: no line ends, escapes or other controls. */
    for (long i = 0; i < user_len; i++) {
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
            return PAM_VMLINK_ANSWER_USER_CONTROL;
        }
    }
    ret_fields->user = p;
    ret_fields->user_len = (size_t)user_len;
    p += user_len + 1;
    avail -= (size_t)user_len + 1;

    /* The password's NUL must be the answer's last byte: anything after it is not the agent's. */
    password_len = pam_vmlink_field_len(p, avail);
    if (password_len < 1 || password_len > PAM_VMLINK_PASSWORD_MAX ||
        (size_t)password_len + 1 != avail) {
        memset(ret_fields, 0, sizeof(*ret_fields));
        return PAM_VMLINK_ANSWER_BAD_PASSWORD;
    }
    ret_fields->password = p;
    ret_fields->password_len = (size_t)password_len;
    return PAM_VMLINK_ANSWER_OK;
}
