/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-password.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* clang-format off */
G_DEFINE_QUARK(vl-password-error-quark, vl_password_error)
/* clang-format on */

#define PREFIX "$scrypt$"
#define MAX_SALT_LEN 64
#define MAX_KEY_LEN 64
/* The longest string a valid stored hash can be, with room: anything longer is refused unread. */
#define MAX_STORED_LEN 256
/* Cost numbers are written without leading zeros and are short: this bounds the parse. */
#define MAX_DIGITS 9

typedef struct {
    guint log2_n;
    guint r;
    guint p;
    guint8 salt[MAX_SALT_LEN];
    gsize salt_len;
    guint8 key[MAX_KEY_LEN];
    gsize key_len;
} Stored;

void
vl_password_wipe(char *buf, gsize len)
{
    if (buf && len > 0) {
        OPENSSL_cleanse(buf, len);
    }
}

void
vl_password_free(char *secret, gsize len)
{
    if (secret) {
        vl_password_wipe(secret, len);
        g_free(secret);
    }
}

/* Frees a string that held a derived key (in base64), wiping it first. */
static void
free_secret_string(char *text)
{
    if (text) {
        vl_password_free(text, strlen(text));
    }
}

static void
set_crypto_error(GError **error, const char *what)
{
    unsigned long code = ERR_get_error();
    char reason[256] = "unknown error";

    if (code != 0) {
        ERR_error_string_n(code, reason, sizeof(reason));
    }
    /* Leave no stale entries behind for the next caller of OpenSSL on this thread. */
    ERR_clear_error();
    g_set_error(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_CRYPTO, "%s: %s", what, reason);
}

/* Checks a password before it is hashed: what could not travel in a JSON string is refused. */
static gboolean
check_password(const char *password, gsize len, GError **error)
{
    if (len == 0) {
        g_set_error_literal(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_EMPTY,
                            "the password is empty");
        return FALSE;
    }
    if (len > VL_PASSWORD_MAX_LEN) {
        g_set_error(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_TOO_LONG,
                    "the password is longer than %d bytes", VL_PASSWORD_MAX_LEN);
        return FALSE;
    }
    /* g_utf8_validate_len() also refuses NUL bytes. */
    if (!g_utf8_validate_len(password, len, NULL)) {
        g_set_error_literal(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_INVALID,
                            "the password is not UTF-8 text or holds a NUL byte");
        return FALSE;
    }
    return TRUE;
}

/*
 * Whether OpenSSL can and may compute this cost: scrypt's own constraints, and the bounds that
 * keep a damaged stored string from taking gigabytes or minutes.
 */
static gboolean
check_cost(guint log2_n, guint r, guint p, GError **error)
{
    guint64 n, block;

    if (log2_n < 1 || log2_n > 40 || r < 1 || p < 1) {
        g_set_error(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED,
                    "invalid scrypt cost ln=%u,r=%u,p=%u", log2_n, r, p);
        return FALSE;
    }
    n = G_GUINT64_CONSTANT(1) << log2_n;
    block = 128 * (guint64)r;
    /* scrypt requires N < 2^(128 r / 8); OpenSSL refuses it otherwise. */
    if ((guint64)log2_n >= 16 * (guint64)r) {
        g_set_error(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED,
                    "invalid scrypt cost ln=%u,r=%u,p=%u: N must be below 2^(16 r)", log2_n, r, p);
        return FALSE;
    }
    /* OpenSSL's memory: 128 r (N + 2) for V and 128 r p for B. */
    if (n + 2 + p > VL_PASSWORD_MAX_MEMORY / block) {
        g_set_error(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED,
                    "scrypt cost ln=%u,r=%u,p=%u needs more than %" G_GUINT64_FORMAT
                    " MiB of memory",
                    log2_n, r, p, VL_PASSWORD_MAX_MEMORY >> 20);
        return FALSE;
    }
    if (n > VL_PASSWORD_MAX_WORK / r || n * r > VL_PASSWORD_MAX_WORK / p) {
        g_set_error(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED,
                    "scrypt cost ln=%u,r=%u,p=%u is more than 8 times the current one", log2_n, r,
                    p);
        return FALSE;
    }
    return TRUE;
}

