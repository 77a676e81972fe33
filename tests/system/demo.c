/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ./dev demo: a real Debian guest under libvirt with vmlink-agent installed the way a package
 * installs it, and this program in the host bridge's seat: it greets the agent over the VM's
 * virtio-serial channel, shows what the guest reports, changes the guest and shows the change
 * arrive unasked. Later issues put vmlinkd and vmlinkctl in this seat.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vl-protocol.h"

#define AGENT_PORT "org.vmlink.agent.0"
#define WAIT_MS 60000

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

/* The next valid message of the given type from the agent, or NULL. */
static VlJson *
receive_type(VlLineSocket *sock, const char *type, GError **error)
{
    for (;;) {
        g_autofree char *line = vl_line_socket_recv(sock, WAIT_MS, error);
        g_autoptr(VlJson) m = NULL;
        const VlEntry *entry = NULL;

        if (line == NULL || !vl_json_check(line, strlen(line), VL_FRAME_DEFAULT_MAX_DEPTH, error) ||
            (m = vl_json_parse(line, strlen(line), error)) == NULL ||
            !vl_catalogue_validate(&vl_guest_catalogue, VL_SENDER_GUEST, m, &entry, error)) {
            return NULL;
        }
        if (g_str_equal(entry->name, type)) {
            return g_steal_pointer(&m);
        }
    }
}

static const char *
str(const VlJson *object, const char *name)
{
    const char *s = vl_json_get_string(vl_json_object_get(object, name));
    return s ? s : "-";
}

static void
show_report(const VlJson *sections)
{
    const VlJson *os = vl_json_object_get(sections, "os");
    const VlJson *host = vl_json_object_get(sections, "host");
    const VlJson *memory = vl_json_object_get(sections, "memory");
    const VlJson *cpu = vl_json_object_get(sections, "cpu");
    const VlJson *interfaces =
        vl_json_object_get(vl_json_object_get(sections, "network"), "interfaces");
    const VlJson *apps = vl_json_object_get(sections, "applications");
    const VlJson *filesystems = vl_json_object_get(sections, "filesystems");

    if (os) {
        printf("    %-14s %s (kernel %s, %s)\n", "OS", str(os, "pretty_name"),
               str(os, "kernel_release"), str(os, "arch"));
    }
    if (host) {
        printf("    %-14s %s, zone %s, up %" G_GINT64_FORMAT " s\n", "Host", str(host, "hostname"),
               str(host, "timezone"), vl_json_get_int(vl_json_object_get(host, "uptime_s")));
    }
    if (memory) {
        printf("    %-14s %" G_GINT64_FORMAT " MiB, %" G_GINT64_FORMAT " MiB available\n", "Memory",
               vl_json_get_int(vl_json_object_get(memory, "total_kib")) / 1024,
               vl_json_get_int(vl_json_object_get(memory, "available_kib")) / 1024);
    }
    if (cpu) {
        printf("    %-14s %" G_GINT64_FORMAT ", load %.2f\n", "CPUs",
               vl_json_get_int(vl_json_object_get(cpu, "count")),
               vl_json_get_double(vl_json_object_get(cpu, "load1")));
    }
    for (guint i = 0; i < vl_json_array_length(interfaces); i++) {
        const VlJson *nic = vl_json_array_get(interfaces, i);
        const VlJson *addresses = vl_json_object_get(nic, "addresses");
        g_autoptr(GString) list = g_string_new(NULL);

        for (guint j = 0; j < vl_json_array_length(addresses); j++) {
            const VlJson *a = vl_json_array_get(addresses, j);
            g_string_append_printf(list, "%s%s/%" G_GINT64_FORMAT, j ? ", " : "", str(a, "address"),
                                   vl_json_get_int(vl_json_object_get(a, "prefix")));
        }
        printf("    %-14s %s %s %s\n", i == 0 ? "Interfaces" : "", str(nic, "name"),
               str(nic, "mac"), list->str);
    }
    if (apps) {
        printf("    %-14s %u installed, e.g. %s %s\n", "Applications", vl_json_array_length(apps),
               str(vl_json_array_get(apps, 0), "name"), str(vl_json_array_get(apps, 0), "version"));
    }
    if (filesystems) {
        printf("    %-14s %u mounted\n", "File systems", vl_json_array_length(filesystems));
    }
}

