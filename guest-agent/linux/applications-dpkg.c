/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dpkg status parser: RFC 822-style stanzas fed in chunks of any size, with bounded memory
 * (only the first LINE_KEEP bytes of a line are kept), into the applications list.
 */
#include <string.h>

#include "applications-private.h"

static const char *const field_names[N_FIELDS] = {"Package", "Status", "Version", "Architecture"};

typedef enum {
    STATUS_BAD,       /* not a dpkg Status: the stanza is skipped */
    STATUS_INSTALLED, /* the package counts */
    STATUS_OTHER,     /* a valid Status of a package that is not (fully) installed */
} DpkgStatus;

/* Checks of dpkg values -------------------------------------------------------------------- */

/* Printable ASCII without spaces: what names, versions and architectures are made of. */

/* dpkg's pkg_name_is_illegal(): an alphanumeric, then alphanumerics and "-+._". */
static gboolean
dpkg_name_valid(const char *s, gsize len)
{
    if (len == 0 || len > VL_APPLICATION_FIELD_MAX || !g_ascii_isalnum(s[0])) {
        return FALSE;
    }
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '+' && s[i] != '.' && s[i] != '_') {
            return FALSE;
        }
    }
    return TRUE;
}

/* dpkg's dpkg_arch_name_is_illegal(): an alphanumeric, then alphanumerics and '-'. */
static gboolean
dpkg_arch_valid(const char *s, gsize len)
{
    if (len == 0 || len > VL_APPLICATION_ARCH_MAX || !g_ascii_isalnum(s[0])) {
        return FALSE;
    }
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isalnum(s[i]) && s[i] != '-') {
            return FALSE;
        }
    }
    return TRUE;
}

/* A version may hold an epoch ("1:2.3-4"), so it is checked without the ':' rule. */

static gboolean
status_text_valid(const char *s, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        if (!vl_applications_is_graph(s[i]) && s[i] != ' ' && s[i] != '\t') {
            return FALSE;
        }
    }
    return len > 0;
}

static gboolean
word_in(const char *word, const char *const *words)
{
    for (const char *const *w = words; *w; w++) {
        if (g_str_equal(word, *w)) {
            return TRUE;
        }
    }
    return FALSE;
}

/* "want eflag state", as dpkg writes it (lib/dpkg/parsehelp.c, statusinfos). */
static DpkgStatus
parse_status(const char *status)
{
    static const char *const wants[] = {"unknown", "install", "hold", "deinstall", "purge", NULL};
    static const char *const eflags[] = {"ok", "reinstreq", NULL};
    static const char *const installed[] = {"installed", "triggers-awaited", "triggers-pending",
                                            NULL};
    static const char *const others[] = {"not-installed", "config-files",    "half-installed",
                                         "unpacked",      "half-configured", NULL};
    g_auto(GStrv) words = g_strsplit_set(status, " \t", -1);
    const char *w[3];
    guint n = 0;

    for (char **p = words; *p; p++) {
        if (**p == '\0') {
            continue;
        }
        if (n == G_N_ELEMENTS(w)) {
            return STATUS_BAD;
        }
        w[n++] = *p;
    }
    if (n != 3 || !word_in(w[0], wants) || !word_in(w[1], eflags)) {
        return STATUS_BAD;
    }
    if (word_in(w[2], installed)) {
        return g_str_equal(w[1], "ok") ? STATUS_INSTALLED : STATUS_OTHER;
    }
    return word_in(w[2], others) ? STATUS_OTHER : STATUS_BAD;
}

/* The dpkg parser ----------------------------------------------------------------------------- */

static void
stanza_end(VlApplications *apps)
{
    const char *name = apps->values[FIELD_PACKAGE];
    const char *arch = apps->values[FIELD_ARCHITECTURE];
    DpkgStatus status;

    if (!apps->in_stanza) {
        return;
    }
    if (apps->malformed || name == NULL || apps->invalid[FIELD_ARCHITECTURE] ||
        apps->values[FIELD_STATUS] == NULL) {
        vl_applications_stanza_reset(apps);
        return;
    }
    status = parse_status(apps->values[FIELD_STATUS]);
    if (status == STATUS_INSTALLED && !apps->invalid[FIELD_VERSION]) {
        vl_applications_add(apps, name, arch, apps->values[FIELD_VERSION]);
    } else if (status != STATUS_BAD) {
        /* Not installed, or installed but out of bounds: either way not in the section. */
        vl_applications_remove_package(apps, name, arch);
    }
    vl_applications_stanza_reset(apps);
}