static gboolean
derive(const char *password, gsize len, const guint8 *salt, gsize salt_len, guint log2_n, guint r,
       guint p, guint8 *out, gsize out_len, GError **error)
{
    EVP_KDF *kdf;
    EVP_KDF_CTX *ctx;
    uint64_t n = G_GUINT64_CONSTANT(1) << log2_n;
    uint32_t r32 = r, p32 = p;
    uint64_t maxmem = VL_PASSWORD_MAX_MEMORY;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password, len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r32),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p32),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    gboolean ok;

    kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_SCRYPT, NULL);
    if (kdf == NULL) {
        set_crypto_error(error, "scrypt is not available in OpenSSL");
        return FALSE;
    }
    ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (ctx == NULL) {
        set_crypto_error(error, "cannot set up scrypt");
        return FALSE;
    }
    /* The context copies the password and wipes its copy when freed. */
    ok = EVP_KDF_derive(ctx, out, out_len, params) > 0;
    EVP_KDF_CTX_free(ctx);
    if (!ok) {
        OPENSSL_cleanse(out, out_len);
        set_crypto_error(error, "scrypt failed");
        return FALSE;
    }
    return TRUE;
}

char *
vl_password_hash_with_cost(const char *password, gsize len, guint log2_n, guint r, guint p,
                           GError **error)
{
    guint8 salt[VL_PASSWORD_SALT_LEN];
    guint8 key[VL_PASSWORD_KEY_LEN];
    g_autofree char *salt_text = NULL;
    char *key_text;
    char *result;

    g_return_val_if_fail(password != NULL || len == 0, NULL);

    if (!check_password(password, len, error) || !check_cost(log2_n, r, p, error)) {
        return NULL;
    }
    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        set_crypto_error(error, "no random bytes for the salt");
        return NULL;
    }
    if (!derive(password, len, salt, sizeof(salt), log2_n, r, p, key, sizeof(key), error)) {
        return NULL;
    }
    salt_text = g_base64_encode(salt, sizeof(salt));
    key_text = g_base64_encode(key, sizeof(key));
    OPENSSL_cleanse(key, sizeof(key));
    result = g_strdup_printf(PREFIX "ln=%u,r=%u,p=%u$%s$%s", log2_n, r, p, salt_text, key_text);
    free_secret_string(key_text);
    return result;
}

char *
vl_password_hash(const char *password, gsize len, GError **error)
{
    return vl_password_hash_with_cost(password, len, VL_PASSWORD_LOG2_N, VL_PASSWORD_R,
                                      VL_PASSWORD_P, error);
}

/* Parsing ------------------------------------------------------------------------------------ */

/* Reads "name=" then a decimal number without sign or leading zeros. */
static gboolean
parse_param(const char **cursor, const char *name, guint *ret_value)
{
    const char *s = *cursor;
    gsize name_len = strlen(name);
    guint value = 0;
    guint digits = 0;

    if (strncmp(s, name, name_len) != 0 || s[name_len] != '=') {
        return FALSE;
    }
    s += name_len + 1;
    if (s[0] == '0' && g_ascii_isdigit(s[1])) {
        return FALSE;
    }
    while (g_ascii_isdigit(*s)) {
        if (++digits > MAX_DIGITS) {
            return FALSE;
        }
        value = value * 10 + (guint)(*s - '0');
        s++;
    }
    if (digits == 0) {
        return FALSE;
    }
    *cursor = s;
    *ret_value = value;
    return TRUE;
}

static gboolean
is_base64_char(char c)
{
    return g_ascii_isalnum(c) || c == '+' || c == '/';
}

/*
 * Decodes text[0..text_len), padded standard base64, into out: strictly, so that one stored
 * string has one meaning (no stray characters, which g_base64_decode() would skip, and no
 * non-zero padding bits).
 */
