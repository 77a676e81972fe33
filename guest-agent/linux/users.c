/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * users: the sessions of logged-in users.
 *
 * systemd-logind knows them best (session ids, seats, lock state) and is what the agent watches
 * for changes, so it comes first. Without a system bus, or without logind on it (containers,
 * sysvinit guests), utmp is read instead: its records are parsed from the file's bytes, not
 * through getutxent(3), so that a fixture tree works and nothing global is touched.
 */
#include "users.h"

#include <stddef.h>
#include <string.h>
#include <utmpx.h>

#include "vl-collector.h"
#include "vl-collectors-linux.h"

#define LOGIND_NAME "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"
#define LOGIND_SESSION "org.freedesktop.login1.Session"
#define LOGIND_TIMEOUT_MS 2000

#define UTMP_PATH "/var/run/utmp"
#define UTMP_MAX_SIZE (4 * 1024 * 1024) /* 10922 records; a busy server holds a few hundred */

/* The catalogue's bounds (user_fields in protocol/vl-guest-catalogue.c). */
#define NAME_MAX_LEN 256
#define ID_MAX_LEN 64

void
vl_user_free(VlUser *user)
{
    if (user) {
        g_free(user->name);
        g_free(user->session);
        g_free(user->seat);
        g_free(user->tty);
        g_free(user->remote_host);
        g_free(user);
    }
}

static VlUser *
user_new(void)
{
    VlUser *user = g_new0(VlUser, 1);

    user->since = -1;
    return user;
}

/* A copy of the first len bytes of s up to a NUL, or NULL when empty, longer than max or not
 * UTF-8. */
static char *
field_dup(const char *s, gsize len, gsize max)
{
    gsize n = strnlen(s, len);

    if (n == 0 || n > max || !g_utf8_validate(s, (gssize)n, NULL)) {
        return NULL;
    }
    return g_strndup(s, n);
}

/* utmp ------------------------------------------------------------------------------------- */

GPtrArray *
vl_users_parse_utmp(const void *data, gsize len)
{
    GPtrArray *users = g_ptr_array_new_with_free_func((GDestroyNotify)vl_user_free);
    const guint8 *p = data;
    gsize records = len / sizeof(struct utmpx);

    if (len % sizeof(struct utmpx) != 0) {
        g_debug("utmp: %" G_GSIZE_FORMAT " bytes of a partial record ignored",
                len % sizeof(struct utmpx));
    }
    for (gsize i = 0; i < records && users->len < VL_USERS_MAX; i++) {
        struct utmpx record;
        g_autoptr(VlUser) user = user_new();

        /* memcpy: the bytes need not be aligned for the struct */
        memcpy(&record, p + i * sizeof(record), sizeof(record));
        if (record.ut_type != USER_PROCESS) {
            continue;
        }
        user->name = field_dup(record.ut_user, sizeof(record.ut_user), NAME_MAX_LEN);
        if (!user->name) {
            continue;
        }
        user->tty = field_dup(record.ut_line, sizeof(record.ut_line), ID_MAX_LEN);
        user->remote_host = field_dup(record.ut_host, sizeof(record.ut_host), NAME_MAX_LEN);
        if (record.ut_tv.tv_sec > 0) {
            user->since = record.ut_tv.tv_sec;
            user->since_usec = (guint)CLAMP(record.ut_tv.tv_usec, 0, 999999);
        }
        g_ptr_array_add(users, g_steal_pointer(&user));
    }
    return users;
}

gboolean
vl_users_from_utmp(const VlCollectContext *ctx, GPtrArray **ret_users, GError **error)
{
    g_autofree char *path = vl_collect_path(ctx, UTMP_PATH);
    g_autofree char *data = NULL;
    gsize len = 0;

    /* No utmp (a container, a minimal guest): nobody is known to be logged in. */
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        *ret_users = g_ptr_array_new_with_free_func((GDestroyNotify)vl_user_free);
        return TRUE;
    }
    if (!vl_collect_read(ctx, UTMP_PATH, UTMP_MAX_SIZE, &data, &len, error)) {
        return FALSE;
    }
    *ret_users = vl_users_parse_utmp(data, len);
    return TRUE;
}

/* logind ----------------------------------------------------------------------------------- */

typedef struct {
    char *id;
    char *name;
    char *path;
} ListedSession;

static void
listed_session_clear(gpointer p)
{
    ListedSession *s = p;

    g_free(s->id);
    g_free(s->name);
    g_free(s->path);
}

/* Session ids are decimal numbers or a letter and a number ("c2"): shorter first reads as
 * numeric order for both. */
