/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control plane's JSON-RPC layer (vl-jsonrpc.c): what vl_rpc_validate accepts and which
 * JSON-RPC code it answers otherwise, the message builders (their output must be accepted by the
 * validator and survive framing), the mapping of framing errors, and the table of codes.
 */
#include <check.h>
#include <string.h>

#include "vl-protocol.h"

#define ACCEPT (-1)

static VlJson *
parse(const char *text)
{
    g_autoptr(GError) error = NULL;
    VlJson *node = vl_json_parse(text, strlen(text), &error);

    ck_assert_msg(node != NULL, "cannot parse %s: %s", text, error ? error->message : "?");
    return node;
}

/* The catalogue entry of a method, from either side. */
static const VlEntry *
method(const char *name)
{
    const VlEntry *entry = vl_catalogue_lookup(&vl_control_catalogue, name, VL_SENDER_BOTH);

    ck_assert_msg(entry != NULL, "no method %s in the control catalogue", name);
    return entry;
}

/* A message that must be accepted as kind (and, for requests, as that method's entry). */
static void
expect_ok_node(const VlJson *node, VlSender sender, VlRpcKind want_kind, const VlEntry *want_entry,
               const char *what)
{
    g_autoptr(GError) error = NULL;
    VlRpcKind kind = (VlRpcKind)-1;
    const VlEntry *entry = NULL;
    VlRpcCode code = 12345;

    ck_assert_msg(vl_rpc_validate(node, sender, &kind, &entry, &code, &error),
                  "%.300s: rejected: %.300s", what, error ? error->message : "?");
    ck_assert_ptr_null(error);
    ck_assert_int_eq(kind, want_kind);
    ck_assert_ptr_eq(entry, want_entry);
    ck_assert_int_eq(code, 12345); /* untouched on success */
}

static void
expect_ok(const char *text, VlSender sender, VlRpcKind want_kind, const VlEntry *want_entry)
{
    g_autoptr(VlJson) node = parse(text);

    expect_ok_node(node, sender, want_kind, want_entry, text);
}

/* A message that must be refused with rpc_code, the protocol error code and (unless NULL) this
 * error message. */
static void
expect_fail_node(const VlJson *node, VlSender sender, VlRpcCode want_code, int want_error,
                 const char *want_message, const char *what)
{
    g_autoptr(GError) error = NULL;
    VlRpcKind kind = (VlRpcKind)-1;
    const VlEntry *entry = NULL;
    VlRpcCode code = 0;

    ck_assert_msg(!vl_rpc_validate(node, sender, &kind, &entry, &code, &error), "%s: accepted",
                  what);
    ck_assert_msg(code == want_code, "%s: JSON-RPC code %d, expected %d (%s)", what, code,
                  want_code, error->message);
    ck_assert(error->domain == VL_PROTOCOL_ERROR);
    ck_assert_msg(error->code == want_error, "%s: %s, expected %s (%s)", what,
                  vl_protocol_error_name(error->code), vl_protocol_error_name(want_error),
                  error->message);
    if (want_message) {
        ck_assert_str_eq(error->message, want_message);
    }
    ck_assert_int_eq(kind, (VlRpcKind)-1);
    ck_assert_ptr_null(entry);
}

static void
expect_fail(const char *text, VlSender sender, VlRpcCode want_code, int want_error,
            const char *want_message)
{
    g_autoptr(VlJson) node = parse(text);

    expect_fail_node(node, sender, want_code, want_error, want_message, text);
}

/* Requests and notifications ----------------------------------------------------------------- */

START_TEST(test_request)
{
    const VlEntry *info = method("host.info");

    expect_ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\",\"params\":{}}",
              VL_SENDER_CLIENT, VL_RPC_REQUEST, info);
    /* Member order does not matter; unknown members are ignored. */
    expect_ok("{\"params\":{},\"method\":\"host.info\",\"id\":2,\"jsonrpc\":\"2.0\",\"x\":[1]}",
              VL_SENDER_CLIENT, VL_RPC_REQUEST, info);
    /* Members of params that the method does not name are ignored too. */
    expect_ok("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"host.info\",\"params\":{\"x\":1}}",
              VL_SENDER_CLIENT, VL_RPC_REQUEST, info);
    /* Absent params are {}. */
    expect_ok("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"host.info\"}", VL_SENDER_CLIENT,
              VL_RPC_REQUEST, info);
}
END_TEST

