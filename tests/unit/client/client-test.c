/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvmlink-client (vl-client.c, vl-transport*.c) against a scripted server: results, events
 * queued during a call, and each way a call can fail, with its error domain, code and message.
 * Every test also checks what the server received, so "nothing was sent" is asserted, not
 * assumed.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <string.h>

#include "script-server.h"
#include "test-util.h"
#include "vl-client.h"
#include "vl-protocol.h"

#define TIMEOUT_MS 10000 /* long enough never to fire in a test that expects an answer */

#define VM_LIST_RESULT                                                                             \
    "{\"vms\":[{\"name\":\"web1\",\"uuid\":\"0f5c3d8e-2b7a-4c1e-9d6f-0a2b4c6d8e0f\","              \
    "\"state\":\"running\",\"agent\":\"responsive\",\"memory_kib\":1048576,\"vcpus\":2}]}"
#define EVENT(seq)                                                                                 \
    "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"seq\":" seq ",\"time\":"              \
    "1763769700123,\"event\":\"agent.state\",\"vm\":\"web1\",\"data\":{\"state\":"                 \
    "\"responsive\"}}}\n"

static VlClient *
connect_to(const ScriptServer *server)
{
    g_autoptr(GError) error = NULL;
    VlClient *client = vl_client_connect(script_server_address(server), &error);

    ck_assert_msg(client != NULL, "connect: %s", error ? error->message : "?");
    return client;
}

/* The request lines the server read, after the client went away. */
static GPtrArray *
finish(ScriptServer *server, VlClient **client)
{
    g_clear_pointer(client, vl_client_free);
    return script_server_finish(server);
}

static void
assert_error(const GError *error, GQuark domain, int code, const char *part)
{
    ck_assert_msg(error != NULL, "no error, expected one containing \"%s\"", part);
    ck_assert_msg(error->domain == domain && error->code == code,
                  "error %s/%d \"%s\", expected %s/%d", g_quark_to_string(error->domain),
                  error->code, error->message, g_quark_to_string(domain), code);
    ck_assert_msg(strstr(error->message, part) != NULL, "\"%s\" does not contain \"%s\"",
                  error->message, part);
}

/* Results ------------------------------------------------------------------------------------ */

START_TEST(test_call_returns_result)
{
    const ScriptStep steps[] = {READ, SEND(RESPONSE(VM_LIST_RESULT)), END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);
    g_autoptr(VlJson) request = NULL;
    GPtrArray *requests;

    ck_assert_msg(result != NULL, "%s", error ? error->message : "?");
    test_util_assert_json_eq(result, VM_LIST_RESULT);
    ck_assert_str_eq(vl_client_get_address(client), script_server_address(server));

    requests = finish(server, &client);
    ck_assert_uint_eq(requests->len, 1);
    request = test_util_parse(g_ptr_array_index(requests, 0));
    test_util_assert_json_eq(request,
                             "{\"jsonrpc\":\"2.0\",\"method\":\"vm.list\",\"params\":{},\"id\":1}");
}
END_TEST

START_TEST(test_ids_increase)
{
    const ScriptStep steps[] = {READ, SEND(RESPONSE("{\"seq\":0}")), READ,
                                SEND(RESPONSE("{\"seq\":7}")), END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(VlJson) params = test_util_parse("{\"events\":[\"vm.lifecycle\"]}");
    g_autoptr(VlJson) first = vl_client_call(client, "events.subscribe", params, TIMEOUT_MS, NULL);
    g_autoptr(VlJson) second = vl_client_call(client, "events.subscribe", NULL, TIMEOUT_MS, NULL);
    g_autoptr(VlJson) r1 = NULL;
    g_autoptr(VlJson) r2 = NULL;
    GPtrArray *requests;

    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(first, "seq")), 0);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(second, "seq")), 7);
    requests = finish(server, &client);
    ck_assert_uint_eq(requests->len, 2);
    r1 = test_util_parse(g_ptr_array_index(requests, 0));
    r2 = test_util_parse(g_ptr_array_index(requests, 1));
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(r1, "id")), 1);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(r2, "id")), 2);
    test_util_assert_json_eq(vl_json_object_get(r1, "params"), "{\"events\":[\"vm.lifecycle\"]}");
}
END_TEST

