/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted host for the vmlink-agent process (the built binary, $VL_AGENT) on unix-listen:
 * the agent started with a configuration written by the test, and the host's end of its channel.
 * Every message the agent sends is validated against the catalogue. Failures are libcheck
 * assertions.
 */
#pragma once

#include <gio/gio.h>

#include "vl-line-socket.h"
#include "vl-protocol.h"

G_BEGIN_DECLS

#define AGENT_HOST_WAIT_MS 20000

typedef struct {
    char *work_dir;
    char *socket_path; /* the agent's channel */
    char *log_path;    /* its stdout and stderr when started with a log */
    GSubprocess *process;
} AgentHost;

/*
 * Starts the agent with CONFIG_TEXT as its agent.conf, run through PREFIX (a command and its
 * arguments, e.g. unshare --net; NULL: none), with ENV (pairs "NAME", "VALUE", ended by NULL;
 * may be NULL) added to its environment. With_log, its output goes to log_path.
 */
AgentHost *agent_host_start(const char *config_text, const char *const *prefix,
                            const char *const *env, gboolean with_log);
/* SIGTERM and waits; returns the wait status (0: a clean exit; under ASan, no leak). The work
 * folder and the log stay. */
int agent_host_stop_process(AgentHost *host);
/* Stops the agent and removes the work folder. NULL is allowed. */
void agent_host_stop(AgentHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentHost, agent_host_stop)

/* The next message from the agent, checked against the catalogue. */
VlJson *agent_host_receive(VlLineSocket *sock, const VlEntry **ret_entry);
/* The next message of TYPE, skipping heartbeats and events. */
VlJson *agent_host_receive_type(VlLineSocket *sock, const char *type);
void agent_host_send_line(VlLineSocket *sock, const char *line);
const char *agent_host_member(const VlJson *message, const char *name);
/* Connects and does the handshake with NONCE; returns the connection after the full report. */
VlLineSocket *agent_host_connect_and_greet(AgentHost *host, const char *nonce);

G_END_DECLS
