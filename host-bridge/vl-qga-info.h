/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a guest that runs only the QEMU guest agent told libvirt (issue 8), as the report
 * sections a vmlink agent would have sent, so guest.info has one shape whichever agent a guest
 * runs.
 *
 * From virDomainGetGuestInfo's typed parameters:
 *   os.*                      → os (id, name, pretty_name, version, version_id, variant,
 *                               variant_id, kernel_release, kernel_version, arch)
 *   hostname, timezone.offset → host (hostname, utc_offset_s; qemu-ga's zone is an
 *                               abbreviation, not the zone name the section holds)
 *   if.*                      → network (name, mac, addresses; no counters)
 *   fs.*                      → filesystems (mountpoint, type, device /dev/NAME, sizes)
 *   user.*                    → users (name, DOMAIN\name for a domain user, since)
 * and from two answers of virDomainQemuAgentCommand: guest-get-vcpus (the online ones) and
 * guest-get-load → cpu. qemu-ga knows nothing of the memory and applications sections.
 *
 * The guest is untrusted: every count is bounded by the catalogue, every entry is checked
 * against the catalogue on its own and left out (counted) when it does not fit, and a section
 * that still does not validate is left out whole. What comes out always passes the catalogue.
 */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "vl-json.h"

G_BEGIN_DECLS

typedef struct {
    const virTypedParameter *params; /* virDomainGetGuestInfo's; NULL when it failed */
    int n_params;
    const VlJson *vcpus; /* guest-get-vcpus' "return" value, or NULL */
    const VlJson *load;  /* guest-get-load's "return" value, or NULL */
} VlQgaInfo;

/* An object of the sections that could be made (possibly none); *ret_dropped (may be NULL)
 * counts the entries and sections left out. */
VlJson *vl_qga_info_sections(const VlQgaInfo *info, guint *ret_dropped);

G_END_DECLS
