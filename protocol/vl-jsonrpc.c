/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vl-jsonrpc.h"

#include <string.h>

#include "vl-catalogue-private.h"
#include "vl-error.h"

#define ERROR_MESSAGE_MAX_LEN 4096

/* clang-format off */
G_DEFINE_QUARK(vl-call-error-quark, vl_call_error)
/* clang-format on */

VlRpcCode
vl_rpc_code_for_error(const GError *error)
{
    if (error && error->domain == VL_CALL_ERROR) {
        return (VlRpcCode)error->code;
    }
    return VL_RPC_FAILED;
}

const VlRpcCodeInfo vl_rpc_codes[] = {
    {VL_RPC_PARSE_ERROR, "parse_error", "The frame is not valid JSON or breaks a framing limit."},
    {VL_RPC_INVALID_REQUEST, "invalid_request", "The message is not a valid JSON-RPC 2.0 object."},
    {VL_RPC_METHOD_NOT_FOUND, "method_not_found", "No such method, or not from this side."},
    {VL_RPC_INVALID_PARAMS, "invalid_params", "params do not match the method's catalogue entry."},
    {VL_RPC_INTERNAL_ERROR, "internal_error", "The bridge failed unexpectedly."},
    {VL_RPC_FAILED, "failed", "The call was valid but carrying it out failed."},
    {VL_RPC_UNAUTHORIZED, "unauthorized", "The caller is not the owner, or the call needs one."},
    {VL_RPC_OWNED, "owned", "The host is owned by another manager."},
    {VL_RPC_NOT_FOUND, "not_found", "No such VM, device or object."},
    {VL_RPC_AGENT_UNAVAILABLE, "agent_unavailable", "The VM's agent is not connected or silent."},
    {VL_RPC_TIMEOUT, "timeout", "No answer in time from the agent or libvirt."},
    {VL_RPC_RATE_LIMITED, "rate_limited", "Too many requests or attempts; retry later."},
    {VL_RPC_DISABLED, "disabled", "Disabled by the host's configuration."},
    {VL_RPC_CONFLICT, "conflict", "The object's current state does not allow the call."},
    {0, NULL, NULL},
};

static const char *const jsonrpc_version[] = {"2.0", NULL};

static const VlField request_fields[] = {
    F_ENUM("jsonrpc", REQ, jsonrpc_version, "Always \"2.0\""),
    F_STRING("method", REQ, 1, 128, "Method name"),
    F_OBJECT("params", OPT, NULL, "Parameters by name; absent means {}"),
    {.name = "id",
     .type = VL_TYPE_ID,
     .flags = VL_FIELD_NULLABLE,
     .min = 0,
     .max = 128,
     .doc = "Request id (string of at most 128 bytes, or integer); absent for a notification"},
    F_END,
};

static const VlField error_object_fields[] = {
    F_INT("code", REQ, G_MININT32, G_MAXINT32, "Error code"),
    F_STRING("message", REQ, 0, ERROR_MESSAGE_MAX_LEN, "What went wrong"),
    F_ANY("data", OPT, "Details"),
    F_END,
};

static const VlField response_fields[] = {
    F_ENUM("jsonrpc", REQ, jsonrpc_version, "Always \"2.0\""),
    {.name = "id",
     .type = VL_TYPE_ID,
     .flags = REQ | VL_FIELD_NULLABLE,
     .min = 0,
     .max = 128,
     .doc = "The id of the request answered; null when it could not be read"},
    F_ANY("result", OPT, "The result, on success"),
    F_OBJECT("error", OPT, error_object_fields, "The error, on failure"),
    F_END,
};

static gboolean
fail_with(VlRpcCode *ret_code, VlRpcCode code)
{
    if (ret_code) {
        *ret_code = code;
    }
    return FALSE;
}