int
main(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlHarness) harness = NULL;
    g_autoptr(VlGuest) guest = NULL;
    g_autoptr(VlLineSocket) sock = NULL;
    g_autoptr(VlJson) hello = NULL;
    g_autoptr(VlJson) report = NULL;
    g_autofree char *destdir = NULL;
    g_autofree char *prefix = NULL;
    g_autofree char *command = NULL;
    g_autofree char *output = NULL;
    g_autofree char *nonce = vl_protocol_new_nonce();
    g_autofree char *line = NULL;
    gint64 sent;
    int status = 0;

    step("making sure libvirtd runs and the guest images are built (cached after the first run)");
    harness = vl_harness_new(&error);
    if (harness == NULL) {
        return fail(error);
    }
    destdir = vl_harness_install_build(harness, &error);
    if (destdir == NULL) {
        return fail(error);
    }
    printf("    kernel %s\n    image  %s\n    vmlink-agent installed with meson install into a "
           "copy of / appended to the image\n",
           vl_harness_kernel(harness), vl_harness_image(harness, VL_IMAGE_DEBIAN));

    step("booting a Debian 12 guest under libvirt (QEMU, TCG) on an isolated bridge");
    {
        const VlGuestSpec spec = {
            .image = VL_IMAGE_DEBIAN, .network = TRUE, .address = 10, .tree = destdir};

        guest = vl_guest_start(harness, "demo", &spec, &error);
    }
    if (guest == NULL || !vl_guest_wait_console(guest, "VL-DEBIAN-READY", 240, &error)) {
        return fail(error);
    }
    printf("    domain %s reached multi-user.target in %.1f s; udev started vmlink-agent when its "
           "port appeared\n",
           vl_guest_name(guest), vl_guest_elapsed(guest));

    step("greeting the agent over the VM's org.vmlink.agent.0 virtio-serial channel");
    sock = vl_line_socket_connect(vl_guest_channel_path(guest, AGENT_PORT), 10, &error);
    line = g_strdup_printf("{\"type\":\"hello\",\"versions\":[1],\"nonce\":\"%s\"}\n", nonce);
    if (sock == NULL || !vl_line_socket_send(sock, line, strlen(line), &error)) {
        return fail(error);
    }
    do {
        g_clear_pointer(&hello, vl_json_unref);
        hello = receive_type(sock, "hello", &error);
        if (hello == NULL) {
            return fail(error);
        }
    } while (g_strcmp0(str(hello, "nonce"), nonce) != 0);
    printf("    %s %s answered with our nonce, protocol version %" G_GINT64_FORMAT "\n",
           str(vl_json_object_get(hello, "agent"), "name"),
           str(vl_json_object_get(hello, "agent"), "version"),
           vl_json_get_int(vl_json_object_get(hello, "version")));

    step("its full report");
    report = receive_type(sock, "report", &error);
    if (report == NULL) {
        return fail(error);
    }
    show_report(vl_json_object_get(report, "sections"));

    step("adding an address inside the guest: the agent pushes the change, unasked");
    prefix = g_strdup(vl_harness_host_ipv4(harness));
    prefix[strlen(prefix) - 1] = '\0';
    command = g_strdup_printf("ip addr add %s99/24 dev eth0", prefix);
    sent = g_get_monotonic_time();
    if (!vl_guest_run(guest, command, &output, &status, 60, &error)) {
        return fail(error);
    }
    g_clear_pointer(&report, vl_json_unref);
    report = receive_type(sock, "report", &error);
    if (report == NULL) {
        return fail(error);
    }
    printf("    guest# %s\n    report of the %s section %.0f ms later (the command's own round "
           "trip through the guest included):\n",
           command,
           vl_json_object_size(vl_json_object_get(report, "sections")) == 1 ? "changed" : "every",
           (double)(g_get_monotonic_time() - sent) / 1000);
    show_report(vl_json_object_get(report, "sections"));

    step("destroying the guest");
    g_clear_pointer(&sock, vl_line_socket_free);
    g_clear_pointer(&guest, vl_guest_free);
    printf("\nNext: vmlinkd takes this seat for every VM of the host, and vmlinkctl shows it to "
           "the manager.\n");
    return EXIT_SUCCESS;
}
