/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ./dev demo: the story so far, with the real programs. A Debian guest under libvirt runs
 * vmlink-agent, installed the way a package installs it; vmlinkd runs on this host and attaches
 * to it; vmlinkctl, the manager's command line, takes ownership of the host over TLS with the
 * agent password, then lists the VM, shows what its guest reports, follows a change made
 * inside the guest as it happens, and logs a user in on the guest's serial console (single
 * sign-on), every call over the owned TLS connection.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "harness.h"
#include "vl-client.h"
#include "vl-protocol.h"

#define WAIT_MS 120000

typedef struct {
    VlHarness *harness;
    VlGuest *guest;
    GSubprocess *bridge;
    char *work_dir;
    char *local;   /* unix:PATH of vmlinkd's root-only control socket */
    char *address; /* tls://127.0.0.1:PORT: the manager's way in */
    char *home;    /* the manager's configuration folder (XDG_CONFIG_HOME) */
    char *ctl;     /* the vmlinkctl binary */
} Demo;

#define DEMO_PASSWORD "demo agent password"

static void
step(const char *text)
{
    printf("\n==> %s\n", text);
    fflush(stdout);
}

static int
fail(const GError *error)
{
    fprintf(stderr, "vmlink-demo: %s\n", error ? error->message : "failed");
    return EXIT_FAILURE;
}

/* A launcher for vmlinkctl as the demo's manager. */
static GSubprocessLauncher *
manager_launcher(Demo *d, GSubprocessFlags flags)
{
    GSubprocessLauncher *launcher = g_subprocess_launcher_new(flags);

    g_subprocess_launcher_setenv(launcher, "XDG_CONFIG_HOME", d->home, TRUE);
    g_subprocess_launcher_setenv(launcher, "VMLINK_CONNECT", d->address, TRUE);
    return launcher;
}

/* Runs vmlinkctl (as the manager, on the TLS address) with args and input (NULL: none), its
 * output going straight to ours, after showing the command. */
static gboolean
vmlinkctl_input(Demo *d, const char *const *args, const char *input, GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GSubprocessLauncher) launcher =
        manager_launcher(d, input ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_NONE);
    g_autoptr(GSubprocess) p = NULL;
    g_autofree char *shown = g_strjoinv(" ", (char **)args);

    printf("$ vmlinkctl %s%s\n", shown, input ? " < password-file" : "");
    fflush(stdout);
    g_ptr_array_add(argv, d->ctl);
    for (const char *const *a = args; *a; a++) {
        g_ptr_array_add(argv, (gpointer)*a);
    }
    g_ptr_array_add(argv, NULL);
    p = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, error);
    if (p && input && !g_subprocess_communicate_utf8(p, input, NULL, NULL, NULL, error)) {
        return FALSE;
    }
    return p && g_subprocess_wait_check(p, NULL, error);
}

static gboolean
vmlinkctl(Demo *d, const char *const *args, GError **error)
{
    return vmlinkctl_input(d, args, NULL, error);
}

