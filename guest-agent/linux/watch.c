/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Change sources on Linux. */
#include "vl-watch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "vl-netlink.h"

#define LOGIND "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"

/* A file in a watched folder, and the section its changes affect. */
typedef struct {
    const char *folder;
    const char *name;
    const char *section;
} WatchedFile;

static const WatchedFile watched_files[] = {
    {"/var/lib/dpkg", "status", "applications"},
    {"/var/lib/rpm", "rpmdb.sqlite", "applications"},
    {"/usr/lib/sysimage/rpm", "rpmdb.sqlite", "applications"},
    {"/etc", "hostname", "host"},
    {"/etc", "localtime", "host"},
    {"/etc", "os-release", "os"},
    {"/usr/lib", "os-release", "os"},
};

struct _VlWatch {
    VlWatchCallbacks cb;
    gpointer user_data;
    GDBusConnection *bus;
    int netlink_fd;
    int inotify_fd;
    int mounts_fd;
    guint netlink_id;
    guint inotify_id;
    guint mounts_id;
    GHashTable *inotify_folders; /* watch descriptor -> folder path (owned) */
    guint logind_ids[5];
};

/* rtnetlink --------------------------------------------------------------------------------- */

static gboolean
on_netlink(int fd, GIOCondition condition, gpointer user_data)
{
    VlWatch *w = user_data;
    char buf[8192];
    gboolean changed = FALSE;

    /* Drain every notification waiting; one report covers them all. */
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

        if (n > 0) {
            changed = TRUE;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        /* ENOBUFS: notifications were lost; the section is collected afresh anyway. */
        if (n < 0 && errno == ENOBUFS) {
            changed = TRUE;
            continue;
        }
        break;
    }
    if (changed) {
        w->cb.section_changed("network", w->user_data);
    }
    return G_SOURCE_CONTINUE;
}

/* inotify ----------------------------------------------------------------------------------- */

static gboolean
on_inotify(int fd, GIOCondition condition, gpointer user_data)
{
    VlWatch *w = user_data;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;

    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            const char *folder = g_hash_table_lookup(w->inotify_folders, GINT_TO_POINTER(e->wd));

            for (gsize i = 0; folder && e->len > 0 && i < G_N_ELEMENTS(watched_files); i++) {
                if (g_str_equal(watched_files[i].folder, folder) &&
                    g_str_equal(watched_files[i].name, e->name)) {
                    w->cb.section_changed(watched_files[i].section, w->user_data);
                }
            }
            p += sizeof(struct inotify_event) + e->len;
        }
    }
    return G_SOURCE_CONTINUE;
}

static void
start_inotify(VlWatch *w, const VlCollectContext *ctx)
{
    w->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->inotify_fd < 0) {
        g_warning("inotify unavailable (%s): packages, host name and OS changes are reported "
                  "only on refresh",
                  g_strerror(errno));
        return;
    }
    w->inotify_folders = g_hash_table_new_full(NULL, NULL, NULL, g_free);
    for (gsize i = 0; i < G_N_ELEMENTS(watched_files); i++) {
        g_autofree char *path = vl_collect_path(ctx, watched_files[i].folder);
        /* Tools replace these files by renaming a new one over them. */
        int wd = inotify_add_watch(
            w->inotify_fd, path, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ONLYDIR);

        if (wd >= 0) {
            g_hash_table_replace(w->inotify_folders, GINT_TO_POINTER(wd),
                                 g_strdup(watched_files[i].folder));
        }
    }
    w->inotify_id = g_unix_fd_add(w->inotify_fd, G_IO_IN, on_inotify, w);
}

/* mounts ------------------------------------------------------------------------------------ */

/* The kernel marks /proc/1/mountinfo (the mounts the filesystems section reports) with
 * POLLPRI|POLLERR when the mount table changes. */
static gboolean
on_mounts(int fd, GIOCondition condition, gpointer user_data)
{
    VlWatch *w = user_data;
    char buf[4096];

    lseek(fd, 0, SEEK_SET);
    while (read(fd, buf, sizeof buf) > 0) {
    }
    w->cb.section_changed("filesystems", w->user_data);
    return G_SOURCE_CONTINUE;
}

/* logind ------------------------------------------------------------------------------------ */

/* The user name of a session, asked of logind (NULL when it is already gone). */
static char *
session_user(VlWatch *w, const char *path)
{
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        w->bus, LOGIND, path, "org.freedesktop.DBus.Properties", "Get",
        g_variant_new("(ss)", "org.freedesktop.login1.Session", "Name"), G_VARIANT_TYPE("(v)"),
        G_DBUS_CALL_FLAGS_NONE, 1000, NULL, NULL);
    g_autoptr(GVariant) value = NULL;

    if (reply == NULL) {
        return NULL;
    }
    g_variant_get(reply, "(v)", &value);
    return g_variant_is_of_type(value, G_VARIANT_TYPE_STRING) ? g_variant_dup_string(value, NULL)
                                                              : NULL;
}

static void
session_signal(VlWatch *w, VlWatchEvent event, GVariant *parameters)
{
    const char *id = NULL;
    const char *path = NULL;
    g_autofree char *user = NULL;

    if (g_variant_is_of_type(parameters, G_VARIANT_TYPE("(so)"))) {
        g_variant_get(parameters, "(&s&o)", &id, &path);
    }
    if (event == VL_WATCH_SESSION_NEW && path) {
        user = session_user(w, path);
    }
    w->cb.event(event, id, user, w->user_data);
    w->cb.section_changed("users", w->user_data);
}