START_TEST(test_notification)
{
    const VlEntry *info = method("host.info");

    expect_ok("{\"jsonrpc\":\"2.0\",\"method\":\"host.info\",\"params\":{}}", VL_SENDER_CLIENT,
              VL_RPC_NOTIFICATION, info);
    expect_ok("{\"jsonrpc\":\"2.0\",\"method\":\"host.info\"}", VL_SENDER_CLIENT,
              VL_RPC_NOTIFICATION, info);
}
END_TEST

START_TEST(test_request_id)
{
    const VlEntry *info = method("host.info");
    static const char *const good_ids[] = {
        "0", "-1", "9223372036854775807", "-9223372036854775808", "\"\"", "\"abc\"", "null",
    };
    static const struct {
        const char *id;
        const char *message;
    } bad_ids[] = {
        {"1.5", "id: expected string or integer, found number"},
        {"1.0", "id: expected string or integer, found number"},
        {"1e3", "id: expected string or integer, found number"},
        {"true", "id: expected string or integer, found boolean"},
        {"[1]", "id: expected string or integer, found array"},
        {"{}", "id: expected string or integer, found object"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(good_ids); i++) {
        g_autofree char *text = g_strdup_printf(
            "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"host.info\"}", good_ids[i]);

        expect_ok(text, VL_SENDER_CLIENT, VL_RPC_REQUEST, info);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad_ids); i++) {
        g_autofree char *text = g_strdup_printf(
            "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"host.info\"}", bad_ids[i].id);

        expect_fail(text, VL_SENDER_CLIENT, VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_WRONG_TYPE,
                    bad_ids[i].message);
    }
    /* A string id is at most 128 bytes. */
    {
        g_autofree char *id128 = g_strnfill(128, 'i');
        g_autofree char *id129 = g_strnfill(129, 'i');
        g_autofree char *good =
            g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"method\":\"host.info\"}", id128);
        g_autofree char *bad =
            g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"method\":\"host.info\"}", id129);

        expect_ok(good, VL_SENDER_CLIENT, VL_RPC_REQUEST, info);
        expect_fail(bad, VL_SENDER_CLIENT, VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                    "id: length 129 is outside 0..128");
    }
}
END_TEST

START_TEST(test_request_version)
{
    static const char *const bad_versions[] = {"\"1.0\"", "\"2\"", "\"2.0 \"", "\"\"", "\"2.00\""};

    for (guint i = 0; i < G_N_ELEMENTS(bad_versions); i++) {
        g_autofree char *request =
            g_strdup_printf("{\"jsonrpc\":%s,\"id\":1,\"method\":\"host.info\"}", bad_versions[i]);
        g_autofree char *response =
            g_strdup_printf("{\"jsonrpc\":%s,\"id\":1,\"result\":{}}", bad_versions[i]);

        expect_fail(request, VL_SENDER_CLIENT, VL_RPC_INVALID_REQUEST,
                    VL_PROTOCOL_ERROR_OUT_OF_RANGE, NULL);
        expect_fail(response, VL_SENDER_SERVER, VL_RPC_INVALID_REQUEST,
                    VL_PROTOCOL_ERROR_OUT_OF_RANGE, NULL);
    }
    expect_fail("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"host.info\"}", VL_SENDER_CLIENT,
                VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_WRONG_TYPE,
                "jsonrpc: expected string, found number");
    expect_fail("{\"jsonrpc\":null,\"id\":1,\"method\":\"host.info\"}", VL_SENDER_CLIENT,
                VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_WRONG_TYPE,
                "jsonrpc: expected string, found null");
    expect_fail("{\"id\":1,\"method\":\"host.info\"}", VL_SENDER_CLIENT, VL_RPC_INVALID_REQUEST,
                VL_PROTOCOL_ERROR_MISSING_FIELD, "jsonrpc: required field missing");
    expect_fail("{\"id\":1,\"result\":{}}", VL_SENDER_SERVER, VL_RPC_INVALID_REQUEST,
                VL_PROTOCOL_ERROR_MISSING_FIELD, "jsonrpc: required field missing");
}
END_TEST

START_TEST(test_request_method)
{
    g_autofree char *long_method = g_strnfill(129, 'm');
    g_autofree char *too_long =
        g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\"}", long_method);

    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.nope\"}", VL_SENDER_CLIENT,
                VL_RPC_METHOD_NOT_FOUND, VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                "method: unknown method \"host.nope\"");
    expect_fail("{\"jsonrpc\":\"2.0\",\"method\":\"HOST.INFO\"}", VL_SENDER_CLIENT,
                VL_RPC_METHOD_NOT_FOUND, VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                "method: unknown method \"HOST.INFO\"");
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}", VL_SENDER_CLIENT,
                VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                "method: length 0 is outside 1..128");
    expect_fail(too_long, VL_SENDER_CLIENT, VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                "method: length 129 is outside 1..128");
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", VL_SENDER_CLIENT,
                VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_WRONG_TYPE,
                "method: expected string, found integer");
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":null}", VL_SENDER_CLIENT,
                VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_WRONG_TYPE,
                "method: expected string, found null");
}
END_TEST

