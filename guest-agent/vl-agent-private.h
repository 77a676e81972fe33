/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's session, shared by vl-agent.c (the channel, handshake, reports, events and
 * heartbeats) and vl-agent-commands.c (the host's commands).
 */
#pragma once

#include <gio/gio.h>

#include "vl-agent-config.h"
#include "vl-channel.h"
#include "vl-collector.h"
#include "vl-protocol.h"
#include "vl-qga-server.h"
#include "vl-sso-login.h"
#include "vl-watch.h"

G_BEGIN_DECLS

typedef struct {
    const VlAgentConfig *config;
    VlCollectContext ctx;
    GMainLoop *loop;
    VlChannel *channel;
    VlFrameReader *reader;
    GDBusConnection *bus;
    gint64 seq;
    gboolean greeted;   /* the host's hello arrived on this connection */
    gboolean announced; /* agent_started went out (once per process) */
    guint heartbeat_id;
    VlWatch *watch;
    GHashTable *last_sent;   /* section -> its text as last sent on this connection */
    GHashTable *pending;     /* section -> source id of its scheduled collection */
    VlSsoLogin *sso;         /* single sign-on */
    VlQgaContext qga;        /* the QEMU guest agent protocol's commands ... */
    VlQgaServer *qga_server; /* ... on their channel, or NULL */
} VlAgent;

void vl_agent_send_error(VlAgent *a, const char *id, VlProtocolError code, const char *message);
/* A reply to the command ID; RESULT NULL: {}. */
void vl_agent_send_reply(VlAgent *a, const char *id, VlJson *result);
/* Sends the named sections (NULL: all) and remembers what was sent. */
void vl_agent_send_report(VlAgent *a, const char *const *sections);

/* Carries out a command the host sent (already checked against the catalogue). */
void vl_agent_handle_command(VlAgent *a, const VlJson *message);

G_END_DECLS