START_TEST(test_response_split_across_writes)
{
    /* The first write ends inside a string and the reader must wait for the rest. */
    const ScriptStep steps[] = {READ, {STEP_SPLIT, RESPONSE(VM_LIST_RESULT), 40}, END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);

    ck_assert_msg(result != NULL, "%s", error ? error->message : "?");
    test_util_assert_json_eq(result, VM_LIST_RESULT);
    finish(server, &client);
}
END_TEST

START_TEST(test_big_result)
{
    const gsize size = 2 * 1024 * 1024;
    const ScriptStep steps[] = {READ, {STEP_STRING, NULL, size}, END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(VlJson) params = test_util_parse("{\"vm\":\"web1\",\"command\":{\"execute\":\"x\"}}");
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "vm.qmp", params, TIMEOUT_MS, &error);
    const char *value;

    ck_assert_msg(result != NULL, "%s", error ? error->message : "?");
    value = vl_json_get_string(vl_json_object_get(result, "return"));
    ck_assert_ptr_nonnull(value);
    ck_assert_uint_eq(strlen(value), size);
    ck_assert_int_eq(value[size - 1], 'a' + (size - 1) % 26);
    finish(server, &client);
}
END_TEST

/* Events ------------------------------------------------------------------------------------- */

START_TEST(test_events_queued_during_call)
{
    const ScriptStep steps[] = {
        READ, SEND(EVENT("1")), SEND(EVENT("2")), SEND(RESPONSE("{\"seq\":0}")), SEND(EVENT("3")),
        END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "events.subscribe", NULL, TIMEOUT_MS, &error);

    ck_assert_msg(result != NULL, "%s", error ? error->message : "?");
    /* The two sent before the response are queued; the third is still on the wire. */
    ck_assert_uint_eq(vl_client_pending_events(client), 2);
    for (gint64 seq = 1; seq <= 3; seq++) {
        g_autoptr(VlJson) event = vl_client_next_event(client, TIMEOUT_MS, &error);

        ck_assert_msg(event != NULL, "%s", error ? error->message : "?");
        ck_assert_int_eq(vl_json_get_int(vl_json_object_get(event, "seq")), seq);
        ck_assert_str_eq(vl_json_get_string(vl_json_object_get(event, "event")), "agent.state");
        ck_assert_str_eq(vl_json_get_string(vl_json_object_get(event, "vm")), "web1");
    }
    ck_assert_uint_eq(vl_client_pending_events(client), 0);

    /* Nothing more comes: a timeout, in the call error domain. */
    {
        g_autoptr(VlJson) none = vl_client_next_event(client, 100, &error);
        ck_assert_ptr_null(none);
        assert_error(error, VL_CALL_ERROR, VL_RPC_TIMEOUT, "no event from unix:");
        ck_assert_ptr_nonnull(strstr(error->message, "within 0.1 s"));
    }
    finish(server, &client);
}
END_TEST

START_TEST(test_unknown_notification_ignored)
{
    /* A newer server may notify methods this client does not know: they are skipped. */
    const ScriptStep steps[] = {
        READ,
        SEND("{\"jsonrpc\":\"2.0\",\"method\":\"host.changed\",\"params\":{\"x\":1}}\n"),
        SEND(RESPONSE("{\"seq\":4}")),
        END,
    };
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "events.subscribe", NULL, TIMEOUT_MS, &error);

    ck_assert_msg(result != NULL, "%s", error ? error->message : "?");
    ck_assert_uint_eq(vl_client_pending_events(client), 0);
    finish(server, &client);
}
END_TEST

