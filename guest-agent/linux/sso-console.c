/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vl-sso-console.h on Linux: terminals in sysfs, logind's sessions, systemd's transient units. */
#include "vl-sso-console.h"

#include <string.h>
#include <sys/stat.h>

#include "users.h"
#include "vl-sso-policy.h"

#define SYSTEMD_NAME "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define LOGIND_NAME "org.freedesktop.login1"
#define CALL_TIMEOUT_MS 10000
#define POLL_MS 200

/* Virtual terminals (tty1..tty63) take the getty of getty@.service; anything else, of
 * serial-getty@.service. */
static gboolean
is_vt(const char *console)
{
    return g_str_has_prefix(console, "tty") && console[3] >= '1' && console[3] <= '9' &&
           strspn(console + 3, "0123456789") == strlen(console + 3);
}

gboolean
vl_sso_console_exists(const char *root, const char *console)
{
    g_autofree char *dev = NULL;
    g_autofree char *sys = NULL;
    g_autofree char *type_path = NULL;
    g_autofree char *type = NULL;
    struct stat st;

    if (!vl_sso_console_name_valid(console) || g_str_equal(console, VL_SSO_CONSOLE_GRAPHICAL)) {
        return FALSE;
    }
    dev = g_build_filename(root, "dev", console, NULL);
    sys = g_build_filename(root, "sys", "class", "tty", console, NULL);
    if (stat(dev, &st) != 0 || !S_ISCHR(st.st_mode) || !g_file_test(sys, G_FILE_TEST_IS_DIR)) {
        return FALSE;
    }
    /* The 8250 driver makes ttyS0..ttyS3 whether or not a UART answers; "type" 0 is none. */
    type_path = g_build_filename(sys, "type", NULL);
    if (g_str_has_prefix(console, "ttyS") && g_file_get_contents(type_path, &type, NULL, NULL) &&
        g_str_equal(g_strstrip(type), "0")) {
        return FALSE;
    }
    return TRUE;
}

gboolean
vl_sso_console_in_use(GDBusConnection *bus, const char *console, gboolean *ret_in_use,
                      GError **error)
{
    g_autoptr(GPtrArray) users = NULL;

    if (bus == NULL) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                            "no system bus: systemd-logind cannot tell who is logged in");
        return FALSE;
    }
    users = vl_users_from_logind(bus, error);
    if (users == NULL) {
        return FALSE;
    }
    *ret_in_use = FALSE;
    for (guint i = 0; i < users->len; i++) {
        const VlUser *u = g_ptr_array_index(users, i);

        if (g_strcmp0(u->tty, console) == 0) {
            *ret_in_use = TRUE;
        }
    }
    return TRUE;
}

gboolean
vl_sso_console_graphical(GDBusConnection *bus)
{
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) value = NULL;

    if (bus == NULL) {
        return FALSE;
    }
    reply = g_dbus_connection_call_sync(
        bus, LOGIND_NAME, "/org/freedesktop/login1/seat/seat0", "org.freedesktop.DBus.Properties",
        "Get", g_variant_new("(ss)", "org.freedesktop.login1.Seat", "CanGraphical"),
        G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, NULL);
    if (reply == NULL) {
        return FALSE;
    }
    g_variant_get(reply, "(v)", &value);
    return g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN) && g_variant_get_boolean(value);
}

char *
vl_sso_console_unit_name(const char *console)
{
    return g_strdup_printf("vmlink-sso-%s.service", console);
}

/* The first of the paths that is an executable. */
static const char *
find_program(const char *const *candidates)
{
    for (const char *const *p = candidates; *p; p++) {
        if (g_file_test(*p, G_FILE_TEST_IS_EXECUTABLE)) {
            return *p;
        }
    }
    return NULL;
}

/* A unit's ActiveState, or NULL when systemd has no such unit loaded. */
static char *
unit_state(GDBusConnection *bus, const char *unit)
{
    g_autoptr(GVariant) path_reply = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) value = NULL;
    const char *path = NULL;

    path_reply = g_dbus_connection_call_sync(
        bus, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnit", g_variant_new("(s)", unit),
        G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, NULL);
    if (path_reply == NULL) {
        return NULL;
    }
    g_variant_get(path_reply, "(&o)", &path);
    reply = g_dbus_connection_call_sync(
        bus, SYSTEMD_NAME, path, "org.freedesktop.DBus.Properties", "Get",
        g_variant_new("(ss)", "org.freedesktop.systemd1.Unit", "ActiveState"),
        G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, NULL);
    if (reply == NULL) {
        return NULL;
    }
    g_variant_get(reply, "(v)", &value);
    return g_variant_is_of_type(value, G_VARIANT_TYPE_STRING) ? g_variant_dup_string(value, NULL)
                                                              : NULL;
}

