/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Change sources: what tells the agent a report section may have changed, so it reports the
 * change as it happens instead of polling. One implementation per platform (linux/watch.c):
 * rtnetlink for links and addresses, inotify for the package database, host name and
 * os-release, the mount table's poll notification for file systems, logind's signals for
 * sessions. Nothing here wakes the agent unless something changed.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "vl-collector.h"

G_BEGIN_DECLS

typedef enum {
    VL_WATCH_SESSION_NEW,
    VL_WATCH_SESSION_REMOVED,
    VL_WATCH_SESSION_LOCKED,
    VL_WATCH_SESSION_UNLOCKED,
    VL_WATCH_SHUTTING_DOWN,
} VlWatchEvent;

typedef struct {
    /* A section may have changed; the agent collects it again and sends it if it did. */
    void (*section_changed)(const char *section, gpointer user_data);
    /* Something happened (session events carry the session id; user may be NULL). */
    void (*event)(VlWatchEvent event, const char *session, const char *user, gpointer user_data);
} VlWatchCallbacks;

typedef struct _VlWatch VlWatch;

/* Starts every change source it can; one that cannot start is logged and left out. */
VlWatch *vl_watch_new(const VlCollectContext *ctx, const VlWatchCallbacks *callbacks,
                      gpointer user_data);
void vl_watch_free(VlWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlWatch, vl_watch_free)

G_END_DECLS
