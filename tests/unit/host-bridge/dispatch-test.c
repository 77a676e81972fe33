/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dispatcher: its table covers every method a manager may call, and the paths a call from
 * the local socket (root, the administrator) takes through the host.* and events.* methods,
 * driven through a real local socket: ownership released and certificates rotated by root,
 * password changes through the hashing queue and the throttle, host.take_ownership refused
 * without a TLS certificate (its password wiped all the same), events.since in bounded answers,
 * the push following every change of owner (also one found in the state file), and the audit
 * log (which, like every log, never holds a password). TLS calls are covered by ownership-test
 * (the access rule, who may take, what may be rotated) and the integration tests.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vl-check.h"
#include "vl-dispatch-private.h"
#include "vl-dispatch.h"
#include "vl-jsonrpc.h"
#include "vl-ownership.h"
#include "vl-protocol.h"
#include "vl-push.h"
#include "vl-rpc-server.h"
#include "vl-test-tls.h"
#include "vl-tls-identity.h"

#define CHEAP_LN 10
#define PASSWORD "correct horse battery"
#define NEW_PASSWORD "n3w staple of horses"

typedef struct {
    char *dir;
    char *audit_path;
    VlBridgeConfig *config;
    VlBridge *bridge;
    VlRpcServer *server;
    VlTlsIdentity *identity;
    VlTlsIdentity *manager;
    int fd;
    GString *input;
    GPtrArray *events; /* VlJson: the params of event notifications received */
    gint64 next_id;
    VlJson *last_params; /* of the last call dispatched, kept after it is gone */
} T;

static T t;

/* Every log message, to check that no password passes through a log call. */
static GString *logged;

static GLogWriterOutput
capture(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
    for (gsize i = 0; i < n_fields; i++) {
        if (fields[i].length < 0) {
            g_string_append_printf(logged, "%s=%s\n", fields[i].key, (const char *)fields[i].value);
        }
    }
    return G_LOG_WRITER_HANDLED;
}

/* The dispatcher, keeping each call's params: what it left in them after the call is gone. */
static void
spy_dispatch(VlCall *call, gpointer user_data)
{
    g_clear_pointer(&t.last_params, vl_json_unref);
    t.last_params = vl_json_ref((VlJson *)vl_call_params(call));
    vl_dispatch(call, user_data);
}

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    VlRpcLimits limits = {.max_request = 1 << 20, .max_output = 1 << 24, .max_inflight = 16};

    t = (T){.next_id = 1};
    t.dir = g_dir_make_tmp("vl-dispatch-XXXXXX", &error);
    ck_assert_msg(t.dir != NULL, "%s", error ? error->message : "");
    t.audit_path = g_build_filename(t.dir, "log", "audit.log", NULL);
    t.config = vl_bridge_config_new();
    g_free(t.config->state_dir);
    t.config->state_dir = g_strdup(t.dir);
    g_free(t.config->audit_log);
    t.config->audit_log = g_strdup(t.audit_path);
    g_free(t.config->local_socket);
    t.config->local_socket = g_build_filename(t.dir, "ctl.sock", NULL);
    t.bridge = vl_bridge_new(t.config, &error);
    ck_assert_msg(t.bridge != NULL, "%s", error ? error->message : "");
    vl_password_queue_set_cost(vl_ownership_hashing(t.bridge->ownership), CHEAP_LN, 8, 1);
    t.identity = vl_test_identity(t.dir, "bridge");
    t.manager = vl_test_identity(t.dir, "engine1");
    t.bridge->identity = t.identity;
    t.server =
        vl_rpc_server_new_unix(t.config->local_socket, &limits, spy_dispatch, t.bridge, &error);
    ck_assert_msg(t.server != NULL, "%s", error ? error->message : "");
    strcpy(addr.sun_path, t.config->local_socket);
    t.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(t.fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    t.input = g_string_new(NULL);
    t.events = g_ptr_array_new_with_free_func((GDestroyNotify)vl_json_unref);
}

