/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-ctl-format.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#define COLUMN_GAP 2

struct _VlCtlTable {
    GPtrArray *header; /* char *, cleaned; NULL without a header */
    GPtrArray *rows;   /* GPtrArray of char *, cleaned */
    GArray *right;     /* gboolean per column */
};

VlCtlTable *
vl_ctl_table_new_plain(void)
{
    VlCtlTable *t = g_new0(VlCtlTable, 1);

    t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    t->right = g_array_new(FALSE, TRUE, sizeof(gboolean));
    return t;
}

VlCtlTable *
vl_ctl_table_new(const char *first_header, ...)
{
    VlCtlTable *t = vl_ctl_table_new_plain();
    va_list ap;

    t->header = g_ptr_array_new_with_free_func(g_free);
    va_start(ap, first_header);
    for (const char *h = first_header; h; h = va_arg(ap, const char *)) {
        g_ptr_array_add(t->header, vl_ctl_format_clean(h));
    }
    va_end(ap);
    return t;
}

void
vl_ctl_table_free(VlCtlTable *table)
{
    if (table) {
        if (table->header) {
            g_ptr_array_unref(table->header);
        }
        g_ptr_array_unref(table->rows);
        g_array_unref(table->right);
        g_free(table);
    }
}

void
vl_ctl_table_align_right(VlCtlTable *table, guint column)
{
    if (column >= table->right->len) {
        g_array_set_size(table->right, column + 1);
    }
    g_array_index(table->right, gboolean, column) = TRUE;
}

void
vl_ctl_table_row(VlCtlTable *table)
{
    g_ptr_array_add(table->rows, g_ptr_array_new_with_free_func(g_free));
}

void
vl_ctl_table_cell_take(VlCtlTable *table, char *text)
{
    GPtrArray *row;

    if (table->rows->len == 0) {
        vl_ctl_table_row(table);
    }
    row = g_ptr_array_index(table->rows, table->rows->len - 1);
    g_ptr_array_add(row, vl_ctl_format_clean(text ? text : "-"));
    g_free(text);
}

void
vl_ctl_table_cell(VlCtlTable *table, const char *text)
{
    vl_ctl_table_cell_take(table, g_strdup(text));
}

void
vl_ctl_table_cellf(VlCtlTable *table, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    vl_ctl_table_cell_take(table, g_strdup_vprintf(format, ap));
    va_end(ap);
}

guint
vl_ctl_table_n_rows(const VlCtlTable *table)
{
    return table->rows->len;
}

static void
measure(GArray *widths, const GPtrArray *row)
{
    for (guint i = 0; row && i < row->len; i++) {
        gsize w = vl_ctl_format_width(g_ptr_array_index(row, i));

        if (i >= widths->len) {
            g_array_set_size(widths, i + 1);
        }
        if (w > g_array_index(widths, gsize, i)) {
            g_array_index(widths, gsize, i) = w;
        }
    }
}

static void
render_row(const VlCtlTable *t, const GArray *widths, const GPtrArray *row, GString *out)
{
    gsize start = out->len;

    for (guint i = 0; i < row->len; i++) {
        const char *text = g_ptr_array_index(row, i);
        gsize pad = g_array_index(widths, gsize, i) - vl_ctl_format_width(text);
        gboolean right = i < t->right->len && g_array_index(t->right, gboolean, i);
        gboolean last = i + 1 == row->len;

        if (i > 0) {
            g_string_append_printf(out, "%*s", COLUMN_GAP, "");
        }
        if (right) {
            g_string_append_printf(out, "%*s", (int)pad, "");
        }
        g_string_append(out, text);
        if (!right && !last) {
            g_string_append_printf(out, "%*s", (int)pad, "");
        }
    }
    /* A short row, or empty cells at its end, leave spaces nobody wants at the end of a line. */
    while (out->len > start && out->str[out->len - 1] == ' ') {
        g_string_truncate(out, out->len - 1);
    }
    g_string_append_c(out, '\n');
}

