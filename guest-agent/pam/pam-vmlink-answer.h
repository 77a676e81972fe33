/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's answer on the credential socket (../vl-sso.h), parsed without I/O so that
 * pam_vmlink.c only talks to the socket and logs, and a fuzzer and unit tests reach the parser
 * itself. Plain C with no GLib and no libpam types: it is compiled into pam_vmlink.so.
 *
 * The parser copies nothing. What it finds are pointers into the caller's buffer, which holds
 * the password and is the caller's to wipe.
 */
#pragma once

#include <stddef.h>

#include "pam-vmlink-wire.h"

/* "OK\n" USER "\0" PASSWORD "\0": the longest answer the agent may give. */
#define PAM_VMLINK_ANSWER_MAX (3 + PAM_VMLINK_USER_MAX + 1 + PAM_VMLINK_PASSWORD_MAX + 1)
/* How much of an "ERR" reason reaches the log. */
#define PAM_VMLINK_REASON_MAX 64

typedef enum {
    PAM_VMLINK_ANSWER_OK,           /* user and password found */
    PAM_VMLINK_ANSWER_REFUSED,      /* "ERR " REASON: the reason's printable start found */
    PAM_VMLINK_ANSWER_MALFORMED,    /* begins with neither "OK\n" nor "ERR " */
    PAM_VMLINK_ANSWER_BAD_USER,     /* no NUL-terminated user of 1 to PAM_VMLINK_USER_MAX bytes */
    PAM_VMLINK_ANSWER_USER_CONTROL, /* a control character in the user */
    /* No NUL-terminated password of 1 to PAM_VMLINK_PASSWORD_MAX bytes, or bytes after it. */
    PAM_VMLINK_ANSWER_BAD_PASSWORD,
} PamVmlinkAnswerCode;

/* What an answer holds, pointing into its buffer; NULL and 0 where the code found nothing. */
typedef struct {
    const char *user; /* user_len bytes and a NUL */
    size_t user_len;
    const char *password; /* password_len bytes and a NUL */
    size_t password_len;
    const char *reason; /* reason_len printable ASCII characters, not NUL-terminated */
    size_t reason_len;
} PamVmlinkAnswerFields;

/*
 * Parses the LEN bytes of BUF that the agent sent before it closed: exactly "OK\n" USER "\0"
 * PASSWORD "\0" (a user without control characters), or "ERR " and a reason (only its first
 * PAM_VMLINK_REASON_MAX printable characters are kept: it comes from another process and goes
 * to the log). Fills *ret_fields for OK and REFUSED, clears it otherwise.
 */
PamVmlinkAnswerCode pam_vmlink_answer_parse(const char *buf, size_t len,
                                            PamVmlinkAnswerFields *ret_fields);
