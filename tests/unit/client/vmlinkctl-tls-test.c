/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkctl run as a process over TLS, against the scripted server with a real OpenSSL server
 * side: take-ownership (refused without --fingerprint when stdin is not a terminal, refused on a
 * wrong fingerprint, the password from stdin, the bridge pinned), commands refused for a bridge
 * this manager does not know or whose pin does not match, host info before ownership, release
 * forgetting the pin; and events --since. Each test has its own $XDG_CONFIG_HOME.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ctl-process.h"
#include "script-server.h"
#include "test-util.h"
#include "vl-protocol.h"
#include "vl-tls-context.h"
#include "vl-tls-identity.h"

/* A test's world: its config home (the manager) and a bridge identity. */
typedef struct {
    char *root;
    char *config_home;
    char *manager_dir;
    VlTlsIdentity *bridge;
    ScriptTls tls; /* the bridge's side of the scripted server */
} World;

/* An identity named name, kept in the folder dir of the world. */
static VlTlsIdentity *
world_identity(const World *w, const char *dir, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(w->root, dir, NULL);
    VlTlsIdentity *id = vl_tls_identity_load_or_create(path, name, 30, &error);

    ck_assert_msg(id != NULL, "%s", error ? error->message : "?");
    return id;
}

static void
world_init(World *w)
{
    w->root = vl_test_make_tmp_dir("vl-ctl-tls-XXXXXX");
    w->config_home = g_build_filename(w->root, "config", NULL);
    w->manager_dir = g_build_filename(w->config_home, "vmlink", NULL);
    w->bridge = world_identity(w, "bridge", "test bridge");
}

