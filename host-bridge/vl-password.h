/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent password: what a manager proves to take ownership of an unowned vmlinkd. Only a
 * salted scrypt hash of it is stored, as one self-describing string (RFC 4648 base64 with
 * padding):
 *
 *     $scrypt$ln=17,r=8,p=1$<base64 salt>$<base64 derived key>
 *
 * ln is log2 of scrypt's N, r its block size, p its parallelism; the salt is 16 to 64 bytes, the
 * derived key 32 to 64 bytes (its length is the key length to derive when verifying). The cost
 * travels with the hash so that it can be raised later: vl_password_needs_rehash() tells when a
 * stored hash is below the current cost, and the caller rehashes after a successful verify.
 *
 * Secrets: every buffer that held a password or a derived key is wiped before it is freed, and
 * nothing here logs. A password is 1 to VL_PASSWORD_MAX_LEN bytes of UTF-8 without NUL, because
 * it travels in a JSON string (host.take_ownership).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_PASSWORD_MAX_LEN 1024

/*
 * The current cost: OWASP's scrypt recommendation (N=2^17, r=8, p=1). Memory is 128*N*r = 128 MiB
 * per hash, for the ~0.3 s it takes. That is acceptable on a KVM host (GiBs of RAM for guests),
 * and a hash is computed only by `vmlinkd --set-password` and by host.take_ownership, which is
 * throttled per address. The control plane should run at most one at a time, off the event loop:
 * 0.3 s on the loop would stall every guest channel.
 * Measured here (OpenSSL 3.0.19, one core of an Intel Xeon, 2026): ln=15 72 ms, ln=16 152 ms,
 * ln=17 328 ms, ln=18 690 ms.
 */
#define VL_PASSWORD_LOG2_N 17
#define VL_PASSWORD_R 8
#define VL_PASSWORD_P 1
#define VL_PASSWORD_SALT_LEN 16
#define VL_PASSWORD_KEY_LEN 32

/*
 * What a stored string may ask for before it is refused as malformed rather than computed: a
 * damaged or hostile state file must not make a verify allocate gigabytes or run for minutes.
 * Both leave room to raise the current cost: memory (128*N*r + 128*r*p bytes) up to 1 GiB, work
 * (N*r*p) up to 8 times the current one (~2.6 s here).
 */
#define VL_PASSWORD_MAX_MEMORY (G_GUINT64_CONSTANT(1) << 30)
#define VL_PASSWORD_MAX_WORK (G_GUINT64_CONSTANT(8) << (VL_PASSWORD_LOG2_N + 3))

#define VL_PASSWORD_ERROR (vl_password_error_quark())
GQuark vl_password_error_quark(void);

typedef enum {
    VL_PASSWORD_ERROR_MALFORMED, /* a stored hash that is not in the format above */
    VL_PASSWORD_ERROR_TOO_LONG,  /* a password above VL_PASSWORD_MAX_LEN bytes */
    VL_PASSWORD_ERROR_EMPTY,     /* an empty password, or nothing to read */
    VL_PASSWORD_ERROR_INVALID,   /* a password that is not UTF-8 or holds a NUL byte */
    VL_PASSWORD_ERROR_CRYPTO,    /* OpenSSL failed (no randomness, no memory, ...) */
    VL_PASSWORD_ERROR_READ,      /* reading the password failed */
    VL_PASSWORD_ERROR_MISMATCH,  /* the password is not the stored one */
} VlPasswordError;

/* A new stored string for password[0..len) at the current cost; NULL with an error. */
char *vl_password_hash(const char *password, gsize len, GError **error);

/*
 * The same with a given cost (log2 of N, r, p): tests use cheap costs; the bounds above apply.
 */
char *vl_password_hash_with_cost(const char *password, gsize len, guint log2_n, guint r, guint p,
                                 GError **error);

/*
 * TRUE when password[0..len) is the one stored. Otherwise FALSE with VL_PASSWORD_ERROR_MISMATCH
 * (a wrong password, including an empty or too long one, which can never have been stored), or
 * with _MALFORMED or _CRYPTO: a fault of the host, never a match. The comparison takes the same
 * time wherever the keys differ.
 */
