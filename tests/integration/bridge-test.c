/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkd as a whole, without QEMU: libvirt's test driver (a real libvirt connection, its
 * domains described by a node file written here) gives it two running VMs whose vmlink
 * channels are UNIX sockets: web1's is served by the real vmlink-agent on unix-listen, web2's by
 * a scripted guest that misbehaves. The test talks to vmlinkd's local control socket through
 * libvmlink-client, which checks every answer against the catalogue.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "vl-client.h"
#include "vl-protocol.h"
#include "vl-test-util.h"

#define WAIT_MS 20000
#define WEB1_UUID "11111111-2222-3333-4444-555555555501"
#define WEB2_UUID "11111111-2222-3333-4444-555555555502"

static char *work_dir;
static char *control_path;
static char *agent_path;
static char *web2_path;
static GSubprocess *agent;
static GSubprocess *bridge;
static int web2_listener = -1;

static char *
work_file(const char *name)
{
    return g_build_filename(work_dir, name, NULL);
}

static GSubprocess *
spawn(const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    GSubprocess *p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_NONE, &error);

    ck_assert_msg(p != NULL, "%s: %s", argv[0], error ? error->message : "");
    return p;
}

/* Stops a program with SIGTERM; it must exit cleanly (in a sanitizer build, a leak or an error
 * found at exit makes the status non-zero). */
static void
stop(GSubprocess **p)
{
    if (*p) {
        g_subprocess_send_signal(*p, SIGTERM);
        g_subprocess_wait(*p, NULL, NULL);
        ck_assert_msg(g_subprocess_get_if_exited(*p) && g_subprocess_get_exit_status(*p) == 0,
                      "a program of the test did not exit cleanly (wait status %d)",
                      g_subprocess_get_status(*p));
        g_clear_object(p);
    }
}

static void
write_node(void)
{
    g_autofree char *node = work_file("node.xml");
    g_autofree char *xml =
        g_strdup_printf("<node>\n"
                        "  <domain type='test'>\n"
                        "    <name>web1</name><uuid>" WEB1_UUID "</uuid>\n"
                        "    <memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os>\n"
                        "    <devices><channel type='unix'><source mode='bind' path='%s'/>"
                        "<target type='virtio' name='org.vmlink.agent.0'/></channel></devices>\n"
                        "  </domain>\n"
                        "  <domain type='test'>\n"
                        "    <name>web2</name><uuid>" WEB2_UUID "</uuid>\n"
                        "    <memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os>\n"
                        "    <devices><channel type='unix'><source mode='bind' path='%s'/>"
                        "<target type='virtio' name='org.vmlink.agent.0'/></channel></devices>\n"
                        "  </domain>\n"
                        "  <domain type='test'>\n"
                        "    <name>plain</name><memory>65536</memory><vcpu>1</vcpu>"
                        "<os><type>hvm</type></os>\n"
                        "  </domain>\n"
                        "</node>\n",
                        agent_path, web2_path);

    ck_assert(g_file_set_contents(node, xml, -1, NULL));
}

static void
start_bridge(void)
{
    const char *binary = g_getenv("VL_BRIDGE");
    g_autofree char *node = work_file("node.xml");
    g_autofree char *uri = g_strconcat("test://", node, NULL);
    g_autofree char *state = work_file("state");
    g_autofree char *config = work_file("bridge.conf");
    const char *argv[] = {binary,     "--foreground", "--config", config,           "--libvirt-uri",
                          uri,        "--state-dir",  state,      "--local-socket", control_path,
                          "--listen", "none",         NULL};

    ck_assert_msg(binary != NULL, "VL_BRIDGE names vmlinkd");
    bridge = spawn(argv);
}

