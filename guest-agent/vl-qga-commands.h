/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QEMU guest agent commands (issue 8), answered from the same collectors as the native
 * protocol and in qemu-ga 7.2's shapes. Platform-neutral: what the collectors lack comes from
 * vl-qga-platform.h.
 */
#pragma once

#include <gio/gio.h>

#include "vl-agent-config.h"
#include "vl-collector.h"
#include "vl-qga-platform.h"
#include "vl-qga.h"

G_BEGIN_DECLS

typedef struct {
    const VlAgentConfig *config;
    const VlCollectContext *ctx;
    GDBusConnection *bus; /* for guest-shutdown through logind; may be NULL */
    VlQgaCache *cache;    /* vl-qga-platform.h; may be NULL */
} VlQgaContext;

/* Whether the configuration lets COMMAND run: its own name allowed, and, for one that acts like
 * a native command (guest-shutdown, shutdown), that one too. */
gboolean vl_qga_command_enabled(const VlAgentConfig *config, const VlQgaCommand *command);

/*
 * Carries out a checked, enabled request, writing the command's return value into B (nothing
 * for a command that succeeds without an answer): a text builder (vl_qga_answer_begin) makes
 * the answer with no tree in between. FALSE with an error whose message is the GenericError's
 * description; B then holds part of a value, to be thrown away.
 */
gboolean vl_qga_run(const VlQgaContext *q, const VlQgaRequest *request, VlJsonBuilder *b,
                    GError **error);

G_END_DECLS
