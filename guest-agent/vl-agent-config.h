/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's configuration: /etc/vmlink/agent.conf, a GKeyFile. Every setting has a default;
 * a file only names what it changes. Anything wrong in it (an unknown group or key, a value of
 * the wrong kind or out of range, an unknown command name) is an error naming the group and
 * key, never a silent default.
 */
#pragma once

#include <glib.h>

#include "vl-sso-policy.h"

G_BEGIN_DECLS

#define VL_AGENT_CONFIG_FILE SYSCONFDIR "/vmlink/agent.conf"
#define VL_AGENT_DEFAULT_CHANNEL "virtio-serial:/dev/virtio-ports/org.vmlink.agent.0"
/* The QEMU guest agent protocol's port, where libvirt looks for qemu-ga (issue 8). */
#define VL_AGENT_DEFAULT_QGA_CHANNEL "virtio-serial:/dev/virtio-ports/org.qemu.guest_agent.0"
/* A channel that is not served. */
#define VL_AGENT_CHANNEL_NONE "none"

#define VL_AGENT_CONFIG_ERROR (vl_agent_config_error_quark())
GQuark vl_agent_config_error_quark(void);

typedef enum {
    VL_AGENT_CONFIG_ERROR_READ,    /* the file could not be read or parsed */
    VL_AGENT_CONFIG_ERROR_UNKNOWN, /* an unknown group or key */
    VL_AGENT_CONFIG_ERROR_INVALID, /* a value of the wrong kind or out of range */
} VlAgentConfigError;

typedef struct {
    char *channel;      /* METHOD:ADDRESS: virtio-serial:PATH, unix-listen:PATH, vsock-listen:PORT,
                           or "none" */
    char *qga_channel;  /* the same for the QEMU guest agent protocol */
    guint heartbeat_s;  /* heartbeat interval; 0 turns heartbeats off */
    gsize max_frame;    /* cap on one frame from the host, bytes */
    char **net_exclude; /* interface name globs left out of the network section */
    char **fs_exclude;  /* mount point globs left out of the filesystems section */
    char **allowed;     /* commands allowed; NULL: all */
    char **blocked;     /* commands refused, even when allowed */
    VlSsoPolicy sso;    /* [sso]: who may be logged in by single sign-on, and where */
} VlAgentConfig;

VlAgentConfig *vl_agent_config_new(void);
void vl_agent_config_free(VlAgentConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VlAgentConfig, vl_agent_config_free)

/* Applies the settings of a file over the current ones. */
gboolean vl_agent_config_load(VlAgentConfig *config, const char *path, GError **error);
gboolean vl_agent_config_load_data(VlAgentConfig *config, const char *data, gsize len,
                                   const char *name, GError **error);

/* Checks and sets the channel (METHOD:ADDRESS or "none"), as --channel does. */
gboolean vl_agent_config_set_channel(VlAgentConfig *config, const char *channel, GError **error);
/* The same for the QEMU guest agent protocol's channel (--qga-channel, qga-channel). */
gboolean vl_agent_config_set_qga_channel(VlAgentConfig *config, const char *channel,
                                         GError **error);

/* Whether a command may run: allowed (or no allow list) and not blocked. */
gboolean vl_agent_config_command_allowed(const VlAgentConfig *config, const char *name);

G_END_DECLS
