/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd-logind for tests: python3-dbusmock's logind template on a private bus of its own
 * (dbus-daemon with the session configuration), as ../shared/notes/machine.md describes. The
 * bus and the mock die with the test process, and vl_logind_mock_stop() ends them.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct _VlLogindMock VlLogindMock;

/* Starts the bus and, with with_logind, the mock, waiting until org.freedesktop.login1
 * answers. Without it: a system bus on which logind is absent. */
VlLogindMock *vl_logind_mock_start(gboolean with_logind, GError **error);
void vl_logind_mock_stop(VlLogindMock *mock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlLogindMock, vl_logind_mock_stop)

/* The bus address, for DBUS_SYSTEM_BUS_ADDRESS of a process under test. */
const char *vl_logind_mock_address(VlLogindMock *mock);
/* A connection of the test's own to the private bus. */
GDBusConnection *vl_logind_mock_bus(VlLogindMock *mock);

/* Calls a method on the mock; the reply, or NULL with an error. */
GVariant *vl_logind_mock_call(VlLogindMock *mock, const char *path, const char *iface,
                              const char *method, GVariant *args, GError **error);

/* Adds a session (the mock's AddSession); its object path, or NULL. With announce, the
 * Manager's SessionNew signal follows, as logind sends it. */
char *vl_logind_mock_add_session(VlLogindMock *mock, const char *id, guint32 uid, const char *user,
                                 gboolean active, gboolean announce, GError **error);
/* Removes a session and sends SessionRemoved. */
gboolean vl_logind_mock_remove_session(VlLogindMock *mock, const char *id, const char *path,
                                       GError **error);
/* Sets a session's LockedHint, which sends PropertiesChanged as logind does. */
gboolean vl_logind_mock_set_locked(VlLogindMock *mock, const char *path, gboolean locked,
                                   GError **error);

G_END_DECLS