START_TEST(test_request_hostile_method)
{
    /* 128 bytes of control characters, quotes and non-ASCII: the message shows at most 64
     * bytes, escaped to printable ASCII. */
    g_autoptr(GString) name = g_string_new(NULL);
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) message = NULL;
    g_autoptr(GError) error = NULL;
    VlRpcCode code = 0;

    while (name->len < 128) {
        g_string_append(name, "\x01\"\n\xc3\xa9\x1b");
    }
    g_string_truncate(name, 128);
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "jsonrpc");
    vl_json_builder_add_string(b, "2.0");
    vl_json_builder_member(b, "method");
    vl_json_builder_add_string(b, name->str);
    vl_json_builder_end_object(b);
    message = vl_json_builder_finish(b);

    ck_assert(!vl_rpc_validate(message, VL_SENDER_CLIENT, NULL, NULL, &code, &error));
    ck_assert_int_eq(code, VL_RPC_METHOD_NOT_FOUND);
    ck_assert(g_str_has_prefix(error->message, "method: unknown method \"\\001\\\"\\n\\303\\251"));
    for (const char *p = error->message; *p; p++) {
        ck_assert_msg(*p >= 0x20 && *p <= 0x7e, "unescaped byte 0x%02x", (guchar)*p);
    }
    ck_assert_uint_le(strlen(error->message), strlen("method: unknown method \"\"") + 64 * 4);
}
END_TEST

START_TEST(test_request_sender)
{
    /* Every method goes one way: sent from the wrong side it is not found. */
    for (const VlEntry *e = vl_control_catalogue.entries; e->name; e++) {
        g_autofree char *text =
            g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\"}", e->name);
        g_autofree char *message = g_strdup_printf("method: unknown method \"%s\"", e->name);

        if (e->senders != VL_SENDER_BOTH) {
            expect_fail(text, e->senders ^ VL_SENDER_BOTH, VL_RPC_METHOD_NOT_FOUND,
                        VL_PROTOCOL_ERROR_UNKNOWN_TYPE, message);
        }
    }
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}", VL_SENDER_SERVER,
                VL_RPC_METHOD_NOT_FOUND, VL_PROTOCOL_ERROR_UNKNOWN_TYPE,
                "method: unknown method \"host.info\"");
}
END_TEST

START_TEST(test_request_params_not_object)
{
    static const char *const values[] = {"[]", "[1,2]", "null", "\"x\"", "1", "true"};

    for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autofree char *text = g_strdup_printf(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\",\"params\":%s}", values[i]);

        expect_fail(text, VL_SENDER_CLIENT, VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_WRONG_TYPE,
                    NULL);
    }
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\",\"params\":[]}",
                VL_SENDER_CLIENT, VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_WRONG_TYPE,
                "params: expected object, found array");
}
END_TEST

/*
 * Bad params of every method, made from the catalogue: each required parameter left out of the
 * example (and params left empty, or out altogether), each parameter given a value of a type it
 * does not accept. Invalid params are answered with VL_RPC_INVALID_PARAMS. (catalogue-test walks
 * every entry more thoroughly; this checks the JSON-RPC code.)
 */
static const char *
wrong_value_for(VlType type)
{
    switch (type) {
    case VL_TYPE_STRING:
    case VL_TYPE_INT:
    case VL_TYPE_NUMBER:
    case VL_TYPE_ID:
        return "true";
    case VL_TYPE_BOOL:
    case VL_TYPE_OBJECT:
    case VL_TYPE_ARRAY:
        return "\"x\"";
    case VL_TYPE_ANY:
        break;
    }
    return NULL;
}

typedef struct {
    VlJsonBuilder *builder;
    const char *skip;
} CopyMembers;

static void
copy_member(const char *name, VlJson *value, gpointer user_data)
{
    CopyMembers *copy = user_data;

    if (strcmp(name, copy->skip) != 0) {
        vl_json_builder_member(copy->builder, name);
        vl_json_builder_add_node(copy->builder, value);
    }
}

/* A request for method with the example's params, member name replaced by value (NULL: left out).
 */