static void
teardown(void)
{
    g_autofree char *rm = g_strdup_printf("rm -rf %s", t.dir);

    close(t.fd);
    vl_rpc_server_free(t.server);
    g_clear_pointer(&t.bridge->push, vl_push_free);
    g_clear_pointer(&t.last_params, vl_json_unref);
    vl_bridge_free(t.bridge);
    vl_bridge_config_free(t.config);
    vl_tls_identity_free(t.identity);
    vl_tls_identity_free(t.manager);
    g_string_free(t.input, TRUE);
    g_ptr_array_unref(t.events);
    g_free(t.audit_path);
    (void)!system(rm);
    g_free(t.dir);
}

/* Sends a request; runs the loop until its answer, keeping the events that come before. */
static VlJson *
call(const char *method, const char *params)
{
    gint64 id = t.next_id++;
    g_autofree char *request = g_strdup_printf("{\"jsonrpc\":\"2.0\",\"id\":%" G_GINT64_FORMAT
                                               ",\"method\":\"%s\",\"params\":%s}\n",
                                               id, method, params ? params : "{}");
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;

    ck_assert_int_eq(send(t.fd, request, strlen(request), MSG_NOSIGNAL), (ssize_t)strlen(request));
    while (g_get_monotonic_time() < deadline) {
        char buf[65536];
        ssize_t n;
        char *nl;

        g_main_context_iteration(NULL, FALSE);
        n = recv(t.fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            g_string_append_len(t.input, buf, n);
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            ck_abort_msg("the bridge closed the connection");
        } else {
            g_usleep(1000);
        }
        while ((nl = memchr(t.input->str, '\n', t.input->len)) != NULL) {
            gsize len = (gsize)(nl - t.input->str);
            g_autoptr(VlJson) message = vl_json_parse(t.input->str, len, NULL);

            g_string_erase(t.input, 0, (gssize)len + 1);
            ck_assert_ptr_nonnull(message);
            if (g_strcmp0(vl_json_get_string(vl_json_object_get(message, "method")), "event") ==
                0) {
                g_ptr_array_add(t.events, vl_json_ref(vl_json_object_get(message, "params")));
            } else if (vl_json_get_int(vl_json_object_get(message, "id")) == id) {
                return g_steal_pointer(&message);
            }
        }
    }
    ck_abort_msg("no answer to %s", method);
    return NULL;
}

static const VlJson *
result_of(const VlJson *response)
{
    const VlJson *error = vl_json_object_get(response, "error");

    ck_assert_msg(error == NULL, "error: %s",
                  vl_json_get_string(vl_json_object_get(error, "message")));
    return vl_json_object_get(response, "result");
}

static void
assert_error(const VlJson *response, VlRpcCode code, const char *want)
{
    const VlJson *error = vl_json_object_get(response, "error");
    const char *message = vl_json_get_string(vl_json_object_get(error, "message"));

    ck_assert_msg(error != NULL, "no error, %d expected", code);
    ck_assert_msg(vl_json_get_int(vl_json_object_get(error, "code")) == code, "code %d, not %d: %s",
                  (int)vl_json_get_int(vl_json_object_get(error, "code")), code, message);
    ck_assert_msg(!want || strstr(message, want), "'%s' not in: %s", want, message);
}

static const char *
str(const VlJson *object, const char *name)
{
    return vl_json_get_string(vl_json_object_get(object, name));
}

static void
set_password(const char *password)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *hash =
        vl_password_hash_with_cost(password, strlen(password), CHEAP_LN, 8, 1, &error);

    ck_assert(hash && vl_ownership_set_password_hash(t.bridge->ownership, hash, &error));
}

static void
take_as_engine1(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlOwner) owner = vl_owner_new("engine1", vl_tls_identity_cert_pem(t.manager),
                                            vl_tls_identity_cert(t.manager), "", "", &error);

    ck_assert(owner && vl_ownership_take(t.bridge->ownership, owner, &error));
}

static char *
audit_text(void)
{
    char *text = NULL;

    ck_assert(g_file_get_contents(t.audit_path, &text, NULL, NULL));
    return text;
}

/* Dispatcher ----------------------------------------------------------------------------------- */

START_TEST(test_dispatch_covers_catalogue)
{
    /* Every method a manager may call has a handler. */
    for (const VlEntry *e = vl_control_catalogue.entries; e->name; e++) {
        if (e->senders & VL_SENDER_CLIENT) {
            ck_assert_msg(vl_dispatch_serves(e->name), "%s has no handler", e->name);
        }
    }
    ck_assert(!vl_dispatch_serves("event"));
    ck_assert(!vl_dispatch_serves("vm.nope"));
}
END_TEST