static void
setup(void)
{
    const char *binary = g_getenv("VL_AGENT");
    g_autofree char *agent_config = NULL;
    g_autofree char *channel = NULL;
    g_autofree char *bridge_config = NULL;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    /* The agent in a network namespace of its own, as in the agent's test: other tests change
     * this machine's interfaces, which would push reports at odd moments. */
    const char *argv[] = {"unshare", "--net", binary, "--config", NULL, "--channel", NULL, NULL};

    work_dir = vl_test_make_tmp_dir("vl-bridge-test-XXXXXX");
    control_path = work_file("vmlinkd.sock");
    agent_path = work_file("web1.sock");
    web2_path = work_file("web2.sock");
    agent_config = work_file("agent.conf");
    ck_assert(g_file_set_contents(agent_config, "[agent]\nheartbeat-interval = 1\n", -1, NULL));
    bridge_config = work_file("bridge.conf");
    {
        g_autofree char *audit = work_file("audit.log");
        g_autofree char *text = g_strdup_printf(
            "[channels]\nheartbeat-interval = 1\nmax-frame-size = 65536\n"
            "reconnect-max-delay = 1\ncommand-timeout = 10\n[control]\naudit-log = %s\n",
            audit);

        ck_assert(g_file_set_contents(bridge_config, text, -1, NULL));
    }
    channel = g_strconcat("unix-listen:", agent_path, NULL);
    argv[4] = agent_config;
    argv[6] = channel;
    ck_assert_msg(binary != NULL, "VL_AGENT names vmlink-agent");
    agent = spawn(geteuid() == 0 ? argv : argv + 2);

    /* web2's channel: a listening socket the test answers itself. */
    web2_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    strcpy(addr.sun_path, web2_path);
    ck_assert_int_eq(bind(web2_listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(web2_listener, 4), 0);

    write_node();
    start_bridge();
}

static void
teardown(void)
{
    stop(&bridge);
    stop(&agent);
    if (web2_listener >= 0) {
        close(web2_listener);
        web2_listener = -1;
    }
    vl_test_remove_tree(work_dir);
    g_clear_pointer(&work_dir, g_free);
    g_clear_pointer(&control_path, g_free);
    g_clear_pointer(&agent_path, g_free);
    g_clear_pointer(&web2_path, g_free);
}

/* A client, once vmlinkd answers. */
static VlClient *
client(void)
{
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;

    for (;;) {
        g_autoptr(GError) error = NULL;
        VlClient *c = vl_client_connect(control_path, &error);

        if (c) {
            return c;
        }
        ck_assert_msg(g_get_monotonic_time() < end, "vmlinkd does not answer on %s: %s",
                      control_path, error->message);
        g_usleep(20000);
    }
}

static VlJson *
params_vm(const char *vm)
{
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, vm);
    vl_json_builder_end_object(b);
    return vl_json_builder_finish(b);
}

static VlJson *
call_ok(VlClient *c, const char *method, const VlJson *params)
{
    g_autoptr(GError) error = NULL;
    VlJson *result = vl_client_call(c, method, params, WAIT_MS, &error);

    ck_assert_msg(result != NULL, "%s: %s", method, error ? error->message : "");
    return result;
}

static GError *
call_fails(VlClient *c, const char *method, const VlJson *params)
{
    GError *error = NULL;
    g_autoptr(VlJson) result = vl_client_call(c, method, params, WAIT_MS, &error);

    ck_assert_msg(result == NULL, "%s succeeded", method);
    return error;
}

/* guest.info of vm once its agent is responsive and has reported os. */
static VlJson *
wait_guest_info(VlClient *c, const char *vm)
{
    g_autoptr(VlJson) params = params_vm(vm);
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;

    for (;;) {
        VlJson *info = call_ok(c, "guest.info", params);
        const VlJson *agent_info = vl_json_object_get(info, "agent");

        if (g_strcmp0(vl_json_get_string(vl_json_object_get(agent_info, "state")), "responsive") ==
                0 &&
            vl_json_object_get(vl_json_object_get(info, "sections"), "os")) {
            return info;
        }
        vl_json_unref(info);
        ck_assert_msg(g_get_monotonic_time() < end, "the agent of %s never reported", vm);
        g_usleep(50000);
    }
}

/* The next event of kind (others are skipped). */
static VlJson *
next_event(VlClient *c, const char *kind, const char *vm)
{
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;

    for (;;) {
        g_autoptr(GError) error = NULL;
        VlJson *event = vl_client_next_event(c, WAIT_MS, &error);

        ck_assert_msg(event != NULL, "no %s event: %s", kind, error ? error->message : "");
        if (g_str_equal(vl_json_get_string(vl_json_object_get(event, "event")), kind) &&
            (vm == NULL ||
             g_strcmp0(vl_json_get_string(vl_json_object_get(event, "vm")), vm) == 0)) {
            return event;
        }
        vl_json_unref(event);
        ck_assert_msg(g_get_monotonic_time() < end, "no %s event in time", kind);
    }
}