static VlJson *
request_with(const char *method_name, const VlJson *params, const char *name, const char *value)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    CopyMembers copy = {b, name};

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "jsonrpc");
    vl_json_builder_add_string(b, "2.0");
    vl_json_builder_member(b, "id");
    vl_json_builder_add_int(b, 1);
    vl_json_builder_member(b, "method");
    vl_json_builder_add_string(b, method_name);
    vl_json_builder_member(b, "params");
    vl_json_builder_begin_object(b);
    vl_json_object_foreach(params, copy_member, &copy);
    if (value) {
        g_autoptr(VlJson) node = parse(value);

        vl_json_builder_member(b, name);
        vl_json_builder_add_node(b, node);
    }
    vl_json_builder_end_object(b);
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

START_TEST(test_request_bad_params)
{
    const VlEntry *e = &vl_control_catalogue.entries[_i];
    VlSender sender = (e->senders & VL_SENDER_CLIENT) ? VL_SENDER_CLIENT : VL_SENDER_SERVER;
    g_autoptr(VlJson) example = parse(e->example);
    const VlJson *params = vl_json_object_get(example, "params");
    const VlField *first_required = NULL;

    /* The example itself is a valid request of this method. */
    expect_ok_node(example, sender,
                   vl_json_object_get(example, "id") ? VL_RPC_REQUEST : VL_RPC_NOTIFICATION, e,
                   e->example);
    ck_assert_int_eq(vl_json_kind(params), VL_JSON_OBJECT);

    for (const VlField *f = e->fields; f->name; f++) {
        const char *wrong = wrong_value_for(f->type);

        if (f->flags & VL_FIELD_REQUIRED) {
            g_autoptr(VlJson) without = request_with(e->name, params, f->name, NULL);
            g_autofree char *message =
                g_strdup_printf("params.%s: required field missing", f->name);

            expect_fail_node(without, sender, VL_RPC_INVALID_PARAMS,
                             VL_PROTOCOL_ERROR_MISSING_FIELD, message, e->name);
            first_required = first_required ? first_required : f;
        }
        if (wrong) {
            g_autoptr(VlJson) bad = request_with(e->name, params, f->name, wrong);

            expect_fail_node(bad, sender, VL_RPC_INVALID_PARAMS, VL_PROTOCOL_ERROR_WRONG_TYPE, NULL,
                             e->name);
        }
    }
    if (first_required) {
        g_autofree char *empty = g_strdup_printf(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{}}", e->name);
        g_autofree char *absent =
            g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\"}", e->name);
        g_autofree char *message =
            g_strdup_printf("params.%s: required field missing", first_required->name);

        expect_fail(empty, sender, VL_RPC_INVALID_PARAMS, VL_PROTOCOL_ERROR_MISSING_FIELD, message);
        expect_fail(absent, sender, VL_RPC_INVALID_PARAMS, VL_PROTOCOL_ERROR_MISSING_FIELD,
                    message);
    } else {
        g_autofree char *absent =
            g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\"}", e->name);

        expect_ok(absent, sender, VL_RPC_REQUEST, e);
    }
}
END_TEST

/* Responses --------------------------------------------------------------------------------- */

START_TEST(test_response_result)
{
    static const char *const results[] = {"{}", "{\"a\":[1]}", "null", "5", "\"ok\"", "[]"};
    static const char *const ids[] = {"1", "\"a\"", "null", "-7"};

    for (guint i = 0; i < G_N_ELEMENTS(results); i++) {
        for (guint j = 0; j < G_N_ELEMENTS(ids); j++) {
            g_autofree char *text = g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}",
                                                    ids[j], results[i]);

            expect_ok(text, VL_SENDER_SERVER, VL_RPC_RESULT, NULL);
            expect_ok(text, VL_SENDER_CLIENT, VL_RPC_RESULT, NULL);
        }
    }
}
END_TEST

START_TEST(test_response_error)
{
    expect_ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"no\"}}",
              VL_SENDER_SERVER, VL_RPC_ERROR, NULL);
    expect_ok("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"\"}}",
              VL_SENDER_SERVER, VL_RPC_ERROR, NULL);
    expect_ok("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"error\":{\"code\":1,\"message\":\"m\","
              "\"data\":{\"any\":[null]}}}",
              VL_SENDER_CLIENT, VL_RPC_ERROR, NULL);
    expect_ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-2147483648,\"message\":\"m\"}}",
              VL_SENDER_SERVER, VL_RPC_ERROR, NULL);
    expect_ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":2147483647,\"message\":\"m\"}}",
              VL_SENDER_SERVER, VL_RPC_ERROR, NULL);

    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":2147483648,\"message\":\"m\"}}",
                VL_SENDER_SERVER, VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                "error.code: value 2147483648 is outside -2147483648..2147483647");
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":\"m\"}}", VL_SENDER_SERVER,
                VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_MISSING_FIELD,
                "error.code: required field missing");
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1}}", VL_SENDER_SERVER,
                VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_MISSING_FIELD,
                "error.message: required field missing");
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-1.5,\"message\":\"m\"}}",
                VL_SENDER_SERVER, VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_WRONG_TYPE,
                "error.code: expected integer, found number");
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"failed\"}", VL_SENDER_SERVER,
                VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_WRONG_TYPE,
                "error: expected object, found string");
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":null}", VL_SENDER_SERVER,
                VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_WRONG_TYPE,
                "error: expected object, found null");
    {
        g_autofree char *long_message = g_strnfill(4097, 'm');
        g_autofree char *text = g_strdup_printf(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1,\"message\":\"%s\"}}",
            long_message);

        expect_fail(text, VL_SENDER_SERVER, VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                    "error.message: length 4097 is outside 0..4096");
    }
}
END_TEST