static void
world_clear(World *w)
{
    vl_tls_identity_free(w->bridge);
    vl_test_remove_tree(w->root);
    g_free(w->root);
    g_free(w->config_home);
    g_free(w->manager_dir);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(World, world_clear)

static char *
pin_path(const World *w, const ScriptServer *server)
{
    g_autofree char *name = g_strdup_printf("127.0.0.1_%u.pem", script_server_port(server));

    return g_build_filename(w->manager_dir, "hosts", name, NULL);
}

static void
write_pin(const World *w, const ScriptServer *server, const char *pem)
{
    g_autofree char *path = pin_path(w, server);
    g_autofree char *dir = g_path_get_dirname(path);

    ck_assert_int_eq(g_mkdir_with_parents(dir, 0700), 0);
    ck_assert(g_file_set_contents(path, pem, -1, NULL));
}

/* The pin kept for server is pem. */
static void
assert_pinned(const World *w, const ScriptServer *server, const char *pem)
{
    g_autofree char *path = pin_path(w, server);
    g_autofree char *pin = NULL;

    ck_assert(g_file_get_contents(path, &pin, NULL, NULL));
    ck_assert_str_eq(pin, pem);
}

/* No pin is kept for server. */
static void
assert_not_pinned(const World *w, const ScriptServer *server)
{
    g_autofree char *path = pin_path(w, server);

    ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
}

/* A scripted server playing steps over TLS as the world's bridge. */
static ScriptServer *
world_serve(World *w, const ScriptStep *steps)
{
    w->tls = (ScriptTls){.identity = w->bridge};
    return script_server_start_tls(steps, &w->tls);
}

/* The same, for a bridge this manager knows: its certificate is pinned. */
static ScriptServer *
world_serve_pinned(World *w, const ScriptStep *steps)
{
    ScriptServer *server = world_serve(w, steps);

    write_pin(w, server, vl_tls_identity_cert_pem(w->bridge));
    return server;
}

/* The answer of host.take_ownership or host.rotate_certificate with the bridge's certificate. */
static char *
ownership_response(const VlTlsIdentity *bridge)
{
    g_auto(GStrv) lines = g_strsplit(vl_tls_identity_cert_pem(bridge), "\n", -1);
    g_autofree char *pem = g_strjoinv("\\n", lines);

    return g_strdup_printf(
        "{\"jsonrpc\":\"2.0\",\"id\":$ID,\"result\":{\"owner\":\"m1\","
        "\"certificate\":\"%s\",\"fingerprint\":\"%s\",\"not_after\":%" G_GINT64_FORMAT "}}\n",
        pem, vl_tls_identity_fingerprint(bridge), vl_tls_identity_not_after(bridge));
}

/* take-ownership ----------------------------------------------------------------------------- */

START_TEST(test_take_needs_fingerprint_without_terminal)
{
    g_auto(World) w = {0};
    const ScriptStep steps[] = {READ, END};
    ScriptServer *server;
    g_auto(CtlRun) run = {0};

    world_init(&w);
    server = world_serve(&w, steps);
    ctl_run(&run, w.config_home, NULL, "s3cret\n", "--connect", script_server_address(server),
            "host", "take-ownership", NULL);
    ctl_assert_ran(&run, 2);
    test_util_assert_contains(run.err, "made this manager's identity in ");
    test_util_assert_contains(run.err, vl_tls_identity_fingerprint(w.bridge));
    test_util_assert_contains(run.err, "give it with --fingerprint");
    ck_assert_str_eq(run.out, "");
    ck_assert_uint_eq(script_server_finish(server)->len, 0);
    script_server_free(server);
}
END_TEST

START_TEST(test_take_wrong_fingerprint_refused)
{
    g_auto(World) w = {0};
    const ScriptStep steps[] = {READ, END};
    ScriptServer *server;
    g_auto(CtlRun) run = {0};

    world_init(&w);
    server = world_serve(&w, steps);
    ctl_run(&run, w.config_home, NULL, "s3cret\n", "--connect", script_server_address(server),
            "host", "take-ownership", "--fingerprint", "00:11:22", "--password-stdin", NULL);
    ctl_assert_ran(&run, 1);
    test_util_assert_contains(run.err, "refused");
    test_util_assert_contains(run.err, vl_tls_identity_fingerprint(w.bridge));
    ck_assert_uint_eq(script_server_finish(server)->len, 0);
    script_server_free(server);
}
END_TEST

START_TEST(test_take_ownership_pins_the_bridge)
{
    g_auto(World) w = {0};
    g_autofree char *response = NULL;
    ScriptServer *server;
    g_auto(CtlRun) run = {0};
    g_auto(CtlRun) list = {0};
    g_autofree char *fp = NULL;
    g_autofree char *expected = NULL;
    g_autoptr(VlJson) request = NULL;
    g_autoptr(GKeyFile) conf = g_key_file_new();
    g_autofree char *conf_path = NULL;
    g_autofree char *id = NULL;
    const VlJson *params;
    GPtrArray *requests;

    world_init(&w);
    response = ownership_response(w.bridge);
    {
        const ScriptStep steps[] = {READ, SEND(response), END};

        server = world_serve(&w, steps);
        /* The fingerprint as people may paste it: lower case, without colons. */
        fp = g_ascii_strdown(vl_tls_identity_fingerprint(w.bridge), -1);
        {
            g_auto(GStrv) parts = g_strsplit(fp, ":", -1);
            g_free(fp);
            fp = g_strjoinv("", parts);
        }
        ctl_run(&run, w.config_home, NULL, "s3cret\nnot read\n", "--connect",
                script_server_address(server), "host", "take-ownership", "--fingerprint", fp,
                "--password-stdin", "--event-url", "https://m1:7002/events", NULL);
        ctl_assert_ran(&run, 0);
        requests = script_server_finish(server);
    }
    expected =
        g_strdup_printf("Took ownership of 127.0.0.1:%u: owner m1\n", script_server_port(server));
    ck_assert_msg(g_str_has_prefix(run.out, expected), "%s", run.out);
    test_util_assert_contains(run.out, vl_tls_identity_fingerprint(w.bridge));

    /* What was sent: the password, this manager's id and the certificate it presented. */
    ck_assert_uint_eq(requests->len, 1);
    request = test_util_parse(g_ptr_array_index(requests, 0));
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(request, "method")),
                     "host.take_ownership");
    params = vl_json_object_get(request, "params");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(params, "password")), "s3cret");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(params, "event_url")),
                     "https://m1:7002/events");
    conf_path = g_build_filename(w.manager_dir, "manager.conf", NULL);
    ck_assert(g_key_file_load_from_file(conf, conf_path, 0, NULL));
    id = g_key_file_get_string(conf, "manager", "id", NULL);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(params, "manager_id")), id);
    {
        g_autofree char *sent_fp = vl_tls_fingerprint_of_pem(
            vl_json_get_string(vl_json_object_get(params, "manager_certificate")), NULL);

        ck_assert_str_eq(sent_fp, script_server_client_fingerprint(server));
    }

    /* The bridge is pinned. */
    assert_pinned(&w, server, vl_tls_identity_cert_pem(w.bridge));
    script_server_free(server);

    /* The manager is made once: the next run says nothing about it. */
    {
        const ScriptStep steps[] = {READ, SEND(RESPONSE("{\"vms\":[]}")), END};

        server = world_serve_pinned(&w, steps);
        ctl_run(&list, w.config_home, NULL, NULL, "--connect", script_server_address(server), "vm",
                "list", NULL);
        ctl_assert_ran(&list, 0);
        ck_assert_str_eq(list.err, "");
        ck_assert_uint_eq(script_server_finish(server)->len, 1);
        script_server_free(server);
    }
}
END_TEST

