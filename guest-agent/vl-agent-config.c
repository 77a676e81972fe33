/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vl-agent-config.h"

#include <string.h>

#include "vl-catalogue.h"
#include "vl-frame.h"
#include "vl-qga.h"

/* clang-format off */
G_DEFINE_QUARK(vl-agent-config-error-quark, vl_agent_config_error)
/* clang-format on */

#define MAX_HEARTBEAT_S 3600
#define MIN_FRAME 4096
#define MAX_FRAME (16 * 1024 * 1024)

static const char *const default_net_exclude[] = {"docker*",  "veth*", "virbr*", "cali*",
                                                  "flannel*", "cni*",  NULL};

/* Every group and key the file may hold. */
static const struct {
    const char *group;
    const char *const keys[12];
} known_keys[] = {
    {"agent", {"channel", "qga-channel", "heartbeat-interval", "max-frame-size", NULL}},
    {"report", {"network-exclude", "filesystem-exclude", NULL}},
    {"commands", {"allowed", "blocked", NULL}},
    {"sso",
     {"allow-normal-users", "uid-min", "uid-max", "users", "groups", "allow-root", "consoles",
      "token-lifetime", "session-timeout", "pam-service", "credential-socket", NULL}},
};

VlAgentConfig *
vl_agent_config_new(void)
{
    VlAgentConfig *c = g_new0(VlAgentConfig, 1);

    c->channel = g_strdup(VL_AGENT_DEFAULT_CHANNEL);
    c->qga_channel = g_strdup(VL_AGENT_DEFAULT_QGA_CHANNEL);
    c->heartbeat_s = 5;
    c->max_frame = VL_FRAME_DEFAULT_MAX_SIZE;
    c->net_exclude = g_strdupv((char **)default_net_exclude);
    c->fs_exclude = g_new0(char *, 1);
    vl_sso_policy_init(&c->sso);
    return c;
}

void
vl_agent_config_free(VlAgentConfig *c)
{
    if (c) {
        g_free(c->channel);
        g_free(c->qga_channel);
        g_strfreev(c->net_exclude);
        g_strfreev(c->fs_exclude);
        g_strfreev(c->allowed);
        g_strfreev(c->blocked);
        vl_sso_policy_clear(&c->sso);
        g_free(c);
    }
}

/* Checks a channel's METHOD:ADDRESS (or "none") and sets *field to it. */
static gboolean
set_channel(char **field, const char *channel, GError **error)
{
    const char *colon = strchr(channel, ':');
    g_autofree char *method = colon ? g_strndup(channel, colon - channel) : NULL;
    const char *address = colon ? colon + 1 : NULL;

    if (g_str_equal(channel, VL_AGENT_CHANNEL_NONE)) {
        g_free(*field);
        *field = g_strdup(channel);
        return TRUE;
    }
    if (method == NULL || *address == '\0') {
        g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                    "channel \"%s\" is not METHOD:ADDRESS (virtio-serial:PATH, unix-listen:PATH "
                    "or vsock-listen:PORT)",
                    channel);
        return FALSE;
    }
    if (g_str_equal(method, "vsock-listen")) {
        guint64 port;
        if (!g_ascii_string_to_unsigned(address, 10, 1, G_MAXUINT32 - 1, &port, NULL)) {
            g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                        "channel \"%s\": the vsock port must be a number from 1 to %u", channel,
                        G_MAXUINT32 - 1);
            return FALSE;
        }
    } else if (!g_str_equal(method, "virtio-serial") && !g_str_equal(method, "unix-listen")) {
        g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                    "channel \"%s\": unknown method \"%s\" (use virtio-serial, unix-listen or "
                    "vsock-listen)",
                    channel, method);
        return FALSE;
    } else if (address[0] != '/') {
        g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                    "channel \"%s\": the path must be absolute", channel);
        return FALSE;
    }
    g_free(*field);
    *field = g_strdup(channel);
    return TRUE;
}

gboolean
vl_agent_config_set_channel(VlAgentConfig *c, const char *channel, GError **error)
{
    return set_channel(&c->channel, channel, error);
}

gboolean
vl_agent_config_set_qga_channel(VlAgentConfig *c, const char *channel, GError **error)
{
    return set_channel(&c->qga_channel, channel, error);
}

static gboolean
check_keys(GKeyFile *kf, const char *name, GError **error)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

    for (char **g = groups; *g; g++) {
        gsize i;
        g_auto(GStrv) keys = NULL;

        for (i = 0; i < G_N_ELEMENTS(known_keys); i++) {
            if (g_str_equal(known_keys[i].group, *g)) {
                break;
            }
        }
        if (i == G_N_ELEMENTS(known_keys)) {
            g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_UNKNOWN,
                        "%s: unknown group [%s] (known: [agent], [report], [commands], [sso])",
                        name, *g);
            return FALSE;
        }
        keys = g_key_file_get_keys(kf, *g, NULL, NULL);
        for (char **k = keys; k && *k; k++) {
            if (!g_strv_contains(known_keys[i].keys, *k)) {
                g_autofree char *known = g_strjoinv(", ", (char **)known_keys[i].keys);
                g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_UNKNOWN,
                            "%s: unknown key \"%s\" in [%s] (known: %s)", name, *k, *g, known);
                return FALSE;
            }
        }
    }
    return TRUE;
}

