/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reports: the sections collected into one object, and the report message around them.
 */
#pragma once

#include <glib.h>

#include "vl-collector.h"
#include "vl-json.h"

G_BEGIN_DECLS

/*
 * Collects the named sections (NULL: every section) into a new object {section: value}. A
 * collector that fails is logged and its section left out: one unreadable source must not cost
 * the manager the rest of the report.
 */
VlJson *vl_report_collect(const VlCollectContext *ctx, const char *const *sections);

/* The report message: {"type":"report","seq":seq,"full":full,"sections":sections}. */
VlJson *vl_report_message(gint64 seq, gboolean full, const VlJson *sections);

G_END_DECLS
