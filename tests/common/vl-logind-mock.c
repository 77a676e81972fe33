/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-logind-mock.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOGIND "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define MANAGER_IFACE "org.freedesktop.login1.Manager"
#define SESSION_IFACE "org.freedesktop.login1.Session"
#define MOCK_IFACE "org.freedesktop.DBus.Mock"
#define CALL_TIMEOUT_MS 10000
#define APPEAR_TIMEOUT_S 30

struct _VlLogindMock {
    GPid bus_pid;
    GPid mock_pid;
    char *address;
    GDBusConnection *bus;
};

static void
die_with_parent(gpointer user_data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static void
stop_process(GPid *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        waitpid(*pid, NULL, 0);
        g_spawn_close_pid(*pid);
        *pid = 0;
    }
}

void
vl_logind_mock_stop(VlLogindMock *m)
{
    if (m == NULL) {
        return;
    }
    g_clear_object(&m->bus);
    stop_process(&m->mock_pid);
    stop_process(&m->bus_pid);
    g_free(m->address);
    g_free(m);
}

static gboolean
start_bus(VlLogindMock *m, GError **error)
{
    char *argv[] = {"dbus-daemon", "--config-file=/usr/share/dbus-1/session.conf", "--nofork",
                    "--print-address=1", NULL};
    g_autoptr(GString) line = g_string_new(NULL);
    int out = -1;
    char c;

    if (!g_spawn_async_with_pipes(NULL, argv, NULL,
                                  G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                      G_SPAWN_STDERR_TO_DEV_NULL,
                                  die_with_parent, NULL, &m->bus_pid, NULL, &out, NULL, error)) {
        g_prefix_error(error, "dbus-daemon: ");
        return FALSE;
    }
    while (read(out, &c, 1) == 1 && c != '\n') {
        g_string_append_c(line, c);
    }
    close(out);
    if (line->len == 0) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "dbus-daemon printed no address");
        return FALSE;
    }
    m->address = g_string_free(g_steal_pointer(&line), FALSE);
    return TRUE;
}

typedef struct {
    GMainLoop *loop;
    gboolean expired;
} Wait;

static void
name_appeared(GDBusConnection *connection, const char *name, const char *owner, gpointer data)
{
    g_main_loop_quit(((Wait *)data)->loop);
}

static gboolean
wait_expired(gpointer data)
{
    Wait *wait = data;

    wait->expired = TRUE;
    g_main_loop_quit(wait->loop);
    return G_SOURCE_REMOVE;
}

VlLogindMock *
vl_logind_mock_start(gboolean with_logind, GError **error)
{
    g_autoptr(VlLogindMock) m = g_new0(VlLogindMock, 1);
    char *argv[] = {"/usr/bin/python3", "-m", "dbusmock", "--system", "--template", "logind", NULL};
    g_auto(GStrv) env = NULL;
    g_autoptr(GMainContext) context = g_main_context_new();
    Wait wait = {NULL, FALSE};
    GSource *timer;
    guint watch;

    if (!start_bus(m, error)) {
        return NULL;
    }
    env = g_environ_setenv(g_get_environ(), "DBUS_SYSTEM_BUS_ADDRESS", m->address, TRUE);
    if (with_logind &&
        !g_spawn_async(NULL, argv, env, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                       die_with_parent, NULL, &m->mock_pid, error)) {
        g_prefix_error(error, "python3-dbusmock (apt-get install python3-dbusmock): ");
        return NULL;
    }
    m->bus =
        g_dbus_connection_new_for_address_sync(m->address,
                                               G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                               NULL, NULL, error);
    if (m->bus == NULL) {
        return NULL;
    }
    if (!with_logind) {
        return g_steal_pointer(&m);
    }

    /* Wait on a context of our own, so the caller's main loop sees nothing of it. */
    g_main_context_push_thread_default(context);
    wait.loop = g_main_loop_new(context, FALSE);
    watch = g_bus_watch_name_on_connection(m->bus, LOGIND, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                           name_appeared, NULL, &wait, NULL);
    timer = g_timeout_source_new_seconds(APPEAR_TIMEOUT_S);
    g_source_set_callback(timer, wait_expired, &wait, NULL);
    g_source_attach(timer, context);
    g_main_loop_run(wait.loop);
    g_bus_unwatch_name(watch);
    g_source_destroy(timer);
    g_source_unref(timer);
    g_main_loop_unref(wait.loop);
    g_main_context_pop_thread_default(context);
    if (wait.expired) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                    "the logind mock did not appear on the bus within %d s", APPEAR_TIMEOUT_S);
        return NULL;
    }
    return g_steal_pointer(&m);
}

const char *
vl_logind_mock_address(VlLogindMock *m)
{
    return m->address;
}

GDBusConnection *
vl_logind_mock_bus(VlLogindMock *m)
{
    return m->bus;
}

GVariant *
vl_logind_mock_call(VlLogindMock *m, const char *path, const char *iface, const char *method,
                    GVariant *args, GError **error)
{
    return g_dbus_connection_call_sync(m->bus, LOGIND, path, iface, method, args, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, error);
}

static gboolean
emit(VlLogindMock *m, const char *signal, const char *id, const char *path, GError **error)
{
    GVariantBuilder args;
    g_autoptr(GVariant) reply = NULL;

    /* The mock's EmitSignal takes its arguments as an array of variants. */
    g_variant_builder_init(&args, G_VARIANT_TYPE("av"));
    g_variant_builder_add(&args, "v", g_variant_new_string(id));
    g_variant_builder_add(&args, "v", g_variant_new_object_path(path));
    reply =
        vl_logind_mock_call(m, LOGIND_PATH, MOCK_IFACE, "EmitSignal",
                            g_variant_new("(sssav)", MANAGER_IFACE, signal, "so", &args), error);
    return reply != NULL;
}

char *
vl_logind_mock_add_session(VlLogindMock *m, const char *id, guint32 uid, const char *user,
                           gboolean active, gboolean announce, GError **error)
{
    g_autoptr(GVariant) reply =
        vl_logind_mock_call(m, LOGIND_PATH, MOCK_IFACE, "AddSession",
                            g_variant_new("(ssusb)", id, "seat0", uid, user, active), error);
    g_autofree char *path = NULL;

    if (reply == NULL) {
        return NULL;
    }
    g_variant_get(reply, "(s)", &path);
    if (announce && !emit(m, "SessionNew", id, path, error)) {
        return NULL;
    }
    return g_steal_pointer(&path);
}

gboolean
vl_logind_mock_remove_session(VlLogindMock *m, const char *id, const char *path, GError **error)
{
    g_autoptr(GVariant) reply = vl_logind_mock_call(m, LOGIND_PATH, MOCK_IFACE, "RemoveObject",
                                                    g_variant_new("(s)", path), error);

    return reply != NULL && emit(m, "SessionRemoved", id, path, error);
}

gboolean
vl_logind_mock_set_locked(VlLogindMock *m, const char *path, gboolean locked, GError **error)
{
    g_autoptr(GVariant) reply = vl_logind_mock_call(m, path, SESSION_IFACE, "SetLockedHint",
                                                    g_variant_new("(b)", locked), error);

    return reply != NULL;
}