gboolean vl_password_verify(const char *stored, const char *password, gsize len, GError **error);

/*
 * Whether stored is a hash in the format above, parsed as strictly as vl_password_verify() does
 * (cost within the bounds, salt and key lengths, canonical base64), without hashing anything:
 * for a state file checked when it is read. FALSE with VL_PASSWORD_ERROR_MALFORMED, whose
 * message never quotes the string.
 */
gboolean vl_password_hash_is_valid(const char *stored, GError **error);

/*
 * TRUE when stored is below the current cost (any of N, r, p, or a shorter salt or key) and so
 * should be replaced by vl_password_hash() once the password has been verified. A malformed
 * string also answers TRUE: it can only be replaced.
 */
gboolean vl_password_needs_rehash(const char *stored);

/*
 * Reads one line from fd, for `vmlinkd --set-password`: at most VL_PASSWORD_MAX_LEN bytes before
 * the newline, which is removed (with a "\r" before it). Reads a byte at a time so that nothing
 * after the line is consumed. When fd is a terminal, echo is off while reading (the newline is
 * still shown; the caller prints the prompt). End of input after some bytes ends the line. Returns
 * the password, NUL-terminated, and its length in ret_len; the caller releases it with
 * vl_password_free(). NULL with _EMPTY, _TOO_LONG, _INVALID or _READ; nothing read is kept.
 */
char *vl_password_read(int fd, gsize *ret_len, GError **error);

/* Overwrites buf[0..len) with zeros in a way the compiler cannot drop. */
void vl_password_wipe(char *buf, gsize len);

/* Wipes secret[0..len) and frees it; NULL is accepted. */
void vl_password_free(char *secret, gsize len);

/*
 * The bridge's hashing queue: the control plane's password checks (host.take_ownership,
 * host.change_password) each run scrypt, ~0.3 s and 128 MiB. They run on a worker thread, off
 * the event loop, and one at a time for the whole bridge, in order: a burst of attempts costs
 * 128 MiB and one core, however many clients send them; the others wait in the queue.
 */
typedef struct _VlPasswordQueue VlPasswordQueue;

/* A check is done: new_hash is the new password's hash when one was given (else NULL), error is
 * NULL on success. A check still queued or running when the queue is freed is answered later
 * with G_IO_ERROR_CANCELLED: the callback must then touch nothing the queue's owner held. */
typedef void (*VlPasswordChecked)(const char *new_hash, const GError *error, gpointer user_data);

VlPasswordQueue *vl_password_queue_new(void);
void vl_password_queue_free(VlPasswordQueue *queue);
/* The cost of the new hashes it makes (tests use cheap ones); the current cost by default. */
void vl_password_queue_set_cost(VlPasswordQueue *queue, guint log2_n, guint r, guint p);

/* Checks that may wait behind the running one: beyond, a burst is refused rather than queued
 * (each waiting check holds a connection and a password). */
#define VL_PASSWORD_QUEUE_MAX_WAITING 8
void vl_password_queue_set_max_waiting(VlPasswordQueue *queue, guint max_waiting);
/* Whether VL_PASSWORD_QUEUE_MAX_WAITING checks already wait: the next is refused. */
gboolean vl_password_queue_is_full(const VlPasswordQueue *queue);

/*
 * Verifies password[0..len) against stored and, when it matches and new_password is not NULL,
 * hashes new_password[0..new_len). Takes both buffers, which are wiped and freed once used.
 * done is called on the main context of the calling thread, after the checks queued before.
 * FALSE, the buffers wiped and done never called, when the queue is full.
 */
gboolean vl_password_queue_check(VlPasswordQueue *queue, const char *stored, char *password,
                                 gsize len, char *new_password, gsize new_len,
                                 VlPasswordChecked done, gpointer user_data);
/* Checks queued or running. */
guint vl_password_queue_length(const VlPasswordQueue *queue);

G_END_DECLS