START_TEST(test_response_shape)
{
    /* Exactly one of result and error. */
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{\"code\":1,"
                "\"message\":\"m\"}}",
                VL_SENDER_SERVER, VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_MISSING_FIELD, NULL);
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1}", VL_SENDER_SERVER, VL_RPC_INVALID_REQUEST,
                VL_PROTOCOL_ERROR_MISSING_FIELD, NULL);
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":1,\"params\":{}}", VL_SENDER_CLIENT,
                VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_MISSING_FIELD, NULL);
    /* The id of a response is required, null allowed. */
    expect_fail("{\"jsonrpc\":\"2.0\",\"result\":{}}", VL_SENDER_SERVER, VL_RPC_INVALID_REQUEST,
                VL_PROTOCOL_ERROR_MISSING_FIELD, "id: required field missing");
    expect_fail("{\"jsonrpc\":\"2.0\",\"id\":0.5,\"result\":{}}", VL_SENDER_SERVER,
                VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_WRONG_TYPE,
                "id: expected string or integer, found number");
    {
        g_autofree char *id = g_strnfill(129, 'r');
        g_autofree char *text =
            g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"result\":{}}", id);

        expect_fail(text, VL_SENDER_SERVER, VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_OUT_OF_RANGE,
                    "id: length 129 is outside 0..128");
    }
    /* A request with a stray result is still a request. */
    expect_ok("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\",\"result\":{}}",
              VL_SENDER_CLIENT, VL_RPC_REQUEST, method("host.info"));
}
END_TEST

START_TEST(test_not_object)
{
    static const char *const texts[] = {
        "[]", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}]", "null", "1", "\"x\"",
    };

    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        expect_fail(texts[i], VL_SENDER_CLIENT, VL_RPC_INVALID_REQUEST,
                    VL_PROTOCOL_ERROR_NOT_OBJECT, NULL);
    }
    expect_fail("[1]", VL_SENDER_SERVER, VL_RPC_INVALID_REQUEST, VL_PROTOCOL_ERROR_NOT_OBJECT,
                "control message is a JSON array, not an object");
}
END_TEST

START_TEST(test_optional_outputs)
{
    g_autoptr(VlJson) good = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}");
    g_autoptr(VlJson) bad = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"no.such\"}");

    ck_assert(vl_rpc_validate(good, VL_SENDER_CLIENT, NULL, NULL, NULL, NULL));
    ck_assert(!vl_rpc_validate(bad, VL_SENDER_CLIENT, NULL, NULL, NULL, NULL));
}
END_TEST

/* Builders ---------------------------------------------------------------------------------- */

/* Encodes a message as a frame, reads it back through a frame reader, and checks both copies
 * validate the same way. */
static void
check_built(VlJson *built, VlSender sender, VlRpcKind want_kind, const VlEntry *want_entry)
{
    g_autoptr(GString) frame = vl_frame_encode(built);
    g_autoptr(VlFrameReader) reader =
        vl_frame_reader_new(VL_FRAME_DEFAULT_MAX_SIZE, VL_FRAME_DEFAULT_MAX_DEPTH);
    g_autoptr(VlJson) decoded = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *before = vl_json_to_string(built, NULL);
    g_autofree char *after = NULL;
    gsize used = 0;

    expect_ok_node(built, sender, want_kind, want_entry, before);

    ck_assert_uint_gt(frame->len, 1);
    ck_assert_int_eq(frame->str[frame->len - 1], '\n');
    ck_assert_ptr_eq(memchr(frame->str, '\n', frame->len - 1), NULL);
    ck_assert_msg(vl_frame_reader_push(reader, frame->str, frame->len, &used, &decoded, &error),
                  "%.300s: %s", before, error ? error->message : "?");
    ck_assert_uint_eq(used, frame->len);
    ck_assert_ptr_nonnull(decoded);
    after = vl_json_to_string(decoded, NULL);
    ck_assert_str_eq(after, before);
    expect_ok_node(decoded, sender, want_kind, want_entry, after);
}

