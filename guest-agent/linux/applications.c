/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The applications collector on Linux: installed packages from the dpkg database (the status
 * file, then the journal dpkg keeps in updates/ until it folds it into status, the way
 * dpkg-query reads them), then the RPM database when built with librpm. See applications.h for
 * what counts as installed.
 */
#include "applications.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vl-collectors-linux.h"

#define DPKG_STATUS_PATH "/var/lib/dpkg/status"
#define DPKG_UPDATES_PATH "/var/lib/dpkg/updates"

/*
 * Only the first LINE_KEEP bytes of a line are looked at: enough for a field name and a value
 * of VL_APPLICATION_FIELD_MAX bytes. A longer line holding one of our fields makes it invalid;
 * any other long line (a Description, a Conffiles entry) is simply passed over.
 */
#define LINE_KEEP 1024
#define READ_CHUNK (64 * 1024)
/* A status file larger than this is not a dpkg database: stop instead of reading forever. */
#define DPKG_FILE_MAX ((guint64)1 << 30)

typedef enum {
    FIELD_PACKAGE,
    FIELD_STATUS,
    FIELD_VERSION,
    FIELD_ARCHITECTURE,
    N_FIELDS,
    FIELD_OTHER = N_FIELDS, /* a field we do not read */
    FIELD_NONE,             /* no field yet in this stanza */
} DpkgField;

const gboolean vl_applications_with_rpm = VL_APPLICATIONS_WITH_RPM;

static const char *const field_names[N_FIELDS] = {"Package", "Status", "Version", "Architecture"};

typedef enum {
    STATUS_BAD,       /* not a dpkg Status: the stanza is skipped */
    STATUS_INSTALLED, /* the package counts */
    STATUS_OTHER,     /* a valid Status of a package that is not (fully) installed */
} DpkgStatus;

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

static void
application_free(gpointer data)
{
    Application *app = data;

    g_free(app->key);
    g_free(app->name);
    g_free(app->arch);
    g_free(app->version);
    g_free(app);
}

VlApplications *
vl_applications_new(void)
{
    VlApplications *apps = g_new0(VlApplications, 1);

    apps->table = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, application_free);
    apps->last_field = FIELD_NONE;
    return apps;
}

static void
stanza_reset(VlApplications *apps)
{
    for (guint i = 0; i < N_FIELDS; i++) {
        g_clear_pointer(&apps->values[i], g_free);
        apps->seen[i] = FALSE;
        apps->invalid[i] = FALSE;
    }
    apps->last_field = FIELD_NONE;
    apps->malformed = FALSE;
    apps->in_stanza = FALSE;
}

void
vl_applications_free(VlApplications *apps)
{
    if (apps == NULL) {
        return;
    }
    stanza_reset(apps);
    g_hash_table_destroy(apps->table);
    g_free(apps);
}

guint
vl_applications_count(const VlApplications *apps)
{
    return g_hash_table_size(apps->table);
}

/* Checks ------------------------------------------------------------------------------------ */

static gboolean
is_graph(char c)
{
    return c > ' ' && c < 0x7f;
}

