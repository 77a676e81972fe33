/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ./dev demo: boots the tiny guest under libvirt and shows what can be seen of it today. Later
 * issues put vmlink-agent inside, vmlinkd beside it and vmlinkctl in front.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void
step(const char *text)
{
    printf("==> %s\n", text);
    fflush(stdout);
}

int
main(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VlHarness) harness = NULL;
    g_autoptr(VlGuest) guest = NULL;
    g_autoptr(VlLineSocket) sock = NULL;
    g_autofree char *reply = NULL;
    g_autofree char *ready = NULL;
    g_autofree char *echo = NULL;
    const char *root = g_getenv("VL_SOURCE_ROOT");

    step("making sure libvirtd runs and the guest images are built (cached after the first run)");
    harness = vl_harness_new(&error);
    if (harness == NULL) {
        fprintf(stderr, "vmlink-demo: %s\n", error->message);
        return EXIT_FAILURE;
    }
    printf("    kernel: %s\n    image:  %s\n", vl_harness_kernel(harness),
           vl_harness_image(harness, VL_IMAGE_TINY));

    echo = g_build_filename(root ? root : ".", "tests/system/guest/echo.sh", NULL);
    {
        const VlGuestFile files[] = {{echo, "/vl/echo.sh"}, {NULL, NULL}};
        const VlGuestSpec spec = {
            .image = VL_IMAGE_TINY,
            .network = TRUE,
            .address = 10,
            .init_script = "#!/bin/sh\n"
                           "echo \"VL-GUEST kernel $(uname -r), $(grep -c ^processor "
                           "/proc/cpuinfo) CPU, $(awk '/MemTotal/{print $2}' /proc/meminfo) "
                           "KiB RAM, eth0 $(ip -4 -o addr show eth0 | awk '{print $4}')\"\n"
                           "exec /vl/echo.sh org.vmlink.agent.0\n",
            .files = files,
        };

        step("booting the tiny guest under libvirt (QEMU, TCG)");
        guest = vl_guest_start(harness, "demo", &spec, &error);
    }
    if (guest == NULL || !vl_guest_wait_console(guest, "VL-TINY-READY", 60, &error) ||
        !vl_guest_wait_console(guest, "VL-PORT org.vmlink.agent.0", 60, &error)) {
        fprintf(stderr, "vmlink-demo: %s\n", error->message);
        return EXIT_FAILURE;
    }
    ready = vl_guest_console_line(guest, "VL-GUEST");
    printf("    domain %s booted in %.1f s\n    %s\n", vl_guest_name(guest),
           vl_guest_elapsed(guest), ready ? ready + strlen("VL-GUEST ") : "");

    step("talking to the guest over its org.vmlink.agent.0 virtio-serial channel");
    sock = vl_line_socket_connect(vl_guest_channel_path(guest, "org.vmlink.agent.0"), 10, &error);
    if (sock == NULL || !vl_line_socket_sync(sock, "guest:", 30, &error) ||
        !vl_line_socket_send(sock, "hello guest\n", 12, &error) ||
        (reply = vl_line_socket_recv(sock, 30000, &error)) == NULL) {
        fprintf(stderr, "vmlink-demo: %s\n", error->message);
        return EXIT_FAILURE;
    }
    printf("    host sent \"hello guest\", guest answered \"%s\"\n", reply);

    step("destroying the guest");
    g_clear_pointer(&sock, vl_line_socket_free);
    g_clear_pointer(&guest, vl_guest_free);
    printf("\nThe vmlink agent, host bridge and client arrive with the next issues; this demo\n"
           "grows with them.\n");
    return EXIT_SUCCESS;
}
