/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-json-check.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "vl-error.h"

typedef struct {
    const char *text;
    gsize len;
    gsize pos;
    GError **error;
    const VlJsonEvents *events; /* NULL: only check */
    gpointer user_data;
    gboolean escaped; /* the last string checked had a backslash */
} Checker;

static gboolean
fail(Checker *c, VlProtocolError code, const char *what)
{
    g_set_error(c->error, VL_PROTOCOL_ERROR, code, "invalid JSON at byte %" G_GSIZE_FORMAT ": %s",
                c->pos, what);
    return FALSE;
}

static void
skip_ws(Checker *c)
{
    while (c->pos < c->len) {
        char ch = c->text[c->pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
            break;
        }
        c->pos++;
    }
}

static int
peek(const Checker *c)
{
    return c->pos < c->len ? (unsigned char)c->text[c->pos] : -1;
}

static int
hex_value(int ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

/* Reads the 4 hex digits after "\u"; pos is at the first digit. */
static gboolean
read_hex4(Checker *c, guint *ret_unit)
{
    guint unit = 0;

    if (c->len - c->pos < 4) {
        return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "truncated \\u escape");
    }
    for (int i = 0; i < 4; i++) {
        int v = hex_value((unsigned char)c->text[c->pos]);
        if (v < 0) {
            return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "bad hex digit in \\u escape");
        }
        unit = unit * 16 + (guint)v;
        c->pos++;
    }
    *ret_unit = unit;
    return TRUE;
}

/* pos is at the opening quote. UTF-8 was validated for the whole text beforehand. */
static gboolean
check_string(Checker *c)
{
    c->pos++;
    c->escaped = FALSE;
    while (c->pos < c->len) {
        unsigned char ch = (unsigned char)c->text[c->pos];
        guint unit;

        if (ch == '"') {
            c->pos++;
            return TRUE;
        }
        if (ch < 0x20) {
            return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "control character in string");
        }
        if (ch != '\\') {
            c->pos++;
            continue;
        }
        c->pos++;
        c->escaped = TRUE;
        switch (peek(c)) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            c->pos++;
            continue;
        case 'u':
            c->pos++;
            break;
        default:
            return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "bad escape in string");
        }
        if (!read_hex4(c, &unit)) {
            return FALSE;
        }
        if (unit == 0) {
            return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "\\u0000 is not allowed in strings");
        }
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
            return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "unpaired low surrogate");
        }
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            if (c->len - c->pos < 2 || c->text[c->pos] != '\\' || c->text[c->pos + 1] != 'u') {
                return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "unpaired high surrogate");
            }
            c->pos += 2;
            if (!read_hex4(c, &unit)) {
                return FALSE;
            }
            if (unit < 0xDC00 || unit > 0xDFFF) {
                return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "unpaired high surrogate");
            }
        }
    }
    return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "unterminated string");
}

static void
report_scalar(Checker *c, VlJsonToken token, gsize start, gsize len)
{
    if (c->events) {
        c->events->scalar(c->user_data, token, c->text + start, len,
                          token == VL_JSON_TOKEN_STRING && c->escaped);
    }
}

static gsize
skip_digits(Checker *c)
{
    gsize start = c->pos;

    while (c->pos < c->len && g_ascii_isdigit(c->text[c->pos])) {
        c->pos++;
    }
    return c->pos - start;
}

/* Integers must fit in gint64: compare the digits against the magnitude limit as text. */
static gboolean
integer_fits(const char *digits, gsize n, gboolean negative)
{
    const char *limit = negative ? "9223372036854775808" : "9223372036854775807";
    const gsize limit_len = 19;

    if (n != limit_len) {
        return n < limit_len;
    }
    return memcmp(digits, limit, limit_len) <= 0;
}

