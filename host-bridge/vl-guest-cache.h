/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What one guest last reported: each report section (vl_report_sections order) with the time
 * it arrived. A full report replaces everything; a partial one replaces only the sections it
 * carries; a heartbeat's memory figures update the memory section (kept as numbers, merged
 * when the section is read). Only messages that passed
 * the catalogue reach the cache, so what it holds is always valid to send on.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

#define VL_GUEST_CACHE_MAX_SECTIONS 16

typedef struct _VlGuestCache VlGuestCache;

VlGuestCache *vl_guest_cache_new(void);
void vl_guest_cache_free(VlGuestCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlGuestCache, vl_guest_cache_free)

/* Forgets every section (the VM stopped). */
void vl_guest_cache_clear(VlGuestCache *cache);

/* The index of a section name in vl_report_sections, or -1. */
int vl_guest_cache_section_index(const char *name);

/* Applies a report's sections object; returns the bit mask (1 << index) of the sections that
 * it set or, for a full report, cleared. */
guint vl_guest_cache_apply_report(VlGuestCache *cache, const VlJson *sections, gboolean full,
                                  gint64 now_s);
/* Merges a heartbeat's memory object into the memory section. */
void vl_guest_cache_apply_heartbeat(VlGuestCache *cache, const VlJson *memory, gint64 now_s);

/* A section (borrowed; NULL until reported) and when it was last set (0: never). */
const VlJson *vl_guest_cache_section(VlGuestCache *cache, guint index);
gint64 vl_guest_cache_updated(VlGuestCache *cache, guint index);

/* Adds an object value of the sections in mask that the cache has (values or their times). */
void vl_guest_cache_add_sections(VlGuestCache *cache, guint mask, VlJsonBuilder *builder);
void vl_guest_cache_add_updated(VlGuestCache *cache, guint mask, VlJsonBuilder *builder);

G_END_DECLS