/* host.* from the local socket ------------------------------------------------------------------
 */

START_TEST(test_host_info)
{
    g_autoptr(VlJson) unowned = call("host.info", NULL);
    g_autoptr(VlJson) owned = NULL;
    const VlJson *r = result_of(unowned);

    ck_assert_str_eq(str(r, "ownership"), "unowned");
    ck_assert(vl_json_get_bool(vl_json_object_get(r, "caller_is_owner")));
    ck_assert(!vl_json_get_bool(vl_json_object_get(r, "password_set")));
    ck_assert_ptr_null(vl_json_object_get(r, "owner"));

    set_password(PASSWORD);
    take_as_engine1();
    owned = call("host.info", NULL);
    r = result_of(owned);
    ck_assert_str_eq(str(r, "ownership"), "owned");
    ck_assert_str_eq(str(r, "owner"), "engine1");
    ck_assert_int_gt(vl_json_get_int(vl_json_object_get(r, "owned_since")), 0);
    ck_assert(vl_json_get_bool(vl_json_object_get(r, "password_set")));
}
END_TEST

START_TEST(test_take_needs_tls)
{
    g_autofree char *params = NULL;
    g_autoptr(VlJson) response = NULL;

    set_password(PASSWORD);
    params = g_strdup_printf("{\"password\":\"%s\",\"manager_id\":\"engine1\","
                             "\"manager_certificate\":\"x\"}",
                             PASSWORD);
    response = call("host.take_ownership", params);
    assert_error(response, VL_RPC_UNAUTHORIZED, "TLS client certificate");
    ck_assert_int_eq(vl_ownership_state(t.bridge->ownership), VL_OWNERSHIP_UNOWNED);
    /* Refused before any handler: the password in the parsed request was wiped all the same. */
    ck_assert_ptr_nonnull(t.last_params);
    ck_assert_str_eq(str(t.last_params, "manager_id"), "engine1");
    ck_assert_str_eq(str(t.last_params, "password"), "");
}
END_TEST

START_TEST(test_release_by_root)
{
    g_autoptr(VlJson) none = call("host.release_ownership", NULL);
    g_autoptr(VlJson) subscribed = NULL;
    g_autoptr(VlJson) released = NULL;
    g_autofree char *audit = NULL;
    const VlJson *data;

    assert_error(none, VL_RPC_CONFLICT, "no owner");
    take_as_engine1();
    subscribed = call("events.subscribe", "{\"events\":[\"host.ownership\"]}");
    result_of(subscribed);
    released = call("host.release_ownership", NULL);
    ck_assert_str_eq(str(result_of(released), "released_by"), "engine1");
    ck_assert_int_eq(vl_ownership_state(t.bridge->ownership), VL_OWNERSHIP_UNOWNED);

    /* The event comes after the answer: one more call brings it. */
    g_clear_pointer(&subscribed, vl_json_unref);
    subscribed = call("host.info", NULL);
    ck_assert_uint_eq(t.events->len, 1);
    ck_assert_str_eq(str(g_ptr_array_index(t.events, 0), "event"), "host.ownership");
    data = vl_json_object_get(g_ptr_array_index(t.events, 0), "data");
    ck_assert_str_eq(str(data, "action"), "released");
    ck_assert_str_eq(str(data, "owner"), "engine1");

    /* Audited, with who (root on the local socket) and how it ended. */
    audit = audit_text();
    ck_assert_ptr_nonnull(strstr(audit, "\"what\":\"host.release_ownership\""));
    ck_assert_ptr_nonnull(strstr(audit, "\"address\":\"local\""));
    ck_assert_ptr_nonnull(strstr(audit, "\"uid\":0"));
    ck_assert_ptr_nonnull(strstr(audit, "\"result\":\"ok\""));
    ck_assert_ptr_nonnull(strstr(audit, "\"result\":\"error\""));
}
END_TEST

