/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest login, single sign-on from the manager's side: the user's password is asked for (or read
 * from the standard input), sent once with guest.login and wiped, and what the guest did is told
 * in one line. Only a login that happened, or that the graphical greeter now carries out, is a
 * success; every other outcome is a failure (exit status 1) that says what to do about it.
 */
#include <string.h>

#include "vl-ctl-format.h"
#include "vl-ctl.h"
#include "vl-protocol.h"

#define MEMBER(node, name) vl_json_object_get((node), (name))
#define STRING(node, name) vl_json_get_string(MEMBER((node), (name)))

/* The agent's outcomes, in the guest catalogue's words, for people. The texts are not
 * cleaned: the caller cleans the whole line, since the console and session come from the guest. */
static char *
describe(const VlJson *params, const VlJson *reply, gboolean *ret_done)
{
    const char *outcome = STRING(reply, "outcome");
    const char *user = STRING(params, "user");
    const char *vm = STRING(params, "vm");
    const char *asked = STRING(params, "console");
    /* The console the agent used (it chooses when none was asked for), else the one asked for. */
    const char *console = STRING(reply, "console") ? STRING(reply, "console") : asked;
    const char *session = STRING(reply, "session");
    g_autofree char *where =
        console ? g_strdup_printf("%s of %s", console, vm) : g_strdup(vm); /* "ttyS0 of web1" */

    *ret_done = FALSE;
    if (g_str_equal(outcome, "logged_in")) {
        *ret_done = TRUE;
        return session ? g_strdup_printf("%s is logged in on %s (session %s)", user, where, session)
                       : g_strdup_printf("%s is logged in on %s", user, where);
    }
    if (g_str_equal(outcome, "handed_to_greeter")) {
        *ret_done = TRUE;
        return g_strdup_printf("the credentials for %s were handed to the graphical greeter of %s",
                               user, vm);
    }
    if (g_str_equal(outcome, "wrong_credentials")) {
        return g_strdup_printf("the guest refused the credentials of %s on %s: check the user "
                               "name and the password (and --domain, where the guest has domains)",
                               user, where);
    }
    if (g_str_equal(outcome, "not_allowed")) {
        /* The agent does not say whether the user exists, nor which of the two is refused. */
        return g_strdup_printf("the single sign-on policy of %s does not allow %s%s%s: see [sso] "
                               "in /etc/vmlink/agent.conf of the guest",
                               vm, user, console ? " on " : "", console ? console : "");
    }
    if (g_str_equal(outcome, "no_console")) {
        if (asked) {
            return g_strdup_printf("%s has no console %s: give --console one it has (tty1, "
                                   "ttyS0, hvc0 or graphical)",
                                   vm, asked);
        }
        return g_strdup_printf("none of the consoles configured for single sign-on exists in %s: "
                               "name one with --console, or see [sso] in /etc/vmlink/agent.conf "
                               "of the guest",
                               vm);
    }
    if (g_str_equal(outcome, "already_logged_in")) {
        return g_strdup_printf("%s%s has a session already: log it off first with vmlinkctl guest "
                               "logoff %s --session ID (vmlinkctl guest info %s --section users "
                               "lists the sessions)",
                               console ? "" : "the console of ", where, vm, vm);
    }
    if (g_str_equal(outcome, "timed_out")) {
        return g_strdup_printf("nobody used the credentials for %s on %s in time: is its login "
                               "screen showing? Try again",
                               user, where);
    }
    /* The reply was checked against the catalogue: a new outcome means a newer agent. */
    return g_strdup_printf("the guest answered \"%s\", which this vmlinkctl does not know",
                           outcome);
}

/* The agent's reply, checked against the guest catalogue's login result: vmlinkd forwards it as
 * an object, and what is told and the exit status depend on its outcome. */
static const VlJson *
checked_reply(VlCtlSession *session, const VlJson *result, GError **error)
{
    const VlEntry *login =
        vl_catalogue_lookup(&vl_guest_command_catalogue, "login", VL_SENDER_HOST);
    const VlJson *reply = MEMBER(result, "reply");
    g_autoptr(GError) local_error = NULL;

    if (!vl_fields_validate(login->result, reply, "result.reply", &local_error)) {
        g_set_error(error, VL_CLIENT_ERROR, VL_CLIENT_ERROR_PROTOCOL,
                    "the answer of %s to guest.login breaks the protocol: %s",
                    vl_client_get_address(session->client), local_error->message);
        return NULL;
    }
    return reply;
}

gboolean
vl_ctl_guest_login(VlCtlSession *session, const VlCtlArgs *args, const VlJson *params,
                   GError **error)
{
    const VlCtlCommand *cmd = args->command;
    g_autofree char *words = vl_ctl_command_words(cmd);
    g_autofree char *asking =
        g_strdup_printf("password for %s on %s", STRING(params, "user"), STRING(params, "vm"));
    g_autofree char *prompt = vl_ctl_format_clean(asking);
    g_autoptr(VlCtlSecret) password = NULL;
    g_autoptr(VlJson) request = NULL;
    g_autoptr(VlJson) result = NULL;
    g_autofree char *text = NULL;
    g_autofree char *line = NULL;
    const VlJson *reply;
    gboolean done = FALSE;

    password = vl_ctl_read_secret(prompt, vl_ctl_args_get(args, "password-stdin") != NULL, error);
    if (password == NULL) {
        g_prefix_error(error, "%s: ", words);
        return FALSE;
    }
    /* The one copy of the password in the request: the request vl_client_call encodes shares
     * this object (and wipes its frame), so wiping the member here wipes it there too. */
    request = vl_json_object_with_string(params, cmd->secret, password);
    result =
        vl_client_call(session->client, cmd->method, request, vl_ctl_args_timeout_ms(args), error);
    vl_json_wipe_member(request, cmd->secret);
    if (result == NULL) {
        return FALSE;
    }
    reply = checked_reply(session, result, error);
    if (reply == NULL) {
        return FALSE;
    }
    text = describe(params, reply, &done);
    line = vl_ctl_format_clean(text);
    if (args->json) {
        g_autofree char *json = vl_json_to_pretty_string(result);
        g_autofree char *out = g_strconcat(json, "\n", NULL);

        if (!vl_ctl_write(session->out, out, error)) {
            return FALSE;
        }
    }
    if (!done) {
        /* On stderr with the other failures, with --json too: stdout keeps the result. */
        g_set_error(error, VL_CTL_ERROR, VL_CTL_ERROR_GUEST, "%s: %s", words, line);
        return FALSE;
    }
    if (!args->json) {
        g_autofree char *out = g_strconcat(line, "\n", NULL);

        return vl_ctl_write(session->out, out, error);
    }
    return TRUE;
}
