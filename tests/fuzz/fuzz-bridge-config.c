/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as /etc/vmlink/bridge.conf. A file loads or is refused with an error that
 * names it; loaded values stay within the table's bounds, and a listen address that loaded
 * parses again.
 */
#include <stdint.h>
#include <stdlib.h>

#include "vl-bridge-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VlBridgeConfig) config = vl_bridge_config_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *address = NULL;
    guint16 port;

    if (!vl_bridge_config_load_data(config, (const char *)data, size, "fuzz.conf", &error)) {
        if (error == NULL || !g_str_has_prefix(error->message, "fuzz.conf")) {
            abort(); /* an error must name the file */
        }
        return 0;
    }
    if (config->max_frame < 4096 || config->rate_burst < 1 || config->max_inflight < 1 ||
        config->max_connections < 1 || config->push_batch < 1) {
        abort();
    }
    if (!vl_bridge_listen_parse(config->listen, &address, &port, &error) && error) {
        abort(); /* accepted when loaded, refused now */
    }
    return 0;
}
