/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the files of the VM operations: vl-vm-ops.c (lookup, errors, list, define,
 * lifecycle), vl-vm-devices.c (hot-plug) and vl-vm-qmp.c (QMP passthrough).
 */
#pragma once

#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/libvirt.h>

#include "vl-vm-ops.h"

G_BEGIN_DECLS

void vl_vm_domain_free(virDomain *domain);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, vl_vm_domain_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GVirConfigDomain, g_object_unref)

/* A builder with {name, uuid, opened: the rest of a result goes in before it is ended. */
VlJsonBuilder *vl_vm_begin_result(virDomainPtr domain);

G_END_DECLS