void
vl_ctl_table_render(const VlCtlTable *table, GString *out)
{
    g_autoptr(GArray) widths = g_array_new(FALSE, TRUE, sizeof(gsize));

    measure(widths, table->header);
    for (guint i = 0; i < table->rows->len; i++) {
        measure(widths, g_ptr_array_index(table->rows, i));
    }
    if (table->header) {
        render_row(table, widths, table->header, out);
    }
    for (guint i = 0; i < table->rows->len; i++) {
        render_row(table, widths, g_ptr_array_index(table->rows, i), out);
    }
}

/* Values ------------------------------------------------------------------------------------ */

static gboolean
needs_escape(gunichar c)
{
    return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
           (c >= 0x2066 && c <= 0x2069);
}

char *
vl_ctl_format_clean(const char *text)
{
    g_autofree char *valid = NULL;
    GString *out;

    if (!g_utf8_validate(text, -1, NULL)) {
        text = valid = g_utf8_make_valid(text, -1);
    }
    out = g_string_sized_new(strlen(text));
    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (!needs_escape(c)) {
            g_string_append_len(out, p, g_utf8_next_char(p) - p);
        } else if (c < 0x80) {
            g_string_append_printf(out, "\\x%02x", c);
        } else {
            g_string_append_printf(out, "\\u%04x", c);
        }
    }
    return g_string_free(out, FALSE);
}

gsize
vl_ctl_format_width(const char *text)
{
    gsize width = 0;

    for (const char *p = text; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (g_unichar_iszerowidth(c)) {
            continue;
        }
        width += g_unichar_iswide(c) ? 2 : 1;
    }
    return width;
}

char *
vl_ctl_format_size(double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    char number[G_ASCII_DTOSTR_BUF_SIZE];
    guint unit = 0;
    gsize len;

    if (!isfinite(bytes) || bytes < 0) {
        return g_strdup("-");
    }
    while (bytes >= 1024 && unit + 1 < G_N_ELEMENTS(units)) {
        bytes /= 1024;
        unit++;
    }
    if (unit == 0) {
        return g_strdup_printf("%.0f B", bytes);
    }
    g_ascii_formatd(number, sizeof(number), "%.1f", bytes);
    len = strlen(number);
    if (len > 2 && strcmp(number + len - 2, ".0") == 0) {
        number[len - 2] = '\0';
    }
    return g_strdup_printf("%s %s", number, units[unit]);
}

char *
vl_ctl_format_duration(gint64 seconds)
{
    static const struct {
        gint64 seconds;
        const char *suffix;
    } units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};

    if (seconds < 0) {
        return g_strdup("-");
    }
    for (guint i = 0; i < G_N_ELEMENTS(units); i++) {
        gint64 n = seconds / units[i].seconds;

        if (n == 0 && i + 1 < G_N_ELEMENTS(units)) {
            continue;
        }
        if (i + 1 < G_N_ELEMENTS(units)) {
            gint64 rest = (seconds % units[i].seconds) / units[i + 1].seconds;

            if (rest > 0) {
                return g_strdup_printf("%" G_GINT64_FORMAT "%s %" G_GINT64_FORMAT "%s", n,
                                       units[i].suffix, rest, units[i + 1].suffix);
            }
        }
        return g_strdup_printf("%" G_GINT64_FORMAT "%s", n, units[i].suffix);
    }
    g_assert_not_reached();
}

char *
vl_ctl_format_time(gint64 unix_ms, gboolean with_ms)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(unix_ms / 1000);
    g_autofree char *text = NULL;

    if (unix_ms < 0 || t == NULL) {
        return g_strdup("-");
    }
    text = g_date_time_format(t, "%Y-%m-%d %H:%M:%S");
    if (with_ms) {
        return g_strdup_printf("%s.%03d", text, (int)(unix_ms % 1000));
    }
    return g_steal_pointer(&text);
}

char *
vl_ctl_format_percent(double part, double whole)
{
    if (!(whole > 0) || !isfinite(part) || !isfinite(whole)) {
        return g_strdup("-");
    }
    return g_strdup_printf("%.0f%%", part / whole * 100.0);
}
