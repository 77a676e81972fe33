/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Output for people: aligned tables and values in human units.
 *
 * Much of what vmlinkctl shows was written by a guest (host names, user names, package names),
 * and a guest is untrusted: every cell goes through vl_ctl_format_clean(), so no escape sequence
 * a guest chose ever reaches the terminal.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A table: an optional header row, then rows of cells, rendered with columns aligned (two spaces
 * apart, by display width) and the last column not padded. Rows may have fewer cells than
 * others. A NULL cell shows as "-".
 */
typedef struct _VlCtlTable VlCtlTable;

/* The column headers, NULL-terminated. */
VlCtlTable *vl_ctl_table_new(const char *first_header, ...) G_GNUC_NULL_TERMINATED;
/* A table without a header row ("Label:  value" lines). */
VlCtlTable *vl_ctl_table_new_plain(void);
void vl_ctl_table_free(VlCtlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlCtlTable, vl_ctl_table_free)

/* Numbers read best aligned on the right. */
void vl_ctl_table_align_right(VlCtlTable *table, guint column);
/* Starts a row; the cells that follow fill it from the left. */
void vl_ctl_table_row(VlCtlTable *table);
void vl_ctl_table_cell(VlCtlTable *table, const char *text);
void vl_ctl_table_cell_take(VlCtlTable *table, char *text);
void vl_ctl_table_cellf(VlCtlTable *table, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* Rows, header excluded. */
guint vl_ctl_table_n_rows(const VlCtlTable *table);
void vl_ctl_table_render(const VlCtlTable *table, GString *out);

/* Text safe for a terminal: control characters (C0, DEL, C1) and bidirectional overrides
 * written as \xNN or \uNNNN, invalid UTF-8 replaced. */
char *vl_ctl_format_clean(const char *text);
/* Columns the text takes on a terminal (wide characters count two). */
gsize vl_ctl_format_width(const char *text);

/* Bytes in binary units: "512 B", "1.5 KiB", "16 GiB" (one decimal, none when it is 0). */
char *vl_ctl_format_size(double bytes);
/* Seconds as the two largest units: "3d 4h", "2h 5m", "5m 12s", "42s". */
char *vl_ctl_format_duration(gint64 seconds);
/* A Unix time in milliseconds as local time: "2026-01-05 14:03:12", with ".123" if with_ms. */
char *vl_ctl_format_time(gint64 unix_ms, gboolean with_ms);
/* part of whole as a rounded percentage ("21%"), or "-" when whole is not positive. */
char *vl_ctl_format_percent(double part, double whole);

G_END_DECLS
