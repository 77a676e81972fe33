/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-json-text.h"

#include <string.h>

void
vl_json_text_append_string(GString *out, const char *value)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = value;

    g_string_append_c(out, '"');
    for (const char *p = value;; p++) {
        unsigned char c = (unsigned char)*p;
        char escape = 0;

        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
            continue;
        }
        /* Copy the plain bytes before this one in one go. */
        g_string_append_len(out, run, p - run);
        run = p + 1;
        if (c == 0) {
            break;
        }
        switch (c) {
        case '"':
        case '\\':
            escape = (char)c;
            break;
        case '\b':
            escape = 'b';
            break;
        case '\f':
            escape = 'f';
            break;
        case '\n':
            escape = 'n';
            break;
        case '\r':
            escape = 'r';
            break;
        case '\t':
            escape = 't';
            break;
        default:
            break;
        }
        if (escape) {
            char two[2] = {'\\', escape};

            g_string_append_len(out, two, 2);
        } else {
            char six[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};

            g_string_append_len(out, six, 6);
        }
    }
    g_string_append_c(out, '"');
}

void
vl_json_text_append_double(GString *out, double value)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_ascii_dtostr(buf, sizeof buf, value);
    g_string_append(out, buf);
    if (strpbrk(buf, ".eE") == NULL) {
        g_string_append_len(out, ".0", 2);
    }
}

void
vl_json_text_init(VlJsonText *t, GString *out)
{
    t->out = out;
    t->open = g_byte_array_new();
    t->named = FALSE;
}

void
vl_json_text_clear(VlJsonText *t)
{
    g_clear_pointer(&t->open, g_byte_array_unref);
}

void
vl_json_text_value(VlJsonText *t)
{
    guint8 *has;

    if (t->named) {
        t->named = FALSE;
        return;
    }
    if (t->open->len == 0) {
        return; /* the top-level value */
    }
    has = &t->open->data[t->open->len - 1];
    if (*has) {
        g_string_append_c(t->out, ',');
    }
    *has = 1;
}

void
vl_json_text_name(VlJsonText *t, const char *name)
{
    vl_json_text_value(t);
    vl_json_text_append_string(t->out, name);
    g_string_append_c(t->out, ':');
    t->named = TRUE;
}

void
vl_json_text_open(VlJsonText *t, char bracket)
{
    static const guint8 empty = 0;

    vl_json_text_value(t);
    g_string_append_c(t->out, bracket);
    g_byte_array_append(t->open, &empty, 1);
}

void
vl_json_text_close(VlJsonText *t, char bracket)
{
    g_return_if_fail(t->open->len > 0);
    g_byte_array_set_size(t->open, t->open->len - 1);
    g_string_append_c(t->out, bracket);
}