START_TEST(test_invalid_event_refused)
{
    const ScriptStep steps[] = {
        READ,
        SEND("{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"time\":1,"
             "\"event\":\"agent.state\",\"data\":{}}}\n"),
        END,
    };
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "events.subscribe", NULL, TIMEOUT_MS, &error);

    ck_assert_ptr_null(result);
    assert_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL, "params.seq");
    ck_assert_ptr_nonnull(strstr(error->message, "protocol does not allow"));
    finish(server, &client);
}
END_TEST

/* Errors ------------------------------------------------------------------------------------- */

START_TEST(test_error_response)
{
    const ScriptStep steps[] = {
        READ,
        SEND("{\"jsonrpc\":\"2.0\",\"id\":$ID,\"error\":{\"code\":-32003,"
             "\"message\":\"no VM named web9\"}}\n"),
        END,
    };
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(VlJson) params = test_util_parse("{\"vm\":\"web9\"}");
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "vm.start", params, TIMEOUT_MS, &error);

    ck_assert_ptr_null(result);
    assert_error(error, VL_CALL_ERROR, VL_RPC_NOT_FOUND, "no VM named web9");
    ck_assert_str_eq(error->message, "no VM named web9");
    finish(server, &client);
}
END_TEST

START_TEST(test_error_with_null_id)
{
    /* The server could not read our id: with one call outstanding, the error is ours. */
    const ScriptStep steps[] = {
        READ,
        SEND("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
             "\"message\":\"id: expected id\"}}\n"),
        END,
    };
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);

    ck_assert_ptr_null(result);
    assert_error(error, VL_CALL_ERROR, VL_RPC_INVALID_REQUEST, "id: expected id");
    finish(server, &client);
}
END_TEST

START_TEST(test_wrong_id)
{
    const ScriptStep steps[] = {
        READ,
        SEND("{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":" VM_LIST_RESULT "}\n"),
        END,
    };
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);

    ck_assert_ptr_null(result);
    assert_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL,
                 "answered request id 999, but the request waiting has id 1");
    finish(server, &client);
}
END_TEST

START_TEST(test_late_answer_dropped)
{
    /* Call 1 gives up; its answer arrives during call 2 and must not be taken for call 2's. */
    const ScriptStep steps[] = {
        READ,
        READ,
        SEND("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"vms\":[]}}\n"),
        SEND(RESPONSE(VM_LIST_RESULT)),
        END,
    };
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) first = vl_client_call(client, "vm.list", NULL, 100, &error);
    g_autoptr(VlJson) second = NULL;

    ck_assert_ptr_null(first);
    assert_error(error, VL_CALL_ERROR, VL_RPC_TIMEOUT, "no answer to vm.list");
    g_clear_error(&error);

    second = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);
    ck_assert_msg(second != NULL, "%s", error ? error->message : "?");
    test_util_assert_json_eq(second, VM_LIST_RESULT);
    ck_assert_uint_eq(finish(server, &client)->len, 2);
}
END_TEST

START_TEST(test_result_breaks_catalogue)
{
    const ScriptStep steps[] = {READ, SEND(RESPONSE("{\"vms\":[{\"name\":\"web1\"}]}")), END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);

    ck_assert_ptr_null(result);
    assert_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL,
                 "to vm.list breaks the protocol: result.vms");
    ck_assert_ptr_nonnull(strstr(error->message, "uuid: required field missing"));
    finish(server, &client);
}
END_TEST

START_TEST(test_frame_past_cap)
{
    const ScriptStep steps[] = {READ, {STEP_STRING, NULL, VL_CLIENT_MAX_FRAME_SIZE}, END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(VlJson) params = test_util_parse("{\"vm\":\"web1\",\"command\":{\"execute\":\"x\"}}");
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "vm.qmp", params, TIMEOUT_MS, &error);
    g_autofree char *cap = g_strdup_printf("frame longer than %d bytes", VL_CLIENT_MAX_FRAME_SIZE);

    ck_assert_ptr_null(result);
    assert_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL, cap);
    ck_assert_ptr_nonnull(strstr(error->message, "bad frame while we waited for the answer to "
                                                 "vm.qmp"));
    finish(server, &client);
}
END_TEST