START_TEST(test_take_answer_must_match_handshake)
{
    g_auto(World) w = {0};
    g_autoptr(VlTlsIdentity) other = NULL;
    g_autofree char *response = NULL;
    ScriptServer *server;
    g_auto(CtlRun) run = {0};

    world_init(&w);
    other = world_identity(&w, "other", "other");
    response = ownership_response(other); /* not the certificate of the connection */
    {
        const ScriptStep steps[] = {READ, SEND(response), END};

        server = world_serve(&w, steps);
        ctl_run(&run, w.config_home, NULL, "s3cret\n", "--connect", script_server_address(server),
                "host", "take-ownership", "--fingerprint", vl_tls_identity_fingerprint(w.bridge),
                NULL);
        script_server_finish(server);
    }
    ctl_assert_ran(&run, 1);
    test_util_assert_contains(run.err, "not pinned");
    assert_not_pinned(&w, server);
    script_server_free(server);
}
END_TEST

/* Pins --------------------------------------------------------------------------------------- */

START_TEST(test_unknown_bridge_refused_before_connecting)
{
    g_auto(World) w = {0};
    const ScriptStep steps[] = {READ, END};
    ScriptServer *server;
    g_auto(CtlRun) run = {0};
    g_autofree char *expected = NULL;

    world_init(&w);
    server = world_serve(&w, steps);
    ctl_run(&run, w.config_home, NULL, NULL, "--connect", script_server_address(server), "vm",
            "list", NULL);
    ctl_assert_ran(&run, 3);
    expected = g_strdup_printf("vmlinkctl: 127.0.0.1:%u is not known to this manager: take "
                               "ownership first (vmlinkctl --connect tls://127.0.0.1:%u host "
                               "take-ownership)\n",
                               script_server_port(server), script_server_port(server));
    ck_assert_msg(g_str_has_suffix(run.err, expected), "%s", run.err);
    script_server_free(server); /* nobody connected */
}
END_TEST

START_TEST(test_pin_mismatch_exits_3)
{
    g_auto(World) w = {0};
    g_autoptr(VlTlsIdentity) other = NULL;
    const ScriptStep steps[] = {READ, SEND(RESPONSE("{\"vms\":[]}")), END};
    ScriptServer *server;
    g_auto(CtlRun) run = {0};

    world_init(&w);
    other = world_identity(&w, "other", "other");
    server = world_serve(&w, steps);
    write_pin(&w, server, vl_tls_identity_cert_pem(other));
    ctl_run(&run, w.config_home, NULL, NULL, "--connect", script_server_address(server), "vm",
            "list", NULL);
    ctl_assert_ran(&run, 3);
    test_util_assert_contains(run.err, "is not the bridge pinned for it");
    test_util_assert_contains(run.err, vl_tls_identity_fingerprint(w.bridge));
    test_util_assert_contains(run.err, vl_tls_identity_fingerprint(other));
    test_util_assert_contains(run.err, "(the pin: ");
    ck_assert_uint_eq(script_server_finish(server)->len, 0);
    script_server_free(server);
}
END_TEST

