/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by vl-domain-xml.c (writing domain and device XML) and vl-domain-xml-read.c (reading
 * what libvirt wrote).
 */
#pragma once

#include <libvirt-gconfig/libvirt-gconfig.h>

#include "vl-json.h"

G_BEGIN_DECLS

/* libvirt-gconfig 4.0 declares no autoptr cleanups for its types. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GVirConfigDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GVirConfigDomainDevice, g_object_unref)

/* Sets libxml2 up, once: its first use must not race, and these functions run on any thread. */
void vl_domain_xml_init(void);

/* The "kind" of a device object, "disk" or "nic"; NULL with VL_RPC_INVALID_PARAMS otherwise. */
const char *vl_domain_xml_device_kind(const VlJson *device, GError **error);

/* The index-th disk name with a prefix, as libvirt counts: vda..vdz, vdaa..vdaz, vdba... */
char *vl_domain_xml_disk_name(const char *prefix, guint index);

G_END_DECLS