/* Runs a program to its end; returns its standard output. */
static char *
run_program(const char *const *argv, const char *input, GError **error)
{
    g_autoptr(GSubprocess) p = g_subprocess_newv(
        argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
    g_autofree char *out = NULL;

    if (p == NULL || !g_subprocess_communicate_utf8(p, input, NULL, &out, NULL, error) ||
        !g_subprocess_wait_check(p, NULL, error)) {
        return NULL;
    }
    return g_steal_pointer(&out);
}

/* A free TCP port of 127.0.0.1 for vmlinkd's TLS listener. */
static guint16
free_port(void)
{
    g_autoptr(GSocket) s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    if (s == NULL || !g_socket_bind(s, any, TRUE, NULL)) {
        return 8899;
    }
    bound = g_socket_get_local_address(s, NULL);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

/* Waits until vmlinkd has the guest's report (the agent answered its hello). */
static gboolean
wait_for_agent(Demo *d, GError **error)
{
    gint64 end = g_get_monotonic_time() + (gint64)WAIT_MS * 1000;
    g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
    g_autoptr(VlJson) params = NULL;

    vl_json_builder_begin_object(b);
    vl_json_builder_member(b, "vm");
    vl_json_builder_add_string(b, vl_guest_name(d->guest));
    vl_json_builder_end_object(b);
    params = vl_json_builder_finish(b);
    for (;;) {
        g_autoptr(VlClient) c = vl_client_connect(d->local, NULL);
        g_autoptr(VlJson) info = c ? vl_client_call(c, "guest.info", params, 10000, NULL) : NULL;
        const char *state =
            vl_json_get_string(vl_json_object_get(vl_json_object_get(info, "agent"), "state"));

        if (g_strcmp0(state, "responsive") == 0 &&
            vl_json_object_get(vl_json_object_get(info, "sections"), "os")) {
            return TRUE;
        }
        if (g_get_monotonic_time() > end) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                        "vmlinkd did not hear from the agent of %s within %d s",
                        vl_guest_name(d->guest), WAIT_MS / 1000);
            return FALSE;
        }
        g_usleep(200000);
    }
}

/* Follows events with `vmlinkctl events --follow` while a command runs in the guest, and shows
 * the event lines until the network report of our guest. */
