/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Actions the host can ask for, behind one interface per platform (linux/actions.c). On Linux
 * they go through systemd-logind on the system bus, with a fallback for shutdown when logind
 * is not there. Each is audited in the agent's log by the caller.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

G_BEGIN_DECLS

/* mode: "poweroff" or "reboot"; message: shown to logged-in users, may be NULL. */
gboolean vl_action_shutdown(GDBusConnection *bus, const char *mode, guint delay_s,
                            const char *message, GError **error);
/* session: a session id, or NULL for every session. */
gboolean vl_action_lock_screen(GDBusConnection *bus, const char *session, GError **error);
/* session: a session id, or NULL for the active user session. */
gboolean vl_action_log_off(GDBusConnection *bus, const char *session, GError **error);

G_END_DECLS