static gboolean
get_uint(GKeyFile *kf, const char *name, const char *group, const char *key, guint64 min,
         guint64 max, guint64 *value, GError **error)
{
    g_autofree char *text = g_key_file_get_value(kf, group, key, NULL);

    if (text == NULL) {
        return TRUE;
    }
    g_strstrip(text);
    if (!g_ascii_string_to_unsigned(text, 10, min, max, value, NULL)) {
        g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                    "%s: [%s] %s = \"%s\" is not a whole number from %" G_GUINT64_FORMAT
                    " to %" G_GUINT64_FORMAT,
                    name, group, key, text, min, max);
        return FALSE;
    }
    return TRUE;
}

/* A list of globs; an empty value means an empty list. */
static gboolean
get_list(GKeyFile *kf, const char *group, const char *key, char ***value)
{
    gsize n = 0;
    char **list;

    if (!g_key_file_has_key(kf, group, key, NULL)) {
        return FALSE;
    }
    list = g_key_file_get_string_list(kf, group, key, &n, NULL);
    for (gsize i = 0; list && i < n; i++) {
        g_strstrip(list[i]);
    }
    g_strfreev(*value);
    *value = list ? list : g_new0(char *, 1);
    return TRUE;
}

static gboolean
check_commands(char **list, const char *name, const char *key, GError **error)
{
    for (char **c = list; c && *c; c++) {
        if (vl_catalogue_lookup(&vl_guest_command_catalogue, *c, VL_SENDER_BOTH) == NULL &&
            vl_qga_command_lookup(*c) == NULL) {
            GString *known = g_string_new(NULL);

            for (const VlEntry *e = vl_guest_command_catalogue.entries; e->name; e++) {
                g_string_append_printf(known, "%s%s", known->len ? ", " : "", e->name);
            }
            for (const VlQgaCommand *q = vl_qga_commands; q->name; q++) {
                g_string_append_printf(known, ", %s", q->name);
            }
            g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                        "%s: [commands] %s names \"%s\", which is not a command (known: %s)", name,
                        key, *c, known->str);
            g_string_free(known, TRUE);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
get_bool(GKeyFile *kf, const char *name, const char *group, const char *key, gboolean *value,
         GError **error)
{
    g_autofree char *text = g_key_file_get_value(kf, group, key, NULL);

    if (text == NULL) {
        return TRUE;
    }
    g_strstrip(text);
    if (g_str_equal(text, "true") || g_str_equal(text, "yes")) {
        *value = TRUE;
    } else if (g_str_equal(text, "false") || g_str_equal(text, "no")) {
        *value = FALSE;
    } else {
        g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                    "%s: [%s] %s = \"%s\" is neither true nor false", name, group, key, text);
        return FALSE;
    }
    return TRUE;
}

/* A list whose every item must pass check; KIND names what an item is, for the error. */
static gboolean
get_checked_list(GKeyFile *kf, const char *name, const char *key, gboolean (*check)(const char *),
                 const char *kind, char ***value, GError **error)
{
    if (!get_list(kf, "sso", key, value)) {
        return TRUE;
    }
    for (char **item = *value; *item; item++) {
        if (!check(*item)) {
            g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                        "%s: [sso] %s names \"%s\", which is not %s", name, key, *item, kind);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
group_name_valid(const char *text)
{
    /* Group names follow the rules of user names. */
    return vl_sso_user_name_valid(text);
}

static gboolean
get_uid(GKeyFile *kf, const char *name, const char *key, guint32 *value, GError **error)
{
    guint64 v = *value;

    if (!get_uint(kf, name, "sso", key, 1, G_MAXUINT32 - 1, &v, error)) {
        return FALSE;
    }
    *value = (guint32)v;
    return TRUE;
}

static gboolean
load_sso(GKeyFile *kf, const char *name, VlSsoPolicy *p, GError **error)
{
    g_autofree char *service = g_key_file_get_value(kf, "sso", "pam-service", NULL);
    g_autofree char *socket = g_key_file_get_value(kf, "sso", "credential-socket", NULL);
    guint64 value;

    if (!get_bool(kf, name, "sso", "allow-normal-users", &p->normal_users, error) ||
        !get_bool(kf, name, "sso", "allow-root", &p->allow_root, error) ||
        !get_uid(kf, name, "uid-min", &p->uid_min, error) ||
        !get_uid(kf, name, "uid-max", &p->uid_max, error) ||
        !get_checked_list(kf, name, "users", vl_sso_user_name_valid, "a user name", &p->users,
                          error) ||
        !get_checked_list(kf, name, "groups", group_name_valid, "a group name", &p->groups,
                          error) ||
        !get_checked_list(kf, name, "consoles", vl_sso_console_name_valid,
                          "a console (graphical, or a terminal such as tty1, ttyS0, hvc0)",
                          &p->consoles, error)) {
        return FALSE;
    }
    if (p->uid_min && p->uid_max && p->uid_min > p->uid_max) {
        g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                    "%s: [sso] uid-min (%u) is above uid-max (%u)", name, p->uid_min, p->uid_max);
        return FALSE;
    }
    value = p->token_ttl_s;
    if (!get_uint(kf, name, "sso", "token-lifetime", 5, 60, &value, error)) {
        return FALSE;
    }
    p->token_ttl_s = (guint)value;
    value = p->session_timeout_s;
    if (!get_uint(kf, name, "sso", "session-timeout", 1, 60, &value, error)) {
        return FALSE;
    }
    p->session_timeout_s = (guint)value;
    if (service) {
        g_strstrip(service);
        /* A service is a file name in /etc/pam.d. */
        if (*service == '\0' || strchr(service, '/') || service[0] == '.') {
            g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                        "%s: [sso] pam-service = \"%s\" is not a PAM service name (a file name "
                        "in /etc/pam.d)",
                        name, service);
            return FALSE;
        }
        g_free(p->pam_service);
        p->pam_service = g_steal_pointer(&service);
    }
    if (socket) {
        g_strstrip(socket);
        if (socket[0] != '/' || strlen(socket) >= 108) {
            g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                        "%s: [sso] credential-socket = \"%s\" is not an absolute path of at most "
                        "107 bytes",
                        name, socket);
            return FALSE;
        }
        g_free(p->socket_path);
        p->socket_path = g_steal_pointer(&socket);
    }
    return TRUE;
}