/* Printable ASCII without spaces: what names, versions and architectures are made of. */
static gboolean
is_token(const char *s, gsize len, gsize max)
{
    if (len == 0 || len > max) {
        return FALSE;
    }
    for (gsize i = 0; i < len; i++) {
        if (!is_graph(s[i]) || s[i] == ':') {
            return FALSE;
        }
    }
    return TRUE;
}

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
version_valid(const char *s, gsize len)
{
    if (len == 0 || len > VL_APPLICATION_FIELD_MAX) {
        return FALSE;
    }
    for (gsize i = 0; i < len; i++) {
        if (!is_graph(s[i])) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
status_text_valid(const char *s, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        if (!is_graph(s[i]) && s[i] != ' ' && s[i] != '\t') {
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

/* The list ------------------------------------------------------------------------------------ */

/* "name:arch" (dpkg: one package per name and architecture); "name:arch:version" (RPM). */
static char *
make_key(const char *name, const char *arch, const char *version)
{
    return g_strconcat(name, ":", arch ? arch : "", version ? ":" : NULL, version, NULL);
}

static gboolean
add_keyed(VlApplications *apps, const char *name, const char *arch, const char *version,
          gboolean by_version)
{
    Application *app;
    char *key;

    if (!is_token(name, strlen(name), VL_APPLICATION_FIELD_MAX) ||
        (arch && !is_token(arch, strlen(arch), VL_APPLICATION_ARCH_MAX)) ||
        (version && !version_valid(version, strlen(version)))) {
        return FALSE;
    }
    key = make_key(name, arch, by_version ? version : NULL);
    if (g_hash_table_size(apps->table) >= VL_APPLICATIONS_MAX &&
        !g_hash_table_contains(apps->table, key)) {
        g_free(key);
        return FALSE;
    }
    app = g_new0(Application, 1);
    app->key = key;
    app->name = g_strdup(name);
    app->arch = g_strdup(arch);
    app->version = g_strdup(version);
    g_hash_table_replace(apps->table, app->key, app);
    return TRUE;
}

gboolean
vl_applications_add(VlApplications *apps, const char *name, const char *arch, const char *version)
{
    return add_keyed(apps, name, arch, version, FALSE);
}

gboolean
vl_applications_add_version(VlApplications *apps, const char *name, const char *arch,
                            const char *version)
{
    return add_keyed(apps, name, arch, version, TRUE);
}

static void
remove_package(VlApplications *apps, const char *name, const char *arch)
{
    g_autofree char *key = make_key(name, arch, NULL);

    g_hash_table_remove(apps->table, key);
}

typedef struct {
    const Application *app;
    char *owned; /* name:arch when the name is installed for several architectures */
    const char *name;
} Row;

static int
compare_nullable(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int
compare_by_name_arch(gconstpointer a, gconstpointer b)
{
    const Application *x = *(const Application *const *)a;
    const Application *y = *(const Application *const *)b;
    int r = strcmp(x->name, y->name);

    if (r == 0) {
        r = compare_nullable(x->arch, y->arch);
    }
    return r;
}

static int
compare_rows(gconstpointer a, gconstpointer b)
{
    const Row *x = a;
    const Row *y = b;
    int r = strcmp(x->name, y->name);

    /* The same name twice: versions of an RPM install-only package. */
    return r != 0 ? r : compare_nullable(x->app->version, y->app->version);
}

void
vl_applications_write(const VlApplications *apps, VlJsonBuilder *b)
{
    g_autoptr(GPtrArray) list = g_ptr_array_sized_new(g_hash_table_size(apps->table));
    g_autoptr(GArray) rows =
        g_array_sized_new(FALSE, TRUE, sizeof(Row), g_hash_table_size(apps->table));
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, apps->table);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        g_ptr_array_add(list, value);
    }
    g_ptr_array_sort(list, compare_by_name_arch);
    for (guint start = 0, end; start < list->len; start = end) {
        const Application *first = list->pdata[start];
        gboolean several_archs = FALSE;

        /* [start, end): one name, sorted by architecture. */
        for (end = start + 1; end < list->len; end++) {
            const Application *app = list->pdata[end];

            if (!g_str_equal(first->name, app->name)) {
                break;
            }
            several_archs |= compare_nullable(first->arch, app->arch) != 0;
        }
        for (guint i = start; i < end; i++) {
            const Application *app = list->pdata[i];
            Row row = {.app = app, .name = app->name};

            if (several_archs && app->arch) {
                row.owned = g_strconcat(app->name, ":", app->arch, NULL);
                row.name = row.owned;
            }
            if (strlen(row.name) > VL_APPLICATION_FIELD_MAX) {
                g_free(row.owned);
                continue;
            }
            g_array_append_val(rows, row);
        }
    }
    g_array_sort(rows, compare_rows);

    vl_json_builder_begin_array(b);
    for (guint i = 0; i < rows->len; i++) {
        Row *row = &g_array_index(rows, Row, i);

        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "name");
        vl_json_builder_add_string(b, row->name);
        if (row->app->version) {
            vl_json_builder_member(b, "version");
            vl_json_builder_add_string(b, row->app->version);
        }
        vl_json_builder_end_object(b);
        g_free(row->owned);
    }
    vl_json_builder_end_array(b);
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
        stanza_reset(apps);
        return;
    }
    status = parse_status(apps->values[FIELD_STATUS]);
    if (status == STATUS_INSTALLED && !apps->invalid[FIELD_VERSION]) {
        vl_applications_add(apps, name, arch, apps->values[FIELD_VERSION]);
    } else if (status != STATUS_BAD) {
        /* Not installed, or installed but out of bounds: either way not in the section. */
        remove_package(apps, name, arch);
    }
    stanza_reset(apps);
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
        return version_valid(value, len);
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
        if (!is_graph(*p)) {
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

/* Reading the database ---------------------------------------------------------------------- */

static void
feed_dpkg(const char *data, gsize len, gpointer user_data)
{
    vl_applications_feed_dpkg(user_data, data, len);
}

/* Streams one file of the dpkg database into the parser; a file that does not exist is empty. */
static gboolean
read_dpkg_file(const VlCollectContext *ctx, const char *path, VlApplications *apps, GError **error)
{
    g_autoptr(GError) local_error = NULL;

    if (!vl_collect_stream(ctx, path, DPKG_FILE_MAX, feed_dpkg, apps, &local_error)) {
        if (g_error_matches(local_error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_MISSING)) {
            return TRUE;
        }
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    vl_applications_end_dpkg(apps);
    return TRUE;
}

static gboolean
all_digits(const char *s)
{
    if (*s == '\0') {
        return FALSE;
    }
    for (; *s; s++) {
        if (!g_ascii_isdigit(*s)) {
            return FALSE;
        }
    }
    return TRUE;
}

static int
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * dpkg records each change in updates/NNNN before folding the journal into status; dpkg-query
 * applies those files in name order on top of status, and so do we. Other names (tmp.i) are
 * files dpkg is still writing.
 */
static gboolean
read_dpkg_updates(const VlCollectContext *ctx, VlApplications *apps, GError **error)
{
    g_autofree char *dir_path = vl_collect_path(ctx, DPKG_UPDATES_PATH);
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    if (dir == NULL) {
        return TRUE; /* no journal */
    }
    while ((name = g_dir_read_name(dir))) {
        if (all_digits(name)) {
            g_ptr_array_add(names, g_strdup(name));
        }
    }
    g_ptr_array_sort(names, compare_strings);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(DPKG_UPDATES_PATH, names->pdata[i], NULL);

        if (!read_dpkg_file(ctx, path, apps, error)) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
collect_applications(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autoptr(VlApplications) apps = vl_applications_new();

    /* No status file: no dpkg on this system, which is not an error. */
    if (!read_dpkg_file(ctx, DPKG_STATUS_PATH, apps, error) ||
        !read_dpkg_updates(ctx, apps, error) || !vl_applications_read_rpm(ctx, apps, error)) {
        return FALSE;
    }
    vl_applications_write(apps, b);
    return TRUE;
}

const VlCollector vl_collector_applications = {
    .name = "applications",
    .collect = collect_applications,
};