START_TEST(test_rotate_by_root)
{
    g_autoptr(VlTlsIdentity) next = vl_test_identity(t.dir, "engine1-next");
    g_autofree char *escaped = g_strescape(vl_tls_identity_cert_pem(next), NULL);
    g_autofree char *params = g_strdup_printf("{\"manager_certificate\":\"%s\"}", escaped);
    g_autoptr(VlJson) unowned = call("host.rotate_certificate", "{\"bridge\":false}");
    g_autoptr(VlJson) nothing = NULL;
    g_autoptr(VlJson) bad = NULL;
    g_autoptr(VlJson) rotated = NULL;
    const VlJson *r;

    assert_error(unowned, VL_RPC_CONFLICT, "no owner");
    take_as_engine1();
    nothing = call("host.rotate_certificate", "{}");
    assert_error(nothing, VL_RPC_INVALID_PARAMS, "nothing to rotate");
    bad = call("host.rotate_certificate", "{\"manager_certificate\":\"garbage\"}");
    assert_error(bad, VL_RPC_INVALID_PARAMS, "manager_certificate");

    rotated = call("host.rotate_certificate", params);
    r = result_of(rotated);
    ck_assert_str_eq(str(r, "owner"), "engine1");
    ck_assert_str_eq(str(r, "certificate"), vl_tls_identity_cert_pem(t.identity));
    ck_assert_str_eq(str(r, "fingerprint"), vl_tls_identity_fingerprint(t.identity));
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(r, "not_after")),
                     vl_tls_identity_not_after(t.identity));
    ck_assert_str_eq(vl_ownership_owner(t.bridge->ownership)->fingerprint,
                     vl_tls_identity_fingerprint(next));
    ck_assert(vl_ownership_is_owner(t.bridge->ownership, vl_tls_identity_cert(next)));
    ck_assert(!vl_ownership_is_owner(t.bridge->ownership, vl_tls_identity_cert(t.manager)));
}
END_TEST

START_TEST(test_rotate_failure_announces_only_what_rotated)
{
    g_autoptr(VlTlsIdentity) next = vl_test_identity(t.dir, "engine1-next");
    g_autofree char *escaped = g_strescape(vl_tls_identity_cert_pem(next), NULL);
    g_autofree char *both =
        g_strdup_printf("{\"manager_certificate\":\"%s\",\"bridge\":true}", escaped);
    g_autofree char *identity_dir = g_build_filename(t.dir, "bridge", NULL);
    g_autofree char *rm = g_strdup_printf("rm -rf %s", identity_dir);
    g_autoptr(VlJson) subscribed = NULL;
    g_autoptr(VlJson) failed = NULL;
    g_autoptr(VlJson) info = NULL;
    g_autoptr(VlJson) half = NULL;
    const VlJson *data;

    take_as_engine1();
    subscribed = call("events.subscribe", "{\"events\":[\"host.ownership\"]}");
    result_of(subscribed);
    /* The bridge's key cannot be written: nothing rotated, so nothing is announced. */
    ck_assert_int_eq(system(rm), 0);
    failed = call("host.rotate_certificate", "{\"bridge\":true}");
    assert_error(failed, VL_RPC_FAILED, NULL);
    info = call("host.info", NULL);
    ck_assert_uint_eq(t.events->len, 0);

    /* The manager's certificate pinned, the bridge's not: announced, for the pin that did. */
    half = call("host.rotate_certificate", both);
    assert_error(half, VL_RPC_FAILED, "was pinned, but the bridge's was not rotated");
    g_clear_pointer(&info, vl_json_unref);
    info = call("host.info", NULL);
    ck_assert_uint_eq(t.events->len, 1);
    data = vl_json_object_get(g_ptr_array_index(t.events, 0), "data");
    ck_assert_str_eq(str(data, "action"), "certificate_rotated");
    ck_assert(vl_ownership_is_owner(t.bridge->ownership, vl_tls_identity_cert(next)));
}
END_TEST

/* Passwords: the queue, the throttle, and never a log ----------------------------------------- */