static gboolean
follow_change(Demo *d, const char *command, GError **error)
{
    const char *argv[] = {d->ctl, "events", "--follow", NULL};
    g_autoptr(GSubprocessLauncher) launcher = manager_launcher(d, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_autoptr(GSubprocess) p = g_subprocess_launcher_spawnv(launcher, argv, error);
    g_autoptr(GDataInputStream) lines = NULL;
    g_autofree char *output = NULL;
    gint64 sent;
    int status = 0;

    if (p == NULL) {
        return FALSE;
    }
    lines = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
    printf("$ vmlinkctl events --follow &\n");
    g_usleep(G_USEC_PER_SEC / 2); /* let it subscribe */
    printf("guest# %s\n", command);
    fflush(stdout);
    sent = g_get_monotonic_time();
    if (!vl_guest_run(d->guest, command, &output, &status, 60, error)) {
        return FALSE;
    }
    for (;;) {
        g_autofree char *line = g_data_input_stream_read_line(lines, NULL, NULL, error);

        if (line == NULL) {
            return FALSE;
        }
        printf("%s\n", line);
        if (strstr(line, "guest.report") && strstr(line, "network")) {
            break;
        }
    }
    printf("(the network report arrived %.0f ms after the command was sent, its round trip "
           "through the guest's test shell included)\n",
           (double)(g_get_monotonic_time() - sent) / 1000);
    g_subprocess_send_signal(p, SIGINT);
    g_subprocess_wait(p, NULL, NULL);
    return TRUE;
}

/* Waits (up to 10 s) until vmlinkd's guest info lists a session of vltest on ttyS0. */
static gboolean
wait_session(Demo *d, GError **error)
{
    const char *argv[] = {d->ctl,      "--json", "guest", "info", vl_guest_name(d->guest),
                          "--section", "users",  NULL};
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    for (;;) {
        g_autoptr(GSubprocessLauncher) launcher =
            manager_launcher(d, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
        g_autoptr(GSubprocess) p = g_subprocess_launcher_spawnv(launcher, argv, error);
        g_autofree char *out = NULL;

        if (p == NULL || !g_subprocess_communicate_utf8(p, NULL, NULL, &out, NULL, error)) {
            return FALSE;
        }
        if (strstr(out, "\"vltest\"") && strstr(out, "\"ttyS0\"")) {
            return TRUE;
        }
        if (g_get_monotonic_time() >= end) {
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                "guest info lists no session of vltest on ttyS0");
            return FALSE;
        }
        g_usleep(200000);
    }
}

static void
demo_clear(Demo *d)
{
    if (d->bridge) {
        g_subprocess_send_signal(d->bridge, SIGTERM);
        g_subprocess_wait(d->bridge, NULL, NULL);
        g_clear_object(&d->bridge);
    }
    g_clear_pointer(&d->guest, vl_guest_free);
    g_clear_pointer(&d->harness, vl_harness_free);
    g_free(d->local);
    g_free(d->address);
    g_free(d->home);
    g_free(d->ctl);
    g_free(d->work_dir);
}

static int
run(Demo *d)
{
    g_autoptr(GError) error = NULL;
    VlGuestSpec spec = {.network = TRUE, .address = 10};
    g_autofree char *socket_path = NULL;
    g_autofree char *state_dir = NULL;
    g_autofree char *log_path = NULL;
    g_autofree char *config = NULL;
    g_autofree char *config_text = NULL;
    g_autofree char *audit = NULL;
    g_autofree char *fingerprint = NULL;
    guint16 port = free_port();
    g_autofree char *command = NULL;
    g_autofree char *prefix = NULL;
    const char *build = g_getenv("VL_BUILD_ROOT") ? g_getenv("VL_BUILD_ROOT") : ".";
    g_autofree char *vmlinkd = g_build_filename(build, "host-bridge", "vmlinkd", NULL);

    step("making sure libvirtd runs and the guest images are built (cached after the first run)");
    d->harness = vl_harness_new(&error);
    if (d->harness == NULL || !vl_harness_agent_spec(d->harness, &spec, &error)) {
        return fail(error);
    }
    printf("    kernel %s\n    image  %s\n    vmlink-agent installed with meson install into a "
           "copy of / appended to the image\n",
           vl_harness_kernel(d->harness), vl_harness_image(d->harness, VL_IMAGE_DEBIAN));

    step("booting a Debian 12 guest under libvirt (QEMU, TCG) on an isolated bridge");
    d->guest = vl_guest_start(d->harness, "demo", &spec, &error);
    if (d->guest == NULL || !vl_guest_wait_console(d->guest, "VL-DEBIAN-READY", 240, &error)) {
        return fail(error);
    }
    printf("    domain %s reached multi-user.target in %.1f s; udev started vmlink-agent when its "
           "port appeared\n",
           vl_guest_name(d->guest), vl_guest_elapsed(d->guest));

    step("starting vmlinkd, the host bridge, on qemu:///system, with an agent password");
    d->work_dir = g_dir_make_tmp("vmlink-demo-XXXXXX", &error);
    if (d->work_dir == NULL) {
        return fail(error);
    }
    socket_path = g_build_filename(d->work_dir, "vmlinkd.sock", NULL);
    state_dir = g_build_filename(d->work_dir, "state", NULL);
    log_path = g_build_filename(d->work_dir, "vmlinkd.log", NULL);
    config = g_build_filename(d->work_dir, "bridge.conf", NULL);
    audit = g_build_filename(d->work_dir, "audit.log", NULL);
    d->local = g_strconcat("unix:", socket_path, NULL);
    d->address = g_strdup_printf("tls://127.0.0.1:%u", port);
    d->home = g_build_filename(d->work_dir, "manager", NULL);
    d->ctl = g_build_filename(build, "client", "vmlinkctl", NULL);
    config_text =
        g_strdup_printf("[control]\nlisten = 127.0.0.1:%u\naudit-log = %s\n", port, audit);
    if (!g_file_set_contents(config, config_text, -1, &error)) {
        return fail(error);
    }
    {
        const char *argv[] = {vmlinkd,   "--config",       config, "--state-dir",
                              state_dir, "--set-password", NULL};
        g_autofree char *out = run_program(argv, DEMO_PASSWORD "\n", &error);

        if (out == NULL) {
            return fail(error);
        }
        printf("$ vmlinkd --set-password < password-file\n%s", out);
    }
    {
        const char *argv[] = {vmlinkd,   "--config",      config, "--state-dir",
                              state_dir, "--fingerprint", NULL};

        fingerprint = run_program(argv, NULL, &error);
        if (fingerprint == NULL) {
            return fail(error);
        }
        g_strstrip(fingerprint);
        printf("$ vmlinkd --fingerprint\n%s\n", fingerprint);
    }
    {
        const char *argv[] = {vmlinkd,          "--foreground",   "--config",    config,
                              "--libvirt-uri",  "qemu:///system", "--state-dir", state_dir,
                              "--local-socket", socket_path,      NULL};
        g_autoptr(GSubprocessLauncher) launcher =
            g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);

        g_subprocess_launcher_set_stderr_file_path(launcher, log_path);
        d->bridge = g_subprocess_launcher_spawnv(launcher, argv, &error);
    }
    if (d->bridge == NULL || !wait_for_agent(d, &error)) {
        return fail(error);
    }
    printf("    vmlinkd --foreground --libvirt-uri qemu:///system (TLS on 127.0.0.1:%u)\n"
           "    (its log: %s)\n",
           port, log_path);

    step("the manager takes ownership of the host over TLS (its identity is made on first use)");
    {
        const char *args[] = {"host", "info", NULL};
        if (!vmlinkctl(d, args, &error)) {
            return fail(error);
        }
    }
    {
        const char *args[] = {"host",      "take-ownership",   "--fingerprint",
                              fingerprint, "--password-stdin", NULL};
        if (!vmlinkctl_input(d, args, DEMO_PASSWORD "\n", &error)) {
            return fail(error);
        }
    }
    printf("    from here on every call goes over TLS as the owner (VMLINK_CONNECT=%s)\n",
           d->address);

    step("the VMs of this host, as the manager sees them");
    {
        const char *args[] = {"vm", "list", NULL};
        if (!vmlinkctl(d, args, &error)) {
            return fail(error);
        }
    }

    step("what the guest reports: OS, addresses, memory, file systems, users, applications");
    {
        const char *args[] = {"guest", "info", vl_guest_name(d->guest), NULL};
        if (!vmlinkctl(d, args, &error)) {
            return fail(error);
        }
    }

    step("a change inside the guest reaches the manager as it happens");
    prefix = g_strdup(vl_harness_host_ipv4(d->harness));
    prefix[strlen(prefix) - 1] = '\0';
    command = g_strdup_printf("ip addr add %s99/24 dev eth0", prefix);
    if (!follow_change(d, command, &error)) {
        return fail(error);
    }
    {
        const char *args[] = {"guest",     "info",    vl_guest_name(d->guest),
                              "--section", "network", NULL};
        if (!vmlinkctl(d, args, &error)) {
            return fail(error);
        }
    }

    step("scripts get the protocol's JSON");
    {
        const char *args[] = {"--json", "vm", "list", NULL};
        if (!vmlinkctl(d, args, &error)) {
            return fail(error);
        }
    }

    step("single sign-on: the manager logs vltest in on the guest's serial console");
    {
        const char *login[] = {"guest", "login", vl_guest_name(d->guest), "vltest", "--console",
                               "ttyS0", NULL};
        const char *users[] = {"guest",     "info",  vl_guest_name(d->guest),
                               "--section", "users", NULL};

        /* The test image's password of vltest; the agent hands it to PAM in the guest. */
        if (!vmlinkctl_input(d, login, "vltest\n", &error) || !wait_session(d, &error) ||
            !vmlinkctl(d, users, &error)) {
            return fail(error);
        }
    }

    step("the audit log: ownership taken, and who did what");
    {
        g_autofree char *text = NULL;

        if (g_file_get_contents(audit, &text, NULL, NULL)) {
            printf("%s", text);
        }
    }

    step("stopping vmlinkd and destroying the guest");
    return EXIT_SUCCESS;
}

int
main(void)
{
    Demo d = {0};
    int status = run(&d);

    demo_clear(&d);
    return status;
}