START_TEST(test_closed_mid_frame)
{
    const ScriptStep steps[] = {
        READ,
        SEND("{\"jsonrpc\":\"2.0\",\"id\":$ID,\"res"),
        {STEP_CLOSE, NULL, 0},
        END,
    };
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "host.info", NULL, TIMEOUT_MS, &error);
    g_autofree char *expected = g_strdup_printf(
        "%s closed the connection in the middle of a message while we waited for the answer to "
        "host.info",
        script_server_address(server));

    ck_assert_ptr_null(result);
    assert_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CLOSED, expected);
    g_clear_error(&error);

    /* The client knows: the next call fails at once, naming the address. */
    result = vl_client_call(client, "host.info", NULL, TIMEOUT_MS, &error);
    ck_assert_ptr_null(result);
    assert_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CLOSED, "is closed: connect again");
    ck_assert_ptr_nonnull(strstr(error->message, script_server_address(server)));
    ck_assert_uint_eq(finish(server, &client)->len, 1);
}
END_TEST

START_TEST(test_closed_while_waiting_for_event)
{
    const ScriptStep steps[] = {{STEP_CLOSE, NULL, 0}, END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) event = vl_client_next_event(client, TIMEOUT_MS, &error);

    ck_assert_ptr_null(event);
    assert_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_CLOSED,
                 "closed the connection while we waited for the event");
    finish(server, &client);
}
END_TEST

START_TEST(test_never_answered)
{
    const ScriptStep steps[] = {READ, END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "host.info", NULL, 200, &error);
    g_autofree char *expected = g_strdup_printf("no answer to host.info from %s within 0.2 s",
                                                script_server_address(server));

    ck_assert_ptr_null(result);
    assert_error(error, VL_CALL_ERROR, VL_RPC_TIMEOUT, expected);
    ck_assert_str_eq(error->message, expected);
    finish(server, &client);
}
END_TEST

START_TEST(test_server_not_reading)
{
    /* A request bigger than the socket's buffers, to a server that reads nothing. */
    const ScriptStep steps[] = {{STEP_HOLD, NULL, 0}, END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autofree char *big = g_strnfill(8 * 1024 * 1024, 'x');
    g_autoptr(VlJson) params = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = NULL;
    g_autofree char *expected = NULL;

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, "web1");
    vl_json_builder_member(b, "command");
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "execute");
    vl_json_builder_add_string(b, big);
    vl_json_builder_end_object(b);
    vl_json_builder_end_object(b);
    params = vl_json_builder_finish(b);

    result = vl_client_call(client, "vm.qmp", params, 200, &error);
    expected = g_strdup_printf("cannot send vm.qmp: %s read nothing for 0.2 s",
                               script_server_address(server));
    ck_assert_ptr_null(result);
    assert_error(error, VL_CALL_ERROR, VL_RPC_TIMEOUT, expected);
    ck_assert_uint_eq(finish(server, &client)->len, 0);
}
END_TEST