/* pos is at '-' or a digit. */
static gboolean
check_number(Checker *c)
{
    gsize start = c->pos;
    gboolean negative = FALSE;
    gboolean is_integer = TRUE;
    gsize int_start, int_len;

    if (peek(c) == '-') {
        negative = TRUE;
        c->pos++;
    }
    int_start = c->pos;
    if (peek(c) == '0') {
        c->pos++;
        if (g_ascii_isdigit(peek(c))) {
            return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "leading zero in number");
        }
    } else if (skip_digits(c) == 0) {
        return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "digit expected");
    }
    int_len = c->pos - int_start;
    if (peek(c) == '.') {
        is_integer = FALSE;
        c->pos++;
        if (skip_digits(c) == 0) {
            return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "digit expected after '.'");
        }
    }
    if (peek(c) == 'e' || peek(c) == 'E') {
        is_integer = FALSE;
        c->pos++;
        if (peek(c) == '+' || peek(c) == '-') {
            c->pos++;
        }
        if (skip_digits(c) == 0) {
            return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "digit expected in exponent");
        }
    }

    if (is_integer) {
        if (!integer_fits(c->text + int_start, int_len, negative)) {
            c->pos = start;
            return fail(c, VL_PROTOCOL_ERROR_OUT_OF_RANGE, "integer does not fit in 64 bits");
        }
        report_scalar(c, VL_JSON_TOKEN_INTEGER, start, c->pos - start);
        return TRUE;
    }

    if (c->pos - start > VL_JSON_MAX_NUMBER_LEN) {
        c->pos = start;
        return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "number too long");
    } else {
        char buf[VL_JSON_MAX_NUMBER_LEN + 1];
        double value;

        memcpy(buf, c->text + start, c->pos - start);
        buf[c->pos - start] = '\0';
        value = g_ascii_strtod(buf, NULL);
        if (!isfinite(value)) {
            c->pos = start;
            return fail(c, VL_PROTOCOL_ERROR_OUT_OF_RANGE, "number is not finite");
        }
    }
    report_scalar(c, VL_JSON_TOKEN_NUMBER, start, c->pos - start);
    return TRUE;
}

static gboolean
check_literal(Checker *c, const char *word, VlJsonToken token)
{
    gsize n = strlen(word);

    if (c->len - c->pos < n || memcmp(c->text + c->pos, word, n) != 0) {
        return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "unexpected character");
    }
    report_scalar(c, token, c->pos, n);
    c->pos += n;
    return TRUE;
}

/* A string value: checked, then reported without its quotes. */
static gboolean
check_string_value(Checker *c)
{
    gsize start = c->pos + 1;

    if (!check_string(c)) {
        return FALSE;
    }
    report_scalar(c, VL_JSON_TOKEN_STRING, start, c->pos - 1 - start);
    return TRUE;
}

/* A member name and its colon; pos is at the opening quote (after whitespace). */
static gboolean
check_member_name(Checker *c)
{
    gsize start = c->pos + 1;

    if (peek(c) != '"') {
        return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "member name expected");
    }
    if (!check_string(c)) {
        return FALSE;
    }
    if (c->events) {
        c->events->name(c->user_data, c->text + start, c->pos - 1 - start, c->escaped);
    }
    skip_ws(c);
    if (peek(c) != ':') {
        return fail(c, VL_PROTOCOL_ERROR_INVALID_JSON, "':' expected");
    }
    c->pos++;
    skip_ws(c);
    return TRUE;
}

gboolean
vl_json_check(const char *text, gsize len, guint max_depth, GError **error)
{
    return vl_json_scan(text, len, max_depth, NULL, NULL, error);
}