static char *
os_release_id(void)
{
    g_autofree char *text = NULL;

    ck_assert(g_file_get_contents("/etc/os-release", &text, NULL, NULL));
    for (char **lines = g_strsplit(text, "\n", -1), **l = lines; l && *l; l++) {
        if (g_str_has_prefix(*l, "ID=")) {
            char *id = g_strdup(*l + 3);

            g_strfreev(lines);
            return id;
        }
    }
    ck_abort_msg("no ID in /etc/os-release");
    return NULL;
}

/* Tests ---------------------------------------------------------------------------------------- */

START_TEST(test_host_info_and_list)
{
    g_autoptr(VlClient) c = client();
    g_autoptr(VlJson) info = call_ok(c, "host.info", NULL);
    g_autoptr(VlJson) list = call_ok(c, "vm.list", NULL);
    const VlJson *vms = vl_json_object_get(list, "vms");

    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(info, "name")), "vmlinkd");
    ck_assert(vl_json_get_bool(vl_json_object_get(info, "libvirt_connected")));
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(info, "vms")), 3);
    /* Its TLS identity was made at start; no password yet. */
    ck_assert_uint_eq(strlen(vl_json_get_string(vl_json_object_get(info, "fingerprint"))), 95);
    ck_assert(!vl_json_get_bool(vl_json_object_get(info, "password_set")));
    ck_assert_uint_eq(vl_json_array_length(vms), 3);
    /* sorted by name: plain, web1, web2 */
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(vl_json_array_get(vms, 1), "name")),
                     "web1");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(vl_json_array_get(vms, 1), "uuid")),
                     WEB1_UUID);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(vl_json_array_get(vms, 0), "agent")),
                     "absent");
}
END_TEST

START_TEST(test_guest_info_from_the_real_agent)
{
    g_autoptr(VlClient) c = client();
    g_autoptr(VlJson) info = wait_guest_info(c, "web1");
    g_autoptr(VlJson) by_uuid = NULL;
    g_autoptr(VlJson) params = params_vm(WEB1_UUID);
    const VlJson *sections = vl_json_object_get(info, "sections");
    const VlJson *agent_info = vl_json_object_get(info, "agent");
    g_autofree char *os_id = os_release_id();

    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(agent_info, "name")), "vmlink-agent");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(agent_info, "version")), VL_VERSION);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(agent_info, "protocol")), 1);
    /* What the agent on this machine says of it. */
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_object_get(sections, "os"), "id")), os_id);
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_object_get(sections, "host"), "hostname")),
        g_get_host_name());
    for (guint i = 0; vl_report_sections[i]; i++) {
        ck_assert_msg(vl_json_object_get(sections, vl_report_sections[i]), "no %s section",
                      vl_report_sections[i]);
        ck_assert_int_gt(vl_json_get_int(vl_json_object_get(vl_json_object_get(info, "updated"),
                                                            vl_report_sections[i])),
                         0);
    }
    ck_assert_int_eq(
        vl_json_get_int(vl_json_object_get(vl_json_object_get(info, "counters"), "invalid")), 0);

    /* By UUID too; and a VM that does not exist. */
    by_uuid = call_ok(c, "guest.info", params);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(by_uuid, "name")), "web1");
    {
        g_autoptr(VlJson) nobody = params_vm("nobody");
        g_autoptr(GError) error = call_fails(c, "guest.info", nobody);

        ck_assert(g_error_matches(error, VL_CALL_ERROR, VL_RPC_NOT_FOUND));
    }
}
END_TEST

