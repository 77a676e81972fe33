/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Actions on Linux, through systemd-logind (org.freedesktop.login1). */
#include "vl-actions.h"

#define LOGIND "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"
#define CALL_TIMEOUT_MS 5000

static GVariant *
manager_call(GDBusConnection *bus, const char *method, GVariant *args, const GVariantType *reply,
             GError **error)
{
    if (bus == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                    "no system bus: systemd-logind cannot be asked to %s", method);
        if (args) {
            g_variant_unref(g_variant_ref_sink(args));
        }
        return NULL;
    }
    return g_dbus_connection_call_sync(bus, LOGIND, LOGIND_PATH, LOGIND_MANAGER, method, args,
                                       reply, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, error);
}

/* Without logind (a minimal guest), shutdown(8) does it; it takes minutes, so round up. */
static gboolean
shutdown_fallback(const char *mode, guint delay_s, const char *message, GError **error)
{
    g_autofree char *when = delay_s ? g_strdup_printf("+%u", (delay_s + 59) / 60) : g_strdup("now");
    const char *argv[] = {"shutdown", g_str_equal(mode, "reboot") ? "-r" : "-P", when, message,
                          NULL};
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                      &status, error)) {
        return FALSE;
    }
    return g_spawn_check_wait_status(status, error);
}

gboolean
vl_action_shutdown(GDBusConnection *bus, const char *mode, guint delay_s, const char *message,
                   GError **error)
{
    g_autoptr(GError) logind_error = NULL;
    g_autoptr(GVariant) reply = NULL;

    if (message && *message) {
        /* The wall message logind shows with a scheduled shutdown; failure is not fatal. */
        GVariant *ignored =
            manager_call(bus, "SetWallMessage", g_variant_new("(sb)", message, TRUE), NULL, NULL);

        g_clear_pointer(&ignored, g_variant_unref);
    }
    if (delay_s > 0) {
        guint64 when = (guint64)g_get_real_time() + (guint64)delay_s * G_USEC_PER_SEC;
        reply = manager_call(bus, "ScheduleShutdown", g_variant_new("(st)", mode, when), NULL,
                             &logind_error);
    } else {
        reply = manager_call(bus, g_str_equal(mode, "reboot") ? "Reboot" : "PowerOff",
                             g_variant_new("(b)", FALSE), NULL, &logind_error);
    }
    if (reply) {
        return TRUE;
    }
    g_message("logind could not %s (%s); using shutdown(8)", mode, logind_error->message);
    return shutdown_fallback(mode, delay_s, message, error);
}

gboolean
vl_action_lock_screen(GDBusConnection *bus, const char *session, GError **error)
{
    g_autoptr(GVariant) reply =
        session ? manager_call(bus, "LockSession", g_variant_new("(s)", session), NULL, error)
                : manager_call(bus, "LockSessions", NULL, NULL, error);

    return reply != NULL;
}

/* The id of the active session of a user (class "user"), or NULL with an error. */
static char *
active_user_session(GDBusConnection *bus, GError **error)
{
    g_autoptr(GVariant) sessions =
        manager_call(bus, "ListSessions", NULL, G_VARIANT_TYPE("(a(susso))"), error);
    g_autoptr(GVariantIter) iter = NULL;
    const char *id, *user, *seat, *path;
    guint32 uid;

    if (sessions == NULL) {
        return NULL;
    }
    g_variant_get(sessions, "(a(susso))", &iter);
    while (g_variant_iter_next(iter, "(&su&s&s&o)", &id, &uid, &user, &seat, &path)) {
        g_autoptr(GVariant) active = g_dbus_connection_call_sync(
            bus, LOGIND, path, "org.freedesktop.DBus.Properties", "Get",
            g_variant_new("(ss)", "org.freedesktop.login1.Session", "Active"),
            G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, NULL);
        g_autoptr(GVariant) value = NULL;

        if (active == NULL) {
            continue;
        }
        g_variant_get(active, "(v)", &value);
        if (uid != 0 && g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN) &&
            g_variant_get_boolean(value)) {
            return g_strdup(id);
        }
    }
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no active user session");
    return NULL;
}

gboolean
vl_action_log_off(GDBusConnection *bus, const char *session, GError **error)
{
    g_autofree char *id = session ? g_strdup(session) : active_user_session(bus, error);
    g_autoptr(GVariant) reply = NULL;

    if (id == NULL) {
        return FALSE;
    }
    reply = manager_call(bus, "TerminateSession", g_variant_new("(s)", id), NULL, error);
    return reply != NULL;
}
