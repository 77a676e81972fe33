/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * docs/protocol.md is generated from the catalogue, so the two cannot drift apart: the prose
 * lives in a template (protocol/protocol.md.in) whose markers are replaced by tables rendered
 * from the catalogue data.
 *   @CATALOGUES@     every catalogue: its entries, their fields, bounds and examples
 *   @ERROR_CODES@    the guest channel error codes
 *   @RPC_CODES@      the control plane error codes
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *vl_doc_render(const char *template_text);

G_END_DECLS