static void
add_command(GVariantBuilder *props, const char *property, const char *const *argv)
{
    GVariantBuilder commands;

    g_variant_builder_init(&commands, G_VARIANT_TYPE("a(sasb)"));
    g_variant_builder_add(&commands, "(s^asb)", argv[0], argv, FALSE);
    g_variant_builder_add(props, "(sv)", property, g_variant_builder_end(&commands));
}

/*
 * The transient unit's properties: those of systemd's own getty units, with agetty logging
 * USER in. Conflicts= stops the console's getty when the unit starts; ExecStopPost= starts it
 * again when the user has logged out, if it ran before.
 */
static GVariant *
transient_unit(const char *console, const char *user_name, const char *agetty,
               const char *systemctl, const char *getty, gboolean getty_ran)
{
    /* systemd expands $NAME in ExecStart= arguments ("machine$" is a valid name); $$ is $. */
    g_auto(GStrv) parts = g_strsplit(user_name, "$", -1);
    g_autofree char *user = g_strjoinv("$$", parts);
    g_autofree char *description =
        g_strdup_printf("vmlink single sign-on of %s on %s", user_name, console);
    g_autofree char *tty = g_strdup_printf("/dev/%s", console);
    const char *const getties[] = {getty, NULL};
    const gboolean vt = is_vt(console);
    const char *const vt_argv[] = {agetty, "--autologin", user, "--noclear", "-", "linux", NULL};
    const char *const serial_argv[] = {
        agetty, "--autologin", user, "--keep-baud", "115200,57600,38400,9600", "-", "vt220", NULL};
    const char *const restore_argv[] = {systemctl, "--no-block", "start", getty, NULL};
    GVariantBuilder props;

    g_variant_builder_init(&props, G_VARIANT_TYPE("a(sv)"));
    g_variant_builder_add(&props, "(sv)", "Description", g_variant_new_string(description));
    add_command(&props, "ExecStart", vt ? vt_argv : serial_argv);
    if (getty_ran && systemctl) {
        add_command(&props, "ExecStopPost", restore_argv);
    }
    g_variant_builder_add(&props, "(sv)", "Conflicts", g_variant_new_strv(getties, -1));
    g_variant_builder_add(&props, "(sv)", "After", g_variant_new_strv(getties, -1));
    g_variant_builder_add(&props, "(sv)", "CollectMode",
                          g_variant_new_string("inactive-or-failed"));
    g_variant_builder_add(&props, "(sv)", "UtmpIdentifier", g_variant_new_string(console));
    g_variant_builder_add(&props, "(sv)", "StandardInput", g_variant_new_string("tty"));
    g_variant_builder_add(&props, "(sv)", "StandardOutput", g_variant_new_string("tty"));
    g_variant_builder_add(&props, "(sv)", "TTYPath", g_variant_new_string(tty));
    g_variant_builder_add(&props, "(sv)", "TTYReset", g_variant_new_boolean(TRUE));
    g_variant_builder_add(&props, "(sv)", "TTYVHangup", g_variant_new_boolean(TRUE));
    if (vt) {
        g_variant_builder_add(&props, "(sv)", "TTYVTDisallocate", g_variant_new_boolean(TRUE));
    }
    g_variant_builder_add(&props, "(sv)", "IgnoreSIGPIPE", g_variant_new_boolean(FALSE));
    g_variant_builder_add(&props, "(sv)", "SendSIGHUP", g_variant_new_boolean(TRUE));
    return g_variant_builder_end(&props);
}

typedef struct {
    GDBusConnection *bus;
    char *console;
    char *user;
    char *unit;
    gint64 deadline_us;
    guint poll_id;
    gboolean started; /* the unit was seen active: from then on, inactive means it ended */
} Login;

static void
login_free(gpointer data)
{
    Login *l = data;

    if (l->poll_id) {
        g_source_remove(l->poll_id);
    }
    g_clear_object(&l->bus);
    g_free(l->console);
    g_free(l->user);
    g_free(l->unit);
    g_free(l);
}

/* Stops the login unit; its ExecStopPost= brings the getty back. */
static void
stop_unit(Login *l)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply =
        g_dbus_connection_call_sync(l->bus, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit",
                                    g_variant_new("(ss)", l->unit, "replace"), NULL,
                                    G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);

    if (reply == NULL) {
        g_warning("single sign-on: %s could not be stopped: %s", l->unit, error->message);
    }
}

