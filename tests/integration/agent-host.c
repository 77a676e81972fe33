/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "agent-host.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "vl-test-util.h"

/* The log of the agent last started with one, shown when it stops answering. */
static char *last_log_path;

static void
show_log(void)
{
    g_autofree char *log = NULL;

    if (last_log_path && g_file_get_contents(last_log_path, &log, NULL, NULL)) {
        fprintf(stderr, "--- the agent's log (%s):\n%s---\n", last_log_path, log);
    }
}

AgentHost *
agent_host_start(const char *config_text, const char *const *prefix, const char *const *env,
                 gboolean with_log)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
        with_log ? G_SUBPROCESS_FLAGS_STDERR_MERGE : G_SUBPROCESS_FLAGS_NONE);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *config = NULL;
    g_autofree char *channel = NULL;
    const char *binary = g_getenv("VL_AGENT");
    AgentHost *host = g_new0(AgentHost, 1);

    ck_assert_msg(binary != NULL, "VL_AGENT names the agent binary");
    host->work_dir = vl_test_make_tmp_dir("vl-agent-host-XXXXXX");
    host->socket_path = g_build_filename(host->work_dir, "agent.sock", NULL);
    host->log_path = g_build_filename(host->work_dir, "agent.log", NULL);
    config = g_build_filename(host->work_dir, "agent.conf", NULL);
    ck_assert(g_file_set_contents(config, config_text, -1, NULL));
    channel = g_strconcat("unix-listen:", host->socket_path, NULL);

    for (const char *const *p = prefix; p && *p; p++) {
        g_ptr_array_add(argv, (gpointer)*p);
    }
    g_ptr_array_add(argv, (gpointer)binary);
    g_ptr_array_add(argv, "--config");
    g_ptr_array_add(argv, config);
    g_ptr_array_add(argv, "--channel");
    g_ptr_array_add(argv, channel);
    g_ptr_array_add(argv, NULL);
    for (const char *const *e = env; e && e[0]; e += 2) {
        g_subprocess_launcher_setenv(launcher, e[0], e[1], TRUE);
    }
    if (with_log) {
        g_subprocess_launcher_set_stdout_file_path(launcher, host->log_path);
        g_free(last_log_path);
        last_log_path = g_strdup(host->log_path);
    }
    host->process =
        g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
    ck_assert_msg(host->process != NULL, "%s", error ? error->message : "");
    return host;
}

int
agent_host_stop_process(AgentHost *host)
{
    int status = 0;

    if (host->process) {
        g_subprocess_send_signal(host->process, SIGTERM);
        g_subprocess_wait(host->process, NULL, NULL);
        status = g_subprocess_get_status(host->process);
        g_clear_object(&host->process);
    }
    return status;
}

void
agent_host_stop(AgentHost *host)
{
    if (host == NULL) {
        return;
    }
    agent_host_stop_process(host);
    vl_test_remove_tree(host->work_dir);
    g_free(host->work_dir);
    g_free(host->socket_path);
    g_free(host->log_path);
    g_free(host);
}

VlJson *
agent_host_receive(VlLineSocket *sock, const VlEntry **ret_entry)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *line = vl_line_socket_recv(sock, AGENT_HOST_WAIT_MS, &error);
    VlJson *message;
    const VlEntry *entry = NULL;

    if (line == NULL) {
        show_log();
    }
    ck_assert_msg(line != NULL, "no message from the agent: %s", error ? error->message : "");
    ck_assert(vl_json_check(line, strlen(line), VL_FRAME_DEFAULT_MAX_DEPTH, &error));
    message = vl_json_parse(line, strlen(line), &error);
    ck_assert_msg(message != NULL, "%s", error ? error->message : "");
    ck_assert_msg(
        vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_GUEST, message, &entry, &error),
        "the agent sent an invalid message: %s: %s", error ? error->message : "", line);
    if (ret_entry) {
        *ret_entry = entry;
    }
    return message;
}

VlJson *
agent_host_receive_type(VlLineSocket *sock, const char *type)
{
    for (;;) {
        const VlEntry *entry = NULL;
        g_autoptr(VlJson) m = agent_host_receive(sock, &entry);

        if (g_str_equal(entry->name, type)) {
            return g_steal_pointer(&m);
        }
        ck_assert_msg(g_str_equal(entry->name, "heartbeat") || g_str_equal(entry->name, "event"),
                      "expected %s, got %s", type, entry->name);
    }
}

void
agent_host_send_line(VlLineSocket *sock, const char *line)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *framed = g_strconcat(line, "\n", NULL);

    ck_assert_msg(vl_line_socket_send(sock, framed, strlen(framed), &error), "%s",
                  error ? error->message : "");
}

const char *
agent_host_member(const VlJson *m, const char *name)
{
    return vl_json_get_string(vl_json_object_get(m, name));
}

VlLineSocket *
agent_host_connect_and_greet(AgentHost *host, const char *nonce)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlLineSocket) sock = vl_line_socket_connect(host->socket_path, 20, &error);
    g_autoptr(VlJson) greeting = NULL;
    g_autoptr(VlJson) hello = NULL;
    g_autoptr(VlJson) report = NULL;
    g_autofree char *line = NULL;

    ck_assert_msg(sock != NULL, "%s", error ? error->message : "");
    /* The agent greets first, without a nonce. */
    greeting = agent_host_receive_type(sock, "hello");
    ck_assert(vl_json_object_get(greeting, "nonce") == NULL);
    ck_assert_str_eq(agent_host_member(vl_json_object_get(greeting, "agent"), "name"),
                     "vmlink-agent");

    line = g_strdup_printf("{\"type\":\"hello\",\"versions\":[1,7],\"nonce\":\"%s\"}", nonce);
    agent_host_send_line(sock, line);
    hello = agent_host_receive_type(sock, "hello");
    ck_assert_str_eq(agent_host_member(hello, "nonce"), nonce);
    ck_assert_int_eq(vl_json_get_int(vl_json_object_get(hello, "version")), 1);

    report = agent_host_receive_type(sock, "report");
    ck_assert(vl_json_get_bool(vl_json_object_get(report, "full")));
    for (const char *const *s = vl_report_sections; *s; s++) {
        ck_assert_msg(vl_json_object_get(vl_json_object_get(report, "sections"), *s) != NULL,
                      "the full report lacks the %s section", *s);
    }
    return g_steal_pointer(&sock);
}