START_TEST(test_new_request)
{
    const VlEntry *info = method("host.info");
    static const char *const ids[] = {"1", "0", "-3", "\"req-1\"", "\"\"", "9223372036854775807"};
    g_autoptr(VlJson) params = parse("{\"extra\":[1,{\"a\":null}]}");

    for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
        g_autoptr(VlJson) id = parse(ids[i]);
        g_autoptr(VlJson) plain = vl_rpc_new_request("host.info", NULL, id);
        g_autoptr(VlJson) with_params = vl_rpc_new_request("host.info", params, id);

        check_built(plain, VL_SENDER_CLIENT, VL_RPC_REQUEST, info);
        check_built(with_params, VL_SENDER_CLIENT, VL_RPC_REQUEST, info);
        ck_assert_int_eq(vl_json_kind(vl_json_object_get(plain, "params")), VL_JSON_OBJECT);
        ck_assert_uint_eq(vl_json_object_size(vl_json_object_get(plain, "params")), 0);
        ck_assert_str_eq(vl_json_get_string(vl_json_object_get(plain, "jsonrpc")), "2.0");
        ck_assert_str_eq(vl_json_get_string(vl_json_object_get(plain, "method")), "host.info");
        ck_assert_int_eq(vl_json_kind(vl_json_object_get(plain, "id")), vl_json_kind(id));
    }
    /* Without an id: a notification, with no id member at all. */
    {
        g_autoptr(VlJson) notification = vl_rpc_new_request("host.info", NULL, NULL);

        check_built(notification, VL_SENDER_CLIENT, VL_RPC_NOTIFICATION, info);
        ck_assert_ptr_null(vl_json_object_get(notification, "id"));
    }
    /* Every method of the catalogue, from its side, with its example's params. */
    for (const VlEntry *e = vl_control_catalogue.entries; e->name; e++) {
        g_autoptr(VlJson) example = parse(e->example);
        g_autoptr(VlJson) id = parse("42");
        g_autoptr(VlJson) built =
            vl_rpc_new_request(e->name, vl_json_object_get(example, "params"), id);

        check_built(built, (e->senders & VL_SENDER_CLIENT) ? VL_SENDER_CLIENT : VL_SENDER_SERVER,
                    VL_RPC_REQUEST, e);
    }
}
END_TEST

START_TEST(test_new_result)
{
    static const char *const ids[] = {"1", "\"r\"", "null"};
    static const char *const results[] = {"{}", "{\"name\":\"vmlinkd\",\"v\":[1,2]}"};

    for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
        g_autoptr(VlJson) id = parse(ids[i]);

        for (guint j = 0; j < G_N_ELEMENTS(results); j++) {
            g_autoptr(VlJson) result = parse(results[j]);
            g_autoptr(VlJson) built = vl_rpc_new_result(id, result);

            check_built(built, VL_SENDER_SERVER, VL_RPC_RESULT, NULL);
            ck_assert_uint_eq(vl_json_object_size(vl_json_object_get(built, "result")),
                              vl_json_object_size(result));
        }
        {
            g_autoptr(VlJson) built = vl_rpc_new_result(id, NULL);

            check_built(built, VL_SENDER_SERVER, VL_RPC_RESULT, NULL);
            ck_assert_int_eq(vl_json_kind(vl_json_object_get(built, "result")), VL_JSON_OBJECT);
            ck_assert_uint_eq(vl_json_object_size(vl_json_object_get(built, "result")), 0);
        }
    }
    /* No id: null. */
    {
        g_autoptr(VlJson) built = vl_rpc_new_result(NULL, NULL);

        check_built(built, VL_SENDER_SERVER, VL_RPC_RESULT, NULL);
        ck_assert_int_eq(vl_json_kind(vl_json_object_get(built, "id")), VL_JSON_NULL);
    }
}
END_TEST

