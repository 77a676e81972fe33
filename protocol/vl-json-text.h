/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compact JSON text, written straight into a GString: what vl_json_to_string() writes for a
 * tree and what a text builder (vl_json_builder_new_text) writes as it goes, without a tree in
 * between. Library-independent, behind vl-json.h. The same text json-glib 1.6's generator
 * writes, but valid where that is not: every control character escaped (it writes U+001F raw),
 * and no ".0" after an exponent (it writes 3e+20.0).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A string's JSON text, quoted. */
void vl_json_text_append_string(GString *out, const char *value);
/* A finite double as json-glib writes it: %.17g, with ".0" when it would read as an integer. */
void vl_json_text_append_double(GString *out, double value);

/* Where a text builder is: which containers are open, whether one has a value yet. */
typedef struct {
    GString *out;
    GByteArray *open; /* per open container: 1 once it has a member or element */
    gboolean named;   /* a member's name was written; its value comes next */
} VlJsonText;

void vl_json_text_init(VlJsonText *t, GString *out);
void vl_json_text_clear(VlJsonText *t);

/* Before a value: the comma it needs. Then append the value to t->out. */
void vl_json_text_value(VlJsonText *t);
void vl_json_text_name(VlJsonText *t, const char *name);
void vl_json_text_open(VlJsonText *t, char bracket);  /* '{' or '[' */
void vl_json_text_close(VlJsonText *t, char bracket); /* '}' or ']' */

G_END_DECLS