START_TEST(test_guest_commands_and_events)
{
    g_autoptr(VlClient) c = client();
    g_autoptr(VlJson) subscribed = NULL;
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) refresh = NULL;
    g_autoptr(VlJson) reply = NULL;
    g_autoptr(VlJson) event = NULL;
    const VlJson *sections;

    vl_json_unref(wait_guest_info(c, "web1"));
    subscribed = call_ok(c, "events.subscribe", NULL);
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, "web1");
    vl_json_builder_member(b, "sections");
    vl_json_builder_begin_array(b);
    vl_json_builder_add_string(b, "os");
    vl_json_builder_end_array(b);
    vl_json_builder_end_object(b);
    refresh = vl_json_builder_finish(b);
    reply = call_ok(c, "guest.refresh", refresh);
    ck_assert_ptr_nonnull(vl_json_object_get(reply, "reply"));

    /* The refreshed section arrives as an event, with a sequence number past the subscription. */
    event = next_event(c, "guest.report", "web1");
    ck_assert_int_gt(vl_json_get_int(vl_json_object_get(event, "seq")),
                     vl_json_get_int(vl_json_object_get(subscribed, "seq")));
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(event, "uuid")), WEB1_UUID);
    sections = vl_json_object_get(vl_json_object_get(event, "data"), "sections");
    ck_assert_uint_eq(vl_json_array_length(sections), 1);
    ck_assert_str_eq(vl_json_get_string(vl_json_array_get(sections, 0)), "os");
}
END_TEST

START_TEST(test_lifecycle_detaches_and_reattaches)
{
    g_autoptr(VlClient) c = client();
    g_autoptr(VlJson) web1 = params_vm("web1");
    g_autoptr(VlJson) paused = NULL;
    g_autoptr(VlJson) event = NULL;
    g_autoptr(VlJson) resumed = NULL;
    g_autoptr(VlJson) destroyed = NULL;
    g_autoptr(VlJson) absent = NULL;
    g_autoptr(VlJson) after_stop = NULL;
    g_autoptr(VlJson) started = NULL;
    g_autoptr(VlJson) again = NULL;
    g_autoptr(GError) conflict = NULL;

    vl_json_unref(wait_guest_info(c, "web1"));
    vl_json_unref(call_ok(c, "events.subscribe", NULL));
    paused = call_ok(c, "vm.pause", web1);
    event = next_event(c, "vm.lifecycle", "web1");
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(paused, "state")), "paused");
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_object_get(event, "data"), "state")),
        "paused");
    conflict = call_fails(c, "vm.pause", web1);
    ck_assert(g_error_matches(conflict, VL_CALL_ERROR, VL_RPC_CONFLICT));
    resumed = call_ok(c, "vm.resume", web1);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(resumed, "state")), "running");

    /* Stopped: the channel is let go, what the guest said is forgotten. */
    destroyed = call_ok(c, "vm.destroy", web1);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(destroyed, "state")), "shutoff");
    absent = next_event(c, "agent.state", "web1");
    ck_assert_str_eq(
        vl_json_get_string(vl_json_object_get(vl_json_object_get(absent, "data"), "state")),
        "absent");
    after_stop = call_ok(c, "guest.info", web1);
    ck_assert_uint_eq(vl_json_object_size(vl_json_object_get(after_stop, "sections")), 0);

    /* Started again: attached again, and a full report again. */
    started = call_ok(c, "vm.start", web1);
    ck_assert_str_eq(vl_json_get_string(vl_json_object_get(started, "state")), "running");
    again = wait_guest_info(c, "web1");
    ck_assert_int_ge(
        vl_json_get_int(vl_json_object_get(vl_json_object_get(again, "counters"), "connects")), 2);
}
END_TEST

START_TEST(test_bridge_restart_reattaches)
{
    g_autoptr(VlClient) before = client();
    g_autoptr(VlClient) after = NULL;
    g_autoptr(VlJson) again = NULL;

    vl_json_unref(wait_guest_info(before, "web1"));
    g_clear_pointer(&before, vl_client_free);
    stop(&bridge);
    start_bridge();
    after = client();
    again = wait_guest_info(after, "web1");
    ck_assert_ptr_nonnull(vl_json_object_get(vl_json_object_get(again, "sections"), "network"));
}
END_TEST