static int
session_id_compare(const char *a, const char *b)
{
    gsize la;
    gsize lb;

    if (!a || !b) {
        return (a != NULL) - (b != NULL);
    }
    la = strlen(a);
    lb = strlen(b);
    if (la != lb) {
        return la < lb ? -1 : 1;
    }
    return strcmp(a, b);
}

static gint
listed_session_compare(gconstpointer a, gconstpointer b)
{
    const ListedSession *x = a;
    const ListedSession *y = b;
    int c = strcmp(x->name, y->name);

    return c != 0 ? c : session_id_compare(x->id, y->id);
}

gboolean
vl_users_logind_absent(const GError *error)
{
    return g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
           g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
           g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

/* Whether an error reading one session means it ended between the list and the read. */
static gboolean
session_gone(const GError *error)
{
    return g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
           g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
           g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE);
}

/*
 * Only sessions of people: logind also has sessions for display manager greeters, lock
 * screens, cron jobs ("background") and, since systemd 256, each user's service manager
 * ("manager"). Their classes begin with anything but "user" (user, user-early, user-light...).
 * A session that is closing belongs to someone who logged out and left processes behind.
 */
static gboolean
session_wanted(GVariant *props)
{
    const char *klass = NULL;
    const char *state = NULL;

    if (g_variant_lookup(props, "Class", "&s", &klass) && !g_str_has_prefix(klass, "user")) {
        return FALSE;
    }
    if (g_variant_lookup(props, "State", "&s", &state) && g_str_equal(state, "closing")) {
        return FALSE;
    }
    return TRUE;
}

static VlUser *
user_from_session(const ListedSession *listed, GVariant *props)
{
    g_autoptr(VlUser) user = user_new();
    const char *s = NULL;
    const char *seat_path = NULL;
    guint64 timestamp_us = 0;
    gboolean locked = FALSE;

    /* The properties first, what ListSessions said where they are not usable. */
    if (g_variant_lookup(props, "Name", "&s", &s)) {
        user->name = field_dup(s, G_MAXSIZE, NAME_MAX_LEN);
    }
    if (!user->name) {
        user->name = field_dup(listed->name, G_MAXSIZE, NAME_MAX_LEN);
    }
    if (!user->name) {
        return NULL; /* a name cut short would be someone else's */
    }
    if (g_variant_lookup(props, "Id", "&s", &s)) {
        user->session = field_dup(s, G_MAXSIZE, ID_MAX_LEN);
    }
    if (!user->session) {
        user->session = field_dup(listed->id, G_MAXSIZE, ID_MAX_LEN);
    }
    if (g_variant_lookup(props, "Seat", "(&s&o)", &s, &seat_path)) {
        user->seat = field_dup(s, G_MAXSIZE, ID_MAX_LEN);
    }
    if (g_variant_lookup(props, "TTY", "&s", &s)) {
        user->tty = field_dup(s, G_MAXSIZE, ID_MAX_LEN);
    }
    if (g_variant_lookup(props, "RemoteHost", "&s", &s)) {
        user->remote_host = field_dup(s, G_MAXSIZE, NAME_MAX_LEN);
    }
    if (g_variant_lookup(props, "Timestamp", "t", &timestamp_us) && timestamp_us > 0) {
        user->since = (gint64)(timestamp_us / G_USEC_PER_SEC);
    }
    if (g_variant_lookup(props, "LockedHint", "b", &locked)) {
        user->have_locked = TRUE;
        user->locked = locked;
    }
    return g_steal_pointer(&user);
}

/* Every session logind lists, sorted by user name and session id. */
static GArray *
list_sessions(GDBusConnection *bus, GError **error)
{
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariantIter) iter = NULL;
    g_autoptr(GArray) sessions = g_array_new(FALSE, TRUE, sizeof(ListedSession));
    const char *id;
    const char *name;
    const char *seat;
    const char *path;
    guint32 uid;

    g_array_set_clear_func(sessions, listed_session_clear);
    reply = g_dbus_connection_call_sync(bus, LOGIND_NAME, LOGIND_PATH, LOGIND_MANAGER,
                                        "ListSessions", NULL, G_VARIANT_TYPE("(a(susso))"),
                                        G_DBUS_CALL_FLAGS_NONE, LOGIND_TIMEOUT_MS, NULL, error);
    if (!reply) {
        return NULL;
    }
    g_variant_get(reply, "(a(susso))", &iter);
    while (g_variant_iter_loop(iter, "(&su&s&s&o)", &id, &uid, &name, &seat, &path)) {
        ListedSession s = {g_strdup(id), g_strdup(name), g_strdup(path)};

        g_array_append_val(sessions, s);
    }
    g_array_sort(sessions, listed_session_compare);
    return g_steal_pointer(&sessions);
}

