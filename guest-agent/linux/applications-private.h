/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What applications.c (the list, the database files, the collector) and applications-dpkg.c
 * (the dpkg status parser) share. */
#pragma once

#include "applications.h"

/*
 * Only the first LINE_KEEP bytes of a line are looked at: enough for a field name and a value
 * of VL_APPLICATION_FIELD_MAX bytes. A longer line holding one of our fields makes it invalid;
 * any other long line (a Description, a Conffiles entry) is simply passed over.
 */
#define LINE_KEEP 1024
typedef enum {
    FIELD_PACKAGE,
    FIELD_STATUS,
    FIELD_VERSION,
    FIELD_ARCHITECTURE,
    N_FIELDS,
    FIELD_OTHER = N_FIELDS, /* a field we do not read */
    FIELD_NONE,             /* no field yet in this stanza */
} DpkgField;

typedef struct {
    char *key; /* "name:arch" ("name:" without one), "name:arch:version" for RPM (make_key) */
    char *name;
    char *arch;    /* or NULL */
    char *version; /* or NULL */
} Application;

struct _VlApplications {
    GHashTable *table; /* key -> Application, owned */

    /* The dpkg parser: the current line, then the current stanza. */
    char line[LINE_KEEP];
    gsize line_len;     /* bytes kept in line */
    gboolean line_long; /* the line had more bytes than LINE_KEEP */
    DpkgField last_field;
    gboolean seen[N_FIELDS];
    gboolean invalid[N_FIELDS];
    char *values[N_FIELDS]; /* valid values only */
    gboolean malformed;
    gboolean in_stanza;
};

/* Forgets the stanza being parsed. */
void vl_applications_stanza_reset(VlApplications *apps);
/* Drops a dpkg package (name and architecture) from the list. */
void vl_applications_remove_package(VlApplications *apps, const char *name, const char *arch);
/* Printable ASCII other than space. */
static inline gboolean
vl_applications_is_graph(char c)
{
    return c > ' ' && c < 0x7f;
}

/* Printable ASCII without spaces, 1..max bytes. */
gboolean vl_applications_is_token(const char *s, gsize len, gsize max);
/* A version within the catalogue's bounds. */
gboolean vl_applications_version_valid(const char *s, gsize len);
