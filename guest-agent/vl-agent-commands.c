/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host's commands: each checked against the configuration's lists, then carried out. */
#include <string.h>

#include "vl-actions.h"
#include "vl-agent-private.h"
#include "vl-protocol.h"

static gboolean
run_action(VlAgent *a, const char *name, const VlJson *args, GError **error)
{
    const char *session = vl_json_get_string(vl_json_object_get(args, "session"));

    if (g_str_equal(name, "shutdown")) {
        const char *mode = vl_json_get_string(vl_json_object_get(args, "mode"));
        const char *message = vl_json_get_string(vl_json_object_get(args, "message"));
        guint delay = (guint)vl_json_get_int(vl_json_object_get(args, "delay_s"));

        g_message("audit: shutdown requested by the host: mode=%s delay=%us", mode, delay);
        return vl_action_shutdown(a->bus, mode, delay, message, error);
    }
    if (g_str_equal(name, "lock_screen")) {
        g_message("audit: lock_screen requested by the host: session=%s",
                  session ? session : "(all)");
        return vl_action_lock_screen(a->bus, session, error);
    }
    g_message("audit: log_off requested by the host: session=%s", session ? session : "(active)");
    return vl_action_log_off(a->bus, session, error);
}

typedef struct {
    VlAgent *agent;
    char *id;
} LoginReply;

static void
on_login_done(const VlSsoLoginResult *result, const GError *error, gpointer user_data)
{
    LoginReply *r = user_data;

    if (error) {
        vl_agent_send_error(r->agent, r->id, VL_PROTOCOL_ERROR_FAILED, error->message);
    } else {
        g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
        g_autoptr(VlJson) reply = NULL;

        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "outcome");
        vl_json_builder_add_string(b, result->outcome);
        if (result->console) {
            vl_json_builder_member(b, "console");
            vl_json_builder_add_string(b, result->console);
        }
        if (result->session) {
            vl_json_builder_member(b, "session");
            vl_json_builder_add_string(b, result->session);
        }
        vl_json_builder_end_object(b);
        reply = vl_json_builder_finish(b);
        vl_agent_send_reply(r->agent, r->id, reply);
    }
    g_free(r->id);
    g_free(r);
}

/* The password is wiped from the parsed command as soon as the login holds its own copy. */
static void
handle_login(VlAgent *a, const char *id, const VlJson *args)
{
    const char *password = vl_json_get_string(vl_json_object_get(args, "password"));
    const char *domain = vl_json_get_string(vl_json_object_get(args, "domain"));
    LoginReply *r;

    if (domain && *domain) {
        g_autofree char *user =
            g_strescape(vl_json_get_string(vl_json_object_get(args, "user")), NULL);

        /* Never the local user of the same name in its place. */
        g_message("audit: single sign-on of %s refused: a domain was given", user);
        vl_agent_send_error(
            a, id, VL_PROTOCOL_ERROR_UNSUPPORTED,
            "this agent logs in users of the guest's own user database, not of a domain: "
            "name the user as the guest knows it (alice@corp.example with SSSD), without "
            "a domain");
    } else {
        r = g_new0(LoginReply, 1);
        r->agent = a;
        r->id = g_strdup(id);
        vl_sso_login_start(a->sso, vl_json_get_string(vl_json_object_get(args, "user")), password,
                           strlen(password),
                           vl_json_get_string(vl_json_object_get(args, "console")), on_login_done,
                           r);
    }
    vl_json_wipe_member(args, "password");
}

void
vl_agent_handle_command(VlAgent *a, const VlJson *message)
{
    const char *id = vl_json_get_string(vl_json_object_get(message, "id"));
    const char *name = vl_json_get_string(vl_json_object_get(message, "name"));
    const VlJson *args = vl_json_object_get(message, "args");
    g_autoptr(GError) error = NULL;

    if (!vl_agent_config_command_allowed(a->config, name)) {
        g_autofree char *text = g_strdup_printf("command %s is disabled by the agent's "
                                                "configuration ([commands] in agent.conf)",
                                                name);
        g_message("audit: refused disabled command %s", name);
        vl_agent_send_error(a, id, VL_PROTOCOL_ERROR_DISABLED, text);
        return;
    }
    if (g_str_equal(name, "ping")) {
        g_autoptr(VlJsonBuilder) b = vl_json_builder_new();
        g_autoptr(VlJson) result = NULL;

        vl_json_builder_begin_object(b);
        vl_json_builder_member(b, "time");
        vl_json_builder_add_int(b, g_get_real_time() / G_USEC_PER_SEC);
        vl_json_builder_end_object(b);
        result = vl_json_builder_finish(b);
        vl_agent_send_reply(a, id, result);
    } else if (g_str_equal(name, "refresh")) {
        const VlJson *list = vl_json_object_get(args, "sections");
        g_autoptr(GPtrArray) sections = NULL;

        if (list) {
            sections = g_ptr_array_new();
            for (guint i = 0; i < vl_json_array_length(list); i++) {
                g_ptr_array_add(sections, (gpointer)vl_json_get_string(vl_json_array_get(list, i)));
            }
            g_ptr_array_add(sections, NULL);
        }
        vl_agent_send_reply(a, id, NULL);
        vl_agent_send_report(a, sections ? (const char *const *)sections->pdata : NULL);
    } else if (g_str_equal(name, "login")) {
        handle_login(a, id, args);
    } else if (run_action(a, name, args, &error)) {
        vl_agent_send_reply(a, id, NULL);
    } else {
        g_autofree char *text = g_strdup_printf("%s failed: %s", name, error->message);
        g_warning("%s", text);
        vl_agent_send_error(a, id, VL_PROTOCOL_ERROR_FAILED, text);
    }
}