START_TEST(test_new_error)
{
    g_autoptr(VlJson) id = parse("\"e1\"");

    /* Every code of the table. */
    for (const VlRpcCodeInfo *c = vl_rpc_codes; c->name; c++) {
        g_autoptr(VlJson) built = vl_rpc_new_error(id, c->code, c->description);
        const VlJson *error = vl_json_object_get(built, "error");

        check_built(built, VL_SENDER_SERVER, VL_RPC_ERROR, NULL);
        ck_assert_int_eq(vl_json_get_int(vl_json_object_get(error, "code")), c->code);
        ck_assert_str_eq(vl_json_get_string(vl_json_object_get(error, "message")), c->description);
        ck_assert_str_eq(vl_json_get_string(vl_json_object_get(built, "id")), "e1");
    }
    /* An id that could not be read: null. */
    {
        g_autoptr(VlJson) built = vl_rpc_new_error(NULL, VL_RPC_PARSE_ERROR, "bad frame");

        check_built(built, VL_SENDER_SERVER, VL_RPC_ERROR, NULL);
        ck_assert_int_eq(vl_json_kind(vl_json_object_get(built, "id")), VL_JSON_NULL);
    }
    /* Control characters and quotes in a message are the generator's business. */
    {
        g_autoptr(VlJson) built = vl_rpc_new_error(id, VL_RPC_FAILED, "a\"b\\c\n\x01\xc3\xa9");

        check_built(built, VL_SENDER_SERVER, VL_RPC_ERROR, NULL);
    }
}
END_TEST

START_TEST(test_new_error_long_message)
{
    /* Messages may carry text from elsewhere (libvirt, the agent): whatever their length, the
     * response must be one the peer accepts, so the message is cut to the bound, on a character
     * boundary. */
    static const char *const units[] = {"m", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    static const gsize lengths[] = {4095, 4096, 4097, 4098, 4099, 10000};

    for (guint u = 0; u < G_N_ELEMENTS(units); u++) {
        for (guint l = 0; l < G_N_ELEMENTS(lengths); l++) {
            g_autoptr(GString) text = g_string_new(NULL);
            g_autoptr(VlJson) built = NULL;
            const char *message;

            while (text->len < lengths[l]) {
                g_string_append(text, units[u]);
            }
            built = vl_rpc_new_error(NULL, VL_RPC_FAILED, text->str);
            check_built(built, VL_SENDER_SERVER, VL_RPC_ERROR, NULL);
            message = vl_json_get_string(
                vl_json_object_get(vl_json_object_get(built, "error"), "message"));
            ck_assert(g_utf8_validate(message, -1, NULL));
            ck_assert(g_str_has_prefix(text->str, message));
            if (text->len <= 4096) {
                ck_assert_str_eq(message, text->str);
            } else {
                ck_assert_uint_le(strlen(message), 4096);
                ck_assert_uint_gt(strlen(message), 4096 - strlen(units[u]));
            }
        }
    }
}
END_TEST

/* Framing errors and codes ------------------------------------------------------------------ */

START_TEST(test_code_for_frame_error)
{
    static const struct {
        int code;
        VlRpcCode rpc;
    } cases[] = {
        {VL_PROTOCOL_ERROR_NOT_OBJECT, VL_RPC_INVALID_REQUEST},
        {VL_PROTOCOL_ERROR_FRAME_TOO_LARGE, VL_RPC_PARSE_ERROR},
        {VL_PROTOCOL_ERROR_INVALID_UTF8, VL_RPC_PARSE_ERROR},
        {VL_PROTOCOL_ERROR_TOO_DEEP, VL_RPC_PARSE_ERROR},
        {VL_PROTOCOL_ERROR_INVALID_JSON, VL_RPC_PARSE_ERROR},
        {VL_PROTOCOL_ERROR_OUT_OF_RANGE, VL_RPC_PARSE_ERROR},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = g_error_new_literal(VL_PROTOCOL_ERROR, cases[i].code, "x");

        ck_assert_int_eq(vl_rpc_code_for_frame_error(error), cases[i].rpc);
    }
    ck_assert_int_eq(vl_rpc_code_for_frame_error(NULL), VL_RPC_PARSE_ERROR);
    /* The same number in another domain is not a NOT_OBJECT. */
    {
        g_autoptr(GError) error =
            g_error_new_literal(G_FILE_ERROR, VL_PROTOCOL_ERROR_NOT_OBJECT, "x");

        ck_assert_int_eq(vl_rpc_code_for_frame_error(error), VL_RPC_PARSE_ERROR);
    }
}
END_TEST

START_TEST(test_code_for_real_frame_errors)
{
    /* What a frame reader reports for bad frames, mapped as a bridge would answer them. */
    static const struct {
        const char *bytes;
        VlRpcCode rpc;
    } cases[] = {
        {"[1,2]\n", VL_RPC_INVALID_REQUEST},
        {"\"jsonrpc\"\n", VL_RPC_INVALID_REQUEST},
        {"{\"jsonrpc\":\n", VL_RPC_PARSE_ERROR},
        {"{'a':1}\n", VL_RPC_PARSE_ERROR},
        {"{\"a\":\"\xff\"}\n", VL_RPC_PARSE_ERROR},
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
         VL_RPC_PARSE_ERROR},
        {"{\"x\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}\n",
         VL_RPC_PARSE_ERROR},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(VlFrameReader) reader = vl_frame_reader_new(64, 8);
        g_autoptr(VlJson) frame = NULL;
        g_autoptr(GError) error = NULL;
        gsize used = 0;

        ck_assert_msg(!vl_frame_reader_push(reader, cases[i].bytes, strlen(cases[i].bytes), &used,
                                            &frame, &error),
                      "frame %u accepted", i);
        ck_assert_ptr_null(frame);
        ck_assert_msg(vl_rpc_code_for_frame_error(error) == cases[i].rpc, "frame %u: %s -> %d", i,
                      error->message, vl_rpc_code_for_frame_error(error));
    }
}
END_TEST

