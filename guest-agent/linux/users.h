/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The users section's sources, apart from the collector so that tests and the fuzzer can feed
 * them: logind's sessions over D-Bus, and utmp records as bytes.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "vl-collector.h"
#include "vl-json.h"

G_BEGIN_DECLS

#define VL_USERS_MAX 4096 /* the catalogue's bound */

/* One session. Strings are valid UTF-8 within the catalogue's bounds, or NULL where unknown. */
typedef struct {
    char *name; /* never NULL */
    char *session;
    char *seat;
    char *tty;
    char *remote_host;
    gint64 since;     /* seconds since the Unix epoch; -1: unknown */
    guint since_usec; /* and microseconds, where the source has them (utmp) */
    gboolean have_locked;
    gboolean locked;
} VlUser;

void vl_user_free(VlUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlUser, vl_user_free)

/*
 * The USER_PROCESS records of a utmp file's bytes (struct utmpx of this platform, one after
 * the other), as a new array of VlUser. A trailing partial record is ignored; records whose
 * user name is empty or not UTF-8 are skipped, and other fields that are not UTF-8 left out.
 * At most VL_USERS_MAX users.
 */
GPtrArray *vl_users_parse_utmp(const void *data, gsize len);
/* The users of ctx's utmp file (none when there is no such file), as vl_users_parse_utmp
 * reads them. */
gboolean vl_users_from_utmp(const VlCollectContext *ctx, GPtrArray **ret_users, GError **error);

/*
 * The sessions of logged-in users from systemd-logind on bus, as a new array of VlUser (greeter,
 * lock-screen, background and manager sessions and sessions that are closing left out). Each
 * call waits at most 2 s. On failure NULL with the D-Bus error; vl_users_logind_absent() tells
 * whether that error means logind is not there at all.
 */
GPtrArray *vl_users_from_logind(GDBusConnection *bus, GError **error);
gboolean vl_users_logind_absent(const GError *error);

/*
 * Writes the users section's array: sorted by name, then session, then tty, then start; at
 * most VL_USERS_MAX. Sorts users in place.
 */
void vl_users_write(GPtrArray *users, VlJsonBuilder *b);

G_END_DECLS
