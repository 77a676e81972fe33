/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: bytes as /etc/vmlink/agent.conf. A file loads or is refused with an error that
 * names it; what loaded stays within its bounds: a channel of a known method, single sign-on
 * lists of valid names only, a UID range in order, lifetimes within their ranges.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vl-agent-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_names(char **list, gboolean (*valid)(const char *))
{
    for (char **item = list; item && *item; item++) {
        if (!valid(*item)) {
            abort();
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(VlAgentConfig) config = vl_agent_config_new();
    g_autoptr(GError) error = NULL;
    const VlSsoPolicy *sso = &config->sso;

    if (!vl_agent_config_load_data(config, (const char *)data, size, "fuzz.conf", &error)) {
        if (error == NULL || !g_str_has_prefix(error->message, "fuzz.conf")) {
            abort(); /* an error must name the file */
        }
        return 0;
    }
    if (config->max_frame < 4096 || config->heartbeat_s > 3600 ||
        strchr(config->channel, ':') == NULL) {
        abort();
    }
    check_names(sso->users, vl_sso_user_name_valid);
    check_names(sso->groups, vl_sso_user_name_valid);
    check_names(sso->consoles, vl_sso_console_name_valid);
    if ((sso->uid_min && sso->uid_max && sso->uid_min > sso->uid_max) || sso->token_ttl_s < 5 ||
        sso->token_ttl_s > 60 || sso->session_timeout_s < 1 || sso->session_timeout_s > 60 ||
        sso->socket_path[0] != '/' || sso->pam_service[0] == '\0' ||
        strchr(sso->pam_service, '/') != NULL) {
        abort();
    }
    return 0;
}