GPtrArray *
vl_users_from_logind(GDBusConnection *bus, GError **error)
{
    g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func((GDestroyNotify)vl_user_free);
    g_autoptr(GArray) sessions = list_sessions(bus, error);

    if (!sessions) {
        return NULL;
    }
    for (guint i = 0; i < sessions->len && users->len < VL_USERS_MAX; i++) {
        const ListedSession *listed = &g_array_index(sessions, ListedSession, i);
        g_autoptr(GVariant) reply = NULL;
        g_autoptr(GVariant) props = NULL;
        g_autoptr(GError) local_error = NULL;
        VlUser *user;

        reply = g_dbus_connection_call_sync(
            bus, LOGIND_NAME, listed->path, "org.freedesktop.DBus.Properties", "GetAll",
            g_variant_new("(s)", LOGIND_SESSION), G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE,
            LOGIND_TIMEOUT_MS, NULL, &local_error);
        if (!reply) {
            if (session_gone(local_error)) {
                continue;
            }
            g_propagate_error(error, g_steal_pointer(&local_error));
            return NULL;
        }
        props = g_variant_get_child_value(reply, 0);
        if (!session_wanted(props)) {
            continue;
        }
        user = user_from_session(listed, props);
        if (user) {
            g_ptr_array_add(users, user);
        }
    }
    return g_steal_pointer(&users);
}

/* Writing ---------------------------------------------------------------------------------- */

static int
null_strcmp(const char *a, const char *b)
{
    if (!a || !b) {
        return (a != NULL) - (b != NULL);
    }
    return strcmp(a, b);
}

static gint
user_compare(gconstpointer a, gconstpointer b)
{
    const VlUser *x = *(VlUser *const *)a;
    const VlUser *y = *(VlUser *const *)b;
    int c;

    if ((c = strcmp(x->name, y->name)) != 0 ||
        (c = session_id_compare(x->session, y->session)) != 0 ||
        (c = null_strcmp(x->tty, y->tty)) != 0) {
        return c;
    }
    if (x->since != y->since) {
        return x->since < y->since ? -1 : 1;
    }
    if ((c = null_strcmp(x->remote_host, y->remote_host)) != 0) {
        return c;
    }
    return null_strcmp(x->seat, y->seat);
}

static void
write_optional_string(VlJsonBuilder *b, const char *member, const char *value)
{
    if (value) {
        vl_json_builder_member(b, member);
        vl_json_builder_add_string(b, value);
    }
}

void
vl_users_write(GPtrArray *users, VlJsonBuilder *b)
{
    g_ptr_array_sort(users, user_compare);
    vl_json_builder_begin_array(b);
    for (guint i = 0; i < MIN(users->len, (guint)VL_USERS_MAX); i++) {
        const VlUser *user = g_ptr_array_index(users, i);

        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "name");
        vl_json_builder_add_string(b, user->name);
        write_optional_string(b, "session", user->session);
        write_optional_string(b, "seat", user->seat);
        write_optional_string(b, "tty", user->tty);
        write_optional_string(b, "remote_host", user->remote_host);
        if (user->since >= 0) {
            vl_json_builder_member(b, "since");
            vl_json_builder_add_int(b, user->since);
        }
        if (user->have_locked) {
            vl_json_builder_member(b, "locked");
            vl_json_builder_add_bool(b, user->locked);
        }
        vl_json_builder_end_object(b);
    }
    vl_json_builder_end_array(b);
}

/* The collector ---------------------------------------------------------------------------- */

static gboolean
collect_users(const VlCollectContext *ctx, VlJsonBuilder *b, GError **error)
{
    g_autoptr(GPtrArray) users = NULL;

    if (ctx->system_bus) {
        g_autoptr(GError) local_error = NULL;

        users = vl_users_from_logind(ctx->system_bus, &local_error);
        if (!users && !vl_users_logind_absent(local_error)) {
            g_dbus_error_strip_remote_error(local_error);
            g_set_error(error, VL_COLLECTOR_ERROR, VL_COLLECTOR_ERROR_READ, "logind: %s",
                        local_error->message);
            return FALSE;
        }
        if (!users) {
            g_debug("users: logind is not on the system bus (%s); reading utmp",
                    local_error->message);
        }
    }
    if (!users && !vl_users_from_utmp(ctx, &users, error)) {
        return FALSE;
    }
    vl_users_write(users, b);
    return TRUE;
}

const VlCollector vl_collector_users = {
    .name = "users",
    .collect = collect_users,
};
