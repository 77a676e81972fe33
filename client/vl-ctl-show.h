/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Results for people, one function per result shape. Each takes the params that were sent
 * (what was asked) and the result (already checked against the catalogue, so required members
 * are there; optional ones show as "-"), and appends lines to out.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

void vl_ctl_show_host_info(const VlJson *params, const VlJson *result, GString *out);
void vl_ctl_show_vm_list(const VlJson *params, const VlJson *result, GString *out);
void vl_ctl_show_vm_state(const VlJson *params, const VlJson *result, GString *out);
void vl_ctl_show_vm_shutdown(const VlJson *params, const VlJson *result, GString *out);
void vl_ctl_show_vm_stats(const VlJson *params, const VlJson *result, GString *out);
void vl_ctl_show_attached(const VlJson *params, const VlJson *result, GString *out);
void vl_ctl_show_detached(const VlJson *params, const VlJson *result, GString *out);
void vl_ctl_show_qmp(const VlJson *params, const VlJson *result, GString *out);
void vl_ctl_show_guest_reply(const VlJson *params, const VlJson *result, GString *out);
/* All sections present; the applications one by name only when params asked for it. */
void vl_ctl_show_guest_info(const VlJson *params, const VlJson *result, GString *out);

/* One line (no newline) for an event notification's params: local time, #seq, kind, VM and a
 * short summary of its data. */
char *vl_ctl_show_event(const VlJson *event);

G_END_DECLS