gboolean
vl_agent_config_load_data(VlAgentConfig *c, const char *data, gsize len, const char *name,
                          GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local_error = NULL;
    g_autofree char *channel = NULL;
    g_autofree char *qga_channel = NULL;
    guint64 value;

    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &local_error)) {
        g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_READ, "%s: %s", name,
                    local_error->message);
        return FALSE;
    }
    if (!check_keys(kf, name, error)) {
        return FALSE;
    }

    channel = g_key_file_get_value(kf, "agent", "channel", NULL);
    if (channel && !vl_agent_config_set_channel(c, g_strstrip(channel), &local_error)) {
        g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                    "%s: [agent] channel: %s", name, local_error->message);
        return FALSE;
    }
    qga_channel = g_key_file_get_value(kf, "agent", "qga-channel", NULL);
    if (qga_channel && !vl_agent_config_set_qga_channel(c, g_strstrip(qga_channel), &local_error)) {
        g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_INVALID,
                    "%s: [agent] qga-channel: %s", name, local_error->message);
        return FALSE;
    }
    value = c->heartbeat_s;
    if (!get_uint(kf, name, "agent", "heartbeat-interval", 0, MAX_HEARTBEAT_S, &value, error)) {
        return FALSE;
    }
    c->heartbeat_s = (guint)value;
    value = c->max_frame;
    if (!get_uint(kf, name, "agent", "max-frame-size", MIN_FRAME, MAX_FRAME, &value, error)) {
        return FALSE;
    }
    c->max_frame = (gsize)value;

    get_list(kf, "report", "network-exclude", &c->net_exclude);
    get_list(kf, "report", "filesystem-exclude", &c->fs_exclude);
    if (get_list(kf, "commands", "allowed", &c->allowed) &&
        !check_commands(c->allowed, name, "allowed", error)) {
        return FALSE;
    }
    if (get_list(kf, "commands", "blocked", &c->blocked) &&
        !check_commands(c->blocked, name, "blocked", error)) {
        return FALSE;
    }
    return load_sso(kf, name, &c->sso, error);
}

gboolean
vl_agent_config_load(VlAgentConfig *c, const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) local_error = NULL;

    if (!g_file_get_contents(path, &data, &len, &local_error)) {
        g_set_error(error, VL_AGENT_CONFIG_ERROR, VL_AGENT_CONFIG_ERROR_READ, "%s",
                    local_error->message);
        return FALSE;
    }
    return vl_agent_config_load_data(c, data, len, path, error);
}

gboolean
vl_agent_config_command_allowed(const VlAgentConfig *c, const char *name)
{
    if (c->allowed && !g_strv_contains((const char *const *)c->allowed, name)) {
        return FALSE;
    }
    return !(c->blocked && g_strv_contains((const char *const *)c->blocked, name));
}