START_TEST(test_renewed_bridge_repinned)
{
    g_auto(World) w = {0};
    const ScriptStep steps[] = {READ, SEND(RESPONSE("{\"vms\":[]}")), END};
    g_autofree char *old_pem = NULL;
    ScriptServer *server;
    g_auto(CtlRun) run = {0};

    world_init(&w);
    old_pem = g_strdup(vl_tls_identity_cert_pem(w.bridge));
    ck_assert(vl_tls_identity_renew_if_needed(w.bridge, 400, 30, NULL, NULL));
    server = world_serve(&w, steps);
    write_pin(&w, server, old_pem);
    ctl_run(&run, w.config_home, NULL, NULL, "--connect", script_server_address(server), "vm",
            "list", NULL);
    ctl_assert_ran(&run, 0);
    assert_pinned(&w, server, vl_tls_identity_cert_pem(w.bridge));
    script_server_finish(server);
    script_server_free(server);
}
END_TEST

START_TEST(test_host_info_before_ownership)
{
    g_auto(World) w = {0};
    const ScriptStep steps[] = {
        READ,
        SEND(RESPONSE("{\"name\":\"vmlinkd\",\"version\":\"0.1.0\",\"protocol_versions\":[1],"
                      "\"ownership\":\"owned\",\"owner\":\"m9\",\"owned_since\":1763769700,"
                      "\"caller_is_owner\":false}")),
        END};
    ScriptServer *server;
    g_auto(CtlRun) run = {0};

    world_init(&w);
    server = world_serve(&w, steps);
    ctl_run(&run, w.config_home, NULL, NULL, "--connect", script_server_address(server), "host",
            "info", NULL);
    ctl_assert_ran(&run, 0);
    test_util_assert_contains(run.out, vl_tls_identity_fingerprint(w.bridge));
    test_util_assert_contains(run.out, "bridge not known");
    test_util_assert_contains(run.out, "Owner:");
    test_util_assert_contains(run.out, "m9");
    ck_assert_uint_eq(script_server_finish(server)->len, 1);
    script_server_free(server);
}
END_TEST

START_TEST(test_release_forgets_pin)
{
    g_auto(World) w = {0};
    const ScriptStep steps[] = {READ, SEND(RESPONSE("{\"released_by\":\"m1\"}")), END};
    ScriptServer *server;
    g_auto(CtlRun) run = {0};

    world_init(&w);
    server = world_serve_pinned(&w, steps);
    ctl_run(&run, w.config_home, NULL, NULL, "--connect", script_server_address(server), "host",
            "release-ownership", NULL);
    ctl_assert_ran(&run, 0);
    test_util_assert_contains(run.out, "forgot its pin");
    assert_not_pinned(&w, server);
    script_server_finish(server);
    script_server_free(server);
}
END_TEST

START_TEST(test_change_password_two_lines)
{
    g_auto(World) w = {0};
    const ScriptStep steps[] = {READ, SEND(RESPONSE("{}")), END};
    ScriptServer *server;
    g_auto(CtlRun) run = {0};
    g_autoptr(VlJson) request = NULL;
    const VlJson *params;

    world_init(&w);
    server = world_serve_pinned(&w, steps);
    ctl_run(&run, w.config_home, NULL, "old-one\nnew-password\n", "--connect",
            script_server_address(server), "host", "change-password", NULL);
    ctl_assert_ran(&run, 0);
    ck_assert_str_eq(run.out, "Agent password changed.\n");
    request = test_util_parse(g_ptr_array_index(script_server_finish(server), 0));
    params = vl_json_object_get(request, "params");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(params, "password")), "old-one");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(params, "new_password")),
                     "new-password");
    script_server_free(server);
}
END_TEST