gboolean
vl_json_scan(const char *text, gsize len, guint max_depth, const VlJsonEvents *events,
             gpointer user_data, GError **error)
{
    Checker c = {.text = text,
                 .len = len,
                 .pos = 0,
                 .error = error,
                 .events = events,
                 .user_data = user_data};
    char stack[VL_JSON_MAX_DEPTH_LIMIT];
    guint depth = 0;
    const char *end;

    g_return_val_if_fail(text != NULL || len == 0, FALSE);
    g_return_val_if_fail(max_depth <= VL_JSON_MAX_DEPTH_LIMIT, FALSE);

    if (!g_utf8_validate_len(text, len, &end)) {
        c.pos = (gsize)(end - text);
        return fail(&c, VL_PROTOCOL_ERROR_INVALID_UTF8, "not valid UTF-8 (or a NUL byte)");
    }

    skip_ws(&c);
    for (;;) {
        /* A value starts here. */
        switch (peek(&c)) {
        case '{':
        case '[':
            if (depth == max_depth) {
                return fail(&c, VL_PROTOCOL_ERROR_TOO_DEEP, "nesting too deep");
            }
            stack[depth++] = c.text[c.pos++];
            if (events) {
                events->open(user_data, stack[depth - 1] == '{');
            }
            skip_ws(&c);
            if (peek(&c) == (stack[depth - 1] == '{' ? '}' : ']')) {
                c.pos++;
                depth--;
                if (events) {
                    events->close(user_data);
                }
                break;
            }
            if (stack[depth - 1] == '{' && !check_member_name(&c)) {
                return FALSE;
            }
            continue;
        case '"':
            if (!check_string_value(&c)) {
                return FALSE;
            }
            break;
        case 't':
            if (!check_literal(&c, "true", VL_JSON_TOKEN_TRUE)) {
                return FALSE;
            }
            break;
        case 'f':
            if (!check_literal(&c, "false", VL_JSON_TOKEN_FALSE)) {
                return FALSE;
            }
            break;
        case 'n':
            if (!check_literal(&c, "null", VL_JSON_TOKEN_NULL)) {
                return FALSE;
            }
            break;
        case -1:
            return fail(&c, VL_PROTOCOL_ERROR_INVALID_JSON, "value expected, found end of text");
        default:
            if (peek(&c) == '-' || g_ascii_isdigit(peek(&c))) {
                if (!check_number(&c)) {
                    return FALSE;
                }
                break;
            }
            return fail(&c, VL_PROTOCOL_ERROR_INVALID_JSON, "value expected");
        }

        /* A value ended: close containers, or find the separator before the next value. */
        for (;;) {
            skip_ws(&c);
            if (depth == 0) {
                if (c.pos != c.len) {
                    return fail(&c, VL_PROTOCOL_ERROR_INVALID_JSON, "text after the value");
                }
                return TRUE;
            }
            if (peek(&c) == (stack[depth - 1] == '{' ? '}' : ']')) {
                c.pos++;
                depth--;
                if (events) {
                    events->close(user_data);
                }
                continue;
            }
            if (peek(&c) != ',') {
                return fail(&c, VL_PROTOCOL_ERROR_INVALID_JSON,
                            stack[depth - 1] == '{' ? "',' or '}' expected"
                                                    : "',' or ']' expected");
            }
            c.pos++;
            skip_ws(&c);
            if (stack[depth - 1] == '{' && !check_member_name(&c)) {
                return FALSE;
            }
            break;
        }
    }
}

/* The code unit of 4 hex digits vl_json_scan() checked. */
static guint
hex4(const char *p)
{
    guint unit = 0;

    for (int i = 0; i < 4; i++) {
        unit = unit * 16 + (guint)hex_value((unsigned char)p[i]);
    }
    return unit;
}

char *
vl_json_unescape(const char *raw, gsize len)
{
    GString *out = g_string_sized_new(len);
    const char *end = raw + len;

    for (const char *p = raw; p < end; p++) {
        gunichar ch;
        char utf8[6];

        if (*p != '\\') {
            g_string_append_c(out, *p);
            continue;
        }
        p++;
        switch (*p) {
        case 'b':
            g_string_append_c(out, '\b');
            continue;
        case 'f':
            g_string_append_c(out, '\f');
            continue;
        case 'n':
            g_string_append_c(out, '\n');
            continue;
        case 'r':
            g_string_append_c(out, '\r');
            continue;
        case 't':
            g_string_append_c(out, '\t');
            continue;
        case 'u':
            break;
        default: /* '"', '\\' and '/' stand for themselves */
            g_string_append_c(out, *p);
            continue;
        }
        ch = hex4(p + 1);
        p += 4;
        if (ch >= 0xD800 && ch <= 0xDBFF) {
            /* The scan saw the low surrogate's "\\u" right after. */
            ch = 0x10000 + ((ch - 0xD800) << 10) + (hex4(p + 3) - 0xDC00);
            p += 6;
        }
        g_string_append_len(out, utf8, g_unichar_to_utf8(ch, utf8));
    }
    return g_string_free(out, FALSE);
}
