/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vmlinkd's configuration: /etc/vmlink/bridge.conf (GKeyFile), then command-line options on top.
 * Every key is in one table (vl-bridge-config.c) with its type and bounds; an unknown group or
 * key, or a value out of bounds, is an error naming the file, group and key.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VL_BRIDGE_CONFIG_FILE SYSCONFDIR "/vmlink/bridge.conf"
#define VL_BRIDGE_DEFAULT_SOCKET "/run/vmlink/vmlinkd.sock"
#define VL_BRIDGE_DEFAULT_STATE_DIR "/var/lib/vmlink"
#define VL_BRIDGE_DEFAULT_LISTEN ":8899"
#define VL_BRIDGE_DEFAULT_AUDIT_LOG "/var/log/vmlink/audit.log"

#define VL_BRIDGE_CONFIG_ERROR (vl_bridge_config_error_quark())
GQuark vl_bridge_config_error_quark(void);

typedef enum {
    VL_BRIDGE_CONFIG_ERROR_READ,    /* the file cannot be read or is not a key file */
    VL_BRIDGE_CONFIG_ERROR_UNKNOWN, /* a group or key that does not exist */
    VL_BRIDGE_CONFIG_ERROR_INVALID, /* a value of the wrong type or out of bounds */
} VlBridgeConfigError;

typedef struct {
    /* [bridge] */
    char *libvirt_uri;   /* libvirt-uri, default qemu:///system */
    char *local_socket;  /* local-socket: the root-only control socket */
    char *state_dir;     /* state-dir */
    char *default_accel; /* default-accel: kvm or tcg, for specs that name none */
    /* [channels] */
    guint64 max_frame;         /* max-frame-size, bytes */
    guint64 rate_messages;     /* rate-messages: messages per second per VM (0: no limit) */
    guint64 rate_burst;        /* rate-burst: messages a VM may send at once */
    guint64 rate_bytes;        /* rate-bytes: bytes per second per VM (0: no limit) */
    guint64 heartbeat_s;       /* heartbeat-interval: the agents' heartbeat, seconds */
    guint64 reconnect_max_s;   /* reconnect-max-delay: longest wait between connect attempts */
    guint64 command_timeout_s; /* command-timeout: how long a guest command may take */
    /* [control] */
    gboolean qmp_passthrough; /* qmp-passthrough: allow vm.qmp */
    guint64 max_request;      /* max-request-size, bytes */
    guint64 max_output;       /* max-output-buffer: a client that lets this much pile up is cut */
    guint64 max_inflight;     /* max-requests-in-flight per connection */
    char *listen;             /* listen: the TLS listener, "ADDR:PORT", ":PORT" or "none" */
    guint64 max_connections;  /* max-connections: TLS connections at once */
    guint64 handshake_timeout_s; /* handshake-timeout: seconds to finish the TLS handshake */
    guint64 login_backoff_max_s; /* login-backoff-max: longest wait after failed passwords */
    char *audit_log;             /* audit-log: the audit file ("none": journal only) */
    /* [push] */
    guint64 push_queue;       /* queue-size: events kept for the manager while it is away */
    guint64 push_batch;       /* batch-size: events per POST */
    guint64 stats_interval_s; /* stats-interval: seconds between statistics POSTs (0: none) */
    guint64 push_retry_max_s; /* retry-max-delay: longest wait between retries */
    guint64 push_timeout_s;   /* timeout: seconds a POST may take */
    /* [qemu-ga] */
    gboolean qga_enabled;   /* enabled: guest info through libvirt for guests with only qemu-ga */
    guint64 qga_interval_s; /* interval: seconds between refreshes (0: on agent events only) */
    guint64 qga_timeout_s;  /* timeout: seconds one agent command may take */
} VlBridgeConfig;

/* Splits a listen value ("ADDR:PORT", "[V6ADDR]:PORT", ":PORT": every address) into the address
 * (NULL for every address) and port (0: any free one). "none" gives FALSE without error. */
gboolean vl_bridge_listen_parse(const char *text, char **ret_address, guint16 *ret_port,
                                GError **error);

VlBridgeConfig *vl_bridge_config_new(void);
void vl_bridge_config_free(VlBridgeConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlBridgeConfig, vl_bridge_config_free)

/* Loads a key file over the defaults; name is used in messages (the path). */
gboolean vl_bridge_config_load_data(VlBridgeConfig *config, const char *data, gsize len,
                                    const char *name, GError **error);
gboolean vl_bridge_config_load(VlBridgeConfig *config, const char *path, GError **error);

G_END_DECLS