START_TEST(test_params_checked_before_sending)
{
    const ScriptStep steps[] = {READ, SEND(RESPONSE(VM_LIST_RESULT)), END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(VlJson) no_vm = test_util_parse("{}");
    g_autoptr(VlJson) bad_via = test_util_parse("{\"vm\":\"web1\",\"via\":\"smoke-signals\"}");
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = NULL;
    g_autoptr(VlJson) request = NULL;
    GPtrArray *requests;

    result = vl_client_call(client, "vm.start", no_vm, TIMEOUT_MS, &error);
    ck_assert_ptr_null(result);
    assert_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS, "params.vm: required field missing");
    ck_assert_str_eq(error->message, "params.vm: required field missing");
    g_clear_error(&error);

    result = vl_client_call(client, "vm.shutdown", bad_via, TIMEOUT_MS, &error);
    ck_assert_ptr_null(result);
    assert_error(error, VL_CALL_ERROR, VL_RPC_INVALID_PARAMS, "params.via");
    g_clear_error(&error);

    result = vl_client_call(client, "vm.lsit", NULL, TIMEOUT_MS, &error);
    ck_assert_ptr_null(result);
    assert_error(error, VL_CALL_ERROR, VL_RPC_METHOD_NOT_FOUND,
                 "method: unknown method \"vm.lsit\"");
    g_clear_error(&error);

    /* The server notifies, the client does not: "event" is not a method to call. */
    result = vl_client_call(client, "event", NULL, TIMEOUT_MS, &error);
    ck_assert_ptr_null(result);
    assert_error(error, VL_CALL_ERROR, VL_RPC_METHOD_NOT_FOUND, "unknown method");
    g_clear_error(&error);

    /* None of those reached the server: the first request it reads is this one, id 1. */
    result = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);
    ck_assert_msg(result != NULL, "%s", error ? error->message : "?");
    requests = finish(server, &client);
    ck_assert_uint_eq(requests->len, 1);
    request = test_util_parse(g_ptr_array_index(requests, 0));
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(request, "method")), "vm.list");
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(request, "id")), 1);
}
END_TEST

START_TEST(test_server_request_refused)
{
    const ScriptStep steps[] = {
        READ,
        SEND("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"event\",\"params\":{\"seq\":1,"
             "\"time\":1,\"event\":\"agent.state\",\"data\":{}}}\n"),
        END,
    };
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);

    ck_assert_ptr_null(result);
    assert_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL, "sent a request (event");
    finish(server, &client);
}
END_TEST

/* Passwords ---------------------------------------------------------------------------------- */

START_TEST(test_password_params_wiped_by_caller)
{
    const ScriptStep steps[] = {READ, SEND(RESPONSE("{}")), END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    VlClient *client = connect_to(server);
    g_autoptr(VlJson) params =
        test_util_parse("{\"password\":\"old-secret\",\"new_password\":\"new-secret\",\"n\":1}");
    g_autoptr(GError) error = NULL;
    g_autoptr(VlJson) result = NULL;
    g_autoptr(VlJson) request = NULL;
    GPtrArray *requests;

    result = vl_client_call(client, "host.change_password", params, TIMEOUT_MS, &error);
    ck_assert_msg(result != NULL, "%s", error ? error->message : "?");
    /* Sent as it was (the frame is wiped only once written), and the caller's params kept. */
    requests = finish(server, &client);
    request = test_util_parse(g_ptr_array_index(requests, 0));
    test_util_assert_json_eq(
        vl_json_object_get(request, "params"),
        "{\"password\":\"old-secret\",\"new_password\":\"new-secret\",\"n\":1}");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(params, "password")), "old-secret");

    vl_json_wipe_member(params, "password");
    vl_json_wipe_member(params, "new_password");
    vl_json_wipe_member(params, "n");       /* not a string: left alone */
    vl_json_wipe_member(params, "missing"); /* absent: nothing happens */
    test_util_assert_json_eq(params, "{\"password\":\"\",\"new_password\":\"\",\"n\":1}");
}
END_TEST

/* Connecting --------------------------------------------------------------------------------- */

