/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The applications collector on Linux: installed packages from the dpkg database (the status
 * file, then the journal dpkg keeps in updates/ until it folds it into status, the way
 * dpkg-query reads them), then the RPM database when built with librpm. See applications.h for
 * what counts as installed.
 */
#include "applications-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vl-collectors-linux.h"

#define DPKG_STATUS_PATH "/var/lib/dpkg/status"
#define DPKG_UPDATES_PATH "/var/lib/dpkg/updates"

/* A status file larger than this is not a dpkg database: stop instead of reading forever. */
#define DPKG_FILE_MAX ((guint64)1 << 30)

const gboolean vl_applications_with_rpm = VL_APPLICATIONS_WITH_RPM;

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

void
vl_applications_stanza_reset(VlApplications *apps)
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
    vl_applications_stanza_reset(apps);
    g_hash_table_destroy(apps->table);
    g_free(apps);
}

guint
vl_applications_count(const VlApplications *apps)
{
    return g_hash_table_size(apps->table);
}

/* Checks ------------------------------------------------------------------------------------ */

gboolean
vl_applications_is_token(const char *s, gsize len, gsize max)
{
    if (len == 0 || len > max) {
        return FALSE;
    }
    for (gsize i = 0; i < len; i++) {
        if (!vl_applications_is_graph(s[i]) || s[i] == ':') {
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
vl_applications_version_valid(const char *s, gsize len)
{
    if (len == 0 || len > VL_APPLICATION_FIELD_MAX) {
        return FALSE;
    }
    for (gsize i = 0; i < len; i++) {
        if (!vl_applications_is_graph(s[i])) {
            return FALSE;
        }
    }
    return TRUE;
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

    if (!vl_applications_is_token(name, strlen(name), VL_APPLICATION_FIELD_MAX) ||
        (arch && !vl_applications_is_token(arch, strlen(arch), VL_APPLICATION_ARCH_MAX)) ||
        (version && !vl_applications_version_valid(version, strlen(version)))) {
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

void
vl_applications_remove_package(VlApplications *apps, const char *name, const char *arch)
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
        if (vl_collect_all_digits(name)) {
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