/* web2's scripted guest: handshake, then garbage, bad messages and an oversized frame. */
static gpointer
misbehave(gpointer data)
{
    int fd = accept4(web2_listener, NULL, NULL, SOCK_CLOEXEC);
    char buf[4096];
    ssize_t n;
    char *nonce;
    GString *junk = g_string_new(NULL);

    if (fd < 0) {
        return NULL;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    buf[MAX(n, 0)] = '\0';
    nonce = strstr(buf, "\"nonce\":\"");
    if (nonce) {
        g_autofree char *value = g_strndup(nonce + 9, strcspn(nonce + 9, "\""));
        g_autofree char *hello =
            g_strdup_printf("{\"type\":\"hello\",\"versions\":[1],\"nonce\":\"%s\","
                            "\"agent\":{\"name\":\"bad\",\"version\":\"0\"}}\n",
                            value);

        (void)!write(fd, hello, strlen(hello));
    }
    for (guint i = 0; i < 200; i++) {
        g_string_append(junk, "garbage\n{\"type\":\"report\",\"seq\":1}\n");
    }
    g_string_append(junk, "{\"type\":\"report\",\"x\":\"");
    for (guint i = 0; i < 70000; i++) {
        g_string_append_c(junk, 'x');
    }
    g_string_append(junk, "\"}\n");
    (void)!write(fd, junk->str, junk->len);
    g_string_free(junk, TRUE);
    g_usleep(G_USEC_PER_SEC / 2);
    close(fd);
    return NULL;
}

START_TEST(test_misbehaving_guest_is_contained)
{
    GThread *thread = g_thread_new("web2", misbehave, NULL);
    g_autoptr(VlClient) c = client();
    g_autoptr(VlJson) web2 = params_vm("web2");
    g_autoptr(VlJson) info = NULL;
    g_autoptr(VlJson) web1 = NULL;
    const VlJson *counters;
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;

    g_thread_join(thread);
    for (;;) {
        g_clear_pointer(&info, vl_json_unref);
        info = call_ok(c, "guest.info", web2);
        counters = vl_json_object_get(info, "counters");
        if (vl_json_get_int(vl_json_object_get(counters, "invalid")) >= 401) {
            break;
        }
        ck_assert_msg(g_get_monotonic_time() < end, "web2's bad frames were not all counted");
        g_usleep(50000);
    }
    ck_assert_int_ge(vl_json_get_int(vl_json_object_get(counters, "dropped_bytes")), 65536);
    ck_assert_uint_eq(vl_json_object_size(vl_json_object_get(info, "sections")), 0);
    /* The other guest is unharmed. */
    web1 = wait_guest_info(c, "web1");
}
END_TEST

START_TEST(test_bad_requests)
{
    g_autoptr(VlClient) c = client();
    g_autoptr(VlJson) qmp = NULL;
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(GError) disabled = NULL;
    g_autoptr(GError) agentless = NULL;
    g_autoptr(VlJson) plain = params_vm("plain");
    g_autoptr(VlJson) info = NULL;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    char buf[1024];
    ssize_t n;
    static const char junk[] = "not json\n{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"vm.nope\"}\n"
                               "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"vm.start\","
                               "\"params\":{\"vm\":7}}\n";

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, "web1");
    vl_json_builder_member(b, "command");
    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "execute");
    vl_json_builder_add_string(b, "query-status");
    vl_json_builder_end_object(b);
    vl_json_builder_end_object(b);
    qmp = vl_json_builder_finish(b);
    disabled = call_fails(c, "vm.qmp", qmp);
    ck_assert(g_error_matches(disabled, VL_CALL_ERROR, VL_RPC_DISABLED));
    ck_assert_ptr_nonnull(strstr(disabled->message, "qmp-passthrough"));
    agentless = call_fails(c, "guest.lock", plain);
    ck_assert(g_error_matches(agentless, VL_CALL_ERROR, VL_RPC_AGENT_UNAVAILABLE));

    /* Raw bytes the client library would never send: each gets its JSON-RPC error. */
    strcpy(addr.sun_path, control_path);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(write(fd, junk, sizeof(junk) - 1), (ssize_t)sizeof(junk) - 1);
    shutdown(fd, SHUT_WR);
    {
        GString *all = g_string_new(NULL);

        while ((n = read(fd, buf, sizeof(buf))) > 0) {
            g_string_append_len(all, buf, n);
        }
        ck_assert_ptr_nonnull(strstr(all->str, "\"id\":null,\"error\":{\"code\":-32700"));
        ck_assert_ptr_nonnull(strstr(all->str, "\"id\":5,\"error\":{\"code\":-32601"));
        ck_assert_ptr_nonnull(strstr(all->str, "\"id\":6,\"error\":{\"code\":-32602"));
        g_string_free(all, TRUE);
    }
    close(fd);
    /* And vmlinkd is still there. */
    info = call_ok(c, "host.info", NULL);
}
END_TEST