/* The session logind lists for the user on the console, or NULL. */
static char *
find_session(Login *l, GError **error)
{
    g_autoptr(GPtrArray) users = vl_users_from_logind(l->bus, error);

    for (guint i = 0; users && i < users->len; i++) {
        const VlUser *u = g_ptr_array_index(users, i);

        if (g_strcmp0(u->tty, l->console) == 0 && g_str_equal(u->name, l->user) && u->session) {
            return g_strdup(u->session);
        }
    }
    return NULL;
}

static gboolean
on_poll(gpointer user_data)
{
    GTask *task = user_data;
    Login *l = g_task_get_task_data(task);
    g_autoptr(GError) error = NULL;
    g_autofree char *session = find_session(l, &error);
    g_autofree char *state = NULL;

    if (session) {
        l->poll_id = 0;
        g_task_return_pointer(task, g_steal_pointer(&session), g_free);
        g_object_unref(task);
        return G_SOURCE_REMOVE;
    }
    /* Until its start job has run (it waits for the getty to stop) the unit is inactive. */
    state = unit_state(l->bus, l->unit);
    l->started = l->started || g_strcmp0(state, "active") == 0;
    if (g_strcmp0(state, "failed") == 0 ||
        (l->started && (state == NULL || g_str_equal(state, "inactive")))) {
        l->poll_id = 0;
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                "the login on %s ended before a session started (journalctl -u "
                                "%s tells why)",
                                l->console, l->unit);
        g_object_unref(task);
        return G_SOURCE_REMOVE;
    }
    if (g_get_monotonic_time() >= l->deadline_us) {
        l->poll_id = 0;
        stop_unit(l);
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                "no session of %s appeared on %s in time%s%s", l->user, l->console,
                                error ? ": " : "", error ? error->message : "");
        g_object_unref(task);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

void
vl_sso_console_login_async(GDBusConnection *bus, const char *console, const char *user,
                           guint timeout_s, GAsyncReadyCallback callback, gpointer user_data)
{
    static const char *const agetty_paths[] = {"/sbin/agetty", "/usr/sbin/agetty", NULL};
    static const char *const systemctl_paths[] = {"/bin/systemctl", "/usr/bin/systemctl", NULL};
    GTask *task = g_task_new(NULL, NULL, callback, user_data);
    const char *agetty = find_program(agetty_paths);
    g_autofree char *getty = NULL;
    g_autofree char *getty_state = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GError) error = NULL;
    gboolean in_use = FALSE;
    Login *l;

    g_task_set_source_tag(task, vl_sso_console_login_async);
    if (bus == NULL || agetty == NULL) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                bus ? "agetty is not installed (/sbin/agetty, util-linux)"
                                    : "no system bus: systemd cannot start a login on %s",
                                console);
        g_object_unref(task);
        return;
    }
    l = g_new0(Login, 1);
    l->bus = g_object_ref(bus);
    l->console = g_strdup(console);
    l->user = g_strdup(user);
    l->unit = vl_sso_console_unit_name(console);
    l->deadline_us = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
    g_task_set_task_data(task, l, login_free);

    /* Someone may have logged in at the getty while PAM took its time: the unit would stop
     * that getty, and their session with it. */
    if (!vl_sso_console_in_use(bus, console, &in_use, &error) || in_use) {
        if (error) {
            g_task_return_error(task, g_steal_pointer(&error));
        } else {
            g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                                    "someone logged in on %s meanwhile", console);
        }
        g_object_unref(task);
        return;
    }
    getty =
        g_strdup_printf(is_vt(console) ? "getty@%s.service" : "serial-getty@%s.service", console);
    getty_state = unit_state(bus, getty);
    reply = g_dbus_connection_call_sync(
        bus, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "StartTransientUnit",
        g_variant_new("(ss@a(sv)a(sa(sv)))", l->unit, "replace",
                      transient_unit(console, user, agetty, find_program(systemctl_paths), getty,
                                     g_strcmp0(getty_state, "active") == 0 ||
                                         g_strcmp0(getty_state, "activating") == 0),
                      NULL),
        G_VARIANT_TYPE("(o)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
    if (reply == NULL) {
        g_autofree char *remote = g_dbus_error_get_remote_error(error);

        if (g_strcmp0(remote, "org.freedesktop.systemd1.UnitExists") == 0) {
            g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                                    "a single sign-on login runs on %s already (%s)", console,
                                    l->unit);
        } else {
            g_dbus_error_strip_remote_error(error);
            g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                    "systemd could not start %s: %s", l->unit, error->message);
        }
        g_object_unref(task);
        return;
    }
    g_message("single sign-on: %s started for %s on %s", l->unit, user, console);
    l->poll_id = g_timeout_add(POLL_MS, on_poll, task);
}

char *
vl_sso_console_login_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}