START_TEST(test_connect_bare_path)
{
    const ScriptStep steps[] = {READ, SEND(RESPONSE(VM_LIST_RESULT)), END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_autoptr(GError) error = NULL;
    VlClient *client = vl_client_connect(script_server_path(server), &error);
    g_autoptr(VlJson) result = NULL;

    ck_assert_msg(client != NULL, "%s", error ? error->message : "?");
    result = vl_client_call(client, "vm.list", NULL, TIMEOUT_MS, &error);
    ck_assert_msg(result != NULL, "%s", error ? error->message : "?");
    finish(server, &client);
}
END_TEST

static void
expect_connect_error(const char *address, int code, const char *message)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlClient) client = vl_client_connect(address, &error);

    ck_assert_msg(client == NULL, "%s: connected", address);
    assert_error(error, VL_CLIENT_ERROR, code, message);
}

START_TEST(test_connect_errors)
{
    g_autofree char *dir = g_dir_make_tmp("vl-client-XXXXXX", NULL);
    g_autofree char *missing = g_strdup_printf("unix:%s/vmlinkd.sock", dir);
    g_autofree char *missing_error =
        g_strdup_printf("cannot connect to %s: No such file or directory", missing);
    g_autofree char *long_path = g_strdup_printf("unix:/%0200d", 0);

    expect_connect_error(missing, VL_CLIENT_ERROR_NO_SERVER, missing_error);
    expect_connect_error("tls://kvm1:99999", VL_CLIENT_ERROR_ADDRESS,
                         "tls://kvm1:99999: the port must be a number from 1 to 65535");
    expect_connect_error("tls://fe80::1:8899", VL_CLIENT_ERROR_ADDRESS,
                         "write an IPv6 address in brackets");
    expect_connect_error("tls://../x", VL_CLIENT_ERROR_ADDRESS, "not a TLS address");
    expect_connect_error("kvm1:8899", VL_CLIENT_ERROR_ADDRESS,
                         "\"kvm1:8899\" is not an address vmlinkd listens on");
    expect_connect_error("vmlinkd.sock", VL_CLIENT_ERROR_ADDRESS, "is not an address");
    expect_connect_error("unix:vmlinkd.sock", VL_CLIENT_ERROR_ADDRESS,
                         "the socket path must be absolute");
    expect_connect_error(long_path, VL_CLIENT_ERROR_ADDRESS, "a UNIX socket path has at most");
    g_rmdir(dir);
}
END_TEST

static Suite *
client_suite(void)
{
    Suite *s = suite_create("client");
    TCase *results = tcase_create("results");
    TCase *events = tcase_create("events");
    TCase *errors = tcase_create("errors");
    TCase *connecting = tcase_create("connect");

    tcase_add_test(results, test_call_returns_result);
    tcase_add_test(results, test_ids_increase);
    tcase_add_test(results, test_response_split_across_writes);
    tcase_add_test(results, test_big_result);
    tcase_add_test(results, test_password_params_wiped_by_caller);
    suite_add_tcase(s, results);

    tcase_add_test(events, test_events_queued_during_call);
    tcase_add_test(events, test_unknown_notification_ignored);
    tcase_add_test(events, test_invalid_event_refused);
    suite_add_tcase(s, events);

    tcase_add_test(errors, test_error_response);
    tcase_add_test(errors, test_error_with_null_id);
    tcase_add_test(errors, test_wrong_id);
    tcase_add_test(errors, test_late_answer_dropped);
    tcase_add_test(errors, test_result_breaks_catalogue);
    tcase_add_test(errors, test_frame_past_cap);
    tcase_add_test(errors, test_closed_mid_frame);
    tcase_add_test(errors, test_closed_while_waiting_for_event);
    tcase_add_test(errors, test_never_answered);
    tcase_add_test(errors, test_server_not_reading);
    tcase_add_test(errors, test_params_checked_before_sending);
    tcase_add_test(errors, test_server_request_refused);
    suite_add_tcase(s, errors);

    tcase_add_test(connecting, test_connect_bare_path);
    tcase_add_test(connecting, test_connect_errors);
    suite_add_tcase(s, connecting);
    return s;
}

int
main(void)
{
    return vl_check_run(client_suite());
}
