/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's session with the host: handshake, reports, heartbeats and commands, on the GLib
 * main loop, over whatever channel the configuration names.
 */
#pragma once

#include "vl-agent-config.h"

G_BEGIN_DECLS

/* Runs until SIGTERM or SIGINT; returns the process exit status. root: "/" (or a fixture tree
 * for tests). */
int vl_agent_run(const VlAgentConfig *config, const char *root);

G_END_DECLS
