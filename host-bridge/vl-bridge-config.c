/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-bridge-config.h"

#include <stddef.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK(vl-bridge-config-error-quark, vl_bridge_config_error)
/* clang-format on */

typedef enum { KEY_STRING, KEY_UINT, KEY_BOOL, KEY_ACCEL, KEY_LISTEN } KeyType;

typedef struct {
    const char *group;
    const char *key;
    KeyType type;
    guint64 min, max; /* KEY_UINT */
    size_t offset;
} Key;

#define MIB (1024 * 1024)
#define AT(member) offsetof(VlBridgeConfig, member)

static const Key keys[] = {
    {"bridge", "libvirt-uri", KEY_STRING, 0, 0, AT(libvirt_uri)},
    {"bridge", "local-socket", KEY_STRING, 0, 0, AT(local_socket)},
    {"bridge", "state-dir", KEY_STRING, 0, 0, AT(state_dir)},
    {"bridge", "default-accel", KEY_ACCEL, 0, 0, AT(default_accel)},
    {"channels", "max-frame-size", KEY_UINT, 4096, 64 * MIB, AT(max_frame)},
    {"channels", "rate-messages", KEY_UINT, 0, 1000000, AT(rate_messages)},
    {"channels", "rate-burst", KEY_UINT, 1, 1000000, AT(rate_burst)},
    {"channels", "rate-bytes", KEY_UINT, 0, 1024 * MIB, AT(rate_bytes)},
    {"channels", "heartbeat-interval", KEY_UINT, 1, 3600, AT(heartbeat_s)},
    {"channels", "reconnect-max-delay", KEY_UINT, 1, 3600, AT(reconnect_max_s)},
    {"channels", "command-timeout", KEY_UINT, 1, 3600, AT(command_timeout_s)},
    {"control", "qmp-passthrough", KEY_BOOL, 0, 0, AT(qmp_passthrough)},
    {"control", "max-request-size", KEY_UINT, 4096, 64 * MIB, AT(max_request)},
    {"control", "max-output-buffer", KEY_UINT, MIB, 1024 * MIB, AT(max_output)},
    {"control", "max-requests-in-flight", KEY_UINT, 1, 4096, AT(max_inflight)},
    {"control", "listen", KEY_LISTEN, 0, 0, AT(listen)},
    {"control", "max-connections", KEY_UINT, 1, 65536, AT(max_connections)},
    {"control", "handshake-timeout", KEY_UINT, 1, 600, AT(handshake_timeout_s)},
    {"control", "login-backoff-max", KEY_UINT, 1, 86400, AT(login_backoff_max_s)},
    {"control", "audit-log", KEY_STRING, 0, 0, AT(audit_log)},
    {"push", "queue-size", KEY_UINT, 1, 1000000, AT(push_queue)},
    {"push", "batch-size", KEY_UINT, 1, 10000, AT(push_batch)},
    {"push", "stats-interval", KEY_UINT, 0, 86400, AT(stats_interval_s)},
    {"push", "retry-max-delay", KEY_UINT, 1, 3600, AT(push_retry_max_s)},
    {"push", "timeout", KEY_UINT, 1, 600, AT(push_timeout_s)},
    {"qemu-ga", "enabled", KEY_BOOL, 0, 0, AT(qga_enabled)},
    {"qemu-ga", "interval", KEY_UINT, 0, 86400, AT(qga_interval_s)},
    {"qemu-ga", "timeout", KEY_UINT, 1, 600, AT(qga_timeout_s)},
};

VlBridgeConfig *
vl_bridge_config_new(void)
{
    VlBridgeConfig *c = g_new0(VlBridgeConfig, 1);

    c->libvirt_uri = g_strdup("qemu:///system");
    c->local_socket = g_strdup(VL_BRIDGE_DEFAULT_SOCKET);
    c->state_dir = g_strdup(VL_BRIDGE_DEFAULT_STATE_DIR);
    c->default_accel = g_strdup("kvm");
    c->max_frame = MIB;
    c->rate_messages = 200;
    c->rate_burst = 1000;
    c->rate_bytes = 8 * MIB;
    c->heartbeat_s = 5;
    c->reconnect_max_s = 30;
    c->command_timeout_s = 30;
    c->qmp_passthrough = FALSE;
    c->max_request = MIB;
    c->max_output = 64 * MIB;
    c->max_inflight = 64;
    c->listen = g_strdup(VL_BRIDGE_DEFAULT_LISTEN);
    c->max_connections = 256;
    c->handshake_timeout_s = 10;
    c->login_backoff_max_s = 300;
    c->audit_log = g_strdup(VL_BRIDGE_DEFAULT_AUDIT_LOG);
    c->push_queue = 10000;
    c->push_batch = 500;
    c->stats_interval_s = 60;
    c->push_retry_max_s = 60;
    c->push_timeout_s = 30;
    c->qga_enabled = TRUE;
    c->qga_interval_s = 60;
    c->qga_timeout_s = 10;
    return c;
}

void
vl_bridge_config_free(VlBridgeConfig *c)
{
    if (c == NULL) {
        return;
    }
    g_free(c->libvirt_uri);
    g_free(c->local_socket);
    g_free(c->state_dir);
    g_free(c->default_accel);
    g_free(c->listen);
    g_free(c->audit_log);
    g_free(c);
}

static const Key *
find_key(const char *group, const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (g_str_equal(keys[i].group, group) && (key == NULL || g_str_equal(keys[i].key, key))) {
            return &keys[i];
        }
    }
    return NULL;
}

