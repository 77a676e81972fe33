/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shorthands for writing catalogue tables; only catalogue sources include this. */
#pragma once

#include "vl-catalogue.h"

#define REQ VL_FIELD_REQUIRED
#define OPT 0
#define I64_MAX G_MAXINT64

/* One field initializer per macro reads best on one line. */
/* clang-format off */
#define F_STRING(n, fl, lo, hi, d)                                                                 \
    {.name = (n), .type = VL_TYPE_STRING, .flags = (fl), .min = (lo), .max = (hi), .doc = (d)}
#define F_ENUM(n, fl, ch, d)                                                                       \
    {.name = (n), .type = VL_TYPE_STRING, .flags = (fl), .min = 1, .max = 64, .choices = (ch),     \
     .doc = (d)}
#define F_INT(n, fl, lo, hi, d)                                                                    \
    {.name = (n), .type = VL_TYPE_INT, .flags = (fl), .min = (lo), .max = (hi), .doc = (d)}
#define F_NUMBER(n, fl, d) {.name = (n), .type = VL_TYPE_NUMBER, .flags = (fl), .doc = (d)}
#define F_BOOL(n, fl, d) {.name = (n), .type = VL_TYPE_BOOL, .flags = (fl), .doc = (d)}
#define F_OBJECT(n, fl, flds, d)                                                                   \
    {.name = (n), .type = VL_TYPE_OBJECT, .flags = (fl), .fields = (flds), .doc = (d)}
#define F_ARRAY(n, fl, lo, hi, item, d)                                                            \
    {.name = (n), .type = VL_TYPE_ARRAY, .flags = (fl), .min = (lo), .max = (hi), .items = (item), \
     .doc = (d)}
#define F_DISPATCH(n, fl, cat, on, d)                                                              \
    {.name = (n), .type = VL_TYPE_OBJECT, .flags = (fl), .dispatch = (cat), .dispatch_on = (on),   \
     .doc = (d)}
#define F_ID(n, fl, d) {.name = (n), .type = VL_TYPE_ID, .flags = (fl), .doc = (d)}
#define F_ANY(n, fl, d) {.name = (n), .type = VL_TYPE_ANY, .flags = (fl), .doc = (d)}
#define F_END {.name = NULL}

/* An array element: the item spec of an F_ARRAY. */
#define ITEM_STRING(lo, hi, d) F_STRING("item", REQ, lo, hi, d)
#define ITEM_ENUM(ch, d) F_ENUM("item", REQ, ch, d)
#define ITEM_INT(lo, hi, d) F_INT("item", REQ, lo, hi, d)
#define ITEM_OBJECT(flds, d) F_OBJECT("item", REQ, flds, d)

/* clang-format on */

/* No members at all (commands without arguments, results without content). */
extern const VlField vl_no_fields[];

/* The members of a report's sections object, one per section (shared with guest.info). */
extern const VlField vl_report_section_fields[];

/* Upper bounds shared by the catalogues. */
#define VL_NAME_MAX_LEN 256  /* user, package, interface and VM names */
#define VL_PATH_MAX_LEN 4096 /* file paths */
#define VL_ID_MAX_LEN 64     /* ids, session ids, short identifiers */
#define VL_TEXT_MAX_LEN 1024 /* messages meant for people */