static void
on_session_new(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
               const char *signal, GVariant *parameters, gpointer user_data)
{
    session_signal(user_data, VL_WATCH_SESSION_NEW, parameters);
}

static void
on_session_removed(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
                   const char *signal, GVariant *parameters, gpointer user_data)
{
    session_signal(user_data, VL_WATCH_SESSION_REMOVED, parameters);
}

/* LockedHint changes on a session object: the screen was locked or unlocked. */
static void
on_session_properties(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
                      const char *signal, GVariant *parameters, gpointer user_data)
{
    VlWatch *w = user_data;
    g_autoptr(GVariant) changed = NULL;
    const char *interface = NULL;
    gboolean locked;

    if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sa{sv}as)"))) {
        return;
    }
    g_variant_get(parameters, "(&s@a{sv}@as)", &interface, &changed, NULL);
    if (!g_str_equal(interface, "org.freedesktop.login1.Session") ||
        !g_variant_lookup(changed, "LockedHint", "b", &locked)) {
        return;
    }
    w->cb.event(locked ? VL_WATCH_SESSION_LOCKED : VL_WATCH_SESSION_UNLOCKED,
                strrchr(path, '/') + 1, NULL, w->user_data);
    w->cb.section_changed("users", w->user_data);
}

static void
on_prepare_for_shutdown(GDBusConnection *bus, const char *sender, const char *path,
                        const char *iface, const char *signal, GVariant *parameters,
                        gpointer user_data)
{
    VlWatch *w = user_data;
    gboolean starting = FALSE;

    if (g_variant_is_of_type(parameters, G_VARIANT_TYPE("(b)"))) {
        g_variant_get(parameters, "(b)", &starting);
    }
    if (starting) {
        w->cb.event(VL_WATCH_SHUTTING_DOWN, NULL, NULL, w->user_data);
    }
}

static void
start_logind(VlWatch *w)
{
    w->logind_ids[0] = g_dbus_connection_signal_subscribe(
        w->bus, LOGIND, "org.freedesktop.login1.Manager", "SessionNew", LOGIND_PATH, NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, on_session_new, w, NULL);
    w->logind_ids[1] = g_dbus_connection_signal_subscribe(
        w->bus, LOGIND, "org.freedesktop.login1.Manager", "SessionRemoved", LOGIND_PATH, NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, on_session_removed, w, NULL);
    w->logind_ids[2] = g_dbus_connection_signal_subscribe(
        w->bus, LOGIND, "org.freedesktop.DBus.Properties", "PropertiesChanged", NULL, NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, on_session_properties, w, NULL);
    w->logind_ids[3] = g_dbus_connection_signal_subscribe(
        w->bus, LOGIND, "org.freedesktop.login1.Manager", "PrepareForShutdown", LOGIND_PATH, NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, on_prepare_for_shutdown, w, NULL);
}

/* Common ------------------------------------------------------------------------------------ */

VlWatch *
vl_watch_new(const VlCollectContext *ctx, const VlWatchCallbacks *callbacks, gpointer user_data)
{
    VlWatch *w = g_new0(VlWatch, 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *mountinfo = vl_collect_path(ctx, "/proc/1/mountinfo");

    w->cb = *callbacks;
    w->user_data = user_data;
    w->netlink_fd = vl_netlink_open(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, &error);
    if (w->netlink_fd >= 0) {
        g_unix_set_fd_nonblocking(w->netlink_fd, TRUE, NULL);
        w->netlink_id = g_unix_fd_add(w->netlink_fd, G_IO_IN, on_netlink, w);
    } else {
        g_warning("network changes are reported only on refresh: %s", error->message);
    }

    start_inotify(w, ctx);

    w->mounts_fd = open(mountinfo, O_RDONLY | O_CLOEXEC);
    if (w->mounts_fd >= 0) {
        w->mounts_id = g_unix_fd_add(w->mounts_fd, G_IO_PRI | G_IO_ERR, on_mounts, w);
    }

    if (ctx->system_bus) {
        w->bus = g_object_ref(ctx->system_bus);
        start_logind(w);
    }
    return w;
}

void
vl_watch_free(VlWatch *w)
{
    if (w == NULL) {
        return;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(w->logind_ids); i++) {
        if (w->logind_ids[i]) {
            g_dbus_connection_signal_unsubscribe(w->bus, w->logind_ids[i]);
        }
    }
    g_clear_object(&w->bus);
    if (w->netlink_id) {
        g_source_remove(w->netlink_id);
    }
    if (w->inotify_id) {
        g_source_remove(w->inotify_id);
    }
    if (w->mounts_id) {
        g_source_remove(w->mounts_id);
    }
    if (w->netlink_fd >= 0) {
        close(w->netlink_fd);
    }
    if (w->inotify_fd > 0) {
        close(w->inotify_fd);
    }
    if (w->mounts_fd > 0) {
        close(w->mounts_fd);
    }
    g_clear_pointer(&w->inotify_folders, g_hash_table_unref);
    g_free(w);
}