static gboolean
decode_base64(const char *text, gsize text_len, guint8 *out, gsize min_len, gsize max_len,
              gsize *ret_len)
{
    guint8 buf[(MAX_STORED_LEN / 4) * 3 + 3];
    gsize pad = 0;
    gsize len;
    gint state = 0;
    guint save = 0;
    g_autofree char *again = NULL;
    gboolean ok;

    if (text_len == 0 || text_len % 4 != 0 || text_len > MAX_STORED_LEN) {
        return FALSE;
    }
    while (pad < 2 && text[text_len - 1 - pad] == '=') {
        pad++;
    }
    for (gsize i = 0; i < text_len - pad; i++) {
        if (!is_base64_char(text[i])) {
            return FALSE;
        }
    }
    len = text_len / 4 * 3 - pad;
    if (len < min_len || len > max_len) {
        return FALSE;
    }
    if (g_base64_decode_step(text, text_len, buf, &state, &save) != len) {
        return FALSE;
    }
    again = g_base64_encode(buf, len);
    ok = strlen(again) == text_len && memcmp(again, text, text_len) == 0;
    if (ok) {
        memcpy(out, buf, len);
        *ret_len = len;
    }
    OPENSSL_cleanse(buf, sizeof(buf));
    OPENSSL_cleanse(again, strlen(again));
    return ok;
}

/*
 * Parses "$scrypt$ln=L,r=R,p=P$SALT$KEY" exactly: no other order, no spaces, nothing after. The
 * error says what is wrong but never quotes the string (it holds the key).
 */
static gboolean
parse_stored(const char *stored, Stored *ret, GError **error)
{
    const char *s = stored;
    const char *end;
    gsize len;

    if (stored == NULL) {
        g_set_error_literal(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED,
                            "no stored password hash");
        return FALSE;
    }
    len = strnlen(stored, MAX_STORED_LEN + 1);
    if (len > MAX_STORED_LEN) {
        g_set_error(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED,
                    "stored password hash longer than %d bytes", MAX_STORED_LEN);
        return FALSE;
    }
    if (!g_str_has_prefix(s, PREFIX)) {
        g_set_error_literal(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED,
                            "stored password hash does not start with " PREFIX);
        return FALSE;
    }
    s += strlen(PREFIX);
    if (!parse_param(&s, "ln", &ret->log2_n) || *s++ != ',' || !parse_param(&s, "r", &ret->r) ||
        *s++ != ',' || !parse_param(&s, "p", &ret->p) || *s++ != '$') {
        g_set_error_literal(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED,
                            "stored password hash has no valid ln=N,r=N,p=N cost");
        return FALSE;
    }
    if (!check_cost(ret->log2_n, ret->r, ret->p, error)) {
        g_prefix_error(error, "stored password hash: ");
        return FALSE;
    }
    end = strchr(s, '$');
    if (end == NULL || !decode_base64(s, (gsize)(end - s), ret->salt, VL_PASSWORD_SALT_LEN,
                                      MAX_SALT_LEN, &ret->salt_len)) {
        g_set_error(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED,
                    "stored password hash has no valid salt (base64 of %d to %d bytes)",
                    VL_PASSWORD_SALT_LEN, MAX_SALT_LEN);
        return FALSE;
    }
    s = end + 1;
    if (!decode_base64(s, strlen(s), ret->key, VL_PASSWORD_KEY_LEN, MAX_KEY_LEN, &ret->key_len)) {
        g_set_error(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MALFORMED,
                    "stored password hash has no valid key (base64 of %d to %d bytes)",
                    VL_PASSWORD_KEY_LEN, MAX_KEY_LEN);
        return FALSE;
    }
    return TRUE;
}

gboolean
vl_password_hash_is_valid(const char *stored, GError **error)
{
    Stored parsed = {0};
    gboolean ok = parse_stored(stored, &parsed, error);

    OPENSSL_cleanse(&parsed, sizeof(parsed));
    return ok;
}