static char *
known_keys(const char *group)
{
    GString *s = g_string_new(NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (g_str_equal(keys[i].group, group)) {
            g_string_append_printf(s, "%s%s", s->len ? ", " : "", keys[i].key);
        }
    }
    return g_string_free(s, FALSE);
}

static gboolean
set_value(VlBridgeConfig *c, const Key *k, const char *text, const char *name, GError **error)
{
    char *base = (char *)c + k->offset;
    guint64 number;

    switch (k->type) {
    case KEY_LISTEN: {
        g_autofree char *address = NULL;
        g_autoptr(GError) local_error = NULL;
        guint16 port;

        if (!vl_bridge_listen_parse(text, &address, &port, &local_error) && local_error) {
            g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "%s: [%s] %s: %s", name, k->group, k->key, local_error->message);
            return FALSE;
        }
        g_free(*(char **)base);
        *(char **)base = g_strdup(text);
        return TRUE;
    }
    case KEY_ACCEL:
        if (!g_str_equal(text, "kvm") && !g_str_equal(text, "tcg")) {
            g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "%s: [%s] %s = \"%s\" is neither kvm nor tcg", name, k->group, k->key,
                        text);
            return FALSE;
        }
        G_GNUC_FALLTHROUGH; /* stored as a string */
    case KEY_STRING:
        if (*text == '\0') {
            g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "%s: [%s] %s is empty (remove the line to keep the default)", name,
                        k->group, k->key);
            return FALSE;
        }
        g_free(*(char **)base);
        *(char **)base = g_strdup(text);
        return TRUE;
    case KEY_BOOL:
        if (g_str_equal(text, "true") || g_str_equal(text, "false")) {
            *(gboolean *)base = g_str_equal(text, "true");
            return TRUE;
        }
        g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_INVALID,
                    "%s: [%s] %s = \"%s\" is neither true nor false", name, k->group, k->key, text);
        return FALSE;
    case KEY_UINT:
        if (!g_ascii_string_to_unsigned(text, 10, k->min, k->max, &number, NULL)) {
            g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "%s: [%s] %s = \"%s\" is not a whole number from %" G_GUINT64_FORMAT
                        " to %" G_GUINT64_FORMAT,
                        name, k->group, k->key, text, k->min, k->max);
            return FALSE;
        }
        *(guint64 *)base = number;
        return TRUE;
    }
    g_assert_not_reached();
}

gboolean
vl_bridge_config_load_data(VlBridgeConfig *c, const char *data, gsize len, const char *name,
                           GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local_error = NULL;
    g_auto(GStrv) groups = NULL;

    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &local_error)) {
        g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_READ, "%s: %s", name,
                    local_error->message);
        return FALSE;
    }
    groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        g_auto(GStrv) names = g_key_file_get_keys(kf, *g, NULL, NULL);

        if (find_key(*g, NULL) == NULL) {
            g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_UNKNOWN,
                        "%s: unknown group [%s] (known: [bridge], [channels], [control], [push])",
                        name, *g);
            return FALSE;
        }
        for (char **k = names; k && *k; k++) {
            const Key *key = find_key(*g, *k);
            g_autofree char *text = NULL;

            if (key == NULL) {
                g_autofree char *known = known_keys(*g);

                g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_UNKNOWN,
                            "%s: unknown key \"%s\" in [%s] (known: %s)", name, *k, *g, known);
                return FALSE;
            }
            text = g_key_file_get_value(kf, *g, *k, NULL);
            if (!set_value(c, key, g_strstrip(text), name, error)) {
                return FALSE;
            }
        }
    }
    return TRUE;
}

gboolean
vl_bridge_config_load(VlBridgeConfig *c, const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) local_error = NULL;

    if (!g_file_get_contents(path, &data, &len, &local_error)) {
        g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_READ, "%s",
                    local_error->message);
        return FALSE;
    }
    return vl_bridge_config_load_data(c, data, len, path, error);
}

gboolean
vl_bridge_listen_parse(const char *text, char **ret_address, guint16 *ret_port, GError **error)
{
    const char *colon = strrchr(text, ':');
    g_autofree char *address = NULL;
    guint64 port;

    *ret_address = NULL;
    *ret_port = 0;
    if (g_str_equal(text, "none")) {
        return FALSE;
    }
    if (colon == NULL || !g_ascii_string_to_unsigned(colon + 1, 10, 0, G_MAXUINT16, &port, NULL)) {
        g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_INVALID,
                    "\"%s\" is not ADDRESS:PORT, [IPV6-ADDRESS]:PORT, :PORT (every address) or "
                    "none (no TLS listener); the port is 0 to 65535",
                    text);
        return FALSE;
    }
    address = g_strndup(text, (gsize)(colon - text));
    if (address[0] == '[') {
        gsize len = strlen(address);

        if (len < 3 || address[len - 1] != ']') {
            g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_INVALID,
                        "\"%s\": an IPv6 address is written in brackets, [::1]:8899", text);
            return FALSE;
        }
        memmove(address, address + 1, len - 2);
        address[len - 2] = '\0';
    } else if (strchr(address, ':')) {
        g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_INVALID,
                    "\"%s\": write an IPv6 address in brackets, [::1]:8899", text);
        return FALSE;
    }
    if (!g_hostname_is_ip_address(address) && *address) {
        g_set_error(error, VL_BRIDGE_CONFIG_ERROR, VL_BRIDGE_CONFIG_ERROR_INVALID,
                    "\"%s\": \"%s\" is not an IP address (host names are not resolved here)", text,
                    address);
        return FALSE;
    }
    *ret_address = *address ? g_steal_pointer(&address) : NULL;
    *ret_port = (guint16)port;
    return TRUE;
}