START_TEST(test_rotate_bridge_repins)
{
    g_auto(World) w = {0};
    g_autoptr(VlTlsIdentity) fresh = NULL;
    g_autofree char *response = NULL;
    ScriptServer *server;
    g_auto(CtlRun) run = {0};
    g_autoptr(VlJson) request = NULL;

    world_init(&w);
    fresh = world_identity(&w, "fresh", "new bridge key");
    response = ownership_response(fresh); /* the bridge's new key, on the old connection */
    {
        const ScriptStep steps[] = {READ, SEND(response), END};

        server = world_serve_pinned(&w, steps);
        ctl_run(&run, w.config_home, NULL, NULL, "--connect", script_server_address(server), "host",
                "rotate-certificate", "--bridge", "--manager", NULL);
        ctl_assert_ran(&run, 0);
        request = test_util_parse(g_ptr_array_index(script_server_finish(server), 0));
    }
    ck_assert(
        vl_json_get_bool(vl_json_object_get(vl_json_object_get(request, "params"), "bridge")));
    ck_assert_ptr_nonnull(
        vl_json_object_get(vl_json_object_get(request, "params"), "manager_certificate"));
    assert_pinned(&w, server, vl_tls_identity_cert_pem(fresh));
    test_util_assert_contains(run.out, "This manager's certificate: ");
    script_server_free(server);
}
END_TEST

/* events --since (any transport) ------------------------------------------------------------- */

START_TEST(test_events_since)
{
    g_auto(World) w = {0};
    const ScriptStep steps[] = {
        READ,
        SEND(RESPONSE("{\"events\":[{\"seq\":6,\"time\":1763769700123,\"event\":"
                      "\"host.ownership\",\"data\":{\"owner\":\"m1\"}},{\"seq\":7,\"time\":"
                      "1763769700124,\"event\":\"agent.state\",\"vm\":\"web1\",\"data\":"
                      "{\"state\":\"responsive\"}}],\"seq\":7,\"gap\":true}")),
        END};
    g_autoptr(ScriptServer) server = script_server_start(steps);
    g_auto(CtlRun) run = {0};
    g_autoptr(VlJson) request = NULL;
    g_auto(GStrv) lines = NULL;

    world_init(&w);
    ctl_run(&run, w.config_home, NULL, NULL, "--connect", script_server_address(server), "events",
            "--since", "5", "--kind", "host.ownership", "--kind", "agent.state", "--json", NULL);
    ctl_assert_ran(&run, 0);
    lines = g_strsplit(run.out, "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 3);
    test_util_assert_contains(lines[0], "\"seq\":6");
    test_util_assert_contains(lines[1], "\"seq\":7");
    test_util_assert_contains(run.err, "events after #5 have already left the bridge's ring");
    request = test_util_parse(g_ptr_array_index(script_server_finish(server), 0));
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(request, "method")), "events.since");
    {
        g_autofree char *p = vl_json_to_string(vl_json_object_get(request, "params"), NULL);
        ck_assert_str_eq(p, "{\"seq\":5,\"events\":[\"host.ownership\",\"agent.state\"]}");
    }
}
END_TEST

static Suite *
vmlinkctl_tls_suite(void)
{
    Suite *s = suite_create("vmlinkctl-tls");
    TCase *take = tcase_create("take-ownership");
    TCase *pins = tcase_create("pins");
    TCase *events = tcase_create("events");

    tcase_set_timeout(take, 60);
    tcase_add_test(take, test_take_needs_fingerprint_without_terminal);
    tcase_add_test(take, test_take_wrong_fingerprint_refused);
    tcase_add_test(take, test_take_ownership_pins_the_bridge);
    tcase_add_test(take, test_take_answer_must_match_handshake);
    suite_add_tcase(s, take);

    tcase_set_timeout(pins, 60);
    tcase_add_test(pins, test_unknown_bridge_refused_before_connecting);
    tcase_add_test(pins, test_pin_mismatch_exits_3);
    tcase_add_test(pins, test_renewed_bridge_repinned);
    tcase_add_test(pins, test_host_info_before_ownership);
    tcase_add_test(pins, test_release_forgets_pin);
    tcase_add_test(pins, test_change_password_two_lines);
    tcase_add_test(pins, test_rotate_bridge_repins);
    suite_add_tcase(s, pins);

    tcase_add_test(events, test_events_since);
    suite_add_tcase(s, events);
    return s;
}

int
main(void)
{
    return vl_check_run(vmlinkctl_tls_suite());
}