gboolean
vl_password_verify(const char *stored, const char *password, gsize len, GError **error)
{
    Stored parsed = {0};
    guint8 key[MAX_KEY_LEN];
    gboolean match = FALSE;

    g_return_val_if_fail(password != NULL || len == 0, FALSE);

    if (!parse_stored(stored, &parsed, error)) {
        OPENSSL_cleanse(&parsed, sizeof(parsed));
        return FALSE;
    }
    /*
     * A password vl_password_hash() refuses can never have been stored: a mismatch, answered
     * without computing (the bounds are no secret).
     */
    if (!check_password(password, len, NULL)) {
        OPENSSL_cleanse(&parsed, sizeof(parsed));
        g_set_error_literal(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MISMATCH, "wrong password");
        return FALSE;
    }
    if (!derive(password, len, parsed.salt, parsed.salt_len, parsed.log2_n, parsed.r, parsed.p, key,
                parsed.key_len, error)) {
        OPENSSL_cleanse(&parsed, sizeof(parsed));
        return FALSE;
    }
    match = CRYPTO_memcmp(key, parsed.key, parsed.key_len) == 0;
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(&parsed, sizeof(parsed));
    if (!match) {
        g_set_error_literal(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_MISMATCH, "wrong password");
    }
    return match;
}

gboolean
vl_password_needs_rehash(const char *stored)
{
    Stored parsed = {0};
    gboolean below;

    if (!parse_stored(stored, &parsed, NULL)) {
        below = TRUE;
    } else {
        below = parsed.log2_n < VL_PASSWORD_LOG2_N || parsed.r < VL_PASSWORD_R ||
                parsed.p < VL_PASSWORD_P || parsed.salt_len < VL_PASSWORD_SALT_LEN ||
                parsed.key_len < VL_PASSWORD_KEY_LEN;
    }
    OPENSSL_cleanse(&parsed, sizeof(parsed));
    return below;
}

/* Reading ------------------------------------------------------------------------------------ */

char *
vl_password_read(int fd, gsize *ret_len, GError **error)
{
    /* One byte beyond the limit tells a line that is too long; one more for the NUL. */
    const gsize size = VL_PASSWORD_MAX_LEN + 2;
    char *buf = g_malloc0(size);
    struct termios saved;
    gboolean restore = FALSE;
    gboolean line_end = FALSE;
    int read_errno = 0;
    gsize len = 0;
    char *result;

    g_return_val_if_fail(ret_len != NULL, NULL);

    if (isatty(fd) && tcgetattr(fd, &saved) == 0) {
        struct termios quiet = saved;

        /*
         * No echo, but the newline is still shown; Ctrl-C still interrupts. TCSAFLUSH drops what
         * was typed before the prompt: it was echoed, so it must not become the password.
         */
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
        quiet.c_lflag |= ECHONL;
        restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    /* A byte at a time: nothing after the line is taken from whoever reads fd next. */
    while (len <= VL_PASSWORD_MAX_LEN) {
        ssize_t n = read(fd, buf + len, 1);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            read_errno = errno;
            break;
        }
        if (n == 0) {
            break;
        }
        if (buf[len] == '\n') {
            buf[len] = '\0';
            line_end = TRUE;
            break;
        }
        len++;
    }
    /* Input typed after the line stays for the next reader; it was typed without echo, though. */
    if (restore) {
        tcsetattr(fd, TCSADRAIN, &saved);
    }

    if (read_errno != 0) {
        g_set_error(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_READ,
                    "cannot read the password: %s", g_strerror(read_errno));
    } else if (len > VL_PASSWORD_MAX_LEN) {
        g_set_error(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_TOO_LONG,
                    "the password is longer than %d bytes", VL_PASSWORD_MAX_LEN);
    } else {
        if (line_end && len > 0 && buf[len - 1] == '\r') {
            buf[--len] = '\0';
        }
        if (len == 0) {
            g_set_error_literal(error, VL_PASSWORD_ERROR, VL_PASSWORD_ERROR_EMPTY,
                                line_end ? "the password is empty"
                                         : "no password: the input ended before any");
        } else if (check_password(buf, len, error)) {
            result = g_malloc(len + 1);
            memcpy(result, buf, len);
            result[len] = '\0';
            vl_password_free(buf, size);
            *ret_len = len;
            return result;
        }
    }
    vl_password_free(buf, size);
    return NULL;
}
