/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt domain XML for vmlinkd, written and read through libvirt-gconfig: a VM spec of the
 * control plane (vm.define's "spec") becomes a domain definition with the vmlink and QEMU guest
 * agent channels added; a device of vm.attach_device/vm.detach_device becomes device XML; and a
 * running domain's XML tells where QEMU put each channel's socket.
 *
 * The JSON given here has already passed the control catalogue (types, bounds, choices); these
 * functions check what a catalogue cannot (absolute paths, MAC syntax, name characters, one of
 * network or bridge) and fail with VL_CALL_ERROR / VL_RPC_INVALID_PARAMS naming the member.
 * Pure functions: no libvirt connection, safe on any thread.
 */
#pragma once

#include <glib.h>

#include "vl-json.h"

G_BEGIN_DECLS

typedef struct {
    const char *default_accel; /* "kvm" or "tcg", when the spec names none; NULL: "kvm" */
    const char *domain_type;   /* NULL: from the accel ("kvm" or "qemu"); "test" for test:/// */
} VlDomainXmlOptions;

/*
 * The domain XML of a spec (vm.define's "spec" object); the caller frees it. Disks boot in the
 * spec's order (per-device boot orders) unless "boot" names a kernel; a disk without a target
 * gets the next name on its bus that no disk of the spec names (vda.. for virtio, sda.. for the
 * others). Always added: ACPI, a virtio balloon with statistics, a serial console (into
 * console_log, else a pty) and unix channels for VL_GUEST_PORT_NAME and VL_QGA_PORT_NAME whose
 * socket paths libvirt chooses. VL_RPC_FAILED when options->domain_type is not a libvirt one.
 */
char *vl_domain_xml_from_spec(const VlJson *spec, const VlDomainXmlOptions *options,
                              GError **error);

/*
 * The device XML of vm.attach_device's "device" object; the caller frees it. A disk needs a path
 * and a target: without the domain there is no knowing which names are free.
 */
char *vl_device_xml_from_json(const VlJson *device, GError **error);

/*
 * For vm.detach_device: the XML of the device in domain_xml that "device" names (a disk by
 * "target", a NIC by "mac" in any case), as libvirt wrote it; VL_RPC_NOT_FOUND when there is
 * none, VL_RPC_FAILED when domain_xml cannot be read.
 */
char *vl_device_xml_find(const char *domain_xml, const VlJson *device, GError **error);

/*
 * For vm.attach_device without a target: the first disk name on bus ("virtio" or NULL: vd*;
 * "sata", "scsi", "usb": sd*) that no disk of domain_xml uses.
 */
char *vl_domain_xml_free_disk_target(const char *domain_xml, const char *bus, GError **error);

/*
 * Where the guest channels of a running domain are, from its live XML: the source path of the
 * virtio channel of each port name. FALSE with VL_RPC_FAILED when domain_xml cannot be read.
 */
typedef struct {
    char *agent_path; /* socket of org.vmlink.agent.0, or NULL when the domain has none */
    char *qga_path;   /* socket of org.qemu.guest_agent.0, or NULL */
} VlDomainChannels;

gboolean vl_domain_xml_channels(const char *domain_xml, VlDomainChannels *ret_channels,
                                GError **error);
void vl_domain_channels_clear(VlDomainChannels *channels);

G_END_DECLS