START_TEST(test_change_password)
{
    g_autofree char *wrong = g_strdup_printf("{\"password\":\"not %s\",\"new_password\":\"%s\"}",
                                             PASSWORD, NEW_PASSWORD);
    g_autofree char *right =
        g_strdup_printf("{\"password\":\"%s\",\"new_password\":\"%s\"}", PASSWORD, NEW_PASSWORD);
    g_autoptr(VlJson) disabled = call("host.change_password", right);
    g_autoptr(VlJson) refused = NULL;
    g_autoptr(VlJson) throttled = NULL;
    g_autoptr(VlJson) changed = NULL;
    g_autofree char *audit = NULL;

    assert_error(disabled, VL_RPC_DISABLED, "vmlinkd --set-password");
    set_password(PASSWORD);
    refused = call("host.change_password", wrong);
    assert_error(refused, VL_RPC_UNAUTHORIZED, "wrong agent password");
    /* At once again: throttled, without hashing. */
    throttled = call("host.change_password", right);
    assert_error(throttled, VL_RPC_RATE_LIMITED, "retry in 1 s");
    g_usleep(1100 * 1000);
    changed = call("host.change_password", right);
    result_of(changed);
    ck_assert(vl_password_verify(vl_ownership_password_hash(t.bridge->ownership), NEW_PASSWORD,
                                 strlen(NEW_PASSWORD), NULL));
    /* ...and it was written to the state file. */
    {
        g_autoptr(VlOwnership) again = vl_ownership_new(t.dir, 300);

        ck_assert(vl_password_verify(vl_ownership_password_hash(again), NEW_PASSWORD,
                                     strlen(NEW_PASSWORD), NULL));
    }

    /* Passwords appear in no log: neither the audit file nor any log message. */
    audit = audit_text();
    ck_assert_ptr_nonnull(strstr(audit, "\"what\":\"host.change_password\""));
    ck_assert_ptr_nonnull(strstr(audit, "wrong agent password"));
    ck_assert_ptr_null(strstr(audit, PASSWORD));
    ck_assert_ptr_null(strstr(audit, NEW_PASSWORD));
    ck_assert_ptr_nonnull(strstr(logged->str, "host.change_password"));
    ck_assert_ptr_null(strstr(logged->str, PASSWORD));
    ck_assert_ptr_null(strstr(logged->str, NEW_PASSWORD));
}
END_TEST

START_TEST(test_checks_queue_one_at_a_time)
{
    g_autofree char *wrong = g_strdup_printf(
        "{\"jsonrpc\":\"2.0\",\"id\":900,\"method\":\"host.change_password\",\"params\":"
        "{\"password\":\"nope\",\"new_password\":\"%s\"}}\n",
        NEW_PASSWORD);
    g_autoptr(VlJson) info = NULL;

    set_password(PASSWORD);
    /* One check in the queue; the loop still answers other calls meanwhile. */
    ck_assert_int_eq(send(t.fd, wrong, strlen(wrong), MSG_NOSIGNAL), (ssize_t)strlen(wrong));
    while (vl_password_queue_length(vl_ownership_hashing(t.bridge->ownership)) == 0) {
        g_main_context_iteration(NULL, TRUE);
    }
    ck_assert_uint_eq(vl_password_queue_length(vl_ownership_hashing(t.bridge->ownership)), 1);
    info = call("host.info", NULL);
    result_of(info);
    while (vl_password_queue_length(vl_ownership_hashing(t.bridge->ownership)) > 0) {
        g_main_context_iteration(NULL, TRUE);
    }
}
END_TEST

/* events.* --------------------------------------------------------------------------------------
 */

static void
emit(const char *kind, const char *vm)
{
    vl_events_emit(t.bridge->events, kind, vm, NULL, NULL);
}

START_TEST(test_events_since)
{
    g_autoptr(VlJson) all = NULL;
    g_autoptr(VlJson) some = NULL;
    g_autoptr(VlJson) ahead = NULL;
    const VlJson *r, *events;

    emit("vm.lifecycle", "a");
    emit("agent.state", "b");
    emit("vm.lifecycle", "c");
    all = call("events.since", "{\"seq\":1}");
    r = result_of(all);
    events = vl_json_object_get(r, "events");
    ck_assert_uint_eq(vl_json_array_length(events), 2);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vl_json_array_get(events, 0), "seq")), 2);
    ck_assert_str_eq(str(vl_json_array_get(events, 1), "vm"), "c");
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(r, "seq")), 3);
    ck_assert(!vl_json_get_bool(vl_json_object_get(r, "gap")));

    some = call("events.since", "{\"seq\":0,\"events\":[\"vm.lifecycle\"]}");
    events = vl_json_object_get(result_of(some), "events");
    ck_assert_uint_eq(vl_json_array_length(events), 2);
    ck_assert_str_eq(str(vl_json_array_get(events, 0), "vm"), "a");

    /* A seq from before a restart of vmlinkd: the caller has missed everything. */
    ahead = call("events.since", "{\"seq\":100}");
    ck_assert(vl_json_get_bool(vl_json_object_get(result_of(ahead), "gap")));
}
END_TEST

