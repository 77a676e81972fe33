/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm.qmp: one QMP command to a VM's QEMU through libvirt-qemu, its reply checked like anything
 * else that comes from outside.
 */
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "vl-frame.h"
#include "vl-json-check.h"
#include "vl-jsonrpc.h"
#include "vl-vm-ops-private.h"

/*
 * A QMP reply becomes the "return" member of a result, inside a JSON-RPC response: keep it one
 * level below the frame limit so the manager's reader accepts the whole response.
 */
#define QMP_REPLY_MAX_DEPTH (VL_FRAME_DEFAULT_MAX_DEPTH - 1)

VlJson *
vl_vm_qmp(virConnectPtr conn, const char *vm, const VlJson *command, GError **error)
{
    g_autoptr(virDomain) domain = NULL;
    g_autoptr(VlJson) reply = NULL;
    g_autoptr(VlJsonBuilder) builder = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *what = NULL;
    g_autofree char *text = NULL;
    g_autofree char *reply_text = NULL;
    const VlJson *qmp_error, *value;

    g_return_val_if_fail(conn != NULL, NULL);
    g_return_val_if_fail(vm != NULL, NULL);

    if (vl_json_kind(command) != VL_JSON_OBJECT) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS,
                    "vm.qmp: command must be an object");
        return NULL;
    }
    domain = vl_vm_lookup(conn, vm, error);
    if (domain == NULL) {
        return NULL;
    }
    what = g_strdup_printf("vm.qmp %s", virDomainGetName(domain));
    text = vl_json_to_string(command, NULL);
    if (virDomainQemuMonitorCommand(domain, text, &reply_text, 0) < 0) {
        vl_vm_set_libvirt_error(error, what);
        return NULL;
    }

    /* QEMU is the host's own, but its reply goes to the manager: hold it to the same rules as
     * any JSON that crosses the wire. */
    if (reply_text == NULL ||
        !vl_json_check(reply_text, strlen(reply_text), QMP_REPLY_MAX_DEPTH, &local)) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_FAILED, "%s: QEMU's reply is not usable: %s", what,
                    local ? local->message : "none");
        return NULL;
    }
    reply = vl_json_parse(reply_text, strlen(reply_text), &local);
    if (reply == NULL) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_FAILED, "%s: QEMU's reply is not usable: %s", what,
                    local->message);
        return NULL;
    }
    qmp_error = vl_json_object_get(reply, "error");
    if (qmp_error) {
        const char *klass = vl_json_get_string(vl_json_object_get(qmp_error, "class"));
        const char *desc = vl_json_get_string(vl_json_object_get(qmp_error, "desc"));

        g_set_error(error, VL_CALL_ERROR, VL_RPC_FAILED, "QMP %s: %s",
                    klass ? klass : "GenericError", desc ? desc : "(no description)");
        return NULL;
    }
    value = vl_json_object_get(reply, "return");
    if (value == NULL) {
        g_set_error(error, VL_CALL_ERROR, VL_RPC_FAILED,
                    "%s: QEMU's reply has neither return nor error", what);
        return NULL;
    }
    builder = vl_json_builder_new();
    vl_json_builder_begin_object(builder);
    vl_json_builder_member(builder, "return");
    vl_json_builder_add_node(builder, value);
    vl_json_builder_end_object(builder);
    return vl_json_builder_finish(builder);
}