START_TEST(test_only_root_may_connect)
{
    pid_t pid;
    int status;
    if (geteuid() != 0) {
        return; /* the check is root's; nothing to compare with as another user */
    }
    vl_client_free(client()); /* the socket exists */
    /* Let the file system allow it, so the peer check is what refuses. */
    ck_assert_int_eq(chmod(work_dir, 0755), 0);
    ck_assert_int_eq(chmod(control_path, 0666), 0);
    pid = fork();
    if (pid == 0) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        char buf[512] = {0};
        int fd;

        if (setgid(65534) < 0 || setuid(65534) < 0) {
            _exit(10);
        }
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        strcpy(addr.sun_path, control_path);
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
            _exit(11);
        }
        /* vmlinkd may have refused and closed already: no SIGPIPE for that. */
        (void)!send(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.list\"}\n", 45,
                    MSG_NOSIGNAL);
        if (read(fd, buf, sizeof(buf) - 1) <= 0) {
            _exit(12);
        }
        if (strstr(buf, "only root") && strstr(buf, "-32001") && !strstr(buf, "vms")) {
            _exit(0);
        }
        fprintf(stderr, "refused connection read: %s\n", buf);
        _exit(13);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child wait status %d", status);
}
END_TEST

/* vmlinkd out of file descriptors: it stops accepting for a moment instead of spinning on the
 * listener, says so about once a second, and serves again once descriptors are free. */
START_TEST(test_out_of_descriptors)
{
    const char *binary = g_getenv("VL_BRIDGE");
    g_autofree char *node = work_file("node.xml");
    g_autofree char *uri = g_strconcat("test://", node, NULL);
    g_autofree char *state = work_file("state");
    g_autofree char *log = work_file("vmlinkd.log");
    g_autofree char *text = NULL;
    g_autofree char *config = work_file("bridge.conf");
    const char *argv[] = {
        "prlimit",  "--nofile=48:48", binary,     "--foreground",   "--libvirt-uri",
        uri,        "--state-dir",    state,      "--local-socket", control_path,
        "--config", config,           "--listen", "none",           NULL};
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
    g_autoptr(GError) error = NULL;
    g_autoptr(VlClient) c = NULL;
    g_autoptr(VlJson) info = NULL;
    int fds[60];
    guint warnings = 0;
    const char *p;

    vl_client_free(client()); /* started: it handles SIGTERM now */
    stop(&bridge);
    g_subprocess_launcher_set_stderr_file_path(launcher, log);
    bridge = g_subprocess_launcher_spawnv(launcher, argv, &error);
    ck_assert_msg(bridge != NULL, "%s", error ? error->message : "");
    vl_client_free(client()); /* it answers */

    /* More connections than descriptors left: the rest wait in the listen queue. */
    for (guint i = 0; i < G_N_ELEMENTS(fds); i++) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};

        fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        strcpy(addr.sun_path, control_path);
        ck_assert_int_eq(connect(fds[i], (struct sockaddr *)&addr, sizeof(addr)), 0);
    }
    g_usleep(2500 * 1000);
    ck_assert(g_file_get_contents(log, &text, NULL, NULL));
    for (p = text; (p = strstr(p, "out of file descriptors")); p++) {
        warnings++;
    }
    /* Spinning on the listener would log this thousands of times in these 2.5 s. */
    ck_assert_msg(warnings >= 1 && warnings <= 5, "%u warnings about descriptors", warnings);
    for (guint i = 0; i < G_N_ELEMENTS(fds); i++) {
        close(fds[i]);
    }
    c = client();
    info = call_ok(c, "host.info", NULL);
    ck_assert(vl_json_get_bool(vl_json_object_get(info, "libvirt_connected")));
}
END_TEST