START_TEST(test_codes_table)
{
    static const VlRpcCode all_codes[] = {
        VL_RPC_PARSE_ERROR,       VL_RPC_INVALID_REQUEST, VL_RPC_METHOD_NOT_FOUND,
        VL_RPC_INVALID_PARAMS,    VL_RPC_INTERNAL_ERROR,  VL_RPC_FAILED,
        VL_RPC_UNAUTHORIZED,      VL_RPC_OWNED,           VL_RPC_NOT_FOUND,
        VL_RPC_AGENT_UNAVAILABLE, VL_RPC_TIMEOUT,         VL_RPC_RATE_LIMITED,
        VL_RPC_DISABLED,          VL_RPC_CONFLICT,
    };
    guint n = 0;

    for (const VlRpcCodeInfo *c = vl_rpc_codes; c->name; c++, n++) {
        ck_assert_msg(*c->name != '\0', "code %d has an empty name", c->code);
        ck_assert_msg(c->description && *c->description, "%s has no description", c->name);
        for (const char *p = c->name; *p; p++) {
            ck_assert_msg(g_ascii_islower(*p) || *p == '_', "name %s is not snake_case", c->name);
        }
        /* JSON-RPC reserves -32768..-32000; vmlink's own codes are in the server range. */
        ck_assert_int_ge(c->code, -32768);
        ck_assert_int_le(c->code, -32000);
        if (c->code > -32100) {
            ck_assert_int_ge(c->code, -32099);
        }
        for (const VlRpcCodeInfo *d = vl_rpc_codes; d != c; d++) {
            ck_assert_msg(d->code != c->code, "code %d twice", c->code);
            ck_assert_msg(strcmp(d->name, c->name) != 0, "name %s twice", c->name);
        }
    }
    ck_assert_uint_eq(n, G_N_ELEMENTS(all_codes));
    for (guint i = 0; i < G_N_ELEMENTS(all_codes); i++) {
        gboolean found = FALSE;

        for (const VlRpcCodeInfo *c = vl_rpc_codes; c->name; c++) {
            found |= c->code == all_codes[i];
        }
        ck_assert_msg(found, "code %d is not in vl_rpc_codes", all_codes[i]);
    }
}
END_TEST

static Suite *
jsonrpc_suite(void)
{
    Suite *s = suite_create("jsonrpc");
    TCase *tc;
    guint n_methods = 0;

    while (vl_control_catalogue.entries[n_methods].name) {
        n_methods++;
    }

    tc = tcase_create("request");
    tcase_add_test(tc, test_request);
    tcase_add_test(tc, test_notification);
    tcase_add_test(tc, test_request_id);
    tcase_add_test(tc, test_request_version);
    tcase_add_test(tc, test_request_method);
    tcase_add_test(tc, test_request_hostile_method);
    tcase_add_test(tc, test_request_sender);
    tcase_add_test(tc, test_request_params_not_object);
    tcase_add_loop_test(tc, test_request_bad_params, 0, n_methods);
    tcase_add_test(tc, test_not_object);
    tcase_add_test(tc, test_optional_outputs);
    suite_add_tcase(s, tc);

    tc = tcase_create("response");
    tcase_add_test(tc, test_response_result);
    tcase_add_test(tc, test_response_error);
    tcase_add_test(tc, test_response_shape);
    suite_add_tcase(s, tc);

    tc = tcase_create("builders");
    tcase_add_test(tc, test_new_request);
    tcase_add_test(tc, test_new_result);
    tcase_add_test(tc, test_new_error);
    tcase_add_test(tc, test_new_error_long_message);
    suite_add_tcase(s, tc);

    tc = tcase_create("codes");
    tcase_add_test(tc, test_code_for_frame_error);
    tcase_add_test(tc, test_code_for_real_frame_errors);
    tcase_add_test(tc, test_codes_table);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(jsonrpc_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