static DpkgField
field_lookup(const char *name, gsize len)
{
    for (guint i = 0; i < N_FIELDS; i++) {
        if (strlen(field_names[i]) == len && g_ascii_strncasecmp(name, field_names[i], len) == 0) {
            return (DpkgField)i;
        }
    }
    return FIELD_OTHER;
}

static gboolean
field_value_valid(DpkgField field, const char *value, gsize len)
{
    switch (field) {
    case FIELD_PACKAGE:
        return dpkg_name_valid(value, len);
    case FIELD_ARCHITECTURE:
        return dpkg_arch_valid(value, len);
    case FIELD_VERSION:
        return vl_applications_version_valid(value, len);
    case FIELD_STATUS:
        return status_text_valid(value, len);
    default:
        return FALSE;
    }
}

static void
field_line(VlApplications *apps, const char *s, gsize len)
{
    const char *colon = memchr(s, ':', len);
    const char *value;
    const char *end = s + len;
    DpkgField field;

    if (colon == NULL) {
        /* A long line may have its colon beyond what we keep: a field we do not read. */
        apps->malformed |= !apps->line_long;
        apps->last_field = FIELD_OTHER;
        return;
    }
    /* deb822 field names: printable ASCII without spaces, not starting with '#' or '-'. */
    if (colon == s || *s == '#' || *s == '-') {
        apps->malformed = TRUE;
        return;
    }
    for (const char *p = s; p < colon; p++) {
        if (!vl_applications_is_graph(*p)) {
            apps->malformed = TRUE;
            return;
        }
    }
    field = field_lookup(s, (gsize)(colon - s));
    apps->last_field = field;
    if (field == FIELD_OTHER) {
        return;
    }
    if (apps->seen[field]) {
        apps->malformed = TRUE; /* dpkg: "duplicate value for field" */
        return;
    }
    apps->seen[field] = TRUE;
    value = colon + 1;
    while (value < end && (*value == ' ' || *value == '\t')) {
        value++;
    }
    while (end > value && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    if (apps->line_long || !field_value_valid(field, value, (gsize)(end - value))) {
        apps->invalid[field] = TRUE;
        return;
    }
    apps->values[field] = g_strndup(value, (gsize)(end - value));
}

static void
line_end(VlApplications *apps)
{
    const char *s = apps->line;
    gsize len = apps->line_len;

    if (!apps->line_long && len > 0 && s[len - 1] == '\r') {
        len--; /* CRLF */
    }
    if (len == 0 && !apps->line_long) {
        stanza_end(apps);
    } else if (s[0] == ' ' || s[0] == '\t') {
        /* A continuation: our fields are single-line, so continuing one makes it invalid. */
        if (apps->last_field == FIELD_NONE) {
            apps->malformed = TRUE;
        } else if (apps->last_field < N_FIELDS) {
            apps->invalid[apps->last_field] = TRUE;
            g_clear_pointer(&apps->values[apps->last_field], g_free);
        }
        apps->in_stanza = TRUE;
    } else {
        apps->in_stanza = TRUE;
        field_line(apps, s, len);
    }
    apps->line_len = 0;
    apps->line_long = FALSE;
}

static void
line_append(VlApplications *apps, const char *data, gsize len)
{
    gsize room = LINE_KEEP - apps->line_len;

    if (len > room) {
        apps->line_long = TRUE;
        len = room;
    }
    memcpy(apps->line + apps->line_len, data, len);
    apps->line_len += len;
}

void
vl_applications_feed_dpkg(VlApplications *apps, const char *data, gsize len)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        gsize n = nl ? (gsize)(nl - data) : len;

        line_append(apps, data, n);
        if (nl == NULL) {
            return;
        }
        line_end(apps);
        data += n + 1;
        len -= n + 1;
    }
}

void
vl_applications_end_dpkg(VlApplications *apps)
{
    if (apps->line_len > 0 || apps->line_long) {
        line_end(apps);
    }
    stanza_end(apps);
}