/* Runs vmlinkd with args and input on its standard input; its status, stdout and stderr. */
static int
run_bridge(const char *const *args, const char *input, char **ret_out, char **ret_err)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GError) error = NULL;

    g_ptr_array_add(argv, (gpointer)g_getenv("VL_BRIDGE"));
    for (const char *const *a = args; *a; a++) {
        g_ptr_array_add(argv, (gpointer)*a);
    }
    g_ptr_array_add(argv, NULL);
    p = g_subprocess_newv((const char *const *)argv->pdata,
                          G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_PIPE,
                          &error);
    ck_assert_msg(p != NULL, "%s", error ? error->message : "");
    ck_assert(g_subprocess_communicate_utf8(p, input, NULL, ret_out, ret_err, &error));
    ck_assert_msg(g_subprocess_get_if_exited(p), "vmlinkd %s: killed by signal %d: %s", args[2],
                  g_subprocess_get_term_sig(p), *ret_err);
    return g_subprocess_get_exit_status(p);
}

/* --fingerprint and --set-password: the identity is made once, its fingerprint is OpenSSL's,
 * and the password is stored only as a hash, in a file only root can read. */
START_TEST(test_identity_and_password)
{
    g_autofree char *state = work_file("identity-state");
    g_autofree char *cert = g_build_filename(state, "tls", "cert.pem", NULL);
    g_autofree char *state_file = g_build_filename(state, "state.json", NULL);
    const char *fingerprint[] = {"--state-dir", state, "--fingerprint", NULL};
    const char *set_password[] = {"--state-dir", state, "--set-password", NULL};
    const char *openssl[] = {"openssl", "x509", "-noout", "-fingerprint",
                             "-sha256", "-in",  cert,     NULL};
    g_autofree char *first = NULL, *again = NULL, *theirs = NULL, *err = NULL, *text = NULL;
    g_autoptr(GSubprocess) p = NULL;
    struct stat st;

    ck_assert_int_eq(run_bridge(fingerprint, NULL, &first, &err), 0);
    g_clear_pointer(&err, g_free);
    ck_assert_int_eq(run_bridge(fingerprint, NULL, &again, &err), 0);
    ck_assert_str_eq(first, again); /* made once, then loaded */
    p = g_subprocess_newv(openssl, G_SUBPROCESS_FLAGS_STDOUT_PIPE, NULL);
    ck_assert(g_subprocess_communicate_utf8(p, NULL, NULL, &theirs, NULL, NULL));
    ck_assert_msg(strstr(theirs, g_strstrip(first)) != NULL, "openssl says %s, vmlinkd %s", theirs,
                  first);

    g_clear_pointer(&err, g_free);
    ck_assert_int_eq(run_bridge(set_password, "correct horse\n", NULL, &err), 0);
    ck_assert_int_eq(stat(state_file, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert(g_file_get_contents(state_file, &text, NULL, NULL));
    ck_assert_ptr_null(strstr(text, "correct horse"));
    ck_assert_ptr_nonnull(strstr(text, "$scrypt$"));

    /* An empty password is refused, and the stored one stays. */
    g_clear_pointer(&err, g_free);
    ck_assert_int_eq(run_bridge(set_password, "\n", NULL, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "not changed"));
    g_clear_pointer(&theirs, g_free);
    ck_assert(g_file_get_contents(state_file, &theirs, NULL, NULL));
    ck_assert_str_eq(theirs, text);
}
END_TEST

static Suite *
bridge_suite(void)
{
    Suite *s = suite_create("vmlinkd");
    TCase *tc = tcase_create("bridge");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_host_info_and_list);
    tcase_add_test(tc, test_guest_info_from_the_real_agent);
    tcase_add_test(tc, test_guest_commands_and_events);
    tcase_add_test(tc, test_lifecycle_detaches_and_reattaches);
    tcase_add_test(tc, test_bridge_restart_reattaches);
    tcase_add_test(tc, test_misbehaving_guest_is_contained);
    tcase_add_test(tc, test_bad_requests);
    tcase_add_test(tc, test_only_root_may_connect);
    tcase_add_test(tc, test_out_of_descriptors);
    tcase_add_test(tc, test_identity_and_password);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *runner = srunner_create(bridge_suite());
    int failed;

    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