START_TEST(test_subscribe_since)
{
    g_autoptr(VlJson) subscribed = NULL;
    g_autoptr(VlJson) later = NULL;
    const VlJson *r;

    emit("vm.lifecycle", "a");
    emit("vm.lifecycle", "b");
    subscribed = call("events.subscribe", "{\"since\":1}");
    r = result_of(subscribed);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(r, "seq")), 2);
    ck_assert(!vl_json_get_bool(vl_json_object_get(r, "gap")));
    /* The missed event came before the answer; new ones follow. */
    ck_assert_uint_eq(t.events->len, 1);
    ck_assert_str_eq(str(g_ptr_array_index(t.events, 0), "vm"), "b");
    emit("vm.lifecycle", "c");
    later = call("host.info", NULL);
    ck_assert_uint_eq(t.events->len, 2);
    ck_assert_str_eq(str(g_ptr_array_index(t.events, 1), "vm"), "c");
}
END_TEST

START_TEST(test_events_since_bounded)
{
    g_autofree char *pad = g_strnfill(1000, 'x');
    g_autofree char *text = g_strdup_printf("{\"pad\":\"%s\"}", pad);
    g_autoptr(VlJson) data = vl_json_parse(text, strlen(text), NULL);
    g_autoptr(VlJson) first = NULL;
    g_autoptr(VlJson) rest = NULL;
    g_autofree char *params = NULL;
    const VlJson *r, *events;
    gint64 last;
    guint n;

    /* About 1.6 MiB of kept events: more than one answer may hold. */
    for (guint i = 0; i < 1500; i++) {
        vl_events_emit(t.bridge->events, "vm.lifecycle", "a", NULL, data);
    }
    first = call("events.since", "{\"seq\":0}");
    r = result_of(first);
    events = vl_json_object_get(r, "events");
    n = vl_json_array_length(events);
    ck_assert_uint_gt(n, 500);
    ck_assert_uint_lt(n, 1500);
    ck_assert(vl_json_get_bool(vl_json_object_get(r, "more")));
    ck_assert(!vl_json_get_bool(vl_json_object_get(r, "gap")));
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(r, "seq")), 1500);
    last = vl_json_get_int(vl_json_object_get(vl_json_array_get(events, n - 1), "seq"));
    ck_assert_int_eq(last, n);

    /* From the last one received: the rest, and no more. */
    params = g_strdup_printf("{\"seq\":%" G_GINT64_FORMAT "}", last);
    rest = call("events.since", params);
    r = result_of(rest);
    events = vl_json_object_get(r, "events");
    ck_assert_uint_eq(vl_json_array_length(events), 1500 - n);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(vl_json_array_get(events, 0), "seq")),
                     last + 1);
    ck_assert_ptr_null(vl_json_object_get(r, "more"));
}
END_TEST

/* The push follows the owner ------------------------------------------------------------------ */

/* host.info's push object, as root sees it. */
static VlJson *
push_info(void)
{
    g_autoptr(VlJson) info = call("host.info", NULL);

    return vl_json_ref((VlJson *)vl_json_object_get(result_of(info), "push"));
}

static gint64
queued(const VlJson *push)
{
    return vl_json_get_int(vl_json_object_get(push, "queued"));
}