gboolean
vl_rpc_validate(const VlJson *message, VlSender sender, VlRpcKind *ret_kind,
                const VlEntry **ret_entry, VlRpcCode *ret_code, GError **error)
{
    const VlJson *params;
    const VlEntry *entry;

    g_return_val_if_fail(message != NULL, FALSE);

    if (vl_json_kind(message) != VL_JSON_OBJECT) {
        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_NOT_OBJECT,
                    "control message is a JSON %s, not an object",
                    vl_json_kind_name(vl_json_kind(message)));
        return fail_with(ret_code, VL_RPC_INVALID_REQUEST);
    }

    if (vl_json_object_get(message, "method") == NULL) {
        gboolean has_result = vl_json_object_get(message, "result") != NULL;
        gboolean has_error = vl_json_object_get(message, "error") != NULL;

        if (!has_result && !has_error) {
            /* Neither a response nor a request: name what a request lacks. */
            g_set_error_literal(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_MISSING_FIELD,
                                "method: required field missing");
            return fail_with(ret_code, VL_RPC_INVALID_REQUEST);
        }
        if (!vl_fields_validate(response_fields, message, "", error)) {
            return fail_with(ret_code, VL_RPC_INVALID_REQUEST);
        }
        if (has_result == has_error) {
            g_set_error_literal(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_MISSING_FIELD,
                                "a response needs exactly one of result and error (or a request "
                                "needs method)");
            return fail_with(ret_code, VL_RPC_INVALID_REQUEST);
        }
        if (ret_kind) {
            *ret_kind = has_result ? VL_RPC_RESULT : VL_RPC_ERROR;
        }
        return TRUE;
    }

    if (!vl_fields_validate(request_fields, message, "", error)) {
        return fail_with(ret_code, VL_RPC_INVALID_REQUEST);
    }
    entry = vl_catalogue_lookup(&vl_control_catalogue,
                                vl_json_get_string(vl_json_object_get(message, "method")), sender);
    if (entry == NULL) {
        g_autofree char *cut =
            g_strndup(vl_json_get_string(vl_json_object_get(message, "method")), 64);
        g_autofree char *shown = g_strescape(cut, NULL);

        g_set_error(error, VL_PROTOCOL_ERROR, VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                    "method: unknown method \"%s\"", shown);
        return fail_with(ret_code, VL_RPC_METHOD_NOT_FOUND);
    }
    params = vl_json_object_get(message, "params");
    if (params) {
        if (!vl_fields_validate(entry->fields, params, "params", error)) {
            return fail_with(ret_code, VL_RPC_INVALID_PARAMS);
        }
    } else {
        g_autoptr(VlJsonBuilder) builder = vl_json_builder_new();
        g_autoptr(VlJson) empty = NULL;

        vl_json_builder_begin_object(builder);
        vl_json_builder_end_object(builder);
        empty = vl_json_builder_finish(builder);
        if (!vl_fields_validate(entry->fields, empty, "params", error)) {
            return fail_with(ret_code, VL_RPC_INVALID_PARAMS);
        }
    }
    if (ret_kind) {
        *ret_kind =
            vl_json_object_get(message, "id") != NULL ? VL_RPC_REQUEST : VL_RPC_NOTIFICATION;
    }
    if (ret_entry) {
        *ret_entry = entry;
    }
    return TRUE;
}

VlRpcCode
vl_rpc_code_for_frame_error(const GError *error)
{
    if (error && error->domain == VL_PROTOCOL_ERROR &&
        error->code == VL_PROTOCOL_ERROR_NOT_OBJECT) {
        return VL_RPC_INVALID_REQUEST;
    }
    return VL_RPC_PARSE_ERROR;
}

static void
add_id(VlJsonBuilder *b, const VlJson *id)
{
    vl_json_builder_member(b, "id");
    if (id) {
        vl_json_builder_add_node(b, id);
    } else {
        vl_json_builder_add_null(b);
    }
}

static void
add_object_or_empty(VlJsonBuilder *b, const char *name, const VlJson *object)
{
    vl_json_builder_member(b, name);
    if (object) {
        vl_json_builder_add_node(b, object);
    } else {
        vl_json_builder_begin_object(b);
        vl_json_builder_end_object(b);
    }
}

VlJson *
vl_rpc_new_request(const char *method, const VlJson *params, const VlJson *id)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "jsonrpc");
    vl_json_builder_add_string(b, "2.0");
    vl_json_builder_member(b, "method");
    vl_json_builder_add_string(b, method);
    add_object_or_empty(b, "params", params);
    if (id) {
        add_id(b, id);
    }
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

VlJson *
vl_rpc_new_result(const VlJson *id, const VlJson *result)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "jsonrpc");
    vl_json_builder_add_string(b, "2.0");
    add_id(b, id);
    add_object_or_empty(b, "result", result);
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

VlJson *
vl_rpc_new_error(const VlJson *id, VlRpcCode code, const char *message)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autofree char *cut = NULL;
    gsize len = strlen(message);

    /* Messages may quote text from elsewhere (libvirt, the agent): cut them to the bound the peer
     * checks, on a character boundary, so that every error we build is one it accepts. */
    if (len > ERROR_MESSAGE_MAX_LEN) {
        len = ERROR_MESSAGE_MAX_LEN;
        while (len > 0 && ((guchar)message[len] & 0xc0) == 0x80) {
            len--;
        }
        message = cut = g_strndup(message, len);
    }

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "jsonrpc");
    vl_json_builder_add_string(b, "2.0");
    add_id(b, id);
    vl_json_builder_member(b, "error");
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "code");
    vl_json_builder_add_int(b, code);
    vl_json_builder_member(b, "message");
    vl_json_builder_add_string(b, message);
    vl_json_builder_end_object(b);
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

void
vl_rpc_wipe_secrets(const VlJson *params)
{
    static const char *const names[] = {"password", "new_password"};

    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        vl_json_wipe_member(params, names[i]);
    }
}
