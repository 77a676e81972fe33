/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Control plane protocol v1: the JSON-RPC methods vmlinkd serves to the manager, and the
 * notifications it sends. Each issue that adds a method adds its entry here.
 */
#include "vl-catalogue-private.h"
#include "vl-protocol.h"

static const VlField version_item[] = {ITEM_INT(1, 65535, "A protocol version")};

static const VlField host_info_result[] = {
    F_STRING("name", REQ, 1, 64, "Program name (vmlinkd)"),
    F_STRING("version", REQ, 1, 64, "Program version"),
    F_ARRAY("protocol_versions", REQ, 1, 16, version_item, "Control plane versions served"),
    F_STRING("hostname", OPT, 0, 253, "Host name of the KVM host"),
    F_END,
};

static const VlEntry control_entries[] = {
    {
        .name = "host.info",
        .senders = VL_SENDER_CLIENT,
        .summary = "Who this bridge is. Always allowed, owned or not.",
        .fields = vl_no_fields,
        .result = host_info_result,
        .example = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\",\"params\":{}}",
    },
    {.name = NULL},
};

const VlCatalogue vl_control_catalogue = {
    .id = "control-method",
    .title = "Control plane methods",
    .key = "method",
    .member = "params",
    .sender_names = {"manager", "bridge"},
    .entries = control_entries,
};

const VlCatalogue *const vl_catalogues[] = {
    &vl_guest_catalogue,
    &vl_guest_command_catalogue,
    &vl_guest_event_catalogue,
    &vl_control_catalogue,
    NULL,
};