START_TEST(test_push_follows_owner)
{
    g_autoptr(VlTlsIdentity) engine2 = vl_test_identity(t.dir, "engine2");
    g_autoptr(GError) error = NULL;
    g_autoptr(VlOwner) first =
        vl_owner_new("engine1", vl_tls_identity_cert_pem(t.manager),
                     vl_tls_identity_cert(t.manager), "https://127.0.0.1:1/engine1", "", &error);
    g_autoptr(VlOwner) second =
        vl_owner_new("engine2", vl_tls_identity_cert_pem(engine2), vl_tls_identity_cert(engine2),
                     "https://127.0.0.1:1/engine2", "", &error);
    g_autoptr(VlJson) push = NULL;
    g_autoptr(VlJson) released = NULL;

    ck_assert(first && second);
    t.bridge->push = vl_push_new(t.bridge);
    /* Taken behind vmlinkd's back (the state file changed): the next call finds it and points
     * the push at the owner. */
    {
        g_autoptr(VlOwnership) outside = vl_ownership_new(t.dir, 300);

        ck_assert(vl_ownership_take(outside, first, &error));
    }
    push = push_info();
    ck_assert_str_eq(str(push, "event_url"), "https://127.0.0.1:1/engine1");
    g_clear_pointer(&push, vl_json_unref);
    emit("vm.lifecycle", "a");
    push = push_info();
    ck_assert_int_eq(queued(push), 1);
    g_clear_pointer(&push, vl_json_unref);

    /* Another manager takes it: the push goes to it before the event about it is emitted (as
     * host.take_ownership does), so the new owner gets that event and not the old owner's. */
    ck_assert(vl_ownership_take(t.bridge->ownership, second, &error));
    vl_dispatch_sync_ownership(t.bridge);
    vl_events_emit(t.bridge->events, "host.ownership", NULL, NULL, NULL);
    push = push_info();
    ck_assert_str_eq(str(push, "event_url"), "https://127.0.0.1:1/engine2");
    ck_assert_int_eq(queued(push), 1);
    g_clear_pointer(&push, vl_json_unref);

    /* Released by root: no target, nothing queued. */
    released = call("host.release_ownership", NULL);
    ck_assert_str_eq(str(result_of(released), "released_by"), "engine2");
    push = push_info();
    ck_assert_ptr_null(vl_json_object_get(push, "event_url"));
    ck_assert_int_eq(queued(push), 0);
}
END_TEST

START_TEST(test_password_checks_bounded)
{
    g_autofree char *first = g_strdup_printf(
        "{\"jsonrpc\":\"2.0\",\"id\":900,\"method\":\"host.change_password\",\"params\":"
        "{\"password\":\"nope\",\"new_password\":\"%s\"}}\n",
        NEW_PASSWORD);
    g_autofree char *right =
        g_strdup_printf("{\"password\":\"%s\",\"new_password\":\"%s\"}", PASSWORD, NEW_PASSWORD);
    VlPasswordQueue *q = vl_ownership_hashing(t.bridge->ownership);
    g_autoptr(VlJson) refused = NULL;

    set_password(PASSWORD);
    vl_password_queue_set_max_waiting(q, 0);
    ck_assert_int_eq(send(t.fd, first, strlen(first), MSG_NOSIGNAL), (ssize_t)strlen(first));
    while (vl_password_queue_length(q) == 0) {
        g_main_context_iteration(NULL, TRUE);
    }
    /* One check running and no room to wait: refused before the throttle or any hashing, and
     * its secrets wiped. */
    refused = call("host.change_password", right);
    assert_error(refused, VL_RPC_RATE_LIMITED, "too many password checks waiting");
    ck_assert_str_eq(str(t.last_params, "password"), "");
    ck_assert_str_eq(str(t.last_params, "new_password"), "");
    while (vl_password_queue_length(q) > 0) {
        g_main_context_iteration(NULL, TRUE);
    }
}
END_TEST

int
main(void)
{
    const TTest *const tests[] = {
        test_dispatch_covers_catalogue,
        test_host_info,
        test_take_needs_tls,
        test_release_by_root,
        test_rotate_by_root,
        test_rotate_failure_announces_only_what_rotated,
        test_change_password,
        test_checks_queue_one_at_a_time,
        test_events_since,
        test_subscribe_since,
        test_events_since_bounded,
        test_push_follows_owner,
        test_password_checks_bounded,
        NULL,
    };
    Suite *s = suite_create("dispatch");
    TCase *tc = tcase_create("dispatch");

    /* Each test runs in a child of this process (libcheck forks): they inherit the capture. */
    logged = g_string_new(NULL);
    g_log_set_writer_func(capture, NULL, NULL);
    for (const TTest *const *test = tests; *test; test++) {
        tcase_add_test(tc, *test);
    }
    tcase_add_checked_fixture(tc, setup, teardown);
    suite_add_tcase(s, tc);
    return vl_check_run(s);
}
