/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest info for a VM that runs the QEMU guest agent and no vmlink agent (issue 8), through
 * libvirt: libvirt holds the org.qemu.guest_agent.0 socket and vmlinkd never opens it; it asks
 * libvirt instead (virDomainQemuAgentCommand for guest-info, guest-get-vcpus and guest-get-load,
 * with [qemu-ga] timeout; virDomainGetGuestInfo for the rest), on a small thread pool of its
 * own so an agent that hangs holds neither the loop nor the control plane's workers.
 *
 * A VM is asked when libvirt says its agent connected (after a short grace, in which a vmlink
 * agent that serves both ports can say hello first), when its vmlink agent goes away, and every
 * [qemu-ga] interval seconds while it runs, one request at a time. What it answers fills the
 * VM's cache as a full report would (vl-qga-info.h), unless a vmlink agent is connected: that
 * one always wins. The agent's state (absent, connected: libvirt sees it but it did not answer,
 * responsive: it answered the last time) and version show in guest.info with kind "qemu-ga",
 * and its agent.state events say kind "qemu-ga": on each change while no vmlink agent answers,
 * and once when its answer becomes what guest.info shows.
 */
#pragma once

#include <glib.h>

#include "vl-bridge.h"

G_BEGIN_DECLS

typedef struct _VlQgaGuest VlQgaGuest;

typedef struct {
    VlAgentState state;
    const char *version;    /* from guest-info; NULL before it answered */
    gint64 connected_since; /* Unix time of the first answer since it connected; 0: none */
    gint64 last_heard;      /* Unix time of the last answer; 0: never */
    gboolean reported;      /* whether the VM's cache holds what it answered */
} VlQgaGuestInfo;

VlQgaGuest *vl_qga_guest_new(VlVm *vm);
void vl_qga_guest_free(VlQgaGuest *qga);

/* The VM runs with an org.qemu.guest_agent.0 channel (TRUE), or stopped or has none. */
void vl_qga_guest_set_channel(VlQgaGuest *qga, gboolean present);
/* libvirt's agent lifecycle event: the guest opened (TRUE) or closed its end of the port. */
void vl_qga_guest_agent_event(VlQgaGuest *qga, gboolean connected);
/* The VM's vmlink agent went away: ask qemu-ga soon, in case it is there. */
void vl_qga_guest_vmlink_gone(VlQgaGuest *qga);
/* The VM's vmlink agent answers again: the cache is its own. */
void vl_qga_guest_vmlink_back(VlQgaGuest *qga);

void vl_qga_guest_get_info(const VlQgaGuest *qga, VlQgaGuestInfo *ret_info);

G_END_DECLS
